"""lux Conv and ConvTranspose: Lux's shapes, parameter counts, default init and display; values
against `jax.lax.conv_general_dilated` (a cross-correlation: Lux's true convolution is that of the
flipped kernel), the input-gradient of that conv (`jax.vjp`) for ConvTranspose, and a NumPy loop;
eager NumPy calls against `tracer.jit(lux.apply)`."""

from __future__ import annotations

import itertools
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import lux
from helpers import apply_compiled, run_layer_both

rng = np.random.default_rng(0)


def _normal(*shape):
    return rng.standard_normal(shape).astype(np.float32)


def _flip(w):
    return w[(slice(None), slice(None), *[slice(None, None, -1)] * (w.ndim - 2))]


def _lax_conv(x, w, *, stride, padding, dilation=None, groups=1):
    spatial = x.ndim - 2
    return np.asarray(jax.lax.conv_general_dilated(x, w, stride, padding, rhs_dilation=dilation or (1,) * spatial,
                                                   feature_group_count=groups, precision=jax.lax.Precision.HIGHEST))


# --------------------------------------------------------------------------- Conv


def test_conv_is_a_true_convolution_like_lux():
    """Lux flips the kernel: y[b, o, i] = sum_c,k x[b, c, i + k] * w[o, c, K - 1 - k] + bias[o]."""
    model = lux.Conv((3,), 2, 2)
    x = _normal(1, 2, 5)
    run = run_layer_both(model, x, seed=1)
    y, ps = run.output(), run.ps  # (checked against the compiled output, the state unchanged both ways)
    w, bias = ps["weight"], ps["bias"]
    expected = np.zeros((1, 2, 3))
    for o, i, c, k in itertools.product(range(2), range(3), range(2), range(3)):
        expected[0, o, i] += x[0, c, i + k] * w[o, c, 2 - k]
    expected += bias[None, :, None]
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-6)
    # With an asymmetric kernel the two modes differ; cross_correlation=True is the unflipped sum.
    corr, _ = lux.Conv((3,), 2, 2, cross_correlation=True)(x, ps, {})
    assert not np.allclose(corr, y)
    np.testing.assert_allclose(corr, _lax_conv(x, w, stride=(1,), padding=((0, 0),)) + bias[None, :, None], rtol=1e-5,
                               atol=1e-6)


CONV_CASES = {
    "1d stride": (lux.Conv((3,), 2, 4, stride=2, pad=1), (2, 2, 9), (2, 4, 5)),
    "2d relu pad": (lux.Conv((3, 3), 3, 8, lux.relu, pad=1), (2, 3, 6, 5), (2, 8, 6, 5)),
    "2d asymmetric everything": (lux.Conv((3, 2), 2, 3, stride=(2, 1), pad=(1, 0, 0, 2), dilation=(1, 2)),
                                 (1, 2, 7, 6), (1, 3, 3, 6)),
    "2d groups": (lux.Conv((2, 2), 4, 6, groups=2, use_bias=False), (2, 4, 5, 5), (2, 6, 4, 4)),
    "2d depthwise same": (lux.Conv((3, 3), 3, 3, lux.tanh, groups=3, pad=lux.SamePad()), (1, 3, 5, 4), (1, 3, 5, 4)),
    "2d same stride": (lux.Conv((4, 3), 1, 2, stride=2, pad="same"), (1, 1, 7, 6), (1, 2, 4, 3)),
    "3d": (lux.Conv((2, 2, 3), 2, 3, pad=(0, 1, 1)), (1, 2, 4, 3, 5), (1, 3, 3, 4, 5)),
    "cross-correlation": (lux.Conv((3, 2), 2, 2, cross_correlation=True), (1, 2, 4, 4), (1, 2, 2, 3)),
}


