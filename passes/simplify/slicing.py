"""Simplifications of slicing and joining: slice of slice, slice of concatenate, concatenate
flattening and trivial concatenates, dynamic slices and gathers at constant positions, dynamic
updates that change nothing or everything, scatters of one in-bounds window, and transposes
that only move size-1 dims (a reshape).

All are exact: they move the same elements, so results are bit-identical.
"""

from __future__ import annotations

import math

import numpy as np
from jaxlib.mlir import ir
from jaxlib.mlir.dialects import stablehlo

from ir import ops, query
from ir.query import constant_value, i64s
from passes.rewrite import Pattern, Rewriter, defining_op

__all__ = ["patterns"]


def _dimension(op: ir.Operation) -> int:
    return query.int_attr(op, "dimension")


class SliceOfSlice(Pattern):
    """slice(slice(x)) reads every st2-th of every st1-th element: one slice with stride st1*st2."""

    op_name = "stablehlo.slice"
    operand_from = (0, frozenset({"stablehlo.slice"}))

    def match_and_rewrite(self, op, rewriter: Rewriter) -> bool:
        inner = defining_op(op.operands[0])
        if inner is None or inner.name != "stablehlo.slice":
            return False
        s1, st1 = i64s(inner, "start_indices"), i64s(inner, "strides")
        s2, st2 = i64s(op, "start_indices"), i64s(op, "strides")
        starts = [a + b * s for a, b, s in zip(s1, s2, st1)]
        strides = [a * b for a, b in zip(st1, st2)]
        counts = query.shape(op.results[0])
        limits = [start + (count - 1) * stride + 1 if count else start for start, count, stride in zip(starts, counts, strides)]
        with rewriter.before(op):
            merged = stablehlo.SliceOp(inner.operands[0], starts, limits, strides, results=[op.results[0].type]).result
        rewriter.replace(op, [merged])
        return True


class SliceOfConcatenate(Pattern):
    """A slice that reads inside one operand of a concatenate (along its dim) is a slice of that operand."""

    op_name = "stablehlo.slice"
    operand_from = (0, frozenset({"stablehlo.concatenate"}))

    def match_and_rewrite(self, op, rewriter: Rewriter) -> bool:
        inner = defining_op(op.operands[0])
        if inner is None or inner.name != "stablehlo.concatenate":
            return False
        dim = _dimension(inner)
        start, limit = i64s(op, "start_indices"), i64s(op, "limit_indices")
        offset = 0
        for operand in inner.operands:
            size = query.shape(operand)[dim]
            if offset <= start[dim] and limit[dim] <= offset + size and size:
                starts = [s - offset if d == dim else s for d, s in enumerate(start)]
                limits = [l - offset if d == dim else l for d, l in enumerate(limit)]
                with rewriter.before(op):
                    sliced = stablehlo.SliceOp(operand, starts, limits, i64s(op, "strides"),
                                               results=[op.results[0].type]).result
                rewriter.replace(op, [sliced])
                return True
            offset += size
        return False


class ConcatenateSimplification(Pattern):
    """Drop zero-size operands, inline nested concatenates along the same dim, and a lone operand is the result."""

    op_name = "stablehlo.concatenate"

    def match_and_rewrite(self, op, rewriter: Rewriter) -> bool:
        dim = _dimension(op)
        operands = []
        for operand in op.operands:
            inner = defining_op(operand)
            if query.shape(operand)[dim] == 0:
                continue
            if inner is not None and inner.name == "stablehlo.concatenate" and _dimension(inner) == dim:
                operands.extend(o for o in inner.operands if query.shape(o)[dim])
            else:
                operands.append(operand)
        if len(operands) == len(op.operands) and all(a == b for a, b in zip(operands, op.operands)):
            return False
        if not operands:  # all empty: the result is empty too; nothing to join (fold and dce see to it)
            return False
        if len(operands) == 1:
            rewriter.replace(op, [operands[0]])
            return True
        with rewriter.before(op):
            merged = stablehlo.ConcatenateOp(operands, dim).result
        rewriter.replace(op, [merged])
        return True


