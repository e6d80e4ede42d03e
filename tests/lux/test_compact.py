"""lux.compact (Lux's @compact): keywords become sub-layers, parameters and state; the seed's printout.

The seed (lux-introduction.md) prints its @compact MLP with these counts: 64, 3_168 (1_056 x 3), 33,
Total 3_265 parameters, plus 1 states (Lux keeps `act = relu` in the state). The body lines are the
Python function's. Values are compared with the layers applied by hand, eagerly and compiled.
"""

from __future__ import annotations

import numpy as np
import pytest
from jax import tree_util

import lux
import tracer
from helpers import apply_compiled
from lux_fixtures import Counter, dense, rand
from lux.layers.containers import Chain


@lux.compact(w1=lux.Dense(1, 32), w2=[lux.Dense(32, 32) for _ in range(3)], w3=lux.Dense(32, 1), act=lux.relu)
def seed_mlp(x, *, w1, w2, w3, act):
    embed = act(w1(x))
    for w in w2:
        embed = act(w(embed))
    out = w3(embed)
    return out


SEED_MLP_REPR = """\
@compact(
    w1 = Dense(1 => 32),                          # 64 parameters
    w2 = NamedTuple(
        (1-3) = Dense(32 => 32),                  # 3_168 (1_056 x 3) parameters
    ),
    w3 = Dense(32 => 1),                          # 33 parameters
    act = relu,
) do x
    embed = act(w1(x))
    for w in w2:
        embed = act(w(embed))
    out = w3(embed)
    return out
end       # Total: 3_265 parameters,
          #        plus 1 states."""


def test_seed_mlp_prints_like_lux():
    assert repr(seed_mlp) == SEED_MLP_REPR
    assert lux.parameterlength(seed_mlp) == 3_265 and lux.statelength(seed_mlp) == 1


def test_seed_mlp_trees_follow_luxs_names_and_keep_act_in_the_state():
    ps, st = lux.setup(np.random.default_rng(0), seed_mlp)
    assert list(ps) == ["w1", "w2", "w3"] and list(ps["w2"]) == ["1", "2", "3"]
    assert ps["w2"]["2"]["weight"].shape == (32, 32) and lux.parameterlength(ps) == 3_265
    assert st == {"w1": {}, "w2": {"1": {}, "2": {}, "3": {}}, "w3": {}, "act": lux.relu}


def test_seed_mlp_computes_the_mlp_eagerly_and_compiled():
    ps, st = lux.setup(np.random.default_rng(0), seed_mlp)
    x = np.random.default_rng(1).random((32, 1), dtype=np.float32)
    y, st_out = seed_mlp(x, ps, st)
    h = np.maximum(dense(ps["w1"], x), 0)
    for key in ("1", "2", "3"):
        h = np.maximum(dense(ps["w2"][key], h), 0)
    np.testing.assert_allclose(y, dense(ps["w3"], h), rtol=1e-5, atol=1e-6)
    assert y.shape == (32, 1) and st_out == st
    y_jit, st_jit = apply_compiled(seed_mlp, x, ps, st)
    np.testing.assert_allclose(np.asarray(y_jit), y, rtol=1e-5, atol=1e-6)
    assert st_jit == st  # `act` goes through as a static value


def test_compact_layers_are_hashable_and_hit_the_compile_cache():
    f = tracer.jit(lux.apply)
    ps, st = lux.setup(np.random.default_rng(0), seed_mlp)
    x = np.ones((2, 1), np.float32)
    f(seed_mlp, x, ps, st)
    f(seed_mlp, x, ps, st)
    assert hash(seed_mlp) == hash(seed_mlp) and "1 compiled signature" in repr(f)


# -- arrays, non_trainable, init_fn, the parameter tree ---------------------------------------------

def make_affine():
    @lux.compact(W=np.ones((5, 3), np.float32), b=np.zeros(3, np.float32), act=lux.relu)
    def affine(x, *, W, b, act):
        y = x @ W
        return act(y + b)

    return affine


