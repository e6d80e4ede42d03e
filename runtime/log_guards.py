"""Logarithms of powers and exponentials, and square roots of squares, which XLA's simplifier would rewrite
into other values.

XLA's algebraic simplifier rewrites `log(pow(a, b))` into `b * log(|a|)`, `log(exp(a))` into `a` and
`sqrt(a * a)` into `|a|`. Each differs from the ops as the StableHLO spec (and NumPy) computes them wherever
the inner op is not finite: `log(pow(-4.97, -4.97))` is nan (a negative base to a fractional power), not -7.97
(fuzz seed 2525, program 2157), `log(exp(1000.0))` and `log(pow(1000.0, 1000.0))` are inf, not 1000.0 and
6907.8, and `sqrt(x * x)` of a float32 3.4e38 is inf, not 3.4e38 (the 2-norm of a one-element vector: fuzz
seed 2525, program 7082). `compile_stablehlo` hands XLA no such pair: the inner result reaches the outer op
through an optimization barrier, which the simplifier does not look through. Every other module reaches XLA
unchanged.
"""

from __future__ import annotations

import re

from jaxlib.mlir import ir as mlir

from ir import ops, query
from runtime.xla_rewrites import OpRewrite

__all__ = ["KEEP_LOG_OF_POWER_AND_EXP", "KEEP_SQRT_OF_SQUARE"]

_REWRITTEN_INSIDE_A_LOG = ("stablehlo.power", "stablehlo.exponential")


# (pretty or generic form; `\b` keeps log_plus_one and exponential_minus_one out)
_LOG = re.compile(r"stablehlo\.log\b")
_POWER_OR_EXP = re.compile(r"stablehlo\.(?:power|exponential)\b")


def _may_apply(module_text: str) -> bool:
    return _LOG.search(module_text) is not None and _POWER_OR_EXP.search(module_text) is not None


def _is_log_of_power_or_exp(op) -> bool:
    if op.name != "stablehlo.log":
        return False
    inner = query.defining_op(op.operands[0])
    return inner is not None and inner.name in _REWRITTEN_INSIDE_A_LOG


def _through_a_barrier(op) -> None:
    with mlir.InsertionPoint(op), op.location:
        op.operands[0] = ops.optimization_barrier(op.operands[0])


KEEP_LOG_OF_POWER_AND_EXP = OpRewrite("keep log(pow) and log(exp) as written", _may_apply, _is_log_of_power_or_exp,
                                      _through_a_barrier)


_SQRT = re.compile(r"stablehlo\.sqrt\b")


def _may_take_sqrt_of_square(module_text: str) -> bool:
    return _SQRT.search(module_text) is not None and "stablehlo.multiply" in module_text


def _square_under(value):
    """The `a * a` that `value` is, also behind what XLA removes before it looks: an addition of a zero
    constant, a sum of one element, a reshape. None otherwise."""
    op = query.defining_op(value)
    while op is not None and op.name in _PASSED_THROUGH:
        inner = _PASSED_THROUGH[op.name](op)
        op = None if inner is None else query.defining_op(inner)
    if op is not None and op.name == "stablehlo.multiply" and op.operands[0] == op.operands[1]:
        return op
    return None


def _added_to_zero(op):
    others = [operand for operand in op.operands if query.splat_value(operand) != 0]
    return others[0] if len(others) == 1 else None


def _reduced_over_nothing(op):
    """A one-input reduce from a zero over dimensions of size 1 (sum of one element: a reshape to XLA)."""
    if len(op.operands) != 2 or query.splat_value(op.operands[1]) != 0:
        return None
    shape = query.shape(op.operands[0])
    return op.operands[0] if all(shape[d] == 1 for d in query.i64s(op, "dimensions", [])) else None


# op name -> the operand whose value the op passes on unchanged (as XLA's simplifier sees it), or None
_PASSED_THROUGH = {"stablehlo.add": _added_to_zero, "stablehlo.reduce": _reduced_over_nothing,
                   "stablehlo.reshape": lambda op: op.operands[0]}


def _is_sqrt_of_square(op) -> bool:
    return op.name == "stablehlo.sqrt" and _square_under(op.operands[0]) is not None


KEEP_SQRT_OF_SQUARE = OpRewrite("keep sqrt(a * a) as written", _may_take_sqrt_of_square, _is_sqrt_of_square,
                                _through_a_barrier)
