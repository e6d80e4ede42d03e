"""lux containers: Chain's Lux extras, Parallel, BranchLayer, PairwiseFusion, SkipConnection, Maxout.

Displays are Lux's (`printable_children`: a function connection prints `connection = add,`), trees
follow Lux's wrapper layers (flat with a function connection, `layers`/`connection` with a layer one),
values are compared with the children applied by hand, and every container runs eagerly and compiled
with the same results and state updates.
"""

from __future__ import annotations

import numpy as np
import pytest
from jax import tree_util

import lux
from helpers import apply_compiled, run_layer_both
from lux_fixtures import Counter, dense, rand
from lux.layers.basic import NoOpLayer, WrappedFunction
from lux.layers.containers import BranchLayer, Chain, Maxout, PairwiseFusion, Parallel, SkipConnection

def assert_same(actual, expected):
    leaves_a, tree_a = tree_util.tree_flatten(actual)
    leaves_e, tree_e = tree_util.tree_flatten(expected)
    assert tree_a == tree_e
    for a, e in zip(leaves_a, leaves_e):
        np.testing.assert_allclose(np.asarray(a), np.asarray(e), rtol=1e-5, atol=1e-6)


# -- Chain: Lux's name, function wrapping, splicing, indexing --------------------------------------

def test_chain_name_replaces_chain_in_the_display():
    model = Chain(lux.Dense(2, 3, lux.relu), lux.Dense(3, 2), name="MyFancyChain")
    assert repr(model) == """\
MyFancyChain(
    layer_1 = Dense(2 => 3, relu),                # 9 parameters
    layer_2 = Dense(3 => 2),                      # 8 parameters
)         # Total: 17 parameters,
          #        plus 0 states."""


def test_chain_wraps_functions_and_splices_nested_sequences():
    model = Chain(lux.Dense(2, 3), np.tanh, (lux.Dense(3, 3), [lux.Dense(3, 1)]))
    assert [type(layer).__name__ for layer in (model[i] for i in range(len(model)))] == \
        ["Dense", "WrappedFunction", "Dense", "Dense"]
    assert model.layer_2 == WrappedFunction(np.tanh) and list(model.children()) == [f"layer_{i}" for i in range(1, 5)]
    x = rand(4, 2)
    run = run_layer_both(model, x)
    ps, y, y_jit = run.ps, run.y, run.y_jit
    expected = dense(ps["layer_4"], dense(ps["layer_3"], np.tanh(dense(ps["layer_1"], x))))
    np.testing.assert_allclose(y, expected, rtol=1e-5)
    np.testing.assert_allclose(y_jit, y, rtol=1e-5, atol=1e-6)


def test_chain_indexing_keeps_names_and_empty_chain_is_noop():
    model = Chain(lux.Dense(2, 3), lux.Dense(3, 4), lux.Dense(4, 5))
    tail = model[1:]
    assert isinstance(tail, Chain) and list(tail.children()) == ["layer_2", "layer_3"] and tail.layer_3 == lux.Dense(4, 5)
    assert model[-1] == lux.Dense(4, 5)
    with pytest.raises(AttributeError, match="no field or layer 'layer_9'"):
        _ = model.layer_9
    assert Chain() == Chain(NoOpLayer())


def test_chain_refuses_values_that_are_neither_layers_nor_functions():
    with pytest.raises(TypeError, match="layers or functions, got a int.*\n  fix: .*WrappedFunction"):
        Chain(lux.Dense(1, 2), 3)


# -- Parallel -------------------------------------------------------------------------------------

def test_parallel_without_connection_returns_the_tuple_and_splits_tuple_inputs():
    model = Parallel(None, lux.Dense(2, 1), lux.Dense(3, 1))
    x1, x2 = rand(4, 2), rand(4, 3, seed=2)
    run = run_layer_both(model, (x1, x2))
    ps, st, y, st_out, y_jit, st_jit = run.ps, run.st, run.y, run.st_out, run.y_jit, run.st_jit
    assert set(ps) == {"layer_1", "layer_2"} and st == st_out == st_jit == {"layer_1": {}, "layer_2": {}}
    assert isinstance(y, tuple) and [a.shape for a in y] == [(4, 1), (4, 1)]
    assert_same(y, (dense(ps["layer_1"], x1), dense(ps["layer_2"], x2)))
    assert_same(y_jit, y)
    assert repr(model) == """\
Parallel(
    layer_1 = Dense(2 => 1),                      # 3 parameters
    layer_2 = Dense(3 => 1),                      # 4 parameters
)         # Total: 7 parameters,
          #        plus 0 states."""


