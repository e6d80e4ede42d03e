"""Order statistics: median, quantile, percentile and their nan-ignoring forms, on a sort.

The reduced axes are moved last and merged, the rows sorted (NaN sorts last), and the wanted
ranks read with one `take_along_axis`. Ranks follow NumPy's `method=` definitions; the linear
interpolation is computed the way NumPy computes it (from the nearer neighbour), so results
agree to the last bit. A NaN in a row makes its result NaN, except in the nan* forms, which
rank only a row's numbers (a row of NaNs gives NaN).
"""

from __future__ import annotations

import numpy as np

from ir.dtypes import is_floating
from tracer import errors
from tracer import primitives as P
from tracer.numpy_api.registry import implements
from tracer.traced_array import TracedArray, is_traced

__all__ = ["median", "nanmedian", "nanpercentile", "nanquantile", "percentile", "quantile"]

# method -> how a fractional rank becomes the ranks read and the weight of the upper one.
_METHODS = ("linear", "lower", "higher", "nearest", "midpoint")


def _rows(a, axis) -> tuple[TracedArray, tuple[int, ...], tuple[int, ...]]:
    """x with the reduced axes last and merged into one; plus the reduced axes and the kept shape."""
    x = P.lift(a)
    axes = P.normalize_axes(axis, x.ndim)
    kept = [d for d in range(x.ndim) if d not in axes]
    moved = P.transpose(x, kept + list(axes))
    kept_shape = tuple(x.shape[d] for d in kept)
    return P.reshape(moved, kept_shape + (int(np.prod([x.shape[d] for d in axes])),)), axes, kept_shape


def _result_dtype(dtype) -> np.dtype:
    return np.dtype(dtype) if is_floating(dtype) else np.dtype(np.float64)


def _sorted_rows(name: str, a, axis, *, interpolating: bool = True, q=0.5):
    """Sorted rows, in the dtype NumPy interpolates in: float64 for integers, promoted with an array q."""
    rows, axes, kept_shape = _rows(a, axis)
    if rows.shape[-1] == 0 and name in ("quantile", "percentile"):
        # (median and the nan* functions give nan for an empty axis, NumPy's quantile fails reading its last element)
        raise errors.TracedIndexError("index -1 is out of bounds for axis 0 with size 0",
                                      fix=f"np.{name} needs a non-empty axis; np.nan{name} gives nan for an empty one")
    if interpolating:
        rows = P.convert(rows, _interpolation_dtype(rows.dtype, q))
    return np.sort(rows, axis=-1), axes, kept_shape


def _interpolation_dtype(dtype, q) -> np.dtype:
    """The dtype NumPy interpolates in: float64 for integers, promoted with an array q (a Python number is weak)."""
    q_kind = q if type(q) in (int, float) else (q.dtype if is_traced(q) else np.asarray(q).dtype)
    return np.result_type(_result_dtype(dtype), q_kind)


def _read_rank(rows: TracedArray, rank) -> TracedArray:
    """rows[..., rank] for an integer rank array of shape (q..., rows' leading shape) -> same shape."""
    q_ndim = rank.ndim - (rows.ndim - 1)
    lead = rows.shape[:-1]
    q_count = int(np.prod(rank.shape[:q_ndim]))
    flat_rank = P.reshape(rank, (q_count,) + lead + (1,)) if q_ndim else P.reshape(rank, lead + (1,))
    if q_ndim:
        picked = [np.take_along_axis(rows, flat_rank[k], axis=-1) for k in range(flat_rank.shape[0])]
        stacked = np.stack([P.reshape(p, lead) for p in picked]) if picked else P.full((0,) + lead, 0, rows.dtype)
        return P.reshape(stacked, rank.shape)
    return P.reshape(np.take_along_axis(rows, flat_rank, axis=-1), lead)


