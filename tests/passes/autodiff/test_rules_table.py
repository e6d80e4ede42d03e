"""The derivative rules, one table row per op, against JAX and finite differences (like JAX's lax_autodiff_test).

Each row is a `jax.lax`/`jax.numpy` function: JAX prints the module we differentiate and, as an oracle,
differentiates the same function (`ad_checks`). Every row is checked in reverse mode, forward mode and
second order (forward over reverse), against `jax.vjp`/`jax.jvp` and central differences in float64,
on shapes hypothesis draws (size-1 and empty axes included). A family's rows share one module per
example, so the table costs two XLA compiles per family and example. Ties (max/min, clamp at a bound,
reductions) compare against JAX only: no finite difference has an answer there.

The families here mirror `passes/autodiff/rules/` (elementwise, shape, reduction, linalg, barriers), plus
StableHLO control flow as JAX prints it. Rules in other rule files are tabled in their own
`test_rules_<family>.py`; `test_every_rule_has_a_row` holds both to every op of the rule tables.
"""

from __future__ import annotations

import re
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from ad_checks import (Row, Static, assert_rows_emitted, check_reverse_of_reverse, check_rows, lower, mlir_type,
                       run_text)
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from jax import lax

import ir
from helpers import xla_settings
from passes import autodiff

F32, F64 = np.dtype(np.float32), np.dtype(np.float64)


# -- argument strategies ---------------------------------------------------------------------------------
# Values come from a NumPy generator seeded by hypothesis: generic points (no accidental ties or kinks)
# where a row wants them, a grid of a few values where it wants ties.
def _rng(draw) -> np.random.Generator:
    return np.random.default_rng(draw(st.integers(0, 2**32 - 1)))


class Away:
    """Values of magnitude in [low, high], either sign: away from a kink or pole at 0."""

    def __init__(self, low, high):
        self.low, self.high = low, high


def _values(rng, shape, domain, dtype=F64):
    if isinstance(domain, Away):
        return (rng.uniform(domain.low, domain.high, shape) * rng.choice([-1.0, 1.0], shape)).astype(dtype)
    if isinstance(domain, tuple) and len(domain) == 2:
        return rng.uniform(*domain, shape).astype(dtype)
    return rng.choice(np.asarray(domain, dtype), shape)  # a grid: ties on purpose


SHAPES = hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=3)
TIES = [-1.0, 0.0, 1.0]


def elementwise(*domains, dtype=F64, shapes=SHAPES):
    """Operands of one drawn shape, operand i drawn from domains[i] ((low, high), Away, or a grid)."""

    @st.composite
    def strategy(draw):
        shape, rng = draw(shapes), _rng(draw)
        return tuple(_values(rng, shape, domain, dtype) for domain in domains)

    return strategy()


def _axes(draw, rank, *, min_size=0):
    return tuple(sorted(draw(st.sets(st.integers(0, rank - 1), min_size=min_size, max_size=rank)))) if rank else ()


def _unary(op, fn, domain=(-2.0, 2.0), **options):
    return Row(op, fn, elementwise(domain), **options)


def _binary(op, fn, x=(-2.0, 2.0), y=(-2.0, 2.0), **options):
    return Row(op, fn, elementwise(x, y), **options)


def _module(arguments, result_type, body) -> str:
    """A one-function module: @main(%a0, %a1, ...) whose body is `body` (an op line assigning %r)."""
    signature = ", ".join(f"%a{i}: {mlir_type(a)}" for i, a in enumerate(arguments))
    return (f"func.func public @main({signature}) -> {result_type} {{\n  {body}\n"
            f"  return %r : {result_type}\n}}")


def _logistic_text(x):
    return _module([x], mlir_type(x), f"%r = stablehlo.logistic %a0 : {mlir_type(x)}")


def _relu_text(x):
    """tracer.nn.relu's maximum(x, 0), marked with relu's derivative (JAX prints an unmarked max)."""
    return _module([x], mlir_type(x), f"%z = stablehlo.constant dense<0.0> : {mlir_type(x)}\n"
                                      f'  %r = stablehlo.maximum %a0, %z {{pyreactant.derivative = "relu"}} : {mlir_type(x)}')


