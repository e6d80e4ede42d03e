"""Statistics: argmax/argmin, var/std, ptp, average, count_nonzero, the nan-ignoring reductions, logsumexp.

Most are written as NumPy code over traced arrays, in the order NumPy's own implementation
computes them, so result dtypes and nan/inf behaviour follow from the traced ufuncs and reductions.

Data-dependent errors cannot be raised under tracing: `np.nanargmax` of an all-nan slice gives -1
(NumPy raises ValueError) and `np.average` with weights summing to zero gives inf/nan (NumPy raises
ZeroDivisionError).
"""

from __future__ import annotations

import math

import numpy as np

from ir.dtypes import is_floating
from ir import ops
from tracer import errors
from tracer import primitives as P
from tracer.numpy_api.reductions import check_unsupported, selection
from tracer.numpy_api.registry import implements
from tracer.traced_array import TracedArray

__all__ = ["argmax", "argmin", "average", "count_nonzero", "logsumexp", "nanargmax", "nanargmin", "nanmax", "nanmean",
           "nanmin", "nanprod", "nanstd", "nansum", "nanvar", "ptp", "std", "var"]

_NO_VALUE = np._NoValue
_INDEX = np.dtype(np.intp)


# -- argmax / argmin: a variadic reduce over (value, index) pairs ---------------------------------

def _arg_body(direction: str, is_float: bool):
    """The reduce body: the pair with the larger (GT) / smaller (LT) value wins, ties go to the lower
    index, and a nan beats any number (NumPy returns the first nan). Commutative and associative."""

    def body(lhs, rhs):
        (a, ia), (b, ib) = lhs, rhs
        better = ops.compare(a, b, direction)
        tie = ops.compare(a, b, "EQ")
        if is_float:
            a_nan, b_nan = ops.compare(a, a, "NE"), ops.compare(b, b, "NE")
            better = ops.or_(better, ops.and_(a_nan, ops.not_(b_nan)))
            tie = ops.or_(tie, ops.and_(a_nan, b_nan))
        a_wins = ops.or_(better, ops.and_(tie, ops.compare(ia, ib, "LT")))
        return [ops.select(a_wins, a, b), ops.select(a_wins, ia, ib)]

    return body


def _arg_extreme(a, axis, keepdims, *, largest: bool, name: str) -> TracedArray:
    x = P.lift(a)
    if x.ndim == 0 and axis is not None:
        P.normalize_axis(axis, 1)  # NumPy lets a 0-d array be searched along axis 0 (or -1)
        axis = None
    if axis is None:
        in_shape, x, axis_ = x.shape, P.reshape(x, (x.size,)), 0
    else:
        in_shape, axis_ = x.shape, P.normalize_axis(axis, x.ndim)
    if x.shape[axis_] == 0:
        raise errors.TracedShapeError(f"attempt to get {name} of an empty sequence", fix="reduce over a non-empty axis")
    index = ops.iota(x.shape, axis_, _INDEX)
    if x.dtype == np.bool_:
        lowest = not largest
    elif is_floating(x.dtype):
        lowest = -np.inf if largest else np.inf
    else:
        info = np.iinfo(x.dtype)
        lowest = info.min if largest else info.max
    inits = [ops.constant(np.asarray(lowest, x.dtype)), ops.constant(np.asarray(np.iinfo(_INDEX).max, _INDEX))]
    body = _arg_body("GT" if largest else "LT", is_floating(x.dtype))
    _, result = ops.reduce_many([x._value, index], inits, [axis_], body)
    out_shape = tuple(n for d, n in enumerate(x.shape) if d != axis_)
    result = P.wrap(result, out_shape, _INDEX)
    if keepdims:
        result = P.reshape(result, (1,) * len(in_shape) if axis is None else
                           tuple(1 if d == axis_ else n for d, n in enumerate(in_shape)))
    return result


@implements(np.argmax)
def argmax(a, axis=None, out=None, *, keepdims=_NO_VALUE):
    check_unsupported("argmax", out=out)
    return _arg_extreme(a, axis, keepdims is True, largest=True, name="argmax")


@implements(np.argmin)
def argmin(a, axis=None, out=None, *, keepdims=_NO_VALUE):
    check_unsupported("argmin", out=out)
    return _arg_extreme(a, axis, keepdims is True, largest=False, name="argmin")


# -- var / std / ptp ------------------------------------------------------------------------------

def _count(shape, axis) -> int:
    return math.prod(shape[d] for d in P.normalize_axes(axis, len(shape)))


