"""lux normalisation layers: BatchNorm, InstanceNorm, GroupNorm, LayerNorm, WeightNorm.

References: the numbers of Lux's own BatchNorm test (test/core_layers/normalize_tests.jl, with the
input transposed into our (batch, features) layout), the printed Chains of Lux's docstrings, and
NumPy loops written here that compute each statistic slice by slice in float64. Running statistics
follow LuxLib: momentum-weighted, with the unbiased (m / (m - 1)) variance.
"""

from __future__ import annotations

import numpy as np
import pytest

import lux
import tracer
from helpers import apply_compiled

RNG = np.random.default_rng(1234)


def randn(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def uniform_init(low, high):
    """An initialiser drawing from [low, high): non-trivial scale/bias so the affine part is tested."""
    def init(rng, *dims):
        return rng.uniform(low, high, size=dims).astype(np.float32)
    init.__name__ = f"uniform_{low}_{high}"
    return init


def assert_states_equal(actual: dict, expected: dict, rtol=1e-6, atol=1e-7):
    assert actual.keys() == expected.keys()
    for key, value in expected.items():
        if isinstance(value, bool):
            assert actual[key] is value, key
        else:
            np.testing.assert_allclose(actual[key], value, rtol=rtol, atol=atol, err_msg=key)


# --------------------------------------------------------------------------- displays and counts

LUX_BATCHNORM_CHAIN = """\
Chain(
    layer_1 = Dense(784 => 64),                   # 50_240 parameters
    layer_2 = BatchNorm(64, relu, affine=true, track_stats=true),  # 128 parameters, plus 129 states
    layer_3 = Dense(64 => 10),                    # 650 parameters
    layer_4 = BatchNorm(10, affine=true, track_stats=true),  # 20 parameters, plus 21 states
)         # Total: 51_038 parameters,
          #        plus 150 states."""

LUX_GROUPNORM_CHAIN = """\
Chain(
    layer_1 = Dense(784 => 64),                   # 50_240 parameters
    layer_2 = GroupNorm(64, 4, relu, affine=true),  # 128 parameters
    layer_3 = Dense(64 => 10),                    # 650 parameters
    layer_4 = GroupNorm(10, 5, affine=true),      # 20 parameters
)         # Total: 51_038 parameters,
          #        plus 0 states."""


def test_chains_print_like_the_lux_docstrings():
    # Lux's docstrings print "plus 129 non-trainable" on the layer lines in newer versions; our
    # display (lux/display.py) writes "states", and the totals agree with Lux's.
    bn = lux.Chain(lux.Dense(784, 64), lux.BatchNorm(64, lux.relu), lux.Dense(64, 10), lux.BatchNorm(10))
    assert repr(bn) == LUX_BATCHNORM_CHAIN
    gn = lux.Chain(lux.Dense(784, 64), lux.GroupNorm(64, 4, lux.relu), lux.Dense(64, 10), lux.GroupNorm(10, 5))
    assert repr(gn) == LUX_GROUPNORM_CHAIN
    inorm = lux.Chain(lux.Dense(784, 64), lux.InstanceNorm(64, lux.relu, affine=True), lux.Dense(64, 10),
                      lux.InstanceNorm(10, lux.relu, affine=True))
    assert (lux.parameterlength(inorm), lux.statelength(inorm)) == (51_038, 2)  # Lux's docstring totals


@pytest.mark.parametrize("model, summary, parameters, states", [
    (lux.BatchNorm(3, lux.relu), "BatchNorm(3, relu, affine=true, track_stats=true)", 6, 7),
    (lux.BatchNorm(3, affine=False, track_stats=False), "BatchNorm(3, affine=false, track_stats=false)", 0, 1),
    (lux.InstanceNorm(5), "InstanceNorm(5, affine=false, track_stats=false)", 0, 1),
    (lux.InstanceNorm(5, lux.tanh, affine=True, track_stats=True), "InstanceNorm(5, tanh, affine=true, track_stats=true)", 10, 11),
    (lux.GroupNorm(6, 3, lux.sigmoid, affine=False), "GroupNorm(6, 3, sigmoid, affine=false)", 0, 0),
    (lux.LayerNorm((3, 4, 5)), "LayerNorm((3, 4, 5), affine=true, dims=Colon())", 120, 0),
    (lux.LayerNorm(7, lux.relu, dims=(1,), affine=False), "LayerNorm(7, relu, affine=false, dims=(1,))", 0, 0),
    (lux.LayerNorm((4, 1, 1), dims=[1, 2, 3]), "LayerNorm((4, 1, 1), affine=true, dims=(1, 2, 3))", 8, 0),
    (lux.WeightNorm(lux.Dense(3, 4), ("weight", "bias")),
     "WeightNorm(Dense(3 => 4), dims = nothing, normalized_parameters = (:weight, :bias))", 12 + 3 + 4 + 4, 0),
    (lux.WeightNorm(lux.Dense(3, 4), "weight", dims=((0, 1),)),
     "WeightNorm(Dense(3 => 4), dims = ((0, 1),), normalized_parameters = (:weight,))", 12 + 12 + 4, 0),
])
def test_display_and_counts_agree_with_the_trees(model, summary, parameters, states):
    assert model.summary() == summary
    assert (model.parameterlength(), model.statelength()) == (parameters, states)
    ps, st = lux.setup(np.random.default_rng(0), model)
    assert lux.parameterlength(ps) == parameters
    assert lux.statelength(st) == states  # the training flag counts as one state, as in Lux
    if parameters:  # as in Lux, a count comment only for a layer with parameters
        note = f"# {parameters} parameters" + (f", plus {states} states" if states else "")
        assert repr(model) == (summary.ljust(49) + " " if len(summary) < 49 else summary + "  ") + note
    else:
        assert repr(model) == summary


def test_setup_gives_lux_names_shapes_and_initial_values():
    ps, st = lux.setup(RNG, lux.BatchNorm(4))
    np.testing.assert_array_equal(ps["scale"], np.ones(4, np.float32))
    np.testing.assert_array_equal(ps["bias"], np.zeros(4, np.float32))
    assert list(ps) == ["scale", "bias"] and ps["scale"].dtype == np.float32
    assert list(st) == ["running_mean", "running_var", "training"] and st["training"] is True
    np.testing.assert_array_equal(st["running_var"], np.ones(4, np.float32))
    assert lux.setup(RNG, lux.BatchNorm(4, track_stats=False, affine=False)) == ({}, {"training": True})
    ps, st = lux.setup(RNG, lux.LayerNorm((3, 5)))
    assert list(ps) == ["bias", "scale"] and ps["scale"].shape == (1, 3, 5) and st == {}
    assert lux.setup(RNG, lux.GroupNorm(4, 2))[1] == {}
    assert lux.setup(RNG, lux.InstanceNorm(4))[1] == {"training": True}


# --------------------------------------------------------------------------- BatchNorm


def test_batchnorm_matches_lux_own_test_numbers():
    # Lux: x = [1 3 5; 2 4 6] (2 features x 3 samples); ours is its transpose (3 samples, 2 features).
    model = lux.BatchNorm(2)
    x = np.array([[1, 2], [3, 4], [5, 6]], np.float32)
    ps, st = lux.setup(RNG, model)
    y, st_new = lux.apply(model, x, ps, st)
    np.testing.assert_allclose(y, [[-1.22474, -1.22474], [0, 0], [1.22474, 1.22474]], atol=1e-5)
    np.testing.assert_allclose(st_new["running_mean"], [0.3, 0.4], rtol=1e-6)
    np.testing.assert_allclose(st_new["running_var"], 0.1 * np.var(x, axis=0) * 3 / 2 + 0.9, rtol=1e-6)  # 1.3
    y_test, st_test = lux.apply(model, x, ps, lux.testmode(st_new))
    np.testing.assert_allclose(y_test[0, 0], (1 - 0.3) / np.sqrt(1.3), atol=1e-5)
    assert st_test is not None and st_test["training"] is False
    np.testing.assert_array_equal(st_test["running_mean"], st_new["running_mean"])  # frozen in test mode


def batchnorm_reference(x, scale, bias, running_mean, running_var, *, momentum, eps, training, track_stats, act):
    """Per channel c, in float64: the statistics of x[:, c, ...] and LuxLib's running update."""
    x = x.astype(np.float64)
    y = np.empty_like(x)
    new_mean, new_var = np.array(running_mean, np.float64), np.array(running_var, np.float64)
    for c in range(x.shape[1]):
        values = x[:, c].ravel()
        if training or not track_stats:
            mean, var = values.mean(), ((values - values.mean()) ** 2).mean()
        else:
            mean, var = running_mean[c], running_var[c]
        y[:, c] = (x[:, c] - mean) / np.sqrt(var + eps) * scale[c] + bias[c]
        if training and track_stats:
            m = values.size
            new_mean[c] = (1 - momentum) * running_mean[c] + momentum * mean
            new_var[c] = (1 - momentum) * running_var[c] + momentum * var * m / (m - 1)
    return act(y), new_mean, new_var


def test_batchnorm_running_statistics_over_steps_eager_and_compiled():
    model = lux.BatchNorm(3, lux.relu, momentum=0.3, epsilon=1e-3, init_scale=uniform_init(0.5, 2), init_bias=uniform_init(-1, 1))
    ps, st = lux.setup(np.random.default_rng(5), model)
    st_eager = st_compiled = st
    mean, var = st["running_mean"], st["running_var"]
    step = tracer.jit(lux.apply)
    for i in range(3):
        x = randn(4, 3, 5, 2, seed=i) * (i + 1) + i  # statistics that move from step to step
        y, st_eager = lux.apply(model, x, ps, st_eager)
        y_c, st_compiled = step(model, x, ps, st_compiled)
        expected, mean, var = batchnorm_reference(x, ps["scale"], ps["bias"], mean, var, momentum=0.3, eps=1e-3,
                                                  training=True, track_stats=True, act=lambda v: np.maximum(v, 0))
        np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(np.asarray(y_c), y, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(st_eager["running_mean"], mean, rtol=1e-5)
        np.testing.assert_allclose(st_eager["running_var"], var, rtol=1e-5)
        assert_states_equal({k: (np.asarray(v) if k != "training" else v) for k, v in st_compiled.items()}, st_eager,
                            rtol=1e-5)
        assert st_eager["running_mean"].dtype == np.float32
    assert "1 compiled signature" in repr(step)  # the state keeps its structure: one compile for every step
    # Test mode normalises with the running statistics the three steps produced.
    x = randn(2, 3, 5, 2, seed=9)
    expected, _, _ = batchnorm_reference(x, ps["scale"], ps["bias"], mean, var, momentum=0.3, eps=1e-3,
                                         training=False, track_stats=True, act=lambda v: np.maximum(v, 0))
    y, st_test = lux.apply(model, x, ps, lux.testmode(st_eager))
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-5)
    assert_states_equal(st_test, lux.testmode(st_eager))
    np.testing.assert_allclose(apply_compiled(model, x, ps, lux.testmode(st_eager))[0], y, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("training", [True, False])
def test_batchnorm_without_tracked_statistics_always_uses_the_batch(training):
    model = lux.BatchNorm(4, affine=False, track_stats=False)
    ps, st = lux.setup(RNG, model)
    st = st if training else lux.testmode(st)
    x = randn(6, 4, seed=3) * 3 + 1
    y, st_new = lux.apply(model, x, ps, st)
    expected, _, _ = batchnorm_reference(x, np.ones(4), np.zeros(4), np.zeros(4), np.ones(4), momentum=0.1, eps=1e-5,
                                         training=True, track_stats=False, act=lambda v: v)
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-5)
    assert st_new == st
    y_c, st_c = apply_compiled(model, x, ps, st)
    np.testing.assert_allclose(y_c, y, rtol=1e-5, atol=1e-6)
    assert st_c == st


def test_batchnorm_input_errors():
    model = lux.BatchNorm(3)
    ps, st = lux.setup(RNG, model)
    with pytest.raises(lux.LayerInputError, match=r"BatchNorm\(3, .*\) cannot normalise a batch of size 1.*\n  fix:"
                                                  r" .*testmode"):
        lux.apply(model, np.ones((1, 3), np.float32), ps, st)
    y, _ = lux.apply(model, np.ones((1, 3), np.float32), ps, lux.testmode(st))  # fine in test mode
    np.testing.assert_allclose(y, np.full((1, 3), 1 / np.sqrt(1 + 1e-5)), rtol=1e-6)
    with pytest.raises(lux.LayerInputError, match=r"expects .* 3 channels on axis 1.*got shape \(2, 4\)\n  fix:"):
        lux.apply(model, np.ones((2, 4), np.float32), ps, st)
    with pytest.raises(lux.LayerInputError, match=r"got shape \(3,\)\n  fix:"):
        lux.apply(model, np.ones(3, np.float32), ps, st)
    with pytest.raises(lux.LayerInputError, match=r"\.py:\d+: layer_2: BatchNorm\(3, affine=true, track_stats=true\)"
                                                  r" expects"):
        chain = lux.Chain(lux.Dense(2, 4), model)
        tracer.jit(lux.apply)(chain, np.ones((2, 2), np.float32), *lux.setup(RNG, chain))
    with pytest.raises(lux.LayerInputError, match=r"st\['training'\] to be a Python bool.*\n  fix: .*lux.testmode"):
        lux.apply(model, np.ones((2, 3), np.float32), ps, {**st, "training": np.array(True)})
    with pytest.raises(lux.LayerInputError, match=r"needs a state with a 'training' entry.*\n  fix: .*lux.setup"):
        lux.apply(model, np.ones((2, 3), np.float32), ps, {})


# --------------------------------------------------------------------------- InstanceNorm


def instancenorm_reference(x, scale, bias, eps):
    x = x.astype(np.float64)
    y = np.empty_like(x)
    means, variances = np.empty(x.shape[:2]), np.empty(x.shape[:2])
    for n in range(x.shape[0]):
        for c in range(x.shape[1]):
            values = x[n, c]
            means[n, c], variances[n, c] = values.mean(), values.var()
            y[n, c] = (values - means[n, c]) / np.sqrt(variances[n, c] + eps) * scale[c] + bias[c]
    return y, means, variances


def test_instancenorm_normalises_each_sample_and_channel():
    model = lux.InstanceNorm(3, affine=True, init_scale=uniform_init(0.5, 2), init_bias=uniform_init(-1, 1))
    ps, st = lux.setup(RNG, model)
    x = randn(2, 3, 4, 5, seed=4) * 2 + 3
    y, st_new = lux.apply(model, x, ps, st)
    expected, _, _ = instancenorm_reference(x, ps["scale"], ps["bias"], 1e-5)
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-5)
    assert st_new == st
    np.testing.assert_allclose(apply_compiled(model, x, ps, st)[0], y, rtol=1e-5, atol=1e-6)
    # Without tracked statistics, test mode also uses the instance's own statistics.
    np.testing.assert_allclose(lux.apply(model, x, ps, lux.testmode(st))[0], y, rtol=1e-6, atol=1e-6)


