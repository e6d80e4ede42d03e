"""Functions that read or write at computed positions: take, take_along_axis, put_along_axis,
put, choose, compress, extract, select, and `ufunc.at` (np.add.at and friends).

Each is spelled as an index of the traced array, so `tracer/numpy_api/indexing.py` is the one
place that turns positions into gathers and scatters.
"""

from __future__ import annotations

import numpy as np

from ir import ops
from tracer import errors
from tracer import primitives as P
from tracer.numpy_api import advanced_indexing as adv
from tracer.numpy_api import indexing
from tracer.numpy_api.promotion import resolution_dtype, result_type_operand, ufunc_loop_dtypes
from tracer.numpy_api.registry import implements, refuse, ufunc_method
from tracer.traced_array import check_writable, is_traced, rebind

__all__ = ["choose", "compress", "extract", "flat_positions", "put", "put_along_axis", "select", "take",
           "take_along_axis", "ufunc_at"]

# How `ufunc.at` combines an update into the element it hits; bools combine logically.
_AT_COMBINERS = {
    np.add: (ops.add, ops.or_), np.multiply: (ops.multiply, ops.and_),
    np.maximum: (ops.maximum, ops.or_), np.minimum: (ops.minimum, ops.and_),
    np.bitwise_and: (ops.and_, ops.and_), np.bitwise_or: (ops.or_, ops.or_), np.bitwise_xor: (ops.xor, ops.xor),
    np.logical_and: (ops.and_, ops.and_), np.logical_or: (ops.or_, ops.or_),
}


@ufunc_method("at")
def ufunc_at(ufunc, inputs, kwargs):
    """`np.add.at(x, index, values)`: unbuffered, so every repeated position accumulates."""
    if kwargs or len(inputs) != 3:
        raise errors.UnsupportedNumPyError(f"numpy.{ufunc.__name__}.at takes (array, indices, values) under tracing")
    target, index, values = inputs
    values = _as_array_values(values)
    if not is_traced(target):
        raise errors.UnsupportedNumPyError(
            f"numpy.{ufunc.__name__}.at: a traced value cannot be written into a NumPy array",
            fix="make the target an argument of the jit function (or start from np.zeros_like(...) of a traced value)",
        )
    if ufunc is np.subtract:  # x[i] -= v for each update is x[i] + (-v) summed, -v in subtract's loop dtype
        loop = ufunc_loop_dtypes(np.subtract, (target, values))[-1]  # (uint64 - bool is uint64; bool - bool raises)
        values = np.negative(P.convert(P.lift(values), loop))
        ufunc = np.add
    combiners = _AT_COMBINERS.get(ufunc)
    if combiners is None:
        raise errors.UnsupportedNumPyError(
            f"numpy.{ufunc.__name__}.at is not supported under tracing",
            fix="supported: " + ", ".join(f"numpy.{u.__name__}.at" for u in (np.subtract, *_AT_COMBINERS)),
        )
    check_writable(target)
    loop_dtype = np.dtype(ufunc.resolve_dtypes((target.dtype, resolution_dtype(values), None))[-1])
    positions = flat_positions(target, index)
    if loop_dtype == target.dtype:
        update = P.broadcast_to(P.lift(values, target.dtype), tuple(positions.shape))
        combiner = combiners[1] if target.dtype == np.bool_ else combiners[0]
        rebind(target, adv.scatter_flat(target, positions, update, combiner)._value)
        return None
    # ufunc.at computes in the loop's dtype and casts the result back unsafely (np.maximum.at(uint32, i, 2.5);
    # np.add.at(float16, i, 1e-3) adds in float64 and rounds once): combine in the loop's dtype, then convert back. Only
    # the elements hit are converted, so the others keep their exact values (int64 through float64 would not).
    # NumPy converts back after each update, this once after all of them: repeated positions may differ.
    wide = P.convert(target, loop_dtype)
    update = P.broadcast_to(P.lift(values, loop_dtype), tuple(positions.shape))
    combined = P.convert(adv.scatter_flat(wide, positions, update, combiners[loop_dtype == np.bool_]), target.dtype)
    hit = adv.scatter_flat(P.full(target.shape, False, np.bool_), positions,
                           P.full(tuple(positions.shape), True, np.bool_), ops.or_)
    rebind(target, P.select(hit, combined, target)._value)
    return None


