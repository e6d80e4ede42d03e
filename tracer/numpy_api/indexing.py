"""Basic indexing (ints, slices, None, Ellipsis): `x[idx]` and `x[idx] = v`.

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
from tracer.traced_array import TracedArray, check_alive, check_writable


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


def _is_advanced(item) -> bool:
    return isinstance(item, (TracedArray, np.ndarray, list, bool, np.bool_)) or (
        hasattr(item, "shape") and hasattr(item, "dtype") and not isinstance(item, np.integer)
    )


def _resolve(shape: tuple[int, ...], index) -> _Box:
    items = index if isinstance(index, tuple) else (index,)
    for item in items:
        if _is_advanced(item):
            raise errors.TracedIndexError(
                f"indexing with {type(item).__name__} values (advanced indexing) is not supported under tracing yet",
                fix="use ints, slices, None and ... ; for a traced position use np.where over an iota mask",
            )
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


def getitem(x: TracedArray, index) -> TracedArray:
    check_alive(x)
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
    box = _resolve(x.shape, index)
    try:
        update = P.lift(value, x.dtype)
    except OverflowError as err:
        raise errors.TracedOverflowError(str(err)) from None
    # An index of ints only (x[i, j], x[()]) makes NumPy fill a single element, from a scalar only (a bool
    # element takes a 1-element array's truth value); elsewhere the value broadcasts, leading unit dims dropped.
    items = index if isinstance(index, tuple) else (index,)
    single_element = box.result_shape == () and not any(item is Ellipsis for item in items)
    if single_element and update.ndim > 0 and x.dtype != np.bool_:
        raise errors.TracedShapeError("setting an array element with a sequence.",
                                      fix="assign a scalar (e.g. value[0], or value.reshape(()))")
    while update.ndim > len(box.result_shape) and update.shape[0] == 1:
        update = P.reshape(update, update.shape[1:])  # NumPy ignores extra leading unit dims of the value
    update = P.broadcast_to(update, box.result_shape)
    if math.prod(box.counts) == 0:
        return
    update = P.reshape(update, box.counts)
    starts, steps, reversed_dims = box.ascending(x.shape)
    update_value = ops.reverse(update._value, reversed_dims) if reversed_dims else update._value
    low = list(starts)
    high = [n - (s + (c - 1) * st + 1) for n, s, c, st in zip(x.shape, starts, box.counts, steps)]
    interior = [st - 1 for st in steps]
    placed = ops.pad(update_value, ops.constant(np.zeros((), x.dtype)), low, high, interior)
    inside = ops.pad(P.full(box.counts, True, np.bool_)._value, ops.constant(np.bool_(False)), low, high, interior)
    x._value = ops.select(inside, placed, x._value)