def test_instancenorm_tracks_the_batch_average_of_instance_statistics():
    model = lux.InstanceNorm(2, track_stats=True, momentum=0.2)
    ps, st = lux.setup(RNG, model)
    mean, var = np.zeros(2), np.ones(2)
    for i in range(2):
        x = randn(3, 2, 6, seed=10 + i) * (i + 2) - i
        y, st = lux.apply(model, x, ps, st)
        _, means, variances = instancenorm_reference(x, np.ones(2), np.zeros(2), 1e-5)
        m = x.shape[2]
        mean = 0.8 * mean + 0.2 * means.mean(axis=0)
        var = 0.8 * var + 0.2 * variances.mean(axis=0) * m / (m - 1)
        np.testing.assert_allclose(st["running_mean"], mean, rtol=1e-5)
        np.testing.assert_allclose(st["running_var"], var, rtol=1e-5)
    y_c, st_c = apply_compiled(model, x, ps, st)
    y_e, st_e = lux.apply(model, x, ps, st)
    np.testing.assert_allclose(y_c, y_e, rtol=1e-5, atol=1e-6)
    assert_states_equal(st_c, st_e, rtol=1e-5)
    x = randn(2, 2, 6, seed=20)
    y, _ = lux.apply(model, x, ps, lux.testmode(st))
    np.testing.assert_allclose(y, (x - mean[:, None]) / np.sqrt(var[:, None] + 1e-5), rtol=1e-5, atol=1e-5)