def _lerp(low, high, weight, dtype):
    """NumPy's _lerp, in `dtype`: from the lower value below the midpoint, from the upper one above. The step
    high - low is taken in the values' own dtype first, as NumPy's is (a float32 step rounds in float32, an integer
    one wraps), and the weight (float64) is rounded to `dtype` as NumPy's Python-float weight is."""
    step = P.convert(high - low, dtype)
    low, high = P.convert(low, dtype), P.convert(high, dtype)
    below = low + step * P.convert(weight, dtype)
    above = high - step * P.convert(1 - weight, dtype)
    return np.where(weight >= 0.5, above, below)


def _quantile_of_sorted(rows: TracedArray, q, count, method: str, dtype) -> TracedArray:
    """Quantiles q (in [0, 1]) of sorted rows whose first `count` entries are numbers, interpolated in `dtype`."""
    lead = rows.shape[:-1]
    q = P.lift(q) if is_traced(q) else P.constant(np.asarray(q, np.float64))
    q = P.convert(q, np.float64)
    q_b = P.reshape(q, q.shape + (1,) * len(lead))
    last = P.convert(count, np.float64) - 1  # shape: lead
    position = q_b * last
    low = np.floor(position)
    if method == "lower":
        ranks, weight = (low, low), None
    elif method == "higher":
        ranks, weight = (np.ceil(position), np.ceil(position)), None
    elif method == "nearest":
        ranks, weight = (np.rint(position), np.rint(position)), None  # NumPy rounds half to even
    else:
        ranks, weight = (low, np.minimum(low + 1, np.maximum(last, 0))), position - low
        if method == "midpoint":
            weight = np.where(weight > 0, 0.5, 0.0)
    shape = P.broadcast_shapes(q_b.shape, lead)
    lower, upper = (P.broadcast_to(P.lift(np.clip(r, 0, rows.shape[-1] - 1).astype(np.int64)), shape) for r in ranks)
    low_value, high_value = _read_rank(rows, lower), _read_rank(rows, upper)
    if weight is None:
        return low_value
    weight = P.broadcast_to(P.lift(weight), shape)
    return _lerp(low_value, high_value, weight, dtype)


def _finish(result: TracedArray, rows: TracedArray, count, a_ndim: int, axes, q_ndim: int, keepdims: bool, *,
            ignore_nan: bool, check_nan: bool = True) -> TracedArray:
    if check_nan and is_floating(rows.dtype):
        bad = count == 0 if ignore_nan else np.any(np.isnan(rows), axis=-1)
        result = np.where(bad, np.nan, result).astype(rows.dtype)
    if keepdims:
        kept = iter(result.shape[q_ndim:])
        shape = result.shape[:q_ndim] + tuple(1 if d in axes else next(kept) for d in range(a_ndim))
        result = P.reshape(result, shape)
    return result


def _check(name: str, method, out, overwrite_input=False, weights=None) -> None:
    if out is not None or weights is not None:
        raise errors.UnsupportedNumPyError(f"numpy.{name}: out= and weights= are not supported under tracing",
                                           fix="assign the result; weighted quantiles are not available")
    if method not in _METHODS:
        raise errors.UnsupportedNumPyError(f"numpy.{name}: method={method!r} is not supported under tracing",
                                           fix="use one of " + ", ".join(repr(m) for m in _METHODS))


def _check_q(q, scale: float) -> None:
    if not is_traced(q):
        values = np.asarray(q, dtype=np.float64) / scale
        if np.any((values < 0) | (values > 1)):
            raise errors.TracedShapeError("Quantiles must be in the range [0, 1]" if scale == 1
                                          else "Percentiles must be in the range [0, 100]")


def _is_integer(q) -> bool:
    return (q.dtype if is_traced(q) else np.asarray(q).dtype).kind in "biu"


