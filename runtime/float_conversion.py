"""float64 -> float16/bfloat16 conversions that XLA would round twice.

XLA's CPU backend converts f64 to f16 and bf16 through f32, rounding twice: 1 + 2**-11 + 2**-40 becomes
1.0 where one correct rounding (NumPy's, the StableHLO spec's) gives 1.001. `compile_stablehlo` hands
XLA no such conversion: each `stablehlo.convert` from f64 to a 16-bit float first rounds to f32 by
round-to-odd (toward zero, with the last bit set where inexact), after which XLA's f32 -> 16-bit rounding
is the correct one (f32 keeps more than two bits beyond f16's and bf16's significands). The tracer
emits plain converts and leaves this to the runtime, so hand-written modules get it too.
"""

from __future__ import annotations

import re

import numpy as np
from jaxlib.mlir import ir as mlir

import ir
from ir import ops, query
from runtime.xla_rewrites import OpRewrite

__all__ = ["ROUND_FLOAT64_TO_16_BITS_ONCE", "round_float64_to_16_bits_once"]

# A line that may hold such a conversion (pretty or generic form); the IR decides.
_MAY_NARROW = re.compile(r"stablehlo\.convert\b.*f64>\)? -> tensor<(?:[0-9?]+x)*b?f16>")


def _may_narrow(module_text: str) -> bool:
    # (a substring test first: every compile pays it; the regex took 12 ms on a 1.8 MB module of converts)
    return "f16>" in module_text and _MAY_NARROW.search(module_text) is not None


def _is_narrowing_convert(op) -> bool:
    return op.name == "stablehlo.convert" and _narrows_float64(op)


def _narrows_float64(op) -> bool:
    operand, result = op.operands[0], op.results[0]
    if not (mlir.RankedTensorType(operand.type).has_static_shape):
        return False  # (XLA compiles static shapes only; a dynamic one fails there with its own message)
    try:
        source, target = query.dtype(operand), query.dtype(result)
    except (TypeError, ValueError):
        return False
    return source == np.float64 and ir.dtypes.is_floating(target) and target.itemsize == 2


def _round_to_odd_first(op) -> None:
    x = op.operands[0]
    shape = query.shape(x)

    def splat(value, dtype):
        return ops.constant(np.broadcast_to(np.array(value, dtype), shape))

    with mlir.InsertionPoint(op), op.location:
        nearest = ops.convert(x, np.float32)
        back = ops.convert(nearest, np.float64)
        inexact = ops.compare(back, x, "NE")  # (nan: inexact, but not finite below)
        rounded_away = ops.and_(inexact, ops.compare(ops.abs(back), ops.abs(x), "GT"))
        bits = ops.bitcast_convert(nearest, np.uint32)
        # One step toward zero is one less in the magnitude bits, whatever the sign.
        toward_zero = ops.select(rounded_away, ops.subtract(bits, splat(1, np.uint32)), bits)
        odd = ops.bitcast_convert(ops.or_(toward_zero, splat(1, np.uint32)), np.float32)
        # Where the nearest f32 is infinite (x beyond f32's range: infinite in f16 and bf16 too) or x is nan,
        # and where x converts exactly (-0.0 stays -0.0), the nearest is already right.
        finite = ops.compare(ops.abs(nearest), splat(np.inf, np.float32), "LT")
        rounded = ops.select(ops.and_(inexact, finite), odd, nearest)
        narrowed = ops.convert(rounded, query.dtype(op.results[0]))
    op.results[0].replace_all_uses_with(narrowed)
    op.erase()


ROUND_FLOAT64_TO_16_BITS_ONCE = OpRewrite("round f64 -> f16/bf16 once", _may_narrow, _is_narrowing_convert,
                                          _round_to_odd_first)
# `module_text` with every f64 -> f16/bf16 convert rounding once (see above); text without one comes back
# as it was (the same string).
round_float64_to_16_bits_once = ROUND_FLOAT64_TO_16_BITS_ONCE