def test_instancenorm_needs_a_spatial_axis():
    model = lux.InstanceNorm(3)
    ps, st = lux.setup(RNG, model)
    with pytest.raises(lux.LayerInputError, match=r"InstanceNorm\(3.*\(batch, channels, spatial...\).*got shape \(4, 3\)"):
        lux.apply(model, np.ones((4, 3), np.float32), ps, st)


# --------------------------------------------------------------------------- GroupNorm


def groupnorm_reference(x, groups, scale, bias, eps, act):
    x = x.astype(np.float64)
    y = np.empty_like(x)
    size = x.shape[1] // groups
    for n in range(x.shape[0]):
        for g in range(groups):
            block = x[n, g * size:(g + 1) * size]
            normalised = (block - block.mean()) / np.sqrt(block.var() + eps)
            for k in range(size):
                c = g * size + k
                y[n, c] = normalised[k] * scale[c] + bias[c]
    return act(y)


@pytest.mark.parametrize("shape", [(2, 6, 3, 4), (5, 6)])
def test_groupnorm_normalises_groups_of_consecutive_channels(shape):
    model = lux.GroupNorm(6, 3, np.tanh, init_scale=uniform_init(0.5, 2), init_bias=uniform_init(-1, 1))
    ps, st = lux.setup(RNG, model)
    x = randn(*shape, seed=7) * 2 + np.arange(6, dtype=np.float32).reshape((1, 6) + (1,) * (len(shape) - 2))
    y, st_new = lux.apply(model, x, ps, st)
    np.testing.assert_allclose(y, groupnorm_reference(x, 3, ps["scale"], ps["bias"], 1e-5, np.tanh), rtol=1e-5, atol=1e-5)
    assert st_new == {}
    np.testing.assert_allclose(apply_compiled(model, x, ps, st)[0], y, rtol=1e-5, atol=1e-6)


