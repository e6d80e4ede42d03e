"""lux.init: WeightInitializers.jl's initialisers on our reversed dims.

Oracles: Lux's `nfan` rules and layouts written out here in the Julia order (an array in Julia's
order is our array with every axis reversed: `np.transpose(ours)`, same memory), closed-form
moments of each distribution checked on large draws with fixed seeds (tolerances of ~5 standard
errors), and math.erf for the inverse-CDF sampler.
"""

from __future__ import annotations

import functools
import math
import warnings

import ml_dtypes
import numpy as np
import pytest

import lux
from lux import activations, init

N = 400_000  # draws per moment check: the standard error of a mean is std / 632


def rng(seed=0):
    return np.random.default_rng(seed)


def julia_nfan(*jdims):
    """Lux's Utils.nfan, on Julia-order dims, as its source reads."""
    if len(jdims) == 0:
        return 1, 1
    if len(jdims) == 1:
        return 1, jdims[0]
    if len(jdims) == 2:
        n_out, n_in = jdims
        return n_in, n_out
    receptive = math.prod(jdims[:-2])
    return receptive * jdims[-2], receptive * jdims[-1]


def assert_moments(x, mean, std, *, n_std=5.0):
    x = np.asarray(x, np.float64).ravel()
    standard_error = std / math.sqrt(x.size)
    assert abs(x.mean() - mean) < n_std * standard_error + 1e-12, (x.mean(), mean)
    # the sample std's standard error is about std / sqrt(2n) (for normal-like tails)
    assert abs(x.std() - std) < n_std * std / math.sqrt(2 * x.size) * 1.5, (x.std(), std)


# -- fans ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("jdims", [(), (7,), (6, 4), (3, 3, 4, 8), (2, 3, 5, 4, 6)])
def test_fans_are_luxs_on_the_reversed_dims(jdims):
    assert init.fan_in_and_out(*reversed(jdims)) == julia_nfan(*jdims)


def test_fans_for_our_layer_shapes():
    assert init.fan_in_and_out(7) == (1, 7)            # a vector is an n x 1 matrix
    assert init.fan_in_and_out(4, 6) == (4, 6)         # Dense weight (in, out)
    assert init.fan_in_and_out(8, 4, 3, 3) == (36, 72)  # conv kernel (out, in, kh, kw)


# -- zeros32, rand64 ... -------------------------------------------------------------------------

@pytest.mark.parametrize("bits", [16, 32, 64])
def test_fixed_type_families(bits):
    dtype = np.dtype(f"float{bits}")
    for kind in ("zeros", "ones", "rand", "randn"):
        x = getattr(init, f"{kind}{bits}")(rng(), 3, 4, 5)
        assert x.shape == (3, 4, 5) and x.dtype == dtype, kind
    np.testing.assert_array_equal(getattr(init, f"zeros{bits}")(rng(), 2, 3), np.zeros((2, 3)))
    np.testing.assert_array_equal(getattr(init, f"ones{bits}")(rng(), 4), np.ones(4))
    u = getattr(init, f"rand{bits}")(rng(1), N)
    assert u.min() >= 0 and u.max() < 1
    assert_moments(u, 0.5, math.sqrt(1 / 12))
    assert_moments(getattr(init, f"randn{bits}")(rng(2), N), 0.0, 1.0)


@pytest.mark.parametrize("bits", [32, 64])
def test_complex_families(bits):
    dtype = np.dtype(f"complex{2 * bits}")
    for kind in ("zeros", "ones", "rand", "randn"):
        assert getattr(init, f"{kind}C{bits}")(rng(), 2, 3).dtype == dtype, kind
    np.testing.assert_array_equal(getattr(init, f"onesC{bits}")(rng(), 3), np.ones(3))
    u = getattr(init, f"randC{bits}")(rng(1), N)
    assert u.real.min() >= 0 and u.imag.max() < 1
    assert_moments(u.imag, 0.5, math.sqrt(1 / 12))
    z = getattr(init, f"randnC{bits}")(rng(2), N)
    assert_moments(z.real, 0.0, 1.0)
    assert_moments(z.imag, 0.0, 1.0)
    assert abs(np.corrcoef(z.real, z.imag)[0, 1]) < 5 / math.sqrt(N)  # independent parts


def test_rand16_never_rounds_up_to_one():
    u = init.rand16(rng(3), 2_000_000)
    assert u.max() < 1 and u.max() > 0.999


