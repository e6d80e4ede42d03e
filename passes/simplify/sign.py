"""Negations folded into a constant factor: `-(x * c)`, `(-x) * c` -> `x * (-c)`, and the same for
a quotient, `-(x / c)`, `(-x) / c` -> `x / (-c)`, `-(c / x)` -> `(-c) / x`.

Exact for floats: rounding to nearest is symmetric, so negating one operand of a product or a
quotient negates the rounded result, a zero's sign and an infinity included (a nan stays a nan).
Integers are left alone (`-(x / c)` is not `x / (-c)` for c = -1 and x the most negative value).
"""

from __future__ import annotations

from jaxlib.mlir import ir
from jaxlib.mlir.dialects import stablehlo

from ir import query
from ir.query import splat_value
from passes.rewrite import Pattern, Rewriter, defining_op

__all__ = ["patterns"]

_SCALINGS = ("stablehlo.multiply", "stablehlo.divide")


def _float_splat(value: ir.Value) -> float | None:
    if not isinstance(query.element_type(value), ir.FloatType):
        return None
    found = splat_value(value)
    return None if found is None else float(found)


def _negated_splat(value: ir.Value, splat: float) -> ir.Value:
    """A new constant: the splat `value` negated (must run under an insertion point)."""
    negated = ir.FloatAttr.get(query.element_type(value), -splat)
    return stablehlo.ConstantOp(ir.DenseElementsAttr.get_splat(value.type, negated)).result


def _with_constant_negated(op: ir.Operation, rewriter: Rewriter, before: ir.Operation, operands) -> ir.Value | None:
    """`op`'s kind (multiply or divide) on `operands` with its splat constant operand negated; None if it has none.

    Built in front of `before`. A quotient's constant may be either operand: `-(c / x)` is `(-c) / x`.
    """
    for index in (1, 0):
        splat = _float_splat(operands[index])
        if splat is not None:
            with rewriter.before(before):
                new_operands = list(operands)
                new_operands[index] = _negated_splat(operands[index], splat)
                return ir.Operation.create(op.name, results=[op.results[0].type], operands=new_operands).results[0]
    return None


class NegateOfScaled(Pattern):
    """negate(x * c) -> x * (-c), negate(x / c) -> x / (-c), negate(c / x) -> (-c) / x for a splat float c.

    Only when the product or quotient has no other use: otherwise it stays and nothing is saved.
    """

    op_name = "stablehlo.negate"
    operand_from = (0, frozenset(_SCALINGS))

    def match_and_rewrite(self, op, rewriter: Rewriter) -> bool:
        inner = defining_op(op.operands[0])
        if inner is None or inner.name not in _SCALINGS or len(list(inner.results[0].uses)) != 1:
            return False
        value = _with_constant_negated(inner, rewriter, op, list(inner.operands))
        if value is None:
            return False
        rewriter.replace(op, [value])
        return True


class ScaledNegation(Pattern):
    """(-x) * c -> x * (-c) (either order), (-x) / c -> x / (-c), c / (-x) -> (-c) / x for a splat float c.

    Only when the negation has no other use.
    """

    operand_from = (None, frozenset({"stablehlo.negate"}))

    def __init__(self, op_name: str):
        self.op_name = op_name

    def match_and_rewrite(self, op, rewriter: Rewriter) -> bool:
        operands = list(op.operands)
        for index, operand in enumerate(operands):
            negate = defining_op(operand)
            if negate is None or negate.name != "stablehlo.negate" or len(list(operand.uses)) != 1:
                continue
            replaced = list(operands)
            replaced[index] = negate.operands[0]
            value = _with_constant_negated(op, rewriter, op, replaced)
            if value is None:
                return False
            rewriter.replace(op, [value])
            return True
        return False


def patterns() -> list[Pattern]:
    return [NegateOfScaled(), *(ScaledNegation(name) for name in _SCALINGS)]
