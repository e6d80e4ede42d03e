"""Reductions: sum, prod, mean, max, min, any, all (axis, keepdims, dtype) and `ufunc.reduce`.

Result dtypes are NumPy's own answer for a one-element array of the input
dtype (e.g. sum of int8 is int64), so no promotion table is kept here.
"""

from __future__ import annotations

import math

import numpy as np

from ir.dtypes import is_floating
from ir import ops
from tracer import errors
from tracer import primitives as P
from tracer.numpy_api.registry import implements, ufunc_method
from tracer.traced_array import TracedArray

__all__ = ["check_unsupported", "np_all", "np_any", "np_max", "np_mean", "np_min", "np_prod", "np_sum", "selection",
           "ufunc_reduce"]

_NO_VALUE = np._NoValue  # NumPy's marker for "argument not given"


def _reduce(x: TracedArray, axis, keepdims: bool, combiner, init, name: str, *, empty_ok: bool = True,
            where=_NO_VALUE, initial=_NO_VALUE) -> TracedArray:
    """Reduce with `combiner` from `init` (its identity); `empty_ok=False` for reductions NumPy gives no
    identity. `where`: only the elements it selects are reduced (the others count as `init`); `initial`: a
    value the reduction starts from, as NumPy's (it makes empty and masked max/min valid)."""
    if x.ndim == 0 and type(axis) is int and axis in (0, -1):
        axis = None  # NumPy's ufunc reductions let a 0-d array be reduced "along axis 0"
    axes = P.normalize_axes(axis, x.ndim)
    if initial is not _NO_VALUE:
        empty_ok = True
    elif where is not _NO_VALUE and not empty_ok:
        raise errors.TracedShapeError(
            f"reduction operation '{name}' does not have an identity, so to use a where mask one has to specify 'initial'",
            fix="pass initial=... (the value a reduction with nothing selected gives)")
    if not empty_ok and any(x.shape[a] == 0 for a in axes):
        raise errors.TracedShapeError(
            f"zero-size array to reduction operation {name} which has no identity",
            fix="reduce over a non-empty axis, or pass initial=... (NumPy) / pad the input",
        )
    if where is not _NO_VALUE:
        x = P.select(selection(where, x.shape), x, P.scalar_like(x, init))
    init_value = ops.constant(np.asarray(init, dtype=x.dtype))
    out_shape = tuple(n for d, n in enumerate(x.shape) if d not in axes)
    result = P.wrap(ops.reduce(x._value, init_value, axes, combiner), out_shape, x.dtype)
    if initial is not _NO_VALUE:
        start = P.convert(P.lift(np.asarray(initial).astype(x.dtype) if not hasattr(initial, "_value") else initial), x.dtype)
        result = P.elementwise(combiner, result, P.broadcast_to(start, out_shape))
    if keepdims:
        result = P.reshape(result, tuple(1 if d in axes else n for d, n in enumerate(x.shape)))
    return result


def selection(where, shape) -> TracedArray:
    """A reduction's `where=` as a boolean TracedArray of `shape` (NumPy broadcasts it)."""
    mask = P.lift(where)
    if mask.dtype != np.bool_:
        raise errors.TracedTypeError(f"where= must be a boolean array, not {mask.dtype}", fix="pass a comparison, e.g. x > 0")
    return P.broadcast_to(mask, shape)


def check_unsupported(name: str, **given) -> None:
    """Refuse arguments given a value other than their default (`where`'s default is True)."""
    bad = [key for key, value in given.items()
           if value is not None and value is not _NO_VALUE and not (key == "where" and value is True)]
    if bad:
        raise errors.UnsupportedNumPyError(f"numpy.{name}: argument(s) {', '.join(bad)} are not supported under tracing")


def _where(where):
    """`where=True` (NumPy's default spelled out) is no mask."""
    return _NO_VALUE if where is True else where


def _numpy_result_dtype(numpy_reduction, dtype, requested):
    return numpy_reduction(np.ones(1, dtype=dtype), dtype=requested).dtype


def _is_narrow_float(dtype) -> bool:
    return is_floating(dtype) and np.dtype(dtype).itemsize == 2


@implements(np.sum)
def np_sum(a, axis=None, dtype=None, out=None, keepdims=False, initial=_NO_VALUE, where=_NO_VALUE):
    check_unsupported("sum", out=out)
    x = P.lift(a)
    x = P.convert(x, _numpy_result_dtype(np.sum, x.dtype, dtype))
    if _is_narrow_float(x.dtype):
        # float16/bfloat16 sums accumulate in float32 and round once, as NumPy's float16 sum and JAX do:
        # summed in 16 bits, 10,000 x 0.1 came to 996.5 (each partial sum rounded to 11 significant bits).
        total = _reduce(P.convert(x, np.float32), axis, keepdims, ops.add, 0, "add", where=_where(where), initial=initial)
        return P.convert(total, x.dtype)
    return _reduce(x, axis, keepdims, ops.or_ if x.dtype == np.bool_ else ops.add, 0, "add",
                   where=_where(where), initial=initial)


