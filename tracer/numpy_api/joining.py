"""Joining, splitting and rearranging: concatenate, stack & co, split & co, pad, append, delete, insert.

Functions taking a sequence (`np.concatenate([a, b])`) reach the tracer when any element is traced;
the other elements may be NumPy arrays, lists or numbers and become constants. Split points,
pad widths and delete/insert positions must be static (Python ints or NumPy arrays).
"""

from __future__ import annotations

import operator

import numpy as np

from ir import ops
from tracer import errors
from tracer import primitives as P
from tracer.numpy_api.creation import linspace_values
from tracer.numpy_api.registry import implements
from tracer.numpy_api.shape_ops import (
    atleast_1d,
    atleast_2d,
    atleast_3d,
    concat,
    moveaxis,
    slice_axis,
    take_static,
)
from tracer.traced_array import TracedArray

__all__ = ["append", "array_split", "column_stack", "concatenate", "delete", "dsplit", "dstack", "hsplit", "hstack",
           "insert", "join", "pad", "split", "stack", "vsplit", "vstack"]


def _check_static(name: str, **values) -> None:
    traced = [key for key, value in values.items() if hasattr(value, "_value")]
    if traced:
        raise errors.UnsupportedNumPyError(
            f"numpy.{name}: a traced {', '.join(traced)} is not supported under tracing (the result's shape would depend on it)",
            fix=f"pass {', '.join(traced)} as Python ints or NumPy arrays (static arguments)")


def _check_out(name: str, out) -> None:
    if out is not None:
        raise errors.UnsupportedNumPyError(f"numpy.{name}: argument(s) out are not supported under tracing",
                                           fix="assign the result to a name instead of passing out=")


# -- concatenate and stack -------------------------------------------------------------------------

def _joined_dtype(xs, dtype, casting: str) -> np.dtype:
    target = np.result_type(*(x.dtype for x in xs)) if dtype is None else np.dtype(dtype)
    for x in xs:
        if not np.can_cast(x.dtype, target, casting=casting):
            raise errors.TracedTypeError(
                f"Cannot cast array data from {x.dtype!r} to {target!r} according to the rule {casting!r}",
                fix=f"cast the operands with .astype({target}) first, or pass casting='unsafe'")
    return target


def _check_same_rank(xs, axis: int) -> None:
    first = xs[0]
    for i, x in enumerate(xs[1:], 1):
        if x.ndim != first.ndim:
            raise errors.TracedShapeError(
                "all the input arrays must have same number of dimensions, but the array at index 0 has "
                f"{first.ndim} dimension(s) and the array at index {i} has {x.ndim} dimension(s)",
                fix="reshape the operands (np.expand_dims, np.atleast_2d) to one rank")
        for d in range(x.ndim):
            if d != axis and x.shape[d] != first.shape[d]:
                raise errors.TracedShapeError(
                    "all the input array dimensions except for the concatenation axis must match exactly, but along "
                    f"dimension {d}, the array at index 0 has size {first.shape[d]} and the array at index {i} has size {x.shape[d]}",
                    fix="make the operands agree on every axis but the one they are joined along")


def _sequence(arrays, name: str) -> list[TracedArray]:
    xs = [P.lift(a) for a in arrays]
    if not xs:
        raise errors.TracedShapeError(f"need at least one array to {name}", fix="pass a non-empty sequence of arrays")
    return xs


def join(xs, axis, dtype=None, casting="same_kind") -> TracedArray:
    """np.concatenate on TracedArrays."""
    if axis is None:
        xs, axis = [P.reshape(x, (x.size,)) for x in xs], 0
    if any(x.ndim == 0 for x in xs):
        raise errors.TracedShapeError("zero-dimensional arrays cannot be concatenated",
                                      fix="use np.stack, or np.atleast_1d on the operands")
    axis = P.normalize_axis(axis, xs[0].ndim)
    _check_same_rank(xs, axis)
    target = _joined_dtype(xs, dtype, casting)
    return concat([P.convert(x, target) for x in xs], axis)


@implements(np.concatenate)
def concatenate(arrays, axis=0, out=None, *, dtype=None, casting="same_kind"):
    _check_out("concatenate", out)
    return join(_sequence(arrays, "concatenate"), axis, dtype, casting)


@implements(np.stack)
def stack(arrays, axis=0, out=None, *, dtype=None, casting="same_kind"):
    _check_out("stack", out)
    xs = _sequence(arrays, "stack")
    if len({x.shape for x in xs}) != 1:
        raise errors.TracedShapeError("all input arrays must have the same shape",
                                      fix="broadcast or reshape the operands to one shape first")
    axis = P.normalize_axis(axis, xs[0].ndim + 1)
    expanded = [P.reshape(x, x.shape[:axis] + (1,) + x.shape[axis:]) for x in xs]
    return join(expanded, axis, dtype, casting)


