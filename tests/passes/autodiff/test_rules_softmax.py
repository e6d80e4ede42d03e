"""Softmax's group rule (`passes/autodiff/rules/softmax.py`): exp(z) / sum(exp(z)) differentiated as one
function, which keeps only its result for the backward pass.

Against `jax.vjp`/`jax.jvp` of `jax.nn.softmax` (whose lowering is the same group of ops), forward-of-
reverse (second order) and float64 finite differences; through `tracer.grad` of `lux.softmax` and the
attention layer's softmax against `jax.grad`, to second order; the group's matcher on the modules JAX and
our tracer print, and its refusal where the group's inner values are read elsewhere. What the backward
keeps is checked textually in `tests/passes/lit/autodiff_softmax.mlir`."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from rule_oracles import Case, check, lower

import ir
import lux
import tracer
from ir import query
from lux.layers.attention import _softmax_last
from passes.autodiff.rules.softmax import match_softmax, unshifted

rng = np.random.default_rng(0)


def _softmax_case(shape, axis):
    weights = rng.standard_normal(shape)
    return Case(lambda x: jax.nn.softmax(x, axis=axis) * weights, [rng.standard_normal(shape)])


CASES = {
    "last axis": lambda: _softmax_case((3, 5), -1),
    "first axis": lambda: _softmax_case((4, 3), 0),
    "two axes": lambda: _softmax_case((2, 3, 4), (0, 2)),
    "size-1 axes": lambda: _softmax_case((1, 4, 1), -1),
    "one element per slice": lambda: _softmax_case((3, 1), -1),
    # exp(x) also returned: the group's inner value has a cotangent of its own, so the ops' own rules run.
    "exp read elsewhere": lambda: Case(lambda x: (jnp.exp(x) / jnp.sum(jnp.exp(x), -1, keepdims=True), jnp.exp(x)),
                                       [rng.standard_normal((3, 4))]),
    # The sum also returned: likewise.
    "sum read elsewhere": lambda: Case(lambda x: (jnp.exp(x) / jnp.sum(jnp.exp(x), -1, keepdims=True),
                                                  jnp.sum(jnp.exp(x), -1)), [rng.standard_normal((3, 4))]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_softmax_derivatives_match_jax_and_finite_differences(name):
    check(CASES[name]())


def _divides(text: str) -> list:
    module = ir.parse_module(text)
    return module, [op for op in query.walk(module.operation) if op.name == "stablehlo.divide"]


@pytest.mark.parametrize("axis", [-1, 0, (0, 2)])
def test_matcher_finds_jax_softmax(axis):
    x = rng.standard_normal((2, 3, 4))
    module, divides = _divides(lower(lambda x: jax.nn.softmax(x, axis=axis), x))
    with module.context:
        (divide,) = divides
        z, dims = match_softmax(divide)
    assert sorted(dims) == sorted(np.atleast_1d(np.arange(3)[list(np.atleast_1d(axis))]).tolist())
    assert query.defining_op(z).name == "stablehlo.subtract"  # x - stop_gradient(max)


@pytest.mark.parametrize("axis", [-1, (0, 2)])
def test_the_shift_gets_no_cotangent(axis):
    """jax.nn.softmax's x - max(x) (no stop_gradient left in the printed module): the group rule names x as
    where the cotangent goes, so the max is never differentiated."""
    x = rng.standard_normal((2, 3, 4))
    module, divides = _divides(lower(lambda x: jax.nn.softmax(x, axis=axis), x))
    with module.context:
        (divide,) = divides
        z, dims = match_softmax(divide)
        assert unshifted(z, dims) == module.body.operations[0].regions[0].blocks[0].arguments[0]


def test_a_shift_that_varies_within_a_slice_is_kept():
    """exp(x - y) / sum(...) with y not constant along the softmax axis: not a shift, so the cotangent goes
    to z = x - y and on to both x and y (checked against jax.vjp and finite differences)."""
    x, y = rng.standard_normal((3, 4)), rng.standard_normal((3, 4))

    def f(x, y):
        e = jnp.exp(x - y)
        return e / jnp.sum(e, axis=-1, keepdims=True)

    module, divides = _divides(lower(f, x, y))
    with module.context:
        z, dims = match_softmax(divides[0])
        assert unshifted(z, dims) is None
    check(Case(f, [x, y]))


def test_matcher_refuses_a_sum_over_other_axes_than_the_spread():
    """x / sum over axis 1, spread back along axis 0 by a transpose-free broadcast of another shape: no
    softmax (the sum's elements would land in the wrong slices)."""
    x = rng.standard_normal((3, 3))
    text = lower(lambda x: jnp.exp(x) / jnp.sum(jnp.exp(x), axis=1)[None, :], x)
    module, divides = _divides(text)
    with module.context:
        assert [match_softmax(divide) for divide in divides] == [None]


@pytest.mark.parametrize("softmax", [lux.softmax, _softmax_last], ids=["lux.softmax", "attention"])
def test_tracer_grad_of_softmax_matches_jax_to_second_order(softmax):
    x = rng.standard_normal((3, 4, 5))
    w = rng.standard_normal((3, 4, 5))
    v = rng.standard_normal((3, 4, 5))

    def ours(x):
        return np.sum(np.tanh(softmax(x)) * w)

    def theirs(x):
        return jnp.sum(jnp.tanh(jax.nn.softmax(x, axis=-1)) * w)

    with jax.enable_x64(True):
        expected = np.asarray(jax.grad(theirs)(x))
        expected_hvp = np.asarray(jax.jvp(jax.grad(theirs), (x,), (v,))[1])
        expected_vgv = np.asarray(jax.grad(lambda x: jnp.vdot(jax.grad(theirs)(x), v))(x))
    np.testing.assert_allclose(np.asarray(tracer.grad(ours)(x)), expected, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(np.asarray(tracer.jvp(tracer.grad(ours), (x,), (v,))[1]), expected_hvp,
                               rtol=1e-9, atol=1e-11)
    # reverse over reverse: the group rule's own output differentiated by the ordinary rules
    np.testing.assert_allclose(np.asarray(tracer.grad(lambda x: np.vdot(tracer.grad(ours)(x), v))(x)),
                               expected_vgv, rtol=1e-9, atol=1e-11)
    # and finite differences of ours, independent of JAX
    eps = 1e-6
    direction = rng.standard_normal(x.shape)
    numeric = (ours(x + eps * direction) - ours(x - eps * direction)) / (2 * eps)
    np.testing.assert_allclose(np.vdot(np.asarray(tracer.grad(ours)(x)), direction), numeric, rtol=1e-7)


def test_lux_softmax_keeps_the_group_whole():
    """lux.softmax's +inf handling fixes the exponent, not exp's result, so the group matches in its module."""
    x = np.zeros((2, 3), np.float32)
    text = tracer.compile(lambda x: lux.softmax(x), x).as_text("optimized")
    module, divides = _divides(text)
    with module.context:
        assert [match_softmax(divide) is not None for divide in divides] == [True]


def test_lux_softmax_infinities_unchanged():
    """NNlib's: a slice with +inf entries shares 1 among them; -inf entries give 0."""
    x = np.array([[1.0, 2, 3], [np.inf, 1, np.inf], [-np.inf, 0, 1]])
    expected = np.array([np.exp([1.0, 2, 3]) / np.exp([1.0, 2, 3]).sum(), [0.5, 0, 0.5],
                         [0, 1 / (1 + np.e), np.e / (1 + np.e)]])
    np.testing.assert_allclose(lux.softmax(x), expected, rtol=1e-12)
    np.testing.assert_allclose(np.asarray(tracer.jit(lux.softmax)(x)), expected, rtol=1e-12)
