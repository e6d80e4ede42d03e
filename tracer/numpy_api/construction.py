"""Arrays built from traced values: `np.array([a.sum(), a.max(), 1.0])`, `np.asarray(traced)`, `np.block`.

`np.array` takes no array protocol for its argument, so NumPy never asks us: while a function is traced
`tracer/numpy_namespace.py` puts a version in its place that comes here when the argument holds traced
values. What NumPy would make of the nesting (the result's shape and dtype, and its errors for ragged
lists) is asked of NumPy itself, on a stand-in where each traced value is a NumPy array of its shape and
dtype (a Python number for a traced loop index, which NumPy's rules treat as one); each list level is then
one concatenate of its items in that dtype.
"""

from __future__ import annotations

import numpy as np

from tracer import errors
from tracer import primitives as P
from tracer.numpy_api.registry import implements
from tracer.numpy_api.shape_ops import concat
from tracer.traced_array import TracedArray, is_traced

__all__ = ["array_from", "block", "holds_traced"]


def holds_traced(value) -> bool:
    """Whether `value` is traced or a list/tuple (nested) holding a traced value."""
    if is_traced(value):
        return True
    if type(value) in (list, tuple):
        return any(map(holds_traced, value))
    return False


def _stand_in(value):
    """`value` with each traced value replaced by something NumPy's array construction treats alike."""
    if is_traced(value):
        if value._weak:  # a loop index: a Python number in NumPy's rules
            return {"b": False, "f": 0.0, "c": 0j}.get(value.dtype.kind, 0)
        return np.zeros(value.shape, value.dtype)
    if type(value) in (list, tuple):
        return [_stand_in(v) for v in value]
    return value


def _build(value, dtype) -> TracedArray:
    if is_traced(value):
        return P.convert(value, dtype)
    if type(value) in (list, tuple) and holds_traced(value):
        items = [_build(v, dtype) for v in value]
        return concat([P.reshape(item, (1,) + item.shape) for item in items], 0)
    return P.constant(np.asarray(value, dtype=dtype))


def array_from(obj, dtype=None, *, copy=True, ndmin: int = 0, numpy_array=np.array) -> TracedArray:
    """`np.array(obj, dtype, copy=copy, ndmin=ndmin)` for an `obj` holding traced values.

    `numpy_array` is NumPy's own `np.array`, asked for the shape and dtype. A traced `obj` of the
    right dtype comes back as it is unless `copy` is True (NumPy's `np.asarray(x) is x`)."""
    if is_traced(obj):
        if dtype is None or np.dtype(dtype) == obj.dtype:
            result = np.copy(obj) if copy else obj
        else:
            if copy is False:
                raise errors.TracedTypeError("Unable to avoid copy while creating an array as requested.",
                                             fix="pass copy=None (copy only if needed)")
            result = P.convert(obj, dtype)
    else:
        try:
            like = numpy_array(_stand_in(obj), dtype=dtype)
        except ValueError as err:
            raise errors.TracedShapeError(str(err), fix="give every item of a level the same shape") from None
        result = _build(obj, like.dtype)
        if result.shape != like.shape:  # (a level of mixed arrays and numbers that broadcast in NumPy: none do)
            result = P.broadcast_to(result, like.shape)
    if result.ndim < ndmin:
        result = P.reshape(result, (1,) * (ndmin - result.ndim) + result.shape)
    return result


def _built_if_traced(value):
    """For `primitives.lift`: a list or tuple holding traced values (`x[:2] = [a, b]`) as a traced array."""
    return array_from(value, copy=None) if holds_traced(value) else None


P.TRACED_VALUE_OF[list] = P.TRACED_VALUE_OF[tuple] = _built_if_traced


# -- np.block ---------------------------------------------------------------------------------------

def _depths(blocks, where=()):
    """Yield (index path, depth of list nesting) for each leaf of a np.block argument."""
    if type(blocks) is tuple:
        raise errors.TracedTypeError(f"arrays{''.join(f'[{i}]' for i in where)} is a tuple. Only lists can be used "
                                     "to arrange blocks, and np.block does not allow implicit conversion from tuple "
                                     "to ndarray.", fix="use a list")
    if type(blocks) is list:
        if not blocks:
            raise errors.TracedShapeError(f"List at arrays{''.join(f'[{i}]' for i in where)} cannot be empty",
                                          fix="give each list level at least one block")
        for i, item in enumerate(blocks):
            yield from _depths(item, where + (i,))
    else:
        yield where, len(where)


def _assemble(blocks, level: int, list_depth: int, ndim: int) -> TracedArray:
    """The blocks of one list level joined: level k of d joins along axis ndim - (d - k)."""
    if type(blocks) is not list:
        x = P.lift(blocks)
        return P.reshape(x, (1,) * (ndim - x.ndim) + x.shape)
    parts = [_assemble(b, level + 1, list_depth, ndim) for b in blocks]
    axis = ndim - (list_depth - level)
    dtype = np.result_type(*(p.dtype for p in parts))
    for p in parts[1:]:
        if any(a != b for d, (a, b) in enumerate(zip(p.shape, parts[0].shape)) if d != axis):
            raise errors.TracedShapeError(
                "all the input array dimensions except for the concatenation axis must match exactly, but got "
                f"shapes {parts[0].shape} and {p.shape} along axis {axis}",
                fix="give the blocks of a row one height, and those of a column one width")
    return concat([P.convert(p, dtype) for p in parts], axis)


def _leaf(blocks, where):
    for i in where:
        blocks = blocks[i]
    return blocks


@implements(np.block)
def block(arrays):
    """NumPy's np.block: the innermost lists join along the last axis, the outer ones along earlier axes."""
    leaves = list(_depths(arrays))
    if len({depth for _, depth in leaves}) != 1:
        first, other = leaves[0], next(leaf for leaf in leaves if leaf[1] != leaves[0][1])
        raise errors.TracedShapeError(
            f"List depths are mismatched. First element was at depth {first[1]}, but there is an element at depth "
            f"{other[1]} (arrays{''.join(f'[{i}]' for i in other[0])})", fix="nest every block equally deep")
    list_depth = leaves[0][1]
    ndim = max([list_depth] + [np.ndim(_leaf(arrays, where)) for where, _ in leaves])
    result = _assemble(arrays, 0, list_depth, ndim)
    return P.wrap(result._value, result.shape, result.dtype)  # a new array, never one of the blocks