def _clamp_text(low, x, high):
    """clamp with 0-d bounds, as the tracer emits it (JAX broadcasts them first)."""
    types = f"({mlir_type(low)}, {mlir_type(x)}, {mlir_type(high)}) -> {mlir_type(x)}"
    return _module([low, x, high], mlir_type(x), f"%r = stablehlo.clamp %a0, %a1, %a2 : {types}")


def _clamp_broadcast(low, x, high):
    """The oracle for 0-d bounds: JAX's clamp rule fails on 0-d bounds of a larger operand
    ("select cases must have the same shapes"), so the bounds are broadcast first, as JAX lowers them."""
    return lax.clamp(jnp.broadcast_to(low, x.shape), x, jnp.broadcast_to(high, x.shape))


@jax.custom_jvp
def _zeta(s, q):
    return lax.zeta(s, q)


@_zeta.defjvp
def _zeta_jvp(primals, tangents):
    """JAX has no derivative for zeta. For integer s, d/dq zeta(s, q) = (-1)^s polygamma(s, q) / (s - 1)!
    (an identity independent of the rule's -s zeta(s + 1, q)); JAX differentiates polygamma in q."""
    s, q = primals
    factorial = jnp.exp(lax.lgamma(s))
    derivative = jnp.where(s % 2 == 0, 1.0, -1.0) * lax.polygamma(s, q) / factorial
    return _zeta(s, q), derivative * tangents[1]


@st.composite
def _remainder_inputs(draw):
    """x = (k + u) y with u in (0.1, 0.9): away from the jumps of rem(x, y) at x / y integer."""
    shape, rng = draw(SHAPES), _rng(draw)
    y = _values(rng, shape, Away(0.5, 2.0))
    quotient = rng.integers(-3, 4, shape) + rng.uniform(0.1, 0.9, shape) * rng.choice([-1.0, 1.0], shape)
    return quotient * y, y


@st.composite
def _power_zeros(draw):
    """Bases with zeros and exponents with zeros, but not both at once (JAX's d/dx of 0^0 is nan)."""
    shape, rng = draw(SHAPES), _rng(draw)
    x, y = _values(rng, shape, [0.0, 0.5, 1.5]), _values(rng, shape, [0.0, 2.0, 2.5, 3.0])
    return x, np.where((x == 0) & (y == 0), 2.0, y)


@st.composite
def _clamp_inputs(draw, *, scalar_bounds: bool, ties: bool = False):
    shape, rng = draw(SHAPES), _rng(draw)
    bound_shape = () if scalar_bounds else shape
    if ties:  # x on a bound, bounds equal, bounds crossed
        grid = [-1.0, 0.0, 1.0]
        return _values(rng, bound_shape, grid), _values(rng, shape, grid), _values(rng, bound_shape, grid)
    return (_values(rng, bound_shape, (-1.0, -0.2)), _values(rng, shape, (-2.0, 2.0)),
            _values(rng, bound_shape, (0.2, 1.0)))


@st.composite
def _select_inputs(draw):
    shape, rng = draw(SHAPES), _rng(draw)
    return rng.random(shape) < 0.5, _values(rng, shape, (-2.0, 2.0)), _values(rng, shape, (-2.0, 2.0))


ELEMENTWISE = [
    _unary("stablehlo.exponential", lax.exp),
    _unary("stablehlo.exponential_minus_one", lax.expm1),
    _unary("stablehlo.log", lax.log, (0.2, 3.0)),
    _unary("stablehlo.log_plus_one", lax.log1p, (-0.5, 2.0)),
    _unary("stablehlo.sqrt", lax.sqrt, (0.2, 3.0)),
    _unary("stablehlo.rsqrt", lax.rsqrt, (0.2, 3.0)),
    _unary("stablehlo.cbrt", lax.cbrt, Away(0.2, 3.0)),
    _unary("stablehlo.tanh", lax.tanh),
    _unary("stablehlo.logistic", lax.logistic, text=_logistic_text),
    _unary("stablehlo.sine", lax.sin),
    _unary("stablehlo.cosine", lax.cos),
    _unary("stablehlo.tan", lax.tan, (-1.2, 1.2)),
    _unary("stablehlo.abs", lax.abs, Away(0.2, 3.0)),
    # |x|' at 0 is 1, as JAX has it.
    _unary("stablehlo.abs", lax.abs, TIES, tag="at 0", finite_differences=False),
    _unary("stablehlo.negate", lax.neg),
]