class DynamicSliceAtConstantPosition(Pattern):
    """dynamic_slice with constant start indices is a slice (starts clamped as the spec clamps them)."""

    op_name = "stablehlo.dynamic_slice"

    def match_and_rewrite(self, op, rewriter: Rewriter) -> bool:
        values = [constant_value(index) for index in list(op.operands)[1:]]
        if any(v is None for v in values):
            return False
        shape, sizes = query.shape(op.operands[0]), i64s(op, "slice_sizes")
        starts = [int(np.clip(int(v), 0, n - size)) for v, n, size in zip(values, shape, sizes)]
        with rewriter.before(op):
            sliced = stablehlo.SliceOp(op.operands[0], starts, [s + size for s, size in zip(starts, sizes)],
                                       [1] * len(shape), results=[op.results[0].type]).result
        rewriter.replace(op, [sliced])
        return True


class DynamicUpdateCoveringEverything(Pattern):
    """An update of the operand's whole shape replaces it (its starts can only clamp to 0)."""

    op_name = "stablehlo.dynamic_update_slice"

    def match_and_rewrite(self, op, rewriter: Rewriter) -> bool:
        update = op.operands[1]
        if update.type != op.results[0].type:
            return False
        rewriter.replace(op, [update])
        return True


class DynamicUpdateOfNothing(Pattern):
    """An update with no elements writes nothing: the operand (whatever the clamped starts)."""

    op_name = "stablehlo.dynamic_update_slice"

    def match_and_rewrite(self, op, rewriter: Rewriter) -> bool:
        if 0 not in query.shape(op.operands[1]):
            return False
        rewriter.replace(op, [op.operands[0]])
        return True


class DynamicUpdateWithItsOwnSlice(Pattern):
    """`dynamic_update_slice(x, dynamic_slice(x, i...), i...)` writes back what it read: x.

    Both clamp the starts into `shape - size` with the same sizes, so they touch the same box.
    """

    op_name = "stablehlo.dynamic_update_slice"
    operand_from = (1, frozenset({"stablehlo.dynamic_slice"}))

    def match_and_rewrite(self, op, rewriter: Rewriter) -> bool:
        operand, update, *starts = op.operands
        read = defining_op(update)
        if read is None or read.name != "stablehlo.dynamic_slice" or read.operands[0] != operand:
            return False
        if not all(_same_index(a, b) for a, b in zip(list(read.operands)[1:], starts)):
            return False
        rewriter.replace(op, [operand])
        return True


def _same_index(a: ir.Value, b: ir.Value) -> bool:
    if a == b:
        return True
    x, y = constant_value(a), constant_value(b)
    return x is not None and y is not None and int(x) == int(y)


def _index_vector(indices: np.ndarray, index_vector_dim: int) -> list[int] | None:
    """The one index vector of a gather's or scatter's indices, or None when they hold several."""
    if index_vector_dim == indices.ndim:  # an implicit trailing dim of size 1
        indices = indices[..., None]
    if math.prod(n for d, n in enumerate(indices.shape) if d != index_vector_dim) != 1:
        return None
    return [int(v) for v in indices.reshape(-1)]


class GatherAtConstantPosition(Pattern):
    """A gather of one window at a constant position is a slice (and a reshape, for collapsed dims).

    With one index vector the result is the `slice_sizes` box at the start the vector gives, with
    its collapsed dims (size 1) dropped and the size-1 batch dims inserted, in the operand's order
    (offset dims are sorted), so a reshape of the slice. Batching dims then have size 1 and index 0:
    like collapsed dims at start 0. Starts clamp into `shape - slice_sizes`, as a gather's do.
    """

    op_name = "stablehlo.gather"
    operand_from = (1, frozenset({"stablehlo.constant"}))

    def match_and_rewrite(self, op, rewriter: Rewriter) -> bool:
        operand, indices = op.operands
        numbers = query.gather_dimensions(op)
        values = constant_value(indices)
        if values is None:
            return False
        vector = _index_vector(values, numbers.index_vector_dim)
        if vector is None:
            return False
        shape, sizes = query.shape(operand), numbers.slice_sizes
        starts = [0] * len(shape)
        for position, dim in zip(vector, numbers.start_index_map):
            starts[dim] = min(max(position, 0), shape[dim] - sizes[dim])
        result_type = op.results[0].type
        if math.prod(sizes) != math.prod(query.shape(op.results[0])):
            return False
        with rewriter.before(op):
            box = ops.slice(operand, starts, [s + n for s, n in zip(starts, sizes)], [1] * len(shape))
            if box.type != result_type:
                box = stablehlo.ReshapeOp(result_type, box).result
        rewriter.replace(op, [box])
        return True


