"""`autodiff.reverse` on whole models that JAX lowered (an MLP, a CNN, a transformer block): the gradient of
the module JAX printed, differentiated by our pass, equals `jax.grad` of the same loss (the oracle)."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from jax import tree_util

from passes import autodiff
from rule_oracles import lower, run

RNG = np.random.default_rng(0)


def _normal(*shape):
    return RNG.standard_normal(shape).astype(np.float32) * 0.3


def mlp_loss(ps, x, y):
    h = jnp.tanh(x @ ps["w1"] + ps["b1"])
    return jnp.mean((h @ ps["w2"] + ps["b2"] - y) ** 2)


MLP = ({"w1": _normal(8, 16), "b1": _normal(16), "w2": _normal(16, 4), "b2": _normal(4)}, _normal(5, 8), _normal(5, 4))


def cnn_loss(ps, x, y):
    h = jax.lax.conv_general_dilated(x, ps["k1"], (1, 1), "SAME", dimension_numbers=("NCHW", "OIHW", "NCHW"))
    h = jax.nn.relu(h + ps["b1"][None, :, None, None])
    h = jax.lax.reduce_window(h, -jnp.inf, jax.lax.max, (1, 1, 2, 2), (1, 1, 2, 2), "VALID")
    h = jax.lax.conv_general_dilated(h, ps["k2"], (2, 2), ((1, 1), (1, 1)), dimension_numbers=("NCHW", "OIHW", "NCHW"))
    logits = h.reshape(h.shape[0], -1) @ ps["w"]
    return -jnp.mean(jnp.sum(jax.nn.log_softmax(logits) * y, axis=-1))


CNN = ({"k1": _normal(4, 3, 3, 3), "b1": _normal(4), "k2": _normal(6, 4, 3, 3), "w": _normal(6 * 2 * 2, 5)},
       _normal(2, 3, 8, 8), np.eye(5, dtype=np.float32)[[1, 3]])


def transformer_loss(ps, x):
    def norm(t, p):
        mean = t.mean(-1, keepdims=True)
        return (t - mean) / jnp.sqrt(((t - mean) ** 2).mean(-1, keepdims=True) + 1e-5) * p

    b, length, width = x.shape
    h = norm(x, ps["g1"])
    q, k, v = (h @ ps[name] for name in ("q", "k", "v"))
    scores = jnp.einsum("bld,bmd->blm", q, k) / jnp.sqrt(width)
    x = x + jnp.einsum("blm,bmd->bld", jax.nn.softmax(scores, axis=-1), v) @ ps["o"]
    return jnp.mean((x + jax.nn.gelu(norm(x, ps["g2"]) @ ps["up"]) @ ps["down"]) ** 2)


TRANSFORMER = ({"g1": np.ones(8, np.float32), "q": _normal(8, 8), "k": _normal(8, 8), "v": _normal(8, 8),
                "o": _normal(8, 8), "g2": np.ones(8, np.float32), "up": _normal(8, 16), "down": _normal(16, 8)},
               _normal(2, 4, 8))


@pytest.mark.parametrize("loss, args", [(mlp_loss, MLP), (cnn_loss, CNN), (transformer_loss, TRANSFORMER)],
                         ids=["mlp", "cnn", "transformer"])
def test_reverse_of_a_jax_lowered_model_matches_jax_grad(loss, args):
    leaves = tree_util.tree_leaves(args)
    parameter_count = len(tree_util.tree_leaves(args[0]))
    module = autodiff.reverse(lower(loss, *args), wrt=tuple(range(parameter_count)))
    value, *grads = run(module, *leaves, np.ones((), np.float32))
    expected_value, expected = jax.value_and_grad(loss)(*args)
    np.testing.assert_allclose(value, expected_value, rtol=1e-5)
    for got, want in zip(grads, tree_util.tree_leaves(expected)):
        np.testing.assert_allclose(got, want, rtol=2e-4, atol=2e-6)
