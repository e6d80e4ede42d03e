"""`tracer.nn`: convolution and pooling, eagerly on NumPy and traced, against independent oracles.

Oracles: `jax.lax.conv_general_dilated` (a cross-correlation; a true convolution is that of the
flipped kernel), the input-gradient of that conv through `jax.vjp` for `conv_transpose` (its
definition), `jax.lax.reduce_window` for pooling, and direct NumPy loops for small cases.
"""

from __future__ import annotations

import itertools

import jax
import jax.numpy as jnp
import ml_dtypes
import numpy as np
import pytest

import tracer
from tracer import nn

rng = np.random.default_rng(0)
BF16 = np.dtype(ml_dtypes.bfloat16)


def _normal(*shape, dtype=np.float32):
    return rng.standard_normal(shape).astype(dtype)


def _flip(w):
    return w[(slice(None), slice(None), *[slice(None, None, -1)] * (w.ndim - 2))]


def _lax_conv(x, w, *, stride, padding, dilation, groups=1):
    return np.asarray(jax.lax.conv_general_dilated(
        x, w, stride, padding, rhs_dilation=dilation, feature_group_count=groups,
        precision=jax.lax.Precision.HIGHEST))


def _numpy_conv2d(x, w, pad):
    """A direct loop: out[b, o, i, j] = sum_c,u,v x_padded[b, c, i + u, j + v] * w[o, c, kh-1-u, kw-1-v]."""
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    batch, _, height, width = xp.shape
    out, _, kh, kw = w.shape
    y = np.zeros((batch, out, height - kh + 1, width - kw + 1), np.float64)
    for b, o, i, j in itertools.product(range(batch), range(out), range(y.shape[2]), range(y.shape[3])):
        for c, u, v in itertools.product(range(w.shape[1]), range(kh), range(kw)):
            y[b, o, i, j] += xp[b, c, i + u, j + v] * w[o, c, kh - 1 - u, kw - 1 - v]
    return y


# --------------------------------------------------------------------------- conv


def test_conv_is_a_true_convolution_by_default():
    x, w = _normal(2, 2, 5, 4), _normal(3, 2, 3, 2)
    y = nn.conv(x, w, padding=1)
    assert isinstance(y, np.ndarray) and y.dtype == np.float32 and y.shape == (2, 3, 5, 5)
    np.testing.assert_allclose(y, _numpy_conv2d(x, w, 1), rtol=1e-5, atol=1e-5)
    # flipped=True is the cross-correlation: the same numbers with the kernel flipped by hand.
    np.testing.assert_allclose(nn.conv(x, _flip(w), padding=1, flipped=True), y, rtol=1e-6, atol=1e-6)


CONV_CASES = {
    "1d": dict(x=(2, 3, 9), w=(4, 3, 3), stride=(2,), padding=((1, 2),), dilation=(1,)),
    "2d mixed": dict(x=(2, 3, 7, 6), w=(4, 3, 3, 2), stride=(2, 1), padding=((1, 0), (2, 1)), dilation=(1, 2)),
    "2d groups": dict(x=(1, 6, 5, 5), w=(4, 3, 2, 2), stride=(1, 1), padding=((0, 0), (1, 1)), dilation=(1, 1), groups=2),
    "2d depthwise": dict(x=(2, 4, 6, 5), w=(8, 1, 3, 3), stride=(1, 2), padding=((1, 1), (1, 1)), dilation=(2, 1), groups=4),
    "3d": dict(x=(1, 2, 5, 4, 6), w=(3, 2, 2, 3, 2), stride=(1, 1, 2), padding=((0, 1), (1, 1), (0, 0)),
               dilation=(1, 1, 2)),
}


@pytest.mark.parametrize("name", list(CONV_CASES))
@pytest.mark.parametrize("flipped", [False, True])
def test_conv_matches_lax(name, flipped):
    case = dict(CONV_CASES[name])
    x, w = _normal(*case.pop("x")), _normal(*case.pop("w"))
    expected = _lax_conv(x, w if flipped else _flip(w), **case)
    groups = case.pop("groups", 1)
    np.testing.assert_allclose(nn.conv(x, w, flipped=flipped, groups=groups, **case), expected, rtol=1e-5, atol=1e-5)


def test_conv_traced_matches_eager_and_takes_numpy_kernels():
    x, w = _normal(2, 3, 6, 6), _normal(5, 3, 3, 3)
    eager = nn.conv(x, w, stride=2, padding="same")
    traced = tracer.jit(lambda a, b: nn.conv(a, b, stride=2, padding="same"))(x, w)
    np.testing.assert_array_equal(np.asarray(traced), eager)
    closed_over = tracer.jit(lambda a: nn.conv(a, w, stride=2, padding="same"))(x)  # w becomes a constant
    np.testing.assert_array_equal(np.asarray(closed_over), eager)
    assert eager.shape == (2, 5, 3, 3)


