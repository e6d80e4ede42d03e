"""lux pooling layers: Lux's shapes, displays and semantics (MeanPool divides by the window size,
padding included; LPPool is NNlib's lpnormpool; Adaptive pools derive Lux's window and stride),
values against `jax.lax.reduce_window` and NumPy loops, eager NumPy against `tracer.jit(lux.apply)`."""

from __future__ import annotations

import itertools

import jax
import numpy as np
import pytest

import lux
from helpers import apply_compiled, run_layer_both

rng = np.random.default_rng(0)


def _normal(*shape):
    return rng.standard_normal(shape).astype(np.float32)


def pooled(model, x):
    """The pool's output on `x`, the same eagerly and compiled; a pool has no parameters and no state."""
    run = run_layer_both(model, x)
    assert run.ps == {} and run.st == {} and model.parameterlength() == 0 and model.statelength() == 0
    return run.output()


def _pairs(model):
    n = len(model.window)
    return [(p, p) for p in model.pad] if len(model.pad) == n else [(model.pad[2 * i], model.pad[2 * i + 1]) for i in range(n)]


def _lax_window(x, init, combine, model):
    return np.asarray(jax.lax.reduce_window(x, init, combine, (1, 1, *model.window), (1, 1, *model.stride),
                                            ((0, 0), (0, 0), *_pairs(model)), window_dilation=(1, 1, *model.dilation)))


WINDOW_CASES = {
    "2d default": ((2, 2), {}, (2, 3, 6, 5), (2, 3, 3, 2)),
    "2d pad stride": ((3, 3), dict(pad=1, stride=1), (1, 2, 5, 4), (1, 2, 5, 4)),
    "2d asymmetric": ((3, 2), dict(pad=(1, 0, 0, 1), stride=(2, 1), dilation=(1, 2)), (1, 2, 7, 6), (1, 2, 3, 5)),
    "1d same": ((3,), dict(pad=lux.SamePad(), stride=2), (2, 2, 7), (2, 2, 4)),
    "3d": ((2, 2, 2), {}, (1, 2, 4, 4, 6), (1, 2, 2, 2, 3)),
}


@pytest.mark.parametrize("name", list(WINDOW_CASES))
def test_window_pools_match_reduce_window(name):
    window, kwargs, in_shape, out_shape = WINDOW_CASES[name]
    x = _normal(*in_shape)
    maxpool, meanpool, lppool = lux.MaxPool(window, **kwargs), lux.MeanPool(window, **kwargs), lux.LPPool(window, **kwargs)
    y = pooled(maxpool, x)
    assert y.shape == out_shape
    np.testing.assert_array_equal(y, _lax_window(x, -np.inf, jax.lax.max, maxpool))
    mean = pooled(meanpool, x)
    np.testing.assert_allclose(mean, _lax_window(x, 0.0, jax.lax.add, meanpool) / np.prod(window), rtol=1e-5, atol=1e-6)
    norm = pooled(lppool, x)
    np.testing.assert_allclose(norm, np.sqrt(_lax_window(x * x, 0.0, jax.lax.add, lppool)), rtol=1e-5, atol=1e-6)


def test_mean_pool_counts_padding_like_nnlib_and_lp_pool_takes_p():
    x = np.arange(1, 5, dtype=np.float32).reshape(1, 1, 2, 2)
    y = pooled(lux.MeanPool((2, 2), pad=1, stride=1), x)
    # A NumPy loop over the zero-padded input, always dividing by the window's 4 elements.
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    expected = np.array([[xp[0, 0, i:i + 2, j:j + 2].sum() / 4 for j in range(3)] for i in range(3)], np.float32)
    np.testing.assert_allclose(y[0, 0], expected, rtol=1e-6)
    y3 = pooled(lux.LPPool((2, 2), p=3), x)
    np.testing.assert_allclose(y3[0, 0, 0, 0], np.cbrt((x**3).sum()), rtol=1e-6)