def _variance(x: TracedArray, axis, dtype, ddof, keepdims, where=_NO_VALUE) -> TracedArray:
    """NumPy's `_var`: mean in `dtype` (float64 for ints), squared deviations summed in `dtype`,
    divided by max(n - ddof, 0); with `where`, of the elements it selects (n counted per result)."""
    if dtype is None and x.dtype.kind in "biu":
        dtype = np.float64
    if where is _NO_VALUE or where is True:
        where, count = True, _count(x.shape, axis)
        divisor = max(count - ddof, 0)
    else:  # the counts differ from one result to the next
        where = selection(where, x.shape)
        count = np.sum(where, axis=axis, keepdims=True)
        divisor = np.maximum(np.subtract(np.sum(where, axis=axis, keepdims=keepdims), ddof), 0)
    mean = np.sum(x, axis=axis, dtype=dtype, keepdims=True, where=where)
    mean = P.convert(P.lift(np.true_divide(mean, count)), mean.dtype)
    deviation = np.subtract(x, mean)
    total = np.sum(np.multiply(deviation, deviation), axis=axis, dtype=dtype, keepdims=keepdims, where=where)
    return P.convert(P.lift(np.true_divide(total, divisor)), total.dtype)


def _check_var_arguments(name, out, mean, correction):
    check_unsupported(name, out=out, mean=mean, correction=correction)


@implements(np.var)
def var(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=_NO_VALUE, mean=_NO_VALUE,
        correction=_NO_VALUE):
    _check_var_arguments("var", out, mean, correction)
    return _variance(P.lift(a), axis, dtype, ddof, keepdims, where)


@implements(np.std)
def std(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=_NO_VALUE, mean=_NO_VALUE,
        correction=_NO_VALUE):
    _check_var_arguments("std", out, mean, correction)
    return _standard_deviation(_variance(P.lift(a), axis, dtype, ddof, keepdims, where))


def _standard_deviation(variance) -> TracedArray:
    """NumPy's `_std`: the square root, written back into the variance's dtype. For an integer dtype= that is a
    truncation of a single result, and its casting error (sqrt's float output into ints) for an array of them."""
    variance = P.lift(variance)
    root = P.lift(np.sqrt(variance))
    if variance.dtype == root.dtype:
        return root
    if variance.ndim:
        raise errors.TracedTypeError(f"Cannot cast ufunc 'sqrt' output from {root.dtype!r} to {variance.dtype!r} with "
                                     "casting rule 'same_kind'", fix="give a float dtype= (or none)")
    return P.convert(root, variance.dtype)


@implements(np.ptp)
def ptp(a, axis=None, out=None, keepdims=False):
    check_unsupported("ptp", out=out)
    x = P.lift(a)
    return P.lift(np.subtract(np.max(x, axis=axis, keepdims=keepdims), np.min(x, axis=axis, keepdims=keepdims)))


# -- average ---------------------------------------------------------------------------------------

def _weights_along(x: TracedArray, w: TracedArray, axes) -> TracedArray:
    """Weights given along `axes` only, reshaped to broadcast against x (NumPy's rule)."""
    if w.shape != tuple(x.shape[d] for d in axes):
        raise errors.TracedShapeError("Shape of weights must be consistent with shape of a along specified axis.",
                                      fix="give weights the shape of a, or of a's sizes along `axis` in order")
    w = P.transpose(w, np.argsort(axes))
    return P.reshape(w, tuple(n if d in axes else 1 for d, n in enumerate(x.shape)))


@implements(np.average)
def average(a, axis=None, weights=None, returned=False, *, keepdims=_NO_VALUE):
    x = P.lift(a)
    keepdims = keepdims is True
    axes = None if axis is None else P.normalize_axes(axis, x.ndim)
    if weights is None:
        avg = np.mean(x, axis=axes, keepdims=keepdims)
        if avg.size == 0:  # NumPy divides a.size by avg.size here: ZeroDivisionError
            raise errors.TracedShapeError("numpy.average of an empty result: division by zero",
                                          fix="average over axes that leave a non-empty result")
        scale = P.full(avg.shape, x.size / avg.size, avg.dtype)
        return (avg, scale) if returned else avg
    w = P.lift(weights)
    result_dtype = np.result_type(x.dtype, w.dtype, *([np.float64] if x.dtype.kind in "biu" else []))
    if w.shape != x.shape:
        if axes is None:
            raise errors.TracedTypeError("Axis must be specified when shapes of a and weights differ.",
                                         fix="pass axis=... naming the axes the weights run along")
        w = _weights_along(x, w, axes)
    scale = np.sum(w, axis=axes, dtype=result_dtype, keepdims=keepdims)
    avg = np.true_divide(np.sum(np.multiply(x, w, dtype=result_dtype), axis=axes, keepdims=keepdims), scale)
    if not returned:
        return P.lift(avg)
    return P.lift(avg), P.broadcast_to(P.lift(scale), P.lift(avg).shape)


# -- count_nonzero ---------------------------------------------------------------------------------

