"""`stablehlo.reduce_window` (sum, max, min pooling) and `stablehlo.select_and_scatter` derivative rules,
one row per configuration: reverse, forward and second order against `jax.vjp`/`jax.jvp` of the matching
`jax.lax` function and against float64 finite differences (not at ties, where max pooling has none)."""

from __future__ import annotations

import itertools

import helpers
import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from jax import lax
from jaxlib.mlir import ir as mlir
from rule_oracles import Case, check, lower

import ir
from ir import ops
from passes import autodiff

rng = np.random.default_rng(0)


def pool(kind, x_shape, window, strides=None, padding=None, base=None, dilation=None):
    """A lax.reduce_window pooling of a random array, as a Case. Negative padding crops: JAX does not
    differentiate it, so its oracle crops with a slice first."""
    x = rng.standard_normal(x_shape)
    init, op = {"max": (-np.inf, lax.max), "min": (np.inf, lax.min), "sum": (0.0, lax.add)}[kind]
    rank = len(x_shape)
    strides, padding = strides or (1,) * rank, padding or ((0, 0),) * rank

    def f(x):
        return lax.reduce_window(x, init, op, window, strides, padding, base_dilation=base, window_dilation=dilation)

    def cropped(x):
        x = lax.slice(x, [max(-lo, 0) for lo, _ in padding], [n + min(hi, 0) for n, (_, hi) in zip(x_shape, padding)])
        return lax.reduce_window(x, init, op, window, strides, [(max(lo, 0), max(hi, 0)) for lo, hi in padding],
                                 base_dilation=base, window_dilation=dilation)
    return Case(cropped, [x], text=lower(f, x))


