"""`dot_general` simplifications: transposed operands folded into the dimension numbers, a transpose
of the result that only swaps the operands' free dims (the operands swapped instead), and
contractions with a zero operand.

Moving a transpose into the dimension numbers pairs the same elements and sums the same
products; only where each product lands is described differently, so results are exact.
"""

from __future__ import annotations

from jaxlib.mlir import ir
from jaxlib.mlir.dialects import stablehlo

from ir import query
from ir.query import i64s, splat_value
from passes.rewrite import Pattern, Rewriter, defining_op

__all__ = ["patterns"]


def _free_dims(rank: int, batch: list[int], contract: list[int]) -> list[int]:
    return [d for d in range(rank) if d not in batch and d not in contract]


class DotOfTranspose(Pattern):
    """dot_general(transpose(a, perm), b) -> dot_general(a, b) with batch/contracting dim d read as perm[d].

    Dim d of transpose(a) is dim perm[d] of a, so the pairs of batch and contracting dims are the
    same; the free dims keep their relative order only if perm maps them increasingly (the result
    lists an operand's free dims in ascending order), so that is the condition.
    """

    op_name = "stablehlo.dot_general"
    operand_from = (None, frozenset({"stablehlo.transpose"}))

    def match_and_rewrite(self, op, rewriter: Rewriter) -> bool:
        numbers = query.dot_dimensions(op)
        sides = [list(numbers.lhs_batch), list(numbers.lhs_contract),
                 list(numbers.rhs_batch), list(numbers.rhs_contract)]
        operands = list(op.operands)
        for side in (0, 1):
            transpose = defining_op(operands[side])
            if transpose is None or transpose.name != "stablehlo.transpose":
                continue
            perm = i64s(transpose, "permutation")
            batch, contract = sides[2 * side], sides[2 * side + 1]
            free = [perm[d] for d in _free_dims(len(perm), batch, contract)]
            if free != sorted(free):
                continue
            sides[2 * side], sides[2 * side + 1] = [perm[d] for d in batch], [perm[d] for d in contract]
            operands[side] = transpose.operands[0]
        if operands == list(op.operands):
            return False
        folded = stablehlo.DotDimensionNumbers.get(
            lhs_batching_dimensions=sides[0], lhs_contracting_dimensions=sides[1],
            rhs_batching_dimensions=sides[2], rhs_contracting_dimensions=sides[3], context=op.context)
        with rewriter.before(op):
            new = op.clone()  # keeps precision_config, algorithm and discardable attributes
            for index, operand in enumerate(operands):
                new.operands[index] = operand
            new.attributes["dot_dimension_numbers"] = folded
        rewriter.replace(op, list(new.results))
        return True


class TransposeOfDot(Pattern):
    """transpose(dot_general(a, b)) whose permutation swaps the lhs-free and rhs-free blocks -> dot_general(b, a).

    A dot_general's result lists batch dims, then lhs free dims, then rhs free dims; with the operands
    exchanged the two free blocks trade places, and every element is the same sum over the same
    contracting index of the same products (a*b == b*a exactly in IEEE arithmetic). Only when the dot
    has no other use, so no work is duplicated; operand-indexed attributes (precision) swap along.
    """

    op_name = "stablehlo.transpose"
    operand_from = (0, frozenset({"stablehlo.dot_general"}))

    def match_and_rewrite(self, op, rewriter: Rewriter) -> bool:
        dot = defining_op(op.operands[0])
        if dot is None or dot.name != "stablehlo.dot_general" or len(list(dot.results[0].uses)) != 1:
            return False
        if "algorithm" in dot.attributes:  # (an algorithm may name its operands' types in order: leave it)
            return False
        numbers = query.dot_dimensions(dot)
        lhs, rhs = dot.operands
        batch = len(numbers.lhs_batch)
        lhs_free = query.rank(lhs) - batch - len(numbers.lhs_contract)
        rhs_free = query.rank(rhs) - batch - len(numbers.rhs_contract)
        swapped = (list(range(batch)) + list(range(batch + lhs_free, batch + lhs_free + rhs_free))
                   + list(range(batch, batch + lhs_free)))
        if not lhs_free or not rhs_free or i64s(op, "permutation") != swapped:
            return False
        exchanged = stablehlo.DotDimensionNumbers.get(
            lhs_batching_dimensions=list(numbers.rhs_batch), lhs_contracting_dimensions=list(numbers.rhs_contract),
            rhs_batching_dimensions=list(numbers.lhs_batch), rhs_contracting_dimensions=list(numbers.lhs_contract),
            context=op.context)
        with rewriter.before(op):
            new = stablehlo.DotGeneralOp(op.results[0].type, rhs, lhs, exchanged)
            if "precision_config" in dot.attributes:
                precision = list(ir.ArrayAttr(dot.attributes["precision_config"]))
                new.operation.attributes["precision_config"] = ir.ArrayAttr.get(precision[::-1])
        rewriter.replace(op, [new.result])
        return True


class DotWithZeroOperand(Pattern):
    """dot_general(x, 0) -> 0 (either side).

    Exact for integers. For floats, 0 * inf and 0 * nan are nan and a sum of -0.0 products may be
    -0.0, so only when the pipeline is told the program has no nan/inf (`no-nan`).
    """

    op_name = "stablehlo.dot_general"

    def __init__(self, no_nan: bool):
        self.no_nan = no_nan

    def match_and_rewrite(self, op, rewriter: Rewriter) -> bool:
        result_type = op.results[0].type
        element_type = query.element_type(result_type)
        if not (isinstance(element_type, ir.IntegerType) or (isinstance(element_type, ir.FloatType) and self.no_nan)):
            return False
        if not any(splat_value(operand) == 0 for operand in op.operands):
            return False
        with rewriter.before(op):
            zero = (ir.FloatAttr.get(element_type, 0.0) if isinstance(element_type, ir.FloatType)
                    else ir.IntegerAttr.get(element_type, 0))
            value = stablehlo.ConstantOp(ir.DenseElementsAttr.get_splat(result_type, zero)).result
        rewriter.replace(op, [value])
        return True


def patterns(no_nan: bool = False) -> list[Pattern]:
    return [DotOfTranspose(), TransposeOfDot(), DotWithZeroOperand(no_nan)]
