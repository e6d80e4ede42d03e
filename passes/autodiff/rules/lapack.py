"""Derivatives of the LAPACK factorisations (`ir/ops/lapack.py`) that have no StableHLO op: getrf, syevd,
gesdd (values). (trsm and potrf share triangular_solve's and cholesky's rules, in `linalg_solvers.py`; geqrf
and orgqr have theirs in `lapack_qr.py`; geev has none: its results are complex.)

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
- gesdd (the reduced SVD A = U diag(s) Vt, k = min(m, n)): with D = U^T dA V, ds = diag(D),
  dU = U (F o (D S + S D^T)) (+ (I - U U^T) dA V S^-1 when m > n), dV likewise with D^T (+ the part
  outside V for n > m), F[i, j] = 1 / (s[j]^2 - s[i]^2) off the diagonal (JAX's `_svd_jvp_rule`); the
  VJP is its transpose, term by term. Full matrices of a non-square matrix have columns the SVD does not
  determine: their derivative raises, as in JAX.
"""

from __future__ import annotations

import numpy as np

from ir import ops, query
from passes.autodiff.emit import add, full_like, mul, zeros_like
from passes.autodiff.errors import AutodiffError
from passes.autodiff.registry import JVP, VJP
from passes.autodiff.rules.linalg_solvers import _matmul, _mT, _position, _triangle

__all__: list[str] = []


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
    flags = query.byte_flags(op)
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
    return [v_dot if query.byte_flags(op)["mode"] == "V" else None, _diagonal(d), None]


def _syevd_vjp(op, z_bars, needed):
    v, w, lower = _eigen(op)
    v_bar, w_bar = z_bars[0] if query.byte_flags(op)["mode"] == "V" else None, z_bars[1]
    inner = None if w_bar is None else _diagonal_matrix(w_bar, v)
    if v_bar is not None:
        inner = add(inner, mul(_gap_inverse(w, v), _matmul(_mT(v), v_bar)))
    s_bar = _matmul(v, _matmul(inner, _mT(v)))
    # S = tril(A) + tril(A, -1)^T: an entry below the diagonal receives S_bar's two mirror entries.
    return [add(_triangle(s_bar, lower=lower), _triangle(_mT(s_bar), lower=lower, diagonal=False))]


JVP["lapack.syevd"], VJP["lapack.syevd"] = _syevd_jvp, _syevd_vjp


# -- gesdd ------------------------------------------------------------------------------------------------
def _svd_shape(op):
    shape = query.shape(op.operands[0])
    return shape[-2], shape[-1], len(shape)


def _reduced_factors(op):
    """(U [m, k], Vt [k, n]) of the reduced SVD: the call's own, or computed again when it asked for values only."""
    m, n, rank = _svd_shape(op)
    mode = query.byte_flags(op)["mode"]
    if mode == "N":
        _, u, vt, _ = ops.gesdd(op.operands[0], full_matrices=False, compute_uv=True)
        return u, vt
    u, vt = op.results[2], op.results[3]
    if mode == "A" and m != n:  # U's (Vt's) leading k columns (rows) are the reduced factor
        k, batch = min(m, n), list(query.shape(u)[:-2])
        u = ops.slice(u, [0] * rank, batch + [m, k], [1] * rank)
        vt = ops.slice(vt, [0] * rank, batch + [k, n], [1] * rank)
    return u, vt


def _vectors_unsupported(op, used: bool) -> None:
    """Full matrices (U [m, m] or Vt [n, n] with m != n) have columns the SVD does not determine."""
    m, n, _ = _svd_shape(op)
    if query.byte_flags(op)["mode"] == "A" and m != n and used:
        raise AutodiffError("the derivative of np.linalg.svd's singular vectors with full_matrices=True on a "
                            f"{m}x{n} matrix is not defined (its extra columns are any orthonormal completion)",
                            op=op, fix="pass full_matrices=False, or differentiate the singular values only "
                                       "(np.linalg.svd(a, compute_uv=False))")


def _columns_scaled(x, s):
    """x[..., i, j] * s[..., j]."""
    shape, rank = query.shape(x), len(query.shape(x))
    return mul(x, ops.broadcast_in_dim(s, shape, list(range(rank - 2)) + [rank - 1]))


def _rows_scaled(x, s):
    """x[..., i, j] * s[..., i]."""
    shape, rank = query.shape(x), len(query.shape(x))
    return mul(x, ops.broadcast_in_dim(s, shape, list(range(rank - 2)) + [rank - 2]))


