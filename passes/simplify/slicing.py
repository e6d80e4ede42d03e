"""Simplifications of slicing and joining: slice of slice, slice of concatenate, concatenate
flattening and trivial concatenates, dynamic slices at constant positions, full-cover dynamic
updates, and transposes that only move size-1 dims (a reshape).

All are exact: they move the same elements, so results are bit-identical.
"""

from __future__ import annotations

import numpy as np
from jaxlib.mlir import ir
from jaxlib.mlir.dialects import stablehlo

from passes.rewrite import Pattern, Rewriter, constant_value, defining_op


def _i64s(op: ir.Operation, name: str) -> list[int]:
    return list(ir.DenseI64ArrayAttr(op.attributes[name]))


def _shape(value: ir.Value) -> list[int]:
    return list(ir.RankedTensorType(value.type).shape)


def _dimension(op: ir.Operation) -> int:
    return ir.IntegerAttr(op.attributes["dimension"]).value


class SliceOfSlice(Pattern):
    """slice(slice(x)) reads every st2-th of every st1-th element: one slice with stride st1*st2."""

    op_name = "stablehlo.slice"

    def match_and_rewrite(self, op, rewriter: Rewriter) -> bool:
        inner = defining_op(op.operands[0])
        if inner is None or inner.name != "stablehlo.slice":
            return False
        s1, st1 = _i64s(inner, "start_indices"), _i64s(inner, "strides")
        s2, st2 = _i64s(op, "start_indices"), _i64s(op, "strides")
        starts = [a + b * s for a, b, s in zip(s1, s2, st1)]
        strides = [a * b for a, b in zip(st1, st2)]
        counts = _shape(op.results[0])
        limits = [start + (count - 1) * stride + 1 if count else start for start, count, stride in zip(starts, counts, strides)]
        with rewriter.before(op):
            merged = stablehlo.SliceOp(inner.operands[0], starts, limits, strides, results=[op.results[0].type]).result
        rewriter.replace(op, [merged])
        return True


class SliceOfConcatenate(Pattern):
    """A slice that reads inside one operand of a concatenate (along its dim) is a slice of that operand."""

    op_name = "stablehlo.slice"

    def match_and_rewrite(self, op, rewriter: Rewriter) -> bool:
        inner = defining_op(op.operands[0])
        if inner is None or inner.name != "stablehlo.concatenate":
            return False
        dim = _dimension(inner)
        start, limit = _i64s(op, "start_indices"), _i64s(op, "limit_indices")
        offset = 0
        for operand in inner.operands:
            size = _shape(operand)[dim]
            if offset <= start[dim] and limit[dim] <= offset + size and size:
                starts = [s - offset if d == dim else s for d, s in enumerate(start)]
                limits = [l - offset if d == dim else l for d, l in enumerate(limit)]
                with rewriter.before(op):
                    sliced = stablehlo.SliceOp(operand, starts, limits, _i64s(op, "strides"),
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
            if _shape(operand)[dim] == 0:
                continue
            if inner is not None and inner.name == "stablehlo.concatenate" and _dimension(inner) == dim:
                operands.extend(o for o in inner.operands if _shape(o)[dim])
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
        shape, sizes = _shape(op.operands[0]), _i64s(op, "slice_sizes")
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


class TransposeOfUnitDims(Pattern):
    """A transpose that keeps the non-unit dims in order only moves size-1 dims: a reshape."""

    op_name = "stablehlo.transpose"

    def match_and_rewrite(self, op, rewriter: Rewriter) -> bool:
        shape = _shape(op.operands[0])
        moved = [d for d in _i64s(op, "permutation") if shape[d] != 1]
        if moved != sorted(moved) or moved == _i64s(op, "permutation"):
            return False
        with rewriter.before(op):
            reshaped = stablehlo.ReshapeOp(op.results[0].type, op.operands[0]).result
        rewriter.replace(op, [reshaped])
        return True


def patterns() -> list[Pattern]:
    return [SliceOfSlice(), SliceOfConcatenate(), ConcatenateSimplification(), DynamicSliceAtConstantPosition(),
            DynamicUpdateCoveringEverything(), TransposeOfUnitDims()]
