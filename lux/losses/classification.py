"""Classification losses: cross entropies, focal losses, KL divergence and hinge losses.

Layout is batch first with the classes on the LAST axis (Lux's `dims=1` is our `axis=-1`): a batch
of 5 one-hot targets over 3 classes has shape (5, 3). The multi-class losses (CrossEntropyLoss,
FocalLoss, KLDivergenceLoss) sum over `axis` and reduce the per-sample losses (the input's shape
without `axis`) with `agg`; the binary and hinge losses are elementwise.

Probabilities are kept away from log(0) by adding `epsilon` (default: the machine epsilon of the
inputs' dtype); with `logits=True` the log-probabilities come from a log-softmax (or log-sigmoid)
computed without overflow, and `epsilon` is not used. A zero target contributes exactly 0, even
where its probability is 0 (`0 * log(0)` is taken as 0, not NaN).
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

import tracer
from lux.activations import logsigmoid
from lux.losses.core import (
    AbstractLoss, check_axis, check_flag, check_number, epsilon_for, lossclass, smooth_labels,
)
from lux.ops import xlogx, xlogy

__all__ = [
    "BinaryCrossEntropyLoss", "BinaryFocalLoss", "CrossEntropyLoss", "FocalLoss", "HingeLoss",
    "KLDivergenceLoss", "SquaredHingeLoss",
]


def _classes(y, axes: tuple[int, ...]) -> int:
    return math.prod(np.shape(y)[a] for a in axes)


def _sum(values, axes: tuple[int, ...]):
    return np.sum(values, axis=axes if len(axes) > 1 else axes[0])


def _times(y, log_p):
    """y * log_p with 0 where y == 0, also where log_p is -inf (a class masked out by a -inf logit)."""
    # log_p is replaced (not the product masked) so that no 0 * -inf NaN is ever formed.
    return y * np.where(np.equal(y, 0), np.zeros_like(log_p), log_p)


@lossclass
class CrossEntropyLoss(AbstractLoss):
    """Cross entropy between target distributions (one-hot or soft) and predicted probabilities or logits.

    Arguments:
        agg: how the per-sample losses are reduced: np.mean (default), np.sum, None for no reduction, or any function.
        epsilon: added to the probabilities inside the logarithm; None (default) is the machine epsilon
            of the inputs' floating dtype. Not used with `logits=True`.
        axis: the class axis (default -1, the last: Lux's `dims=1`); an int or a tuple of ints.
        logits: True when `y_pred` holds unnormalised scores; a log-softmax over `axis` is taken first.
        label_smoothing: None (default) or a in [0, 1]: the targets become (1 - a) * y + a / K for K classes.

    Inputs:
        y_pred: probabilities (a softmax output) or, with `logits=True`, scores, e.g. of shape (batch, K).
        y: targets of the same shape, summing to 1 over `axis`.

    Returns:
        agg(-sum over axis of y * log(y_pred + epsilon)) (log_softmax(y_pred) for logits); the per-sample
        losses have the inputs' shape without `axis`.
    """

    agg: Callable | str | None = np.mean
    epsilon: float | None = None
    axis: int | tuple[int, ...] = -1
    logits: bool = False
    label_smoothing: float | None = None

    def check(self):
        check_number(self, "epsilon", self.epsilon, optional=True)
        check_axis(self, self.axis)
        check_flag(self, "logits", self.logits)
        check_number(self, "label_smoothing", self.label_smoothing, high=1, optional=True)

    def unreduced(self, y_pred, y):
        axes = check_axis(self, self.axis, np.ndim(y_pred))
        y = smooth_labels(y, self.label_smoothing, _classes(y, axes))
        if self.logits:
            log_p = y_pred - tracer.logsumexp(y_pred, axis=axes, keepdims=True)
            return -_sum(_times(y, log_p), axes)
        return -_sum(xlogy(y, y_pred + epsilon_for(self, y_pred.dtype)), axes)


@lossclass
class BinaryCrossEntropyLoss(AbstractLoss):
    """Binary cross entropy, elementwise, from probabilities or (fused, stably) from logits.

    Arguments:
        agg: how the losses are reduced: np.mean (default), np.sum, None for no reduction, or any function.
        epsilon: added inside both logarithms; None (default) is the machine epsilon of the inputs'
            floating dtype. Not used with `logits=True`.
        label_smoothing: None (default) or a in [0, 1]: the targets become (1 - a) * y + a / 2.
        logits: True when `y_pred` holds scores; the log-sigmoid is computed without overflow.

    Inputs:
        y_pred: probabilities in [0, 1] (a sigmoid output) or, with `logits=True`, scores.
        y: targets in [0, 1] (booleans are fine), of the same shape.

    Returns:
        agg(-y * log(y_pred + epsilon) - (1 - y) * log(1 - y_pred + epsilon)), or for logits
        agg((1 - y) * y_pred - log(sigmoid(y_pred))), which is the same function of the scores.
    """

    agg: Callable | str | None = np.mean
    epsilon: float | None = None
    label_smoothing: float | None = None
    logits: bool = False

    def check(self):
        check_number(self, "epsilon", self.epsilon, optional=True)
        check_number(self, "label_smoothing", self.label_smoothing, high=1, optional=True)
        check_flag(self, "logits", self.logits)

    def unreduced(self, y_pred, y):
        y = smooth_labels(y, self.label_smoothing, 2)
        if self.logits:
            return (1 - y) * y_pred - logsigmoid(y_pred)
        eps = epsilon_for(self, y_pred.dtype)
        return -(xlogy(y, y_pred + eps) + xlogy(1 - y, 1 - y_pred + eps))


@lossclass
class FocalLoss(AbstractLoss):
    """Focal loss: cross entropy with each class's term weighted by (1 - p) ** gamma, so that
    well-classified samples count less. `gamma=0` is CrossEntropyLoss.

    Arguments:
        gamma: the focusing exponent (>= 0, default 2).
        axis: the class axis (default -1, the last: Lux's `dims=1`); an int or a tuple of ints.
        agg: how the per-sample losses are reduced: np.mean (default), np.sum, None for no reduction, or any function.
        epsilon: added to the probabilities (p = y_pred + epsilon, in the weight and the logarithm);
            None (default) is the machine epsilon of the inputs' floating dtype.

    Inputs:
        y_pred: probabilities (a softmax output), e.g. of shape (batch, K); y: targets of the same shape.

    Returns:
        agg(-sum over axis of y * (1 - p) ** gamma * log(p)); the per-sample losses have the inputs'
        shape without `axis`.
    """

    gamma: float = 2
    axis: int | tuple[int, ...] = -1
    agg: Callable | str | None = np.mean
    epsilon: float | None = None

    def check(self):
        check_number(self, "gamma", self.gamma)
        check_axis(self, self.axis)
        check_number(self, "epsilon", self.epsilon, optional=True)

    def unreduced(self, y_pred, y):
        axes = check_axis(self, self.axis, np.ndim(y_pred))
        p = y_pred + epsilon_for(self, y_pred.dtype)
        # 1 - p is -epsilon where y_pred == 1: clamped, so that a fractional gamma gives 0, not NaN.
        weight = np.maximum(1 - p, 0) ** self.gamma
        return -_sum(xlogy(y * weight, p), axes)


@lossclass
class BinaryFocalLoss(AbstractLoss):
    """Binary focal loss: binary cross entropy with the positive term weighted by (1 - y_pred) ** gamma
    and the negative term by y_pred ** gamma. `gamma=0` is BinaryCrossEntropyLoss, for soft targets too.

    Arguments:
        gamma: the focusing exponent (>= 0, default 2).
        agg: how the losses are reduced: np.mean (default), np.sum, None for no reduction, or any function.
        epsilon: added inside both logarithms; None (default) is the machine epsilon of the inputs' dtype.

    Inputs:
        y_pred: probabilities in [0, 1]; y: targets in [0, 1], of the same shape.

    Returns:
        agg(-y * (1 - y_pred) ** gamma * log(y_pred + epsilon)
            - (1 - y) * y_pred ** gamma * log(1 - y_pred + epsilon)).
    """

    gamma: float = 2
    agg: Callable | str | None = np.mean
    epsilon: float | None = None

    def check(self):
        check_number(self, "gamma", self.gamma)
        check_number(self, "epsilon", self.epsilon, optional=True)

    def unreduced(self, y_pred, y):
        eps = epsilon_for(self, y_pred.dtype)
        positive = xlogy(y * (1 - y_pred) ** self.gamma, y_pred + eps)
        negative = xlogy((1 - y) * y_pred ** self.gamma, 1 - y_pred + eps)
        return -(positive + negative)


@lossclass
class KLDivergenceLoss(AbstractLoss):
    """Kullback-Leibler divergence KL(y || y_pred) of the predicted distribution from the target one:
    >= 0, and 0 only where the two are equal.

    Arguments:
        axis: the class axis (default -1, the last: Lux's `dims=1`); an int or a tuple of ints.
        agg: how the per-sample losses are reduced: np.mean (default), np.sum, None for no reduction, or any function.
        epsilon: added to `y_pred` inside the logarithm; None (default) is the machine epsilon of the
            inputs' floating dtype; 0 gives inf where y_pred is 0 and y is not.
        label_smoothing: None (default) or a in [0, 1], applied to `y` as in CrossEntropyLoss.

    Inputs:
        y_pred: probabilities, e.g. of shape (batch, K); y: target probabilities of the same shape.

    Returns:
        agg(sum over axis of y * log(y) - y * log(y_pred + epsilon)), with 0 for the terms where y == 0.
    """

    axis: int | tuple[int, ...] = -1
    agg: Callable | str | None = np.mean
    epsilon: float | None = None
    label_smoothing: float | None = None

    def check(self):
        check_axis(self, self.axis)
        check_number(self, "epsilon", self.epsilon, optional=True)
        check_number(self, "label_smoothing", self.label_smoothing, high=1, optional=True)

    def unreduced(self, y_pred, y):
        axes = check_axis(self, self.axis, np.ndim(y_pred))
        y = smooth_labels(y, self.label_smoothing, _classes(y, axes))
        # Entropy minus cross entropy, per element: equal distributions cancel exactly to 0.
        return _sum(xlogx(y) - xlogy(y, y_pred + epsilon_for(self, y_pred.dtype)), axes)


@lossclass
class HingeLoss(AbstractLoss):
    """Hinge loss, as used by support vector machines.

    Arguments:
        agg: how the losses are reduced: np.mean (default), np.sum, None for no reduction, or any function.

    Inputs:
        y_pred: scores; y: labels in {-1, 1}, of the same shape.

    Returns:
        agg(max(0, 1 - y * y_pred)).
    """

    agg: Callable | str | None = np.mean

    def unreduced(self, y_pred, y):
        return np.maximum(0, 1 - y * y_pred)


@lossclass
class SquaredHingeLoss(AbstractLoss):
    """Squared hinge loss: the hinge loss squared, smooth at the margin.

    Arguments:
        agg: how the losses are reduced: np.mean (default), np.sum, None for no reduction, or any function.

    Inputs:
        y_pred: scores; y: labels in {-1, 1}, of the same shape.

    Returns:
        agg(max(0, 1 - y * y_pred) ** 2).
    """

    agg: Callable | str | None = np.mean

    def unreduced(self, y_pred, y):
        return np.square(np.maximum(0, 1 - y * y_pred))