def _overwrites(op: ir.Operation) -> bool:
    """Whether a scatter's update computation returns the update: `^bb0(%current, %update): return %update`."""
    block = op.regions[0].blocks[0]
    body = [nested.operation for nested in block.operations]
    return (len(block.arguments) == 2 and len(body) == 1 and body[0].name == "stablehlo.return"
            and len(body[0].operands) == 1 and body[0].operands[0] == block.arguments[1])


class ScatterOfOneWindow(Pattern):
    """A scatter that overwrites one window at a constant, in-bounds position is a dynamic_update_slice.

    With one index vector the updates are one window, in the operand's dim order (update_window_dims
    are sorted; inserted and batching dims, the latter then of size 1 and index 0, are left out of it),
    so a reshape of them is the update. A single window writes each element once, so the order of
    updates (and the unique/sorted flags) cannot matter.

    Legal only in bounds: a scatter drops out-of-bounds updates while dynamic_update_slice clamps its
    start and writes them elsewhere.
    """

    op_name = "stablehlo.scatter"

    def match_and_rewrite(self, op, rewriter: Rewriter) -> bool:
        if len(op.operands) != 3 or not _overwrites(op):
            return False
        operand, indices, updates = op.operands
        numbers = query.scatter_dimensions(op)
        values = constant_value(indices)
        if values is None:
            return False
        vector = _index_vector(values, numbers.index_vector_dim)
        if vector is None:
            return False
        shape, update_shape = query.shape(operand), query.shape(updates)
        window_sizes = iter(update_shape[d] for d in numbers.update_window_dims)
        outside = set(numbers.inserted_window_dims) | set(numbers.input_batching_dims)
        window = [1 if d in outside else next(window_sizes) for d in range(len(shape))]
        if math.prod(window) != math.prod(update_shape):
            return False
        starts = [0] * len(shape)
        for position, dim in zip(vector, numbers.scattered_dims_to_operand_dims):
            starts[dim] = position
        if any(start < 0 or start + size > n for start, size, n in zip(starts, window, shape)):
            return False
        with rewriter.before(op):
            if tuple(window) != update_shape:
                window_type = ir.RankedTensorType.get(window, query.element_type(updates))
                updates = stablehlo.ReshapeOp(window_type, updates).result
            positions = [ops.constant(np.array(start, values.dtype)) for start in starts]
            written = stablehlo.DynamicUpdateSliceOp(operand, updates, positions).result
        rewriter.replace(op, [written])
        return True


class ScatterOfNothing(Pattern):
    """A scatter with no update elements never calls its update computation: its inputs."""

    op_name = "stablehlo.scatter"

    def match_and_rewrite(self, op, rewriter: Rewriter) -> bool:
        inputs = len(op.results)
        updates = list(op.operands)[inputs + 1:]
        if not all(0 in query.shape(u) for u in updates) or any(0 in query.shape(r) for r in op.results):
            return False  # (an empty result is zero_extent's)
        rewriter.replace(op, list(op.operands)[:inputs])
        return True


class TransposeOfUnitDims(Pattern):
    """A transpose that keeps the non-unit dims in order only moves size-1 dims: a reshape."""

    op_name = "stablehlo.transpose"

    def match_and_rewrite(self, op, rewriter: Rewriter) -> bool:
        shape = query.shape(op.operands[0])
        moved = [d for d in i64s(op, "permutation") if shape[d] != 1]
        if moved != sorted(moved) or moved == i64s(op, "permutation"):
            return False
        with rewriter.before(op):
            reshaped = stablehlo.ReshapeOp(op.results[0].type, op.operands[0]).result
        rewriter.replace(op, [reshaped])
        return True


def patterns() -> list[Pattern]:
    return [SliceOfSlice(), SliceOfConcatenate(), ConcatenateSimplification(), DynamicSliceAtConstantPosition(),
            DynamicUpdateCoveringEverything(), DynamicUpdateOfNothing(), DynamicUpdateWithItsOwnSlice(),
            GatherAtConstantPosition(), ScatterOfOneWindow(), ScatterOfNothing(), TransposeOfUnitDims()]