def test_arrays_become_parameters_and_print_their_shape():
    affine = make_affine()
    assert repr(affine) == """\
@compact(
    W = 5×3 ndarray{float32},
    b = 3-element ndarray{float32},
    act = relu,
) do x
    y = x @ W
    return act(y + b)
end       # Total: 18 parameters,
          #        plus 1 states."""
    ps, st = lux.setup(np.random.default_rng(0), affine)
    np.testing.assert_array_equal(ps["W"], np.ones((5, 3), np.float32))
    y, _ = affine(np.ones((2, 5), np.float32), ps, st)
    np.testing.assert_array_equal(y, np.full((2, 3), 5.0, np.float32))
    # The same as a Dense layer with these parameters (Lux's docstring example).
    x = rand(4, 5)
    ps = {"W": rand(5, 3, seed=2), "b": rand(3, seed=3)}
    expected, _ = lux.Dense(5, 3, lux.relu)(x, {"weight": ps["W"], "bias": ps["b"]}, {})
    np.testing.assert_allclose(affine(x, ps, st)[0], expected, rtol=1e-6)
    np.testing.assert_allclose(np.asarray(apply_compiled(affine, x, ps, st)[0]), expected, rtol=1e-5, atol=1e-6)


def test_equal_arrays_give_equal_layers_and_setup_copies_them():
    assert make_affine().entries == make_affine().entries
    w = np.ones(3, np.float32)
    layer = lux.compact(lambda x, *, w: x * w, w=w)
    ps, _ = lux.setup(0, layer)
    ps["w"][0] = 7.0
    assert lux.setup(0, layer)[0]["w"][0] == 1.0 and w[0] == 1.0


def test_non_trainable_and_init_fn_place_values_in_the_right_tree():
    layer = lux.compact(lambda x, *, w, b, fixed: x @ w + b + fixed,
                        w=lux.init_fn(lambda rng: rng.standard_normal((3, 2)).astype(np.float32)),
                        b=lux.init_fn(lambda rng: np.zeros(2, np.float32), kind="state"),
                        fixed=lux.non_trainable(np.full(2, 0.5, np.float32)))
    ps, st = lux.setup(np.random.default_rng(0), layer)
    assert list(ps) == ["w"] and ps["w"].shape == (3, 2) and set(st) == {"b", "fixed"}
    again, _ = lux.setup(np.random.default_rng(0), layer)
    np.testing.assert_array_equal(ps["w"], again["w"])  # drawn from the rng given to setup
    assert layer.parameterlength() == 6 and layer.statelength() == 4
    x = rand(4, 3)
    y, st_out = layer(x, ps, st)
    np.testing.assert_allclose(y, x @ ps["w"] + 0.5, rtol=1e-6)
    assert st_out["fixed"] is st["fixed"]
    np.testing.assert_allclose(np.asarray(apply_compiled(layer, x, ps, st)[0]), y, rtol=1e-5, atol=1e-6)
    assert "fixed = @non_trainable(2-element ndarray{float32})," in repr(layer)
    assert "b = @init_fn(<lambda>, state)," in repr(layer)


def test_function_with_a_second_argument_receives_the_parameters():
    layer = lux.compact(lambda x, p, *, d: d(x) * 0 + p["d"]["bias"], d=lux.Dense(2, 3))
    ps, st = lux.setup(np.random.default_rng(0), layer)
    y, _ = layer(rand(4, 2), ps, st)
    np.testing.assert_array_equal(y, np.broadcast_to(ps["d"]["bias"], (4, 3)))
    assert repr(layer).splitlines()[2:4] == [") do x, p", "    return d(x) * 0 + p['d']['bias']"]


def test_dict_of_layers_and_other_values():
    @lux.compact(heads={"a": lux.Dense(2, 1), "b": lux.Dense(2, 1)}, scale=2.0, sizes=[1, 2])
    def model(x, *, heads, scale, sizes):
        return scale * (heads["a"](x) + heads["b"](x)) + len(sizes)

    ps, st = lux.setup(np.random.default_rng(0), model)
    assert set(ps["heads"]) == {"a", "b"} and st["scale"] == 2.0 and st["sizes"] == (1, 2)
    assert model.statelength() == 3  # LuxCore counts 1 per non-array leaf
    x = rand(3, 2)
    y, _ = model(x, ps, st)
    np.testing.assert_allclose(y, 2 * (dense(ps["heads"]["a"], x) + dense(ps["heads"]["b"], x)) + 2, rtol=1e-6)
    np.testing.assert_allclose(np.asarray(apply_compiled(model, x, ps, st)[0]), y, rtol=1e-5, atol=1e-6)
    assert "    scale = 2.0,\n    sizes = (1, 2),\n" in repr(model)


# -- state updates, names, nesting ----------------------------------------------------------------