def test_conv_same_padding_is_nnlibs_samepad():
    """Larger half first: a 4-wide kernel pads (2, 1); with stride the output is ceil(size / stride)."""
    assert nn.same_padding((4, 3), 1) == ((2, 1), (1, 1))
    assert nn.same_padding((3,), 2) == ((2, 2),)
    x, w = _normal(1, 1, 7, 5), _normal(2, 1, 4, 3)
    expected = _lax_conv(x, _flip(w), stride=(2, 1), padding=((2, 1), (1, 1)), dilation=(1, 1))
    y = nn.conv(x, w, stride=(2, 1), padding="same")
    assert y.shape == (1, 2, 4, 5)
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(nn.conv(x, w, padding="valid"), nn.conv(x, w, padding=0))
    np.testing.assert_array_equal(nn.conv(x, w, padding=(1, 2)), nn.conv(x, w, padding=((1, 1), (2, 2))))


@pytest.mark.parametrize("dtype", [np.float16, BF16, np.float32, np.float64])
def test_conv_keeps_float_dtypes(dtype):
    x, w = _normal(2, 2, 5, 5), _normal(3, 2, 3, 3)
    y = nn.conv(x.astype(dtype), w.astype(dtype), padding=1, flipped=True)
    assert y.dtype == np.dtype(dtype)
    expected = _lax_conv(x.astype(dtype).astype(np.float64), w.astype(dtype).astype(np.float64), stride=(1, 1),
                         padding=((1, 1), (1, 1)), dilation=(1, 1))
    tolerance = {np.dtype(np.float16): 1e-2, BF16: 5e-2}.get(np.dtype(dtype), 1e-5)
    np.testing.assert_allclose(y.astype(np.float64), expected, rtol=tolerance, atol=tolerance * 4)


def test_conv_promotes_mixed_float_dtypes_like_numpy():
    y = nn.conv(_normal(1, 1, 4), _normal(1, 1, 2).astype(np.float64))
    assert y.dtype == np.float64


# --------------------------------------------------------------------------- conv_transpose


def _vjp_transpose(x, w, out_spatial, *, stride, padding, dilation, groups=1, flipped=False):
    """The definition: conv_transpose(x) is the gradient of conv(input) with respect to input, at x."""
    forward_kernel = w if flipped else _flip(w)
    in_channels = w.shape[1] * groups

    def forward(inp):
        return jax.lax.conv_general_dilated(inp, forward_kernel, stride, padding, rhs_dilation=dilation,
                                            feature_group_count=groups, precision=jax.lax.Precision.HIGHEST)

    _, pullback = jax.vjp(forward, jnp.zeros((x.shape[0], in_channels, *out_spatial), x.dtype))
    return np.asarray(pullback(jnp.asarray(x))[0])


TRANSPOSE_CASES = {
    "1d stride 2": dict(x=(2, 3, 5), w=(3, 2, 3), stride=(2,), padding=((1, 1),), dilation=(1,), output_padding=(1,)),
    "2d mixed": dict(x=(2, 4, 4, 3), w=(4, 3, 3, 2), stride=(2, 3), padding=((1, 0), (0, 1)), dilation=(1, 2),
                     output_padding=(1, 0)),
    "2d groups": dict(x=(1, 4, 3, 3), w=(4, 3, 2, 2), stride=(2, 2), padding=((0, 0), (0, 0)), dilation=(1, 1),
                      output_padding=(0, 0), groups=2),
    "3d": dict(x=(1, 2, 2, 3, 2), w=(2, 2, 2, 2, 3), stride=(1, 2, 2), padding=((0, 0), (1, 1), (1, 0)),
               dilation=(1, 1, 1), output_padding=(0, 1, 0)),
}


@pytest.mark.parametrize("name", list(TRANSPOSE_CASES))
@pytest.mark.parametrize("flipped", [False, True])
def test_conv_transpose_is_the_gradient_of_conv(name, flipped):
    case = dict(TRANSPOSE_CASES[name])
    x, w = _normal(*case.pop("x")), _normal(*case.pop("w"))
    y = nn.conv_transpose(x, w, flipped=flipped, **case)
    output_padding = case.pop("output_padding")
    expected = _vjp_transpose(x, w, y.shape[2:], flipped=flipped, **case)
    groups = case.get("groups", 1)
    assert y.shape[:2] == (x.shape[0], w.shape[1] * groups)
    for n, k, s, (low, high), d, extra, out in zip(x.shape[2:], w.shape[2:], case["stride"], case["padding"],
                                                  case["dilation"], output_padding, y.shape[2:]):
        assert out == (n - 1) * s + (k - 1) * d + 1 - low - high + extra
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-5)