def test_same_generator_state_gives_the_same_draw():
    np.testing.assert_array_equal(init.randn32(rng(5), 3, 4), init.randn32(rng(5), 3, 4))
    assert not np.array_equal(init.randn32(rng(5), 3, 4), init.randn32(rng(6), 3, 4))


# -- glorot and kaiming --------------------------------------------------------------------------

def test_glorot_uniform_bound_and_spread():
    dims = (200, 2000)  # Dense(200 => 2000): fan_in 200, fan_out 2000
    w = init.glorot_uniform(rng(), *dims)
    bound = math.sqrt(6 / 2200)
    assert w.dtype == np.float32 and w.shape == dims
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.999 * bound
    assert_moments(w, 0.0, bound / math.sqrt(3))
    assert np.abs(init.glorot_uniform(rng(), *dims, gain=2.5)).max() > 2.49 * bound


def test_glorot_normal_std():
    w = init.glorot_normal(rng(), 16, 300, 3, 3, gain=0.5)  # conv (out 16, in 300, 3, 3)
    fan_in, fan_out = 300 * 9, 16 * 9
    assert_moments(w, 0.0, 0.5 * math.sqrt(2 / (fan_in + fan_out)))


def test_kaiming_uniform_and_normal_use_fan_in():
    w = init.kaiming_uniform(rng(), 500, 800)
    bound = math.sqrt(2) * math.sqrt(3 / 500)  # default gain sqrt(2)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.999 * bound
    assert_moments(w, 0.0, bound / math.sqrt(3))
    assert_moments(init.kaiming_normal(rng(), 500, 800), 0.0, math.sqrt(2) / math.sqrt(500))
    assert_moments(init.kaiming_normal(rng(), 500, 800, gain=3.0), 0.0, 3.0 / math.sqrt(500))


@pytest.mark.parametrize("dtype", [np.float16, np.float64, ml_dtypes.bfloat16])
def test_dtype_keyword(dtype):
    for fn in (init.glorot_uniform, init.glorot_normal, init.kaiming_uniform, init.kaiming_normal,
               init.truncated_normal, init.orthogonal, init.identity_init):
        assert fn(rng(), 3, 4, dtype=dtype).dtype == np.dtype(dtype), fn.__name__
    assert init.sparse_init(rng(), 3, 4, sparsity=0.5, dtype=dtype).dtype == np.dtype(dtype)


# -- truncated_normal ----------------------------------------------------------------------------

def truncated_moments(mean, std, lo, hi):
    """Mean and std of N(mean, std^2) restricted to [lo, hi] (closed form)."""
    def pdf(z):
        return math.exp(-z * z / 2) / math.sqrt(2 * math.pi)

    def cdf(z):
        return 0.5 * math.erfc(-z / math.sqrt(2))

    a, b = (lo - mean) / std, (hi - mean) / std
    mass = cdf(b) - cdf(a)
    shift = (pdf(a) - pdf(b)) / mass
    variance = 1 + (a * pdf(a) - b * pdf(b)) / mass - shift**2
    return mean + std * shift, std * math.sqrt(variance)


@pytest.mark.parametrize("mean, std, lo, hi", [(0.0, 1.0, -2.0, 2.0), (0.5, 2.0, -1.0, 4.0), (0.0, 0.02, -0.01, 0.05)])
def test_truncated_normal_bounds_and_moments(mean, std, lo, hi):
    x = init.truncated_normal(rng(7), N, mean=mean, std=std, lo=lo, hi=hi, dtype=np.float64)
    assert x.min() >= lo and x.max() <= hi
    assert x.min() < lo + 0.01 * (hi - lo) and x.max() > hi - 0.01 * (hi - lo)  # reaches both ends
    expected_mean, expected_std = truncated_moments(mean, std, lo, hi)
    assert_moments(x, expected_mean, expected_std)


def test_truncated_normal_defaults_and_float32():
    x = init.truncated_normal(rng(), 1000, 100)
    assert x.dtype == np.float32 and x.shape == (1000, 100)
    assert x.min() >= -2 and x.max() <= 2 and x.min() < -1.9


def test_truncated_normal_warns_when_the_mean_is_far_outside():
    with pytest.warns(UserWarning, match="more than 2 std outside"):
        x = init.truncated_normal(rng(), 100, mean=10.0, lo=-2.0, hi=2.0)
    assert x.min() >= -2 and x.max() <= 2
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        init.truncated_normal(rng(), 10, mean=3.5)  # within 2 std of hi: no warning


