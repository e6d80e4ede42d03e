"""Algebraic identities that keep results bit-identical.

Float rules respect IEEE signed zeros and NaN: `x + 0.0` is *not* `x` (it turns -0.0
into +0.0), but `x + (-0.0)`, `x - 0.0`, `x * 1` and `x / 1` are. `x * 0 -> 0` and
`x - x -> 0` hold for integers; for floats only under `simplify{no-nan=true}` (inf * 0 and
inf - inf are nan, and -3 * 0.0 is -0.0), the user's promise that no nan or inf occurs.

Bitwise identities (integers and i1, the only types and/or/xor take): `x & ~0`, `x | 0`,
`x ^ 0`, `x & x` and `x | x` are x; `x & 0` and `x | ~0` are the constant; `x ^ x` is 0.
Compares keep a constant on the right (the direction mirrored), and a select on `not p`
swaps its branches instead.
"""

from __future__ import annotations

import math

import numpy as np
from jaxlib.mlir import ir
from jaxlib.mlir.dialects import stablehlo

from ir import ops, query
from ir.query import splat_value
from passes.rewrite import Pattern, Rewriter, defining_op

__all__ = ["patterns"]

_COMMUTATIVE = ("stablehlo.add", "stablehlo.multiply", "stablehlo.maximum", "stablehlo.minimum",
                "stablehlo.and", "stablehlo.or", "stablehlo.xor")


def _is_exactly(value, target: float, *, signed_zero: bool | None = None) -> bool:
    """Splat equal to target; for a float zero, `signed_zero` demands -0.0 (True) or +0.0 (False)."""
    if value is None or value != target:
        return False
    if target == 0 and signed_zero is not None and isinstance(value, float):
        return math.copysign(1.0, value) < 0 if signed_zero else math.copysign(1.0, value) > 0
    return True


def _is_float(value: ir.Value) -> bool:
    return isinstance(query.element_type(value), ir.FloatType)


def _zeros_like(value: ir.Value) -> ir.Value:
    """A new zero constant of value's type (must run under an insertion point)."""
    return ops.constant(np.zeros(query.shape(value), query.dtype(value)))


class ConstantToTheRight(Pattern):
    """`c op x` -> `x op c` for commutative ops, so the identities below see constants in one place."""

    op_name = ""
    operand_from = (0, frozenset({"stablehlo.constant"}))

    def __init__(self, op_name: str):
        self.op_name = op_name

    def match_and_rewrite(self, op, rewriter: Rewriter) -> bool:
        lhs, rhs = op.operands
        lhs_op, rhs_op = defining_op(lhs), defining_op(rhs)
        is_constant = lambda o: o is not None and o.name == "stablehlo.constant"
        if not is_constant(lhs_op) or is_constant(rhs_op):
            return False
        rewriter.replace_operands(op, [rhs, lhs])
        return True


class RightIdentity(Pattern):
    """`x op c` -> `x` when c is the op's right identity for x's element type."""

    operand_from = (1, frozenset({"stablehlo.constant"}))

    def __init__(self, op_name: str, identity: float, *, float_zero_sign: bool | None = None, floats: bool = True):
        self.op_name = op_name
        self.identity = identity
        self.float_zero_sign = float_zero_sign
        self.floats = floats

    def match_and_rewrite(self, op, rewriter: Rewriter) -> bool:
        lhs, rhs = op.operands
        if _is_float(lhs) and not self.floats:
            return False
        if not _is_exactly(splat_value(rhs), self.identity, signed_zero=self.float_zero_sign):
            return False
        rewriter.replace(op, [lhs])
        return True


class Involution(Pattern):
    """`f(f(x))` -> `x` for negate and not."""

    def __init__(self, op_name: str):
        self.op_name = op_name
        self.operand_from = (0, frozenset({op_name}))

    def match_and_rewrite(self, op, rewriter: Rewriter) -> bool:
        inner = defining_op(op.operands[0])
        if inner is None or inner.name != self.op_name:
            return False
        rewriter.replace(op, [inner.operands[0]])
        return True


class SelectOfConstantPredicate(Pattern):
    """`select(true, a, b)` -> a, `select(false, a, b)` -> b."""

    op_name = "stablehlo.select"
    operand_from = (0, frozenset({"stablehlo.constant"}))

    def match_and_rewrite(self, op, rewriter: Rewriter) -> bool:
        predicate = splat_value(op.operands[0])
        if predicate is None:
            return False
        chosen = op.operands[1] if predicate else op.operands[2]
        rewriter.replace(op, [chosen])
        return True