def test_parallel_function_connection_combines_outputs_of_one_input():
    model = Parallel(np.add, lux.Dense(2, 3), lux.Dense(2, 3), name="Sum")
    x = rand(4, 2)
    run = run_layer_both(model, x)
    ps, y, y_jit = run.ps, run.y, run.y_jit
    np.testing.assert_allclose(y, dense(ps["layer_1"], x) + dense(ps["layer_2"], x), rtol=1e-5)
    np.testing.assert_allclose(y_jit, y, rtol=1e-5, atol=1e-6)
    assert repr(model).splitlines()[:2] == ["Sum(", "    connection = add,"]


def test_parallel_layer_connection_nests_the_trees_and_gets_the_tuple():
    model = Parallel(WrappedFunction(lambda ys: ys[0] * ys[1]), a=lux.Dense(2, 2), b=Counter())
    x = rand(4, 2)
    run = run_layer_both(model, x)
    ps, y, st_out, y_jit, st_jit = run.ps, run.y, run.st_out, run.y_jit, run.st_jit
    assert set(ps) == {"layers", "connection"} and set(ps["layers"]) == {"a", "b"}
    assert st_out["layers"]["b"]["count"] == 1 and st_out["connection"] == {}
    np.testing.assert_allclose(y, dense(ps["layers"]["a"], x) * x, rtol=1e-5)  # Counter adds 0 on its first call
    assert_same((y_jit, st_jit), (y, st_out))
    y2, _ = model(x, ps, st_out)
    np.testing.assert_allclose(y2, dense(ps["layers"]["a"], x) * (x + 1), rtol=1e-5)


def test_parallel_errors():
    model = Parallel(None, lux.Dense(2, 1), lux.Dense(2, 1))
    ps, st = lux.setup(np.random.default_rng(0), model)
    with pytest.raises(lux.LayerInputError, match="Parallel has 2 layers but got a tuple of 3 inputs\n  fix:"):
        model((rand(1, 2),) * 3, ps, st)
    with pytest.raises(lux.LayerInputError, match=r"\.py:\d+: layer_2: Dense\(2 => 1\) expects 2"):
        apply_compiled(model, (rand(1, 2), rand(1, 3)), ps, st)
    nested = Parallel(WrappedFunction(lambda ys: ys[0]), lux.Dense(2, 1), lux.Dense(3, 1))
    with pytest.raises(lux.LayerInputError, match=r"\.py:\d+: layers\.layer_2: Dense\(3 => 1\)"):
        lux.apply(nested, rand(1, 2), *lux.setup(np.random.default_rng(0), nested))
    with pytest.raises(TypeError, match="connection must be a function or a layer or None"):
        Parallel(3, lux.Dense(2, 1))
    with pytest.raises(TypeError, match="at least one layer"):
        Parallel(None)


# -- BranchLayer ----------------------------------------------------------------------------------

def test_branch_layer_gives_one_input_to_every_branch():
    model = BranchLayer(lux.Dense(2, 3), Counter(), NoOpLayer())
    x = rand(4, 2)
    run = run_layer_both(model, x)
    ps, y, st_out, y_jit, st_jit = run.ps, run.y, run.st_out, run.y_jit, run.st_jit
    assert_same(y, (dense(ps["layer_1"], x), x, x))
    assert st_out["layer_2"]["count"] == 1
    assert_same((y_jit, st_jit), (y, st_out))


