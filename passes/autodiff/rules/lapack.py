"""Derivatives of the LAPACK factorisations (`ir/ops/lapack.py`) that have no StableHLO op: getrf, syevd,
gesdd (values). (trsm and potrf share triangular_solve's and cholesky's rules, in `linalg_solvers.py`.)

Integer results (pivots, info) carry no derivative. The derivatives are matrix products and triangular
solves (`stablehlo.triangular_solve`, whose rules give second order), never another LAPACK call except where
the forward call did not compute what the derivative needs (eigenvalues alone: the rule asks for vectors).

- getrf, P A = L U (square): with X = L^-1 P dA U^-1, dL = L tril(X, -1) and dU = triu(X) U, packed as
  d(lu) = dL + dU. Its transpose: A_bar = P^T L^-T (tril(L^T L_bar, -1) + triu(U_bar U^T)) U^-T, L_bar and
  U_bar being lu_bar's strictly lower and upper parts (as in PyTorch's `linalg_lu_backward`).
- syevd, A = V diag(w) V^T, reading A's lower (or upper) triangle as the symmetric matrix S it stands for:
  with D = V^T dS V, dw = diag(D) and dV = V (F o D), F[i, j] = 1 / (w[j] - w[i]) off the diagonal, 0 on it
  (equal eigenvalues give inf there, as in JAX). Its transpose: S_bar = V (diag(w_bar) + F o (V^T V_bar)) V^T,
  folded onto the triangle the kernel reads (an entry below the diagonal stands for two of S).
- gesdd, singular values only: ds = diag(U^T dA V) over the first k = min(m, n) columns; s_bar gives
  A_bar = U[:, :k] diag(s_bar) Vt[:k, :]. The derivative of U and Vt is not implemented (see `_gesdd_jvp`).
"""

from __future__ import annotations

import numpy as np
from jaxlib.mlir import ir

from ir import ops, query
from passes.autodiff.emit import add, full_like, mul, zeros_like
from passes.autodiff.errors import AutodiffError
from passes.autodiff.registry import JVP, VJP
from passes.autodiff.rules.linalg_solvers import _matmul, _mT, _position, _triangle

__all__: list[str] = []


def _flags(op) -> dict[str, str]:
    config = ir.DictAttr(op.attributes["backend_config"])
    return {attribute.name: chr(ir.IntegerAttr(attribute.attr).value) for attribute in config}


def _eye_like(x):
    return ops.convert(_position(x, "EQ"), query.dtype(x))


def _permutation_matrix(pivots, like):
    """P (one row per matrix row, one-hot) with P A = A[perm], from getrf's pivots; `like` gives shape/dtype."""
    perm = ops.pivots_to_permutation(pivots)
    shape, rank = query.shape(like), len(query.shape(like))
    rows = ops.broadcast_in_dim(perm, shape, list(range(rank - 1)))
    return ops.convert(ops.compare(rows, ops.iota(shape, rank - 1, np.int32), "EQ"), query.dtype(like))


def _lu_factors(op):
    lu = op.results[0]
    lower = add(_triangle(lu, lower=True, diagonal=False), _eye_like(lu))
    return lower, _triangle(lu, lower=False), _permutation_matrix(op.results[1], lu)


def _getrf_jvp(op, x_dots):
    lower, upper, p = _lu_factors(op)
    x = ops.triangular_solve(lower, _matmul(p, x_dots[0]), left_side=True, lower=True, unit_diagonal=True)
    x = ops.triangular_solve(upper, x, left_side=False, lower=False)
    lu_dot = add(_matmul(lower, _triangle(x, lower=True, diagonal=False)), _matmul(_triangle(x, lower=False), upper))
    return [lu_dot, None, None]


def _getrf_vjp(op, z_bars, needed):
    lower, upper, p = _lu_factors(op)
    lu_bar = z_bars[0]
    phi = add(_triangle(_matmul(_mT(lower), _triangle(lu_bar, lower=True, diagonal=False)), lower=True, diagonal=False),
              _triangle(_matmul(_triangle(lu_bar, lower=False), _mT(upper)), lower=False))
    y = ops.triangular_solve(lower, phi, left_side=True, lower=True, unit_diagonal=True, transpose_a="TRANSPOSE")
    y = ops.triangular_solve(upper, y, left_side=False, lower=False, transpose_a="TRANSPOSE")
    return [_matmul(_mT(p), y)]


JVP["lapack.getrf"], VJP["lapack.getrf"] = _getrf_jvp, _getrf_vjp


# -- syevd ----------------------------------------------------------------------------------------------
def _eigen(op):
    """(V, w, lower): eigenvectors (computed again when the call asked for values only), values, triangle."""
    flags = _flags(op)
    lower = flags["uplo"] == "L"
    if flags["mode"] == "V":
        return op.results[0], op.results[1], lower
    vectors, values, _ = ops.syevd(op.operands[0], lower=lower, vectors=True)
    return vectors, values, lower


