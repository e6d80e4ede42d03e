"""The loss contract: a frozen dataclass of hyperparameters, called two ways.

    loss(y_pred, y)                   -> agg(per-element or per-sample losses)
    loss(model, ps, st, (x, y))       -> (loss(y_pred, y), st, {})   with y_pred, st = lux.apply(model, x, ps, st)

The second form is an objective for the training API. A loss is hashable, so it can be a static
argument of `tracer.jit`; its hyperparameters are Python numbers, constants of the traced program.

Inputs are prepared once, here, for every loss: lists become arrays, `y_pred` and `y` must have the
same shape, and both are cast to one floating dtype (the floating dtypes among them promoted, or
float64 when both are integers or booleans). Integer and boolean targets therefore never widen
float32 predictions, as in Julia, where `Float32` and `Int` promote to `Float32`.
"""

from __future__ import annotations

import builtins
import dataclasses
import numbers
from typing import Callable

import ml_dtypes
import numpy as np

from lux.core import apply
from lux.errors import LuxTypeError, LuxValueError

__all__ = ["AbstractLoss", "LossError", "LossTypeError"]


# -- errors --------------------------------------------------------------------------------------

class LossError(LuxValueError):
    """A loss was given a value it cannot use: a hyperparameter out of range, an unknown `agg` name,
    targets whose shape differs from the predictions', an axis the inputs do not have."""


class LossTypeError(LuxTypeError):
    """A loss was given the wrong kind of thing: an `agg` that is not callable, a non-numeric array,
    data that is not an `(x, y)` pair, or a call with neither 2 nor 4 arguments."""


# -- aggregation ---------------------------------------------------------------------------------

# Names and common spellings of the reductions, each mapped to the NumPy function that runs eagerly
# and traced. Python's `sum` is Julia's `sum` as users type it, but it adds along the first axis only
# (a 2-D array gives a row), so it means np.sum here.
AGGREGATORS = {"mean": np.mean, "sum": np.sum, np.mean: np.mean, np.sum: np.sum, builtins.sum: np.sum}
_NO_AGG = ("none", "identity")


def aggregator(agg, owner: str = "loss"):
    """The canonical form of an `agg` argument: np.mean, np.sum, None (no reduction) or the callable itself."""
    if agg is None or (isinstance(agg, str) and agg in _NO_AGG):
        return None
    if isinstance(agg, str):
        if agg not in AGGREGATORS:
            raise LossError(f"{owner}: unknown agg {agg!r}",
                            fix="use agg='mean' (the default), 'sum', None for the unreduced losses, "
                                "or a function of one array")
        return AGGREGATORS[agg]
    if not callable(agg):
        raise LossTypeError(f"{owner}: agg must be a function or one of 'mean', 'sum', None; "
                            f"got {agg!r} ({type(agg).__name__})",
                            fix="pass agg=np.mean, agg=np.sum, agg=None, or any function that reduces one array")
    try:
        return AGGREGATORS.get(agg, agg)
    except TypeError:  # unhashable: a loss is a static argument of jit, so its agg must hash
        raise LossTypeError(f"{owner}: agg {agg!r} is not hashable, so the loss could not be a static argument of jit",
                            fix="pass a plain function (def or lambda) as agg") from None


def _agg_name(agg) -> str:
    return "None" if agg is None else getattr(agg, "__name__", repr(agg))


# -- hyperparameter checks -----------------------------------------------------------------------

def check_number(loss, name: str, value, *, low: float = 0, high: float | None = None,
                 strict: bool = False, optional: bool = False) -> None:
    """Raise unless `value` is a real number in [low, high] (low excluded when `strict`), or None if `optional`."""
    if value is None and optional:
        return
    what = f"{'> ' if strict else '>= '}{low}" + (f" and <= {high}" if high is not None else "")
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise LossTypeError(f"{type(loss).__name__}: {name} must be a real number {what}"
                            f"{' or None' if optional else ''}, got {value!r}",
                            fix=f"pass {name} as a Python number{', or None for the default' if optional else ''}")
    too_low = value <= low if strict else value < low
    if value != value or too_low or (high is not None and value > high):
        raise LossError(f"{type(loss).__name__}: {name} must be {what}, got {value!r}",
                        fix=f"pass a {name} {what}" + (" (or None for the default)" if optional else ""))


def check_flag(loss, name: str, value) -> None:
    if not isinstance(value, (bool, np.bool_)):
        raise LossTypeError(f"{type(loss).__name__}: {name} must be True or False, got {value!r}",
                            fix=f"pass {name}=True or {name}=False")


def check_axis(loss, axis, ndim: int | None = None) -> tuple[int, ...]:
    """`axis` (an int or a tuple of ints) as non-negative axes of an `ndim`-dimensional input, or a clear
    error; without `ndim` (at construction), only its type is checked."""
    axes = axis if isinstance(axis, tuple) else (axis,)
    if not axes or not all(isinstance(a, (int, np.integer)) and not isinstance(a, bool) for a in axes):
        raise LossTypeError(f"{type(loss).__name__}: axis must be an int or a tuple of ints, got {axis!r}",
                            fix="pass axis=-1 (the class axis is the last one: Lux's dims=1)")
    if ndim is None:
        return tuple(axes)
    if not all(-ndim <= a < ndim for a in axes):
        raise LossError(f"{type(loss).__name__}: axis {axis!r} is out of range for inputs of {ndim} dimensions",
                        fix=f"use an axis in [{-ndim}, {ndim}); the class axis is usually the last, axis=-1")
    normalized = tuple(int(a) % ndim for a in axes)
    if len(set(normalized)) != len(normalized):
        raise LossError(f"{type(loss).__name__}: axis {axis!r} names an axis twice",
                        fix="list each class axis once")
    return normalized


