"""1-D float constants that XLA would take for an iota and lose a -0.0.

XLA's algebraic simplifier replaces a rank-1 constant whose elements equal their positions
(`[0, 1, 2, ...]`) by an `iota`. It compares the elements as numbers, so `[-0.0, 1.0]` counts as one
and comes back as `[0.0, 1.0]`: the sign of the first zero is lost (NumPy keeps it). Only the first
element can be a zero, so only a constant `[-0.0, 1, 2, ..., n - 1]` is affected. `compile_stablehlo`
hands XLA no such constant: it is written as a (1, n) constant behind an optimization barrier (which
the simplifier neither reads as an iota nor folds through), reshaped to (n,). Every other module
reaches XLA unchanged.
"""

from __future__ import annotations

import re

import numpy as np
from jaxlib.mlir import ir as mlir

import ir
from ir import ops, query
from runtime.xla_rewrites import OpRewrite

__all__ = ["KEEP_NEGATIVE_ZERO_OF_IOTA_CONSTANTS"]

# A -0.0 as the pretty printer writes it, or at the start of a hex constant (little-endian: the sign byte 80 last).
_MAY_HOLD_NEGATIVE_ZERO = re.compile(r'-0\.0+e\+00|dense<"0x(?:00)+80')


def _may_apply(module_text: str) -> bool:
    return _MAY_HOLD_NEGATIVE_ZERO.search(module_text) is not None


def _misread_value(op) -> np.ndarray | None:
    """`[-0.0, 1, ..., n - 1]` in the dtype of `op`, a rank-1 float constant of n > 1 elements; else None."""
    if op.name != "stablehlo.constant":
        return None
    result_type = mlir.RankedTensorType(op.results[0].type)
    if result_type.rank != 1 or not result_type.has_static_shape or result_type.shape[0] < 2:
        return None
    try:
        dtype = query.dtype(op.results[0])
    except (TypeError, ValueError):
        return None
    if not ir.dtypes.is_floating(dtype):
        return None
    value = np.arange(result_type.shape[0]).astype(dtype)
    value[0] = -value[0]
    return value


def _is_iota_but_for_a_negative_zero(op) -> bool:
    value = _misread_value(op)
    if value is None:
        return False
    # Compared as attributes (uniqued: equal means the same bits), so that 16-bit floats, which the bindings
    # cannot read back as arrays, are covered too.
    with op.context, op.location:
        misread = ops.constant(value)
        equal = query.defining_op(misread).attributes["value"] == op.attributes["value"]
        query.defining_op(misread).erase()
    return equal


def _behind_a_barrier(op) -> None:
    value = _misread_value(op)
    with mlir.InsertionPoint(op), op.location:
        row = ops.optimization_barrier(ops.constant(value.reshape(1, -1)))
        replacement = ops.reshape(row, value.shape)
    op.results[0].replace_all_uses_with(replacement)
    op.erase()


KEEP_NEGATIVE_ZERO_OF_IOTA_CONSTANTS = OpRewrite("keep the -0.0 of an iota-like constant", _may_apply,
                                                 _is_iota_but_for_a_negative_zero, _behind_a_barrier)