# The CHLO functions XLA expands into long polynomial and series code (compiled apart: one module of
# everything compiles slower than two halves).
SPECIAL = [
    _unary("chlo.asin", lax.asin, (-0.9, 0.9)),
    _unary("chlo.acos", lax.acos, (-0.9, 0.9)),
    _unary("chlo.atan", lax.atan, (-3.0, 3.0)),
    _unary("chlo.sinh", lax.sinh),
    _unary("chlo.cosh", lax.cosh),
    _unary("chlo.asinh", lax.asinh, (-3.0, 3.0)),
    _unary("chlo.acosh", lax.acosh, (1.2, 3.0)),
    _unary("chlo.atanh", lax.atanh, (-0.9, 0.9)),
    _unary("chlo.erf", lax.erf),
    _unary("chlo.erfc", lax.erfc),
    _unary("chlo.erf_inv", lax.erf_inv, (-0.9, 0.9)),
    _unary("chlo.lgamma", lax.lgamma, (0.5, 4.0)),
    _unary("chlo.digamma", lax.digamma, (0.5, 4.0)),
    # The order n of polygamma and s of zeta are not variables (JAX does not differentiate them either).
    Row("chlo.polygamma", lax.polygamma, elementwise([1.0, 2.0], (0.5, 3.0)), wrt=(1,)),
    Row("chlo.zeta", _zeta, elementwise([2.0, 3.0], (0.5, 3.0)), wrt=(1,), rtol=1e-7),
]

BINARY = [
    _binary("stablehlo.add", lax.add),
    _binary("stablehlo.subtract", lax.sub),
    _binary("stablehlo.multiply", lax.mul),
    _binary("stablehlo.divide", lax.div, y=Away(0.5, 2.0)),
    _binary("stablehlo.power", lax.pow, x=(0.2, 2.0)),
    # 0^y and x^0 (0^0 itself: test_power_at_zero_base_and_exponent): log(0) counts as 0 in d/dy.
    Row("stablehlo.power", lax.pow, _power_zeros(), tag="zero base or exponent", finite_differences=False),
    _binary("stablehlo.atan2", lax.atan2, x=Away(0.2, 2.0), y=Away(0.2, 2.0)),
    Row("stablehlo.remainder", lax.rem, _remainder_inputs()),
    _binary("stablehlo.maximum", lax.max),
    _binary("stablehlo.minimum", lax.min),
    # Ties split the derivative evenly, as JAX does.
    _binary("stablehlo.maximum", lax.max, x=TIES, y=TIES, tag="ties", finite_differences=False),
    _binary("stablehlo.minimum", lax.min, x=TIES, y=TIES, tag="ties", finite_differences=False),
    # tracer.nn.relu: JAX's relu derivative, 0 at x = 0 (no tie split)
    _unary("stablehlo.maximum:relu", jax.nn.relu, domain=Away(0.1, 2.0), text=_relu_text),
    _unary("stablehlo.maximum:relu", jax.nn.relu, domain=TIES, tag="at 0", text=_relu_text, finite_differences=False),
    Row("stablehlo.select", lax.select, _select_inputs()),
    Row("stablehlo.clamp", lax.clamp, _clamp_inputs(scalar_bounds=False), tag="tensor bounds"),
    Row("stablehlo.clamp", _clamp_broadcast, _clamp_inputs(scalar_bounds=True), tag="0-d bounds", text=_clamp_text),
    Row("stablehlo.clamp", lax.clamp, _clamp_inputs(scalar_bounds=False, ties=True), tag="ties",
        finite_differences=False),
    Row("stablehlo.clamp", _clamp_broadcast, _clamp_inputs(scalar_bounds=True, ties=True), tag="0-d bounds, ties",
        text=_clamp_text, finite_differences=False),
    Row("stablehlo.convert", lambda x: lax.convert_element_type(x, F64), elementwise((-2.0, 2.0), dtype=F32),
        tag="f32 to f64"),
    Row("stablehlo.convert", lambda x: lax.convert_element_type(x, F32), elementwise((-2.0, 2.0)),
        tag="f64 to f32", rtol=1e-6),
    # Rounding to 10 mantissa bits is flat between representable values: no finite differences.
    _unary("stablehlo.reduce_precision", lambda x: lax.reduce_precision(x, exponent_bits=5, mantissa_bits=10),
           finite_differences=False),
]