@pytest.mark.parametrize("name", list(CONV_CASES))
def test_conv_shapes_values_and_parity(name):
    model, in_shape, out_shape = CONV_CASES[name]
    x = _normal(*in_shape)
    run = run_layer_both(model, x, seed=1)
    y, ps = run.output(), run.ps
    assert y.shape == out_shape and y.dtype == np.float32
    spatial = len(model.kernel)
    pads = [(model.pad[i], model.pad[i]) for i in range(spatial)] if len(model.pad) == spatial else \
        [(model.pad[2 * i], model.pad[2 * i + 1]) for i in range(spatial)]
    kernel = ps["weight"] if model.cross_correlation else _flip(ps["weight"])
    expected = _lax_conv(x, kernel, stride=model.stride, padding=pads, dilation=model.dilation, groups=model.groups)
    if model.use_bias:
        expected = expected + ps["bias"].reshape(1, -1, *(1,) * spatial)
    expected = np.asarray(model.activation(expected))
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-5)


def test_conv_parameters_follow_lux_shapes_counts_and_default_init():
    model = lux.Conv((3, 3), 4, 6, lux.relu, groups=2)
    ps, st = lux.setup(np.random.default_rng(0), model)
    assert ps["weight"].shape == (6, 2, 3, 3) and ps["bias"].shape == (6,) and st == {}
    assert ps["weight"].dtype == np.float32 and ps["bias"].dtype == np.float32
    assert model.parameterlength() == 3 * 3 * 4 * 6 // 2 + 6 == lux.parameterlength(ps) and model.statelength() == 0
    fan_in = 3 * 3 * 2
    bound = math.sqrt(3) * 2.0 / math.sqrt(fan_in)  # kaiming_uniform, gain calculate_gain(relu, sqrt(5)) = 2
    assert 0.9 * bound < np.abs(ps["weight"]).max() <= bound
    assert 0.8 / math.sqrt(fan_in) < np.abs(ps["bias"]).max() <= 1 / math.sqrt(fan_in)
    assert lux.Conv((5,), 3, 2, use_bias=False).parameterlength() == 30
    assert lux.Conv((2, 2, 2), 1, 1).parameterlength() == 9


def test_conv_custom_initialisers_get_our_dims():
    seen = []

    def weight_init(rng, *dims):
        seen.append(dims)
        return np.ones(dims, np.float32)

    model = lux.Conv((3, 2), 4, 6, groups=2, init_weight=weight_init, init_bias=lambda rng, n: np.full(n, 0.5, np.float32))
    ps, _ = lux.setup(0, model)
    assert seen == [(6, 2, 3, 2)]
    np.testing.assert_array_equal(ps["bias"], np.full(6, 0.5, np.float32))


def test_conv_display_follows_lux():
    assert lux.Conv((3, 3), 3, 16, lux.relu, pad=1).summary() == "Conv((3, 3), 3 => 16, relu, pad=1)"
    assert repr(lux.Conv((3, 3), 3, 16, lux.relu, pad=1)) == "Conv((3, 3), 3 => 16, relu, pad=1)".ljust(49) + " # 448 parameters"
    assert lux.Conv((5,), 1, 2).summary() == "Conv((5,), 1 => 2)"
    assert (lux.Conv((3, 3), 4, 8, stride=(2, 1), pad=(1, 2), dilation=2, groups=2, use_bias=False,
                     cross_correlation=True).summary()
            == "Conv((3, 3), 4 => 8, pad=(1, 2), stride=(2, 1), dilation=2, groups=2, use_bias=false, cross_correlation=true)")
    # SamePad is resolved to numbers when built, as in Lux; a 4-wide kernel pads (2, 1).
    assert lux.Conv((4, 3), 1, 1, pad=lux.SamePad()).summary() == "Conv((4, 3), 1 => 1, pad=(2, 1, 1, 1))"
    assert lux.Conv((3, 3), 1, 1, pad=lux.SamePad(), stride=2).summary() == "Conv((3, 3), 1 => 1, pad=1, stride=2)"
    assert lux.Conv((3, 3), 1, 1, np.tanh).summary() == "Conv((3, 3), 1 => 1, tanh)"


