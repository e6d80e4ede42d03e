"""Reading and writing at computed positions: `stablehlo.dynamic_slice`, `dynamic_update_slice`,
`gather` and `scatter`.

Dynamic slices take one run-time start index per dimension and clamp the box into bounds. The tracer
builds gather and scatter in the "point" form (`gather_points`, `scatter_points`): the index array's last dim
holds one coordinate per indexed operand dim (`index_vector_dim` is last), every indexed dim is
collapsed (a window of 1), and the remaining operand dims are carried whole as offset dims.
`gather` and `scatter` take any dimension numbers (derivatives transpose one into the other).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
from jaxlib.mlir import ir
from jaxlib.mlir.dialects import stablehlo

from ir import dtypes
from ir.ops._common import check, dtype_of, shape_of

__all__ = ["GatherDimensions", "ScatterDimensions", "dynamic_slice", "dynamic_update_slice", "gather", "gather_points",
           "scatter", "scatter_points"]


def dynamic_slice(operand: ir.Value, start_indices: Sequence[ir.Value], slice_sizes) -> ir.Value:
    """A `slice_sizes` box at run-time start indices (clamped into bounds, per the spec)."""
    in_shape = shape_of(operand)
    sizes = [int(s) for s in slice_sizes]
    check(len(start_indices) == len(in_shape) == len(sizes), "dynamic_slice", "one start index and size per dimension")
    check(all(0 <= s <= n for s, n in zip(sizes, in_shape)), "dynamic_slice", f"sizes {sizes} exceed shape {in_shape}")
    for index in start_indices:
        check(shape_of(index) == () and np.issubdtype(dtype_of(index), np.integer), "dynamic_slice",
              "start indices must be 0-d integer tensors")
    return stablehlo.DynamicSliceOp(operand, list(start_indices), sizes).result


def dynamic_update_slice(operand: ir.Value, update: ir.Value, start_indices: Sequence[ir.Value]) -> ir.Value:
    """`operand` with `update` written at run-time start indices (clamped into bounds)."""
    in_shape, up_shape = shape_of(operand), shape_of(update)
    check(len(start_indices) == len(in_shape) == len(up_shape), "dynamic_update_slice", "ranks must match")
    check(all(u <= n for u, n in zip(up_shape, in_shape)), "dynamic_update_slice", f"update {up_shape} exceeds {in_shape}")
    check(dtype_of(update) == dtype_of(operand), "dynamic_update_slice", "update must have the operand's element type")
    return stablehlo.DynamicUpdateSliceOp(operand, update, list(start_indices)).result


def _check_point_indices(op: str, operand_shape, indices: ir.Value, indexed_dims: Sequence[int]) -> tuple[int, ...]:
    """Checks shared by gather and scatter; returns the batch shape (indices' dims but the last)."""
    index_shape = shape_of(indices)
    check(np.issubdtype(dtype_of(indices), np.integer), op, f"indices must be integers, got {dtype_of(indices)}")
    check(len(index_shape) >= 1 and index_shape[-1] == len(indexed_dims), op,
          f"indices' last dim must hold {len(indexed_dims)} coordinates, got shape {index_shape}")
    check(list(indexed_dims) == sorted(set(indexed_dims)) and all(0 <= d < len(operand_shape) for d in indexed_dims),
          op, f"indexed dims {list(indexed_dims)} must be increasing dims of a rank-{len(operand_shape)} operand")
    return index_shape[:-1]


def gather_points(operand: ir.Value, indices: ir.Value, indexed_dims: Sequence[int]) -> ir.Value:
    """`result[b..., rest...] = operand[indices[b..., :] placed at indexed_dims, rest...]`.

    Result shape: the batch shape of `indices`, then the operand's other dims in order.
    Out-of-range coordinates are clamped into bounds (the spec's rule for gather).
    """
    in_shape = shape_of(operand)
    indexed = [int(d) for d in indexed_dims]
    batch = _check_point_indices("gather", in_shape, indices, indexed)
    rest = [d for d in range(len(in_shape)) if d not in indexed]
    numbers = stablehlo.GatherDimensionNumbers.get(
        offset_dims=list(range(len(batch), len(batch) + len(rest))), collapsed_slice_dims=indexed,
        operand_batching_dims=[], start_indices_batching_dims=[], start_index_map=indexed,
        index_vector_dim=len(batch))
    slice_sizes = [1 if d in indexed else n for d, n in enumerate(in_shape)]
    result_type = dtypes.tensor_type(tuple(batch) + tuple(in_shape[d] for d in rest), dtype_of(operand))
    return stablehlo.GatherOp(operand, indices, numbers, slice_sizes, results=[result_type]).result


def scatter_points(operand: ir.Value, indices: ir.Value, updates: ir.Value, indexed_dims: Sequence[int],
                   combiner: Callable[[ir.Value, ir.Value], ir.Value] | None = None, *,
                   unique_indices: bool = False) -> ir.Value:
    """The inverse of `gather_points`: `updates` (batch shape + the other operand dims) combined into `operand`.

    `combiner(current, update)` builds the combining op from two scalars (`ops.add` accumulates like
    `np.add.at`); None replaces. With repeated coordinates, replacing leaves the winner unspecified:
    callers make coordinates unique first. Updates at out-of-range coordinates are dropped (XLA's rule).
    """
    in_shape = shape_of(operand)
    indexed = [int(d) for d in indexed_dims]
    batch = _check_point_indices("scatter", in_shape, indices, indexed)
    rest = [d for d in range(len(in_shape)) if d not in indexed]
    expected = tuple(batch) + tuple(in_shape[d] for d in rest)
    check(shape_of(updates) == expected, "scatter", f"updates must have shape {expected}, got {shape_of(updates)}")
    check(dtype_of(updates) == dtype_of(operand), "scatter", "updates must have the operand's element type")
    numbers = stablehlo.ScatterDimensionNumbers.get(
        update_window_dims=list(range(len(batch), len(batch) + len(rest))), inserted_window_dims=indexed,
        input_batching_dims=[], scatter_indices_batching_dims=[], scattered_dims_to_operand_dims=indexed,
        index_vector_dim=len(batch))
    op = stablehlo.ScatterOp([operand.type], [operand], indices, [updates], numbers, unique_indices=unique_indices)
    scalar = dtypes.tensor_type((), dtype_of(operand))
    block = op.update_computation.blocks.append(scalar, scalar)
    with ir.InsertionPoint(block):
        current, update = block.arguments
        stablehlo.ReturnOp([update if combiner is None else combiner(current, update)])
    return op.results[0]


# -- gather and scatter with any dimension numbers (autodiff's transposes need every form XLA has) ------------


def _batch_shape(op: str, indices: ir.Value, index_vector_dim: int, components: int) -> tuple[int, ...]:
    """The indices' dims but the index vector's (which must hold `components` coordinates)."""
    shape = shape_of(indices)
    check(np.issubdtype(dtype_of(indices), np.integer), op, f"indices must be integers, got {dtype_of(indices)}")
    check(0 <= index_vector_dim <= len(shape), op, f"index_vector_dim {index_vector_dim} out of range for indices "
                                                   f"of shape {shape}")
    size = shape[index_vector_dim] if index_vector_dim < len(shape) else 1  # (== rank: an implicit trailing 1)
    check(size == components, op, f"index vectors hold {size} coordinates, the dimension numbers map {components}")
    return shape[:index_vector_dim] + shape[index_vector_dim + 1:]


@dataclass(frozen=True)
class GatherDimensions:
    """How a `stablehlo.gather` reads its operand.

    Each index vector (along the indices' `index_vector_dim`; equal to their rank: one implicit trailing
    coordinate) starts a slice: coordinate i at operand dim `start_index_map[i]`. The slice's
    `collapsed_slice_dims` (size 1) are dropped, its other dims land at the result's `offset_dims`; the
    result's remaining dims are the indices' batch dims, in order. Operand dim `operand_batching_dims[i]`
    is not sliced but follows the indices' dim `start_indices_batching_dims[i]`.
    """

    offset_dims: tuple[int, ...]
    collapsed_slice_dims: tuple[int, ...]
    start_index_map: tuple[int, ...]
    index_vector_dim: int
    operand_batching_dims: tuple[int, ...] = ()
    start_indices_batching_dims: tuple[int, ...] = ()

    def attribute(self) -> ir.Attribute:
        return stablehlo.GatherDimensionNumbers.get(
            offset_dims=list(self.offset_dims), collapsed_slice_dims=list(self.collapsed_slice_dims),
            operand_batching_dims=list(self.operand_batching_dims),
            start_indices_batching_dims=list(self.start_indices_batching_dims),
            start_index_map=list(self.start_index_map), index_vector_dim=self.index_vector_dim)


def gather(operand: ir.Value, indices: ir.Value, dimension_numbers: GatherDimensions, slice_sizes, *,
           indices_are_sorted: bool = False) -> ir.Value:
    """`stablehlo.gather` with any dimension numbers: one `slice_sizes` slice of `operand` per index vector.

    Start coordinates are clamped so that each slice lies inside the operand (the spec's rule).
    """
    numbers, in_shape = dimension_numbers, shape_of(operand)
    batch = _batch_shape("gather", indices, numbers.index_vector_dim, len(numbers.start_index_map))
    sizes = [int(n) for n in slice_sizes]
    check(len(sizes) == len(in_shape) and all(0 <= s <= n for s, n in zip(sizes, in_shape)), "gather",
          f"slice_sizes {sizes} must give one size in 0..n per dim of the operand {in_shape}")
    dropped = set(numbers.collapsed_slice_dims) | set(numbers.operand_batching_dims)
    check(all(sizes[d] == 1 for d in dropped), "gather",
          f"collapsed and batching dims {sorted(dropped)} must have slice size 1, got {sizes}")
    offsets = [s for d, s in enumerate(sizes) if d not in dropped]
    rank = len(batch) + len(offsets)
    check(list(numbers.offset_dims) == sorted(set(numbers.offset_dims)) and len(numbers.offset_dims) == len(offsets)
          and all(0 <= d < rank for d in numbers.offset_dims), "gather",
          f"offset_dims {list(numbers.offset_dims)} must be {len(offsets)} increasing dims of the rank-{rank} result")
    batch_sizes, offset_sizes = iter(batch), iter(offsets)
    out_shape = [next(offset_sizes) if d in numbers.offset_dims else next(batch_sizes) for d in range(rank)]
    result_type = dtypes.tensor_type(out_shape, dtype_of(operand))
    return stablehlo.GatherOp(operand, indices, numbers.attribute(), sizes, indices_are_sorted=indices_are_sorted,
                              results=[result_type]).result


@dataclass(frozen=True)
class ScatterDimensions:
    """How a `stablehlo.scatter` writes: the mirror of `GatherDimensions`.

    Each index vector starts a window of the operand (coordinate i at operand dim
    `scattered_dims_to_operand_dims[i]`); the updates' `update_window_dims` span the window over the operand
    dims that are neither `inserted_window_dims` (size 1, absent from the updates) nor `input_batching_dims`
    (which follow the indices' `scatter_indices_batching_dims`); the updates' other dims are the indices' batch dims.
    """

    update_window_dims: tuple[int, ...]
    inserted_window_dims: tuple[int, ...]
    scattered_dims_to_operand_dims: tuple[int, ...]
    index_vector_dim: int
    input_batching_dims: tuple[int, ...] = ()
    scatter_indices_batching_dims: tuple[int, ...] = ()

    def attribute(self) -> ir.Attribute:
        return stablehlo.ScatterDimensionNumbers.get(
            update_window_dims=list(self.update_window_dims), inserted_window_dims=list(self.inserted_window_dims),
            input_batching_dims=list(self.input_batching_dims),
            scatter_indices_batching_dims=list(self.scatter_indices_batching_dims),
            scattered_dims_to_operand_dims=list(self.scattered_dims_to_operand_dims),
            index_vector_dim=self.index_vector_dim)


def scatter(operand: ir.Value, indices: ir.Value, updates: ir.Value, dimension_numbers: ScatterDimensions,
            combiner: Callable[[ir.Value, ir.Value], ir.Value] | None = None, *, indices_are_sorted: bool = False,
            unique_indices: bool = False) -> ir.Value:
    """`stablehlo.scatter` with any dimension numbers: each window of `updates` combined into `operand`.

    `combiner(current, update)` as in `scatter_points` (None replaces). A window that does not fit inside the
    operand at its start coordinates is skipped (XLA's rule; the spec leaves it to the implementation).
    """
    numbers, in_shape, up_shape = dimension_numbers, shape_of(operand), shape_of(updates)
    batch = _batch_shape("scatter", indices, numbers.index_vector_dim, len(numbers.scattered_dims_to_operand_dims))
    check(dtype_of(updates) == dtype_of(operand), "scatter", "updates must have the operand's element type")
    windowed = [d for d in range(len(in_shape))
                if d not in numbers.inserted_window_dims and d not in numbers.input_batching_dims]
    check(len(up_shape) == len(batch) + len(windowed) and len(numbers.update_window_dims) == len(windowed)
          and list(numbers.update_window_dims) == sorted(set(numbers.update_window_dims))
          and all(0 <= d < len(up_shape) for d in numbers.update_window_dims), "scatter",
          f"update_window_dims {list(numbers.update_window_dims)} must be {len(windowed)} increasing dims of updates "
          f"{up_shape}, whose other dims are the indices' batch dims {batch}")
    scatter_sizes = tuple(n for d, n in enumerate(up_shape) if d not in numbers.update_window_dims)
    check(scatter_sizes == tuple(batch), "scatter", f"updates' batch dims {scatter_sizes} must be the indices' {batch}")
    for d, u in zip(windowed, numbers.update_window_dims):
        check(up_shape[u] <= in_shape[d], "scatter", f"update window dim {u} (size {up_shape[u]}) is larger than "
                                                     f"operand dim {d} (size {in_shape[d]})")
    op = stablehlo.ScatterOp([operand.type], [operand], indices, [updates], numbers.attribute(),
                             indices_are_sorted=indices_are_sorted, unique_indices=unique_indices)
    scalar = dtypes.tensor_type((), dtype_of(operand))
    block = op.update_computation.blocks.append(scalar, scalar)
    with ir.InsertionPoint(block):
        current, update = block.arguments
        stablehlo.ReturnOp([update if combiner is None else combiner(current, update)])
    return op.results[0]