# -- shape -----------------------------------------------------------------------------------------------
def _array(draw, shape, domain=(-2.0, 2.0), dtype=F64):
    return _values(_rng(draw), shape, domain, dtype)


@st.composite
def _transpose_inputs(draw):
    shape = draw(hnp.array_shapes(min_dims=2, max_dims=4, min_side=0, max_side=3))
    permutation = draw(st.permutations(range(len(shape))).filter(lambda p: list(p) != sorted(p)))
    return _array(draw, shape), Static(tuple(permutation))


@st.composite
def _reshape_inputs(draw):
    shape = draw(SHAPES)
    return _array(draw, shape), Static(tuple(reversed(shape)) + (1,))


@st.composite
def _broadcast_inputs(draw):
    """An operand with size-1 dims, broadcast into a larger shape: new dims, stretched 1s and kept sides."""
    out_shape = draw(hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=3))
    dims = _axes(draw, len(out_shape))
    operand_shape = tuple(draw(st.sampled_from([1, out_shape[d]])) for d in dims)
    return _array(draw, operand_shape), Static(out_shape), Static(dims)


@st.composite
def _transposing_broadcast_inputs(draw):
    """broadcast_dimensions that do not increase (JAX never prints them; StableHLO allows them)."""
    out_shape = draw(hnp.array_shapes(min_dims=2, max_dims=4, min_side=0, max_side=3))
    dims = draw(st.permutations(range(len(out_shape))).map(lambda p: tuple(p[:draw(st.integers(2, len(p)))]))
                .filter(lambda d: list(d) != sorted(d)))
    operand_shape = tuple(draw(st.sampled_from([1, out_shape[d]])) for d in dims)
    return _array(draw, operand_shape), Static(out_shape), Static(dims)


def _transposing_broadcast(x, out_shape, dims):
    """The oracle: the operand transposed into the result's dim order, then broadcast."""
    order = sorted(range(len(dims)), key=lambda k: dims[k])
    shape = [1] * len(out_shape)
    for k in order:
        shape[dims[k]] = x.shape[k]
    return jnp.broadcast_to(jnp.transpose(x, order).reshape(shape), out_shape)


def _transposing_broadcast_text(x, out_shape, dims):
    out_type = mlir_type(np.zeros(out_shape))
    return _module([x], out_type, f"%r = stablehlo.broadcast_in_dim %a0, dims = {list(dims)} : "
                                  f"({mlir_type(x)}) -> {out_type}")


@st.composite
def _slice_inputs(draw):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=5))
    start, limit, strides = [], [], []
    for side in shape:
        begin = draw(st.integers(0, side))
        start.append(begin)
        limit.append(draw(st.integers(begin, side)))
        strides.append(draw(st.integers(1, 3)))
    return _array(draw, shape), Static(tuple(start)), Static(tuple(limit)), Static(tuple(strides))


@st.composite
def _pad_inputs(draw):
    """Edge padding from -2 (a crop) to 2 and interior padding up to 2, on each dim; the padding value is
    an argument too (its cotangent sums the padded places)."""
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=4))
    config = []
    for side in shape:
        interior = draw(st.integers(0, 2))
        grown = side + max(side - 1, 0) * interior
        low = draw(st.integers(max(-2, -grown), 2))
        high = draw(st.integers(max(-2, -(grown + low)), 2))
        config.append((low, high, interior))
    rng = _rng(draw)
    return _values(rng, shape, (-2.0, 2.0)), _values(rng, (), (-2.0, 2.0)), Static(tuple(config))


@st.composite
def _concatenate_inputs(draw):
    shape = list(draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=3)))
    axis = draw(st.integers(0, len(shape) - 1))
    pieces = []
    for _ in range(3):
        shape[axis] = draw(st.integers(0, 3))
        pieces.append(_array(draw, tuple(shape)))
    return (*pieces, Static(axis))


@st.composite
def _reverse_inputs(draw):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=3))
    return _array(draw, shape), Static(_axes(draw, len(shape), min_size=1))


@st.composite
def _dynamic_slice_inputs(draw, *, update: bool):
    """Start indices anywhere in [-6, 6]: JAX wraps negative ones, then the op clamps the window inside."""
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=4))
    sizes = tuple(draw(st.integers(0, side)) for side in shape)
    starts = [np.int32(draw(st.integers(-6, 6))) for _ in shape]
    operand = _array(draw, shape)
    if update:
        return (operand, _array(draw, sizes), *starts)
    return (operand, *starts, Static(sizes))