def test_erfinv_inverts_erf():
    y = np.concatenate([np.linspace(-0.999999, 0.999999, 20001), [0.0, 1e-300, -1e-12]])
    x = init._erfinv(y)
    np.testing.assert_allclose([math.erf(v) for v in x], y, rtol=1e-14, atol=1e-16)
    assert init._erfinv(np.array([1.0]))[0] == np.inf and init._erfinv(np.array([-1.0]))[0] == -np.inf


# -- orthogonal ----------------------------------------------------------------------------------

def julia_matrix(ours):
    """Lux's rows x cols matrix behind our array: Julia's array is ours with reversed axes, and its
    matrix is that array reshaped column-major to (prod(julia[:-1]), julia[-1])."""
    julia = np.transpose(ours)
    return np.reshape(julia, (math.prod(julia.shape[:-1]), julia.shape[-1]), order="F")


@pytest.mark.parametrize("dims", [(3, 5), (5, 3), (4, 4), (16, 3, 3, 3), (64, 2, 2, 2), (8, 4, 6)])
@pytest.mark.parametrize("gain", [1.0, 0.5])
def test_orthogonal_is_orthogonal_in_luxs_orientation(dims, gain):
    w = init.orthogonal(rng(11), *dims, gain=gain, dtype=np.float64)
    assert w.shape == dims and w.dtype == np.float64
    m = julia_matrix(w)
    rows, cols = m.shape
    gram = m.T @ m if rows >= cols else m @ m.T  # Lux: orthonormal columns, or rows when wide
    np.testing.assert_allclose(gram, gain**2 * np.eye(min(rows, cols)), atol=1e-12)


def test_orthogonal_dense_weight_rows_are_orthonormal_in_our_order():
    # Dense(3 => 5): ours (3, 5); Julia (5, 3) has orthonormal columns, which are our rows
    w = init.orthogonal(rng(), 3, 5)
    np.testing.assert_allclose(w @ w.T, np.eye(3), atol=1e-6)


def test_orthogonal_is_not_biased_by_qr_signs():
    # with R's diagonal signs folded in, the entries are symmetric around 0 (plain QR is not)
    firsts = np.array([init.orthogonal(rng(s), 4, 4, dtype=np.float64)[0, 0] for s in range(2000)])
    assert abs(firsts.mean()) < 5 * 0.5 / math.sqrt(2000)


def test_orthogonal_rejects_vectors():
    with pytest.raises(ValueError, match="vectors"):
        init.orthogonal(rng(), 5)


# -- sparse_init ---------------------------------------------------------------------------------

def test_sparse_init_zeroes_ceil_sparsity_of_each_julia_column():
    dims = (300, 10)  # Julia (10, 300): 300 columns of 10 rows; ours: 300 rows along the last axis
    w = init.sparse_init(rng(), *dims, sparsity=0.25, std=0.5)
    assert w.shape == dims and w.dtype == np.float32
    np.testing.assert_array_equal((w == 0).sum(axis=1), math.ceil(0.25 * 10))  # 3 zeros per row
    nonzero = w[w != 0]
    assert_moments(nonzero, 0.0, 0.5, n_std=6)
    positions = (w == 0).mean(axis=0)  # shuffled: every place equally likely to hold a zero
    assert positions.min() > 0.3 * 0.3 and positions.max() < 0.3 * 2


def test_sparse_init_full_sparsity_and_errors():
    assert not init.sparse_init(rng(), 4, 6, sparsity=1.5).any()
    with pytest.raises(ValueError, match="only 2-dimensional"):
        init.sparse_init(rng(), 2, 3, 4, sparsity=0.5)
    with pytest.raises(TypeError, match="sparsity"):
        init.sparse_init(rng(), 3, 4)  # required, as in Lux


# -- identity_init -------------------------------------------------------------------------------

def julia_identity(jdims, gain, shift):
    """Lux's identity_init built in the Julia order (1-based centres cld(d, 2))."""
    weights = np.zeros(jdims)
    if len(jdims) == 1:
        return weights
    if len(jdims) == 2:
        for i in range(min(jdims)):
            weights[i, i] = gain
        return np.roll(weights, shift, axis=0)  # circshift by an integer: the first dimension
    centres = tuple(math.ceil(d / 2) - 1 for d in jdims[:-2])
    for i in range(min(jdims[-2:])):
        weights[centres + (i, i)] = gain
    return np.roll(weights, (shift, shift), axis=(-2, -1))


