"""Derivatives of `stablehlo.gather` and `stablehlo.scatter` (`ir/ops/indexing.py`), any dimension numbers.

Both are linear in their float operands (the indices only choose positions), and each is the other's
transpose with the mirrored dimension numbers:
- gather's cotangent is a scatter-add of the cotangent into zeros; repeated indices sum (fan-in).
- scatter-add passes the operand's cotangent through; the updates' is a gather of the cotangent.
- scatter that replaces: the operand's cotangent is the cotangent with the written positions zeroed (a
  scatter of zeros), the updates' a gather. This assumes unique indices, which the tracer guarantees
  (it makes them unique before a replacing scatter): with repeats, one update wins, unspecified which.
Out-of-bounds starts: gather clamps them into bounds, scatter skips the window. So gather's transpose
clamps the indices first, and the updates' gather zeroes the windows the scatter skipped.
"""

from __future__ import annotations

import numpy as np

from ir import ops, query
from ir.ops import GatherDimensions, ScatterDimensions
from passes.autodiff.emit import zeros_like
from passes.autodiff.errors import AutodiffError
from passes.autodiff.registry import linear, replace_operands
from passes.autodiff.rules.reduction import combiner_name

__all__: list[str] = []


def _bounds(indices, index_vector_dim: int, limits):
    """`limits[i]` (the largest start for coordinate i) laid out like `indices`, along their index vector dim."""
    shape = query.shape(indices)
    limits = ops.constant(np.asarray(limits, query.dtype(indices)))
    if index_vector_dim == len(shape):  # one implicit coordinate per position
        return ops.broadcast_in_dim(ops.reshape(limits, ()), shape, ())
    return ops.broadcast_in_dim(limits, shape, [index_vector_dim])


def _windows(operand_shape, slice_dims, sizes_of_slice_dims):
    """Per operand dim, how far a window reaches: 1 for inserted/batching dims, else the window's size."""
    sizes = iter(sizes_of_slice_dims)
    return [next(sizes) if d in slice_dims else 1 for d in range(len(operand_shape))]


# -- gather --------------------------------------------------------------------------------------------------
def _gather_back(op, z_bar, index):
    if index != 0:
        return None
    operand, indices = op.operands
    numbers, sizes, shape = query.gather_dimensions(op), query.i64s(op, "slice_sizes"), query.shape(operand)
    limits = [shape[d] - sizes[d] for d in numbers.start_index_map]
    clamped = ops.clamp(zeros_like(indices), indices, _bounds(indices, numbers.index_vector_dim, limits))
    mirrored = ScatterDimensions(
        update_window_dims=numbers.offset_dims, inserted_window_dims=numbers.collapsed_slice_dims,
        scattered_dims_to_operand_dims=numbers.start_index_map, index_vector_dim=numbers.index_vector_dim,
        input_batching_dims=numbers.operand_batching_dims,
        scatter_indices_batching_dims=numbers.start_indices_batching_dims)
    return ops.scatter(zeros_like(operand), clamped, z_bar, mirrored, ops.add,
                       indices_are_sorted=query.bool_attr(op, "indices_are_sorted"))


linear("stablehlo.gather", _gather_back)


# -- scatter -------------------------------------------------------------------------------------------------
def _combines(op) -> str:
    """"add" or "replace"; raises for other update computations and variadic scatters."""
    if len(op.operands) != 3:
        raise AutodiffError(f"stablehlo.scatter of {(len(op.operands) - 1) // 2} operands has no derivative rule",
                            op=op, fix="scatter into one array at a time")
    block = op.regions[0].blocks[0]
    body = [nested.operation for nested in block.operations]
    if len(body) == 1 and list(body[0].operands) == [block.arguments[1]]:
        return "replace"
    if combiner_name(op) == "stablehlo.add":
        return "add"
    raise AutodiffError("stablehlo.scatter has a derivative rule only for adding or replacing updates", op=op,
                        fix="write the update with np.add.at or x[i] = v; other combiners are not supported")


def _updates_back(op, z_bar):
    """The gather of the cotangent at the updates' windows, zero where the scatter skipped a window."""
    operand, indices, updates = op.operands
    numbers, shape, update_shape = query.scatter_dimensions(op), query.shape(operand), query.shape(updates)
    slice_dims = [d for d in range(len(shape))
                  if d not in numbers.inserted_window_dims and d not in numbers.input_batching_dims]
    reach = _windows(shape, slice_dims, [update_shape[d] for d in numbers.update_window_dims])
    mirrored = GatherDimensions(
        offset_dims=numbers.update_window_dims, collapsed_slice_dims=numbers.inserted_window_dims,
        start_index_map=numbers.scattered_dims_to_operand_dims, index_vector_dim=numbers.index_vector_dim,
        operand_batching_dims=numbers.input_batching_dims,
        start_indices_batching_dims=numbers.scatter_indices_batching_dims)
    gathered = ops.gather(z_bar, indices, mirrored, reach, indices_are_sorted=query.bool_attr(op, "indices_are_sorted"))
    limits = [shape[d] - reach[d] for d in numbers.scattered_dims_to_operand_dims]
    inside = ops.and_(ops.compare(indices, zeros_like(indices), "GE"),
                      ops.compare(indices, _bounds(indices, numbers.index_vector_dim, limits), "LE"))
    if numbers.index_vector_dim < len(query.shape(indices)):  # every coordinate of the start in bounds
        inside = ops.reduce(inside, ops.constant(np.asarray(True)), [numbers.index_vector_dim], ops.and_)
    update_scatter_dims = [d for d in range(len(update_shape)) if d not in numbers.update_window_dims]
    inside = ops.broadcast_in_dim(inside, update_shape, update_scatter_dims)
    return ops.select(inside, gathered, zeros_like(gathered))


def _scatter_back(op, z_bar, index):
    kind = _combines(op)
    if index == 0:
        if kind == "add":
            return z_bar
        return replace_operands(op, [z_bar, None, zeros_like(op.operands[2])]).results[0]  # what was overwritten
    if index == 2:
        return _updates_back(op, z_bar)
    return None  # (the indices)


def _scatter_tangent(op, x_dots):
    _combines(op)
    operand_dot, _, updates_dot = x_dots
    operand, _, updates = op.operands
    return list(replace_operands(op, [operand_dot if operand_dot is not None else zeros_like(operand), None,
                                      updates_dot if updates_dot is not None else zeros_like(updates)]).results)


linear("stablehlo.scatter", _scatter_back, tangent=_scatter_tangent)
