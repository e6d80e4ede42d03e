"""Derivatives of `stablehlo.cholesky` and `stablehlo.triangular_solve` (`ir/ops/linalg.py`), batched,
in every lower/upper, left/right, transposed and unit-diagonal variant.

Each op reads one triangle of its matrix operand (and triangular_solve not the diagonal when it is a unit
one), so a tangent is read, and a cotangent given, only on that triangle. The derivatives are solves and
matrix products, whose own rules give second order:
- triangular_solve, x = op(a)^-1 b (left) or b op(a)^-1 (right): linear in b (the same solve); for a,
  dx = -op(a)^-1 op(da) x, whose transpose is -b_bar x^T (left) or -x^T b_bar (right), b_bar = op(a)^-T x_bar.
- cholesky, A = L L^T: dL = L phi(L^-1 dA L^-T), phi taking the lower triangle with half its diagonal
  (Murray, "Differentiation of the Cholesky decomposition", 2016); its transpose is
  S = L^-T phi(L^T L_bar) L^-1, folded onto the triangle the op reads (A's other triangle mirrors it).
  The upper factor is the transpose of the lower one of the transposed matrix. The factor's other
  triangle is implementation-defined (XLA zeroes it): it gets no tangent, and its cotangent is dropped.

Their LAPACK forms on CPU (`ir/ops/lapack.py`) share these rules: BLAS's trsm computes what triangular_solve
does (its derivative solves are trsm calls too), and potrf what cholesky does, except that potrf's other
triangle is its operand's, passed through, so its tangent and cotangent pass through as well.
"""

from __future__ import annotations

import numpy as np

from ir import ops, query
from ir.ops.lapack import lapack_kernel
from passes.autodiff.emit import add, full_like, neg, sub, zeros_like
from passes.autodiff.registry import JVP, VJP, replace_operands

__all__: list[str] = []

_TRANSPOSED = {"NO_TRANSPOSE": "TRANSPOSE", "TRANSPOSE": "NO_TRANSPOSE", "ADJOINT": "NO_TRANSPOSE"}


def _mT(x):
    rank = len(query.shape(x))
    return ops.transpose(x, list(range(rank - 2)) + [rank - 1, rank - 2])


def _matmul(a, b):
    batch = list(range(len(query.shape(a)) - 2))
    return ops.dot_general(a, b, batch=(batch, batch), contract=([len(batch) + 1], [len(batch)]))


def _position(x, how: str):
    """Where row vs column is `how` (GT: strictly below the diagonal, EQ: on it), as an i1 mask."""
    shape, rank = query.shape(x), len(query.shape(x))
    rows, columns = ops.iota(shape, rank - 2, np.int32), ops.iota(shape, rank - 1, np.int32)
    return ops.compare(rows, columns, how)


def _triangle(x, *, lower: bool, diagonal: bool = True):
    """x's lower (upper) triangle, with or without the diagonal; zeros elsewhere."""
    keep = _position(x, ("GE" if diagonal else "GT") if lower else ("LE" if diagonal else "LT"))
    return ops.select(keep, x, zeros_like(x))


def _phi(x):
    """The strictly lower triangle and half the diagonal."""
    half = ops.multiply(x, full_like(x, 0.5))
    return ops.select(_position(x, "GT"), x, ops.select(_position(x, "EQ"), half, zeros_like(x)))


# -- triangular_solve -------------------------------------------------------------------------------------
def _solve_attributes(op):
    if lapack_kernel(op) == "trsm":
        flags = ops.trsm_attributes(op)
        return flags["left_side"], flags["lower"], flags["unit_diagonal"], flags["transpose_a"]
    return (query.bool_attr(op, "left_side"), query.bool_attr(op, "lower"), query.bool_attr(op, "unit_diagonal"),
            query.enum_attr(op, "transpose_a"))


def _solver(op):
    """The builder of op's kind of solve (trsm's derivative solves by trsm: same arguments, same results)."""
    return ops.trsm if lapack_kernel(op) == "trsm" else ops.triangular_solve