@pytest.mark.parametrize("jdims", [(5,), (5, 5), (3, 5), (6, 4), (3, 3, 4, 4), (5, 3, 2, 3), (3, 3, 3, 4, 2)])
@pytest.mark.parametrize("gain, shift", [(1.0, 0), (1.5, 1), (2.0, -2)])
def test_identity_init_matches_luxs_layout(jdims, gain, shift):
    ours = init.identity_init(rng(), *reversed(jdims), gain=gain, shift=shift)
    np.testing.assert_array_equal(np.transpose(ours), julia_identity(jdims, gain, shift))


def test_identity_init_luxs_doc_example_and_identity_map():
    w = init.identity_init(rng(), 1, 1, 3, 3, gain=1.5)  # Julia (3, 3, 1, 1)
    expected = np.zeros((1, 1, 3, 3), np.float32)
    expected[0, 0, 1, 1] = 1.5
    np.testing.assert_array_equal(w, expected)
    x = rng().standard_normal((2, 5)).astype(np.float32)
    np.testing.assert_array_equal(x @ init.identity_init(rng(), 5, 5), x)  # Dense(5 => 5) weight


# -- calling conventions -------------------------------------------------------------------------

def test_partial_application_like_luxs():
    later = init.kaiming_normal(gain=0.0)  # Lux: kaiming_normal(; gain=0)
    assert callable(later) and not later(rng(), 3, 4).any()
    bound_rng = init.glorot_uniform(rng(9), dtype=np.float64)
    w = bound_rng(3, 4)
    assert w.dtype == np.float64 and w.shape == (3, 4)
    np.testing.assert_array_equal(w, init.glorot_uniform(rng(9), 3, 4, dtype=np.float64))
    assert init.zeros32(rng())(2).shape == (2,)
    narrow = functools.partial(init.truncated_normal, std=0.01, lo=-0.015, hi=0.015)
    x = narrow(rng(), 100, 100)
    assert np.abs(x).max() <= 0.015 and np.abs(x).max() > 0.0149


def test_partials_work_as_dense_initialisers():
    model = lux.Dense(3, 4, init_weight=init.identity_init(gain=2.0), init_bias=init.ones32)
    ps, _ = lux.setup(rng(), model)
    np.testing.assert_array_equal(ps["weight"], 2 * np.eye(3, 4))
    np.testing.assert_array_equal(ps["bias"], np.ones(4))


def test_no_rng_uses_the_fixed_default_seed():
    np.testing.assert_array_equal(init.randn32(3, 4), init.randn32(3, 4))
    np.testing.assert_array_equal(init.glorot_normal(5, 2), init.glorot_normal(np.random.default_rng(1234), 5, 2))


def test_bad_calls_raise_with_a_fix():
    with pytest.raises(TypeError, match=r"separate ints, glorot_uniform\(rng, 3, 4\)"):
        init.glorot_uniform(rng(), (3, 4))
    with pytest.raises(TypeError, match="non-negative"):
        init.zeros32(rng(), 3, -1)
    with pytest.raises(TypeError, match="floating-point"):
        init.glorot_uniform(rng(), 3, 4, dtype=np.int32)
    with pytest.raises(TypeError, match="numpy.random.Generator"):
        init.randn32("seed", 3)


# -- calculate_gain ------------------------------------------------------------------------------

def test_calculate_gain_is_luxs_table():
    assert init.calculate_gain(activations.identity) == 1.0
    assert init.calculate_gain(activations.sigmoid) == 1.0
    assert init.calculate_gain(activations.relu) == 2.0
    assert init.calculate_gain(activations.tanh) == init.calculate_gain(np.tanh) == 5 / 3
    assert init.calculate_gain(activations.selu) == 0.75
    assert init.calculate_gain(activations.leakyrelu) == pytest.approx(math.sqrt(2 / 1.01))  # default 0.1
    assert init.calculate_gain(activations.leakyrelu, math.sqrt(5)) == pytest.approx(math.sqrt(1 / 3))
    assert init.calculate_gain(activations.gelu) == init.calculate_gain(lambda x: x, 0.3) == 1.0