def _dynamic_slice(x, *rest):
    *starts, sizes = rest
    return lax.dynamic_slice(x, starts, sizes)


SHAPE = [
    Row("stablehlo.reshape", jnp.reshape, _reshape_inputs()),
    Row("stablehlo.transpose", lax.transpose, _transpose_inputs()),
    Row("stablehlo.broadcast_in_dim", lax.broadcast_in_dim, _broadcast_inputs()),
    Row("stablehlo.broadcast_in_dim", _transposing_broadcast, _transposing_broadcast_inputs(), tag="transposing",
        text=_transposing_broadcast_text),
    Row("stablehlo.slice", lax.slice, _slice_inputs()),
    Row("stablehlo.pad", lax.pad, _pad_inputs()),
    Row("stablehlo.concatenate", lambda a, b, c, axis: lax.concatenate([a, b, c], axis), _concatenate_inputs()),
    Row("stablehlo.reverse", lax.rev, _reverse_inputs()),
    Row("stablehlo.dynamic_slice", _dynamic_slice, _dynamic_slice_inputs(update=False)),
    Row("stablehlo.dynamic_update_slice", lambda x, u, *starts: lax.dynamic_update_slice(x, u, starts),
        _dynamic_slice_inputs(update=True)),
]


# -- reduction -------------------------------------------------------------------------------------------
@st.composite
def _reduce_inputs(draw, domain=(-2.0, 2.0), *, min_side=0):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=min_side, max_side=3))
    return _array(draw, shape, domain), Static(_axes(draw, len(shape), min_size=1))


# Products: nonzero factors, and factors with zeros (one zero in a slice, or more).
PRODUCT_GRID = [0.0, 0.5, -1.5, 2.0]

REDUCTION = [
    Row("stablehlo.reduce", lambda x, axes: jnp.sum(x, axis=axes), _reduce_inputs(), tag="add"),
    # (max and min of an empty slice are -inf and inf: no finite differences there, so no empty sides)
    Row("stablehlo.reduce", lambda x, axes: jnp.max(x, axis=axes), _reduce_inputs(min_side=1), tag="max"),
    Row("stablehlo.reduce", lambda x, axes: jnp.min(x, axis=axes), _reduce_inputs(min_side=1), tag="min"),
    Row("stablehlo.reduce", lambda x, axes: jnp.max(x, axis=axes), _reduce_inputs(TIES, min_side=1), tag="max, ties",
        finite_differences=False),
    Row("stablehlo.reduce", lambda x, axes: jnp.min(x, axis=axes), _reduce_inputs(TIES, min_side=1), tag="min, ties",
        finite_differences=False),
    Row("stablehlo.reduce", lambda x, axes: jnp.prod(x, axis=axes), _reduce_inputs(Away(0.5, 1.5)), tag="mul"),
    Row("stablehlo.reduce", lambda x, axes: jnp.prod(x, axis=axes), _reduce_inputs(PRODUCT_GRID), tag="mul, zeros"),
]


# -- linalg ----------------------------------------------------------------------------------------------
@st.composite
def _dot_inputs(draw, lhs_dims: str, rhs_dims: str, dtype=F64):
    """Operands named by letters: a letter shared by both sides has one drawn size (batch or contracting)."""
    sizes = {letter: draw(st.integers(0, 3)) for letter in sorted(set(lhs_dims + rhs_dims))}
    rng = _rng(draw)
    return (_values(rng, tuple(sizes[c] for c in lhs_dims), (-2.0, 2.0), dtype),
            _values(rng, tuple(sizes[c] for c in rhs_dims), (-2.0, 2.0), dtype))


def _dot(contract, batch=((), ()), preferred=None):
    return lambda x, y: lax.dot_general(x, y, (contract, batch), preferred_element_type=preferred)


