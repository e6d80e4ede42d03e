"""TracedArray-level building blocks shared by the NumPy implementations.

Each helper takes and returns TracedArrays, emits `ir.ops` in the active trace,
and knows nothing of NumPy's calling conventions (axis defaults, keywords...).
"""

from __future__ import annotations

import math
import operator

import ml_dtypes
import numpy as np
from jaxlib.mlir import ir as mlir

from ir.dtypes import is_floating
from ir import dtypes, ops
from passes.autodiff.registry import STOP_GRADIENT_ATTRIBUTE
from tracer import errors
from tracer.signature import refuse_array_subclass
from tracer.trace_state import current_trace
from tracer.traced_array import TracedArray, check_alive, is_traced

__all__ = ["TRACED_VALUE_OF", "UNSIGNED_OF_WIDTH", "bitcast", "broadcast_shapes", "broadcast_to", "compare",
           "constant", "convert", "elementwise", "full", "lift", "lift_unsafe", "normalize_axes", "normalize_axis",
           "reshape", "scalar_like", "select", "stop_gradient", "transpose", "uint_bits", "wrap"]


def wrap(value, shape=None, dtype=None) -> TracedArray:
    array = TracedArray(value, current_trace(), shape, dtype)
    too_big = dtypes.describe_bytes(array.shape, array.dtype)
    if too_big:  # (XLA would abort the process on it; NumPy, while folding, refuse it as "too big")
        raise errors.TracedShapeError(too_big, fix="work on smaller pieces (a loop over batches, a scan)")
    return array


def constant(value, dtype=None) -> TracedArray:
    if isinstance(value, np.ndarray) and type(value) is not np.ndarray:
        refuse_array_subclass(value)
    array = np.asarray(value, dtype=dtype)
    if not dtypes.is_supported(array.dtype):
        raise errors.TracedTypeError(
            f"a constant of dtype {array.dtype} cannot be traced",
            fix="convert it to one of " + ", ".join(str(d) for d in dtypes.SUPPORTED_DTYPES),
        )
    return wrap(ops.constant(array), array.shape, array.dtype)


# Host values that may stand for a traced value: type -> (x -> its TracedArray, or None while it holds host
# values). `tracer/numpy_api/created_arrays.py` registers the arrays NumPy creates while a function is traced,
# `construction.py` lists and tuples (which may hold traced values: `x[:2] = [a, b]`).
TRACED_VALUE_OF: dict = {}


def lift(x, dtype=None) -> TracedArray:
    """A TracedArray for `x`: traced values pass through, anything array-like becomes a constant."""
    if is_traced(x):
        check_alive(x)
        return x if dtype is None else convert(x, dtype)
    traced_value = TRACED_VALUE_OF.get(type(x))
    if traced_value is not None:
        traced = traced_value(x)
        if traced is not None:
            return lift(traced, dtype)
    return constant(x, dtype)


def lift_unsafe(x, dtype) -> TracedArray:
    """`lift`, but a Python number the dtype cannot hold is cast as NumPy's copyto(casting="unsafe") casts it
    (np.where, np.select): an int wraps (32769 as int16 is -32767), where `lift` raises NumPy's OverflowError."""
    try:
        return lift(x, dtype)
    except OverflowError as err:
        if type(x) is not int or not -2 ** 63 <= x < 2 ** 64:  # (beyond any integer dtype NumPy raises this too)
            raise errors.TracedOverflowError(str(err), fix=f"use a value that fits {np.dtype(dtype)}") from None
        return convert(constant(x), dtype)


def convert(x: TracedArray, dtype) -> TracedArray:
    """Element type conversion with NumPy's casting: to bool means `x != 0`."""
    dtype = np.dtype(dtype)
    if x.dtype == dtype:
        return x
    if dtype == np.bool_:
        zero = ops.constant(np.zeros((), x.dtype))
        return wrap(ops.compare(x._value, ops.broadcast_in_dim(zero, x.shape, ()), "NE"), x.shape, dtype)
    if x.dtype == np.bool_ and is_floating(dtype):
        # XLA rewrites convert(pred) * y into select(pred, y, 0), which gives 0 where NumPy gives
        # 0 * inf = nan (openxla/xla#2438). A select of 1/0 keeps the multiply.
        return select(x, full(x.shape, 1, dtype), full(x.shape, 0, dtype))
    return wrap(ops.convert(x._value, dtype), x.shape, dtype)


UNSIGNED_OF_WIDTH = {1: np.dtype(np.uint8), 2: np.dtype(np.uint16), 4: np.dtype(np.uint32), 8: np.dtype(np.uint64)}


def bitcast(x: TracedArray, dtype) -> TracedArray:
    """x's bits read as another dtype of the same width (same shape)."""
    dtype = np.dtype(dtype)
    return wrap(ops.bitcast_convert(x._value, dtype), x.shape, dtype)


def uint_bits(x: TracedArray) -> TracedArray:
    """x's bits as the unsigned integer of its width."""
    return bitcast(x, UNSIGNED_OF_WIDTH[x.dtype.itemsize])


