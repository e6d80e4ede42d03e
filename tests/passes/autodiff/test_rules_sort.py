"""`stablehlo.sort` derivative rules: any number of operands, keys and carried values, stable or not,
against `jax.vjp`/`jax.jvp` of `lax.sort` (first and second order) and against float64 finite differences
where no keys tie. At ties both follow the sort's own order of the tied elements."""

from __future__ import annotations

import helpers
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from jax import lax
from jaxlib.mlir import ir as mlir
from rule_oracles import Case, check

import ir
from ir import ops

rng = np.random.default_rng(0)


def sort_case(arrays, dimension=-1, num_keys=1, is_stable=True):
    def f(*operands):
        return lax.sort(operands, dimension=dimension, num_keys=num_keys, is_stable=is_stable)
    return Case(f, arrays)


def descending(shape, dimension):
    """A comparator of our own (GT), built with ir.ops; the oracle sorts the negation."""
    x = rng.standard_normal(shape)
    builder = ir.FunctionBuilder("main", [(x.shape, x.dtype)])
    with builder.context, mlir.Location.unknown(), mlir.InsertionPoint(builder.block):
        (out,) = ops.sort([builder.arguments[0]], dimension, lambda lhs, rhs: ops.compare(lhs[0], rhs[0], "GT"))
    return Case(lambda x: -lax.sort(-x, dimension=dimension), [x], text=ir.print_module(builder.finish([out])))


def small_integers(shape):
    return rng.integers(0, 3, shape).astype(np.float64)


CASES = {
    "one operand": lambda: sort_case([rng.standard_normal(7)]),
    "rows along dim 0": lambda: sort_case([rng.standard_normal((5, 3))], dimension=0),
    "keys and values": lambda: sort_case([rng.standard_normal((3, 6)), rng.standard_normal((3, 6))]),
    "integer keys, float values": lambda: sort_case([rng.integers(0, 4, (2, 6)).astype(np.int32),
                                                     rng.standard_normal((2, 6))]),
    "two keys, three operands": lambda: sort_case([rng.integers(0, 3, (4, 5)), rng.standard_normal((4, 5)),
                                                   rng.standard_normal((4, 5))], dimension=1, num_keys=2),
    "unstable": lambda: sort_case([rng.standard_normal((3, 5)), rng.standard_normal((3, 5))], is_stable=False),
    "descending comparator": lambda: descending((4, 5), 1),
}
TIES = {
    "tied keys": lambda: sort_case([small_integers(9)]),
    "tied keys carrying values": lambda: sort_case([small_integers((2, 7)), rng.standard_normal((2, 7))]),
    "tied keys carrying values, unstable": lambda: sort_case([small_integers((2, 7)), rng.standard_normal((2, 7))],
                                                             is_stable=False),
}
REVERSE_OF_FORWARD = {"keys and values", "integer keys, float values"}


@pytest.mark.parametrize("name", list(CASES))
def test_sort(name):
    check(CASES[name](), reverse_of_forward=name in REVERSE_OF_FORWARD)


@pytest.mark.parametrize("name", list(TIES))
def test_sort_with_ties(name):
    """No finite differences at ties (moving a tied key reorders); derivatives follow the sort's order."""
    check(TIES[name](), fd=False)


@helpers.xla_settings(max_examples=4)
@given(st.lists(st.integers(1, 4), min_size=1, max_size=3), st.integers(1, 3), st.data())
def test_sort_drawn(shape, operands, data):
    """Drawn shapes (1s included), sort dimension and operand count; the first key has no ties."""
    dimension = data.draw(st.integers(0, len(shape) - 1))
    num_keys = data.draw(st.integers(1, operands))
    check(sort_case([rng.standard_normal(shape) for _ in range(operands)], dimension=dimension, num_keys=num_keys))