LINALG = [
    Row("stablehlo.dot_general", _dot(((1,), (0,))), _dot_inputs("mk", "kn"), tag="matmul"),
    Row("stablehlo.dot_general", _dot(((0,), (0,))), _dot_inputs("k", "k"), tag="vector dot"),
    Row("stablehlo.dot_general", _dot(((2,), (1,)), ((0,), (0,))), _dot_inputs("bmk", "bkn"), tag="batch"),
    # Two contracting dims, paired in another order than they appear; rhs free dims before and after.
    Row("stablehlo.dot_general", _dot(((1, 2), (2, 0))), _dot_inputs("mab", "bna"), tag="two contracting"),
    # Batch dims that are not leading, on both sides, and contracting dims before them.
    Row("stablehlo.dot_general", _dot(((2,), (0,)), ((1,), (2,))), _dot_inputs("mbk", "knb"), tag="inner batch"),
    Row("stablehlo.dot_general", _dot(((1,), (1,)), ((0, 2), (2, 0))), _dot_inputs("akb", "bka"),
        tag="two batch dims, no free"),
    Row("stablehlo.dot_general", _dot((( ), ( ))), _dot_inputs("m", "n"), tag="outer product"),
    # f32 operands with an f64 result: the cotangent comes back in f32.
    Row("stablehlo.dot_general", _dot(((1,), (0,)), preferred=F64), _dot_inputs("mk", "kn", F32),
        tag="f32 to f64"),
]


# -- barriers --------------------------------------------------------------------------------------------
def _barrier(x, y):
    a, b = lax.optimization_barrier((x, y))
    return a * b, b


_MESH = jax.make_mesh((1,), ("x",), axis_types=(jax.sharding.AxisType.Auto,))


def _sharding_constraint(x):
    spec = jax.sharding.PartitionSpec("x", *([None] * (x.ndim - 1)))
    return jnp.sin(lax.with_sharding_constraint(x, jax.sharding.NamedSharding(_MESH, spec)))


BARRIERS = [
    Row("stablehlo.optimization_barrier", _barrier, elementwise((-2.0, 2.0), (-2.0, 2.0))),
    Row("sdy.sharding_constraint", _sharding_constraint,
        elementwise((-2.0, 2.0), shapes=hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=3))),
]


# -- control flow, as JAX prints it --------------------------------------------------------------------
def _cond(p, x, y):
    return lax.cond(p, lambda a, b: jnp.sin(a) * b, lambda a, b: a / (1.0 + b * b), x, y)


def _switch(i, x, y):
    return lax.switch(i, [lambda a, b: a * b, lambda a, b: jnp.tanh(a) + b, lambda a, b: a - b * b], x, y)


def _fori(x, y):
    return lax.fori_loop(0, 3, lambda i, c: jnp.sin(c) * y + x, x)


def _while(x, y):
    """A counted while (i < 3), the form the pass reads a trip count from, carrying two floats."""
    def body(carry):
        i, a, b = carry
        return i + 1, a * jnp.cos(b), b + a * y
    return lax.while_loop(lambda carry: carry[0] < 3, body, (0, x, y))[1:]


def _while_unrolled(x, y):
    """The same three turns in Python: JAX reverses no lax.while_loop (the oracle for `_while`)."""
    a, b = x, y
    for _ in range(3):
        a, b = a * jnp.cos(b), b + a * y
    return a, b


def _scan(x, y):
    return lax.scan(lambda c, row: (c * jnp.tanh(row) + y, c * row), x, jnp.stack([x, y, x * y]))


@st.composite
def _branch_inputs(draw, branches):
    shape, rng = draw(SHAPES), _rng(draw)
    index = np.bool_(draw(st.booleans())) if branches == 2 else np.int32(draw(st.integers(-1, 3)))
    return index, _values(rng, shape, (-1.0, 1.0)), _values(rng, shape, (-1.0, 1.0))


CONTROL_FLOW = [
    Row("stablehlo.case", _cond, _branch_inputs(2), tag="cond"),
    Row("stablehlo.case", _switch, _branch_inputs(3), tag="switch"),
    Row("stablehlo.while", _fori, elementwise((-1.0, 1.0), (-1.0, 1.0)), tag="fori_loop"),
    Row("stablehlo.while", _while, elementwise((-1.0, 1.0), (-1.0, 1.0)), tag="counted while",
        oracle=_while_unrolled),
    Row("stablehlo.while", _scan, elementwise((-1.0, 1.0), (-1.0, 1.0)), tag="scan"),
]

FAMILIES = {"elementwise": ELEMENTWISE, "special": SPECIAL, "binary": BINARY, "shape": SHAPE, "reduction": REDUCTION, "linalg": LINALG,
            "barriers": BARRIERS, "control_flow": CONTROL_FLOW}
