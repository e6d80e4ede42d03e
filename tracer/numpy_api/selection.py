"""Selection and creation inside traced code: where, clip, zeros_like/ones_like/full_like."""

from __future__ import annotations

import numpy as np

from ir.dtypes import is_floating
from tracer import errors
from tracer import primitives as P
from tracer.numpy_api.promotion import resolution_dtype, result_type_of_arrays
from tracer.numpy_api.registry import implements

__all__ = ["clip", "full_like", "ones_like", "where", "zeros_like"]


@implements(np.where)
def where(condition, x=None, y=None):
    if x is None or y is None:
        raise errors.UnsupportedNumPyError(
            "numpy.where(condition) with one argument has a data-dependent shape and cannot be traced",
            fix="use the three-argument form np.where(condition, x, y)",
        )
    dtype = result_type_of_arrays(x, y)
    operands = [P.lift(condition, np.bool_), P.lift_unsafe(x, dtype), P.lift_unsafe(y, dtype)]
    shape = P.broadcast_shapes(*(o.shape for o in operands))
    pred, on_true, on_false = (P.broadcast_to(o, shape) for o in operands)
    return P.select(pred, on_true, on_false)


def _like(a, dtype, shape):
    x_dtype = resolution_dtype(a)
    x_shape = np.shape(a) if not hasattr(a, "_value") else a.shape
    return np.dtype(dtype) if dtype is not None else x_dtype, tuple(x_shape) if shape is None else (
        (shape,) if np.ndim(shape) == 0 else tuple(shape))


@implements(np.zeros_like)
def zeros_like(a, dtype=None, order="K", subok=True, shape=None, *, device=None):
    dtype, shape = _like(a, dtype, shape)
    return P.full(shape, 0, dtype)


@implements(np.ones_like)
def ones_like(a, dtype=None, order="K", subok=True, shape=None, *, device=None):
    dtype, shape = _like(a, dtype, shape)
    return P.full(shape, 1, dtype)


@implements(np.full_like)
def full_like(a, fill_value, dtype=None, order="K", subok=True, shape=None, *, device=None):
    dtype, shape = _like(a, dtype, shape)
    if hasattr(fill_value, "_value"):
        fill = P.convert(fill_value, dtype)
        while fill.ndim > len(shape) and fill.shape[0] == 1:  # (copyto drops extra leading unit dims, as below)
            fill = P.reshape(fill, fill.shape[1:])
        return P.broadcast_to(fill, shape)
    fill = np.asarray(fill_value)
    if fill.ndim or is_floating(fill.dtype) and dtype.kind in "iu":
        # NumPy fills with copyto(casting="unsafe"): an array fill broadcasts, and a float fill converts as astype
        # does, saturating where the integer type cannot hold it (README's differences), instead of failing in
        # np.asarray(fill, dtype).
        while fill.ndim > len(shape) and fill.shape[0] == 1:  # (copyto, like setitem, drops extra leading unit dims)
            fill = fill.reshape(fill.shape[1:])
        return P.broadcast_to(P.convert(P.constant(fill), dtype), shape)
    try:
        return P.full(shape, fill_value, dtype)
    except OverflowError as err:  # (a Python int the dtype cannot hold: NumPy raises this OverflowError too)
        raise errors.TracedOverflowError(str(err), fix=f"give a fill value that {dtype} can hold") from None


_CLIP_UFUNC = np._core.umath.clip  # (np.clip's ufunc; NumPy has no public name for it)


@implements(np.clip)
def clip(a, a_min=np._NoValue, a_max=np._NoValue, out=None, *, min=np._NoValue, max=np._NoValue, **kwargs):  # noqa: A002
    low = a_min if a_min is not np._NoValue else min
    high = a_max if a_max is not np._NoValue else max
    result = P.lift(a)
    if result.dtype.kind in "iu":
        # NumPy's _clip drops a Python-int bound an integer dtype cannot pass (it would never bind), and with it the
        # clip ufunc: np.clip(int8, int32_array, 2**31 - 1) is np.maximum(int8, int32_array), int32. (Beyond the
        # other end, 300 as the low bound of int8, NumPy's OverflowError.)
        info = np.iinfo(result.dtype)
        low = None if type(low) is int and low <= info.min else low
        high = None if type(high) is int and high >= info.max else high
    bounds = [b for b in (low, high) if b is not np._NoValue and b is not None]
    if len(bounds) == 2 and "dtype" not in kwargs:
        # With both bounds NumPy runs its clip ufunc, which resolves the three operands' dtypes together: a float
        # bound makes it a float loop from the start (so an int bound the array's dtype cannot hold is no
        # OverflowError: np.clip(uint32, 0.0, -2**32) is -2**32), and the loop may be wider than maximum's and
        # minimum's (ml_dtypes gives bfloat16 none: float32, also for np.clip(bool, bfloat16, 7)). With one bound,
        # np.maximum or np.minimum alone resolves it.
        loop = _CLIP_UFUNC.resolve_dtypes((result.dtype, *map(resolution_dtype, bounds), None))[-1]
        result = P.convert(result, loop)
    dtype = kwargs.pop("dtype", None)
    if kwargs:
        raise errors.UnsupportedNumPyError(f"numpy.clip: argument(s) {', '.join(kwargs)} are not supported under tracing")
    if low is not np._NoValue and low is not None:
        result = np.maximum(result, low, dtype=dtype)
    if high is not np._NoValue and high is not None:
        result = np.minimum(result, high, dtype=dtype)
    result = P.lift(result)
    if out is None:
        return result
    target = out[0] if isinstance(out, tuple) else out
    if not hasattr(target, "_value"):
        raise errors.UnsupportedNumPyError("numpy.clip: a traced result cannot be written into a NumPy array (out=)",
                                           fix="assign the result to a name instead")
    target[...] = result  # NumPy's in-place clip, as a rebinding of the traced value
    return target
