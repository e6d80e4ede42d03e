"""`tracer.logistic`, the sigmoid as one StableHLO op: values against float64 NumPy and SciPy's definition,
no overflow in either tail, the op it lowers to, and its derivative against `jax.grad(jax.nn.sigmoid)`."""

from __future__ import annotations

import warnings

import jax
import ml_dtypes
import numpy as np
import pytest

import tracer

TAILS = np.array([-1000.0, -50.0, -20.0, -1.0, -0.0, 0.0, 1e-8, 1.0, 20.0, 50.0, 1000.0])


def reference(x):
    """1 / (1 + exp(-x)) in float64, each branch evaluated where it cannot overflow (np.where picks it)."""
    x = np.asarray(x, np.float64)
    with np.errstate(over="ignore", invalid="ignore"):
        return np.where(x >= 0, 1 / (1 + np.exp(-x)), np.exp(x) / (1 + np.exp(x)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_logistic_matches_the_definition_eagerly_and_compiled_without_overflow(dtype):
    x = np.concatenate([TAILS, np.linspace(-8, 8, 33)]).astype(dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an overflow in exp would warn eagerly
        eager = tracer.logistic(x)
    compiled = np.asarray(tracer.jit(tracer.logistic)(x))
    tolerance = {np.float32: 2e-7, np.float64: 1e-15}[dtype]
    for got in (eager, compiled):
        assert got.dtype == dtype
        np.testing.assert_allclose(got, reference(x), rtol=tolerance * 4, atol=0)
    assert compiled[0] == 0.0 and compiled[len(TAILS) - 1] == 1.0  # the tails saturate, never nan


def test_logistic_of_integers_is_float64_and_of_bfloat16_stays_bfloat16():
    ints = np.arange(-3, 4)
    assert tracer.logistic(ints).dtype == np.float64
    np.testing.assert_allclose(np.asarray(tracer.jit(tracer.logistic)(ints)), reference(ints), rtol=1e-15)
    half = np.linspace(-4, 4, 9).astype(ml_dtypes.bfloat16)
    compiled = np.asarray(tracer.jit(tracer.logistic)(half))
    assert compiled.dtype == ml_dtypes.bfloat16
    np.testing.assert_allclose(compiled.astype(np.float64), reference(half.astype(np.float64)), rtol=2 ** -7)


def test_logistic_traces_to_one_op_whose_derivative_reads_only_its_result():
    x = np.linspace(-3, 3, 7)
    text = tracer.compile(tracer.logistic, x).as_text("traced")
    assert text.count("stablehlo.logistic") == 1 and "stablehlo.exponential" not in text
    grad_text = tracer.compile(tracer.grad(lambda v: np.sum(tracer.logistic(v))), x).as_text("optimized")
    assert grad_text.count("stablehlo.logistic") == 1 and "stablehlo.exponential" not in grad_text


def test_logistic_gradient_matches_jax():
    x = np.concatenate([TAILS[1:-1], np.linspace(-5, 5, 11)])
    weights = np.linspace(0.5, 2.0, x.size)
    ours = np.asarray(tracer.jit(tracer.grad(lambda v: np.sum(weights * tracer.logistic(v))))(x))
    with jax.enable_x64(True):
        theirs = np.asarray(jax.grad(lambda v: (weights * jax.nn.sigmoid(v)).sum())(x))
    np.testing.assert_allclose(ours, theirs, rtol=1e-13, atol=1e-300)
