"""`runtime.log_guards`: `log(pow(a, b))` and `log(exp(a))` give what NumPy (and the StableHLO spec) give where the
inner op is not finite: XLA alone rewrote them into `b * log(|a|)` and `a` (fuzz seed 2525, program 2157:
`np.log(np.float_power(x, x))` of -4.97 was -7.97, NumPy nan); other modules reach XLA unchanged."""

from __future__ import annotations

import numpy as np
import pytest

import tracer
from runtime.log_guards import KEEP_LOG_OF_POWER_AND_EXP, KEEP_SQRT_OF_SQUARE

X = np.array([-4.97, 1000.0, -2.0, 0.0, 0.5, -np.inf, np.nan])


@pytest.mark.parametrize("optimize", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=str)
@pytest.mark.parametrize("name, fn", [("log(power)", lambda a: np.log(np.power(a, a))),
                                      ("log(float_power)", lambda a: np.log(np.float_power(a, a))),
                                      ("log(exp)", lambda a: np.log(np.exp(a)))])
def test_log_of_power_and_exp_is_numpys(name, fn, dtype, optimize):
    x = X.astype(dtype)
    with np.errstate(all="ignore"):
        expected = fn(x)
    actual = np.asarray(tracer.jit(fn, optimize=optimize)(x))
    assert actual.dtype == expected.dtype
    np.testing.assert_allclose(actual, expected, rtol=4 * np.finfo(expected.dtype).eps)


def test_other_modules_are_left_to_xla():
    log_plus_one = ("func.func @main(%a: tensor<2xf32>) -> tensor<2xf32> {\n"
                    "  %e = stablehlo.exponential_minus_one %a : tensor<2xf32>\n"
                    "  %l = stablehlo.log_plus_one %e : tensor<2xf32>\n  return %l : tensor<2xf32>\n}")
    log_of_sum = ("func.func @main(%a: tensor<2xf32>) -> tensor<2xf32> {\n"
                  "  %e = stablehlo.exponential %a : tensor<2xf32>\n  %s = stablehlo.add %e, %a : tensor<2xf32>\n"
                  "  %l = stablehlo.log %s : tensor<2xf32>\n  return %l : tensor<2xf32>\n}")
    assert KEEP_LOG_OF_POWER_AND_EXP(log_plus_one) is log_plus_one
    assert KEEP_LOG_OF_POWER_AND_EXP(log_of_sum) is log_of_sum


@pytest.mark.parametrize("optimize", [False, True])
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=str)
@pytest.mark.parametrize("name, fn", [("sqrt(a * a)", lambda a: np.sqrt(a * a)),
                                      ("norm of one element", lambda a: np.linalg.norm(a[:1])),
                                      ("norm of a 0-d array", lambda a: np.linalg.norm(a[0]))])
def test_square_root_of_a_square_is_numpys(name, fn, dtype, optimize):
    # XLA alone gave |a| (fuzz seed 2525, program 7082: the norm of a float32 3.4e38 was 3.4e38, NumPy inf)
    x = np.array([np.finfo(dtype).max, -3.0, -0.0, np.inf, np.nan], dtype)
    with np.errstate(all="ignore"):
        expected = fn(x)
    actual = np.asarray(tracer.jit(fn, optimize=optimize)(x))
    assert actual.dtype == expected.dtype
    np.testing.assert_array_equal(actual, expected)


def test_a_square_root_of_anything_else_is_left_to_xla():
    product = ("func.func @main(%a: tensor<2xf32>, %b: tensor<2xf32>) -> tensor<2xf32> {\n"
               "  %p = stablehlo.multiply %a, %b : tensor<2xf32>\n"
               "  %r = stablehlo.sqrt %p : tensor<2xf32>\n  return %r : tensor<2xf32>\n}")
    sum_of_squares = ("func.func @main(%a: tensor<2xf32>, %b: tensor<2xf32>) -> tensor<2xf32> {\n"
                      "  %p = stablehlo.multiply %a, %a : tensor<2xf32>\n"
                      "  %s = stablehlo.add %p, %b : tensor<2xf32>\n"
                      "  %r = stablehlo.sqrt %s : tensor<2xf32>\n  return %r : tensor<2xf32>\n}")
    assert KEEP_SQRT_OF_SQUARE(product) is product
    assert KEEP_SQRT_OF_SQUARE(sum_of_squares) is sum_of_squares
    square = product.replace("%a, %b : tensor<2xf32>\n  %r", "%a, %a : tensor<2xf32>\n  %r")
    assert "optimization_barrier" in KEEP_SQRT_OF_SQUARE(square)