def test_groupnorm_errors():
    with pytest.raises(ValueError, match=r"number of groups \(2\) must divide the number of channels \(5\)"):
        lux.GroupNorm(5, 2)
    model = lux.GroupNorm(4, 2)
    with pytest.raises(lux.LayerInputError, match=r"GroupNorm\(4, 2, affine=true\) expects .* 4 channels on axis 1"):
        lux.apply(model, np.ones((2, 3, 5), np.float32), *lux.setup(RNG, model))


# --------------------------------------------------------------------------- LayerNorm


@pytest.mark.parametrize("shape", [(3, 4, 5), (3, 1, 1), (1, 4, 1)])
def test_layernorm_default_normalises_the_whole_array_as_lux_does(shape):
    model = lux.LayerNorm(shape, init_scale=uniform_init(0.5, 2), init_bias=uniform_init(-1, 1))
    ps, st = lux.setup(RNG, model)
    x = randn(2, 3, 4, 5, seed=8) * 3 + 2
    y, st_new = lux.apply(model, x, ps, st)
    x64 = x.astype(np.float64)
    expected = (x64 - x64.mean()) / np.sqrt(x64.var() + 1e-5) * ps["scale"] + ps["bias"]
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-5)
    assert st_new == {} and ps["scale"].shape == (1,) + shape
    np.testing.assert_allclose(apply_compiled(model, x, ps, st)[0], y, rtol=1e-5, atol=1e-5)