def full(shape, fill_value, dtype) -> TracedArray:
    scalar = ops.constant(np.asarray(fill_value, dtype=dtype))
    return wrap(ops.broadcast_in_dim(scalar, shape, ()), shape, dtype)


def broadcast_shapes(*shapes) -> tuple[int, ...]:
    """NumPy's broadcasting rule (trailing dims equal, or 1), computed here: np.broadcast_shapes makes an
    array of the result's shape, and a shape too big for one reads as "could not be broadcast"."""
    shapes = [tuple(s) for s in shapes]
    result = []
    for axis in range(max((len(s) for s in shapes), default=0), 0, -1):
        sizes = {s[-axis] for s in shapes if len(s) >= axis} - {1}
        if len(sizes) > 1:
            raise errors.TracedShapeError(
                "operands could not be broadcast together with shapes " + " ".join(str(s) for s in shapes),
                fix="reshape or transpose the operands so that trailing dimensions match or are 1",
            )
        result.append(sizes.pop() if sizes else 1)
    return tuple(result)


def broadcast_to(x: TracedArray, shape) -> TracedArray:
    """NumPy broadcasting of `x` to `shape` (trailing dims aligned)."""
    shape = tuple(shape)
    if x.shape == shape:
        return x
    offset = len(shape) - x.ndim
    if offset < 0 or any(n not in (1, shape[offset + i]) for i, n in enumerate(x.shape)):
        raise errors.TracedShapeError(
            f"cannot broadcast an array of shape {x.shape} to shape {shape}",
            fix="the trailing dimensions must match or be 1",
        )
    # Size-1 dims that stretch are dropped first, so broadcast_in_dim maps each remaining dim 1:1.
    keep = [i for i, n in enumerate(x.shape) if n == shape[offset + i]]
    value = x._value
    if len(keep) != x.ndim:
        value = ops.reshape(value, [x.shape[i] for i in keep])
    return wrap(ops.broadcast_in_dim(value, shape, [offset + i for i in keep]), shape, x.dtype)


def reshape(x: TracedArray, shape) -> TracedArray:
    shape = tuple(int(d) for d in shape)
    if shape == x.shape:
        return x
    return wrap(ops.reshape(x._value, shape), shape, x.dtype)


def transpose(x: TracedArray, permutation) -> TracedArray:
    permutation = tuple(permutation)
    if permutation == tuple(range(x.ndim)):
        return x
    return wrap(ops.transpose(x._value, permutation), tuple(x.shape[p] for p in permutation), x.dtype)


def elementwise(builder, *xs: TracedArray, dtype=None) -> TracedArray:
    """Apply an elementwise `ir.ops` builder to same-shape operands."""
    value = builder(*(x._value for x in xs))
    return wrap(value, xs[0].shape, dtype if dtype is not None else xs[0].dtype)


def compare(x: TracedArray, y: TracedArray, direction: str) -> TracedArray:
    return wrap(ops.compare(x._value, y._value, direction), x.shape, np.bool_)


def select(pred: TracedArray, on_true: TracedArray, on_false: TracedArray) -> TracedArray:
    return wrap(ops.select(pred._value, on_true._value, on_false._value), on_true.shape, on_true.dtype)


def scalar_like(x: TracedArray, value) -> TracedArray:
    """`value` in x's dtype, broadcast to x's shape."""
    return full(x.shape, value, x.dtype)


def normalize_axis(axis: int, ndim: int) -> int:
    try:
        axis = operator.index(axis)
    except TypeError:
        raise errors.TracedTypeError(f"'{type(axis).__name__}' object cannot be interpreted as an integer axis",
                                     fix="pass axis as an int or a tuple of ints") from None
    if not -ndim <= axis < ndim:
        raise errors.TracedAxisError(
            f"axis {axis} is out of bounds for array of dimension {ndim}",
            fix=f"use an axis in [{-ndim}, {ndim})",
        )
    return axis % ndim


def normalize_axes(axis, ndim: int) -> tuple[int, ...]:
    """`None` means every axis; ints may be negative; duplicates are an error as in NumPy."""
    if axis is None:
        return tuple(range(ndim))
    axes = (axis,) if np.ndim(axis) == 0 else tuple(axis)
    normalized = tuple(normalize_axis(a, ndim) for a in axes)
    if len(set(normalized)) != len(normalized):
        raise errors.TracedShapeError(f"duplicate value in 'axis': {axis}")
    return normalized


def stop_gradient(x: TracedArray) -> TracedArray:
    """x marked constant for `passes.autodiff`: a `reduce_precision` to x's own widths (the identity) carrying
    the `pyreactant.stop_gradient` attribute. Integers and booleans have no derivative: returned as they are."""
    if not is_floating(x.dtype):
        return x
    info = ml_dtypes.finfo(x.dtype)
    exponent_bits = int(math.log2(info.maxexp)) + 1
    value = ops.reduce_precision(check_alive(x)._value, exponent_bits, info.nmant)
    value.owner.attributes[STOP_GRADIENT_ATTRIBUTE] = mlir.UnitAttr.get()
    return wrap(value, x.shape, x.dtype)
