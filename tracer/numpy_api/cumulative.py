"""Cumulative ops: cumsum, cumprod, nancumsum, nancumprod, diff, ediff1d, trapezoid.

Running sums and products are a log-depth (Hillis-Steele) scan: step k combines each element with
the one 2**k before it, shifted in by one `stablehlo.pad` (negative high padding drops the tail).
That is ceil(log2 n) pad+add pairs: small IR that XLA fuses and compiles fast, O(n log n) work.
(`stablehlo.reduce_window` with an n-wide window would be one op, but XLA's CPU backend runs it
as an O(n^2) loop nest.)
"""

from __future__ import annotations

import numpy as np

from ir.dtypes import is_floating
from ir import ops
from tracer import errors
from tracer import primitives as P
from tracer.numpy_api.registry import implements
from tracer.numpy_api.shape_ops import concat, slice_axis
from tracer.traced_array import TracedArray

__all__ = ["cumprod", "cumsum", "diff", "ediff1d", "nancumprod", "nancumsum", "scan", "trapezoid"]

_NO_VALUE = np._NoValue


def _shift_in(x: TracedArray, axis: int, shift: int, identity) -> TracedArray:
    """x moved `shift` places along `axis`, the vacated front filled with `identity`."""
    low, high = [0] * x.ndim, [0] * x.ndim
    low[axis], high[axis] = shift, -shift
    fill = ops.constant(np.asarray(identity, x.dtype))
    return P.wrap(ops.pad(x._value, fill, low, high, [0] * x.ndim), x.shape, x.dtype)


def scan(x: TracedArray, axis: int, combiner, identity) -> TracedArray:
    """Inclusive scan of `x` along `axis` with the associative `combiner` (an `ir.ops` builder)."""
    shift = 1
    while shift < x.shape[axis]:
        x = P.elementwise(combiner, x, _shift_in(x, axis, shift, identity))
        shift *= 2
    return x


def _scan_input(a, axis, dtype, numpy_function):
    """(x converted to NumPy's result dtype, axis): axis=None flattens, as does a 0-d input."""
    x = P.lift(a)
    x = P.convert(x, numpy_function(np.ones(1, x.dtype), dtype=dtype).dtype)
    if axis is None or x.ndim == 0:
        if axis is not None:
            P.normalize_axis(axis, 1)  # NumPy accepts axis 0 (or -1) for a 0-d array
        return P.reshape(x, (x.size,)), 0
    return x, P.normalize_axis(axis, x.ndim)


def _check_out(name, out):
    if out is not None:
        raise errors.UnsupportedNumPyError(f"numpy.{name}: argument(s) out are not supported under tracing",
                                           fix="assign the result to a name instead of passing out=")


def _scan_in_float32_if_narrow(x: TracedArray, axis: int, combiner, identity) -> TracedArray:
    """float16/bfloat16 partial sums and products are computed in float32 and each rounded once, as their sums are
    (README): scanned in 16 bits, every level of the scan rounded them again (fuzz seed 2121, program 2368: a float16
    cumsum 16 ulps off, where NumPy's own rounds every partial sum in sequence, which no parallel scan reproduces)."""
    if not (is_floating(x.dtype) and x.dtype.itemsize == 2):
        return scan(x, axis, combiner, identity)
    return P.convert(scan(P.convert(x, np.float32), axis, combiner, identity), x.dtype)


@implements(np.cumsum)
def cumsum(a, axis=None, dtype=None, out=None):
    _check_out("cumsum", out)
    x, axis = _scan_input(a, axis, dtype, np.cumsum)
    return _scan_in_float32_if_narrow(x, axis, ops.or_ if x.dtype == np.bool_ else ops.add, 0)


@implements(np.cumprod)
def cumprod(a, axis=None, dtype=None, out=None):
    _check_out("cumprod", out)
    x, axis = _scan_input(a, axis, dtype, np.cumprod)
    return _scan_in_float32_if_narrow(x, axis, ops.and_ if x.dtype == np.bool_ else ops.multiply, 1)


