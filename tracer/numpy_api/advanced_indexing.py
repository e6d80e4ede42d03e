"""Indexing with arrays and traced positions: `x[[0, 2]]`, `x[mask]`, `x[i]` for a traced `i`.

Reading follows NumPy's rules for where the indexed dims land: the index arrays broadcast
to one batch shape B, which replaces the indexed dims when they are adjacent in the index and
leads the result otherwise. The dims indexed by slices are cut first (one `stablehlo.slice`),
then one `stablehlo.gather` picks the points (a `dynamic_slice` when every position is a traced
scalar, the form loops use).

Writing (`x[idx] = v`) finds the flat positions the index reads, by indexing an iota of x's
flat positions with the same index, and scatters into the flat array: one implementation of
every index form, NumPy's own reading rules included. Where positions repeat, NumPy's last
write wins; a traced index gets the same answer from a scatter of winning positions first.

Positions known at trace time (NumPy arrays, lists, static masks) are checked like NumPy
checks them (IndexError). Traced positions cannot be checked: reads clamp them into range and
writes drop out-of-range updates, as JAX does; negative positions count from the end.
"""

from __future__ import annotations

import math
import operator

import numpy as np

from ir import ops
from tracer import errors
from tracer import primitives as P
from tracer.numpy_api.construction import array_from, holds_traced
from tracer.traced_array import TracedArray, is_traced

__all__ = ["Advanced", "as_advanced", "batch_shape", "check_static_bounds", "flat_iota", "gather", "index_dtype",
           "integer_position", "place_batch", "scatter_flat", "starts_for", "wrap_negative"]


class Advanced:
    """One advanced item of an index: integer positions for the input dim(s) `dims` consumes.

    `positions` is a NumPy int array (known at trace time) or a TracedArray of ints; a
    static boolean mask over k dims becomes k of these (NumPy's `mask.nonzero()`).
    """

    __slots__ = ("positions",)

    def __init__(self, positions):
        self.positions = positions

    @property
    def shape(self):
        return tuple(self.positions.shape)

    @property
    def traced(self) -> bool:
        return is_traced(self.positions)


def as_advanced(item, dim: int, shape) -> list[Advanced] | None:
    """The Advanced items an index item stands for, or None if it is a basic item."""
    if is_traced(item):
        if item.dtype == np.bool_:
            raise errors.TracedIndexError(
                "indexing with a traced boolean mask gives a result whose shape depends on the mask's values",
                fix="select instead: np.where(mask, x, fill); x[mask] with a mask over x's leading dims can be computed "
                    "on, reduced and assigned back (x[mask] = f(x[mask])); pass the mask as a NumPy array (a static "
                    "argument) if it is known ahead of time",
            )
        if not np.issubdtype(item.dtype, np.integer):
            raise errors.TracedIndexError("arrays used as indices must be of integer (or boolean) type",
                                          fix="convert the index with .astype(np.int32)")
        return [Advanced(item)]
    if isinstance(item, (list, tuple)) and holds_traced(item):  # x[[i, j]] with traced i: one traced index array
        return as_advanced(array_from(item, copy=None), dim, shape)
    if isinstance(item, (np.ndarray, list, tuple, range)) or (hasattr(item, "__array__") and not np.isscalar(item)):
        return _static_positions(np.asarray(item), dim, shape)
    return None


def _static_positions(array, dim: int, shape) -> list[Advanced]:
    if is_traced(array):
        return [Advanced(array)]
    if array.dtype == np.bool_:
        if array.ndim == 0:
            raise errors.TracedIndexError("a scalar boolean index (x[True]) is not supported under tracing",
                                          fix="use x[None] for True, or x[None][:0] for False")
        covered = tuple(shape[dim:dim + array.ndim])
        if covered != array.shape:
            axis = next((d for d, (m, n) in enumerate(zip(array.shape, covered + (None,) * array.ndim)) if m != n), 0)
            size = covered[axis] if axis < len(covered) else 0
            raise errors.TracedIndexError(
                f"boolean index did not match indexed array along axis {dim + axis}; size of axis is {size} "
                f"but size of corresponding boolean axis is {array.shape[axis]}")
        return [Advanced(positions) for positions in np.nonzero(array)]
    if array.size == 0 and array.dtype.kind not in "iu":
        array = array.astype(np.intp)  # NumPy reads an empty list as an empty integer index
    if array.dtype.kind not in "iu":
        raise errors.TracedIndexError("arrays used as indices must be of integer (or boolean) type",
                                      fix="convert the index with .astype(np.int64)")
    return [Advanced(array)]


