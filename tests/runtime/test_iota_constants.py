"""`runtime.iota_constants`: a 1-D float constant `[-0.0, 1, ..., n - 1]` keeps its -0.0 (XLA alone takes it for
an iota and gives 0.0; fuzz seed 2020, program 6086: a bfloat16 `[-0.0, 1.0]` returned from a `tracer.switch`
branch came back as `[0, 1]`); other constants reach XLA unchanged."""

from __future__ import annotations

import ml_dtypes
import numpy as np
import pytest

import runtime
import tracer
from runtime.iota_constants import KEEP_NEGATIVE_ZERO_OF_IOTA_CONSTANTS

SHORT = {np.dtype(np.float16): "f16", np.dtype(ml_dtypes.bfloat16): "bf16", np.dtype(np.float32): "f32",
         np.dtype(np.float64): "f64"}


def _returning(text_value: str, n: int, short: str) -> str:
    return (f"func.func @main() -> tensor<{n}x{short}> {{\n"
            f"  %c = stablehlo.constant {text_value} : tensor<{n}x{short}>\n"
            f"  return %c : tensor<{n}x{short}>\n}}")


def _bits(array: np.ndarray) -> np.ndarray:
    return np.asarray(array).view(f"u{np.asarray(array).dtype.itemsize}")


@pytest.mark.parametrize("dtype", SHORT, ids=str)
@pytest.mark.parametrize("n", [2, 3, 300])  # (300: printed as a hex constant)
def test_a_traced_constant_keeps_its_negative_zero(dtype, n):
    constant = np.arange(n).astype(dtype)
    constant[0] = -constant[0]
    expected = constant.copy()  # NumPy's answer: the constant itself, sign of zero included
    for optimize in (False, True):
        actual = np.asarray(tracer.jit(lambda x: constant, optimize=optimize)(np.ones(1, np.float32)))
        assert actual.dtype == expected.dtype and (_bits(actual) == _bits(expected)).all(), (optimize, actual[:3])


def test_a_hand_written_constant_keeps_its_negative_zero():
    text = _returning("dense<[-0.000000e+00, 1.000000e+00]>", 2, "bf16")
    actual = np.asarray(runtime.compile_stablehlo(text).execute([])[0])
    assert (_bits(actual) == _bits(np.array([-0.0, 1.0], ml_dtypes.bfloat16))).all(), actual


@pytest.mark.parametrize("value", ["dense<[0.000000e+00, 1.000000e+00]>", "dense<[-0.000000e+00, 2.000000e+00]>",
                                   "dense<[1.000000e+00, -0.000000e+00]>", "dense<-0.000000e+00>"])
def test_other_constants_are_left_to_xla(value):
    text = _returning(value, 2, "f32")
    assert KEEP_NEGATIVE_ZERO_OF_IOTA_CONSTANTS(text) is text
