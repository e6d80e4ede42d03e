"""Lux's loss functions: frozen dataclasses usable as `loss(y_pred, y)` and as training objectives.

    loss = lux.CrossEntropyLoss(logits=True, label_smoothing=0.1)
    loss(y_pred, y)                      # a scalar (agg=np.mean); agg=None gives the unreduced losses
    loss(model, ps, st, (x, y))          # (loss, st, {}): an objective for lux.Training

Layout is batch first, the class axis last: Lux's `dims=1` is `axis=-1` here. Each loss runs eagerly on
NumPy arrays and unchanged under `tracer.jit`. The families live in `regression`, `classification` and
`similarity`; the contract (input checks, `agg`, the objective form) in `core`.
"""

from lux.losses.classification import (
    BinaryCrossEntropyLoss, BinaryFocalLoss, CrossEntropyLoss, FocalLoss, HingeLoss, KLDivergenceLoss,
    SquaredHingeLoss,
)
from lux.losses.core import AbstractLoss, LossError, LossTypeError
from lux.losses.regression import GenericLossFunction, HuberLoss, MAELoss, MSELoss, MSLELoss, PoissonLoss
from lux.losses.similarity import DiceCoeffLoss, SiameseContrastiveLoss

__all__ = [
    "AbstractLoss", "BinaryCrossEntropyLoss", "BinaryFocalLoss", "CrossEntropyLoss", "DiceCoeffLoss",
    "FocalLoss", "GenericLossFunction", "HingeLoss", "HuberLoss", "KLDivergenceLoss", "LossError",
    "LossTypeError", "MAELoss", "MSELoss", "MSLELoss", "PoissonLoss", "SiameseContrastiveLoss",
    "SquaredHingeLoss",
]
