"""Indexing: `x[idx]` and `x[idx] = v`. Basic indices (ints, slices, None, Ellipsis) are here;
arrays, masks and traced positions go to `advanced_indexing`.

Reading is one `stablehlo.slice` (after a `reverse` for negative steps) and a
reshape that drops int-indexed dims and adds `None` dims. Writing places the
value with `stablehlo.pad` (its interior padding spreads a strided box out to
the full shape) and selects it in under a mask padded the same way: two ops
for any basic index, strides and negative steps included.
"""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass

import numpy as np

from ir import ops
from tracer import errors
from tracer import primitives as P
from tracer.numpy_api import advanced_indexing as adv
from tracer.numpy_api.masked import MaskedSelection, packed_shape_error, same_mask
from tracer.traced_array import TracedArray, check_alive, check_writable, is_traced, make_view, rebind

__all__ = ["getitem", "is_static", "setitem"]


@dataclass(frozen=True)
class _Box:
    """A basic index resolved against a shape: per input dim, `count` elements from `start` by `step`."""

    starts: tuple[int, ...]
    counts: tuple[int, ...]
    steps: tuple[int, ...]
    result_shape: tuple[int, ...]  # what x[idx] has: int dims dropped, None dims added

    def ascending(self, shape):
        """Starts and steps rewritten so every step is positive (for dims with step < 0, the box is reversed)."""
        starts = tuple(s + (c - 1) * st if st < 0 and c > 0 else s for s, c, st in zip(self.starts, self.counts, self.steps))
        return starts, tuple(abs(st) for st in self.steps), tuple(d for d, st in enumerate(self.steps) if st < 0)


def _is_basic(item) -> bool:
    return item is None or item is Ellipsis or isinstance(item, slice) or adv.integer_position(item) is not None


def _items(index) -> tuple:
    return index if isinstance(index, tuple) else (index,)


def _resolve(shape: tuple[int, ...], index) -> _Box:
    items = _items(index)
    if sum(item is Ellipsis for item in items) > 1:
        raise errors.TracedIndexError("an index can only have a single ellipsis ('...')")
    consumed = sum(item is not None and item is not Ellipsis for item in items)
    if consumed > len(shape):
        raise errors.TracedIndexError(
            f"too many indices for array: array is {len(shape)}-dimensional, but {consumed} were indexed"
        )
    if Ellipsis in items:
        at = items.index(Ellipsis)
        items = items[:at] + (slice(None),) * (len(shape) - consumed) + items[at + 1 :]
    else:
        items = items + (slice(None),) * (len(shape) - consumed)

    starts, counts, steps, result_shape = [], [], [], []
    dim = 0
    for item in items:
        if item is None:
            result_shape.append(1)
            continue
        size = shape[dim]
        if isinstance(item, slice):
            if item.step == 0:
                raise errors.TracedShapeError("slice step cannot be zero")
            start, stop, step = item.indices(size)
            count = len(range(start, stop, step))
            starts.append(start if count else 0)
            counts.append(count)
            steps.append(step)
            result_shape.append(count)
        else:
            try:
                position = operator.index(item)
            except TypeError:
                raise errors.TracedIndexError(
                    f"only integers, slices (`:`), ellipsis (`...`) and None are valid indices, got {item!r}"
                ) from None
            if not -size <= position < size:
                raise errors.TracedIndexError(f"index {position} is out of bounds for axis {dim} with size {size}")
            starts.append(position % size)
            counts.append(1)
            steps.append(1)
        dim += 1
    return _Box(tuple(starts), tuple(counts), tuple(steps), tuple(result_shape))


def _check_single_element(items, read_shape, update: TracedArray, dtype) -> None:
    """An index of integers only (x[i, j], x[()], 0-d index arrays too) makes NumPy fill one element, from
    a scalar only (a bool element takes a 1-element array's truth value); elsewhere the value broadcasts."""
    single_element = read_shape == () and not any(item is Ellipsis for item in items)
    if single_element and update.ndim > 0 and dtype != np.bool_:
        raise errors.TracedShapeError("setting an array element with a sequence.",
                                      fix="assign a scalar (e.g. value[0], or value.reshape(()))")