def test_branch_layer_fusion_function_and_layer():
    x = rand(4, 2)
    summed = BranchLayer(lux.Dense(2, 3), lux.Dense(2, 3), fusion=np.add)
    run = run_layer_both(summed, x)
    ps, y, y_jit = run.ps, run.y, run.y_jit
    np.testing.assert_allclose(y, dense(ps["layer_1"], x) + dense(ps["layer_2"], x), rtol=1e-5)
    np.testing.assert_allclose(y_jit, y, rtol=1e-5, atol=1e-6)
    fused = BranchLayer(NoOpLayer(), NoOpLayer(), fusion=Parallel(np.multiply, NoOpLayer(), NoOpLayer()))
    run = run_layer_both(fused, x)
    ps, y, st_out = run.ps, run.y, run.st_out
    assert set(ps) == {"layers", "fusion"} and set(st_out) == {"layers", "fusion"}
    np.testing.assert_allclose(y, x * x)
    assert repr(BranchLayer(NoOpLayer(), fusion=np.add)).splitlines()[1:3] == \
        ["    layer_1 = NoOpLayer(),", "    fusion = add,"]


# -- PairwiseFusion -------------------------------------------------------------------------------

def test_pairwise_fusion_feeds_one_more_input_per_step():
    model = PairwiseFusion(np.subtract, lux.Dense(2, 3), lux.Dense(3, 4))
    x0, x1, x2 = rand(5, 2), rand(5, 3, seed=2), rand(5, 4, seed=3)
    run = run_layer_both(model, (x0, x1, x2))
    ps, y, st_out, y_jit = run.ps, run.y, run.st_out, run.y_jit
    expected = dense(ps["layer_2"], dense(ps["layer_1"], x0) - x1) - x2  # connection(layer output, next input)
    np.testing.assert_allclose(y, expected, rtol=1e-5)
    np.testing.assert_allclose(y_jit, y, rtol=1e-5, atol=1e-6)
    assert st_out == {"layer_1": {}, "layer_2": {}}
    assert repr(model).splitlines()[1] == "    connection = subtract,"


