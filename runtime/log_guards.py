"""Logarithms of powers and exponentials, which XLA's simplifier would rewrite into other values.

XLA's algebraic simplifier rewrites `log(pow(a, b))` into `b * log(|a|)` and `log(exp(a))` into `a`. Both
differ from the ops as the StableHLO spec (and NumPy) computes them wherever the inner op is not finite:
`log(pow(-4.97, -4.97))` is nan (a negative base to a fractional power), not -7.97 (fuzz seed 2525,
program 2157), and `log(exp(1000.0))` and `log(pow(1000.0, 1000.0))` are inf, not 1000.0 and 6907.8.
`compile_stablehlo` hands XLA no such pair: the inner result reaches the log through an optimization
barrier, which the simplifier does not look through. Every other module reaches XLA unchanged.
"""

from __future__ import annotations

import re

from jaxlib.mlir import ir as mlir

from ir import ops, query
from runtime.xla_rewrites import OpRewrite

__all__ = ["KEEP_LOG_OF_POWER_AND_EXP"]

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