def _as_array_values(values):
    """ufunc.at's values as NumPy takes them: it makes an array of them first, so a Python number (or a traced one,
    as a loop index is) takes part in the loop's dtype with its array dtype (int64, uint64, float64), not as a weak
    scalar: np.add.at(uint64, i, -2) computes in float64 (NumPy's uint64 + int64) and gives 0 where the weak -2 cannot
    become a uint64 (fuzz seed 2020, program 6949), and np.add.at(float16, i, v) adds in float64, then rounds."""
    if is_traced(values):
        return P.wrap(values._value, values.shape, values.dtype) if values._weak else values
    if type(values) in (bool, int, float, complex):
        array = np.asarray(values)
        if array.dtype == object:  # (an int beyond int64 and uint64)
            raise errors.TracedOverflowError("Python int too large to convert to C long",
                                             fix="pass values that fit int64 or uint64")
        return array
    return values


def flat_positions(x, index):
    """The flat positions of x's elements that `x[index]` reads (NumPy array if the index is static)."""
    items = index if isinstance(index, tuple) else (index,)
    if indexing.is_static(items):
        try:
            return np.arange(x.size).reshape(x.shape)[index]
        except IndexError as err:
            raise errors.TracedIndexError(str(err)) from None
    return indexing.getitem(adv.flat_iota(x.shape), index)


def _axis_index(ndim: int, axis: int, item) -> tuple:
    return (slice(None),) * axis + (item,) + (slice(None),) * (ndim - axis - 1)


_TAKE_MODES = ("raise", "wrap", "clip")


def _moded_positions(indices, size: int, mode: str):
    """Positions under take's `mode`: 'wrap' takes them modulo size, 'clip' into [0, size)."""
    if mode not in _TAKE_MODES:
        raise errors.TracedIndexError(f"clipmode must be one of 'clip', 'raise', or 'wrap' (got {mode!r})")
    if mode == "raise" or size == 0:
        return indices
    return np.remainder(indices, size) if mode == "wrap" else np.clip(indices, 0, size - 1)


@implements(np.take)
def take(a, indices, axis=None, out=None, mode="raise"):
    if out is not None:
        raise errors.UnsupportedNumPyError("numpy.take: out= is not supported under tracing", fix="assign the result")
    x = P.lift(a)
    if axis is None:
        x, axis = P.reshape(x, (x.size,)), 0
    axis = P.normalize_axis(axis, x.ndim)
    indices = _moded_positions(indices, x.shape[axis], mode)
    return indexing.getitem(x, _axis_index(x.ndim, axis, _as_index_array(indices)))


def _as_index_array(indices):
    """An index argument as NumPy or traced integers (NumPy accepts lists and scalars here)."""
    return indices if is_traced(indices) else np.asarray(indices)


def _along_axis_index(x_shape, indices, axis: int) -> tuple:
    """Index tuple that pairs `indices` (same rank as x) with iotas along every other axis."""
    ndim = len(x_shape)
    index_shape = tuple(indices.shape)
    if len(index_shape) != ndim:
        raise errors.TracedShapeError(f"`indices` and `arr` must have the same number of dimensions "
                                      f"(got {len(index_shape)} and {ndim})")
    items = []
    for d in range(ndim):
        if d == axis:
            items.append(indices)
        else:
            items.append(np.arange(x_shape[d]).reshape((-1,) + (1,) * (ndim - d - 1)))
    return tuple(items)


@implements(np.take_along_axis)
def take_along_axis(arr, indices, axis=-1):
    x = P.lift(arr)
    if axis is None:
        x, axis = P.reshape(x, (x.size,)), 0
    axis = P.normalize_axis(axis, x.ndim)
    return indexing.getitem(x, _along_axis_index(x.shape, _as_index_array(indices), axis))


@implements(np.put_along_axis, writes_into=(0, "arr"))
def put_along_axis(arr, indices, values, axis):
    target = _writable_target(arr, "put_along_axis")
    if axis is None:
        raise errors.UnsupportedNumPyError("numpy.put_along_axis: axis=None is not supported under tracing",
                                           fix="reshape the array to 1-d first and use axis=0")
    axis = P.normalize_axis(axis, target.ndim)
    target[_along_axis_index(target.shape, _as_index_array(indices), axis)] = values


