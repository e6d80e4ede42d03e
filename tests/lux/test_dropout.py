"""lux dropout layers: Dropout, AlphaDropout, VariationalHiddenDropout.

The reference mask is rebuilt here from the state's key with Lux's rule: split the key, draw
u = uniform(second key) in x's dtype, keep where u > p and scale by 1/(1-p); the first key is the
new state's. Statistics on large inputs check the rate and AlphaDropout's mean/variance promise.
"""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest

import lux
import tracer

# (NoOpLayer and WrappedFunction are not re-exported by lux/__init__.py yet)
from lux.layers.basic import NoOpLayer, WrappedFunction

ALPHA = -1.7580993408473766


def randn(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def setup(model, seed=0):
    return lux.setup(np.random.default_rng(seed), model)


def reference_uniform(st, shape, dtype=np.float32):
    """(u, new key) the way the layers must draw them from st['rng']."""
    keys = tracer.random.split(st["rng"])
    return tracer.random.uniform(keys[1], shape, dtype), keys[0]


def as_numpy(tree):
    return {k: (np.asarray(v) if hasattr(v, "shape") else v) for k, v in tree.items()}


# --------------------------------------------------------------------------- displays, counts, states


@pytest.mark.parametrize("model, summary, states", [
    (lux.Dropout(0.5), "Dropout(0.5)", 2),
    (lux.Dropout(0.25, dims=(0, 1)), "Dropout(0.25, dims=(0, 1))", 2),
    (lux.Dropout(0.1, dims=[1]), "Dropout(0.1, dims=(1,))", 2),
    (lux.AlphaDropout(0.2), "AlphaDropout(0.2)", 2),
    (lux.VariationalHiddenDropout(0.3), "VariationalHiddenDropout(0.3)", 4),
    (lux.VariationalHiddenDropout(0.3, dims=1), "VariationalHiddenDropout(0.3, dims=1)", 4),
])
def test_display_counts_and_initial_state(model, summary, states):
    assert model.summary() == summary
    assert (model.parameterlength(), model.statelength()) == (0, states)  # Lux: the rng and each flag count one
    ps, st = setup(model)
    assert ps == {} and st["training"] is True
    assert st["rng"].dtype == np.uint64 and st["rng"].shape == (2,)
    assert repr(model) == summary  # as in Lux, no count comment for a layer without parameters
    assert repr(lux.Chain(model, lux.Dense(1, 1))).endswith(f"plus {states} states.")


def test_initial_keys_come_from_the_setup_generator():
    a, b, c = (setup(lux.Dropout(0.5), seed)[1]["rng"] for seed in (0, 0, 1))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    _, st = setup(lux.Chain(lux.Dropout(0.5), lux.Dropout(0.5)))
    assert not np.array_equal(st["layer_1"]["rng"], st["layer_2"]["rng"])  # each layer its own stream
    assert setup(lux.VariationalHiddenDropout(0.5))[1]["mask"] is None


def test_probability_out_of_range_is_refused():
    for cls in (lux.Dropout, lux.AlphaDropout, lux.VariationalHiddenDropout):
        with pytest.raises(ValueError, match=rf"{cls.__name__}: the dropout probability must be in \[0, 1\], got p=1.5"):
            cls(1.5)
        with pytest.raises(ValueError, match="got p=-0.1\n  fix"):
            cls(-0.1)


# --------------------------------------------------------------------------- Dropout


def test_dropout_mask_follows_lux_rule_and_is_identical_compiled():
    model = lux.Dropout(0.3)
    ps, st = setup(model, 7)
    x = randn(8, 5, seed=1)
    y, st_new = lux.apply(model, x, ps, st)
    u, key = reference_uniform(st, x.shape)
    np.testing.assert_allclose(y, np.where(u > 0.3, x / np.float32(0.7), 0), rtol=1e-6)
    np.testing.assert_array_equal(st_new["rng"], key)
    assert st_new["training"] is True and y.dtype == np.float32
    y_c, st_c = tracer.jit(lux.apply)(model, x, ps, st)
    np.testing.assert_array_equal(np.asarray(y_c) == 0, y == 0)  # the same mask, bit for bit
    np.testing.assert_allclose(np.asarray(y_c), y, rtol=1e-6)
    np.testing.assert_array_equal(np.asarray(st_c["rng"]), st_new["rng"])
    assert st_c["training"] is True


def test_successive_calls_draw_new_masks_and_the_same_state_repeats():
    model = lux.Dropout(0.5)
    ps, st = setup(model)
    x = np.ones((64, 16), np.float32)
    y1, st1 = lux.apply(model, x, ps, st)
    y2, st2 = lux.apply(model, x, ps, st1)
    assert not np.array_equal(y1, y2) and not np.array_equal(st1["rng"], st2["rng"])
    np.testing.assert_array_equal(lux.apply(model, x, ps, st)[0], y1)  # same key, same mask
    step = tracer.jit(lux.apply)
    y1_c, st1_c = step(model, x, ps, st)
    y2_c, _ = step(model, x, ps, as_numpy(st1_c))
    np.testing.assert_array_equal(np.asarray(y1_c), y1)
    np.testing.assert_array_equal(np.asarray(y2_c), y2)


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_rate_and_scaling_on_a_large_input(p):
    model = lux.Dropout(p)
    n = 200_000
    x = np.ones((n // 100, 100), np.float32)
    y, _ = lux.apply(model, x, *setup(model, 3))
    dropped = np.mean(y == 0)
    assert abs(dropped - p) < 5 * np.sqrt(p * (1 - p) / n)  # five standard deviations of a binomial rate
    np.testing.assert_allclose(y[y != 0], np.float32(1 / (1 - p)), rtol=1e-6)
    assert abs(y.mean() - 1) < 5 * np.sqrt(p / (1 - p) / n)  # inverted dropout keeps the expectation


def test_dropout_along_dims_shares_the_mask_over_the_other_axes():
    model = lux.Dropout(0.5, dims=(0, 1))  # Lux's dims=(3, 4) on WHCN: whole channels of NCHW images
    ps, st = setup(model, 2)
    x = np.ones((4, 6, 3, 5), np.float32)
    y, _ = lux.apply(model, x, ps, st)
    u, _ = reference_uniform(st, (4, 6, 1, 1))
    np.testing.assert_array_equal(y, np.broadcast_to(np.where(u > 0.5, np.float32(2), 0), x.shape))
    assert 0 < np.mean(y == 0) < 1
    y_c, _ = tracer.jit(lux.apply)(model, x, ps, st)
    np.testing.assert_array_equal(np.asarray(y_c), y)
    y_neg, _ = lux.apply(lux.Dropout(0.5, dims=-1), x, ps, st)  # negative axes count from the end
    np.testing.assert_array_equal(y_neg, np.broadcast_to(np.where(reference_uniform(st, (1, 1, 1, 5))[0] > 0.5, 2, 0), x.shape))


def test_dropout_is_the_identity_in_test_mode():
    x = randn(3, 4)
    for model in (lux.Dropout(0.5), lux.AlphaDropout(0.5), lux.VariationalHiddenDropout(0.5)):
        ps, st = setup(model)
        y, st_new = lux.apply(model, x, ps, lux.testmode(st))
        np.testing.assert_array_equal(y, x)
        np.testing.assert_array_equal(st_new["rng"], st["rng"])
        assert st_new["training"] is False and st_new.get("mask", None) is None
        y_c, st_c = tracer.jit(lux.apply)(model, x, ps, lux.testmode(st))
        np.testing.assert_array_equal(np.asarray(y_c), x)
        np.testing.assert_array_equal(np.asarray(st_c["rng"]), st["rng"])  # test mode does not consume randomness


def test_trivial_probabilities_build_lux_simpler_layers():
    x = randn(3, 4)
    for model in (lux.Dropout(0), lux.AlphaDropout(0.0), lux.VariationalHiddenDropout(0, dims=1)):
        assert model == NoOpLayer() and setup(model) == ({}, {})  # Lux returns NoOpLayer() for p = 0
        np.testing.assert_array_equal(lux.apply(model, x, {}, {})[0], x)
    zeros = lux.AlphaDropout(1)  # Lux: WrappedFunction(Base.Fix1(broadcast, zero)), zeros in every mode
    assert zeros == WrappedFunction(np.zeros_like) and hash(zeros) == hash(lux.AlphaDropout(1.0))
    np.testing.assert_array_equal(lux.apply(zeros, x, {}, {})[0], np.zeros_like(x))
    # Layers built normally survive copy and pickle (which rebuild them without arguments).
    for model in (lux.Dropout(0.5, dims=1), lux.AlphaDropout(0.2), lux.VariationalHiddenDropout(0.3)):
        assert copy.deepcopy(model) == model and pickle.loads(pickle.dumps(model)) == model


def test_dropout_with_p_one_drops_everything():
    x = randn(3, 4)
    for model in (lux.Dropout(1.0), lux.VariationalHiddenDropout(1.0)):
        y, _ = lux.apply(model, x, *setup(model))
        np.testing.assert_array_equal(y, np.zeros_like(x))  # zeros, not 0 * inf = nan
        y_c, _ = tracer.jit(lux.apply)(model, x, *setup(model))
        np.testing.assert_array_equal(np.asarray(y_c), np.zeros_like(x))


def test_dropout_keeps_float64_inputs_in_float64():
    model = lux.Dropout(0.5)
    ps, st = setup(model)
    x = np.ones((10, 10))
    y, _ = lux.apply(model, x, ps, st)
    u, _ = reference_uniform(st, x.shape, np.float64)
    assert y.dtype == np.float64
    np.testing.assert_array_equal(y, np.where(u > 0.5, 2.0, 0.0))


def test_dropout_input_errors():
    model = lux.Dropout(0.5, dims=(2,))
    _, st = setup(model)
    with pytest.raises(lux.LayerInputError, match=r"\.py:\d+: layer_2: Dropout\(0.5, dims=\(2,\)\) drops along axes \(2,\).*"
                                                  r"got shape \(3, 4\)\n  fix"):
        chain = lux.Chain(lux.Dense(4, 4), model)
        lux.apply(chain, np.ones((3, 4), np.float32), *setup(chain))
    with pytest.raises(lux.LayerInputError, match=r"needs a state with an 'rng' key.*\n  fix: .*lux.setup"):
        lux.apply(lux.Dropout(0.5), np.ones(3, np.float32), {}, {"training": True})
    with pytest.raises(lux.LayerInputError, match=r"st\['training'\] to be a Python bool"):
        lux.apply(lux.Dropout(0.5), np.ones(3, np.float32), {}, {**st, "training": "yes"})


# --------------------------------------------------------------------------- AlphaDropout


def test_alpha_dropout_follows_lux_formula():
    p = 0.2
    model = lux.AlphaDropout(p)
    ps, st = setup(model, 4)
    x = randn(6, 7, seed=5)
    y, st_new = lux.apply(model, x, ps, st)
    u, key = reference_uniform(st, x.shape)
    scale = 1 / np.sqrt((1 - p) * (1 + p * ALPHA**2))
    expected = np.where(u > p, x.astype(np.float64), ALPHA) * scale - scale * ALPHA * p
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(st_new["rng"], key)
    y_c, st_c = tracer.jit(lux.apply)(model, x, ps, st)
    np.testing.assert_allclose(np.asarray(y_c), y, rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(np.asarray(st_c["rng"]), key)


@pytest.mark.parametrize("p", [0.1, 0.4])
def test_alpha_dropout_keeps_mean_and_variance_of_standard_normals(p):
    model = lux.AlphaDropout(p)
    x = randn(1000, 1000, seed=6)
    y, _ = lux.apply(model, x, *setup(model, 8))
    assert abs(y.mean()) < 0.01 and abs(y.var() - 1) < 0.01
    saturated = np.isclose(y, ALPHA * model.coefficients()[1] + model.coefficients()[2])
    assert abs(saturated.mean() - p) < 0.005
    assert not (abs(x.mean() - y.mean()) < 1e-6 and np.allclose(x, y))  # it did change the input


# --------------------------------------------------------------------------- VariationalHiddenDropout


def test_variational_dropout_keeps_its_mask_until_reset():
    model = lux.VariationalHiddenDropout(0.5)
    ps, st = setup(model, 9)
    x1, x2 = randn(4, 8, seed=1), randn(4, 8, seed=2)
    y1, st1 = lux.apply(model, x1, ps, st)
    u, key = reference_uniform(st, x1.shape)
    mask = np.where(u > 0.5, np.float32(2), np.float32(0))
    np.testing.assert_array_equal(st1["mask"], mask)
    np.testing.assert_allclose(y1, x1 * mask, rtol=1e-6)
    assert st1["update_mask"] is False
    np.testing.assert_array_equal(st1["rng"], key)
    y2, st2 = lux.apply(model, x2, ps, st1)  # the same units dropped, no randomness used
    np.testing.assert_allclose(y2, x2 * mask, rtol=1e-6)
    np.testing.assert_array_equal(st2["rng"], st1["rng"])
    reset = lux.update_state(st2, "update_mask", True)
    y3, st3 = lux.apply(model, x2, ps, reset)
    np.testing.assert_allclose(y3, x2 * st3["mask"], rtol=1e-6)
    u3, _ = reference_uniform(st2, x2.shape)
    np.testing.assert_array_equal(st3["mask"], np.where(u3 > 0.5, np.float32(2), 0))
    assert not np.array_equal(st3["mask"], mask) and st3["update_mask"] is False


def test_variational_dropout_compiled_matches_eager_with_and_without_a_mask():
    model = lux.VariationalHiddenDropout(0.4, dims=1)
    ps, st = setup(model, 11)
    x = randn(5, 6, seed=3)
    step = tracer.jit(lux.apply)
    y_e, st_e = lux.apply(model, x, ps, st)
    y_c, st_c = step(model, x, ps, st)  # mask None in, a mask out
    assert st_e["mask"].shape == (1, 6)  # shared over the batch
    np.testing.assert_allclose(np.asarray(y_c), y_e, rtol=1e-6)
    st_c = as_numpy(st_c)
    np.testing.assert_array_equal(st_c["mask"], st_e["mask"])
    np.testing.assert_array_equal(st_c["rng"], st_e["rng"])
    assert st_c["update_mask"] is False and st_c["training"] is True
    x2 = randn(5, 6, seed=4)
    y2_c, st2_c = step(model, x2, ps, st_c)  # the stored mask is reused inside the compiled call
    np.testing.assert_allclose(np.asarray(y2_c), x2 * st_e["mask"], rtol=1e-6)
    np.testing.assert_array_equal(np.asarray(st2_c["rng"]), st_e["rng"])


def test_variational_dropout_mask_shape_mismatch_says_how_to_reset():
    model = lux.VariationalHiddenDropout(0.5)
    ps, st = setup(model)
    _, st = lux.apply(model, np.ones((2, 3), np.float32), ps, st)
    with pytest.raises(lux.LayerInputError, match=r"holds a mask of shape \(2, 3\), but an input of shape \(4, 3\).*"
                                                  r"\n  fix: .*lux.update_state\(st, 'update_mask', True\)"):
        lux.apply(model, np.ones((4, 3), np.float32), ps, st)
    _, st = lux.apply(model, np.ones((4, 3), np.float32), ps, lux.update_state(st, "update_mask", True))
    assert st["mask"].shape == (4, 3)


# --------------------------------------------------------------------------- in a model


def test_dropout_in_a_chain_trains_compiled_and_switches_off_in_test_mode():
    model = lux.Chain(lux.Dense(3, 16, lux.relu), lux.Dropout(0.5), lux.Dense(16, 2))
    ps, st = setup(model, 12)
    x = randn(4, 3, seed=5)
    step = tracer.jit(lux.apply)
    y, st1 = lux.apply(model, x, ps, st)
    y_c, st1_c = step(model, x, ps, st)
    np.testing.assert_allclose(np.asarray(y_c), y, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(np.asarray(st1_c["layer_2"]["rng"]), st1["layer_2"]["rng"])
    y_test, _ = step(model, x, ps, lux.testmode(st1))
    h = np.maximum(x @ ps["layer_1"]["weight"] + ps["layer_1"]["bias"], 0)
    np.testing.assert_allclose(np.asarray(y_test), h @ ps["layer_3"]["weight"] + ps["layer_3"]["bias"], rtol=1e-5, atol=1e-6)
    assert not np.allclose(y, np.asarray(y_test))
