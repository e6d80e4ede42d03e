"""Sorting and searching: sort, argsort, lexsort, searchsorted, all on `stablehlo.sort`.

NumPy's order puts NaN after every number (and keeps -0.0 and 0.0 equal), so the
comparator spells that out. Our sorts are always stable: `argsort` with NumPy's default
kind may order equal elements differently from NumPy (its quicksort is not stable), never
with kind="stable".
"""

from __future__ import annotations

import math

import numpy as np

from ir.dtypes import is_floating
from ir import ops
from tracer import errors
from tracer import primitives as P
from tracer.numpy_api.registry import implements
from tracer.traced_array import TracedArray

__all__ = ["argsort", "lexsort", "searchsorted", "sort", "sort_along"]

_KINDS = (None, "quicksort", "mergesort", "heapsort", "stable")


def _less(lhs, rhs):
    """NumPy's `<` for sorting, on 0-d MLIR values: numbers before NaN."""
    less = ops.compare(lhs, rhs, "LT")
    if not is_floating(ops.dtype_of(lhs)):  # (not np.issubdtype(..., np.floating): bfloat16 is not one to NumPy)
        return less
    lhs_is_number = ops.compare(lhs, lhs, "EQ")
    rhs_is_nan = ops.compare(rhs, rhs, "NE")
    return ops.or_(less, ops.and_(lhs_is_number, rhs_is_nan))


def _lexicographic(lhs: list, rhs: list):
    """Sort by the first operand, ties broken by the next one, ... (payload operands come last and are ignored)."""
    result = _less(lhs[-1], rhs[-1])
    for a, b in zip(reversed(lhs[:-1]), reversed(rhs[:-1])):
        tied = ops.and_(ops.not_(_less(a, b)), ops.not_(_less(b, a)))
        result = ops.or_(_less(a, b), ops.and_(tied, result))
    return result


def _check_options(name: str, kind, order, stable=None) -> None:
    if order is not None:
        raise errors.UnsupportedNumPyError(f"numpy.{name}: order= (structured arrays) is not supported under tracing")
    if kind not in _KINDS:
        raise errors.TracedShapeError(f"sort kind must be one of 'quick', 'heap', or 'stable' (got {kind!r})")


def _flatten_if_none(x: TracedArray, axis):
    if axis is None:
        return P.reshape(x, (x.size,)), 0
    return x, P.normalize_axis(axis, x.ndim)


def sort_along(operands: list[TracedArray], axis: int, less_than) -> list[TracedArray]:
    """Sort same-shape traced arrays together along `axis` (no-op for empty or length-1 axes)."""
    if operands[0].shape[axis] <= 1 or math.prod(operands[0].shape) == 0:
        return operands
    values = ops.sort([x._value for x in operands], axis, less_than)
    return [P.wrap(v, x.shape, x.dtype) for v, x in zip(values, operands)]


def _positions(shape, axis: int) -> TracedArray:
    return P.wrap(ops.iota(shape, axis, np.int64), shape, np.int64)


@implements(np.sort)
def sort(a, axis=-1, kind=None, order=None, *, stable=None):
    _check_options("sort", kind, order)
    x, axis = _flatten_if_none(P.lift(a), axis)
    (result,) = sort_along([x], axis, lambda lhs, rhs: _less(lhs[0], rhs[0]))
    return result


@implements(np.argsort)
def argsort(a, axis=-1, kind=None, order=None, *, stable=None):
    _check_options("argsort", kind, order)
    x, axis = _flatten_if_none(P.lift(a), axis)
    _, order_of = sort_along([x, _positions(x.shape, axis)], axis, lambda lhs, rhs: _less(lhs[0], rhs[0]))
    return order_of


@implements(np.lexsort)
def lexsort(keys, axis=-1):
    """Indices sorting by the last key, then the one before it, ... (NumPy's lexsort)."""
    keys = [P.lift(k) for k in keys] if isinstance(keys, (list, tuple)) else [P.lift(keys)[i] for i in range(P.lift(keys).shape[0])]
    if not keys:
        raise errors.TracedShapeError("need sequence of keys with len > 0 in lexsort")
    shape = P.broadcast_shapes(*(k.shape for k in keys))
    keys = [P.broadcast_to(k, shape) for k in keys]
    axis = P.normalize_axis(axis, len(shape))
    primary_first = list(reversed(keys))
    *_, order_of = sort_along(primary_first + [_positions(shape, axis)], axis,
                              lambda lhs, rhs: _lexicographic(lhs[:-1], rhs[:-1]))
    return order_of


@implements(np.searchsorted)
def searchsorted(a, v, side="left", sorter=None):
    """Binary search with a static number of halvings (ceil(log2(n + 1))), each one gather and a compare."""
    if side not in ("left", "right"):
        raise errors.TracedShapeError(f"side must be 'left' or 'right' (got {side!r})")
    haystack = P.lift(a)
    if haystack.ndim != 1:
        raise errors.TracedShapeError("object too deep for desired array: searchsorted needs a 1-d sorted array",
                                      fix="search each row separately, or flatten it")
    if sorter is not None:
        haystack = np.take(haystack, sorter)
    dtype = np.result_type(haystack.dtype, getattr(v, "dtype", None) or np.asarray(v).dtype)
    haystack, needles = P.convert(haystack, dtype), P.lift(v, dtype)
    n = haystack.shape[0]
    low = P.full(needles.shape, 0, np.int64)
    if n == 0:
        return low
    high = P.full(needles.shape, n, np.int64)
    for _ in range(max(1, math.ceil(math.log2(n + 1)))):
        middle = np.floor_divide(low + high, 2)
        probe = np.take(haystack, np.minimum(middle, n - 1))
        go_right = _elementwise_less(probe, needles) if side == "left" else np.logical_not(_elementwise_less(needles, probe))
        searching = low < high
        low = np.where(searching & go_right, middle + 1, low)
        high = np.where(searching & ~go_right, middle, high)
    return low


def _elementwise_less(x: TracedArray, y: TracedArray) -> TracedArray:
    """NumPy's sort order (NaN last) elementwise."""
    less = x < y
    if not is_floating(x.dtype):
        return less
    return less | ((x == x) & (y != y))
