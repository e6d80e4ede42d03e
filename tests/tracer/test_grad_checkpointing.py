"""Reverse mode through loops with a bound, checkpointed loops and regions, and stop_gradient.

Oracles: jax.grad of the same program written with jax.lax (tests only), and the unchecked program itself
(checkpointing changes memory, never the gradient).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import tracer
from tracer.errors import TracerError
from ir.errors import PyreactantError

X = np.linspace(0.1, 1.0, 3)  # (float64; jax computes in float32 here: tolerances are float32's)


def _bounded(x, bound):
    carry = tracer.while_loop(lambda c: c[0] < 5, lambda c: (c[0] + 1, np.sin(c[1]) * x), (0, x), max_iterations=bound)
    return carry[1].sum()


def _jax_five_steps(x):
    return jax.lax.fori_loop(0, 5, lambda i, c: jnp.sin(c) * x, x).sum()


def test_a_while_loop_with_a_bound_differentiates_like_jax():
    np.testing.assert_allclose(np.asarray(tracer.grad(lambda x: _bounded(x, 8))(X)), jax.grad(_jax_five_steps)(X),
                               rtol=1e-6)


def test_a_loop_that_runs_past_its_bound_has_a_nan_gradient_and_its_value():
    gradient = np.asarray(tracer.grad(lambda x: _bounded(x, 3))(X))
    assert np.isnan(gradient).all()
    np.testing.assert_allclose(float(np.asarray(tracer.jit(lambda x: _bounded(x, 3))(X))), float(_jax_five_steps(X)),
                               rtol=1e-6)


def test_a_while_loop_without_a_bound_is_refused_naming_the_line():
    def unbounded(x):
        return tracer.while_loop(lambda c: c.sum() < 5, lambda c: c * 2, x).sum()  # the loop's line

    with pytest.raises(PyreactantError) as info:
        tracer.grad(unbounded)(X)
    message = str(info.value)
    assert "test_grad_checkpointing.py" in message and "max_iterations" in message


@pytest.mark.parametrize("bound", [-1, 2.5])
def test_max_iterations_must_be_a_non_negative_int(bound):
    with pytest.raises(TracerError):
        tracer.jit(lambda x: tracer.while_loop(lambda c: c.sum() < 5, lambda c: c * 2, x, max_iterations=bound))(X)


W = np.random.default_rng(0).standard_normal((32, 32)).astype(np.float32) * 0.1
H0 = np.ones((8, 32), np.float32)


def _rnn(w, h, every):
    return tracer.fori_loop(0, 60, lambda i, h: np.tanh(h @ w), h, checkpoint_every=every).sum()


def _jax_rnn(w, h):
    return jax.lax.fori_loop(0, 60, lambda i, h: jnp.tanh(h @ w), h).sum()


def test_checkpoint_every_gives_the_same_gradient_with_fewer_stored_carries():
    plain = tracer.compile(tracer.grad(lambda w, h: _rnn(w, h, None)), W, H0)
    checkpointed = tracer.compile(tracer.grad(lambda w, h: _rnn(w, h, 8)), W, H0)
    expected = jax.grad(_jax_rnn)(W, H0)
    np.testing.assert_allclose(np.asarray(plain(W, H0)), expected, rtol=2e-4, atol=1e-6)
    np.testing.assert_allclose(np.asarray(checkpointed(W, H0)), np.asarray(plain(W, H0)), rtol=1e-5, atol=1e-7)
    # 60 stored carries against 60/8 + 8: the temporaries XLA allocates shrink accordingly.
    assert checkpointed.memory_stats()["temp_size_in_bytes"] < 0.6 * plain.memory_stats()["temp_size_in_bytes"]


def test_checkpoint_every_with_a_remainder_and_outside_jit_runs_every_step():
    np.testing.assert_allclose(np.asarray(tracer.jit(lambda w, h: tracer.fori_loop(
        0, 7, lambda i, h: h * i + 1, h, checkpoint_every=3))(W[:1], H0[:1])),
        tracer.fori_loop(0, 7, lambda i, h: h * i + 1, H0[:1], checkpoint_every=3), rtol=1e-6)


def _layer(w, h):
    return np.tanh(np.tanh(h @ w) @ w)


def test_a_checkpointed_function_has_the_gradient_and_value_of_the_plain_one():
    def loss(w, h, wrap):
        for _ in range(3):
            h = wrap(_layer)(w, h)
        return h.sum()

    plain = np.asarray(tracer.grad(lambda w, h: loss(w, h, lambda f: f))(W, H0))
    checkpointed = np.asarray(tracer.grad(lambda w, h: loss(w, h, tracer.checkpoint))(W, H0))
    np.testing.assert_allclose(checkpointed, plain, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(tracer.checkpoint(_layer)(W, H0), _layer(W, H0))  # eagerly: the function itself
    compiled = tracer.compile(tracer.grad(lambda w, h: loss(w, h, tracer.checkpoint)), W, H0)
    assert "pyreactant.checkpoint" in compiled.as_text("optimized")


def test_stop_gradient_holds_a_value_fixed_in_both_modes():
    def f(x):
        return np.sum(x * tracer.stop_gradient(x ** 2))

    def f_jax(x):
        return jnp.sum(x * jax.lax.stop_gradient(x ** 2))

    np.testing.assert_allclose(np.asarray(tracer.grad(f)(X)), jax.grad(f_jax)(X), rtol=1e-6)
    tangent = tracer.jvp(f, (X,), (np.ones(3),))[1]
    np.testing.assert_allclose(float(np.asarray(tangent)), float(jax.jvp(f_jax, (X,), (jnp.ones(3),))[1]), rtol=1e-6)
    assert tracer.stop_gradient(X) is X  # eagerly a NumPy value is returned as it is


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_stop_gradient_is_the_identity_on_values(dtype):
    x = np.array([1.2345678901, -3.5e-3, 6.5e4 if dtype == np.float16 else 1e30], dtype)
    np.testing.assert_array_equal(np.asarray(tracer.jit(tracer.stop_gradient)(x)), x)