def patches_max(x_shape, window, strides, dilation):
    """Max pooling with dilated windows: JAX has no transpose for it, so the oracle takes the maximum over
    a stack of strided slices (one per window offset), the same function where no two elements tie."""
    x = rng.standard_normal(x_shape)
    rank = len(x_shape)

    def f(x):
        out = [(n - ((k - 1) * d + 1)) // s + 1 for n, k, s, d in zip(x_shape, window, strides, dilation)]
        slices = [lax.slice(x, [o * d for o, d in zip(offset, dilation)],
                            [o * d + (m - 1) * s + 1 for o, d, m, s in zip(offset, dilation, out, strides)], strides)
                  for offset in itertools.product(*(range(k) for k in window))]
        return jnp.max(jnp.stack(slices), axis=0)

    def reduce_window(x):
        return lax.reduce_window(x, -np.inf, lax.max, window, strides, ((0, 0),) * rank, window_dilation=dilation)
    return Case(f, [x], text=lower(reduce_window, x))


def pooling_module(kind, x_shape, window, **options):
    """@main(x, init) of one reduce_window, built with ir.ops (JAX's pooling primitives have no init)."""
    builder = ir.FunctionBuilder("main", [(x_shape, np.dtype(np.float64)), ((), np.dtype(np.float64))])
    with builder.context, mlir.Location.unknown(), mlir.InsertionPoint(builder.block):
        x, init = builder.arguments
        out = ops.reduce_window(x, init, window, {"max": ops.maximum, "sum": ops.add}[kind], **options)
    return ir.print_module(builder.finish([out]))


def max_with_init(x_shape, window, init, strides=None, padding=None, base=None):
    """Max pooling from an init that is not the identity (a second, differentiated argument). The oracle
    pads explicitly: padding and holes hold the init, which also bounds every window from below."""
    x = rng.standard_normal(x_shape)
    rank = len(x_shape)
    strides, padding, base = strides or (1,) * rank, padding or ((0, 0),) * rank, base or (1,) * rank

    def f(x, c):
        padded = lax.pad(x, c, [(lo, hi, b - 1) for (lo, hi), b in zip(padding, base)])
        return lax.max(lax.reduce_window(padded, -np.inf, lax.max, window, strides, "VALID"), c)

    text = pooling_module("max", x_shape, window, window_strides=strides, padding=padding, base_dilations=base)
    return Case(f, [x, np.float64(init)], text=text)


def max_pool_gradient(x_shape, window, strides, padding):
    """select_and_scatter as JAX emits it: the cotangent of max pooling, a function of the input and the
    pooled cotangent (differentiated with respect to both)."""
    x = rng.standard_normal(x_shape)

    def pooled(x):
        return lax.reduce_window(x, -np.inf, lax.max, window, strides, padding)

    source = rng.standard_normal(jax.eval_shape(pooled, x).shape)

    def f(x, s):
        return jax.vjp(pooled, x)[1](s)[0]
    case = Case(f, [x, source])
    assert "stablehlo.select_and_scatter" in case.text
    return case


def ties(kind, x_shape, window, strides, padding=None):
    """Pooling of small integers (as floats): many windows with tied extremes."""
    x = rng.integers(0, 3, x_shape).astype(np.float64)
    init, op = {"max": (-np.inf, lax.max), "min": (np.inf, lax.min)}[kind]
    rank = len(x_shape)

    def f(x):
        return lax.reduce_window(x, init, op, window, strides, padding or ((0, 0),) * rank)
    return Case(f, [x])


CASES = {
    "max 2x2 stride 2": lambda: pool("max", (2, 2, 4, 6), (1, 1, 2, 2), (1, 1, 2, 2)),
    "max overlapping, padded": lambda: pool("max", (2, 5, 4), (1, 3, 2), (1, 1, 2), ((0, 0), (1, 1), (1, 0))),
    "max stride not dividing": lambda: pool("max", (7, 5), (3, 2), (2, 2)),
    "max base dilation": lambda: pool("max", (5, 4), (3, 2), (1, 2), ((1, 0), (0, 1)), base=(2, 1)),
    "max negative padding": lambda: pool("max", (6, 5), (2, 2), (1, 2), ((-1, 0), (0, -1))),
    "max dilated window": lambda: patches_max((7, 6), (2, 2), (1, 2), (2, 2)),
    "min overlapping": lambda: pool("min", (3, 6), (2, 3), (1, 1), ((0, 1), (1, 1))),
    "sum strides and padding": lambda: pool("sum", (2, 6, 5), (1, 3, 2), (1, 2, 1), ((0, 0), (1, 2), (0, 1))),
    "sum dilations": lambda: pool("sum", (5, 6), (2, 3), (2, 1), ((1, 1), (2, 0)), base=(2, 1), dilation=(1, 2)),
    "sum negative padding": lambda: pool("sum", (6, 5), (2, 2), (1, 1), ((-1, 1), (0, -2))),
    "max from an init": lambda: max_with_init((4, 5), (2, 2), 0.3, (2, 1)),
    "max from an init, padded": lambda: max_with_init((4, 5), (2, 3), -0.2, (1, 2), ((1, 0), (0, 1)), base=(1, 2)),
    "select_and_scatter": lambda: max_pool_gradient((2, 5, 6), (1, 2, 3), (1, 2, 2), ((0, 0), (0, 1), (1, 1))),
    "select_and_scatter overlapping": lambda: max_pool_gradient((5, 4), (3, 2), (1, 1), ((1, 1), (0, 0))),
}
# The transposes of the rules' forward-mode output (the picks' own reverse rule) for a few rows.
REVERSE_OF_FORWARD = {"max overlapping, padded", "max dilated window", "max base dilation", "select_and_scatter"}


@pytest.mark.parametrize("name", list(CASES))
def test_reduce_window(name):
    check(CASES[name](), reverse_of_forward=name in REVERSE_OF_FORWARD)


@st.composite
def poolings(draw):
    """A pooling with drawn kind, sizes (1s included), strides, padding and dilations (no dilated max
    windows: JAX has no transpose for them; the table has a row with its own oracle)."""
    kind, rank = draw(st.sampled_from(["max", "min", "sum"])), draw(st.integers(1, 3))
    shape = [draw(st.integers(1, 4)) for _ in range(rank)]
    window = [draw(st.integers(1, 3)) for _ in range(rank)]
    strides = [draw(st.integers(1, 2)) for _ in range(rank)]
    padding = [(draw(st.integers(0, 1)), draw(st.integers(0, 1))) for _ in range(rank)]
    base = [draw(st.integers(1, 2)) for _ in range(rank)]
    dilation = [draw(st.integers(1, 2)) if kind == "sum" else 1 for _ in range(rank)]
    for n, k, (lo, hi), b, d in zip(shape, window, padding, base, dilation):
        assume((n - 1) * b + 1 + lo + hi >= (k - 1) * d + 1)  # at least one window
    return kind, shape, window, strides, padding, base, dilation


@helpers.xla_settings(max_examples=4)
@given(poolings())
def test_pooling_drawn(configuration):
    check(pool(*configuration))


TIES = {
    "max ties": lambda: ties("max", (6, 7), (3, 2), (1, 2)),
    "min ties, padded": lambda: ties("min", (5, 6), (2, 3), (2, 1), ((1, 0), (1, 1))),
}


@pytest.mark.parametrize("name", list(TIES))
def test_pooling_ties_go_to_the_first_extreme(name):
    """At ties pooling has no derivative; like JAX (select_and_scatter with GE), ours sends it to the first
    extreme in window order, in both modes."""
    check(TIES[name](), fd=False)


@pytest.mark.parametrize("mode", [autodiff.reverse, autodiff.forward])
def test_a_summing_init_is_not_differentiated(mode):
    """XLA reads a sum's init as the identity: what any other init does is implementation-defined."""
    text = pooling_module("sum", (4, 5), (2, 2))
    with pytest.raises(autodiff.AutodiffError, match="init value of a summing stablehlo.reduce_window"):
        mode(text, wrt=(0, 1))
    mode(text, wrt=(0,))  # (the summed operand is)


def test_max_pooling_reverse_is_select_and_scatter():
    """The cotangent of undilated max pooling is one select_and_scatter (XLA's pooling-gradient kernel),
    not a scatter through computed indices, which is kept for dilated windows."""
    x = np.zeros((2, 6, 6))
    plain = lower(lambda x: lax.reduce_window(x, -np.inf, lax.max, (1, 2, 2), (1, 2, 2), "VALID"), x)
    dilated = lower(lambda x: lax.reduce_window(x, -np.inf, lax.max, (1, 2, 2), (1, 1, 1), "VALID",
                                                window_dilation=(1, 2, 2)), x)
    plain, dilated = (ir.print_module(autodiff.reverse(text)) for text in (plain, dilated))
    assert "stablehlo.select_and_scatter" in plain and "stablehlo.scatter" not in plain
    assert "stablehlo.select_and_scatter" not in dilated and "stablehlo.scatter" in dilated


def _window_module(body):
    builder = ir.FunctionBuilder("main", [((4, 4), np.dtype(np.float64))])
    with builder.context, mlir.Location.unknown(), mlir.InsertionPoint(builder.block):
        out = body(builder.arguments[0])
    return ir.print_module(builder.finish([out]))


@pytest.mark.parametrize("mode", [autodiff.reverse, autodiff.forward])
@pytest.mark.parametrize("what, body", [
    ("reduce_window with a stablehlo.multiply body",
     lambda x: ops.reduce_window(x, ops.constant(np.float64(1)), (2, 2), ops.multiply)),
    ("select_and_scatter has a derivative rule only for",
     lambda x: ops.select_and_scatter(x, ops.constant(np.ones((3, 3))), ops.constant(np.float64(0)), (2, 2),
                                      lambda a, b: ops.compare(a, b, "GE"), ops.maximum)),
])
def test_unsupported_window_bodies_name_the_op(mode, what, body):
    with pytest.raises(autodiff.AutodiffError, match=what):
        mode(_window_module(body), wrt=(0,))
