"""Integer division that XLA can compile without killing the process.

XLA's constant folder evaluates an integer `stablehlo.divide` or `remainder` on the host while it
compiles. When the divisor is zero there (a constant, or a value its simplifier reduces to one:
`x - x`, `x * 0`, `x & 0`), the host's division traps and the process dies of SIGFPE. No Python
exception can catch that, so `compile_stablehlo` hands XLA no such division: each integer divide or
remainder whose divisor is not provably nonzero divides by `select(y == 0, 1, y)` instead, and
`select(y == 0, r, ...)` puts back what XLA computes for a zero divisor at run time (x / 0 = -1,
every bit set; x % 0 = x). The module computes what it did, bit for bit, and compiles.

A divisor the tracer builds is already guarded (`tracer`'s integer division selects 1 for 0 and
NumPy's answer after it); it is recognised and left alone, so traced modules pass through unchanged.
"""

from __future__ import annotations

import re

import numpy as np
from jaxlib.mlir import ir as mlir

from ir import ops, query
from runtime.xla_rewrites import OpRewrite

__all__ = ["GUARD_DIVISION_BY_ZERO", "guard_division_by_zero"]

_DIVISIONS = ("stablehlo.divide", "stablehlo.remainder")
# A line that may hold an integer division (pretty or generic form); the IR decides.
_MAY_DIVIDE_INTEGERS = re.compile(r'stablehlo\.(?:divide|remainder)\b.*tensor<(?:[0-9?]+x)*u?i\d+>')
# Ops through which a nonzero divisor stays nonzero, element for element.
_MOVES_ELEMENTS = frozenset({"stablehlo.broadcast_in_dim", "stablehlo.reshape", "stablehlo.transpose",
                             "stablehlo.reverse", "stablehlo.slice"})


def _may_divide_integers(module_text: str) -> bool:
    return _MAY_DIVIDE_INTEGERS.search(module_text) is not None


def _is_unguarded_division(op) -> bool:
    return op.name in _DIVISIONS and _needs_guard(op)


def _needs_guard(op) -> bool:
    divisor = op.operands[1]
    dtype = _integer_dtype(divisor)
    if dtype is None or not mlir.RankedTensorType(divisor.type).has_static_shape:
        return False  # (XLA compiles static shapes only; a dynamic one fails there with its own message)
    return not _nonzero(divisor, depth=0)


def _integer_dtype(value) -> np.dtype | None:
    try:
        dtype = query.dtype(value)
    except (TypeError, ValueError):
        return None
    return dtype if dtype.kind in "iu" else None


def _guard(op) -> None:
    x, y = op.operands
    shape, dtype = query.shape(y), query.dtype(y)
    by_zero_value = {"stablehlo.divide": None, "stablehlo.remainder": x}[op.name]
    with mlir.InsertionPoint(op), op.location:
        is_zero = ops.compare(y, _splat(0, shape, dtype), "EQ")
        divisor = ops.select(is_zero, _splat(1, shape, dtype), y)
        builder = ops.divide if op.name == "stablehlo.divide" else ops.remainder
        divided = builder(x, divisor)
        for attribute in op.attributes:  # (sharding and frontend attributes stay with the op)
            divided.owner.attributes[attribute.name] = attribute.attr
        if by_zero_value is None:
            by_zero_value = _splat(-1, shape, dtype)  # every bit set, unsigned types too
        result = ops.select(is_zero, by_zero_value, divided)
    op.results[0].replace_all_uses_with(result)
    op.erase()


def _splat(value: int, shape, dtype: np.dtype) -> mlir.Value:
    element = np.array(value, np.int64).astype(dtype)  # (a C cast: -1 is every bit set in an unsigned type)
    return ops.constant(np.broadcast_to(element, shape))


def _nonzero(value, depth: int) -> bool:
    """Whether every element of `value` is nonzero by construction: a constant without zeros, data
    movement of one, or a select that tests for zero and picks something else there (`y == 0 ? 1 : y`)."""
    owner = query.defining_op(value)
    if owner is None or depth > 16:
        return False
    if owner.name == "stablehlo.constant":
        constant = query.constant_value(value)
        return constant is not None and bool((constant != 0).all())
    if owner.name in _MOVES_ELEMENTS:
        return _nonzero(owner.operands[0], depth + 1)
    if owner.name == "stablehlo.select":
        pred, on_true, on_false = owner.operands
        return ((_nonzero(on_true, depth + 1) or _tests_zero(pred, on_true, "NE"))
                and (_nonzero(on_false, depth + 1) or _tests_zero(pred, on_false, "EQ")))
    return False


def _tests_zero(pred, value, direction: str) -> bool:
    """Whether `pred` is `value <direction> 0` (either operand order)."""
    compare = query.defining_op(pred)
    if compare is None or compare.name != "stablehlo.compare":
        return False
    if query.enum_attr(compare, "comparison_direction") != direction:
        return False
    lhs, rhs = compare.operands
    return (lhs == value and _is_zero(rhs)) or (rhs == value and _is_zero(lhs))


def _is_zero(value) -> bool:
    owner = query.defining_op(value)
    if owner is not None and owner.name in ("stablehlo.broadcast_in_dim", "stablehlo.reshape"):
        value = owner.operands[0]
    constant = query.constant_value(value)
    return constant is not None and not constant.any()


GUARD_DIVISION_BY_ZERO = OpRewrite("guard integer division by zero", _may_divide_integers,
                                   _is_unguarded_division, _guard)
# `module_text`, with every integer division XLA might fold by a zero divisor guarded (see above); text
# without such a division comes back as it was (the same string).
guard_division_by_zero = GUARD_DIVISION_BY_ZERO
