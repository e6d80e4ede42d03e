"""`runtime.float_conversion`: a hand-written f64 -> f16/bf16 `stablehlo.convert` rounds once, as the
StableHLO spec and NumPy (ml_dtypes for bfloat16) do, where XLA alone rounds twice through f32
(1 + 2**-11 + 2**-40 became 1.0, NumPy 1.001); modules without one reach XLA unchanged."""

from __future__ import annotations

import ml_dtypes
import numpy as np
import pytest

import ir
import passes
import runtime
from runtime.float_conversion import round_float64_to_16_bits_once

NARROW = {"f16": np.dtype(np.float16), "bf16": np.dtype(ml_dtypes.bfloat16)}


def _ties_and_neighbours(dtype) -> np.ndarray:
    """float64 values at, and a little either side of, midpoints between neighbouring 16-bit values (where
    rounding through f32 first decides a tie the wrong way), and the special values."""
    rng = np.random.default_rng(11)
    values = rng.uniform(-60000, 60000, 300).astype(dtype).astype(np.float64)
    midpoints = values + np.array([float(np.spacing(dtype.type(v))) for v in values]) / 2
    tiny = np.abs(midpoints) * 2.0**-30
    return np.concatenate([midpoints, midpoints + tiny, midpoints - tiny,
                           [1 + 2**-11 + 2**-40, -(1 + 2**-8 + 2**-40), 0.0, -0.0, np.inf, -np.inf, np.nan, 1e300,
                            -1e300, 3.4028235677973366e38, 65519.99, 65520.0, 2.0**-24 * 1.5, 2.0**-25 + 2.0**-60]])


def _converting_module(short: str, n: int) -> str:
    return (f"func.func @main(%a: tensor<{n}xf64>) -> tensor<{n}x{short}> {{\n"
            f"  %c = stablehlo.convert %a : (tensor<{n}xf64>) -> tensor<{n}x{short}>\n"
            f"  return %c : tensor<{n}x{short}>\n}}")


def _run(text: str, argument: np.ndarray) -> np.ndarray:
    executable = runtime.compile_stablehlo(text)
    return np.asarray(executable.execute([runtime.to_device(argument).buffer])[0])


@pytest.mark.parametrize("short", NARROW)
@pytest.mark.parametrize("pipeline", [None, passes.DEFAULT_PIPELINE], ids=["as written", "optimised"])
def test_a_hand_written_conversion_rounds_once(short, pipeline):
    dtype = NARROW[short]
    x = _ties_and_neighbours(dtype)
    text = _converting_module(short, x.size)
    if pipeline is not None:
        text = ir.print_module(passes.run(text, pipeline))
    with np.errstate(over="ignore"):
        expected = x.astype(dtype)
    actual = _run(text, x)
    same = (actual.view(np.uint16) == expected.view(np.uint16)) | (np.isnan(x) & np.isnan(actual.astype(np.float32)))
    assert same.all(), (x[~same][:5], actual[~same][:5], expected[~same][:5])


def test_a_folded_conversion_and_the_run_time_one_agree():
    """fold converts f64 constants with NumPy (rounding once); the same conversion at run time must agree."""
    x = _ties_and_neighbours(NARROW["f16"])
    with np.errstate(over="ignore"):
        magnitude = np.abs(x.astype(np.float16))
    x = x[(magnitude == 0) | ~(magnitude < np.finfo(np.float16).tiny)]  # (fold leaves subnormal results to XLA)
    body = ", ".join(f"0x{int(bits):016X}" for bits in x.view(np.uint64))
    text = (f"func.func @main(%a: tensor<{x.size}xf64>) -> (tensor<{x.size}xf16>, tensor<{x.size}xf16>) {{\n"
            f"  %k = stablehlo.constant dense<[{body}]> : tensor<{x.size}xf64>\n"
            f"  %folded = stablehlo.convert %k : (tensor<{x.size}xf64>) -> tensor<{x.size}xf16>\n"
            f"  %run = stablehlo.convert %a : (tensor<{x.size}xf64>) -> tensor<{x.size}xf16>\n"
            f"  return %folded, %run : tensor<{x.size}xf16>, tensor<{x.size}xf16>\n}}")
    optimised = ir.print_module(passes.run(text, "fold"))
    assert optimised.count("stablehlo.convert") == 1  # (the constant's folded)
    executable = runtime.compile_stablehlo(optimised)
    folded, at_run_time = (np.asarray(r) for r in executable.execute([runtime.to_device(x).buffer]))
    np.testing.assert_array_equal(folded.view(np.uint16), at_run_time.view(np.uint16))


def test_only_modules_with_such_a_conversion_are_rewritten():
    others = ("func.func @main(%a: tensor<3xf64>) -> tensor<3xf32> {\n"
              "  %c = stablehlo.convert %a : (tensor<3xf64>) -> tensor<3xf32>\n  return %c : tensor<3xf32>\n}")
    assert round_float64_to_16_bits_once(others) is others
    rewritten = round_float64_to_16_bits_once(_converting_module("f16", 3))
    assert "(tensor<3xf64>) -> tensor<3xf16>" not in rewritten  # (XLA gets f32 -> f16 only)
    assert "tensor<3xf32>) -> tensor<3xf16>" in rewritten