def test_sub_layer_state_updates_are_collected_eagerly_and_compiled():
    @lux.compact(c=Counter(), cs=(Counter(), Counter()))
    def model(x, *, c, cs):
        x = c(x)
        x = c(x)  # the bound layer keeps its latest state between calls
        for counter in cs:
            x = counter(x)
        return x

    ps, st = lux.setup(np.random.default_rng(0), model)
    x = np.zeros((2,), np.float32)
    y, st1 = model(x, ps, st)
    np.testing.assert_array_equal(y, np.ones(2))  # 0 + 0 + 1 + 0 + 0
    assert st1["c"]["count"] == 2 and st1["cs"]["1"]["count"] == 1 and st1["cs"]["2"]["count"] == 1
    y2, st2 = apply_compiled(model, x, ps, st1)
    np.testing.assert_array_equal(np.asarray(y2), np.full(2, 2 + 3 + 1 + 1, np.float32))
    assert float(np.asarray(st2["c"]["count"])) == 4 and float(np.asarray(st2["cs"]["2"]["count"])) == 2


def test_named_compact_prints_one_line_and_nests_in_a_chain():
    linear = lux.compact(lambda x, *, w: (w * x).sum(axis=-1, keepdims=True), w=np.ones(3, np.float32),
                         name="Linear(3 => 1)")
    assert repr(linear) == "Linear(3 => 1)".ljust(49) + " # 3 parameters"
    model = Chain(linear, seed_mlp)
    lines = repr(model).splitlines()
    assert lines[1] == "    layer_1 = Linear(3 => 1),".ljust(49) + " # 3 parameters"
    assert lines[2:5] == ["    layer_2 = @compact(", "        w1 = Dense(1 => 32),                      # 64 parameters",
                          "        w2 = NamedTuple("]
    ps, st = lux.setup(np.random.default_rng(0), model)
    y, _ = apply_compiled(model, rand(4, 3), ps, st)
    assert np.asarray(y).shape == (4, 1)


def test_errors_inside_name_the_sub_layer_path():
    ps, st = lux.setup(np.random.default_rng(0), seed_mlp)
    with pytest.raises(lux.LayerInputError, match=r"\.py:\d+: w1: Dense\(1 => 32\) expects 1 input features"):
        seed_mlp(rand(2, 3), ps, st)

    @lux.compact(w=[lux.Dense(2, 2), lux.Dense(3, 2)])
    def broken(x, *, w):
        return w[1](w[0](x))

    with pytest.raises(lux.LayerInputError, match=r"\.py:\d+: w\.2: Dense\(3 => 2\) expects 3"):
        apply_compiled(broken, rand(1, 2), *lux.setup(np.random.default_rng(0), broken))
    with pytest.raises(lux.LayerInputError, match="no entry 'w3'.*\n  fix: .*lux.setup"):
        seed_mlp(rand(2, 1), {k: v for k, v in ps.items() if k != "w3"}, st)


@pytest.mark.parametrize("build, match", [
    (lambda: lux.compact(lambda x, *, w: x, w=[lux.Dense(2, 2), np.tanh]), r"mixes lux layers with other values \(w\.2"),
    (lambda: lux.compact(lambda x, *, w: x, w=1, v=2), "takes no keyword 'v'.*\n  fix:"),
    (lambda: lux.compact(lambda x, *, w, v: x, w=1), "needs keyword 'v'.*\n  fix:"),
    (lambda: lux.compact(lambda *, w: w, w=1), "takes 0 positional argument"),
    (lambda: lux.compact(lambda x, y, z, *, w: x, w=1), "takes 3 positional argument"),
    (lambda: lux.compact(3, w=1), "decorates a function"),
])
def test_bad_declarations_are_refused(build, match):
    with pytest.raises(TypeError, match=match):
        build()


def test_init_fn_arguments_are_checked():
    with pytest.raises(ValueError, match="'parameter' or 'state'"):
        lux.init_fn(lambda rng: 1, kind="buffer")
    with pytest.raises(TypeError, match="function of rng"):
        lux.init_fn(3)


def test_the_decorated_function_accepts_any_keywords_with_var_keyword():
    layer = lux.compact(lambda x, **kw: kw["d"](x), d=lux.Dense(2, 2))
    ps, st = lux.setup(np.random.default_rng(0), layer)
    x = rand(1, 2)
    tree_util.tree_map(np.testing.assert_allclose, layer(x, ps, st)[0], dense(ps["d"], x))
