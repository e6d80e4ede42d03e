"""Dropout layers (Lux's dropout.jl / LuxLib): Dropout, AlphaDropout, VariationalHiddenDropout.

Randomness lives in the state: `st['rng']` is a `tracer.random` key (uint64[2]) drawn from the
setup generator. Each call in training mode splits it, draws the mask from one half and returns
the other as the new `st['rng']`, so successive calls differ, and the same state gives the same mask
eagerly and compiled (tracer.random makes the same bits both ways). In test mode (`lux.testmode`)
every dropout is the identity and the state comes back unchanged.

Lux's rule for the mask: u uniform in [0, 1), keep where u > p, and scale what is kept by 1/(1-p).
"""

from __future__ import annotations

from dataclasses import KW_ONLY

import numpy as np

import tracer
from lux.core import AbstractLayer, layer
from lux.errors import LayerInputError, LuxValueError
from lux.layers.basic import NoOpLayer, WrappedFunction
from lux.layers.normalize import training_flag

__all__ = ["AlphaDropout", "Dropout", "VariationalHiddenDropout"]

# SELU's negative saturation value -scale * alpha: dropped units of AlphaDropout take it.
ALPHA_PRIME = -1.7580993408473766


def _check_probability(cls: str, p) -> float:
    p = float(p)
    if not 0 <= p <= 1:
        raise LuxValueError(f"{cls}: the dropout probability must be in [0, 1], got p={p}", fix="pass 0 <= p <= 1")
    return p


def _is_probability(p, value: float) -> bool:
    return isinstance(p, (int, float, np.integer, np.floating)) and not isinstance(p, bool) and p == value


def _new_layer(cls, p, *, zero_layer=None, one_layer=None):
    """Lux's constructors return simpler layers for the trivial probabilities: a NoOpLayer for p = 0
    (and, for AlphaDropout, a layer of zeros for p = 1). Anything else builds `cls` as usual
    (`cls.__new__(cls)` without p is how copy and pickle rebuild a layer)."""
    if zero_layer is not None and _is_probability(p, 0):
        return zero_layer()
    if one_layer is not None and _is_probability(p, 1):
        return one_layer()
    return object.__new__(cls)


def _check_dims(dims):
    """None (Lux's `:`), an axis, or a tuple of axes, kept hashable."""
    if dims is None or isinstance(dims, (int, np.integer)):
        return None if dims is None else int(dims)
    return tuple(int(d) for d in dims)


def _dims_text(dims) -> str:
    return "" if dims is None else f", dims={dims!r}"


def _initial_key(rng: np.random.Generator) -> np.ndarray:
    return tracer.random.key(int(rng.integers(2**63)))


def _float_dtype(x) -> np.dtype:
    """The dtype the random numbers are drawn in: x's own if it is a float (LuxLib's dropout_fptype)."""
    dtype = np.dtype(x.dtype) if hasattr(x, "dtype") else np.result_type(x)
    return dtype if dtype.kind == "f" else np.dtype(np.float32)


def _rng(layer, st):
    if "rng" not in st:
        raise LayerInputError(f"{layer.summary()} needs a state with an 'rng' key, got {sorted(st)}",
                              fix="build the state with ps, st = lux.setup(rng, model)")
    return st["rng"]


def _draw(layer, st, shape, dtype):
    """(uniform numbers of `shape` in [0, 1), the key to store): one split of st['rng'] per call."""
    keys = tracer.random.split(_rng(layer, st))
    return tracer.random.uniform(keys[1], shape, dtype), keys[0]


def mask_shape(layer, x_shape: tuple[int, ...], dims) -> tuple[int, ...]:
    """Lux's dropout_shape: full size along `dims` (every axis for None), 1 elsewhere."""
    if dims is None:
        return tuple(x_shape)
    ndim = len(x_shape)
    axes = (dims,) if isinstance(dims, int) else dims
    if any(not -ndim <= a < ndim for a in axes):
        raise LayerInputError(f"{layer.summary()} drops along axes {axes}, so it needs an input with those axes, "
                              f"got shape {tuple(x_shape)}", fix=f"pass dims within range({ndim})")
    axes = {a % ndim for a in axes}
    return tuple(size if a in axes else 1 for a, size in enumerate(x_shape))


def _dropout_mask(u, p: float, dtype):
    """(u > p) / (1 - p) in `dtype`; p = 1 drops everything (0, never 0 * inf)."""
    keep_scale = np.inf if p == 1 else 1 / (1 - p)
    return np.where(u > p, dtype.type(keep_scale), dtype.type(0))


@layer
class _MaskDropout(AbstractLayer):
    """What Dropout and VariationalHiddenDropout share: the probability `p`, the axes `dims` the mask
    varies along, Lux's NoOpLayer for p = 0, and the display."""

    p: float
    _: KW_ONLY
    dims: int | tuple | None = None

    def __new__(cls, p=None, *, dims=None):
        return _new_layer(cls, p, zero_layer=NoOpLayer)

    def __post_init__(self):
        self._set_fields(p=_check_probability(type(self).__name__, self.p), dims=_check_dims(self.dims))

    def summary(self) -> str:
        return f"{type(self).__name__}({self.p!r}{_dims_text(self.dims)})"


