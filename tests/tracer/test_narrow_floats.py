"""float16 and bfloat16: reductions accumulate in float32 and round once, np.dot keeps bfloat16,
logsumexp agrees eagerly and compiled, and float64 -> float16/bfloat16 conversions round once.

The oracle is the float64 answer rounded once to the 16-bit type (which is what NumPy's float16 sum
gives; ml_dtypes' bfloat16 sum rounds every partial sum and is no oracle for sums)."""

from __future__ import annotations

import json

import ml_dtypes
import numpy as np
import pytest
from helpers import exit_status, run_isolated

import runtime
import tracer

BF16 = np.dtype(ml_dtypes.bfloat16)
NARROW = [np.dtype(np.float16), BF16]
EPSILON = {np.dtype(np.float16): 2.0**-10, BF16: 2.0**-7}  # one ulp at 1.0


def rounded_once(value, dtype):
    return np.asarray(value, np.float64).astype(dtype)


def compiled(fn, *args):
    return np.asarray(tracer.jit(fn)(*args))


@pytest.mark.parametrize("dtype", NARROW, ids=str)
def test_sums_and_means_accumulate_in_float32(dtype):
    """10,000 x 0.1: summed in 16 bits, float16 came to 996.5 (bfloat16 to 980); NumPy's float16 sum says 1000."""
    x = np.full(10000, 0.1, dtype)
    exact = x.astype(np.float64)
    total = compiled(np.sum, x)
    assert total.dtype == dtype and total == rounded_once(exact.sum(), dtype) == 1000.0
    if dtype == np.float16:
        assert total == np.sum(x)  # NumPy's own float16 sum accumulates in float32 too
    assert compiled(np.mean, x) == rounded_once(exact.mean(), dtype)
    assert compiled(lambda a: np.add.reduce(a), x) == total
    rows = np.full((3, 4000), 0.1, dtype)
    np.testing.assert_array_equal(compiled(lambda a: a.sum(axis=1), rows), rounded_once(rows.astype(np.float64).sum(axis=1), dtype))


@pytest.mark.parametrize("dtype", NARROW, ids=str)
def test_variance_sums_its_squares_in_float32(dtype):
    x = (np.arange(4096) % 7 * 0.25 + 1.0).astype(dtype)
    exact = x.astype(np.float64)
    variance = compiled(np.var, x)
    assert variance.dtype == dtype
    # (deviations and squares are rounded to the 16-bit type before the sum, as NumPy does: within one ulp)
    np.testing.assert_allclose(variance.astype(np.float64), exact.var(), rtol=2 * EPSILON[dtype])
    if dtype == np.float16:
        assert variance == np.var(x)


@pytest.mark.parametrize("dtype", NARROW, ids=str)
def test_dot_products_accumulate_in_float32(dtype):
    """XLA accumulates 16-bit dot products in float32 (pinned here: the sum of 10,000 products)."""
    v = np.full(10000, 0.1, dtype)
    ones = np.ones(10000, dtype)
    exact = v.astype(np.float64).sum()
    np.testing.assert_array_equal(compiled(np.dot, v, ones), rounded_once(exact, dtype))
    m, w = np.full((2, 10000), 0.1, dtype), np.ones((10000, 3), dtype)
    np.testing.assert_array_equal(compiled(np.dot, m, w), np.full((2, 3), rounded_once(exact, dtype)))


ACCUMULATING = {  # name -> (function, its float64 oracle, ulps of slack: var/std round deviations in 16 bits)
    "std": (np.std, np.std, 2), "nansum": (np.nansum, np.sum, 1), "nanmean": (np.nanmean, np.mean, 1),
    "nanvar": (np.nanvar, np.var, 2), "nanstd": (np.nanstd, np.std, 2), "average": (np.average, np.average, 1),
    "sum where": (lambda a: np.sum(a, where=a > 0), np.sum, 1), "mean where": (lambda a: np.mean(a, where=a > 0), np.mean, 1),
    "x[mask].sum()": (lambda a: a[a > 0].sum(), np.sum, 1), "x[mask].var()": (lambda a: a[a > 0].var(), np.var, 2),
    "matmul": (lambda a: a @ np.ones_like(a), lambda a: a @ np.ones_like(a), 1),
    "einsum": (lambda a: np.einsum("i,i->", a, np.ones_like(a)), lambda a: np.einsum("i,i->", a, np.ones_like(a)), 1),
    "vdot": (lambda a: np.vdot(a, np.ones_like(a)), lambda a: np.vdot(a, np.ones_like(a)), 1),
    "norm": (np.linalg.norm, np.linalg.norm, 1),
}