def getitem(x: TracedArray, index) -> TracedArray | MaskedSelection:
    check_alive(x)
    items = _items(index)
    mask = _traced_mask(items)
    if mask is not None and mask.ndim:  # x[mask]: the selected elements, kept in place (numpy_api/masked.py)
        _check_mask_shape(x, mask)
        return MaskedSelection(P.wrap(x._value, x.shape, x.dtype), mask)
    if _selects_one_element(x, items):
        return _element(_basic_getitem(x, index) if all(map(_is_basic, items)) else _advanced_getitem(x, items))
    if all(map(_is_basic, items)):
        return make_view(x, _basic_getitem(x, index), lambda parent: _basic_getitem(parent, index),
                         lambda parent, view: _basic_set(parent, index, view))
    result = _advanced_getitem(x, items)
    if all(_is_basic(item) or (is_traced(item) and item.shape == () and item.dtype != np.bool_) for item in items):
        # A traced scalar position stands for an int: NumPy's x[i] is a view
        return make_view(x, result, lambda parent: _advanced_getitem(parent, items),
                         lambda parent, view: _advanced_set(parent, items, view))
    return result  # array indices copy, in NumPy too


def _selects_one_element(x: TracedArray, items: tuple) -> bool:
    """An int (or a traced int) for every dim: NumPy's `x[i, j]` is a scalar, a copy, where `x[i, ...]` is a 0-d view."""
    return len(items) == x.ndim and all(adv.integer_position(item) is not None
                                        or is_traced(item) and item.shape == () and item.dtype.kind in "iu"
                                        for item in items)


def _element(value: TracedArray) -> TracedArray:
    element = P.wrap(value._value, value.shape, value.dtype)  # (a new array even where the read was x itself)
    element._element = True
    return element


def _basic_getitem(x: TracedArray, index) -> TracedArray:
    box = _resolve(x.shape, index)
    starts, steps, reversed_dims = box.ascending(x.shape)
    value = x._value
    if reversed_dims:
        value = ops.reverse(value, reversed_dims)
        # In the reversed array, position p of x sits at n - 1 - p; the box now starts at its far end.
        starts = tuple(
            x.shape[d] - 1 - (s + (c - 1) * st) if d in reversed_dims and c > 0 else s
            for d, (s, c, st) in enumerate(zip(starts, box.counts, steps))
        )
    if any(c != n for c, n in zip(box.counts, x.shape)):
        limits = [s + (c - 1) * st + 1 if c else s for s, c, st in zip(starts, box.counts, steps)]
        value = ops.slice(value, starts, limits, steps)
    return P.reshape(P.wrap(value, box.counts, x.dtype), box.result_shape)


def setitem(x: TracedArray, index, value) -> None:
    """`x[index] = value`, rebinding x's traced value (NumPy's in-place write, as value semantics)."""
    check_writable(x)
    if x._element:
        raise errors.TracedTypeError(f"'numpy.{x.dtype.name}' object does not support item assignment (in NumPy, an "
                                     "element read with an int per dim is a scalar, a copy, not a view)",
                                     fix="write into the array it came from: x[i] = value")
    items = _items(index)
    new_value = _basic_set(x, index, value) if all(map(_is_basic, items)) else _advanced_set(x, items, value)
    if new_value is not x:
        rebind(x, new_value._value)


def _basic_set(x: TracedArray, index, value) -> TracedArray:
    """x's value after `x[index] = value` for a basic index."""
    box = _resolve(x.shape, index)
    try:
        update = P.lift(value, x.dtype)
    except OverflowError as err:
        raise errors.TracedOverflowError(str(err)) from None
    # An index of ints only (x[i, j], x[()]) makes NumPy fill a single element, from a scalar only (a bool
    # element takes a 1-element array's truth value); elsewhere the value broadcasts, leading unit dims dropped.
    _check_single_element(_items(index), box.result_shape, update, x.dtype)
    while update.ndim > len(box.result_shape) and update.shape[0] == 1:
        update = P.reshape(update, update.shape[1:])  # NumPy ignores extra leading unit dims of the value
    update = P.broadcast_to(update, box.result_shape)
    if math.prod(box.counts) == 0:
        return x
    update = P.reshape(update, box.counts)
    starts, steps, reversed_dims = box.ascending(x.shape)
    update_value = ops.reverse(update._value, reversed_dims) if reversed_dims else update._value
    if all(step == 1 for step in steps):
        # A contiguous box (an element, a row, a slice): one dynamic_update_slice at constant starts, which XLA
        # updates in place; a loop writing a buffer element by element stays a chain of small updates.
        positions = [ops.constant(np.asarray(start, np.int32)) for start in starts]
        return P.wrap(ops.dynamic_update_slice(x._value, update_value, positions), x.shape, x.dtype)
    low = list(starts)
    high = [n - (s + (c - 1) * st + 1) for n, s, c, st in zip(x.shape, starts, box.counts, steps)]
    interior = [st - 1 for st in steps]
    placed = ops.pad(update_value, ops.constant(np.zeros((), x.dtype)), low, high, interior)
    inside = ops.pad(P.full(box.counts, True, np.bool_)._value, ops.constant(np.bool_(False)), low, high, interior)
    return P.wrap(ops.select(inside, placed, x._value), x.shape, x.dtype)


