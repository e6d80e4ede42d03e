"""lux core: setup/apply, Dense and Chain, Lux's display, eager vs compiled parity, errors.

The display and parameter counts are the seed's (lux-introduction.md): the model there prints
exactly these lines. Values compare eager NumPy with the compiled run, and Dense with x @ W + b.
"""

from __future__ import annotations

import numpy as np
import pytest

import lux
import runtime
import tracer
from helpers import run_layer_both

SEED_MODEL_REPR = """\
Chain(
    layer_1 = Dense(128 => 256, tanh),            # 33_024 parameters
    layer_2 = Chain(
        layer_1 = Dense(256 => 256, tanh),        # 65_792 parameters
        layer_2 = Dense(256 => 10),               # 2_570 parameters
    ),
)         # Total: 101_386 parameters,
          #        plus 0 states."""


def seed_model():
    return lux.Chain(lux.Dense(128, 256, np.tanh), lux.Chain(lux.Dense(256, 256, np.tanh), lux.Dense(256, 10)))


def test_seed_model_prints_like_lux():
    assert repr(seed_model()) == SEED_MODEL_REPR
    assert lux.parameterlength(seed_model()) == 101_386 and lux.statelength(seed_model()) == 0
    assert repr(lux.Dense(3, 4, lux.relu, use_bias=False)) == "Dense(3 => 4, relu, use_bias=false)".ljust(49) + " # 12 parameters"


def test_setup_gives_nested_trees_with_lux_names_and_reversed_shapes():
    ps, st = lux.setup(np.random.default_rng(0), seed_model())
    assert ps["layer_1"]["weight"].shape == (128, 256) and ps["layer_1"]["bias"].shape == (256,)
    assert ps["layer_2"]["layer_2"]["weight"].shape == (256, 10)
    assert ps["layer_1"]["weight"].dtype == np.float32
    assert st == {"layer_1": {}, "layer_2": {"layer_1": {}, "layer_2": {}}}
    assert lux.parameterlength(ps) == 101_386  # counting the tree agrees with the layer's own count


def test_setup_is_reproducible_and_follows_lux_default_init():
    a, _ = lux.setup(np.random.default_rng(3), seed_model())
    b, _ = lux.setup(np.random.default_rng(3), seed_model())
    np.testing.assert_array_equal(a["layer_1"]["weight"], b["layer_1"]["weight"])
    w, bias = a["layer_1"]["weight"], a["layer_1"]["bias"]
    # kaiming_uniform with tanh's gain 5/3: bound sqrt(3) * gain / sqrt(fan_in); bias bound 1/sqrt(fan_in)
    assert np.abs(w).max() <= np.sqrt(3) * (5 / 3) / np.sqrt(128) and np.abs(w).max() > 0.9 * np.sqrt(3) * (5 / 3) / np.sqrt(128)
    assert np.abs(bias).max() <= 1 / np.sqrt(128)


def test_eager_and_compiled_agree_and_match_the_formula():
    model = seed_model()
    x = np.random.default_rng(1).standard_normal((2, 128)).astype(np.float32)
    run = run_layer_both(model, x)
    ps, st, y, st_out = run.ps, run.st, run.y, run.st_out
    np.testing.assert_allclose(run.y_jit, y, rtol=1e-5, atol=1e-6)
    p1, p2 = ps["layer_1"], ps["layer_2"]
    h = np.tanh(x @ p1["weight"] + p1["bias"])
    h = np.tanh(h @ p2["layer_1"]["weight"] + p2["layer_1"]["bias"])
    np.testing.assert_allclose(y, h @ p2["layer_2"]["weight"] + p2["layer_2"]["bias"], rtol=1e-6)
    assert st_out == st and run.st_jit == st


def test_layers_are_hashable_static_arguments():
    assert hash(seed_model()) == hash(seed_model()) and seed_model() == seed_model()
    f = tracer.jit(lux.apply)
    ps, st = lux.setup(np.random.default_rng(0), lux.Dense(2, 3))
    x = np.ones((1, 2), np.float32)
    f(lux.Dense(2, 3), x, ps, st)
    f(lux.Dense(2, 3), x, ps, st)  # an equal layer hits the cache
    assert "1 compiled signature" in repr(f)


