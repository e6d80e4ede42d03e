"""Creation from traced values: linspace/logspace/geomspace, tril/triu, meshgrid, vander, empty_like, copyto.

np.zeros/ones/eye/arange take no array, so NumPy never hands them to the tracer: they make NumPy
constants, which mix with traced values as any NumPy array does. `np.full(shape, traced)` is the
exception: NumPy fills a fresh NumPy array through `np.copyto`, which is refused here with a fix.
"""

from __future__ import annotations

import operator

import numpy as np

from ir import ops
from tracer import errors
from tracer import primitives as P
from tracer.numpy_api.cumulative import scan
from tracer.numpy_api.promotion import result_type_operand
from tracer.numpy_api.registry import implements
from tracer.numpy_api.selection import zeros_like
from tracer.numpy_api.shape_ops import concat, moveaxis, slice_axis
from tracer.traced_array import TracedArray, check_writable, is_traced, rebind

__all__ = ["copyto", "empty_like", "geomspace", "linspace", "linspace_values", "logspace", "meshgrid", "tril", "triu",
           "vander"]


# -- linspace / logspace / geomspace ---------------------------------------------------------------

def _sample_count(num) -> int:
    num = operator.index(num)
    if num < 0:
        raise errors.TracedShapeError(f"Number of samples, {num}, must be non-negative.", fix="pass num >= 0")
    return num


def _set_last(y: TracedArray, value) -> TracedArray:
    """y with y[-1] = value (broadcast), as NumPy pins linspace's endpoint."""
    last = P.broadcast_to(P.convert(P.lift(value), y.dtype), (1,) + y.shape[1:])
    return concat([slice_axis(y, 0, 0, y.shape[0] - 1), last], 0)


def linspace_values(start, stop, num, endpoint=True, dtype=None, axis=0):
    """(samples, step) computed as NumPy's linspace does, for traced or NumPy start/stop."""
    num = _sample_count(num)
    div = num - 1 if endpoint else num
    dt = np.result_type(result_type_operand(start), result_type_operand(stop), 0.0)  # 0.0: NumPy's ensure_inexact
    delta = P.lift(np.subtract(P.lift(stop), P.lift(start), dtype=dt))
    y = np.arange(0, num, dtype=dt).reshape(-1, *((1,) * delta.ndim))
    if div > 0:
        step = P.lift(np.true_divide(delta, div))
        # NumPy divides first when the step underflows to zero (denormal deltas, gh-5437).
        y = np.where(np.equal(step, 0), np.multiply(np.true_divide(y, div), delta), np.multiply(y, step))
    else:
        step = P.constant(np.nan)
        y = np.multiply(y, delta)
    y = P.convert(P.lift(np.add(y, P.lift(start))), dt)
    if endpoint and num > 1:
        y = _set_last(y, stop)
    if axis != 0:
        y = moveaxis(y, 0, axis)
    if dtype is not None and np.issubdtype(dtype, np.integer):
        y = P.lift(np.floor(y))  # NumPy 2 rounds integer samples towards -inf
    return P.convert(y, dt if dtype is None else np.dtype(dtype)), step


@implements(np.linspace)
def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0, *, device=None):
    y, step = linspace_values(start, stop, num, endpoint, dtype, axis)
    return (y, step) if retstep else y


def _at_least(value, ndim):
    x = P.lift(value)
    return P.reshape(x, (1,) * (ndim - x.ndim) + x.shape)


@implements(np.logspace)
def logspace(start, stop, num=50, endpoint=True, base=10.0, dtype=None, axis=0):
    if not isinstance(base, (float, int)) and np.ndim(base):
        # An array base joins the broadcast (NumPy then makes arrays of all three: Python floats turn float64).
        ndim = max(np.ndim(start), np.ndim(stop), np.ndim(base))
        start, stop, base = (_at_least(v, ndim) for v in (start, stop, base))
        y, _ = linspace_values(start, stop, num, endpoint, None, axis)
        position = P.normalize_axis(axis, y.ndim)
        base = P.reshape(base, base.shape[:position] + (1,) + base.shape[position:])
    else:
        y, _ = linspace_values(start, stop, num, endpoint, None, axis)
    result = P.lift(np.power(base, y))
    return result if dtype is None else P.convert(result, dtype)


@implements(np.geomspace)
def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0):
    """NumPy's geomspace; a traced zero start/stop gives nan (NumPy's ValueError depends on the data: raised here
    for a start or stop known while tracing, a number or a NumPy array)."""
    for end in (start, stop):
        if not is_traced(end) and np.any(np.asarray(end) == 0):
            raise errors.TracedShapeError("Geometric sequence cannot include zero",
                                          fix="start and stop must be nonzero (of one sign): use np.linspace for a "
                                              "sequence through zero")
    start, stop = P.lift(start), P.lift(stop)
    # (NumPy's result_type also takes float(num), a weak float beside float64 that changes nothing; given with
    # bfloat16, NumPy's promotion of a Python float fails: no common DType)
    dt = np.result_type(start.dtype, stop.dtype, np.float64)
    start, stop = P.convert(start, dt), P.convert(stop, dt)
    sign = P.lift(np.sign(start))
    start = P.lift(np.true_divide(start, sign))
    stop = P.lift(np.true_divide(stop, sign))
    result = logspace(np.log10(start), np.log10(stop), num=num, endpoint=endpoint, base=10.0, dtype=dt)
    if num > 0:  # the ends are exactly start and stop, not 10**log10(x)
        shape = (1,) + result.shape[1:]
        first = P.broadcast_to(start, shape)
        result = concat([first, slice_axis(result, 0, 1, num)], 0)
        if num > 1 and endpoint:
            result = _set_last(result, stop)
    result = P.lift(np.multiply(sign, result))
    if axis != 0:
        result = moveaxis(result, 0, axis)
    return P.convert(result, dt if dtype is None else np.dtype(dtype))