def _gap_inverse(w, like):
    """F[i, j] = 1 / (w[j] - w[i]) off the diagonal, 0 on it."""
    shape, rank = query.shape(like), len(query.shape(like))
    batch = list(range(rank - 2))
    w_i = ops.broadcast_in_dim(w, shape, batch + [rank - 2])
    w_j = ops.broadcast_in_dim(w, shape, batch + [rank - 1])
    off = ops.not_(_position(like, "EQ"))
    gaps = ops.select(off, ops.subtract(w_j, w_i), full_like(like, 1))
    return ops.select(off, ops.divide(full_like(like, 1), gaps), zeros_like(like))


def _diagonal(x):
    """x[..., i, i] as a [..., n] vector (a masked row sum)."""
    rank = len(query.shape(x))
    masked = ops.select(_position(x, "EQ"), x, zeros_like(x))
    return ops.reduce(masked, ops.constant(np.asarray(0, query.dtype(x))), [rank - 1], ops.add)


def _diagonal_matrix(v, like):
    shape, rank = query.shape(like), len(query.shape(like))
    wide = ops.broadcast_in_dim(v, shape, list(range(rank - 2)) + [rank - 1])
    return ops.select(_position(like, "EQ"), wide, zeros_like(like))


def _symmetric(a_dot, lower: bool):
    """The symmetric matrix a kernel reading only a's lower (upper) triangle sees."""
    part = _triangle(a_dot, lower=lower)
    return add(part, _mT(_triangle(a_dot, lower=lower, diagonal=False)))


def _syevd_jvp(op, x_dots):
    v, w, lower = _eigen(op)
    d = _matmul(_mT(v), _matmul(_symmetric(x_dots[0], lower), v))
    v_dot = _matmul(v, mul(_gap_inverse(w, d), d))
    return [v_dot if _flags(op)["mode"] == "V" else None, _diagonal(d), None]


def _syevd_vjp(op, z_bars, needed):
    v, w, lower = _eigen(op)
    v_bar, w_bar = z_bars[0] if _flags(op)["mode"] == "V" else None, z_bars[1]
    inner = None if w_bar is None else _diagonal_matrix(w_bar, v)
    if v_bar is not None:
        inner = add(inner, mul(_gap_inverse(w, v), _matmul(_mT(v), v_bar)))
    s_bar = _matmul(v, _matmul(inner, _mT(v)))
    # S = tril(A) + tril(A, -1)^T: an entry below the diagonal receives S_bar's two mirror entries.
    return [add(_triangle(s_bar, lower=lower), _triangle(_mT(s_bar), lower=lower, diagonal=False))]


JVP["lapack.syevd"], VJP["lapack.syevd"] = _syevd_jvp, _syevd_vjp


# -- gesdd (singular values) -------------------------------------------------------------------------------
def _singular_vectors(op):
    """U[:, :k] and Vt[:k, :] (computed again without full matrices when the call asked for values only)."""
    shape = query.shape(op.operands[0])
    m, n, rank = shape[-2], shape[-1], len(shape)
    k = min(m, n)
    if _flags(op)["mode"] == "N":
        _, u, vt, _ = ops.gesdd(op.operands[0], full_matrices=False, compute_uv=True)
        return u, vt
    u, vt = op.results[2], op.results[3]
    zeros = [0] * rank
    u = ops.slice(u, zeros, list(shape[:-2]) + [m, k], [1] * rank)
    vt = ops.slice(vt, zeros, list(shape[:-2]) + [k, n], [1] * rank)
    return u, vt


def _vectors_unsupported(op, used) -> None:
    """Raise where U or Vt would need a derivative: where their cotangents are given (reverse mode), or
    whenever the call computed them (forward mode cannot see which tangents are used later)."""
    if _flags(op)["mode"] != "N" and used:
        raise AutodiffError("the derivative of np.linalg.svd's singular vectors (U, Vh) is not implemented; "
                            "only the singular values differentiate", op=op,
                            fix="differentiate a function of the singular values only (np.linalg.svd(a, "
                                "compute_uv=False), np.linalg.norm(a, 2) ...), or hold the vectors fixed")


def _gesdd_jvp(op, x_dots):
    _vectors_unsupported(op, True)
    u, vt = _singular_vectors(op)
    s_dot = _diagonal(_matmul(_mT(u), _matmul(x_dots[0], _mT(vt))))
    return [None, s_dot, None, None, None]


def _gesdd_vjp(op, z_bars, needed):
    _vectors_unsupported(op, any(z_bar is not None for z_bar in z_bars[2:4]))
    s_bar = z_bars[1]
    u, vt = _singular_vectors(op)
    k = query.shape(s_bar)[-1]
    wide = ops.broadcast_in_dim(s_bar, query.shape(vt), list(range(len(query.shape(vt)) - 2)) + [len(query.shape(vt)) - 2])
    return [_matmul(u, mul(wide, vt)) if k else zeros_like(op.operands[0])]


JVP["lapack.gesdd"], VJP["lapack.gesdd"] = _gesdd_jvp, _gesdd_vjp
