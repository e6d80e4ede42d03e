"""`stablehlo.reduce_precision` to its operand's own widths (the identity), handed to XLA as the operand.

`tracer.stop_gradient` marks a value for `passes.autodiff` with such an op (`tracer.primitives.stop_gradient`).
Once a module reaches XLA no differentiation is left, but XLA's CPU pipeline keeps the op (its simplifier
drops a no-op reduce_precision only when asked to), and there it splits fusions: the attention softmax's
max, subtract and exp ran as three kernels instead of one. `compile_stablehlo` removes every such identity,
whoever wrote it; a reduce_precision that rounds (fewer bits than the type's) is left as it is.
"""

from __future__ import annotations

import ml_dtypes
from jaxlib.mlir import ir as mlir

from ir import query
from runtime.xla_rewrites import OpRewrite

__all__ = ["DROP_NO_OP_REDUCE_PRECISION"]


def _may_apply(module_text: str) -> bool:
    return "reduce_precision" in module_text


def _is_identity(op) -> bool:
    if op.name != "stablehlo.reduce_precision":
        return False
    try:
        info = ml_dtypes.finfo(query.dtype(op.operands[0]))
    except (TypeError, ValueError):
        return False
    bits = (mlir.IntegerAttr(op.attributes["exponent_bits"]).value, mlir.IntegerAttr(op.attributes["mantissa_bits"]).value)
    return bits == (info.nexp, info.nmant)


def _forward_operand(op) -> None:
    op.results[0].replace_all_uses_with(op.operands[0])
    op.erase()


DROP_NO_OP_REDUCE_PRECISION = OpRewrite("hand XLA the operand of an identity reduce_precision", _may_apply,
                                        _is_identity, _forward_operand)