def _as_tuple(result):
    return result if isinstance(result, tuple) else (result,)


@implements(np.hstack)
def hstack(tup, *, dtype=None, casting="same_kind"):
    xs = _as_tuple(atleast_1d(*_sequence(tup, "concatenate")))
    return join(list(xs), 0 if xs[0].ndim == 1 else 1, dtype, casting)


@implements(np.vstack)
def vstack(tup, *, dtype=None, casting="same_kind"):
    return join(list(_as_tuple(atleast_2d(*_sequence(tup, "concatenate")))), 0, dtype, casting)


@implements(np.dstack)
def dstack(tup):
    return join(list(_as_tuple(atleast_3d(*_sequence(tup, "concatenate")))), 2)


@implements(np.column_stack)
def column_stack(tup):
    xs = _sequence(tup, "concatenate")
    columns = [P.reshape(x, (x.size, 1)) if x.ndim < 2 else x for x in xs]
    return join(columns, 1)


@implements(np.append)
def append(arr, values, axis=None):
    x, v = P.lift(arr), P.lift(values)
    return join([x, v], axis)


# -- splitting -------------------------------------------------------------------------------------

def _split_points(sections, n: int) -> list[int]:
    """Boundaries of the pieces: Python slice bounds, as NumPy's array_split uses them."""
    if np.ndim(sections) > 0:
        return [0] + [operator.index(i) for i in sections] + [n]
    count = operator.index(sections)
    if count <= 0:
        raise errors.TracedShapeError("number sections must be larger than 0.", fix="pass a positive number of sections")
    each, extras = divmod(n, count)
    sizes = [each + 1] * extras + [each] * (count - extras)
    return list(np.cumsum([0] + sizes))


@implements(np.array_split)
def array_split(ary, indices_or_sections, axis=0):
    _check_static("array_split", indices_or_sections=indices_or_sections)
    x = P.lift(ary)
    axis = P.normalize_axis(axis, x.ndim)
    points = _split_points(indices_or_sections, x.shape[axis])
    return [slice_axis(x, axis, start, stop) for start, stop in zip(points[:-1], points[1:])]


@implements(np.split)
def split(ary, indices_or_sections, axis=0):
    _check_static("split", indices_or_sections=indices_or_sections)
    x = P.lift(ary)
    axis = P.normalize_axis(axis, x.ndim)
    if np.ndim(indices_or_sections) == 0 and operator.index(indices_or_sections) > 0 \
            and x.shape[axis] % operator.index(indices_or_sections):
        raise errors.TracedShapeError("array split does not result in an equal division",
                                      fix="use np.array_split for unequal pieces, or a number of sections that divides the axis")
    return array_split(x, indices_or_sections, axis)


def _split_along(name: str, min_ndim: int, axis_of):
    def split_fn(ary, indices_or_sections):
        x = P.lift(ary)
        if x.ndim < min_ndim:
            raise errors.TracedShapeError(f"{name} only works on arrays of {min_ndim} or more dimensions",
                                          fix=f"reshape the input to at least {min_ndim}-d")
        return split(x, indices_or_sections, axis_of(x))

    split_fn.__name__ = name
    return split_fn


hsplit = implements(np.hsplit)(_split_along("hsplit", 1, lambda x: 1 if x.ndim > 1 else 0))
vsplit = implements(np.vsplit)(_split_along("vsplit", 2, lambda x: 0))
dsplit = implements(np.dsplit)(_split_along("dsplit", 3, lambda x: 2))


# -- delete / insert with static positions ---------------------------------------------------------

def _positions(numpy_function, n: int, *args):
    """Run NumPy's own index logic on arange(n): its result says which element lands where."""
    try:
        return numpy_function(np.arange(n), *args)
    except IndexError as err:
        raise errors.TracedIndexError(str(err), fix=f"use positions in [{-n}, {n})") from None
    except (ValueError, TypeError) as err:
        raise errors.TracedShapeError(str(err), fix="pass positions as ints, a slice, or a 1-d int/bool array") from None


def _flat_or_axis(arr, axis):
    x = P.lift(arr)
    if axis is None:
        return P.reshape(x, (x.size,)), 0
    return x, P.normalize_axis(axis, x.ndim)


@implements(np.delete)
def delete(arr, obj, axis=None):
    _check_static("delete", obj=obj)
    x, axis = _flat_or_axis(arr, axis)
    return take_static(x, _positions(np.delete, x.shape[axis], obj), axis)