def check_static_bounds(positions: np.ndarray, dim: int, size: int) -> np.ndarray:
    """NumPy's IndexError for positions known at trace time; negatives counted from the end."""
    if positions.size and (positions.min() < -size or positions.max() >= size):
        bad = positions[(positions < -size) | (positions >= size)].flat[0]
        raise errors.TracedIndexError(f"index {bad} is out of bounds for axis {dim} with size {size}")
    return np.where(positions < 0, positions + size, positions)


def wrap_negative(positions: TracedArray, size: int) -> TracedArray:
    """Traced positions with negatives counted from the end (NumPy's rule), still in their dtype."""
    if np.issubdtype(positions.dtype, np.unsignedinteger):
        return positions
    below = P.compare(positions, P.scalar_like(positions, 0), "LT")
    return P.select(below, P.elementwise(ops.add, positions, P.scalar_like(positions, size)), positions)


def index_dtype(shape) -> np.dtype:
    return np.dtype(np.int32 if max(shape, default=0) < 2**31 else np.int64)


def batch_shape(items: list[Advanced]) -> tuple[int, ...]:
    try:
        return np.broadcast_shapes(*(item.shape for item in items))
    except ValueError:
        raise errors.TracedIndexError(
            "shape mismatch: indexing arrays could not be broadcast together with shapes "
            + " ".join(str(item.shape) for item in items),
            fix="index arrays must broadcast against each other (trailing dims equal or 1)",
        ) from None


def gather(y: TracedArray, dims: list[int], items: list[Advanced]) -> TracedArray:
    """`y` indexed at `dims` by `items` (broadcast together); the batch dims lead the result."""
    batch = batch_shape(items)
    rest = [n for d, n in enumerate(y.shape) if d not in dims]
    out_shape = tuple(batch) + tuple(rest)
    if any(y.shape[d] == 0 for d in dims) and math.prod(batch):
        d = next(d for d in dims if y.shape[d] == 0)
        raise errors.TracedIndexError(f"index 0 is out of bounds for axis {d} with size 0")
    if math.prod(out_shape) == 0:
        return P.full(out_shape, 0, y.dtype)
    if not batch and all(item.traced for item in items):
        return _dynamic_read(y, dims, items)
    coordinates = _coordinates(y.shape, dims, items, batch)
    return P.wrap(ops.gather_points(y._value, coordinates._value, dims), out_shape, y.dtype)


def _dynamic_read(y: TracedArray, dims: list[int], items: list[Advanced]) -> TracedArray:
    """Scalar traced positions: one dynamic_slice of size 1 at those dims, which are then dropped."""
    starts = starts_for(y.shape, dims, items)
    sizes = [1 if d in dims else n for d, n in enumerate(y.shape)]
    sliced = P.wrap(ops.dynamic_slice(y._value, [s._value for s in starts], sizes), sizes, y.dtype)
    return P.reshape(sliced, tuple(n for d, n in enumerate(y.shape) if d not in dims))


def starts_for(shape, dims: list[int], items: list[Advanced]) -> list[TracedArray]:
    """dynamic_slice start indices: the wrapped traced scalar at each of `dims`, 0 elsewhere."""
    dtype = index_dtype(shape)
    by_dim = dict(zip(dims, items))
    return [P.convert(wrap_negative(by_dim[d].positions, n), dtype) if d in by_dim else P.constant(0, dtype)
            for d, n in enumerate(shape)]


