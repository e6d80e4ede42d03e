"""A character-level vanilla RNN trained by hand-written backprop through time.

Idioms: dicts of per-step states, one-hot inputs written into np.zeros at a traced position, a Python
loop over time steps forward and backward, gradient buffers made with np.zeros_like and accumulated with
+=, `dy[targets[t]] -= 1`, np.clip(..., out=...) into those buffers, parameters updated in place
(Adagrad) by the training step: the caller's arrays change.
"""

from __future__ import annotations

import numpy as np

from corpus import Program


def loss_and_gradients(inputs, targets, hprev, Wxh, Whh, Why, bh, by):
    xs, hs, ys, ps = {}, {}, {}, {}
    hs[-1] = np.copy(hprev)
    loss = 0
    vocab = Wxh.shape[1]
    for t in range(len(inputs)):
        xs[t] = np.zeros((vocab, 1))
        xs[t][inputs[t]] = 1
        hs[t] = np.tanh(np.dot(Wxh, xs[t]) + np.dot(Whh, hs[t - 1]) + bh)
        ys[t] = np.dot(Why, hs[t]) + by
        ps[t] = np.exp(ys[t]) / np.sum(np.exp(ys[t]))
        loss += -np.log(ps[t][targets[t], 0])
    dWxh, dWhh, dWhy = np.zeros_like(Wxh), np.zeros_like(Whh), np.zeros_like(Why)
    dbh, dby = np.zeros_like(bh), np.zeros_like(by)
    dhnext = np.zeros_like(hs[0])
    for t in reversed(range(len(inputs))):
        dy = np.copy(ps[t])
        dy[targets[t]] -= 1
        dWhy += np.dot(dy, hs[t].T)
        dby += dy
        dh = np.dot(Why.T, dy) + dhnext
        dhraw = (1 - hs[t] * hs[t]) * dh
        dbh += dhraw
        dWxh += np.dot(dhraw, xs[t].T)
        dWhh += np.dot(dhraw, hs[t - 1].T)
        dhnext = np.dot(Whh.T, dhraw)
    for dparam in [dWxh, dWhh, dWhy, dbh, dby]:
        np.clip(dparam, -5, 5, out=dparam)
    return loss, dWxh, dWhh, dWhy, dbh, dby, hs[len(inputs) - 1]


def adagrad_step(inputs, targets, hprev, params, memory, learning_rate=1e-1):
    """One training step: the parameters and Adagrad memories are updated in place."""
    loss, *grads, h = loss_and_gradients(inputs, targets, hprev, *params)
    for param, dparam, mem in zip(params, grads, memory):
        mem += dparam * dparam
        param += -learning_rate * dparam / np.sqrt(mem + 1e-8)
    return loss, h


def _inputs(scale, *, training):
    vocab, hidden, steps = (12, 16, 8) if scale == "test" else (65, 100, 25)
    rng = np.random.default_rng(0)
    text = rng.integers(0, vocab, steps + 1)
    params = [rng.normal(size=(hidden, vocab)) * 0.01, rng.normal(size=(hidden, hidden)) * 0.01,
              rng.normal(size=(vocab, hidden)) * 0.01, np.zeros((hidden, 1)), np.zeros((vocab, 1))]
    hprev = rng.normal(size=(hidden, 1)) * 0.1
    if training:
        return text[:-1], text[1:], hprev, params, [np.zeros_like(p) for p in params]
    return (text[:-1], text[1:], hprev, *params)


PROGRAMS = {
    "loss_and_gradients": Program(loss_and_gradients, lambda scale: _inputs(scale, training=False)),
    "adagrad_step": Program(adagrad_step, lambda scale: _inputs(scale, training=True), mutates=True),
}