def _inserted_block(x: TracedArray, axis: int, obj, values) -> TracedArray:
    """The values to insert, shaped as NumPy shapes them: broadcast to x's shape with `axis` resized."""
    if type(values) is int:  # NumPy makes np.array(values, dtype=x.dtype): a Python int it cannot hold is an error
        try:
            P.lift(values, x.dtype)
        except OverflowError as err:
            raise errors.TracedOverflowError(str(err), fix=f"insert values that {x.dtype} can hold") from None
    v = P.convert(P.lift(values), x.dtype)
    indices = np.asarray(range(*obj.indices(x.shape[axis])) if isinstance(obj, slice) else obj)
    if indices.size == 1:
        v = P.reshape(v, (1,) * (x.ndim - v.ndim) + v.shape)  # NumPy's ndmin
        if indices.ndim == 0:  # a scalar position inserts values' first axis along `axis`
            v = moveaxis(v, 0, axis)
        count = v.shape[axis]
    else:
        count = indices.size
    while v.ndim > x.ndim and v.shape[0] == 1:  # (NumPy writes them in by setitem, which drops extra leading unit dims)
        v = P.reshape(v, v.shape[1:])
    return P.broadcast_to(v, tuple(count if d == axis else n for d, n in enumerate(x.shape)))


@implements(np.insert)
def insert(arr, obj, values, axis=None):
    _check_static("insert", obj=obj)
    x, axis = _flat_or_axis(arr, axis)
    n = x.shape[axis]
    _positions(lambda base, pos: np.insert(base, pos, 0), n, obj)  # NumPy checks the positions before the values
    block = _inserted_block(x, axis, obj, values)
    count = block.shape[axis]
    # Positions n, n+1, ... stand for the inserted values in the joined [x, block].
    source = _positions(lambda base, pos: np.insert(base, pos, n + np.arange(count)), n, obj)
    return take_static(concat([x, block], axis), source, axis)


# -- pad -------------------------------------------------------------------------------------------

def _as_pairs(value, ndim: int, *, as_index: bool):
    """NumPy's broadcasting of pad_width/stat_length/constant_values to one (before, after) per axis."""
    if value is None:
        return [(None, None)] * ndim
    array = np.asarray(value)
    if as_index:
        array = np.round(array).astype(np.intp)
        if array.size and array.min() < 0:
            raise errors.TracedShapeError("index can't contain negative values", fix="pad widths must be >= 0")
    if array.ndim < 3 and array.size == 1:
        return [(array.ravel()[0], array.ravel()[0])] * ndim
    if array.ndim < 3 and array.size == 2 and array.shape != (2, 1):
        return [tuple(array.ravel())] * ndim
    try:
        return np.broadcast_to(array, (ndim, 2)).tolist()
    except ValueError:
        raise errors.TracedShapeError(f"could not broadcast {array.shape} to ({ndim}, 2) pad pairs",
                                      fix="give one (before, after) pair, or one pair per axis") from None


def _constant_pad(x, axis, before, after, values):
    low, high = [0] * x.ndim, [0] * x.ndim
    for width, value, side in ((before, values[0], low), (after, values[1], high)):
        if width == 0:
            continue
        fill = P.convert(value, x.dtype)._value if hasattr(value, "_value") else ops.constant(np.asarray(value).astype(x.dtype))
        side[axis] = width
        shape = tuple(n + width if d == axis else n for d, n in enumerate(x.shape))
        x = P.wrap(ops.pad(x._value, fill, low, high, [0] * x.ndim), shape, x.dtype)
        side[axis] = 0
    return x


def _index_pad(indices_of):
    """A mode that copies existing elements: `indices_of(n, before, after)` says which ones."""

    def pad_axis(x, axis, before, after, _):
        return take_static(x, indices_of(x.shape[axis], before, after), axis)

    return pad_axis


def _reflect(n, before, after):
    p = np.arange(-before, n + after)
    if n == 1:
        return np.zeros_like(p)
    i = p % (2 * (n - 1))
    return np.where(i < n, i, 2 * (n - 1) - i)


def _symmetric(n, before, after):
    i = np.arange(-before, n + after) % (2 * n)
    return np.where(i < n, i, 2 * n - 1 - i)


_MEAN = np.mean  # (NumPy's own: while tracing, `np.mean` is a wrapper, tracer/numpy_namespace.py)