@implements(np.count_nonzero)
def count_nonzero(a, axis=None, *, keepdims=False):
    x = P.lift(a)
    return np.sum(P.convert(x, np.bool_), axis=axis, dtype=_INDEX, keepdims=keepdims)


# -- nan-ignoring reductions -----------------------------------------------------------------------

def _is_float(x: TracedArray) -> bool:
    return is_floating(x.dtype)


def _nan_to(x: TracedArray, value) -> TracedArray:
    """x with every nan replaced by `value` (NumPy's `_replace_nan`); non-floats unchanged."""
    if not _is_float(x):
        return x
    return P.select(P.compare(x, x, "NE"), P.scalar_like(x, value), x)


def _not_nan_count(x: TracedArray, axis, keepdims) -> TracedArray:
    return np.sum(P.compare(x, x, "EQ"), axis=axis, dtype=_INDEX, keepdims=keepdims)


def _check_inexact_dtype(x: TracedArray, dtype) -> None:
    """NumPy's nanmean/nanvar/nanstd refuse an integer dtype= for float data (the nan bookkeeping needs floats). Only
    for np.inexact data: bfloat16 is not one (ml_dtypes), so NumPy takes it as it takes integers, with no error."""
    if dtype is not None and issubclass(x.dtype.type, np.inexact) and not is_floating(np.dtype(dtype)):
        raise errors.TracedTypeError("If a is inexact, then dtype must be inexact",
                                     fix=f"give a float dtype= (or none), or .astype({np.dtype(dtype)}) the result")


def _skips_nans(x: TracedArray, dtype) -> bool:
    """Whether nanmean/nanvar skip x's NaNs: float data, computed in a float dtype. (bfloat16 with an integer dtype=
    is what NumPy makes of it, not an np.inexact type: np.mean/np.var as for integers.)"""
    return _is_float(x) and (dtype is None or is_floating(np.dtype(dtype)))


@implements(np.nansum)
def nansum(a, axis=None, dtype=None, out=None, keepdims=False, initial=_NO_VALUE, where=_NO_VALUE):
    check_unsupported("nansum", out=out, initial=initial, where=where)
    return np.sum(_nan_to(P.lift(a), 0), axis=axis, dtype=dtype, keepdims=keepdims)


@implements(np.nanprod)
def nanprod(a, axis=None, dtype=None, out=None, keepdims=False, initial=_NO_VALUE, where=_NO_VALUE):
    check_unsupported("nanprod", out=out, initial=initial, where=where)
    return np.prod(_nan_to(P.lift(a), 1), axis=axis, dtype=dtype, keepdims=keepdims)


@implements(np.nanmean)
def nanmean(a, axis=None, dtype=None, out=None, keepdims=False, *, where=_NO_VALUE):
    check_unsupported("nanmean", out=out, where=where)
    x = P.lift(a)
    _check_inexact_dtype(x, dtype)
    if not _skips_nans(x, dtype):
        return np.mean(x, axis=axis, dtype=dtype, keepdims=keepdims)
    total = np.sum(_nan_to(x, 0), axis=axis, dtype=dtype, keepdims=keepdims)
    count = _not_nan_count(x, axis, keepdims)
    return P.convert(P.lift(np.true_divide(total, count)), total.dtype)  # an all-nan slice is 0/0 = nan


def _nan_extreme(a, axis, keepdims, *, largest: bool) -> TracedArray:
    """max/min ignoring nans; an all-nan slice gives nan (NumPy warns), an empty one raises like max."""
    x = P.lift(a)
    reduction = np.max if largest else np.min
    if not _is_float(x):
        return reduction(x, axis=axis, keepdims=keepdims)
    result = reduction(_nan_to(x, -np.inf if largest else np.inf), axis=axis, keepdims=keepdims)
    all_nan = P.compare(_not_nan_count(x, axis, keepdims), P.full(result.shape, 0, _INDEX), "EQ")
    return P.select(all_nan, P.scalar_like(result, np.nan), result)


@implements(np.nanmax)
def nanmax(a, axis=None, out=None, keepdims=False, initial=_NO_VALUE, where=_NO_VALUE):
    check_unsupported("nanmax", out=out, initial=initial, where=where)
    return _nan_extreme(a, axis, keepdims, largest=True)


@implements(np.nanmin)
def nanmin(a, axis=None, out=None, keepdims=False, initial=_NO_VALUE, where=_NO_VALUE):
    check_unsupported("nanmin", out=out, initial=initial, where=where)
    return _nan_extreme(a, axis, keepdims, largest=False)


