"""Losses on whole samples or on pairs: the Dice coefficient (segmentation) and the contrastive loss
(Siamese networks)."""

from __future__ import annotations

from typing import Callable

import numpy as np

from lux.losses.core import AbstractLoss, check_number, lossclass

__all__ = ["DiceCoeffLoss", "SiameseContrastiveLoss"]


@lossclass
class DiceCoeffLoss(AbstractLoss):
    """Dice coefficient loss, 1 - Dice(y_pred, y), per sample: like 1 - F1 for soft masks.

    Arguments:
        smooth: added to the numerator and the denominator (>= 0, default 1): an empty mask predicted
            empty scores 1, and nothing divides by 0.
        agg: how the per-sample losses are reduced: np.mean (default), np.sum, None for no reduction, or any function.

    Inputs:
        y_pred, y: arrays of the same shape, batch first: (batch, ...) gives one loss per sample, summed
        over all the other axes. A 1-D input is one sample.

    Returns:
        agg(1 - (2 * sum(y * y_pred) + smooth) / (sum(y ** 2) + sum(y_pred ** 2) + smooth)).
    """

    smooth: float = 1
    agg: Callable | str | None = np.mean

    def check(self):
        check_number(self, "smooth", self.smooth)

    def unreduced(self, y_pred, y):
        # Lux sums over every dimension but the last (the batch); ours is the first. A vector is one sample.
        axes = tuple(range(1, np.ndim(y))) if np.ndim(y) > 1 else None
        overlap = 2 * np.sum(y * y_pred, axis=axes) + self.smooth
        total = np.sum(np.square(y), axis=axes) + np.sum(np.square(y_pred), axis=axes) + self.smooth
        return 1 - overlap / total


@lossclass
class SiameseContrastiveLoss(AbstractLoss):
    """Contrastive loss for Siamese networks: similar pairs (y = 0) are pulled together, dissimilar ones
    (y = 1) pushed at least `margin` apart.

    Arguments:
        margin: the distance beyond which dissimilar pairs cost nothing (>= 0, default 1).
        agg: how the losses are reduced: np.mean (default), np.sum, None for no reduction, or any function.

    Inputs:
        y_pred: distances between the two embeddings of each pair; y: 0 for similar, 1 for dissimilar
        pairs, of the same shape.

    Returns:
        agg((1 - y) * y_pred ** 2 + y * max(0, margin - y_pred) ** 2).
    """

    margin: float = 1
    agg: Callable | str | None = np.mean

    def check(self):
        check_number(self, "margin", self.margin)

    def unreduced(self, y_pred, y):
        return (1 - y) * np.square(y_pred) + y * np.square(np.maximum(0, self.margin - y_pred))