def test_conv_in_a_chain_keeps_lux_display_and_hashes():
    model = lux.Chain(lux.Conv((3, 3), 1, 4, lux.relu), lux.Conv((3, 3), 4, 2))
    assert repr(model).splitlines()[1] == "    layer_1 = Conv((3, 3), 1 => 4, relu),".ljust(49) + " # 40 parameters"
    assert hash(lux.Conv((3, 3), 1, 4)) == hash(lux.Conv((3, 3), 1, 4)) and lux.Conv((3, 3), 1, 4) == lux.Conv((3, 3), 1, 4)
    assert lux.Conv((3, 3), 1, 4) != lux.Conv((3, 3), 1, 4, pad=1)


def test_conv_keeps_half_and_double_precision():
    model = lux.Conv((3, 3), 2, 3, pad=1)
    ps, st = lux.setup(0, model)
    for dtype in (np.float16, np.float64):
        ps_cast = {k: v.astype(dtype) for k, v in ps.items()}
        y, _ = model(_normal(1, 2, 4, 4).astype(dtype), ps_cast, st)
        assert y.dtype == dtype


# --------------------------------------------------------------------------- ConvTranspose


def _transpose_oracle(model, x, ps, out_spatial):
    """ConvTranspose is the input-gradient of the Conv it transposes, evaluated at x."""
    spatial = len(model.kernel)
    pads = [(model.pad[i], model.pad[i]) for i in range(spatial)] if len(model.pad) == spatial else \
        [(model.pad[2 * i], model.pad[2 * i + 1]) for i in range(spatial)]
    kernel = ps["weight"] if model.cross_correlation else _flip(ps["weight"])

    def forward(inp):
        return jax.lax.conv_general_dilated(inp, kernel, model.stride, pads, rhs_dilation=model.dilation,
                                            feature_group_count=model.groups, precision=jax.lax.Precision.HIGHEST)

    _, pullback = jax.vjp(forward, jnp.zeros((x.shape[0], model.out_chs, *out_spatial), jnp.float32))
    y = np.asarray(pullback(jnp.asarray(x))[0])
    if model.use_bias:
        y = y + ps["bias"].reshape(1, -1, *(1,) * spatial)
    return np.asarray(model.activation(y))


TRANSPOSE_CASES = {
    "1d stride": (lux.ConvTranspose((3,), 2, 3, stride=2), (2, 2, 4), (2, 3, 9)),
    "2d pad outpad": (lux.ConvTranspose((3, 3), 4, 2, lux.relu, stride=2, pad=1, outpad=1), (1, 4, 3, 4), (1, 2, 6, 8)),
    "2d same": (lux.ConvTranspose((4, 4), 2, 2, stride=2, pad=lux.SamePad()), (1, 2, 3, 5), (1, 2, 6, 10)),
    "2d groups dilation": (lux.ConvTranspose((2, 3), 4, 6, groups=2, dilation=(2, 1), cross_correlation=True),
                           (2, 4, 3, 3), (2, 6, 5, 5)),
    "3d": (lux.ConvTranspose((2, 2, 2), 1, 2, stride=(1, 2, 2), use_bias=False), (1, 1, 2, 2, 3), (1, 2, 3, 4, 6)),
}


@pytest.mark.parametrize("name", list(TRANSPOSE_CASES))
def test_conv_transpose_shapes_values_and_parity(name):
    model, in_shape, out_shape = TRANSPOSE_CASES[name]
    x = _normal(*in_shape)
    ps, st = lux.setup(np.random.default_rng(2), model)
    ps = {k: _normal(*v.shape) for k, v in ps.items()}  # nonzero bias, so adding it is checked too
    y = run_layer_both(model, x, ps, st).output()
    assert y.shape == out_shape
    np.testing.assert_allclose(y, _transpose_oracle(model, x, ps, out_shape[2:]), rtol=1e-5, atol=1e-5)


def test_conv_transpose_parameters_and_lux_default_init():
    model = lux.ConvTranspose((3, 3), 4, 6, groups=2)
    ps, _ = lux.setup(0, model)
    assert ps["weight"].shape == (4, 3, 3, 3) and ps["bias"].shape == (6,)
    assert model.parameterlength() == 9 * 4 * 6 // 2 + 6 == lux.parameterlength(ps)
    # Lux's ConvTranspose defaults: glorot_uniform on Julia dims (3, 3, out/groups, in), zeros32 bias.
    bound = math.sqrt(6 / (9 * 3 + 9 * 4))
    assert 0.9 * bound < np.abs(ps["weight"]).max() <= bound
    np.testing.assert_array_equal(ps["bias"], np.zeros(6, np.float32))