# -- inputs --------------------------------------------------------------------------------------

_BFLOAT16 = np.dtype(ml_dtypes.bfloat16)


def _is_float(dtype) -> bool:
    return np.dtype(dtype).kind == "f" or np.dtype(dtype) == _BFLOAT16


def _as_array(value):
    # NumPy and traced arrays pass through; lists, ranges and Python numbers become NumPy arrays.
    return value if hasattr(value, "shape") and hasattr(value, "dtype") else np.asarray(value)


def prepare(loss, y_pred, y):
    """(y_pred, y) as arrays of one floating dtype and the same shape, or a clear error."""
    y_pred, y = _as_array(y_pred), _as_array(y)
    for name, value in (("y_pred", y_pred), ("y", y)):
        if np.dtype(value.dtype).kind not in "biuf" and np.dtype(value.dtype) != _BFLOAT16:
            raise LossTypeError(f"{type(loss).__name__}: {name} has dtype {value.dtype}, not a real number type",
                                fix=f"pass {name} as an array of floats, integers or booleans")
    if tuple(y_pred.shape) != tuple(y.shape):
        raise LossError(f"{type(loss).__name__}: predictions of shape {tuple(y_pred.shape)} and targets of shape "
                        f"{tuple(y.shape)} differ",
                        fix="give y the shape of y_pred: batch first, classes on the last axis (one-hot targets "
                            "for classification)")
    floats = [np.dtype(v.dtype) for v in (y_pred, y) if _is_float(v.dtype)]
    dtype = np.result_type(*floats) if floats else np.dtype(np.float64)
    return tuple(v if np.dtype(v.dtype) == dtype else v.astype(dtype) for v in (y_pred, y))


def epsilon_for(loss, dtype) -> float:
    """The loss's `epsilon`, or the machine epsilon of `dtype` when it is None (Lux's `eps(T)`)."""
    return float(ml_dtypes.finfo(dtype).eps) if loss.epsilon is None else float(loss.epsilon)


def smooth_labels(y, label_smoothing, classes: int):
    """(1 - a) * y + a / classes, or y unchanged when `label_smoothing` is None."""
    if label_smoothing is None:
        return y
    return y * (1 - label_smoothing) + label_smoothing / classes


# -- the base class ------------------------------------------------------------------------------

def lossclass(cls):
    """Declare a loss: a frozen (hashable), keyword-only dataclass with Lux's constructor-style repr."""
    return dataclasses.dataclass(frozen=True, repr=False, kw_only=True)(cls)


class AbstractLoss:
    """Base of the losses. A subclass is declared with `@lossclass`, has an `agg` field, checks its
    hyperparameters in `check()` and computes the unreduced losses in `unreduced(y_pred, y)` from
    prepared inputs (same shape, one floating dtype)."""

    agg: Callable | None

    def __post_init__(self):
        object.__setattr__(self, "agg", aggregator(self.agg, type(self).__name__))
        self.check()

    def check(self) -> None:
        """Raise LossError/LossTypeError for hyperparameters out of range (subclasses with any)."""

    def unreduced(self, y_pred, y):
        raise NotImplementedError(f"{type(self).__name__} defines no unreduced(y_pred, y)")

    def __call__(self, *args):
        if len(args) == 2:
            y_pred, y = prepare(self, *args)
            # log(0) = -inf is a documented result (epsilon=0 with a zero prediction); NumPy need not warn.
            with np.errstate(divide="ignore"):
                values = self.unreduced(y_pred, y)
                return values if self.agg is None else self.agg(values)
        if len(args) == 4:
            return self.objective(*args)
        raise LossTypeError(f"{self!r} was called with {len(args)} arguments",
                            fix="call loss(y_pred, y), or loss(model, ps, st, (x, y)) as a training objective")

    def objective(self, model, ps, st, data):
        """The training objective: (loss of model's output on x against y, the updated state, {})."""
        if not isinstance(data, (tuple, list)) or len(data) != 2:
            got = f"a {type(data).__name__}" + (f" of length {len(data)}" if isinstance(data, (tuple, list)) else "")
            raise LossTypeError(f"{self!r} as an objective takes data as a pair (x, y), got {got}",
                                fix="call loss(model, ps, st, (x, y))")
        x, y = data
        y_pred, st = apply(model, x, ps, st)
        return self(y_pred, y), st, {}

    def __repr__(self) -> str:
        shown = []
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if not field.kw_only:
                shown.append(_show(field.name, value))
            elif field.default is not dataclasses.MISSING and _same(field, value):
                continue
            else:
                shown.append(f"{field.name}={_show(field.name, value)}")
        return f"{type(self).__name__}({', '.join(shown)})"


def _same(field, value) -> bool:
    default = aggregator(field.default) if field.name == "agg" else field.default
    return value is default or (isinstance(value, bool) == isinstance(default, bool) and value == default)


def _show(name: str, value) -> str:
    if name == "agg":
        return _agg_name(value)
    if callable(value):
        return getattr(value, "__name__", repr(value))
    return repr(value)