@pytest.mark.parametrize("dtype", NARROW, ids=str)
@pytest.mark.parametrize("name", ACCUMULATING)
def test_every_accumulating_function_adds_16_bit_floats_in_float32(name, dtype):
    """Added in 16 bits, 10,000 terms drift by several ulps (float16: 996.5 for 1000); within an ulp or two of
    the float64 answer, they accumulate wider."""
    fn, oracle, ulps = ACCUMULATING[name]
    x = (0.1 + np.arange(10000) % 3 * 0.01).astype(dtype)
    truth = oracle(x.astype(np.float64))
    actual = compiled(fn, x)
    try:
        assert actual.dtype == np.asarray(fn(x)).dtype  # (NumPy's: matmul of bfloat16 is float32, norm float64)
    except TypeError:
        assert actual.dtype == dtype  # (ml_dtypes has no bfloat16 einsum)
    rtol = ulps * EPSILON[dtype] if actual.dtype == dtype else 1e-6
    np.testing.assert_allclose(actual.astype(np.float64), truth, rtol=rtol, atol=0)


@pytest.mark.parametrize("dtype", NARROW, ids=str)
def test_cumulative_sums_and_products_round_each_output_once(dtype):
    """np.cumsum/cumprod (and the nan- ones) of 16-bit floats: every partial sum or product in float32, each output
    rounded once to the 16-bit type (the float64 answer rounded once, within an ulp). Scanned in 16 bits they were
    rounded at every level of the scan: [-198.1, 137.5, 26.2, -52.5, 79.9] came to -7.0 where the sum is -7.05
    (fuzz seed 2121, program 2368)."""
    x = np.array([-198.125, 137.5, 26.203125, -52.5, 79.875, 79.0, 96.625, -94.3125, 269.0, 21.203125], dtype)
    long = (0.1 + np.arange(3000) % 3 * 0.01).astype(dtype)
    factors = (1 + np.arange(40) % 5 * 0.01).astype(dtype)
    for fn, oracle, values in [(np.cumsum, np.cumsum, x), (np.cumsum, np.cumsum, long), (np.nancumsum, np.cumsum, long),
                               (np.cumprod, np.cumprod, factors), (np.nancumprod, np.cumprod, factors)]:
        actual = compiled(fn, values)
        truth = oracle(values.astype(np.float64))
        assert actual.dtype == dtype
        np.testing.assert_allclose(actual.astype(np.float64), truth, rtol=EPSILON[dtype], atol=0)


def test_dot_of_bfloat16_is_bfloat16_as_in_numpy():
    """np.dot keeps its operands' dtype (ml_dtypes' dot); np.matmul of bfloat16 resolves to float32 in NumPy."""
    a, b, v = np.ones((2, 3), BF16), np.full((3, 2), 0.5, BF16), np.arange(3).astype(BF16)
    for fn, args in [(np.dot, (a, b)), (np.dot, (a, v)), (np.dot, (v, v)), (np.matmul, (a, b))]:
        expected = fn(*args)
        actual = compiled(fn, *args)
        assert actual.dtype == expected.dtype, fn
        np.testing.assert_array_equal(actual, expected)


@pytest.mark.parametrize("dtype", NARROW, ids=str)
def test_logsumexp_agrees_eagerly_and_compiled(dtype):
    """In 16-bit floats eagerly, NumPy's bfloat16 sum rounded each partial sum: 7.0 where the compiled
    function gave 7.3125 (true 7.33). Both compute in float32 now and round once."""
    cases = [np.arange(-3, 7, 0.25).astype(dtype), np.linspace(0, 5, 100).astype(dtype), np.zeros(1500, dtype)]
    for x in cases:
        eager = tracer.logsumexp(x)
        jitted = compiled(tracer.logsumexp, x)
        assert eager.dtype == jitted.dtype == dtype
        assert eager == jitted
        truth = np.log(np.exp(x.astype(np.float64)).sum())
        assert abs(float(eager) - truth) <= abs(truth) * EPSILON[dtype]  # within one ulp of the truth
    rows = np.arange(-3, 7, 0.25).astype(dtype).reshape(4, 10)
    np.testing.assert_array_equal(tracer.logsumexp(rows, axis=1), compiled(lambda a: tracer.logsumexp(a, axis=1), rows))