def test_layernorm_over_chosen_axes_normalises_each_sample():
    model = lux.LayerNorm((3, 4), lux.relu, dims=(1, 2), affine=False)
    ps, st = lux.setup(RNG, model)
    x = randn(5, 3, 4, seed=2) + np.arange(5, dtype=np.float32)[:, None, None]
    y, _ = lux.apply(model, x, ps, st)
    x64 = x.astype(np.float64)
    expected = np.stack([(s - s.mean()) / np.sqrt(s.var() + 1e-5) for s in x64])
    np.testing.assert_allclose(y, np.maximum(expected, 0), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(apply_compiled(model, x, ps, st)[0], y, rtol=1e-5, atol=1e-6)
    # dims=-1 (one axis, negative) normalises each row.
    y_last, _ = lux.apply(lux.LayerNorm((3, 4), dims=-1, affine=False), x, {}, {})
    np.testing.assert_allclose(y_last, (x64 - x64.mean(-1, keepdims=True)) / np.sqrt(x64.var(-1, keepdims=True) + 1e-5),
                               rtol=1e-5, atol=1e-5)


def test_layernorm_errors():
    model = lux.LayerNorm((3, 4))
    ps, st = lux.setup(RNG, model)
    with pytest.raises(lux.LayerInputError, match=r"LayerNorm\(\(3, 4\), .*expects an input of shape \(batch, 3, 4\).*"
                                                  r"got shape \(2, 4, 3\)\n  fix:"):
        lux.apply(model, np.ones((2, 4, 3), np.float32), ps, st)
    with pytest.raises(lux.LayerInputError, match=r"normalises over axes \(3,\), which a 3-d input does not have"):
        lux.apply(lux.LayerNorm((3, 4), dims=3, affine=False), np.ones((2, 3, 4), np.float32), {}, {})
    with pytest.raises(TypeError, match="LayerNorm's dims must be None, an axis or a tuple of axes"):
        lux.LayerNorm(3, dims="all")


# --------------------------------------------------------------------------- WeightNorm


def test_weightnorm_reparameterises_dense_weight():
    dense = lux.Dense(3, 4, lux.relu)
    model = lux.WeightNorm(dense, ("weight",))
    ps, st = lux.setup(np.random.default_rng(0), model)
    dense_ps, _ = lux.setup(np.random.default_rng(0), dense)
    v = ps["normalized"]["weight_v"]
    np.testing.assert_array_equal(v, dense_ps["weight"])
    # Lux's default keeps its last Julia dimension (`in`): our axis 0, the norm over `out`.
    np.testing.assert_allclose(ps["normalized"]["weight_g"], np.linalg.norm(v, axis=1, keepdims=True), rtol=1e-6)
    assert list(ps["unnormalized"]) == ["bias"] and st == {}
    x = randn(5, 3, seed=1)
    y, _ = lux.apply(model, x, ps, st)
    np.testing.assert_allclose(y, lux.apply(dense, x, dense_ps, {})[0], rtol=1e-5, atol=1e-6)  # g = ||v|| at init
    # With other magnitudes, w = g * v / ||v||.
    g = np.array([[0.5], [2.0], [-1.0]], np.float32)
    ps2 = {"normalized": {"weight_g": g, "weight_v": v}, "unnormalized": ps["unnormalized"]}
    w = g * v / np.linalg.norm(v.astype(np.float64), axis=1, keepdims=True)
    expected = np.maximum(x @ w + ps["unnormalized"]["bias"], 0)
    y2, _ = lux.apply(model, x, ps2, st)
    np.testing.assert_allclose(y2, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(apply_compiled(model, x, ps2, st)[0], y2, rtol=1e-5, atol=1e-6)


def test_weightnorm_with_dims_and_several_parameters():
    model = lux.WeightNorm(lux.Dense(3, 4), ("weight", "bias"), dims=(1, 0))
    ps, _ = lux.setup(np.random.default_rng(0), model)
    normalized = ps["normalized"]
    np.testing.assert_allclose(normalized["weight_g"], np.linalg.norm(normalized["weight_v"], axis=0, keepdims=True),
                               rtol=1e-6)
    np.testing.assert_allclose(normalized["bias_g"], np.abs(normalized["bias_v"]), rtol=1e-6)  # a norm over no axis
    assert ps["unnormalized"] == {} and list(normalized) == ["weight_g", "weight_v", "bias_g", "bias_v"]
    x = randn(2, 3, seed=3)
    normalized = {**normalized, "bias_g": np.full(4, 2.0, np.float32)}
    ps = {"normalized": normalized, "unnormalized": {}}
    expected = x @ normalized["weight_v"] + 2 * np.sign(normalized["bias_v"])
    y, _ = lux.apply(model, x, ps, {})
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(apply_compiled(model, x, ps, {})[0], y, rtol=1e-5, atol=1e-6)


def test_weightnorm_errors():
    zero_bias = lux.Dense(3, 4, init_bias=lambda rng, n: np.zeros(n, np.float32))
    with pytest.raises(ValueError, match=r"parameter 'bias' of Dense\(3 => 4\) is all zeros.*\n  fix: drop it"):
        lux.setup(RNG, lux.WeightNorm(zero_bias, ("weight", "bias")))
    lux.setup(RNG, lux.WeightNorm(zero_bias, ("weight",)))  # the zero bias is fine when not normalised
    with pytest.raises(ValueError, match=r"has no parameter\(s\) \['kernel'\] \(it has \['bias', 'weight'\]\)"):
        lux.setup(RNG, lux.WeightNorm(lux.Dense(3, 4), ("kernel",)))
    with pytest.raises(ValueError, match=r"dims has 1 entries for 2 parameters"):
        lux.WeightNorm(lux.Dense(3, 4), ("weight", "bias"), dims=(0,))
    with pytest.raises(TypeError, match="WeightNorm wraps a layer"):
        lux.WeightNorm(np.tanh, ("weight",))
    model = lux.WeightNorm(lux.Dense(3, 4), ("weight",))
    with pytest.raises(lux.LayerInputError, match=r"needs parameters \{'normalized': \.\.\., 'unnormalized': \.\.\.\}"):
        lux.apply(model, np.ones((1, 3), np.float32), {"weight": 1}, {})
    with pytest.raises(lux.LayerInputError, match=r"Dense\(3 => 4\) expects 3 input features"):
        lux.apply(model, np.ones((1, 2), np.float32), *lux.setup(RNG, model))


# --------------------------------------------------------------------------- in a model


def test_a_chain_with_batchnorm_trains_and_tests_in_both_modes():
    model = lux.Chain(lux.Dense(4, 8), lux.BatchNorm(8, lux.relu), lux.Dense(8, 2), lux.LayerNorm(2, affine=False, dims=1))
    ps, st = lux.setup(np.random.default_rng(3), model)
    x = randn(6, 4, seed=4)
    y, st_e = lux.apply(model, x, ps, st)
    y_c, st_c = tracer.jit(lux.apply)(model, x, ps, st)
    np.testing.assert_allclose(np.asarray(y_c), y, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(np.asarray(st_c["layer_2"]["running_var"]), st_e["layer_2"]["running_var"], rtol=1e-5)
    assert st_c["layer_2"]["training"] is True and st_c["layer_1"] == {}
    y_test, st_test = tracer.jit(lux.apply)(model, x, ps, lux.testmode(st_e))
    h = x @ ps["layer_1"]["weight"] + ps["layer_1"]["bias"]
    h = np.maximum((h - st_e["layer_2"]["running_mean"]) / np.sqrt(st_e["layer_2"]["running_var"] + 1e-5), 0)
    h = h @ ps["layer_3"]["weight"] + ps["layer_3"]["bias"]
    expected = (h - h.mean(1, keepdims=True)) / np.sqrt(h.var(1, keepdims=True) + 1e-5)
    np.testing.assert_allclose(np.asarray(y_test), expected, rtol=1e-4, atol=1e-4)
    assert st_test["layer_2"]["training"] is False