def _coordinates(shape, dims: list[int], items: list[Advanced], batch) -> TracedArray:
    """The gather's index array: batch shape + (len(dims),), in range for static positions."""
    dtype = index_dtype(shape)
    if not any(item.traced for item in items):
        columns = [np.broadcast_to(check_static_bounds(item.positions, d, shape[d]), batch) for d, item in zip(dims, items)]
        return P.constant(np.stack(columns, axis=-1).astype(dtype))
    columns = []
    for d, item in zip(dims, items):
        column = wrap_negative(item.positions, shape[d]) if item.traced else P.lift(check_static_bounds(item.positions, d, shape[d]))
        columns.append(P.reshape(P.broadcast_to(P.convert(column, dtype), batch), tuple(batch) + (1,)))
    return P.wrap(ops.concatenate([c._value for c in columns], len(batch)), tuple(batch) + (len(dims),), dtype)


def place_batch(result: TracedArray, batch_ndim: int, front: int) -> TracedArray:
    """Move the leading batch dims after the first `front` other dims (NumPy's adjacent-indices rule)."""
    if front == 0 or batch_ndim == 0:
        return result
    others = list(range(batch_ndim, result.ndim))
    permutation = others[:front] + list(range(batch_ndim)) + others[front:]
    return P.transpose(result, permutation)


def scatter_flat(x: TracedArray, flat_positions, updates: TracedArray, combiner=None) -> TracedArray:
    """x with `updates` written at `flat_positions` (same shape) of its flattened elements.

    combiner None replaces, with NumPy's last-write-wins for repeated positions; otherwise
    (e.g. `ops.add`) every update is combined in, as `np.add.at` does.
    """
    count = math.prod(updates.shape)
    if count == 0 or x.size == 0:
        return x
    flat_x = P.reshape(x, (x.size,))
    updates = P.reshape(updates, (count,))
    dtype = index_dtype((x.size,))
    unique = False
    if not is_traced(flat_positions):
        positions = np.asarray(flat_positions).reshape(count)
        if combiner is None:  # keep the last write to each position, as NumPy's sequential assignment does
            _, last_from_end = np.unique(positions[::-1], return_index=True)
            keep = np.sort(count - 1 - last_from_end)
            positions, updates = positions[keep], _take_static(updates, keep)
            unique = True
        coordinates = P.constant(positions.reshape(-1, 1).astype(dtype))
    else:
        positions = P.convert(P.reshape(flat_positions, (count,)), dtype)
        if combiner is None:
            positions = _drop_overwritten(positions, x.size)
        coordinates = P.reshape(positions, (count, 1))
    value = ops.scatter_points(flat_x._value, coordinates._value, updates._value, [0], combiner, unique_indices=unique)
    return P.reshape(P.wrap(value, (x.size,), x.dtype), x.shape)


def _take_static(updates: TracedArray, keep: np.ndarray) -> TracedArray:
    if len(keep) == updates.shape[0] and np.array_equal(keep, np.arange(len(keep))):
        return updates
    coordinates = P.constant(keep.reshape(-1, 1).astype(index_dtype(updates.shape)))
    return P.wrap(ops.gather_points(updates._value, coordinates._value, [0]), (len(keep),), updates.dtype)


def _drop_overwritten(positions: TracedArray, size: int) -> TracedArray:
    """Positions where a later update hits the same element are moved out of range (dropped).

    The winner of each element is the largest update number scattered there with `max`.
    """
    count = positions.shape[0]
    numbers = P.wrap(ops.iota((count,), 0, positions.dtype), (count,), positions.dtype)
    none_yet = ops.constant(np.full((size,), -1, positions.dtype))
    winners = ops.scatter_points(none_yet, P.reshape(positions, (count, 1))._value, numbers._value, [0], ops.maximum)
    winner = P.wrap(ops.gather_points(winners, P.reshape(positions, (count, 1))._value, [0]), (count,), positions.dtype)
    wins = P.compare(winner, numbers, "EQ")
    return P.select(wins, positions, P.scalar_like(positions, size))


def flat_iota(shape) -> TracedArray:
    """Each element's flat (C-order) position, as a traced array of `shape`."""
    size = math.prod(shape)
    dtype = index_dtype((size,))
    return P.reshape(P.wrap(ops.iota((size,), 0, dtype), (size,), dtype), shape)


def integer_position(item) -> int | None:
    """A Python/NumPy integer index as an int; None for anything else."""
    if isinstance(item, (bool, np.bool_)) or is_traced(item):
        return None
    try:
        return operator.index(item)
    except TypeError:
        return None
