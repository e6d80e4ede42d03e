"""Elementwise regression losses: each is a function of one prediction and its target, reduced by `agg`.

Every loss here takes `y_pred` and `y` of the same shape (any shape) and returns `agg` of an array
of that shape: a scalar for `agg=np.mean` (the default) or `np.sum`, the array itself for `agg=None`.
"""

from __future__ import annotations

import dataclasses
from typing import Callable

import numpy as np

from lux.losses.core import AbstractLoss, LossTypeError, check_number, epsilon_for, lossclass
from lux.ops import xlogy

__all__ = ["GenericLossFunction", "HuberLoss", "MAELoss", "MSELoss", "MSLELoss", "PoissonLoss"]

@lossclass
class GenericLossFunction(AbstractLoss):
    """Any elementwise loss `fn(y_pred, y)`, reduced with `agg`.

    Arguments:
        fn: a function of two arrays of the same shape returning the per-element losses, written with
            NumPy calls so it also runs traced (e.g. `lambda y_pred, y: np.square(y_pred - y)`). Define
            it once: the loss is a static argument of `jit`, and a new lambda is a new program.
        agg: how the losses are reduced: np.mean (default), np.sum, None for no reduction, or any function.

    Inputs:
        y_pred, y: arrays of the same shape, cast to one floating dtype before `fn` sees them.

    Returns:
        agg(fn(y_pred, y)).
    """

    fn: Callable = dataclasses.field(kw_only=False)
    agg: Callable | str | None = np.mean

    def check(self):
        if not callable(self.fn):
            raise LossTypeError(f"GenericLossFunction: fn must be a function of (y_pred, y), got {self.fn!r}",
                                fix="pass a function, e.g. GenericLossFunction(lambda y_pred, y: np.abs(y_pred - y))")

    def unreduced(self, y_pred, y):
        return self.fn(y_pred, y)


@lossclass
class MSELoss(AbstractLoss):
    """Mean squared error.

    Arguments:
        agg: how the losses are reduced: np.mean (default), np.sum, None for no reduction, or any function.

    Inputs:
        y_pred, y: arrays of the same shape.

    Returns:
        agg((y_pred - y) ** 2).
    """

    agg: Callable | str | None = np.mean

    def unreduced(self, y_pred, y):
        return np.square(y_pred - y)


@lossclass
class MAELoss(AbstractLoss):
    """Mean absolute error.

    Arguments:
        agg: how the losses are reduced: np.mean (default), np.sum, None for no reduction, or any function.

    Inputs:
        y_pred, y: arrays of the same shape.

    Returns:
        agg(|y_pred - y|).
    """

    agg: Callable | str | None = np.mean

    def unreduced(self, y_pred, y):
        return np.abs(y_pred - y)


@lossclass
class MSLELoss(AbstractLoss):
    """Mean squared logarithmic error.

    Arguments:
        agg: how the losses are reduced: np.mean (default), np.sum, None for no reduction, or any function.
        epsilon: added to both `y_pred` and `y` so that zeros have a logarithm; None (default) is the
            machine epsilon of the inputs' floating dtype.

    Inputs:
        y_pred, y: arrays of the same shape, non-negative.

    Returns:
        agg(log((y_pred + epsilon) / (y + epsilon)) ** 2).
    """

    agg: Callable | str | None = np.mean
    epsilon: float | None = None

    def check(self):
        check_number(self, "epsilon", self.epsilon, optional=True)

    def unreduced(self, y_pred, y):
        eps = epsilon_for(self, y_pred.dtype)
        # One logarithm of the ratio: half the transcendental work of log(a) - log(b).
        return np.square(np.log((y_pred + eps) / (y + eps)))


@lossclass
class HuberLoss(AbstractLoss):
    """Huber loss: quadratic for errors up to `delta`, linear beyond.

    Arguments:
        delta: where the quadratic part ends (> 0, default 1).
        agg: how the losses are reduced: np.mean (default), np.sum, None for no reduction, or any function.

    Inputs:
        y_pred, y: arrays of the same shape.

    Returns:
        agg(L) with, for d = |y_pred - y|, L = d**2 / 2 where d <= delta, else delta * (d - delta / 2).
    """

    delta: float = 1
    agg: Callable | str | None = np.mean

    def check(self):
        check_number(self, "delta", self.delta, strict=True)

    def unreduced(self, y_pred, y):
        d = np.abs(y_pred - y)
        return np.where(d <= self.delta, 0.5 * np.square(d), self.delta * (d - 0.5 * self.delta))


@lossclass
class PoissonLoss(AbstractLoss):
    """Poisson negative log-likelihood (without the log(y!) term, which does not depend on `y_pred`).

    Arguments:
        agg: how the losses are reduced: np.mean (default), np.sum, None for no reduction, or any function.
        epsilon: added to `y_pred` inside the logarithm; None (default) is the machine epsilon of the
            inputs' floating dtype.

    Inputs:
        y_pred: predicted rates (> 0); y: observed counts, of the same shape.

    Returns:
        agg(y_pred - y * log(y_pred + epsilon)), with 0 for the log term where y == 0.
    """

    agg: Callable | str | None = np.mean
    epsilon: float | None = None

    def check(self):
        check_number(self, "epsilon", self.epsilon, optional=True)

    def unreduced(self, y_pred, y):
        return y_pred - xlogy(y, y_pred + epsilon_for(self, y_pred.dtype))
