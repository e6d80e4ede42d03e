"""Reading and writing at computed positions: `stablehlo.dynamic_slice`, `dynamic_update_slice`,
`gather` and `scatter`.

Dynamic slices take one run-time start index per dimension and clamp the box into bounds. Of
gather and scatter only the "point" form the tracer needs is built: the index array's last dim
holds one coordinate per indexed operand dim (`index_vector_dim` is last), every indexed dim is
collapsed (a window of 1), and the remaining operand dims are carried whole as offset dims.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
from jaxlib.mlir import ir
from jaxlib.mlir.dialects import stablehlo

from ir import dtypes
from ir.ops._common import check, dtype_of, shape_of

__all__ = ["dynamic_slice", "dynamic_update_slice", "gather_points", "scatter_points"]


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