def _stat_pad(reduction):
    def pad_axis(x, axis, before, after, stat_lengths):
        n = x.shape[axis]
        pieces = [x]
        for width, length, at_end in ((before, stat_lengths[0], False), (after, stat_lengths[1], True)):
            if width == 0:
                continue
            length = n if length is None else min(int(length), n)
            if length == 0 and reduction is not _MEAN:  # (a mean of nothing is nan)
                raise errors.TracedShapeError("stat_length of 0 yields no value for padding", fix="pass stat_length >= 1")
            window = slice_axis(x, axis, n - length, n) if at_end else slice_axis(x, axis, 0, length)
            stat = P.lift(reduction(window, axis=axis, keepdims=True))
            if stat.dtype != x.dtype:  # a mean of ints is rounded back, as NumPy's pad does
                stat = P.lift(np.rint(stat)) if x.dtype.kind in "iu" else stat
                stat = P.convert(stat, x.dtype)
            side = P.broadcast_to(stat, tuple(width if d == axis else s for d, s in enumerate(x.shape)))
            pieces.insert(len(pieces) if at_end else 0, side)
        return concat(pieces, axis)

    return pad_axis


def _linear_ramp(x, axis, before, after, end_values):
    n = x.shape[axis]
    pieces = [x]
    for width, end, at_end in ((before, end_values[0], False), (after, end_values[1], True)):
        if width == 0:
            continue
        edge = slice_axis(x, axis, n - 1, n) if at_end else slice_axis(x, axis, 0, 1)
        ramp, _ = linspace_values(end, edge, width, endpoint=False, dtype=x.dtype, axis=axis)
        ramp = P.reshape(ramp, tuple(width if d == axis else s for d, s in enumerate(x.shape)))
        if at_end:
            ramp = P.wrap(ops.reverse(ramp._value, [axis]), ramp.shape, ramp.dtype)
        pieces.insert(len(pieces) if at_end else 0, ramp)
    return concat(pieces, axis)


# mode -> (how one axis is padded, its keyword argument and that argument's default)
_PAD_MODES = {
    "constant": (_constant_pad, "constant_values", 0),
    "empty": (_constant_pad, None, 0),
    "edge": (_index_pad(lambda n, b, a: np.clip(np.arange(-b, n + a), 0, n - 1)), None, None),
    "wrap": (_index_pad(lambda n, b, a: np.arange(-b, n + a) % n), None, None),
    "reflect": (_index_pad(_reflect), "reflect_type", "even"),
    "symmetric": (_index_pad(_symmetric), "reflect_type", "even"),
    "maximum": (_stat_pad(np.max), "stat_length", None),
    "minimum": (_stat_pad(np.min), "stat_length", None),
    "mean": (_stat_pad(np.mean), "stat_length", None),
    "linear_ramp": (_linear_ramp, "end_values", 0),
}


def _pad_option(mode: str, keyword, default, kwargs, ndim):
    unexpected = set(kwargs) - {keyword}
    if unexpected:
        raise errors.TracedShapeError(f"unsupported keyword arguments for mode '{mode}': {unexpected}",
                                      fix=f"mode '{mode}' takes " + (f"only {keyword}=" if keyword else "no keyword arguments"))
    value = kwargs.get(keyword, default)
    if keyword == "reflect_type":
        if value != "even":
            raise errors.UnsupportedNumPyError(f"numpy.pad: reflect_type={value!r} is not supported under tracing",
                                               fix="use reflect_type='even' (the default)")
        return [(None, None)] * ndim
    if hasattr(value, "_value"):
        if value.ndim != 0:
            raise errors.UnsupportedNumPyError(f"numpy.pad: a traced {keyword} must be a scalar",
                                               fix=f"pass {keyword} as a traced scalar or as static numbers")
        return [(value, value)] * ndim
    return _as_pairs(value, ndim, as_index=keyword == "stat_length")


@implements(np.pad)
def pad(array, pad_width, mode="constant", **kwargs):
    _check_static("pad", pad_width=pad_width)
    x = P.lift(array)
    if np.asarray(pad_width).dtype.kind not in "iu":
        raise errors.TracedTypeError("`pad_width` must be of integral type.", fix="pass integer pad widths")
    if callable(mode) or mode not in _PAD_MODES:
        raise (errors.UnsupportedNumPyError if callable(mode) or mode == "median" else errors.TracedShapeError)(
            f"numpy.pad: mode {mode!r} is not supported under tracing", fix="supported modes: " + ", ".join(_PAD_MODES))
    pad_axis, keyword, default = _PAD_MODES[mode]
    options = _pad_option(mode, keyword, default, kwargs, x.ndim)
    widths = _as_pairs(pad_width, x.ndim, as_index=True)
    for axis, ((before, after), option) in enumerate(zip(widths, options)):
        if before == after == 0:
            continue
        if x.shape[axis] == 0 and pad_axis is not _constant_pad:
            raise errors.TracedShapeError(f"can't extend empty axis {axis} using modes other than 'constant' or 'empty'",
                                          fix="pad empty axes with mode='constant'")
        # Axis by axis, each seeing the padding of the axes before it: NumPy's corners.
        x = pad_axis(x, axis, int(before), int(after), option)
    return x