@implements(np.prod)
def np_prod(a, axis=None, dtype=None, out=None, keepdims=False, initial=_NO_VALUE, where=_NO_VALUE):
    check_unsupported("prod", out=out)
    x = P.lift(a)
    x = P.convert(x, _numpy_result_dtype(np.prod, x.dtype, dtype))
    return _reduce(x, axis, keepdims, ops.and_ if x.dtype == np.bool_ else ops.multiply, 1, "multiply",
                   where=_where(where), initial=initial)


@implements(np.mean)
def np_mean(a, axis=None, dtype=None, out=None, keepdims=False, *, where=_NO_VALUE):
    check_unsupported("mean", out=out)
    x = P.lift(a)
    where = _where(where)
    result_dtype = _numpy_result_dtype(np.mean, x.dtype, dtype)
    # NumPy sums in the result dtype (float16 in float32), divides in floating point, then casts; bfloat16
    # is summed in float32 too (as JAX does), and rounded once.
    accumulate = np.dtype(np.float32) if _is_narrow_float(result_dtype) else result_dtype
    total = np_sum(P.convert(x, accumulate), axis=axis, dtype=accumulate, keepdims=keepdims, where=where)
    if not is_floating(total.dtype):
        total = P.convert(total, np.float64)
    if where is _NO_VALUE:
        count = P.scalar_like(total, math.prod(x.shape[a] for a in P.normalize_axes(axis, x.ndim)))
    else:  # how many elements each result reduces
        count = P.convert(np_sum(selection(where, x.shape), axis=axis, dtype=np.int64, keepdims=keepdims), total.dtype)
    mean_value = P.elementwise(ops.divide, total, count)
    return P.convert(mean_value, result_dtype)


def _extreme(x: TracedArray, axis, keepdims, *, largest: bool, name: str, where=_NO_VALUE,
             initial=_NO_VALUE) -> TracedArray:
    # The init value only seeds the op: NumPy refuses empty max/min, so do we (empty_ok=False).
    if x.dtype == np.bool_:
        combiner, init = (ops.or_, False) if largest else (ops.and_, True)
    elif is_floating(x.dtype):
        combiner, init = (ops.maximum, -np.inf) if largest else (ops.minimum, np.inf)
    else:
        info = np.iinfo(x.dtype)
        combiner, init = (ops.maximum, info.min) if largest else (ops.minimum, info.max)
    return _reduce(x, axis, keepdims, combiner, init, name, empty_ok=False, where=where, initial=initial)


@implements(np.max, np.amax)
def np_max(a, axis=None, out=None, keepdims=False, initial=_NO_VALUE, where=_NO_VALUE):
    check_unsupported("max", out=out)
    return _extreme(P.lift(a), axis, keepdims, largest=True, name="maximum", where=_where(where), initial=initial)


@implements(np.min, np.amin)
def np_min(a, axis=None, out=None, keepdims=False, initial=_NO_VALUE, where=_NO_VALUE):
    check_unsupported("min", out=out)
    return _extreme(P.lift(a), axis, keepdims, largest=False, name="minimum", where=_where(where), initial=initial)


@implements(np.any)
def np_any(a, axis=None, out=None, keepdims=False, *, where=_NO_VALUE):
    check_unsupported("any", out=out)
    return _reduce(P.convert(P.lift(a), np.bool_), axis, keepdims, ops.or_, False, "logical_or", where=_where(where))


@implements(np.all)
def np_all(a, axis=None, out=None, keepdims=False, *, where=_NO_VALUE):
    check_unsupported("all", out=out)
    return _reduce(P.convert(P.lift(a), np.bool_), axis, keepdims, ops.and_, True, "logical_and", where=_where(where))


_UFUNC_REDUCTIONS = {np.add: np_sum, np.multiply: np_prod, np.maximum: np_max, np.minimum: np_min,
                     np.logical_or: np_any, np.logical_and: np_all}


@ufunc_method("reduce")
def ufunc_reduce(ufunc, inputs, kwargs):
    """`np.add.reduce(x, axis=0, ...)` and friends: the matching reduction, axis defaulting to 0."""
    reduction = _UFUNC_REDUCTIONS.get(ufunc)
    if reduction is None:
        raise errors.UnsupportedNumPyError(
            f"numpy.{ufunc.__name__}.reduce is not supported under tracing",
            fix="supported: " + ", ".join(f"numpy.{u.__name__}.reduce" for u in _UFUNC_REDUCTIONS),
        )
    (array,) = inputs
    kwargs = dict(kwargs)
    x = P.lift(array)
    kwargs.setdefault("axis", 0 if x.ndim else None)  # a 0-d array reduces to itself
    if reduction in (np_max, np_min, np_any, np_all):
        dtype = kwargs.pop("dtype", None)
        if dtype is not None:  # ufunc.reduce(dtype=...) computes in that dtype
            x = P.convert(x, dtype)
    return reduction(x, **kwargs)
