"""LuxOps: small operations layers and losses share, eager on NumPy and unchanged under `tracer.jit`.

    from lux import LuxOps
    LuxOps.xlogy(y, p)            # 0 where y == 0, even where p == 0
    LuxOps.multigate(x, 4)        # an LSTM's four gates from one (batch, 4 * hidden) array
    LuxOps.istraining(st)         # the state's `training` flag (a Python bool, static under jit)

The functions are also importable one by one (`from lux.ops import xlogy`). Lux's dimension 1
(the feature axis) is our last axis: `multigate` splits the last axis.
"""

from __future__ import annotations

import functools
import types

import numpy as np

from lux.errors import LuxValueError

__all__ = ["LuxOps", "eachslice", "foldl_init", "istraining", "multigate", "rsqrt", "xlogx", "xlogy"]


def xlogx(x):
    """x * log(x), with 0 where x == 0 (the limit from above) instead of NaN."""
    zero = x == 0
    # log(1) = 0 at the zeros: no -inf is formed, so no NaN (and no NumPy warning) to mask away.
    return np.where(zero, 0, x * np.log(np.where(zero, 1, x)))


def xlogy(x, y):
    """x * log(y), with 0 wherever x == 0 (whatever y is: 0, NaN or negative)."""
    zero = np.equal(x, 0)
    product = x * np.log(np.where(zero, 1, y))
    return np.where(zero, np.zeros_like(product), product)


def istraining(st) -> bool:
    """True if `st` is True or a state dict whose `training` flag is True; False otherwise."""
    if isinstance(st, (bool, np.bool_)):
        return bool(st)
    if isinstance(st, dict):
        return istraining(st.get("training", False))
    return False


def multigate(x, n: int) -> tuple:
    """`x` split into `n` equal chunks along its last axis (Lux's dimension 1, the features).

    Inputs: `x` of shape (..., n * h). Returns a tuple of `n` arrays of shape (..., h).
    """
    size = np.shape(x)[-1] if np.ndim(x) else 0
    if n <= 0 or size % n:
        raise LuxValueError(f"multigate: cannot split a last axis of size {size} into {n} equal gates",
                            fix=f"give x a last axis that is a multiple of {n} (got shape {tuple(np.shape(x))})")
    h = size // n
    return tuple(x[..., i * h:(i + 1) * h] for i in range(n))


def rsqrt(x):
    """1 / sqrt(x)."""
    return 1 / np.sqrt(x)


def eachslice(x, axis: int) -> list:
    """The slices x[..., i, ...] along `axis`, in order (Lux's `eachslice(x, Val(dims))`)."""
    ndim = np.ndim(x)
    if not -ndim <= axis < ndim:
        raise LuxValueError(f"eachslice: axis {axis} is out of range for an array of {ndim} dimensions",
                            fix=f"use an axis in [{-ndim}, {ndim})")
    axis %= ndim
    lead = (slice(None),) * axis
    return [x[lead + (i,)] for i in range(np.shape(x)[axis])]


_NO_INIT = object()


def foldl_init(op, xs, init=_NO_INIT):
    """Left fold: op(...op(op(init, xs[0]), xs[1])..., xs[-1]); without `init`, starts from xs[0]."""
    if init is _NO_INIT:
        return functools.reduce(op, xs)
    return functools.reduce(op, xs, init)


def getproperty(x, name: str):
    """x[name] for a dict (x.name for an object), or None when it has no such entry."""
    if isinstance(x, dict):
        return x.get(name)
    return getattr(x, name, None)


LuxOps = types.SimpleNamespace(
    xlogx=xlogx, xlogy=xlogy, istraining=istraining, multigate=multigate, rsqrt=rsqrt,
    eachslice=eachslice, foldl_init=foldl_init, getproperty=getproperty,
)