def _quantile(name, a, q, axis, method, keepdims, *, ignore_nan: bool, scale: float = 1.0):
    _check_q(q, scale)
    if scale != 1:  # (a Python number stays one: it must stay weak in the result dtype)
        q = q / scale if type(q) in (int, float) else np.true_divide(q, scale)
    if method == "linear" and _is_integer(q):
        # An integer q (0 or 1) makes an integer rank: NumPy reads the element without interpolating, in a's dtype.
        method = "lower"
    a_ndim = np.ndim(a)
    if ignore_nan and P.lift(a).size == 0:  # (NumPy's nanquantile of an empty array is its nanmean, whatever q)
        return P.lift(np.nanmean(P.lift(a), axis=axis, keepdims=keepdims))
    rows, axes, _ = _sorted_rows(name, a, axis, interpolating=False)  # (in a's dtype: see _lerp)
    dtype = _interpolation_dtype(rows.dtype, q) if method in ("linear", "midpoint") else rows.dtype
    count = np.sum(~np.isnan(rows), axis=-1) if ignore_nan and is_floating(rows.dtype) else \
        P.full(rows.shape[:-1], rows.shape[-1], np.int64)
    result = _quantile_of_sorted(rows, q, count, method, dtype)
    return _finish(result, P.convert(rows, dtype), count, a_ndim, axes, np.ndim(q), keepdims, ignore_nan=ignore_nan)


def _median_of_empty_axis(rows: TracedArray, a_ndim: int, axes, keepdims: bool) -> TracedArray:
    """nan for every result: NumPy's median of nothing is the mean of nothing (with a "Mean of empty slice" warning)."""
    result = P.full(rows.shape[:-1], np.nan, _result_dtype(rows.dtype))
    return _finish(result, result, None, a_ndim, axes, 0, keepdims, ignore_nan=False, check_nan=False)


@implements(np.quantile)
def quantile(a, q, axis=None, out=None, overwrite_input=False, method="linear", keepdims=False, *, weights=None,
             interpolation=None):
    _check("quantile", method, out, weights=weights)
    return _quantile("quantile", a, q, axis, method, keepdims, ignore_nan=False)


@implements(np.percentile)
def percentile(a, q, axis=None, out=None, overwrite_input=False, method="linear", keepdims=False, *, weights=None,
               interpolation=None):
    _check("percentile", method, out, weights=weights)
    return _quantile("percentile", a, q, axis, method, keepdims, ignore_nan=False, scale=100.0)


@implements(np.nanquantile)
def nanquantile(a, q, axis=None, out=None, overwrite_input=False, method="linear", keepdims=False, *, weights=None,
                interpolation=None):
    _check("nanquantile", method, out, weights=weights)
    return _quantile("nanquantile", a, q, axis, method, keepdims, ignore_nan=True)


@implements(np.nanpercentile)
def nanpercentile(a, q, axis=None, out=None, overwrite_input=False, method="linear", keepdims=False, *,
                  weights=None, interpolation=None):
    _check("nanpercentile", method, out, weights=weights)
    return _quantile("nanpercentile", a, q, axis, method, keepdims, ignore_nan=True, scale=100.0)


def _median(a, axis, keepdims, *, ignore_nan: bool):
    """The mean of the two middle numbers (or the middle one): NumPy averages, it does not interpolate."""
    a_ndim = np.ndim(a)
    rows, axes, _ = _sorted_rows("median", a, axis)
    n = rows.shape[-1]
    if n == 0:
        return _median_of_empty_axis(rows, a_ndim, axes, keepdims)
    count = np.sum(~np.isnan(rows), axis=-1) if ignore_nan and is_floating(rows.dtype) else \
        P.full(rows.shape[:-1], n, np.int64)
    last = np.maximum(count - 1, 0)
    lower, upper = np.floor_divide(last, 2), np.floor_divide(last + 1, 2)
    middle = (_read_rank(rows, P.lift(lower)), _read_rank(rows, P.lift(upper)))
    mean = np.mean(np.stack(middle), axis=0)
    # One middle number is the median itself, as NumPy takes it (the mean of it with itself overflows near the
    # largest float: float32 max became inf).
    result = np.where(lower == upper, middle[0].astype(mean.dtype), mean)
    return _finish(result, rows, count, a_ndim, axes, 0, keepdims, ignore_nan=ignore_nan)


@implements(np.median)
def median(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    _check("median", "linear", out)
    return _median(a, axis, keepdims, ignore_nan=False)


@implements(np.nanmedian)
def nanmedian(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    _check("nanmedian", "linear", out)
    return _median(a, axis, keepdims, ignore_nan=True)