# -- triangles, grids, Vandermonde -----------------------------------------------------------------

def _triangle(m, k, *, lower: bool) -> TracedArray:
    x = P.lift(m)
    if x.ndim == 0:
        raise errors.TracedTypeError(f"numpy.{'tril' if lower else 'triu'} needs an array of at least 1 dimension",
                                     fix="pass a 2-d (or stacked 2-d) array")
    mask = np.tri(*x.shape[-2:], k=operator.index(k) - (0 if lower else 1), dtype=bool)
    zero = np.zeros(1, x.dtype)
    return np.where(mask, x, zero) if lower else np.where(mask, zero, x)


@implements(np.tril)
def tril(m, k=0):
    return _triangle(m, k, lower=True)


@implements(np.triu)
def triu(m, k=0):
    return _triangle(m, k, lower=False)


@implements(np.meshgrid)
def meshgrid(*xi, copy=True, sparse=False, indexing="xy"):
    if indexing not in ("xy", "ij"):
        raise errors.TracedShapeError("Valid values for `indexing` are 'xy' and 'ij'.", fix="pass indexing='xy' or 'ij'")
    ndim = len(xi)
    vectors = [P.lift(x) for x in xi]
    shapes = [[1] * ndim for _ in xi]
    for i, x in enumerate(vectors):
        shapes[i][i] = x.size
    if indexing == "xy" and ndim > 1:  # the first two outputs swap axes 0 and 1
        shapes[0][0], shapes[0][1] = 1, vectors[0].size
        shapes[1][0], shapes[1][1] = vectors[1].size, 1
    output = [P.reshape(x, shape) for x, shape in zip(vectors, shapes)]
    if not sparse:
        full = P.broadcast_shapes(*(x.shape for x in output))
        return tuple(P.broadcast_to(x, full) for x in output)
    return tuple(output) if copy else output


@implements(np.vander)
def vander(x, N=None, increasing=False):  # noqa: N803 - NumPy's name
    x = P.lift(x)
    if x.ndim != 1:
        raise errors.TracedShapeError("x must be a one-dimensional array or sequence.", fix="pass a 1-d array")
    columns = x.size if N is None else operator.index(N)
    dtype = np.promote_types(x.dtype, np.int64)
    x = P.convert(x, dtype)
    ones = P.full((x.size, min(columns, 1)), 1, dtype)
    # x**j by repeated multiplication (NumPy's multiply.accumulate), so integer powers wrap alike.
    powers = scan(P.broadcast_to(P.reshape(x, (x.size, 1)), (x.size, max(columns - 1, 0))), 1, ops.multiply, 1)
    v = concat([ones, powers], 1)
    if not increasing:
        v = P.wrap(ops.reverse(v._value, [1]), v.shape, v.dtype)
    return v


@implements(np.empty_like)
def empty_like(prototype, dtype=None, order="K", subok=True, shape=None, *, device=None):
    """Traced arrays have no uninitialised memory: empty_like gives zeros."""
    return zeros_like(prototype, dtype=dtype, shape=shape)


# -- copyto: writes into a traced destination --------------------------------------------------------

def _source_for(dst: TracedArray, src, casting: str) -> TracedArray:
    if type(src) in (int, float, complex, bool):
        try:
            return P.lift(src, dst.dtype)
        except OverflowError as err:
            raise errors.TracedOverflowError(str(err), fix=f"use a value that fits {dst.dtype}") from None
    src = P.lift(src)
    if not np.can_cast(src.dtype, dst.dtype, casting=casting):
        raise errors.TracedTypeError(
            f"Cannot cast array data from {src.dtype!r} to {dst.dtype!r} according to the rule {casting!r}",
            fix=f"cast the source with .astype({dst.dtype}) or pass casting='unsafe'")
    return P.convert(src, dst.dtype)


@implements(np.copyto, writes_into=(0, "dst"))
def copyto(dst, src, casting="same_kind", where=True):
    if not is_traced(dst):
        raise errors.UnsupportedNumPyError(
            "numpy.copyto: a traced value cannot be written into a NumPy array "
            "(np.full(shape, traced_value) does this internally)",
            fix="use np.full_like(x, value) or np.broadcast_to(value, shape) to make an array of a traced value",
        )
    check_writable(dst)
    value = P.broadcast_to(_source_for(dst, src, casting), dst.shape)
    if where is not True:
        mask = P.broadcast_to(P.lift(where) if is_traced(where) else P.lift(np.asarray(where, bool)), dst.shape)
        value = P.select(P.convert(mask, np.bool_), value, dst)
    rebind(dst, value._value)