def _svd_gaps(s, like):
    """F[i, j] = 1 / ((s[j] + s[i]) (s[j] - s[i])) off the diagonal, 0 on it."""
    shape, rank = query.shape(like), len(query.shape(like))
    batch = list(range(rank - 2))
    s_i = ops.broadcast_in_dim(s, shape, batch + [rank - 2])
    s_j = ops.broadcast_in_dim(s, shape, batch + [rank - 1])
    off = ops.not_(_position(like, "EQ"))
    gaps = ops.select(off, ops.multiply(ops.add(s_j, s_i), ops.subtract(s_j, s_i)), full_like(like, 1))
    return ops.select(off, ops.divide(full_like(like, 1), gaps), zeros_like(like))


def _reciprocal(s):
    return ops.divide(full_like(s, 1), s)


def _orthogonal_part(x, q):
    """x - q q^T x: x's part outside q's columns."""
    return ops.subtract(x, _matmul(q, _matmul(_mT(q), x)))


def _gesdd_jvp(op, x_dots):
    """Forward mode as JAX's `_svd_jvp_rule`: the reduced factors, with the parts outside U's (V's) columns
    for tall (wide) matrices."""
    m, n, _ = _svd_shape(op)
    computes_vectors = query.byte_flags(op)["mode"] != "N"
    _vectors_unsupported(op, computes_vectors)
    a_dot, s = x_dots[0], op.results[1]
    u, vt = _reduced_factors(op)
    v = _mT(vt)
    d = _matmul(_mT(u), _matmul(a_dot, v))
    s_dot = _diagonal(d)
    if not computes_vectors:
        return [None, s_dot, None, None, None]
    f = _svd_gaps(s, d)
    scaled_columns, scaled_rows = _columns_scaled(d, s), _rows_scaled(d, s)
    u_dot = _matmul(u, mul(f, add(scaled_columns, _mT(scaled_columns))))
    v_dot = _matmul(v, mul(f, add(scaled_rows, _mT(scaled_rows))))
    if m > n:
        u_dot = add(u_dot, _columns_scaled(_orthogonal_part(_matmul(a_dot, v), u), _reciprocal(s)))
    if n > m:
        v_dot = add(v_dot, _columns_scaled(_orthogonal_part(_matmul(_mT(a_dot), u), v), _reciprocal(s)))
    return [None, s_dot, u_dot, _mT(v_dot), None]


def _gesdd_vjp(op, z_bars, needed):
    """The transpose of `_gesdd_jvp`: every term's adjoint, gathered on D = U^T dA V, then A_bar = U D_bar V^T
    plus the adjoints of the parts outside U's (V's) columns."""
    m, n, _ = _svd_shape(op)
    s_bar, u_bar, vt_bar = z_bars[1], z_bars[2], z_bars[3]
    _vectors_unsupported(op, u_bar is not None or vt_bar is not None)
    s = op.results[1]
    u, vt = _reduced_factors(op)
    v = _mT(vt)
    k = query.shape(s)[-1]
    if not k:
        return [zeros_like(op.operands[0])]
    like = _matmul(_mT(u), u)  # ([k, k]: the shape of D)
    d_bar = None if s_bar is None else _diagonal_matrix(s_bar, like)
    a_bar = None
    if u_bar is not None:
        g = mul(_svd_gaps(s, like), _matmul(_mT(u), u_bar))
        d_bar = add(d_bar, _columns_scaled(add(g, _mT(g)), s))
        if m > n:
            a_bar = _matmul(_orthogonal_part(_columns_scaled(u_bar, _reciprocal(s)), u), vt)
    if vt_bar is not None:
        v_bar = _mT(vt_bar)
        h = mul(_svd_gaps(s, like), _matmul(_mT(v), v_bar))
        d_bar = add(d_bar, _rows_scaled(add(h, _mT(h)), s))
        if n > m:
            a_bar = add(a_bar, _matmul(u, _mT(_orthogonal_part(_columns_scaled(v_bar, _reciprocal(s)), v))))
    if d_bar is not None:
        a_bar = add(a_bar, _matmul(u, _matmul(d_bar, vt)))
    return [a_bar]


JVP["lapack.gesdd"], VJP["lapack.gesdd"] = _gesdd_jvp, _gesdd_vjp