def _nan_to(a, value):
    x = P.lift(a)
    if not is_floating(x.dtype):
        return x
    return P.select(P.compare(x, x, "NE"), P.scalar_like(x, value), x)


@implements(np.nancumsum)
def nancumsum(a, axis=None, dtype=None, out=None):
    _check_out("nancumsum", out)
    return cumsum(_nan_to(a, 0), axis=axis, dtype=dtype)


@implements(np.nancumprod)
def nancumprod(a, axis=None, dtype=None, out=None):
    _check_out("nancumprod", out)
    return cumprod(_nan_to(a, 1), axis=axis, dtype=dtype)


# -- differences -----------------------------------------------------------------------------------

def _edge_values(value, shape, axis: int):
    """`prepend=`/`append=` of np.diff: a scalar is broadcast to one slice along `axis`."""
    value = P.lift(value)
    if value.ndim == 0:
        value = P.broadcast_to(value, tuple(1 if d == axis else n for d, n in enumerate(shape)))
    return value


def _difference(x: TracedArray, axis: int) -> TracedArray:
    n = x.shape[axis]
    later, earlier = slice_axis(x, axis, 1, n), slice_axis(x, axis, 0, max(n - 1, 0))
    return P.lift((np.not_equal if x.dtype == np.bool_ else np.subtract)(later, earlier))


@implements(np.diff)
def diff(a, n=1, axis=-1, prepend=_NO_VALUE, append=_NO_VALUE):
    if n == 0:
        return P.lift(a)
    if n < 0:
        raise errors.TracedShapeError(f"order must be non-negative but got {n!r}", fix="pass n >= 0")
    x = P.lift(a)
    if x.ndim == 0:
        raise errors.TracedShapeError("diff requires input that is at least one dimensional",
                                      fix="reshape the input to 1-d, e.g. np.atleast_1d(a)")
    axis = P.normalize_axis(axis, x.ndim)
    pieces = [x]
    if prepend is not _NO_VALUE:
        pieces.insert(0, _edge_values(prepend, x.shape, axis))
    if append is not _NO_VALUE:
        pieces.append(_edge_values(append, x.shape, axis))
    if len(pieces) > 1:
        x = P.lift(np.concatenate(pieces, axis=axis))
    for _ in range(n):
        x = _difference(x, axis)
    return x


def _ediff1d_edge(value, dtype, name: str):
    if value is None:
        return None
    value = P.lift(value)
    if not np.can_cast(value.dtype, dtype, casting="same_kind"):
        raise errors.TracedTypeError(f"dtype of `{name}` must be compatible with input `ary` under the `same_kind` rule.",
                                     fix=f"cast `{name}` to {dtype} first")
    return P.convert(P.reshape(value, (value.size,)), dtype)


@implements(np.ediff1d)
def ediff1d(ary, to_end=None, to_begin=None):
    x = P.lift(ary)
    x = P.reshape(x, (x.size,))
    begin, end = _ediff1d_edge(to_begin, x.dtype, "to_begin"), _ediff1d_edge(to_end, x.dtype, "to_end")
    if x.dtype == np.bool_:
        raise errors.TracedTypeError("numpy boolean subtract, the `-` operator, is not supported",
                                     fix="convert the input with .astype(int) first")
    middle = P.convert(_difference(x, 0), x.dtype)
    return concat([piece for piece in (begin, middle, end) if piece is not None], 0)


@implements(np.trapezoid)
def trapezoid(y, x=None, dx=1.0, axis=-1):
    y = P.lift(y)
    axis = P.normalize_axis(axis, y.ndim)
    if x is None:
        d = dx
    else:
        x = P.lift(x)
        if x.ndim == 1:
            d = np.reshape(diff(x), tuple(x.shape[0] - 1 if k == axis else 1 for k in range(y.ndim)))
        else:
            d = diff(x, axis=axis)
    n = y.shape[axis]
    pairs = np.add(slice_axis(y, axis, 1, n), slice_axis(y, axis, 0, max(n - 1, 0)))
    return np.sum(np.true_divide(np.multiply(d, pairs), 2.0), axis=axis)