class SelectOfSameValues(Pattern):
    """`select(p, a, a)` -> a."""

    op_name = "stablehlo.select"

    def match_and_rewrite(self, op, rewriter: Rewriter) -> bool:
        _, on_true, on_false = op.operands
        if on_true != on_false:
            return False
        rewriter.replace(op, [on_true])
        return True


class SelectOfNotPredicate(Pattern):
    """`select(not p, a, b)` -> `select(p, b, a)`: the not goes (for i1, `not` is logical)."""

    op_name = "stablehlo.select"
    operand_from = (0, frozenset({"stablehlo.not"}))

    def match_and_rewrite(self, op, rewriter: Rewriter) -> bool:
        predicate, on_true, on_false = op.operands
        inverted = defining_op(predicate)
        if inverted is None or inverted.name != "stablehlo.not":
            return False
        rewriter.replace_operands(op, [inverted.operands[0], on_false, on_true])
        return True


# Elementwise ops whose operands and result share one type and that carry no attributes: applying one
# to a select's choice is applying it to what was chosen.
_HOISTABLE_THROUGH_SELECT = frozenset({
    "stablehlo.add", "stablehlo.subtract", "stablehlo.multiply", "stablehlo.divide", "stablehlo.remainder",
    "stablehlo.power", "stablehlo.maximum", "stablehlo.minimum", "stablehlo.and", "stablehlo.or", "stablehlo.xor",
})


class SelectOfOpsSharingAnOperand(Pattern):
    """`select(p, f(a, d), f(b, d))` -> `f(select(p, a, b), d)` (and with d on the left of both).

    Elementwise, each lane computes f of the chosen operand either way: bit for bit the same, NaNs
    included, with one f instead of two. Why it matters: a numerically stable sigmoid,
    `where(x >= 0, 1 / (1 + t), t / (1 + t))` (lux's sigmoid and gelu), divides twice per element,
    and XLA keeps both divides; after this it divides once. Only when both branches have no other
    use: otherwise both stay and nothing is saved.
    """

    op_name = "stablehlo.select"
    operand_from = (1, _HOISTABLE_THROUGH_SELECT)

    def match_and_rewrite(self, op, rewriter: Rewriter) -> bool:
        predicate, on_true, on_false = op.operands
        first, second = defining_op(on_true), defining_op(on_false)
        if first is None or second is None or first.name != second.name or first.name not in _HOISTABLE_THROUGH_SELECT:
            return False
        if on_true == on_false or any(len(list(o.results[0].uses)) != 1 for o in (first, second)):
            return False
        (a, a_other), (b, b_other) = first.operands, second.operands
        if a_other == b_other:  # f(a, d), f(b, d)
            shared, side = a_other, 1
        elif a == b:  # f(d, a), f(d, b)
            shared, side, a, b = a, 0, a_other, b_other
        else:
            return False
        with rewriter.before(op):
            chosen = ops.select(predicate, a, b)
            operands = [chosen, shared] if side == 1 else [shared, chosen]
            result = ir.Operation.create(first.name, results=[first.results[0].type], operands=operands).results[0]
        rewriter.replace(op, [result])
        return True


_MIRRORED = {"EQ": "EQ", "NE": "NE", "LT": "GT", "GT": "LT", "LE": "GE", "GE": "LE"}


class CompareConstantToTheRight(Pattern):
    """`compare(c, x, LT)` -> `compare(x, c, GT)`: a < b is b > a, for every compare type and NaN too."""

    op_name = "stablehlo.compare"
    operand_from = (0, frozenset({"stablehlo.constant"}))

    def match_and_rewrite(self, op, rewriter: Rewriter) -> bool:
        lhs, rhs = op.operands
        if not _is_constant(lhs) or _is_constant(rhs):
            return False
        direction = query.enum_attr(op, "comparison_direction")
        compare_type = op.attributes.get("compare_type")
        with rewriter.before(op):
            mirrored = stablehlo.CompareOp(rhs, lhs, stablehlo.ComparisonDirectionAttr.get(_MIRRORED[direction]),
                                           compare_type=compare_type).result
        rewriter.replace(op, [mirrored])
        return True


def _is_constant(value: ir.Value) -> bool:
    owner = defining_op(value)
    return owner is not None and owner.name == "stablehlo.constant"


def _is_all_ones(value: ir.Value) -> bool:
    """Whether value is a splat with every bit set (-1, the unsigned maximum, or true)."""
    splat = splat_value(value)
    element_type = query.element_type(value)
    if splat is None or not isinstance(element_type, ir.IntegerType):
        return False
    mask = (1 << ir.IntegerType(element_type).width) - 1
    return int(splat) & mask == mask