def _triangular_solve_jvp(op, x_dots):
    a_dot, b_dot = x_dots
    left, lower, unit, transpose = _solve_attributes(op)
    tangent = None if b_dot is None else replace_operands(op, [None, b_dot]).results[0]
    if a_dot is not None:
        a_dot = _triangle(a_dot, lower=lower, diagonal=not unit)
        if transpose != "NO_TRANSPOSE":
            a_dot = _mT(a_dot)
        x = op.results[0]
        moved = _matmul(a_dot, x) if left else _matmul(x, a_dot)
        tangent = sub(tangent, replace_operands(op, [None, moved]).results[0])
    return [tangent]


def _triangular_solve_vjp(op, z_bars, needed):
    a, z_bar = op.operands[0], z_bars[0]
    left, lower, unit, transpose = _solve_attributes(op)
    b_bar = _solver(op)(a, z_bar, left_side=left, lower=lower, unit_diagonal=unit,
                                 transpose_a=_TRANSPOSED[transpose])
    a_bar = None
    if needed[0]:
        x = op.results[0]
        op_a_bar = _matmul(b_bar, _mT(x)) if left else _matmul(_mT(x), b_bar)  # (negated below)
        if transpose != "NO_TRANSPOSE":
            op_a_bar = _mT(op_a_bar)
        a_bar = neg(_triangle(op_a_bar, lower=lower, diagonal=not unit))
    return [a_bar, b_bar if needed[1] else None]


JVP["stablehlo.triangular_solve"], VJP["stablehlo.triangular_solve"] = _triangular_solve_jvp, _triangular_solve_vjp
JVP["lapack.trsm"], VJP["lapack.trsm"] = _triangular_solve_jvp, _triangular_solve_vjp


# -- cholesky ---------------------------------------------------------------------------------------------
def _is_lower(op) -> bool:
    if lapack_kernel(op) == "potrf":
        return query.byte_flags(op)["uplo"] == "L"
    return query.bool_attr(op, "lower")


def _lower_factor(op):
    """(L, lower): the factor as a lower-triangular L with A = L L^T, and whether the op computes L (else L^T)."""
    lower = _is_lower(op)
    factor = op.results[0]
    return _triangle(factor if lower else _mT(factor), lower=True), lower


def _cholesky_jvp(op, x_dots):
    factor, lower = _lower_factor(op)
    a_dot = x_dots[0] if lower else _mT(x_dots[0])  # the triangle the op reads, as a lower one
    below = _triangle(a_dot, lower=True)
    symmetric = ops.add(below, _mT(_triangle(a_dot, lower=True, diagonal=False)))
    right = ops.triangular_solve(factor, symmetric, left_side=False, lower=True, transpose_a="TRANSPOSE")
    inner = ops.triangular_solve(factor, right, left_side=True, lower=True)
    factor_dot = _matmul(factor, _phi(inner))
    return [factor_dot if lower else _mT(factor_dot)]


def _cholesky_vjp(op, z_bars, needed):
    factor, lower = _lower_factor(op)
    factor_bar = _triangle(z_bars[0] if lower else _mT(z_bars[0]), lower=True)
    product = _phi(_matmul(_mT(factor), factor_bar))
    left = ops.triangular_solve(factor, product, left_side=True, lower=True, transpose_a="TRANSPOSE")
    s = ops.triangular_solve(factor, left, left_side=False, lower=True)
    # A's strictly upper triangle mirrors its lower one: an element below the diagonal counts twice.
    a_bar = ops.add(_triangle(s, lower=True), _triangle(_mT(s), lower=True, diagonal=False))
    return [a_bar if lower else _mT(a_bar)]


JVP["stablehlo.cholesky"], VJP["stablehlo.cholesky"] = _cholesky_jvp, _cholesky_vjp


def _other_triangle(x, lower: bool):
    """The triangle potrf leaves as it was: strictly above the diagonal for a lower factor."""
    return _triangle(x, lower=not lower, diagonal=False)


def _potrf_jvp(op, x_dots):
    lower = _is_lower(op)
    return [add(_cholesky_jvp(op, x_dots)[0], _other_triangle(x_dots[0], lower)), None]


def _potrf_vjp(op, z_bars, needed):
    lower, factor_bar = _is_lower(op), z_bars[0]
    if factor_bar is None:  # (only info, an integer, was used)
        return [None]
    return [add(_cholesky_vjp(op, [factor_bar], needed)[0], _other_triangle(factor_bar, lower))]


JVP["lapack.potrf"], VJP["lapack.potrf"] = _potrf_jvp, _potrf_vjp
