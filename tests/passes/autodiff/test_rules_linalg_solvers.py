"""`stablehlo.cholesky` and `stablehlo.triangular_solve` derivative rules in every variant (lower/upper,
left/right, transposed, unit diagonal, batched): reverse, forward and second order against
`jax.vjp`/`jax.jvp` of `lax.linalg` and against float64 finite differences.

The modules are built with ir.ops (JAX lowers both ops to LAPACK calls on CPU). Each op reads one
triangle of its matrix, so the oracles read that triangle explicitly."""

from __future__ import annotations

import itertools

import jax.numpy as jnp
import numpy as np
import pytest
from jax import lax
from jaxlib.mlir import ir as mlir
from rule_oracles import Case, check

import ir
from ir import ops

rng = np.random.default_rng(0)


def module(args, body) -> str:
    builder = ir.FunctionBuilder("main", [(a.shape, a.dtype) for a in args])
    with builder.context, mlir.Location.unknown(), mlir.InsertionPoint(builder.block):
        out = body(*builder.arguments)
    return ir.print_module(builder.finish([out]))


def _triangle(x, lower):
    """The factor's triangle (XLA zeroes the other; the spec leaves it undefined, so the module masks it)."""
    shape = ops.shape_of(x)
    rows, columns = (ops.iota(shape, len(shape) - k, np.int32) for k in (2, 1))
    return ops.select(ops.compare(rows, columns, "GE" if lower else "LE"), x, ops.constant(np.zeros(shape)))


def cholesky(batch, n, lower):
    m = rng.standard_normal((*batch, n, n))
    a = m @ np.swapaxes(m, -1, -2) + n * np.eye(n)
    a = a + np.tril(rng.standard_normal(a.shape), -1) if not lower else a  # (the unread triangle may differ)

    def f(a):
        a = a if lower else jnp.swapaxes(a, -1, -2)  # the read triangle, as a lower one, mirrored
        factor = jnp.tril(lax.linalg.cholesky(jnp.tril(a) + jnp.swapaxes(jnp.tril(a, -1), -1, -2),
                                              symmetrize_input=False))
        return factor if lower else jnp.swapaxes(factor, -1, -2)
    return Case(f, [a], text=module([a], lambda a: _triangle(ops.cholesky(a, lower=lower), lower)))


def triangular_solve(batch, n, k, *, left, lower, unit, transpose):
    a = rng.standard_normal((*batch, n, n)) + 2 * n * np.eye(n)  # a dominant diagonal: well conditioned
    b = rng.standard_normal((*batch, n, k) if left else (*batch, k, n))

    def f(a, b):
        return lax.linalg.triangular_solve(a, b, left_side=left, lower=lower, unit_diagonal=unit,
                                           transpose_a=transpose != "NO_TRANSPOSE")

    def body(a, b):
        return ops.triangular_solve(a, b, left_side=left, lower=lower, unit_diagonal=unit, transpose_a=transpose)
    return Case(f, [a, b], text=module([a, b], body))


SOLVES = {
    f"{'left' if left else 'right'} {'lower' if lower else 'upper'}{' unit' if unit else ''} {transpose}":
        (lambda left=left, lower=lower, unit=unit, transpose=transpose:
         triangular_solve((), 3, 2, left=left, lower=lower, unit=unit, transpose=transpose))
    for left, lower, unit, transpose in itertools.product((True, False), (True, False), (False, True),
                                                          ("NO_TRANSPOSE", "TRANSPOSE"))
}
SOLVES["batched left upper ADJOINT"] = lambda: triangular_solve((2, 3), 3, 2, left=True, lower=False, unit=False,
                                                                transpose="ADJOINT")
SOLVES["batched right lower"] = lambda: triangular_solve((2,), 4, 3, left=False, lower=True, unit=False,
                                                         transpose="NO_TRANSPOSE")
CHOLESKY = {
    "lower": lambda: cholesky((), 4, True),
    "upper": lambda: cholesky((), 4, False),
    "batched lower": lambda: cholesky((2, 3), 3, True),
    "batched upper": lambda: cholesky((2,), 3, False),
}


@pytest.mark.parametrize("name", list(SOLVES))
def test_triangular_solve(name):
    check(SOLVES[name](), reverse_of_forward=name == "batched left upper ADJOINT")


@pytest.mark.parametrize("name", list(CHOLESKY))
def test_cholesky(name):
    check(CHOLESKY[name](), rtol=1e-8, atol=1e-8, reverse_of_forward=name == "batched upper")