def _nan_arg_extreme(a, axis, keepdims, *, largest: bool) -> TracedArray:
    x = P.lift(a)
    name = "nanargmax" if largest else "nanargmin"
    if not _is_float(x):
        return _arg_extreme(x, axis, keepdims, largest=largest, name=name)
    index = _arg_extreme(_nan_to(x, -np.inf if largest else np.inf), axis, keepdims, largest=largest, name=name)
    # All-nan slices: NumPy raises ValueError, which depends on the data; -1 marks them instead.
    all_nan = P.compare(_not_nan_count(x, axis, keepdims), P.full(index.shape, 0, _INDEX), "EQ")
    return P.select(all_nan, P.full(index.shape, -1, _INDEX), index)


@implements(np.nanargmax)
def nanargmax(a, axis=None, out=None, *, keepdims=_NO_VALUE):
    check_unsupported("nanargmax", out=out)
    return _nan_arg_extreme(a, axis, keepdims is True, largest=True)


@implements(np.nanargmin)
def nanargmin(a, axis=None, out=None, *, keepdims=_NO_VALUE):
    check_unsupported("nanargmin", out=out)
    return _nan_arg_extreme(a, axis, keepdims is True, largest=False)


def _nan_variance(x: TracedArray, axis, dtype, ddof, keepdims) -> TracedArray:
    """NumPy's `_nanvar`: nans count as absent; a slice with n - ddof <= 0 gives nan."""
    count = _not_nan_count(x, axis, keepdims=True)
    zeroed = _nan_to(x, 0)
    total = np.sum(zeroed, axis=axis, dtype=dtype, keepdims=True)
    mean = P.convert(P.lift(np.true_divide(total, count)), total.dtype)
    deviation = P.lift(np.subtract(zeroed, mean))
    if issubclass(x.dtype.type, np.inexact):  # NumPy subtracts into its copy of x (out=arr): x's dtype
        deviation = P.convert(deviation, x.dtype)  # (bfloat16, not np.inexact, goes np.var's way: promoted)
    deviation = P.select(P.compare(x, x, "NE"), P.scalar_like(deviation, 0), deviation)  # only the nans of x
    total = np.sum(np.multiply(deviation, deviation), axis=axis, dtype=dtype, keepdims=keepdims)
    dof = np.subtract(count if keepdims else P.reshape(count, total.shape), ddof)
    variance = P.convert(P.lift(np.true_divide(total, dof)), total.dtype)
    no_dof = P.lift(np.less_equal(dof, 0))
    return P.select(no_dof, P.scalar_like(variance, np.nan), variance)


@implements(np.nanvar)
def nanvar(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=_NO_VALUE, mean=_NO_VALUE,
           correction=_NO_VALUE):
    check_unsupported("nanvar", out=out, where=where, mean=mean, correction=correction)
    x = P.lift(a)
    _check_inexact_dtype(x, dtype)
    if not _skips_nans(x, dtype):
        return _variance(x, axis, dtype, ddof, keepdims)
    return _nan_variance(x, axis, dtype, ddof, keepdims)


@implements(np.nanstd)
def nanstd(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=_NO_VALUE, mean=_NO_VALUE,
           correction=_NO_VALUE):
    check_unsupported("nanstd", out=out, where=where, mean=mean, correction=correction)
    return _standard_deviation(nanvar(a, axis=axis, dtype=dtype, ddof=ddof, keepdims=keepdims))


# -- logsumexp (not a NumPy function: tracer.logsumexp) --------------------------------------------

def logsumexp(x, axis=None, keepdims=False):
    """log(sum(exp(x))) over `axis`, without overflow: the max is shifted out first.

    Works on NumPy arrays (eagerly) and on traced arrays alike. A slice of all -inf gives -inf,
    one holding +inf gives inf, and a nan anywhere gives nan.

    Arguments:
        x: a floating (or integer, computed in float64) array.
        axis: None (all axes), an int or a tuple of ints.
        keepdims: keep the reduced axes with size 1.
    """
    if type(x) is not TracedArray:
        x = np.asarray(x)
    dtype = x.dtype
    if is_floating(dtype) and dtype.itemsize == 2:
        # float16/bfloat16 compute in float32 and round once, eagerly and traced alike: NumPy's (ml_dtypes')
        # bfloat16 sum rounds every partial sum to 8 bits, and gave 7.0 where the compiled sum gave 7.3125.
        return logsumexp(x.astype(np.float32), axis=axis, keepdims=keepdims).astype(dtype)
    # The shift cancels out, so no derivative flows through it (the max's own would cost a pass over x).
    top = np.max(x, axis=axis, keepdims=True)
    shift = P.stop_gradient(top) if type(top) is TracedArray else top
    # An infinite max (+inf, or -inf for an all -inf slice) must not be subtracted: inf - inf is nan.
    shift = np.where(np.isfinite(shift), shift, np.zeros_like(shift))
    total = np.sum(np.exp(np.subtract(x, shift)), axis=axis, keepdims=True)
    result = np.add(np.log(total), shift)
    if not keepdims:
        result = np.squeeze(result, axis=axis) if axis is not None else np.reshape(result, ())
    return result