def test_pairwise_fusion_with_one_input_reuses_it():
    model = PairwiseFusion(lambda out, x: out - 2 * x, lux.Dense(3, 3), lux.Dense(3, 3))
    x = rand(2, 3)
    run = run_layer_both(model, x)
    ps, y, y_jit = run.ps, run.y, run.y_jit
    np.testing.assert_allclose(y, dense(ps["layer_2"], dense(ps["layer_1"], x) - 2 * x) - 2 * x, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(y_jit, y, rtol=1e-5, atol=1e-6)


def test_pairwise_fusion_errors():
    model = PairwiseFusion(np.add, lux.Dense(2, 2))
    with pytest.raises(lux.LayerInputError, match="takes a tuple of 2 inputs, got 3\n  fix:"):
        model((rand(1, 2),) * 3, *lux.setup(np.random.default_rng(0), model))
    with pytest.raises(TypeError, match="connection must be a function, got"):
        PairwiseFusion(None, lux.Dense(2, 2))
    with pytest.raises(TypeError, match="connection must be a function, got"):
        PairwiseFusion(lux.Dense(2, 2), lux.Dense(2, 2))


# -- SkipConnection -------------------------------------------------------------------------------

def test_skip_connection_with_a_function_keeps_the_layers_tree_flat():
    block = Chain(lux.Dense(3, 3, lux.relu), Counter())
    model = SkipConnection(block, np.add)
    x = rand(4, 3)
    run = run_layer_both(model, x)
    ps, y, st_out, y_jit, st_jit = run.ps, run.y, run.st_out, run.y_jit, run.st_jit
    assert set(ps) == {"layer_1", "layer_2"}  # Lux's wrapper layer: the Chain's own tree
    np.testing.assert_allclose(y, np.maximum(dense(ps["layer_1"], x), 0) + x, rtol=1e-5)
    assert st_out["layer_2"]["count"] == 1
    assert_same((y_jit, st_jit), (y, st_out))
    lines = repr(model).splitlines()
    assert lines[4].startswith("        layer_2 = Counter(),")  # (its comment is lux.display's)
    assert lines[:4] + lines[5:] == """\
SkipConnection(
    connection = add,
    layers = Chain(
        layer_1 = Dense(3 => 3, relu),            # 12 parameters
    ),
)         # Total: 12 parameters,
          #        plus 1 states.""".splitlines()


def test_skip_connection_with_a_layer_nests_the_trees():
    model = SkipConnection(lux.Dense(3, 3), Parallel(np.subtract, NoOpLayer(), NoOpLayer()))
    x = rand(2, 3)
    run = run_layer_both(model, x)
    ps, y, y_jit = run.ps, run.y, run.y_jit
    assert set(ps) == {"layers", "connection"} and set(ps["connection"]) == {"layer_1", "layer_2"}
    np.testing.assert_allclose(y, dense(ps["layers"], x) - x, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(y_jit, y, rtol=1e-5, atol=1e-6)
    bad = SkipConnection(lux.Dense(2, 3), Parallel(np.add, lux.Dense(3, 1), lux.Dense(3, 1)))
    with pytest.raises(lux.LayerInputError, match=r"\.py:\d+: connection\.layer_2: Dense\(3 => 1\) expects 3"):
        bad(rand(2, 2), *lux.setup(np.random.default_rng(0), bad))


def test_skip_connection_argument_errors():
    with pytest.raises(TypeError, match="layers must be a layer.*\n  fix: .*WrappedFunction"):
        SkipConnection(np.tanh, np.add)
    with pytest.raises(TypeError, match="connection must be a function or a layer, got"):
        SkipConnection(lux.Dense(2, 2), None)


# -- Maxout ---------------------------------------------------------------------------------------

def test_maxout_is_the_elementwise_max_of_its_layers():
    model = Maxout(lux.Dense(2, 3), lux.Dense(2, 3), lux.Dense(2, 3))
    x = rand(5, 2)
    run = run_layer_both(model, x)
    ps, y, y_jit = run.ps, run.y, run.y_jit
    outs = np.stack([dense(ps[f"layer_{i}"], x) for i in (1, 2, 3)])
    np.testing.assert_allclose(y, outs.max(axis=0), rtol=1e-6)
    np.testing.assert_allclose(y_jit, y, rtol=1e-6)


def test_maxout_from_a_function_repeats_one_layer_with_separate_parameters():
    calls = []
    model = Maxout(lambda: calls.append(1) or lux.Dense(2, 3), 4)
    assert len(calls) == 1 and list(model.children()) == [f"layer_{i}" for i in range(1, 5)]
    ps, _ = lux.setup(np.random.default_rng(0), model)
    assert not np.array_equal(ps["layer_1"]["weight"], ps["layer_2"]["weight"])
    assert model.parameterlength() == 4 * 9
    with pytest.raises(TypeError, match="at least one layer"):
        Maxout()


# -- shared behaviour -----------------------------------------------------------------------------

def test_containers_are_hashable_static_arguments():
    for make in (lambda: Parallel(np.add, lux.Dense(2, 2), lux.Dense(2, 2)), lambda: BranchLayer(lux.Dense(2, 2)),
                 lambda: PairwiseFusion(np.add, lux.Dense(2, 2)), lambda: SkipConnection(lux.Dense(2, 2), np.add),
                 lambda: Maxout(lux.Dense(2, 2)), lambda: Chain(lux.Dense(2, 2), name="c")):
        assert make() == make() and hash(make()) == hash(make())
    assert Chain(lux.Dense(2, 2), name="a") != Chain(lux.Dense(2, 2), name="b")


def test_mismatched_trees_are_clear_errors():
    model = Parallel(None, lux.Dense(2, 1), lux.Dense(2, 1))
    ps, st = lux.setup(np.random.default_rng(0), model)
    with pytest.raises(lux.LayerInputError, match="no entry 'layer_2'.*\n  fix: .*lux.setup"):
        model(rand(1, 2), {"layer_1": ps["layer_1"]}, st)
    nested = BranchLayer(lux.Dense(2, 1), fusion=WrappedFunction(lambda ys: ys[0]))
    with pytest.raises(lux.LayerInputError, match="no entry 'layers'"):
        nested(rand(1, 2), ps, st)
