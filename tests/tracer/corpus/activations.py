"""Activations, a dense layer and batch normalisation with their gradients, in a numpy-ml-like style.

Idioms: small classes with `fn` and `grad` methods that copy and write through masks (`_z[z < 0] *= alpha`,
`out[x <= 0] = 0`), np.where for the smooth ones, one-hot targets from `np.eye(k)[y]`, and a batch-norm
layer whose training pass updates the running statistics held in a dict argument in place.
"""

from __future__ import annotations

import numpy as np

from corpus import Program


class LeakyReLU:
    def __init__(self, alpha=0.3):
        self.alpha = alpha

    def fn(self, z):
        _z = z.copy()
        _z[z < 0] = _z[z < 0] * self.alpha
        return _z

    def grad(self, x):
        out = np.ones_like(x)
        out[x < 0] *= self.alpha
        return out


class ELU:
    def __init__(self, alpha=1.0):
        self.alpha = alpha

    def fn(self, z):
        return np.where(z > 0, z, self.alpha * (np.exp(z) - 1))

    def grad(self, x):
        return np.where(x > 0, np.ones_like(x), self.fn(x) + self.alpha)


class ReLU:
    def fn(self, z):
        return np.clip(z, 0, np.inf)

    def grad(self, x):
        out = np.ones_like(x)
        out[x <= 0] = 0
        return out


def activation_table(z):
    results = {}
    for name, act in {"leaky": LeakyReLU(), "elu": ELU(), "relu": ReLU()}.items():
        results[name] = (act.fn(z), act.grad(z))
    return results


def dense_softmax_loss(X, y, W, b):
    """Forward and backward of a dense layer with softmax cross-entropy, one-hot targets by np.eye."""
    n, k = X.shape[0], W.shape[1]
    Z = X @ W + b
    Z = Z - Z.max(axis=1, keepdims=True)
    P = np.exp(Z)
    P /= P.sum(axis=1, keepdims=True)
    Y = np.eye(k)[y]
    loss = -np.sum(Y * np.log(P + 1e-12)) / n
    dZ = (P - Y) / n
    return loss, X.T @ dZ, dZ.sum(axis=0)


def batchnorm_train(x, gamma, beta, running, momentum=0.9, eps=1e-5):
    mean, var = x.mean(axis=0), x.var(axis=0)
    running["mean"][:] = momentum * running["mean"] + (1 - momentum) * mean
    running["var"] *= momentum
    running["var"] += (1 - momentum) * var
    x_hat = (x - mean) / np.sqrt(var + eps)
    return gamma * x_hat + beta


def _inputs(scale, kind):
    rng = np.random.default_rng(9)
    n, d, k = (12, 6, 4) if scale == "test" else (1024, 256, 10)
    if kind == "table":
        return (rng.normal(size=(n, d)),)
    if kind == "dense":
        return rng.normal(size=(n, d)), rng.integers(0, k, n), rng.normal(size=(d, k)), np.zeros(k)
    return rng.normal(size=(n, d)), np.ones(d), np.zeros(d), {"mean": np.zeros(d), "var": np.ones(d)}


PROGRAMS = {
    "activation_table": Program(activation_table, lambda scale: _inputs(scale, "table")),
    "dense_softmax_loss": Program(dense_softmax_loss, lambda scale: _inputs(scale, "dense")),
    "batchnorm_train": Program(batchnorm_train, lambda scale: _inputs(scale, "bn"), mutates=True),
}
