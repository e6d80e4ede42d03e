"""lux Upsample and PixelShuffle: Lux's constructors and displays; values against NumPy loops
over NNlib's definitions and `jax.image.resize` (half-pixel linear: align_corners=False when
upsampling); eager NumPy against `tracer.jit(lux.apply)`."""

from __future__ import annotations

import itertools
import math

import jax
import numpy as np
import pytest

import lux
from helpers import apply_compiled, run_layer_both

rng = np.random.default_rng(0)


def _normal(*shape):
    return rng.standard_normal(shape).astype(np.float32)


def upsampled(model, x):
    """The layer's output on `x`, the same eagerly and compiled; it has no parameters and no state."""
    assert model.parameterlength() == 0
    return run_layer_both(model, x, {}, {}).output()


# --------------------------------------------------------------------------- nearest


@pytest.mark.parametrize("model, in_shape, scales", [
    (lux.Upsample(2), (2, 3, 3, 4), (2, 2)),
    (lux.Upsample("nearest", scale=(1, 3)), (1, 2, 2, 3), (1, 3)),
    (lux.Upsample("nearest", size=(4, 6, 2)), (1, 1, 2, 3, 1), (2, 2, 2)),
    (lux.Upsample(3), (1, 2, 4), (3,)),
])
def test_nearest_repeats_each_element(model, in_shape, scales):
    x = _normal(*in_shape)
    y = upsampled(model, x)
    out_spatial = tuple(n * s for n, s in zip(in_shape[2:], scales))
    assert y.shape == in_shape[:2] + out_spatial
    for pos in itertools.product(*(range(n) for n in out_spatial)):
        source = tuple(p // s for p, s in zip(pos, scales))
        np.testing.assert_array_equal(y[(slice(None), slice(None), *pos)], x[(slice(None), slice(None), *source)])


# --------------------------------------------------------------------------- linear


def _align_corners_loop(x, out):
    """NNlib's align_corners=true, one output element at a time: bilinear weights of source i * (n - 1) / (o - 1)."""
    (n_h, n_w), (o_h, o_w) = x.shape[2:], out
    y = np.zeros(x.shape[:2] + out, np.float64)
    for i, j in itertools.product(range(o_h), range(o_w)):
        h = i * (n_h - 1) / (o_h - 1)
        w = j * (n_w - 1) / (o_w - 1)
        h0, w0 = min(math.floor(h), n_h - 1), min(math.floor(w), n_w - 1)
        h1, w1 = min(h0 + 1, n_h - 1), min(w0 + 1, n_w - 1)
        a, b = h - h0, w - w0
        y[:, :, i, j] = ((1 - a) * (1 - b) * x[:, :, h0, w0] + (1 - a) * b * x[:, :, h0, w1]
                         + a * (1 - b) * x[:, :, h1, w0] + a * b * x[:, :, h1, w1])
    return y


@pytest.mark.parametrize("model, in_shape, out_spatial", [
    (lux.Upsample("bilinear", scale=2), (2, 2, 3, 4), (6, 8)),
    (lux.Upsample("bilinear", scale=(1.5, 2.5)), (1, 1, 4, 3), (6, 7)),
    (lux.Upsample("bilinear", size=(5, 7)), (1, 2, 3, 3), (5, 7)),
    (lux.Upsample("trilinear", scale=(2, 1, 3)), (1, 1, 2, 3, 2), (4, 3, 6)),
])
def test_linear_without_aligned_corners_matches_half_pixel_resize(model, in_shape, out_spatial):
    x = _normal(*in_shape)
    y = upsampled(model, x)
    assert y.shape == in_shape[:2] + out_spatial
    expected = np.asarray(jax.image.resize(x, in_shape[:2] + out_spatial, "linear", antialias=False,
                                           precision=jax.lax.Precision.HIGHEST))
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("in_shape, out", [((1, 2, 3, 4), (5, 9)), ((2, 1, 2, 2), (4, 3))])
def test_linear_with_aligned_corners_matches_a_numpy_loop(in_shape, out):
    x = _normal(*in_shape)
    y = upsampled(lux.Upsample("bilinear", size=out, align_corners=True), x)
    np.testing.assert_allclose(y, _align_corners_loop(x, out), rtol=1e-5, atol=1e-6)
    for corner in itertools.product((0, -1), repeat=2):  # the corners keep their values
        np.testing.assert_allclose(y[(..., *corner)], x[(..., *corner)], rtol=1e-6)


def test_linear_keeps_half_precision():
    x = _normal(1, 1, 2, 2).astype(np.float16)
    assert lux.Upsample("bilinear", scale=2)(x, {}, {})[0].dtype == np.float16


# --------------------------------------------------------------------------- PixelShuffle


@pytest.mark.parametrize("r, in_shape", [(2, (2, 8, 3, 2)), (3, (1, 9, 2, 2)), (2, (1, 6, 4)), (2, (1, 8, 1, 2, 2))])
def test_pixel_shuffle_matches_its_definition(r, in_shape):
    x = _normal(*in_shape)
    y = upsampled(lux.PixelShuffle(r), x)
    d = len(in_shape) - 2
    assert y.shape == (in_shape[0], in_shape[1] // r**d, *(n * r for n in in_shape[2:]))
    # output[b, c, s_1 * r + i_1, ...] = input[b, c * r^d + sum_k i_k * r^(d - k), s_1, ...]
    for b, c in itertools.product(range(y.shape[0]), range(y.shape[1])):
        for pos in itertools.product(*(range(n) for n in y.shape[2:])):
            offsets = [p % r for p in pos]
            channel = c * r**d + sum(o * r ** (d - 1 - k) for k, o in enumerate(offsets))
            assert y[(b, c, *pos)] == x[(b, channel, *(p // r for p in pos))]


# --------------------------------------------------------------------------- display and errors


def test_displays_follow_lux():
    assert repr(lux.Upsample(2)) == "Upsample(static(:nearest), scale = 2)"
    assert lux.Upsample(2, "bilinear").summary() == "Upsample(static(:bilinear), scale = 2)"
    assert lux.Upsample("bilinear", size=(64, 64)).summary() == "Upsample(static(:bilinear), size = (64, 64))"
    assert lux.Upsample("trilinear", scale=(2, 2, 1), align_corners=True).summary() == \
        "Upsample(static(:trilinear), scale = (2, 2, 1), align_corners = true)"
    assert repr(lux.PixelShuffle(3)) == "PixelShuffle(3)"
    assert lux.Upsample(2) == lux.Upsample("nearest", scale=2) and hash(lux.Upsample(2)) == hash(lux.Upsample(2))


@pytest.mark.parametrize("build, error, message", [
    (lambda: lux.Upsample("linear", scale=2), ValueError, r"mode 'linear' is not supported"),
    (lambda: lux.Upsample("nearest"), ValueError, r"either scale or size \(but not both\)"),
    (lambda: lux.Upsample("nearest", scale=2, size=(4, 4)), ValueError, r"either scale or size"),
    (lambda: lux.Upsample("nearest", scale=1.5), ValueError, r"scale must be integers.*\n  fix:"),
    (lambda: lux.Upsample("bilinear", scale=0), ValueError, r"scale must be a positive number"),
    (lambda: lux.Upsample("bilinear", size=4), ValueError, r"size must be a tuple of positive ints"),
    (lambda: lux.PixelShuffle(0), ValueError, r"r must be an int >= 1"),
])
def test_bad_constructor_arguments(build, error, message):
    with pytest.raises(error, match=message):
        build()


@pytest.mark.parametrize("model, shape, message", [
    (lux.Upsample("bilinear", scale=2), (1, 1, 4), r"expects an input \(batch, channels, size, size\) with 4 axes"),
    (lux.Upsample("trilinear", scale=2), (1, 1, 4, 4), r"with 5 axes"),
    (lux.Upsample(2), (4, 4), r"at least one spatial axis"),
    (lux.Upsample("nearest", scale=(2, 2)), (1, 1, 4), r"has 2 scale entries for an input with 1 spatial axes"),
    (lux.Upsample("nearest", size=(5, 4)), (1, 1, 2, 2), r"must be a multiple of the input's spatial shape"),
    (lux.Upsample("bilinear", scale=0.1), (1, 1, 4, 4), r"gives an empty output"),
    (lux.PixelShuffle(2), (1, 6, 2, 2), r"needs channels divisible by r\^2 = 4"),
    (lux.PixelShuffle(2), (1, 4), r"at least one spatial axis"),
])
def test_bad_inputs_raise_layer_input_errors(model, shape, message):
    with pytest.raises(lux.LayerInputError, match=message + r".*\n  fix:"):
        model(np.ones(shape, np.float32), {}, {})
    with pytest.raises(lux.LayerInputError, match=message):
        apply_compiled(model, np.ones(shape, np.float32), {}, {})
