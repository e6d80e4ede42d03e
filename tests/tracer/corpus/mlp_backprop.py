"""A two-layer softmax classifier trained with hand-written gradients, as course notebooks write it.

Idioms: `scores[range(N), y]` to pick each row's label (range indexing, traced labels),
`dscores[range(N), y] -= 1`, ReLU's backward as `dhidden[hidden <= 0] = 0`, and the training step
updating the caller's parameter arrays in place (`W1 += -lr * dW1`).
"""

from __future__ import annotations

import numpy as np

from corpus import Program


def loss_and_grads(X, y, W1, b1, W2, b2, reg=1e-3):
    N = X.shape[0]
    hidden = np.maximum(0, X.dot(W1) + b1)
    scores = hidden.dot(W2) + b2
    scores -= np.max(scores, axis=1, keepdims=True)
    exp_scores = np.exp(scores)
    probs = exp_scores / np.sum(exp_scores, axis=1, keepdims=True)
    correct_logprobs = -np.log(probs[range(N), y])
    loss = np.sum(correct_logprobs) / N + 0.5 * reg * (np.sum(W1 * W1) + np.sum(W2 * W2))
    dscores = probs.copy()
    dscores[range(N), y] -= 1
    dscores /= N
    dW2 = hidden.T.dot(dscores) + reg * W2
    db2 = np.sum(dscores, axis=0)
    dhidden = dscores.dot(W2.T)
    dhidden[hidden <= 0] = 0
    dW1 = X.T.dot(dhidden) + reg * W1
    db1 = np.sum(dhidden, axis=0)
    return loss, {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}


def sgd_step(X, y, params, learning_rate=0.5):
    loss, grads = loss_and_grads(X, y, params["W1"], params["b1"], params["W2"], params["b2"])
    for name in params:
        params[name] += -learning_rate * grads[name]
    return loss


def _inputs(scale, *, step):
    rng = np.random.default_rng(3)
    n, d, h, k = (16, 5, 8, 3) if scale == "test" else (512, 64, 128, 10)
    X, y = rng.normal(size=(n, d)), rng.integers(0, k, n)
    params = {"W1": 0.1 * rng.normal(size=(d, h)), "b1": np.zeros(h), "W2": 0.1 * rng.normal(size=(h, k)),
              "b2": np.zeros(k)}
    return (X, y, params) if step else (X, y, params["W1"], params["b1"], params["W2"], params["b2"])


PROGRAMS = {
    "loss_and_grads": Program(loss_and_grads, lambda scale: _inputs(scale, step=False)),
    "sgd_step": Program(sgd_step, lambda scale: _inputs(scale, step=True), mutates=True),
}
