"""Every kind of lux layer differentiates: the gradient of a scalar readout of its output with respect to its
parameters and its input (`tracer.grad`, our reverse-mode pass), in float64, against central finite differences
along a random direction (the independent oracle: f(p + h v) - f(p - h v) over 2h is the derivative along v)."""

from __future__ import annotations

import numpy as np
import pytest
from jax import tree_util

import lux
import tracer

H = 1e-6


def _case(model, shape, *, train=False, integer_input=None):
    return model, shape, train, integer_input


CASES = {
    "Dense": _case(lux.Dense(3, 4, np.tanh), (2, 3)),
    "Bilinear": _case(lux.Chain(lux.BranchLayer(lux.NoOpLayer(), lux.NoOpLayer()), lux.Bilinear((3, 3), 2)), (2, 3)),
    "Scale": _case(lux.Scale(3, lux.sigmoid), (2, 3)),
    "Embedding": _case(lux.Embedding(5, 3), (4,), integer_input=5),
    "Conv": _case(lux.Conv((3, 3), 2, 3, lux.relu, pad=1, stride=(2, 1)), (2, 2, 5, 4)),
    "Conv groups": _case(lux.Conv((2, 2), 4, 6, groups=2), (1, 4, 4, 4)),
    "ConvTranspose": _case(lux.ConvTranspose((3,), 2, 3, stride=2), (2, 2, 4)),
    "MaxPool": _case(lux.Chain(lux.Conv((2, 2), 1, 2), lux.MaxPool((2, 2))), (1, 1, 5, 5)),
    "MeanPool": _case(lux.Chain(lux.Conv((2, 2), 1, 2), lux.MeanPool((2, 2))), (1, 1, 5, 5)),
    "AdaptiveMeanPool": _case(lux.Chain(lux.Conv((2, 2), 1, 2), lux.AdaptiveMeanPool((2, 2))), (1, 1, 5, 5)),
    "BatchNorm": _case(lux.Chain(lux.Dense(3, 4), lux.BatchNorm(4, lux.relu)), (5, 3), train=True),
    "LayerNorm": _case(lux.LayerNorm((3,), dims=(-1,)), (2, 4, 3)),
    "GroupNorm": _case(lux.Chain(lux.Dense(3, 4), lux.GroupNorm(4, 2)), (5, 3), train=True),
    "InstanceNorm": _case(lux.InstanceNorm(2, affine=True), (2, 2, 3, 3), train=True),
    "WeightNorm": _case(lux.WeightNorm(lux.Dense(3, 4), ("weight", "bias")), (2, 3)),
    "Dropout": _case(lux.Chain(lux.Dense(3, 4), lux.Dropout(0.5)), (2, 3), train=True),
    "RNNCell": _case(lux.Recurrence(lux.RNNCell(3, 4)), (2, 5, 3)),
    "LSTMCell": _case(lux.Recurrence(lux.LSTMCell(3, 4)), (2, 4, 3)),
    "GRUCell": _case(lux.Recurrence(lux.GRUCell(3, 4), return_sequence=True), (2, 4, 3)),
    "MultiHeadAttention": _case(lux.Chain(lux.MultiHeadAttention(4, nheads=2), lambda out: out[0]), (2, 3, 4)),
    "Upsample": _case(lux.Chain(lux.Conv((1, 1), 1, 2), lux.Upsample(2)), (1, 1, 2, 3)),
    "PixelShuffle": _case(lux.Chain(lux.Conv((1, 1), 1, 4), lux.PixelShuffle(2)), (1, 1, 2, 2)),
    "SkipConnection": _case(lux.SkipConnection(lux.Dense(3, 3, np.tanh), np.add), (2, 3)),
    "Parallel": _case(lux.Chain(lux.BranchLayer(lux.Dense(3, 2), lux.Dense(3, 2)),
                                lux.Parallel(np.add, lux.Dense(2, 2), lux.Dense(2, 2))), (2, 3)),
}


def _readout(y, weights):
    return sum(np.sum(leaf * weight) for leaf, weight in zip(tree_util.tree_leaves(y), weights))


@pytest.mark.parametrize("name", sorted(CASES))
def test_layer_parameter_and_input_gradients_match_finite_differences(name):
    model, shape, train, integer_input = CASES[name]
    rng = np.random.default_rng(0)
    ps, st = lux.setup(rng, model)
    ps, st = lux.f64(ps), lux.f64(st)
    if not train:
        st = lux.testmode(st)
    x = rng.integers(0, integer_input, shape) if integer_input else rng.standard_normal(shape)
    y, _ = lux.apply(model, x, ps, st)
    weights = [rng.standard_normal(np.shape(leaf)) for leaf in tree_util.tree_leaves(y)]

    def loss(ps_, x_):
        return _readout(lux.apply(model, x_, ps_, st)[0], weights)

    wrt = (0,) if integer_input else (0, 1)
    grads = tracer.grad(loss, argnums=wrt)(ps, x)
    directions = [tree_util.tree_map(lambda p: rng.standard_normal(np.shape(p)), arg) for arg in (ps, x)[:len(wrt)]]
    moved = lambda sign: [tree_util.tree_map(lambda p, v: p + sign * H * v, arg, d)  # noqa: E731
                          for arg, d in zip((ps, x), directions)]
    plus, minus = moved(1), moved(-1)
    rest = [] if len(wrt) == 2 else [x]
    numeric = (loss(*plus, *rest) - loss(*minus, *rest)) / (2 * H)
    analytic = sum(float(np.sum(np.asarray(g) * v)) for grad, direction in zip(grads, directions)
                   for g, v in zip(tree_util.tree_leaves(grad), tree_util.tree_leaves(direction)))
    assert analytic == pytest.approx(numeric, rel=1e-5, abs=1e-7), name
    assert any(float(np.abs(np.asarray(g)).max()) > 0 for g in tree_util.tree_leaves(grads[0])), "all-zero gradient"