def test_conv_transpose_scatters_the_kernel_in_a_numpy_loop():
    """Each input element adds x * w (flipped for NNlib's convolution) at stride steps of the output."""
    x, w = _normal(1, 2, 3), _normal(2, 1, 3)
    y = nn.conv_transpose(x, w, stride=2)
    expected = np.zeros((1, 1, (3 - 1) * 2 + 3))
    for c, i, k in itertools.product(range(2), range(3), range(3)):
        expected[0, 0, i * 2 + k] += x[0, c, i] * w[c, 0, 2 - k]
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-6)


def test_conv_transpose_same_padding_multiplies_the_size_by_the_stride():
    x, w = _normal(1, 2, 5, 4), _normal(2, 3, 4, 3)
    y = nn.conv_transpose(x, w, stride=2, padding="same")
    assert y.shape == (1, 3, 10, 8)
    traced = tracer.jit(lambda a, b: nn.conv_transpose(a, b, stride=2, padding="same"))(x, w)
    np.testing.assert_array_equal(np.asarray(traced), y)


# --------------------------------------------------------------------------- pooling


def _lax_pool(x, init, combine, window, stride, padding, dilation=None):
    spatial = x.ndim - 2
    dilation = dilation or (1,) * spatial
    return np.asarray(jax.lax.reduce_window(x, init, combine, (1, 1, *window), (1, 1, *stride),
                                            ((0, 0), (0, 0), *padding), window_dilation=(1, 1, *dilation)))


POOL_CASES = {
    "2d default stride": dict(x=(2, 3, 6, 4), window=(2, 2), stride=None, padding=((0, 0), (0, 0))),
    "2d overlapping, padded": dict(x=(1, 2, 7, 5), window=(3, 2), stride=(2, 1), padding=((1, 1), (0, 1))),
    "1d dilated": dict(x=(2, 2, 9), window=(3,), stride=(1,), padding=((2, 0),), dilation=(2,)),
    "3d": dict(x=(1, 2, 4, 5, 6), window=(2, 3, 2), stride=(2, 1, 2), padding=((0, 0), (1, 1), (0, 0))),
}


@pytest.mark.parametrize("name", list(POOL_CASES))
def test_pools_match_lax_reduce_window(name):
    case = dict(POOL_CASES[name])
    x = _normal(*case.pop("x"))
    window, padding, dilation = case["window"], case["padding"], case.get("dilation")
    stride = case["stride"] or window
    kwargs = dict(stride=case["stride"], padding=padding, dilation=dilation or 1)
    np.testing.assert_array_equal(nn.max_pool(x, window, **kwargs),
                                  _lax_pool(x, -np.inf, jax.lax.max, window, stride, padding, dilation))
    sums = _lax_pool(x, 0.0, jax.lax.add, window, stride, padding, dilation)
    np.testing.assert_allclose(nn.mean_pool(x, window, **kwargs), sums / np.prod(window), rtol=1e-5, atol=1e-6)
    squares = _lax_pool(x * x, 0.0, jax.lax.add, window, stride, padding, dilation)
    np.testing.assert_allclose(nn.lp_pool(x, window, **kwargs), np.sqrt(squares), rtol=1e-5, atol=1e-6)
    cubes = _lax_pool(np.abs(x) ** 3, 0.0, jax.lax.add, window, stride, padding, dilation)
    np.testing.assert_allclose(nn.lp_pool(np.abs(x), window, p=3, **kwargs), np.cbrt(cubes), rtol=1e-5, atol=1e-6)


def test_mean_pool_without_padding_in_the_count_matches_a_numpy_loop():
    x = _normal(1, 1, 4, 5)
    y = nn.mean_pool(x, 3, stride=1, padding=1, count_include_pad=False)
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)), constant_values=np.nan)
    expected = np.empty((1, 1, 4, 5), np.float32)
    for i, j in itertools.product(range(4), range(5)):
        expected[0, 0, i, j] = np.nanmean(xp[0, 0, i:i + 3, j:j + 3])
    np.testing.assert_allclose(y, expected, rtol=1e-6, atol=1e-6)
    # A window wholly in the padding averages nothing: 0, as NNlib's kernel_count == 0 case.
    edge = nn.mean_pool(np.ones((1, 1, 2), np.float32), 2, stride=1, padding=2, count_include_pad=False)
    np.testing.assert_array_equal(edge, [[[0, 1, 1, 1, 0]]])
    with_pad = nn.mean_pool(x, 3, stride=1, padding=1)  # NNlib: corners divide 4 values by 9
    np.testing.assert_allclose(with_pad[0, 0, 0, 0], x[0, 0, :2, :2].sum() / 9, rtol=1e-6)