EXAMPLES = {"elementwise": 2, "special": 1, "binary": 2, "shape": 3, "reduction": 3, "linalg": 3, "barriers": 1,
            "control_flow": 2}
ALL_ROWS = [row for rows in FAMILIES.values() for row in rows]


def _family_test(rows, examples):
    @xla_settings(max_examples=examples)
    @given(st.tuples(*(row.inputs for row in rows)), st.integers(0, 2**16))
    def run(drawn, seed):
        check_rows(rows, drawn, seed=seed)

    run()
    assert_rows_emitted(rows)


@pytest.mark.parametrize("family", list(FAMILIES))
def test_family_against_jax_and_finite_differences(family):
    rows = [row for row in FAMILIES[family] if row.xfail is None]
    _family_test(rows, EXAMPLES[family])


@pytest.mark.parametrize("row", [pytest.param(row, marks=pytest.mark.xfail(strict=True, reason=row.xfail))
                                 for row in ALL_ROWS if row.xfail is not None], ids=lambda row: row.id)
def test_known_failures(row):
    """Rows that show a bug not fixed yet (in a file this table's author does not own): they must fail."""
    _family_test([row], 2)


# Second order by reversing the reverse module: one row per family (forward over reverse runs for all).
REVERSE_TWICE = {
    "elementwise": ["stablehlo.tanh", "stablehlo.rsqrt"],
    "special": ["chlo.atan"],
    "binary": ["stablehlo.power", "stablehlo.divide"],
    "shape": ["stablehlo.pad", "stablehlo.broadcast_in_dim", "stablehlo.dynamic_update_slice"],
    "reduction": ["stablehlo.reduce[mul, zeros]", "stablehlo.reduce[max]"],
    "linalg": ["stablehlo.dot_general[two contracting]"],
    "barriers": ["stablehlo.optimization_barrier"],
    "control_flow": ["stablehlo.case[switch]", "stablehlo.while[fori_loop]"],
}


@pytest.mark.parametrize("family", list(REVERSE_TWICE))
def test_reverse_of_reverse(family):
    rows = [row for row in FAMILIES[family] if row.id in REVERSE_TWICE[family]]
    assert len(rows) == len(REVERSE_TWICE[family]), "a REVERSE_TWICE name matches no row"

    @xla_settings(max_examples=2)
    @given(st.tuples(*(row.inputs for row in rows)), st.integers(0, 2**16))
    def run(drawn, seed):
        check_reverse_of_reverse(rows, drawn, seed=seed)

    run()


def test_every_rule_has_a_row():
    """Every op of the rule tables is a row here, or is named by another family's test_rules_<family>.py."""
    tabled = {row.op for row in ALL_ROWS}
    elsewhere = set()
    for path in Path(__file__).parent.glob("test_rules_*.py"):
        if path.name != Path(__file__).name:
            elsewhere.update(re.findall(r"\b(?:stablehlo|chlo|sdy|lapack)\.\w+", path.read_text()))
    missing = sorted((set(autodiff.JVP) | set(autodiff.VJP)) - tabled - elsewhere)
    assert not missing, f"rules without a table row: {missing}"
    unknown = sorted(op for op in tabled if not autodiff.has_rule(op) and op not in {"stablehlo.case", "stablehlo.while"})
    assert not unknown, f"rows for ops without a rule: {unknown}"



def test_power_at_zero_base_and_exponent():
    """0^0 = 1 and x^0 = 1 for every x, so d/dx is 0 there (JAX's formula gives 0 * inf = nan); d/dy of
    0^y jumps at y = 0 and counts log(0) as 0, as JAX does: both partials are 0."""
    text = lower(lax.pow, (np.zeros(3), np.zeros(3)))
    reverse = ir.print_module(autodiff.reverse(text, (0, 1)))
    forward = ir.print_module(autodiff.forward(text, (0, 1)))
    x, y, ones = np.zeros(3), np.zeros(3), np.ones(3)
    out, x_bar, y_bar = run_text(reverse, x, y, ones)
    np.testing.assert_array_equal(out, ones)
    np.testing.assert_array_equal(x_bar, np.zeros(3))
    np.testing.assert_array_equal(y_bar, np.zeros(3))
    _, out_dot = run_text(forward, x, y, ones, ones)
    np.testing.assert_array_equal(out_dot, np.zeros(3))