def test_global_pools_reduce_every_spatial_axis():
    x = _normal(2, 3, 4, 5)
    np.testing.assert_array_equal(pooled(lux.GlobalMaxPool(), x), x.max(axis=(2, 3), keepdims=True))
    np.testing.assert_allclose(pooled(lux.GlobalMeanPool(), x), x.mean(axis=(2, 3), keepdims=True), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(pooled(lux.GlobalLPPool(), x), np.sqrt((x * x).sum(axis=(2, 3), keepdims=True)), rtol=1e-6)
    x3 = np.abs(_normal(1, 2, 3, 2, 4))
    y = pooled(lux.GlobalLPPool(p=3), x3)
    assert y.shape == (1, 2, 1, 1, 1)
    np.testing.assert_allclose(y, np.cbrt((x3**3).sum(axis=(2, 3, 4), keepdims=True)), rtol=1e-5)


def _adaptive_loop(x, out, reduce):
    """Lux's AdaptivePoolMode, written out: stride = n // o, window = n - (o - 1) * stride."""
    sizes = x.shape[2:]
    stride = [n // o for n, o in zip(sizes, out)]
    window = [n - (o - 1) * s for n, o, s in zip(sizes, out, stride)]
    y = np.empty(x.shape[:2] + tuple(out), x.dtype)
    for pos in itertools.product(*(range(o) for o in out)):
        index = tuple(slice(p * s, p * s + k) for p, s, k in zip(pos, stride, window))
        y[(slice(None), slice(None), *pos)] = reduce(x[(slice(None), slice(None), *index)], axis=tuple(range(2, x.ndim)))
    return y


@pytest.mark.parametrize("out, in_shape", [((2, 3), (2, 3, 7, 8)), ((3,), (1, 2, 10)), ((5, 5), (1, 1, 5, 5))])
def test_adaptive_pools_match_lux_window_rule(out, in_shape):
    x = _normal(*in_shape)
    y = pooled(lux.AdaptiveMaxPool(out), x)
    assert y.shape == in_shape[:2] + out
    np.testing.assert_array_equal(y, _adaptive_loop(x, out, np.max))
    np.testing.assert_allclose(pooled(lux.AdaptiveMeanPool(out), x), _adaptive_loop(x, out, np.mean), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(pooled(lux.AdaptiveLPPool(out), x),
                               _adaptive_loop(x, out, lambda v, axis: np.sqrt((v * v).sum(axis=axis))), rtol=1e-5, atol=1e-6)


def test_pool_displays_follow_lux():
    assert repr(lux.MaxPool((2, 2))) == "MaxPool((2, 2))"
    assert lux.MeanPool((3, 3), pad=1, stride=1).summary() == "MeanPool((3, 3), pad=1, stride=1)"
    assert lux.MaxPool((3, 2), stride=(2, 1), pad=(1, 0), dilation=2).summary() == \
        "MaxPool((3, 2), pad=(1, 0), stride=(2, 1), dilation=2)"
    assert lux.MaxPool((2, 2), stride=2).summary() == "MaxPool((2, 2))"  # stride == window is not shown
    assert lux.LPPool((2, 2)).summary() == "LPPool((2, 2))"
    assert lux.LPPool((2,), p=3).summary() == "LPPool((2,), p=3)"
    assert lux.MaxPool((4,), pad=lux.SamePad()).summary() == "MaxPool((4,), pad=(2, 1))"
    assert [repr(m) for m in (lux.GlobalMaxPool(), lux.GlobalMeanPool(), lux.GlobalLPPool())] == \
        ["GlobalMaxPool()", "GlobalMeanPool()", "GlobalLPPool()"]
    assert lux.GlobalLPPool(p=1.5).summary() == "GlobalLPPool(p=1.5)"
    assert repr(lux.AdaptiveMaxPool((5, 5))) == "AdaptiveMaxPool((5, 5))"
    assert lux.AdaptiveMeanPool((2,)).summary() == "AdaptiveMeanPool((2,))"
    assert lux.AdaptiveLPPool((2, 2), p=4).summary() == "AdaptiveLPPool((2, 2), p=4)"
    model = lux.Chain(lux.Conv((3, 3), 1, 2), lux.MaxPool((2, 2)))
    assert repr(model).splitlines()[2] == "    layer_2 = MaxPool((2, 2)),"


def test_pools_are_hashable_and_compare_by_hyperparameters():
    assert lux.MaxPool((2, 2)) == lux.MaxPool((2, 2), stride=2) and hash(lux.MaxPool((2, 2))) == hash(lux.MaxPool((2, 2)))
    assert lux.MaxPool((2, 2)) != lux.MeanPool((2, 2))
    assert lux.LPPool((2, 2), p=3) != lux.LPPool((2, 2))


def test_pools_keep_float16():
    x = _normal(1, 1, 4, 4).astype(np.float16)
    for model in (lux.MaxPool((2, 2)), lux.MeanPool((2, 2)), lux.LPPool((2, 2)), lux.GlobalMeanPool(),
                  lux.AdaptiveMeanPool((2, 2))):
        assert model(x, {}, {})[0].dtype == np.float16


@pytest.mark.parametrize("model, shape, message", [
    (lux.MaxPool((2, 2)), (1, 4, 4), r"MaxPool\(\(2, 2\)\) expects an input with 4 axes \(batch, channels, size, size\)"),
    (lux.MeanPool((3, 3)), (1, 1, 2, 4), r"MeanPool\(\(3, 3\)\): its window spans 3 elements, more than spatial axis 2"),
    (lux.GlobalMaxPool(), (3, 4), r"GlobalMaxPool\(\) expects an input .* at least one spatial axis"),
    (lux.GlobalLPPool(), (3,), r"GlobalLPPool\(\) expects"),
    (lux.AdaptiveMaxPool((5, 5)), (1, 1, 4, 6), r"AdaptiveMaxPool\(\(5, 5\)\) needs spatial sizes of at least \(5, 5\)"),
    (lux.AdaptiveMeanPool((2, 2)), (1, 1, 4), r"expects an input with 4 axes"),
])
def test_bad_inputs_raise_layer_input_errors(model, shape, message):
    with pytest.raises(lux.LayerInputError, match=message + r".*\n  fix:"):
        model(np.ones(shape, np.float32), {}, {})
    with pytest.raises(lux.LayerInputError, match=message):
        apply_compiled(model, np.ones(shape, np.float32), {}, {})


@pytest.mark.parametrize("build, error, message", [
    (lambda: lux.MaxPool(2), TypeError, r"MaxPool's window is a tuple of ints"),
    (lambda: lux.MeanPool((2, 2), stride=(1, 1, 1)), ValueError, r"stride must be an int >= 1 or a tuple of 2"),
    (lambda: lux.LPPool((2, 2), p=0), ValueError, r"LPPool's p must be a positive finite number"),
    (lambda: lux.GlobalLPPool(p=float("inf")), ValueError, r"p must be a positive finite number"),
    (lambda: lux.AdaptiveMaxPool(3), TypeError, r"AdaptiveMaxPool's output size is a tuple of ints"),
    (lambda: lux.MaxPool((2, 2), pad=-1), ValueError, r"pad must be an int, 2 or 4 ints >= 0"),
])
def test_bad_constructor_arguments(build, error, message):
    with pytest.raises(error, match=message):
        build()