def test_a_layer_remembers_its_hash_but_not_across_copies_by_pickle():
    import pickle

    model = lux.Chain(*[lux.Dense(4, 4, np.tanh) for _ in range(3)])
    fields_hash = hash((model.layers, model.name))  # the dataclass's own hash: of its fields
    assert hash(model) == fields_hash and hash(model) == fields_hash  # computed once, then remembered
    assert model.__dict__.get("_lux_hash") == fields_hash
    copy = pickle.loads(pickle.dumps(model))
    assert "_lux_hash" not in copy.__dict__  # (another process's hashes of the functions it holds differ)
    assert copy == model and hash(copy) == fields_hash
    assert "_lux_hash" not in repr(model) and lux.Dense(4, 4, np.tanh) == model.layers[0][1]


def test_testmode_and_trainmode_set_every_training_flag():
    st = {"a": {"training": True, "x": 1}, "b": {"c": {"training": True}}, "d": {}}
    assert lux.testmode(st) == {"a": {"training": False, "x": 1}, "b": {"c": {"training": False}}, "d": {}}
    assert lux.trainmode(lux.testmode(st)) == st


def test_wrong_feature_size_names_the_layer_path_and_the_fix():
    model = seed_model()
    ps, st = lux.setup(np.random.default_rng(0), model)
    x = np.ones((2, 128), np.float32)
    bad = lux.Chain(lux.Dense(128, 256), lux.Chain(lux.Dense(255, 3)))
    with pytest.raises(lux.LayerInputError, match=r"\.py:\d+: layer_2\.layer_1: Dense\(255 => 3\) expects 255 input"
                                                  r" features") as info:
        lux.apply(bad, x, *lux.setup(np.random.default_rng(0), bad))
    assert "fix:" in str(info.value)
    with pytest.raises(lux.LayerInputError, match=r"\.py:\d+: layer_1: Dense\(128 => 256, tanh\) expects 128"):
        tracer.jit(lux.apply)(model, x[:, :5], ps, st)


def test_mismatched_parameter_tree_is_a_clear_error():
    model = seed_model()
    ps, st = lux.setup(np.random.default_rng(0), model)
    with pytest.raises(lux.LayerInputError, match="no entry 'layer_2'.*\n  fix: .*lux.setup"):
        lux.apply(model, np.ones((1, 128), np.float32), {"layer_1": ps["layer_1"]}, st)
    with pytest.raises(lux.LayerInputError, match=r"\.py:\d+: layer_2: the states given to Chain have no entry 'layer_1'"):
        lux.apply(model, np.ones((1, 128), np.float32), ps, {"layer_1": {}, "layer_2": {}})


def test_non_layer_in_a_chain_is_refused():
    # Lux's Chain wraps a function as WrappedFunction; other values are refused.
    assert lux.Chain(lux.Dense(1, 2), np.tanh).children()["layer_2"].summary() == "WrappedFunction(tanh)"
    with pytest.raises(TypeError, match="WrappedFunction"):
        lux.Chain(lux.Dense(1, 2), 3)


# -- counting a tree: one rule for layers, trees and compact values ------------------------------

def _device_array(*shape):
    return runtime.to_device(np.zeros(shape, np.float32))


@pytest.mark.parametrize("tree, count", [
    (None, 0),
    ({"a": None, "b": np.zeros((3, 4))}, 12),
    (_device_array(3, 4), 12),
    ([_device_array(3, 4), (np.zeros(2), None)], 14),
    ({"flag": True, "act": np.tanh, "n": 3}, 3),  # any other leaf counts 1, as in LuxCore
])
def test_a_tree_counts_its_array_elements_and_none_counts_nothing(tree, count):
    assert lux.parameterlength(tree) == lux.statelength(tree) == count


def test_compact_values_are_counted_like_any_tree():
    layer = lux.compact(lambda x, *, w, nothing: x,
                        w=lux.init_fn(lambda rng: _device_array(3, 4)), nothing=lux.non_trainable(None))
    ps, st = lux.setup(0, layer)
    assert layer.parameterlength() == lux.parameterlength(ps) == 12
    assert layer.statelength() == lux.statelength(st) == 0