# -- arrays, masks and traced positions ------------------------------------------------------------

def _consumes(item) -> int:
    """How many input dims an index item uses up (a boolean mask: its rank)."""
    if item is None or item is Ellipsis:
        return 0
    dtype = getattr(item, "dtype", None)
    if dtype == np.bool_ and np.ndim(item) > 0:
        return np.ndim(item)
    return 1


@dataclass
class _Plan:
    """An index split into what slicing does and what the gather does.

    `expanded_shape` is x's shape with a unit dim for each None; `slices` has one slice per
    dim of it; `advanced` pairs a dim with its positions; `adjacent` is NumPy's test of
    whether the batch dims replace the indexed dims in place (True) or lead the result.
    """

    expanded_shape: tuple[int, ...]
    slices: tuple
    advanced: list
    adjacent: bool


def _plan(shape: tuple[int, ...], items: tuple) -> _Plan:
    if sum(item is Ellipsis for item in items) > 1:
        raise errors.TracedIndexError("an index can only have a single ellipsis ('...')")
    consumed = sum(map(_consumes, items))
    if consumed > len(shape):
        raise errors.TracedIndexError(
            f"too many indices for array: array is {len(shape)}-dimensional, but {consumed} were indexed")
    expanded, slices, advanced, advanced_items = [], [], [], []
    dim = 0
    trailing = () if any(item is Ellipsis for item in items) else (Ellipsis,)
    for k, item in enumerate(items + trailing):
        if item is Ellipsis:
            for _ in range(len(shape) - consumed):
                expanded.append(shape[dim])
                slices.append(slice(None))
                dim += 1
        elif item is None:
            expanded.append(1)
            slices.append(slice(None))
        elif isinstance(item, slice):
            expanded.append(shape[dim])
            slices.append(item)
            dim += 1
        else:
            position = adv.integer_position(item)
            parts = [adv.Advanced(np.asarray(position))] if position is not None else adv.as_advanced(item, dim, shape)
            if parts is None:
                raise errors.TracedIndexError(
                    "only integers, slices (`:`), ellipsis (`...`), numpy.newaxis (`None`) and integer or boolean "
                    f"arrays are valid indices, got {item!r}")
            for part in parts:
                expanded.append(shape[dim])
                slices.append(slice(None))
                advanced.append((len(expanded) - 1, part))
                dim += 1
            advanced_items.append(k)
    adjacent = advanced_items == list(range(advanced_items[0], advanced_items[-1] + 1)) if advanced_items else True
    return _Plan(tuple(expanded), tuple(slices), advanced, adjacent)


def _advanced_getitem(x: TracedArray, items: tuple) -> TracedArray:
    plan = _plan(x.shape, items)
    sliced = _basic_getitem(P.reshape(x, plan.expanded_shape), plan.slices)
    dims = [d for d, _ in plan.advanced]
    result = adv.gather(sliced, dims, [a for _, a in plan.advanced])
    batch_ndim = result.ndim - (sliced.ndim - len(dims))
    return adv.place_batch(result, batch_ndim, dims[0] if plan.adjacent else 0)


def _advanced_set(x: TracedArray, items: tuple, value) -> TracedArray:
    """x's value after `x[items] = value` for an index with arrays, masks or traced positions."""
    mask = _traced_mask(items)
    if type(value) is MaskedSelection:  # x[mask] = f(y[mask]): the selected elements, in place
        if mask is None or not same_mask(mask, value.mask) or value.full.shape != x.shape:
            raise packed_shape_error("assigning x[mask] anywhere but through the same mask into an array of its shape")
        return P.select(value.selected, P.convert(value.full, x.dtype), x)
    try:
        update = P.lift(value, x.dtype)
    except OverflowError as err:
        raise errors.TracedOverflowError(str(err)) from None
    whole_mask = len(items) == 1 and getattr(items[0], "dtype", None) == np.bool_ and np.ndim(items[0]) == x.ndim
    if whole_mask and update.ndim > 1:
        raise errors.TracedTypeError(
            f"NumPy boolean array indexing assignment requires a 0 or 1-dimensional input, input has {update.ndim} dimensions",
            fix="assign a scalar or a 1-d array with one value per selected element")
    if mask is not None:
        return _mask_set(x, mask, update)
    plan = _plan(x.shape, items)
    if len(items) == x.ndim and all(_is_scalar_position(item) for item in items):
        _check_single_element(items, (), update, x.dtype)
    if _is_dynamic_box(plan, x.shape):
        return _dynamic_set(x, plan, update)
    if is_static(items):
        try:
            positions = np.arange(x.size).reshape(x.shape)[items]  # NumPy's own reading of the index
        except IndexError as err:
            raise errors.TracedIndexError(str(err)) from None
    else:
        positions = _advanced_getitem(adv.flat_iota(x.shape), items)
    update = _broadcast_value(update, tuple(positions.shape), fancy=_holds_index_arrays(items))
    return adv.scatter_flat(x, positions, update)