class AndWithAllOnes(Pattern):
    """`x & ~0` -> x (for i1: `x and true`)."""

    op_name = "stablehlo.and"
    operand_from = (1, frozenset({"stablehlo.constant"}))

    def match_and_rewrite(self, op, rewriter: Rewriter) -> bool:
        lhs, rhs = op.operands
        if not _is_all_ones(rhs):
            return False
        rewriter.replace(op, [lhs])
        return True


class AbsorbingBitwiseConstant(Pattern):
    """`x & 0` -> 0 and `x | ~0` -> ~0: the constant decides every bit."""

    operand_from = (1, frozenset({"stablehlo.constant"}))

    def __init__(self, op_name: str):
        self.op_name = op_name

    def match_and_rewrite(self, op, rewriter: Rewriter) -> bool:
        rhs = op.operands[1]
        absorbs = _is_all_ones(rhs) if self.op_name == "stablehlo.or" else splat_value(rhs) == 0
        if not absorbs or rhs.type != op.results[0].type:
            return False
        rewriter.replace(op, [rhs])
        return True


class IdempotentOfSelf(Pattern):
    """`x & x` -> x, `x | x` -> x."""

    def __init__(self, op_name: str):
        self.op_name = op_name

    def match_and_rewrite(self, op, rewriter: Rewriter) -> bool:
        lhs, rhs = op.operands
        if lhs != rhs:
            return False
        rewriter.replace(op, [lhs])
        return True


class XorSelf(Pattern):
    """`x ^ x` -> 0 (integers and i1: xor takes no floats)."""

    op_name = "stablehlo.xor"

    def match_and_rewrite(self, op, rewriter: Rewriter) -> bool:
        lhs, rhs = op.operands
        if lhs != rhs:
            return False
        with rewriter.before(op):
            zero = _zeros_like(op.results[0])
        rewriter.replace(op, [zero])
        return True


class MultiplyByZero(Pattern):
    """`x * 0` -> 0: integers (and bools) always; floats under no-nan."""

    op_name = "stablehlo.multiply"
    operand_from = (1, frozenset({"stablehlo.constant"}))

    def __init__(self, no_nan: bool):
        self.no_nan = no_nan

    def match_and_rewrite(self, op, rewriter: Rewriter) -> bool:
        lhs, rhs = op.operands  # (constants were moved to the right)
        zero = splat_value(rhs)
        if zero is None or zero != 0 or (_is_float(lhs) and not self.no_nan):
            return False
        rewriter.replace(op, [rhs])  # the zero splat itself has the result's type
        return True


class SubtractSelf(Pattern):
    """`x - x` -> 0: integers always; floats under no-nan."""

    op_name = "stablehlo.subtract"

    def __init__(self, no_nan: bool):
        self.no_nan = no_nan

    def match_and_rewrite(self, op, rewriter: Rewriter) -> bool:
        lhs, rhs = op.operands
        if lhs != rhs or (_is_float(lhs) and not self.no_nan):
            return False
        with rewriter.before(op):
            zero = _zeros_like(op.results[0])
        rewriter.replace(op, [zero])
        return True


def patterns(no_nan: bool = False) -> list[Pattern]:
    return [
        *(ConstantToTheRight(name) for name in _COMMUTATIVE),
        RightIdentity("stablehlo.add", 0, float_zero_sign=True),  # floats: only x + (-0.0)
        RightIdentity("stablehlo.subtract", 0, float_zero_sign=False),  # x - (+0.0)
        RightIdentity("stablehlo.multiply", 1),
        RightIdentity("stablehlo.divide", 1),
        RightIdentity("stablehlo.or", 0, floats=False),
        RightIdentity("stablehlo.xor", 0, floats=False),
        AndWithAllOnes(),
        AbsorbingBitwiseConstant("stablehlo.and"),
        AbsorbingBitwiseConstant("stablehlo.or"),
        IdempotentOfSelf("stablehlo.and"),
        IdempotentOfSelf("stablehlo.or"),
        XorSelf(),
        Involution("stablehlo.negate"),
        Involution("stablehlo.not"),
        SelectOfConstantPredicate(),
        SelectOfSameValues(),
        SelectOfNotPredicate(),
        SelectOfOpsSharingAnOperand(),
        CompareConstantToTheRight(),
        MultiplyByZero(no_nan),
        SubtractSelf(no_nan),
    ]