def test_max_pool_ignores_padding_and_lp_pool_follows_nnlib_signs():
    x = -np.ones((1, 1, 2, 2), np.float32)
    np.testing.assert_array_equal(nn.max_pool(x, 2, stride=1, padding=1), -np.ones((1, 1, 3, 3)))
    # NNlib raises elements to p as they are: -1 and 2 give cbrt(-1 + 8), not cbrt(1 + 8) ...
    np.testing.assert_allclose(nn.lp_pool(np.array([[[-1.0, 2.0]]], np.float32), 2, p=3), [[[np.cbrt(7.0)]]], rtol=1e-6)
    # ... and a negative sum has no real root (NaN here; Julia raises a DomainError).
    assert np.isnan(nn.lp_pool(np.array([[[-3.0, 2.0]]], np.float32), 2, p=3)).all()


@pytest.mark.parametrize("dtype", [np.float16, BF16, np.float64])
def test_pools_keep_dtypes_and_accumulate_half_precision_widely(dtype):
    x = np.full((1, 1, 8, 8), 0.1, np.float32).astype(dtype)
    for pool in (nn.max_pool, nn.mean_pool, nn.lp_pool):
        assert pool(x, 4).dtype == np.dtype(dtype)
    mean = nn.mean_pool(x, 8).astype(np.float64)
    np.testing.assert_allclose(mean, x.astype(np.float64).mean(), rtol=1e-3)


def test_pools_traced_match_eager():
    x = _normal(2, 3, 6, 6)

    def pools(a):
        return (nn.max_pool(a, 2), nn.mean_pool(a, 3, stride=1, padding="same"),
                nn.lp_pool(a, (2, 3), p=1.5, stride=(2, 3)))

    traced = tracer.jit(pools)(x)
    for got, expected in zip(traced, pools(x)):
        np.testing.assert_array_equal(np.asarray(got), expected)


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize("call, error, message", [
    (lambda: nn.conv(np.ones((2, 3), np.float32), np.ones((2, 3), np.float32)), tracer.TracedShapeError,
     r"at least one spatial axis.*\n  fix: add the missing axes"),
    (lambda: nn.conv(np.ones((1, 3, 5), np.float32), np.ones((2, 3, 3, 3), np.float32)), tracer.TracedShapeError,
     r"kernel of shape \(out_channels, in_channels / groups, kernel...\).*\n  fix: give w rank 3"),
    (lambda: nn.conv(np.ones((1, 3, 5), np.float32), np.ones((2, 2, 3), np.float32)), tracer.TracedShapeError,
     r"expects 2 input channels.*has 3\n  fix: give w the shape \(out, 3, kernel...\)"),
    (lambda: nn.conv(np.ones((1, 4, 5), np.float32), np.ones((3, 2, 3), np.float32), groups=2), tracer.TracedShapeError,
     r"groups=2 needs in and out channels divisible by it, got 4 and 3"),
    (lambda: nn.conv(np.ones((1, 1, 2), np.float32), np.ones((1, 1, 3), np.float32)), tracer.TracedShapeError,
     r"kernel of size 3 \(dilation 1\) does not fit a spatial axis of size 2.*\n  fix: pad the input"),
    (lambda: nn.conv(np.ones((1, 1, 5), np.int32), np.ones((1, 1, 3), np.float32)), tracer.TracedTypeError,
     r"needs float arrays, got x of dtype int32"),
    (lambda: nn.conv(np.ones((1, 1, 5), np.float32), np.ones((1, 1, 3), np.float32), stride=0), tracer.TracedShapeError,
     r"stride must be 1 int\(s\) >= 1"),
    (lambda: nn.conv(np.ones((1, 1, 5), np.float32), np.ones((1, 1, 3), np.float32), padding="full"),
     tracer.TracedShapeError, r"padding 'full' is not understood"),
    (lambda: nn.conv(np.ones((1, 1, 5), np.float32), np.ones((1, 1, 3), np.float32), padding=(1, 2, 3)),
     tracer.TracedShapeError, r"does not fit 1 spatial axes"),
    (lambda: nn.conv(np.ones((1, 1, 5), np.float32), np.ones((1, 1, 3), np.float32), groups=0), tracer.TracedShapeError,
     r"groups must be an int >= 1"),
    (lambda: nn.conv_transpose(np.ones((1, 3, 5), np.float32), np.ones((2, 3, 3), np.float32)), tracer.TracedShapeError,
     r"expects 2 input channels \(its first axis\).*\n  fix: give w the shape \(3, out_channels / groups"),
    (lambda: nn.conv_transpose(np.ones((1, 1, 1), np.float32), np.ones((1, 1, 1), np.float32), padding=1),
     tracer.TracedShapeError, r"leaves no output"),
    (lambda: nn.max_pool(np.ones((1, 1, 3), np.float32), 4), tracer.TracedShapeError,
     r"pooling window of size 4 .* size 3"),
    (lambda: nn.mean_pool(np.ones((3, 3), np.float32), 2), tracer.TracedShapeError, r"at least one spatial axis"),
    (lambda: nn.max_pool(np.ones((1, 1, 4), np.int64), 2), tracer.TracedTypeError, r"needs a float array, got dtype int64"),
    (lambda: nn.lp_pool(np.ones((1, 1, 4), np.float32), 2, p=0), tracer.TracedTypeError, r"positive finite number p"),
    (lambda: nn.max_pool(np.ones((1, 1, 4, 4), np.float32), (2, 2, 2)), tracer.TracedShapeError,
     r"window must be 2 int\(s\) >= 1"),
])
def test_bad_arguments_raise_tracer_errors_with_a_fix(call, error, message):
    with pytest.raises(error, match=message) as info:
        call()
    assert info.value.fix and "test_nn.py" in info.value.where