def _holds_index_arrays(items) -> bool:
    """Whether NumPy indexes with arrays here (lists, integer or boolean arrays), not ints and slices only."""
    return any(isinstance(item, (list, tuple)) or len(getattr(item, "shape", ())) > 0 for item in items)


def _is_dynamic_box(plan: _Plan, shape) -> bool:
    """`x[i] = v`, `x[i, :, j] = v` with traced scalar positions: a dynamic_update_slice, the form loops use."""
    return (plan.expanded_shape == shape
            and all(s == slice(None) for s in plan.slices)
            and all(a.traced and a.shape == () for _, a in plan.advanced))


def _dynamic_set(x: TracedArray, plan: _Plan, update: TracedArray) -> TracedArray:
    dims = [d for d, _ in plan.advanced]
    read_shape = tuple(n for d, n in enumerate(x.shape) if d not in dims)
    update = _broadcast_value(update, read_shape)
    box = P.reshape(update, tuple(1 if d in dims else n for d, n in enumerate(x.shape)))
    starts = adv.starts_for(x.shape, dims, [a for _, a in plan.advanced])
    return P.wrap(ops.dynamic_update_slice(x._value, box._value, [s._value for s in starts]), x.shape, x.dtype)


def _is_scalar_position(item) -> bool:
    return item is not None and item is not Ellipsis and not isinstance(item, slice) and np.ndim(item) == 0


def is_static(items) -> bool:
    def static(item):
        if isinstance(item, (list, tuple)):
            return all(map(static, item))
        return not is_traced(item)

    return all(map(static, items))


def _broadcast_value(update: TracedArray, shape, fancy: bool = False) -> TracedArray:
    given = update.shape
    trailing = given[len(given) - len(shape):] if len(shape) else ()
    if fancy and update.ndim > len(shape) and math.prod(trailing) == update.size:
        # Indexing with arrays, NumPy reshapes a value of more dims to its trailing ones (its mapiter): leading unit
        # dims drop, and so do any leading dims of an empty value (x[[]] = np.zeros((3, 0)): fuzz seed 2424, 1088).
        update = P.reshape(update, trailing)
    while update.ndim > len(shape) and update.shape[0] == 1:
        update = P.reshape(update, update.shape[1:])  # NumPy ignores extra leading unit dims of the value
    try:
        return P.broadcast_to(update, shape)
    except errors.TracedShapeError:
        raise errors.TracedShapeError(
            f"shape mismatch: value array of shape {given} could not be broadcast to indexing result of shape {shape}",
            fix="give a value whose shape broadcasts to what x[index] reads",
        ) from None


def _traced_mask(items) -> TracedArray | None:
    """The traced boolean mask of `x[mask] = v` / `x[mask, ...] = v`, if that is the index."""
    head = items[0] if items else None
    if is_traced(head) and head.dtype == np.bool_ and all(item is Ellipsis for item in items[1:]):
        return head
    return None


def _check_mask_shape(x: TracedArray, mask: TracedArray) -> None:
    if mask.shape != x.shape[: mask.ndim]:
        raise errors.TracedIndexError(
            f"boolean index of shape {mask.shape} does not match the indexed array's leading dims {x.shape[: mask.ndim]}")


def _mask_set(x: TracedArray, mask: TracedArray, update: TracedArray) -> TracedArray:
    """`x[mask] = v` for a traced mask over x's leading dims: a select, for a v that is the same for
    every selected element (NumPy would also take one value per selected element, in order; how many
    there are is only known when the code runs)."""
    _check_mask_shape(x, mask)
    row = x.shape[mask.ndim:]
    while update.ndim > len(row) and update.shape[0] == 1:
        update = P.reshape(update, update.shape[1:])
    if update.ndim > len(row):
        raise errors.TracedIndexError(
            "assigning one value per selected element through a traced boolean mask: how many elements the "
            "mask selects is only known when the code runs",
            fix="write x = np.where(mask, values, x) with values shaped like x, or assign a single value",
        )
    selected = P.broadcast_to(P.reshape(mask, mask.shape + (1,) * len(row)), x.shape)
    return P.select(selected, P.broadcast_to(update, x.shape), x)
