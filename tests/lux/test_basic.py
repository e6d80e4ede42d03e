"""lux basic layers: Bilinear, Embedding, Scale, WrappedFunction, FlattenLayer, ReshapeLayer, SelectDim,
NoOpLayer (Dense is covered by test_core).

Display lines are Lux's `show` for each layer; parameter counts follow Lux's formulas; values are
compared with direct NumPy loops, and the compiled run (`tracer.jit(lux.apply)`) with the eager one.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import lux
from helpers import apply_compiled, run_layer_both
from lux_fixtures import rand
from lux.layers.basic import (
    Bilinear,
    Embedding,
    FlattenLayer,
    NoOpLayer,
    ReshapeLayer,
    Scale,
    SelectDim,
    WrappedFunction,
)

# -- display and counts --------------------------------------------------------------------------

@pytest.mark.parametrize("model, line", [
    (Bilinear((3, 4), 5), "Bilinear((3, 4) => 5)"),
    (Bilinear(3, 5, lux.relu, use_bias=False), "Bilinear((3, 3) => 5, relu, use_bias=false)"),
    (Embedding(10, 4), "Embedding(10 => 4)"),
    (Scale(4, 3), "Scale((4, 3))"),
    (Scale(3, lux.tanh), "Scale((3,), tanh)"),
    (Scale((2, 3), use_bias=False), "Scale((2, 3), use_bias=false)"),
    (WrappedFunction(np.tanh), "WrappedFunction(tanh)"),
    (FlattenLayer(), "FlattenLayer{Nothing}(nothing)"),
    (FlattenLayer(N=2), "FlattenLayer{Static.StaticInt{2}}(static(2))"),
    (ReshapeLayer((3, 2)), "ReshapeLayer(output_dims = (:, 3, 2))"),
    (SelectDim(1, 2), "SelectDim(dim = 1, index = 2)"),
    (NoOpLayer(), "NoOpLayer()"),
])
def test_display_lines_are_luxs(model, line):
    assert model.summary() == line
    count = model.parameterlength()
    assert repr(model) == (line if count == 0 else line.ljust(49) + f" # {count:_} parameters")


@pytest.mark.parametrize("model, count", [
    (Bilinear((3, 4), 5), 5 * 3 * 4 + 5),
    (Bilinear((3, 4), 5, use_bias=False), 5 * 3 * 4),
    (Embedding(10, 4), 40),
    (Scale(4, 3), 2 * 12),
    (Scale(4, 3, use_bias=False), 12),
    (WrappedFunction(np.tanh), 0),
    (FlattenLayer(), 0),
    (ReshapeLayer((3, 2)), 0),
    (SelectDim(0, 1), 0),
    (NoOpLayer(), 0),
])
def test_parameter_counts_follow_lux_and_the_trees(model, count):
    ps, st = lux.setup(np.random.default_rng(0), model)
    assert model.parameterlength() == count == lux.parameterlength(ps)
    assert model.statelength() == 0 and st == {}


def test_layers_are_hashable_and_equal_by_hyperparameters():
    for make in (lambda: Bilinear((3, 4), 5), lambda: Embedding(10, 4), lambda: Scale(4, 3), lambda: FlattenLayer(2),
                 lambda: ReshapeLayer((3, 2)), lambda: SelectDim(1, [0, 2]), lambda: NoOpLayer(),
                 lambda: WrappedFunction(np.tanh)):
        assert make() == make() and hash(make()) == hash(make())
    assert Scale(4, 3) != Scale(3, 4)


# -- Bilinear -------------------------------------------------------------------------------------

def bilinear_reference(x, y, weight, bias):
    """z[b, o] = sum_ij x[b, i] W[j, i, o] y[b, j] + bias[o], written as loops."""
    z = np.zeros((x.shape[0], weight.shape[2]), np.float64)
    for b in range(x.shape[0]):
        for o in range(weight.shape[2]):
            z[b, o] = sum(x[b, i] * weight[j, i, o] * y[b, j] for i in range(x.shape[1]) for j in range(y.shape[1]))
    return z + bias


def test_bilinear_matches_the_loop_formula_eager_and_compiled():
    model = Bilinear((3, 5), 4, lux.tanh)
    x, y = rand(2, 3), rand(2, 5, seed=2)
    run = run_layer_both(model, (x, y))
    ps, out, out_jit = run.ps, run.y, run.y_jit
    assert ps["weight"].shape == (5, 3, 4) and ps["bias"].shape == (4,)  # Lux's (out, in1, in2), reversed
    np.testing.assert_allclose(out, np.tanh(bilinear_reference(x, y, ps["weight"], ps["bias"])), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(out_jit, out, rtol=1e-5, atol=1e-6)


def test_bilinear_with_one_input_uses_it_twice_and_keeps_leading_axes():
    model = Bilinear(3, 2)
    ps, st = lux.setup(np.random.default_rng(0), model)
    x = rand(4, 5, 3)
    out, _ = model(x, ps, st)
    assert out.shape == (4, 5, 2)
    np.testing.assert_allclose(out.reshape(20, 2), bilinear_reference(x.reshape(20, 3), x.reshape(20, 3), ps["weight"],
                                                                      ps["bias"]), rtol=1e-5, atol=1e-5)


def test_bilinear_default_init_is_luxs_shifted_normal():
    ps, _ = lux.setup(np.random.default_rng(0), Bilinear((16, 8), 64))
    w, bound = ps["weight"], 1 / math.sqrt(16)
    assert w.dtype == np.float32
    # (randn - 0.5) * 2 * bound: mean -bound, standard deviation 2 * bound.
    assert abs(w.mean() + bound) < 0.05 * bound and abs(w.std() - 2 * bound) < 0.05 * 2 * bound
    assert np.abs(ps["bias"]).max() <= bound


def test_bilinear_custom_initialisers_get_our_dims():
    seen = []
    model = Bilinear((3, 4), 5, init_weight=lambda rng, *d: seen.append(d) or np.ones(d, np.float32),
                     init_bias=lambda rng, *d: seen.append(d) or np.zeros(d, np.float32))
    lux.setup(np.random.default_rng(0), model)
    assert seen == [(4, 3, 5), (5,)]


def test_bilinear_errors_name_the_layer():
    model = Bilinear((3, 5), 4)
    ps, st = lux.setup(np.random.default_rng(0), model)
    with pytest.raises(lux.LayerInputError, match=r"Bilinear\(\(3, 5\) => 4\) expects 5 input features.*\n  fix:"):
        model((rand(2, 3), rand(2, 4)), ps, st)
    with pytest.raises(lux.LayerInputError, match="same leading axes.*\n  fix:"):
        model((rand(2, 3), rand(3, 5)), ps, st)
    with pytest.raises(lux.LayerInputError, match="expects 3 input features"):
        apply_compiled(model, (rand(2, 4), rand(2, 5)), ps, st)


# -- Embedding ------------------------------------------------------------------------------------

def test_embedding_looks_up_rows_for_indices_of_any_shape():
    model = Embedding(10, 4)
    idx = np.array([[1, 2, 9], [0, 0, 3]], np.int32)
    run = run_layer_both(model, idx)
    ps, out, out_jit = run.ps, run.y, run.y_jit
    assert ps["weight"].shape == (10, 4) and out.shape == (2, 3, 4)
    for i in range(2):
        for j in range(3):
            np.testing.assert_array_equal(out[i, j], ps["weight"][idx[i, j]])
    np.testing.assert_array_equal(out_jit, out)
    scalar, _ = model(7, ps, {})
    np.testing.assert_array_equal(scalar, ps["weight"][7])


def test_embedding_default_init_is_rand32():
    ps, _ = lux.setup(np.random.default_rng(0), Embedding(100, 8))
    w = ps["weight"]
    assert w.dtype == np.float32 and w.min() >= 0 and w.max() < 1 and abs(w.mean() - 0.5) < 0.05


@pytest.mark.parametrize("idx, match", [
    (np.array([0, 10]), r"index 10, outside the vocabulary 0\.\.9.*\n  fix:"),
    (np.array([-1, 2]), r"index -1, outside the vocabulary"),
    (np.array([0.0, 1.0]), "takes integer indices, got float64.*\n  fix:"),
])
def test_embedding_rejects_bad_indices_eagerly(idx, match):
    model = Embedding(10, 4)
    ps, st = lux.setup(np.random.default_rng(0), model)
    with pytest.raises(lux.LayerInputError, match=match):
        model(idx, ps, st)


def test_embedding_traced_indices_follow_the_tracer_and_float_indices_fail():
    model = Embedding(10, 4)
    ps, st = lux.setup(np.random.default_rng(0), model)
    # Traced indices cannot raise: too large ones clamp to the last row, negative ones count from the end.
    out, _ = apply_compiled(model, np.array([12, -1], np.int32), ps, st)
    np.testing.assert_array_equal(np.asarray(out), ps["weight"][[9, 9]])
    with pytest.raises(lux.LayerInputError, match="integer indices"):
        apply_compiled(model, np.array([0.0], np.float32), ps, st)


# -- Scale ----------------------------------------------------------------------------------------

def test_scale_is_elementwise_affine_over_the_trailing_axes():
    model = Scale(4, 3, lux.relu)
    x = rand(2, 4, 3)
    run = run_layer_both(model, x)
    ps, out, out_jit = run.ps, run.y, run.y_jit
    assert ps["weight"].shape == ps["bias"].shape == (4, 3)
    expected = np.maximum(x * ps["weight"][None] + ps["bias"][None], 0)
    np.testing.assert_allclose(out, expected, rtol=1e-6)
    np.testing.assert_allclose(out_jit, out, rtol=1e-6)


def test_scale_default_init_is_glorot_uniform_and_zero_bias():
    ps, _ = lux.setup(np.random.default_rng(0), Scale(40, 30))
    bound = math.sqrt(6 / (40 + 30))  # fans of Lux's (30, 40), the same sum
    assert np.abs(ps["weight"]).max() <= bound and np.abs(ps["weight"]).max() > 0.9 * bound
    np.testing.assert_array_equal(ps["bias"], np.zeros((40, 30), np.float32))
    no_bias, _ = lux.setup(np.random.default_rng(0), Scale(3, use_bias=False))
    assert set(no_bias) == {"weight"}


def test_scale_argument_errors():
    with pytest.raises(TypeError, match="positive integer dims"):
        Scale()
    with pytest.raises(TypeError, match="positive integer dims"):
        Scale(3, "relu")
    model = Scale(4, 3)
    ps, st = lux.setup(np.random.default_rng(0), model)
    with pytest.raises(lux.LayerInputError, match=r"Scale\(\(4, 3\)\) expects an input whose last axes are \(4,"
                                                  r" 3\).*\n  fix:"):
        model(rand(2, 3, 4), ps, st)


# -- parameter-free layers ------------------------------------------------------------------------

def test_wrapped_function_applies_the_function():
    x = rand(2, 3)
    run = run_layer_both(WrappedFunction(lambda v: v * 2 + 1), x)
    out, out_jit, st = run.y, run.y_jit, run.st_out
    np.testing.assert_allclose(out, x * 2 + 1)
    np.testing.assert_allclose(out_jit, out)
    assert st == {}
    assert WrappedFunction(lambda v: v).summary() == "WrappedFunction(<lambda>)"
    with pytest.raises(TypeError, match="wraps a function"):
        WrappedFunction(3)


@pytest.mark.parametrize("model, shape_in, shape_out", [
    (FlattenLayer(), (2, 3, 4, 5), (2, 60)),
    (FlattenLayer(N=2), (2, 3, 4, 5), (2, 3, 20)),
    (FlattenLayer(N=1), (2, 3), (2, 3)),
    (ReshapeLayer((3, 2)), (5, 6), (5, 3, 2)),
    (ReshapeLayer(6), (5, 2, 3), (5, 6)),
])
def test_flatten_and_reshape_keep_the_batch_axis_and_the_memory_order(model, shape_in, shape_out):
    x = rand(*shape_in)
    run = run_layer_both(model, x)
    out, out_jit = run.y, run.y_jit
    assert out.shape == shape_out
    for b in range(shape_in[0]):  # each batch entry keeps its elements in C order
        np.testing.assert_array_equal(out[b].ravel(), x[b].ravel())
    np.testing.assert_array_equal(out_jit, out)


def test_flatten_and_reshape_errors():
    with pytest.raises(lux.LayerInputError, match=r"flattens the last 2 axes.*shape \(2, 3\).*\n  fix:"):
        FlattenLayer(N=2)(rand(2, 3), {}, {})
    with pytest.raises(lux.LayerInputError, match="batch axis"):
        FlattenLayer()(np.float32(1), {}, {})
    with pytest.raises(ValueError, match="number of axes"):
        FlattenLayer(N=0)
    with pytest.raises(lux.LayerInputError, match=r"ReshapeLayer\(output_dims = \(:, 3, 2\)\) needs 6 elements.*\n  fix:"):
        apply_compiled(ReshapeLayer((3, 2)), rand(2, 5), {}, {})
    with pytest.raises(ValueError, match="non-negative integers"):
        ReshapeLayer((3, -1))


@pytest.mark.parametrize("dim, index", [(1, 2), (-1, 0), (2, (0, 3)), (0, range(1, 3))])
def test_select_dim_takes_along_the_axis(dim, index):
    x = rand(3, 4, 5)
    run = run_layer_both(SelectDim(dim, index), x)
    out, out_jit = run.y, run.y_jit
    expected = np.take(x, index if isinstance(index, int) else list(index), axis=dim)
    np.testing.assert_array_equal(out, expected)
    np.testing.assert_array_equal(out_jit, expected)


def test_select_dim_errors():
    with pytest.raises(lux.LayerInputError, match=r"SelectDim\(dim = 3, index = 0\) selects along axis 3.*\n  fix:"):
        SelectDim(3, 0)(rand(2, 3), {}, {})
    with pytest.raises(lux.LayerInputError, match=r"index out of range for axis 1 of size 3.*\n  fix:"):
        apply_compiled(SelectDim(1, (0, 3)), rand(2, 3), {}, {})


def test_noop_returns_its_input_whatever_it_is():
    marker = object()
    assert NoOpLayer()(marker, {}, {"a": 1}) == (marker, {"a": 1})
    x = rand(2, 2)
    run = run_layer_both(NoOpLayer(), x)
    _out, out_jit = run.y, run.y_jit
    np.testing.assert_array_equal(out_jit, x)
