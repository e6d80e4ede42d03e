"""`runtime.no_op_precision`: an identity `reduce_precision` (the operand's own widths, `tracer.stop_gradient`'s
marker) reaches XLA as its operand; one that rounds is kept. Values from NumPy and the StableHLO spec."""

from __future__ import annotations

import ml_dtypes
import numpy as np
import pytest

import runtime
import tracer
from helpers_filecheck import filecheck
from runtime.no_op_precision import DROP_NO_OP_REDUCE_PRECISION

WIDTHS = {"f16": (5, 10), "bf16": (8, 7), "f32": (8, 23), "f64": (11, 52)}


@pytest.mark.parametrize("short", WIDTHS)
def test_an_identity_reduce_precision_is_dropped_and_one_that_rounds_is_kept(short):
    exponent, mantissa = WIDTHS[short]
    text = (f"func.func @main(%x: tensor<3x{short}>) -> (tensor<3x{short}>, tensor<3x{short}>) {{\n"
            f"  %same = stablehlo.reduce_precision %x, format = e{exponent}m{mantissa} : tensor<3x{short}>\n"
            f"  %fewer = stablehlo.reduce_precision %x, format = e{exponent}m{mantissa - 3} : tensor<3x{short}>\n"
            f"  %sum = stablehlo.add %same, %fewer : tensor<3x{short}>\n"
            f"  return %same, %sum : tensor<3x{short}>, tensor<3x{short}>\n}}")
    filecheck(DROP_NO_OP_REDUCE_PRECISION(text), f"""
        CHECK:     func.func @main(%[[X:[a-z0-9]+]]: tensor<3x{short}>
        CHECK-NOT: format = e{exponent}m{mantissa} :
        CHECK:     %[[FEWER:[a-z0-9]+]] = stablehlo.reduce_precision %[[X]], format = e{exponent}m{mantissa - 3}
        CHECK:     %[[SUM:[a-z0-9]+]] = stablehlo.add %[[X]], %[[FEWER]]
        CHECK:     return %[[X]], %[[SUM]]
    """)


def test_a_module_without_one_comes_back_as_the_same_string():
    text = "func.func @main(%x: tensor<2xf32>) -> tensor<2xf32> {\n  return %x : tensor<2xf32>\n}"
    assert DROP_NO_OP_REDUCE_PRECISION(text) is text


@pytest.mark.parametrize("dtype", [np.float16, ml_dtypes.bfloat16, np.float32, np.float64], ids=str)
def test_stop_gradient_reaches_xla_as_nothing_and_keeps_every_value(dtype):
    def shifted_exp(x):
        return np.exp(x - tracer.stop_gradient(x.max()))

    x = np.array([0.5, -1.25, 3.0, np.inf, -np.inf, np.nan, -0.0], dtype)
    with np.errstate(invalid="ignore"):
        expected = np.exp(x - x.max())
    compiled = tracer.compile(shifted_exp, x)
    assert "reduce_precision" in compiled.as_text("optimized")  # the marker stays for our passes
    assert "reduce-precision" not in compiled.as_text("hlo")  # and is gone from what XLA compiled
    np.testing.assert_array_equal(np.asarray(compiled(x)), expected)
    runtime.synchronize(compiled(x))
