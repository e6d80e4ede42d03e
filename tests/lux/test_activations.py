"""lux.activations: NNlib's definitions against independent references, eager vs compiled, edges.

References: each function written out per element in float64 with Python's `math` (a different
formula from the library's where one exists), and `jax.nn` in float32 as a second oracle.
All functions of one dtype run through ONE `tracer.jit` (one compile) for the parity check.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import lux
import tracer
from lux import activations as A

SELU_ALPHA, SELU_SCALE = 1.6732632423543772848170429916717, 1.0507009873554804934193349852946


def _softplus(v):
    return math.log1p(math.exp(v)) if v < 30 else v + math.log1p(math.exp(-v))


def _sigmoid(v):
    return 1 / (1 + math.exp(-v)) if v > -700 else math.exp(v)


# name -> per-element float64 reference
REFERENCES = {
    "relu": lambda v: v if v > 0 else 0.0,
    "relu6": lambda v: min(max(v, 0.0), 6.0),
    "leakyrelu": lambda v: v if v > 0 else 0.01 * v,
    "elu": lambda v: v if v >= 0 else math.expm1(v),
    "celu": lambda v: v if v >= 0 else math.expm1(v),
    "selu": lambda v: SELU_SCALE * (v if v > 0 else SELU_ALPHA * (math.expm1(v))),
    "sigmoid": _sigmoid,
    "hardsigmoid": lambda v: min(max((v + 3) / 6, 0.0), 1.0),
    "tanh": math.tanh,
    "softplus": _softplus,
    "logsigmoid": lambda v: -_softplus(-v),
    "softsign": lambda v: v / (1 + abs(v)),
    "swish": lambda v: v * _sigmoid(v),
    "mish": lambda v: v * math.tanh(_softplus(v)),
    # x/2 (1 + tanh t) = x sigmoid(2t): the tanh form cancels to 0 in the far negative tail
    "gelu_tanh": lambda v: v * _sigmoid(2 * math.sqrt(2 / math.pi) * (v + 0.044715 * v**3)),
    "gelu_erf": lambda v: 0.5 * v * math.erfc(-v / math.sqrt(2)),
}

JAX = {
    "relu": jax.nn.relu, "relu6": jax.nn.relu6, "leakyrelu": lambda x: jax.nn.leaky_relu(x, 0.01),
    "elu": jax.nn.elu, "celu": jax.nn.celu, "selu": jax.nn.selu, "sigmoid": jax.nn.sigmoid,
    "hardsigmoid": jax.nn.hard_sigmoid, "tanh": jnp.tanh, "softplus": jax.nn.softplus,
    "logsigmoid": jax.nn.log_sigmoid, "softsign": jax.nn.soft_sign, "swish": jax.nn.swish, "mish": jax.nn.mish,
    "gelu_tanh": lambda x: jax.nn.gelu(x, approximate=True), "gelu_erf": lambda x: jax.nn.gelu(x, approximate=False),
}

X = np.concatenate([np.linspace(-8, 8, 161), [-30.0, -12.5, 12.5, 30.0, 0.0, -0.0, 1e-8, -1e-8]])


def _reference(name, x):
    return np.array([REFERENCES[name](float(v)) for v in x])


def _close(actual, expected, dtype):
    # float32 atol: exp(t) of a rounded float32 t is off by |t| * eps relatively, which in the far
    # tails (|t| ~ 50) exceeds rtol; those values are below 1e-12 in magnitude.
    rtol, atol = {np.float64: (5e-13, 1e-300), np.float32: (2e-6, 1e-12)}[dtype]
    np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_values_match_float64_references(dtype):
    x = X.astype(dtype)
    for name in REFERENCES:
        y = getattr(A, name)(x)
        assert y.dtype == dtype, name
        expected = _reference(name, x.astype(np.float64))
        try:
            _close(y, expected, dtype)
        except AssertionError as err:
            raise AssertionError(f"{name}: {err}") from None


def test_float32_values_match_jax_nn():
    x = X.astype(np.float32)
    for name, fn in JAX.items():
        # atol: jax's gelu forms round the far negative tail (below 1e-6) to 0 where ours keep it
        np.testing.assert_allclose(getattr(A, name)(x), np.asarray(fn(x)), rtol=3e-6, atol=1e-6, err_msg=name)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_eager_and_compiled_agree(dtype):
    x = X.astype(dtype).reshape(13, 13)
    names = sorted(REFERENCES) + ["softmax", "logsoftmax"]

    def every(x):
        return {name: getattr(A, name)(x) for name in names}

    eager = every(x)
    compiled = tracer.jit(every)(x)
    rtol, atol = (1e-12, 1e-300) if dtype == np.float64 else (2e-6, 1e-12)  # (atol: see _close)
    for name in names:
        assert np.asarray(compiled[name]).dtype == dtype, name
        np.testing.assert_allclose(np.asarray(compiled[name]), eager[name], rtol=rtol, atol=atol, err_msg=name)


def test_gelu_is_nnlibs_tanh_form_and_erf_form_is_separate():
    assert A.gelu is A.gelu_tanh  # NNlib: `const gelu = gelu_tanh`
    x = np.array([-1.5, 0.5, 2.0])
    assert not np.allclose(A.gelu(x), A.gelu_erf(x), rtol=1e-6)  # the two forms differ (by ~1e-3)
    np.testing.assert_allclose(A.gelu(x), A.gelu_erf(x), atol=2e-3)


def test_keyword_parameters():
    x = np.array([-2.0, -0.5, 0.0, 1.5])
    np.testing.assert_allclose(A.leakyrelu(x, 0.2), np.where(x > 0, x, 0.2 * x))
    np.testing.assert_allclose(A.elu(x, 2.0), [2 * math.expm1(-2.0), 2 * math.expm1(-0.5), 0.0, 1.5])
    np.testing.assert_allclose(A.celu(x, 2.0), [2 * math.expm1(-1.0), 2 * math.expm1(-0.25), 0.0, 1.5])


def test_integer_inputs_follow_nnlib():
    x = np.array([-7, -1, 0, 3, 9])
    assert A.relu(x).dtype == x.dtype and A.relu(x).tolist() == [0, 0, 0, 3, 9]
    assert A.relu6(x).tolist() == [0, 0, 0, 3, 6]
    assert A.sigmoid(x).dtype == np.float64 and A.softplus(x).dtype == np.float64


def test_large_inputs_stay_finite_and_exact():
    big = np.array([-1e4, -800.0, -100.0, 100.0, 800.0, 1e4], np.float32)
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # (underflow to 0 is fine)
        sp, ls, sg = A.softplus(big), A.logsigmoid(big), A.sigmoid(big)
        A.swish(big), A.mish(big), A.gelu_erf(big), A.selu(big), A.elu(big), A.celu(big)
    np.testing.assert_array_equal(sp, [0, 0, np.float32(math.exp(-100)), 100, 800, 1e4])
    np.testing.assert_array_equal(ls, [-1e4, -800, -100, -np.float32(math.exp(-100)), 0, 0])
    np.testing.assert_array_equal(sg, [0, 0, np.float32(math.exp(-100)), 1, 1, 1])
    np.testing.assert_array_equal(A.gelu_erf(big), [0, 0, 0, 100, 800, 1e4])


def test_infinities_and_nan():
    x = np.array([-np.inf, np.inf, np.nan])
    np.testing.assert_array_equal(A.softplus(x), [0, np.inf, np.nan])
    np.testing.assert_array_equal(A.logsigmoid(x), [-np.inf, 0, np.nan])
    np.testing.assert_array_equal(A.sigmoid(x), [0, 1, np.nan])
    np.testing.assert_array_equal(A.relu(x), [0, np.inf, np.nan])
    np.testing.assert_array_equal(A.erf(x), [-1, 1, np.nan])


# -- softmax -------------------------------------------------------------------------------------

def _softmax_reference(row):
    top = max(row)
    exps = [math.exp(v - top) for v in row]
    return [e / math.fsum(exps) for e in exps]


def test_softmax_reduces_the_last_axis_by_default():
    x = np.random.default_rng(0).standard_normal((3, 5)) * 4
    expected = np.array([_softmax_reference(list(row)) for row in x])
    np.testing.assert_allclose(A.softmax(x), expected, rtol=1e-14)
    np.testing.assert_allclose(A.logsoftmax(x), np.log(expected), rtol=1e-13)
    np.testing.assert_allclose(A.softmax(x, axis=0), np.array([_softmax_reference(list(c)) for c in x.T]).T, rtol=1e-14)
    np.testing.assert_allclose(A.softmax(x).sum(axis=-1), 1.0, rtol=1e-15)
    # NNlib's doc example, softmax([1 2 3; 2 2 2]; dims=2): Julia rows are our rows along the last axis
    np.testing.assert_allclose(A.softmax(np.array([[1.0, 2, 3], [2, 2, 2]])),
                               [[0.0900306, 0.244728, 0.665241], [1 / 3, 1 / 3, 1 / 3]], rtol=1e-5)


def test_softmax_matches_jax_and_is_shift_stable():
    x = np.random.default_rng(1).standard_normal((4, 6)).astype(np.float32) * 3 + 1000  # exp(1000) overflows
    np.testing.assert_allclose(A.softmax(x), np.asarray(jax.nn.softmax(x)), rtol=2e-6, atol=1e-9)
    np.testing.assert_allclose(A.logsoftmax(x), np.asarray(jax.nn.log_softmax(x)), rtol=2e-6, atol=1e-6)
    assert np.isfinite(A.logsoftmax(x)).all() and A.softmax(x).dtype == np.float32


def test_softmax_with_infinities_follows_nnlib():
    x = np.array([[0.0, -np.inf, 1.0],        # masked entry: 0 probability
                  [-np.inf, -np.inf, -np.inf],  # nothing left: NaN (as NNlib and jax)
                  [np.inf, 2.0, np.inf]])       # +inf entries share the mass
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        s, ls = A.softmax(x), A.logsoftmax(x)
    np.testing.assert_allclose(s[0], [1 / (1 + math.e), 0, math.e / (1 + math.e)], rtol=1e-15)
    assert np.isnan(s[1]).all() and np.isnan(ls[1]).all()
    np.testing.assert_array_equal(s[2], [0.5, 0, 0.5])
    np.testing.assert_allclose(ls[0], [-math.log1p(math.e), -np.inf, 1 - math.log1p(math.e)], rtol=1e-15)
    np.testing.assert_allclose(ls[2], [-math.log(2), -np.inf, -math.log(2)], rtol=1e-15)
    compiled = tracer.jit(lambda x: (A.softmax(x), A.logsoftmax(x)))(x)
    np.testing.assert_array_equal(np.asarray(compiled[0]), s)
    np.testing.assert_array_equal(np.asarray(compiled[1]), ls)


# -- erf -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype, rtol", [(np.float64, 5e-13), (np.float32, 1e-6)])
def test_erf_and_erfc_match_math(dtype, rtol):
    z = np.linspace(-6, 6, 2401).astype(dtype)
    wide = z.astype(np.float64)
    np.testing.assert_allclose(A.erf(z), [math.erf(v) for v in wide], rtol=rtol, atol=np.finfo(dtype).eps)
    tail = np.linspace(0, 9, 901).astype(dtype)  # relative accuracy where erfc is tiny
    np.testing.assert_allclose(A.erfc(tail), [math.erfc(v) for v in tail.astype(np.float64)], rtol=rtol * 5)
    assert A.erf(z).dtype == dtype


def test_dense_accepts_the_new_activations_and_prints_their_names():
    model = lux.Dense(3, 4, A.gelu)
    assert model.summary() == "Dense(3 => 4, gelu_tanh)"  # as Lux prints NNlib's gelu
    ps, st = lux.setup(np.random.default_rng(0), model)
    x = np.random.default_rng(1).standard_normal((2, 3)).astype(np.float32)
    y, _ = lux.apply(model, x, ps, st)
    np.testing.assert_allclose(y, _reference("gelu_tanh", (x @ ps["weight"] + ps["bias"]).ravel()).reshape(2, 4), rtol=1e-5)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_relu_gradient_is_jaxs_zero_at_zero(dtype):
    # relu's derivative is select(x <= 0, 0, dy), JAX's (its custom rule): 0 at 0, where np.maximum's would
    # split the tie (1/2); np.maximum itself keeps the split (tests/passes compare it with jnp.maximum's).
    x = np.array([-3.0, -1e-8, -0.0, 0.0, 1e-8, 0.5, 7.0], dtype)
    weights = np.arange(1, 8, dtype=dtype)
    ours = np.asarray(tracer.grad(lambda x: np.sum(A.relu(x) * weights))(x))
    # (jax in float32: the derivative's values, 0 or a weight, are the same in both dtypes)
    f32 = np.float32
    theirs = np.asarray(jax.grad(lambda x: jnp.sum(jax.nn.relu(x) * weights.astype(f32)))(x.astype(f32)))
    np.testing.assert_array_equal(ours, theirs)
    np.testing.assert_array_equal(ours, [0, 0, 0, 0, 5, 6, 7])
    assert np.asarray(tracer.grad(lambda x: np.sum(np.maximum(x, 0)))(np.zeros(1, dtype)))[0] == 0.5