@implements(np.put, writes_into=(0, "a"))
def put(a, ind, v, mode="raise"):
    """np.put writes into the flattened array, the values repeating cyclically as NumPy does."""
    target = _writable_target(a, "put")
    positions = _moded_positions(_as_index_array(ind), target.size, mode)
    count = int(np.prod(np.shape(positions)))
    values = P.lift(v, target.dtype)
    values = P.reshape(values, (max(values.size, 1) if values.ndim == 0 else values.size,))
    if count == 0 or values.size == 0:
        return None
    if values.size != count:
        repeats = -(-count // max(values.size, 1))
        values = P.wrap(ops.concatenate([values._value] * repeats, 0), (values.size * repeats,), values.dtype)
        values = indexing.getitem(values, slice(0, count))
    flat = P.reshape(target, (target.size,))
    flat[P.reshape(P.lift(positions), (count,)) if is_traced(positions) else np.reshape(positions, -1)] = values
    rebind(target, P.reshape(flat, target.shape)._value)
    return None


def _writable_target(a, name: str):
    if not is_traced(a):
        raise errors.UnsupportedNumPyError(
            f"numpy.{name}: a traced value cannot be written into a NumPy array",
            fix="make the array an argument of the jit function, or build it with np.zeros_like(...) of a traced value",
        )
    return check_writable(a)


@implements(np.choose)
def choose(a, choices, out=None, mode="raise"):
    if out is not None:
        raise errors.UnsupportedNumPyError("numpy.choose: out= is not supported under tracing", fix="assign the result")
    choices = [P.lift(c) for c in choices]
    dtype = np.result_type(*(c.dtype for c in choices))
    selector = _moded_positions(P.lift(a), len(choices), mode)
    shape = P.broadcast_shapes(selector.shape, *(c.shape for c in choices))
    selector = P.broadcast_to(P.lift(selector), shape)
    result = P.broadcast_to(P.convert(choices[-1], dtype), shape)
    for k in range(len(choices) - 2, -1, -1):  # a chain of selects; out-of-range positions pick the last
        hit = P.compare(selector, P.scalar_like(selector, k), "EQ")
        result = P.select(hit, P.broadcast_to(P.convert(choices[k], dtype), shape), result)
    return result


@implements(np.select)
def select(condlist, choicelist, default=0):
    if len(condlist) != len(choicelist):
        raise errors.TracedShapeError("list of cases must be same length as list of conditions")
    values = [P.lift(c) for c in choicelist]
    # Python numbers are weak here too (NEP 50): float32 choices with a -5.3 stay float32, and the number is cast
    # unsafely into the result (300 among int8 choices wraps to 44).
    dtype = np.result_type(*(result_type_operand(c) for c in (*choicelist, default)))
    conditions = [P.lift(c) for c in condlist]
    for c in conditions:
        if c.dtype != np.bool_:
            raise errors.TracedTypeError(f"invalid entry in condlist: should be boolean ndarray, got {c.dtype}",
                                         fix="compare first, e.g. x > 0")
    shape = P.broadcast_shapes(*(v.shape for v in values), *(c.shape for c in conditions), np.shape(default))
    result = P.broadcast_to(P.lift_unsafe(default, dtype), shape)
    for condition, value in zip(reversed(conditions), reversed(values)):  # the first true condition wins
        result = P.select(P.broadcast_to(condition, shape), P.broadcast_to(P.convert(value, dtype), shape), result)
    return result


@implements(np.compress)
def compress(condition, a, axis=None, out=None):
    if is_traced(condition):
        raise errors.TracedIndexError(
            "numpy.compress with a traced condition has a data-dependent result shape",
            fix="pass the condition as a NumPy array, or use np.where(condition, a, fill)",
        )
    if out is not None:
        raise errors.UnsupportedNumPyError("numpy.compress: out= is not supported under tracing", fix="assign the result")
    x = P.lift(a)
    if axis is None:
        x, axis = P.reshape(x, (x.size,)), 0
    axis = P.normalize_axis(axis, x.ndim)
    positions = np.nonzero(np.asarray(condition, dtype=bool).reshape(-1))[0]
    if positions.size and positions[-1] >= x.shape[axis]:
        raise errors.TracedIndexError(f"index {positions[-1]} is out of bounds for axis {axis} with size {x.shape[axis]}")
    return indexing.getitem(x, _axis_index(x.ndim, axis, positions))


@implements(np.extract)
def extract(condition, arr):
    return compress(np.ravel(condition) if not is_traced(condition) else condition, np.ravel(arr))


_SELECT_INSTEAD = ("select instead: np.where(condition, x, fill); or compute the positions from a NumPy "
                   "(static) array outside the traced function")
for _function in (np.nonzero, np.argwhere, np.flatnonzero):
    refuse(_function, "of a traced array has a shape that depends on its values", _SELECT_INSTEAD)
refuse(np.unique, "of a traced array has a size that depends on its values",
       "sort instead (np.sort), or mark unique values with a mask: sorted[1:] != sorted[:-1]")