@layer
class Dropout(_MaskDropout):
    """Dropout: in training mode each entry is zeroed with probability `p`, the rest scaled by 1/(1-p).

    Arguments: `p` in [0, 1]. Keywords: `dims` (None: an independent draw per entry; an axis or tuple
    of our axes: the mask varies only along those and is shared along the others, e.g. dims=(0, 1)
    on NCHW drops whole channels, Lux's dims=(3, 4) on WHCN).
    Inputs: any array `x`. Returns: `x * mask` in training mode, `x` in test mode, and the state
    with a fresh `rng` (unchanged in test mode). As in Lux, `Dropout(0)` builds a `NoOpLayer`.
    States: `rng` (a tracer.random key), `training` (a bool).
    """

    def initialstates(self, rng) -> dict:
        return {"rng": _initial_key(rng), "training": True}

    def statelength(self) -> int:
        return 2  # Lux counts the rng and the training flag as one state each

    def __call__(self, x, ps, st):
        if not training_flag(self, st):
            return x, st
        dtype = _float_dtype(x)
        u, key = _draw(self, st, mask_shape(self, np.shape(x), self.dims), dtype)
        return x * _dropout_mask(u, self.p, dtype), {**st, "rng": key}


@layer
class AlphaDropout(AbstractLayer):
    """Alpha dropout (for SELU networks): keeps zero mean and unit variance of standard normal inputs.

    In training mode each entry is replaced with probability `p` by SELU's saturation value
    alpha' = -1.7581, then everything is mapped by y = A * x + B with A = 1 / sqrt((1-p)(1 + p alpha'^2))
    and B = -A * alpha' * p.

    Arguments: `p` in [0, 1]. As in Lux, `AlphaDropout(0)` builds a `NoOpLayer` and `AlphaDropout(1)`
    a `WrappedFunction(np.zeros_like)` (zeros in every mode).
    Inputs: any float array `x`. Returns: the dropped-out `x` (just `x` in test mode) and the state
    with a fresh `rng`.
    States: `rng` (a tracer.random key), `training` (a bool).
    """

    p: float

    def __new__(cls, p=None):
        return _new_layer(cls, p, zero_layer=NoOpLayer, one_layer=lambda: WrappedFunction(np.zeros_like))

    def __post_init__(self):
        self._set_fields(p=_check_probability("AlphaDropout", self.p))

    def coefficients(self) -> tuple[float, float, float]:
        """(alpha', A, B) of the affine correction."""
        alpha, p = ALPHA_PRIME, self.p
        scale = 1 / np.sqrt((1 - p) * (1 + p * alpha**2))
        return alpha, float(scale), float(-scale * alpha * p)

    def initialstates(self, rng) -> dict:
        return {"rng": _initial_key(rng), "training": True}

    def statelength(self) -> int:
        return 2

    def summary(self) -> str:
        return f"AlphaDropout({self.p!r})"

    def __call__(self, x, ps, st):
        if not training_flag(self, st):
            return x, st
        dtype = _float_dtype(x)
        noise, key = _draw(self, st, tuple(np.shape(x)), dtype)
        alpha, scale, bias = (dtype.type(c) for c in self.coefficients())
        return np.where(noise > self.p, x, alpha) * scale + bias, {**st, "rng": key}


@layer
class VariationalHiddenDropout(_MaskDropout):
    """Dropout whose mask is kept in the state and reused until the state asks for a new one.

    The first training-mode call (and the first after `lux.update_state(st, 'update_mask', True)`)
    draws a mask as Dropout does and stores it in `st['mask']`; later calls reuse it, so a recurrent
    network drops the same units at every time step.

    Arguments: `p` in [0, 1] (`VariationalHiddenDropout(0)` builds a `NoOpLayer`, as in Lux).
    Keywords: `dims` as for Dropout.
    Inputs: any array `x` (its mask shape must match the stored mask's).
    Returns: `x * mask` in training mode, `x` in test mode (state unchanged), and the state.
    States: `rng` (a tracer.random key), `training`, `update_mask` (bools), `mask` (None until drawn,
    then the scaled mask (u > p) / (1 - p) of the mask shape).
    """

    def initialstates(self, rng) -> dict:
        return {"rng": _initial_key(rng), "training": True, "update_mask": True, "mask": None}

    def statelength(self) -> int:
        return 4  # rng, training, update_mask and mask count one each, as in Lux

    def _update_mask(self, st) -> bool:
        flag = st.get("update_mask", True)
        if not isinstance(flag, (bool, np.bool_)):
            raise LayerInputError(f"{self.summary()} needs st['update_mask'] to be a Python bool, got "
                                  f"{type(flag).__name__}",
                                  fix="reset it with lux.update_state(st, 'update_mask', True)")
        return bool(flag) or st.get("mask") is None

    def __call__(self, x, ps, st):
        # (Lux, called in test mode before any mask exists, stores x itself as the mask; we leave
        # the state alone, so the next training call draws a real mask.)
        if not training_flag(self, st):
            return x, st
        shape = mask_shape(self, np.shape(x), self.dims)
        if self._update_mask(st):
            dtype = _float_dtype(x)
            u, key = _draw(self, st, shape, dtype)
            mask = _dropout_mask(u, self.p, dtype)
            st = {**st, "rng": key}
        else:
            mask = st["mask"]
            if tuple(np.shape(mask)) != shape:
                raise LayerInputError(f"{self.summary()} holds a mask of shape {tuple(np.shape(mask))}, but an input of "
                                      f"shape {tuple(np.shape(x))} needs one of shape {shape}",
                                      fix="draw a new mask with st = lux.update_state(st, 'update_mask', True)")
        return x * mask, {**st, "mask": mask, "update_mask": False}