def test_errors_are_raised_while_tracing_too():
    with pytest.raises(tracer.TracedShapeError, match="expects 2 input channels"):
        tracer.jit(lambda a, b: nn.conv(a, b))(np.ones((1, 3, 5), np.float32), np.ones((2, 2, 3), np.float32))


# -- relu ---------------------------------------------------------------------------------------------

RELU_POINTS = np.array([-2.0, -0.0, 0.0, 1e-30, 3.0, np.nan, -np.inf, np.inf])


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16, BF16, np.int32])
def test_relu_values_eager_and_traced(dtype):
    x = RELU_POINTS.astype(dtype) if np.dtype(dtype).kind == "f" else np.array([-3, 0, 5], dtype)
    expected = np.where(x <= 0, 0, x).astype(dtype)
    np.testing.assert_array_equal(nn.relu(x), expected)
    traced = np.asarray(tracer.jit(nn.relu)(x))
    assert traced.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(traced, expected)


def test_relu_derivatives_match_jax_relu_at_zero_and_elsewhere():
    """0 at x = 0 (and -0, NaN), as jax.nn.relu; np.maximum's rule would give 1/2 there. Forward and
    reverse mode, and second order (relu is piecewise linear: its Hessian-vector product is 0)."""
    x, v = RELU_POINTS, np.linspace(-1, 1, RELU_POINTS.size)
    w = rng.standard_normal(x.size)
    ours = lambda x: np.sum(nn.relu(x) * w)  # noqa: E731
    theirs = lambda x: jnp.sum(jax.nn.relu(x) * w)  # noqa: E731
    with jax.enable_x64(True):
        expected = np.asarray(jax.grad(theirs)(x))
        expected_jvp = np.asarray(jax.jvp(jax.nn.relu, (x,), (v,))[1])
    np.testing.assert_array_equal(np.asarray(tracer.grad(ours)(x)), expected)
    np.testing.assert_array_equal(np.asarray(tracer.jvp(nn.relu, (x,), (v,))[1]), expected_jvp)
    np.testing.assert_array_equal(np.asarray(tracer.jvp(tracer.grad(ours), (x,), (v,))[1]), np.zeros_like(x))
    # away from 0, finite differences of the eager values
    y = rng.standard_normal(20)
    y = y[np.abs(y) > 1e-3]
    eps = 1e-7
    numeric = (nn.relu(y + eps) - nn.relu(y - eps)) / (2 * eps)
    np.testing.assert_allclose(np.asarray(tracer.grad(lambda y: np.sum(nn.relu(y)))(y)), numeric, rtol=1e-6)


def test_relu_is_one_marked_maximum():
    text = tracer.compile(nn.relu, np.zeros(4, np.float32)).as_text("optimized")
    assert text.count("stablehlo.maximum") == 1 and 'pyreactant.derivative = "relu"' in text
    assert "stablehlo.select" not in text