def test_conv_transpose_display_follows_lux():
    assert lux.ConvTranspose((3, 3), 4, 2, lux.relu, stride=2, pad=1, outpad=1).summary() == \
        "ConvTranspose((3, 3), 4 => 2, relu, pad=1, stride=2, outpad=1)"
    assert lux.ConvTranspose((4,), 2, 2, stride=2, pad=lux.SamePad()).summary() == "ConvTranspose((4,), 2 => 2, pad=1, stride=2)"
    assert lux.ConvTranspose((2, 2), 2, 4, groups=2, use_bias=False, cross_correlation=True).summary() == \
        "ConvTranspose((2, 2), 2 => 4, groups=2, use_bias=false, cross_correlation=true)"


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize("model, shape, message", [
    (lux.Conv((3, 3), 3, 4), (2, 2, 5, 5), (r"Conv\(\(3, 3\), 3 => 4\) expects 3 input channels on axis 1, got an input "
                                            r"of shape \(2, 2, 5, 5\)\n  fix:")),
    (lux.Conv((3, 3), 3, 4), (3, 5, 5), (r"expects an input with 4 axes \(batch, 3, size, size\), got shape \(3, 5, 5\)"
                                         r"\n  fix: .*x\[None\]")),
    (lux.Conv((3, 3), 1, 1), (1, 1, 2, 5), r"kernel spans 3 elements, more than spatial axis 2 .*\n  fix:"),
    (lux.Conv((3,), 1, 1, dilation=3), (1, 1, 6), r"kernel spans 7 elements"),
    (lux.ConvTranspose((3, 3), 2, 4), (1, 4, 3, 3), r"ConvTranspose\(\(3, 3\), 2 => 4\) expects 2 input channels"),
    (lux.ConvTranspose((1,), 1, 1, pad=2), (1, 1, 2), r"crops away all of spatial axis 2"),
])
def test_bad_inputs_raise_layer_input_errors(model, shape, message):
    ps, st = lux.setup(0, model)
    with pytest.raises(lux.LayerInputError, match=message):
        model(np.ones(shape, np.float32), ps, st)
    with pytest.raises(lux.LayerInputError, match=message):
        apply_compiled(model, np.ones(shape, np.float32), ps, st)


def test_errors_name_the_layer_path_in_a_chain():
    model = lux.Chain(lux.Conv((3, 3), 1, 2), lux.Conv((3, 3), 3, 2))
    ps, st = lux.setup(0, model)
    with pytest.raises(lux.LayerInputError, match=r"\.py:\d+: layer_2: Conv\(\(3, 3\), 3 => 2\) expects 3 input channels"):
        model(np.ones((1, 1, 6, 6), np.float32), ps, st)


@pytest.mark.parametrize("build, error, message", [
    (lambda: lux.Conv(3, 1, 1), TypeError, r"Conv's kernel is a tuple of ints >= 1.*such as \(3, 3\)"),
    (lambda: lux.Conv((3, 3), 3, 4, groups=2), ValueError, r"\(3 => 4\) must be divisible by groups=2"),
    (lambda: lux.Conv((3, 3), 1, 1, stride=(1, 2, 3)), ValueError, r"stride must be an int >= 1 or a tuple of 2"),
    (lambda: lux.Conv((3, 3), 1, 1, pad=(1, 2, 3)), ValueError, r"pad must be an int, 2 or 4 ints >= 0, or SamePad\(\)"),
    (lambda: lux.Conv((3, 3), 1, 1, pad="full"), ValueError, r"pad must be"),
    (lambda: lux.Conv((3, 3), 0, 1), ValueError, r"in_chs must be an int >= 1"),
    (lambda: lux.ConvTranspose((3, 3), 1, 1, outpad=-1), ValueError, r"outpad must be an int >= 0"),
])
def test_bad_constructor_arguments(build, error, message):
    with pytest.raises(error, match=message):
        build()