def _ties_and_neighbours(dtype, count=500):
    """float64 values at (and one float32 ulp either side of) the midpoints between neighbouring 16-bit values,
    where rounding through float32 first decides the tie the wrong way."""
    rng = np.random.default_rng(5)
    values = rng.uniform(-60000, 60000, count).astype(dtype).astype(np.float64)
    midpoints = values + np.array([float(np.spacing(dtype.type(v))) for v in values]) / 2
    tiny = np.abs(midpoints) * 2.0**-30
    return np.concatenate([midpoints, midpoints + tiny, midpoints - tiny,
                           [1 + 2**-11 + 2**-40, -(1 + 2**-8 + 2**-40), 0.0, -0.0, np.inf, -np.inf, np.nan, 1e300, 65519.99]])


@pytest.mark.parametrize("dtype", NARROW, ids=str)
@pytest.mark.parametrize("optimize", [True, False], ids=["optimized", "unoptimized"])
def test_float64_to_16_bits_rounds_once(dtype, optimize):
    """XLA converts f64 -> f16/bf16 through f32 and rounds twice (1 + 2**-11 + 2**-40 became 1.0, NumPy 1.001);
    the runtime has XLA round to float32 by round-to-odd first (`runtime.float_conversion`), which makes the
    second rounding the correct one."""
    x = _ties_and_neighbours(dtype)
    with np.errstate(over="ignore"):
        expected = x.astype(dtype)
    actual = np.asarray(tracer.jit(lambda a: a.astype(dtype), optimize=optimize)(x))
    same = (actual.view(np.uint16) == expected.view(np.uint16)) | (np.isnan(actual.astype(np.float32)) & np.isnan(x))
    assert same.all(), (x[~same][:5], actual[~same][:5], expected[~same][:5])


def test_the_float64_to_float16_conversion_passes_derivatives():
    x = np.array([1.5, -2.25, 3.0])
    gradient = np.asarray(tracer.jit(tracer.grad(lambda a: (a.astype(np.float16).astype(np.float64) * a).sum()))(x))
    np.testing.assert_array_equal(gradient, 2 * x)


@pytest.mark.skipif(runtime.default_device().platform != "cpu",
                    reason="XLA's CPU backend flushes subnormals; GPUs keep them unless asked not to")
def test_subnormals_are_flushed_to_zero_on_cpu():
    """Documented in the README's differences from NumPy: XLA's CPU backend runs with subnormal inputs and
    results flushed to zero (as JAX on CPU does); it has no option to keep them. NumPy keeps them."""
    tiny = np.array([1e-45, -1e-40], np.float32)
    assert (tiny != 0).all()
    np.testing.assert_array_equal(compiled(lambda a: a / a, tiny), [np.nan, np.nan])  # 0 / 0; NumPy: 1.0
    np.testing.assert_array_equal(compiled(np.sign, tiny), [0.0, 0.0])                  # NumPy: 1.0, -1.0
    np.testing.assert_array_equal(compiled(lambda a: a * 2, tiny), [0.0, -0.0])         # NumPy: 2.8e-45, -2e-40
    assert compiled(lambda a: a * 1e30, np.array([1e-300, 3e-320]))[1] == 0.0           # float64 too


_FLAGGED_CHILD = """
import json, numpy as np, tracer
tiny = np.array([1e-45, -1e-40], np.float32)
print(json.dumps({"x / x": np.asarray(tracer.jit(lambda a: a / a)(tiny)).tolist(),
                  "sign": np.asarray(tracer.jit(np.sign)(tiny)).tolist()}))
"""


@pytest.mark.skipif(runtime.default_device().platform != "cpu", reason="about XLA's CPU backend")
def test_xlas_flush_to_zero_flag_does_not_keep_subnormals_on_cpu():
    """Measured for the README's difference: XLA has a flag `--xla_cpu_ftz` ("flush-to-zero semantics in the
    code generated for CPUs", default true), but its CPU client sets the processor's flush-to-zero and
    denormals-are-zero modes around every run, so with the flag off the results are still flushed. Should a
    jaxlib honour it, this fails: then keep subnormals (and measure the cost) instead of documenting them."""
    child = run_isolated(_FLAGGED_CHILD, env={"XLA_FLAGS": "--xla_cpu_ftz=false", "PYREACTANT_CACHE_DIR": ""})
    assert child.returncode == 0, exit_status(child)  # (an unknown flag would abort XLA: the flag exists)
    results = json.loads(child.stdout.splitlines()[-1])
    assert np.isnan(results["x / x"]).all()   # NumPy: 1.0, 1.0
    assert results["sign"] == [0.0, 0.0]      # NumPy: 1.0, -1.0
