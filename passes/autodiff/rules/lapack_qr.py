"""Derivatives of LAPACK's Householder QR: geqrf (A -> packed R and reflectors, taus) and orgqr (reflectors,
taus -> Q). np.linalg.qr is the two calls (`tracer/numpy_api/linalg_lapack.py`), so each gets the true
derivative of what it computes and the chain rule does the rest: raw mode's (h, tau) differentiate too.

Notation, per matrix: A is m x n, k = min(m, n); geqrf gives A = Q R with Q = H_1 ... H_k [:, :k],
H_i = I - tau_i v_i v_i^T, v_i's entry i one and those above zero; packed holds R on and above its diagonal
and the v_i below it. The reflectors' compact WY form is H_1 ... H_c = I - V T V^T with T upper triangular,
T^-1 = diag(1/tau) + striu(V^T V), computed here as T = D (I + S D)^-1 (D = diag(tau), S = striu(V^T V)),
which stays finite where a tau is 0 (a square matrix's last reflector is the identity, tau = 0).

- orgqr, Q = E - V T V1^T (E the first c columns of I, V1 = V's first c rows): product rule, with
  dT = diag(dtau) U^-1 - T dU U^-1, U = I + S D, dU = striu(dV^T V + V^T dV) D + S diag(dtau). Only the
  strictly lower part of its first operand is read (the unit diagonal is implicit).
- geqrf: first the QR derivative (JAX's `qr_jvp_rule`, for m >= n): with X = dA R^-1 and C = Q^T X,
  Omega = tril(C, -1) - tril(C, -1)^T, dQ = Q (Omega - C) + X and dR = (C - Omega) R; a wide matrix is the
  QR of its first m columns A1 and R2 = Q^T A2. Then the reflectors from dQ: Q - E = V W is an LU
  factorisation (V unit lower, W = -T V1^T upper with diagonal -tau), differentiated as LU is for the
  reflectors with a row below them (p = min(n, m - 1); a square matrix's last tau is 0 whatever A is):
  with Y = V_top^-1 dQ_top W^-1, dV_top = V_top tril(Y, -1), dW = triu(Y) W, dV_bot = (dQ_bot - V_bot dW) W^-1
  and dtau = -diag(dW).
geqrf's rules build Q with orgqr (the same call as np.linalg.qr's own, which CSE merges with it).
Both reverse-mode rules are their forward rule transposed term by term. R's diagonal must have no zero
(as for JAX's rule: a rank-deficient A has no QR derivative) and, for the reflectors, neither may W's.
"""

from __future__ import annotations

import functools

import numpy as np

from ir import ops, query
from passes.autodiff.emit import add, neg, sub, zeros_like
from passes.autodiff.registry import JVP, VJP
from passes.autodiff.rules.lapack import _columns_scaled, _diagonal, _diagonal_matrix, _eye_like, _rows_scaled
from passes.autodiff.rules.linalg_solvers import _matmul, _mT, _position, _triangle

__all__: list[str] = []


# -- small matrix helpers (batched: the last two dimensions are the matrix) ----------------------------------
def _block(x, rows=None, columns=None):
    """x[..., rows[0]:rows[1], columns[0]:columns[1]] (None: all)."""
    shape = list(query.shape(x))
    rank = len(shape)
    start, limit = [0] * rank, list(shape)
    for axis, bounds in ((rank - 2, rows), (rank - 1, columns)):
        if bounds is not None:
            start[axis], limit[axis] = bounds
    return ops.slice(x, start, limit, [1] * rank)


def _vector_part(x, start, stop):
    rank = len(query.shape(x))
    return ops.slice(x, [0] * (rank - 1) + [start], list(query.shape(x)[:-1]) + [stop], [1] * rank)


def _pad(x, *, rows: int = 0, columns: int = 0):
    """x with zero rows (columns) appended at the end of its matrix dimensions."""
    rank = len(query.shape(x))
    high = [0] * rank
    high[rank - 2], high[rank - 1] = rows, columns
    zero = ops.constant(np.zeros((), query.dtype(x)))
    return ops.pad(x, zero, [0] * rank, high, [0] * rank)


def _pad_vector(x, count: int):
    rank = len(query.shape(x))
    zero = ops.constant(np.zeros((), query.dtype(x)))
    return ops.pad(x, zero, [0] * rank, [0] * (rank - 1) + [count], [0] * rank) if count else x


def _stack_rows(top, bottom):
    return ops.concatenate([top, bottom], len(query.shape(top)) - 2)


def _stack_columns(left, right):
    return ops.concatenate([left, right], len(query.shape(left)) - 1)


def _or_zeros(x, like):
    return zeros_like(like) if x is None else x


def _solve(a, b, *, left: bool, lower: bool, unit: bool = False, transpose: bool = False):
    return ops.triangular_solve(a, b, left_side=left, lower=lower, unit_diagonal=unit,
                                transpose_a="TRANSPOSE" if transpose else "NO_TRANSPOSE")


def _unit_lower(a):
    """The reflectors V: a's strictly lower part and ones on the diagonal."""
    return add(_triangle(a, lower=True, diagonal=False), _eye_like(a))


# -- orgqr ------------------------------------------------------------------------------------------------
def _wy(op):
    """(V, V1, tau, S, U^-1, T) of an orgqr call's reflectors."""
    a, tau = op.operands[0], op.operands[1]
    c = query.shape(a)[-1]
    v = _unit_lower(a)
    v1 = _block(v, rows=(0, c))
    s = _triangle(_matmul(_mT(v), v), lower=False, diagonal=False)
    u = add(_eye_like(s), _columns_scaled(s, tau))
    u_inverse = _solve(u, _eye_like(s), left=True, lower=False, unit=True)
    return v, v1, tau, s, u_inverse, _rows_scaled(u_inverse, tau)


def _orgqr_jvp(op, x_dots):
    a_dot, tau_dot = x_dots
    v, v1, tau, s, u_inverse, t = _wy(op)
    c = query.shape(v)[-1]
    v_dot = None if a_dot is None else _triangle(a_dot, lower=True, diagonal=False)
    u_dot = None if v_dot is None else _columns_scaled(
        _triangle(add(_matmul(_mT(v_dot), v), _matmul(_mT(v), v_dot)), lower=False, diagonal=False), tau)
    if tau_dot is not None:
        u_dot = add(u_dot, _columns_scaled(s, tau_dot))
    t_dot = None if tau_dot is None else _rows_scaled(u_inverse, tau_dot)
    t_dot = sub(t_dot, _matmul(t, _matmul(u_dot, u_inverse)))
    q_dot = _matmul(v, _matmul(t_dot, _mT(v1)))
    if v_dot is not None:
        q_dot = add(q_dot, add(_matmul(v_dot, _matmul(t, _mT(v1))),
                               _matmul(v, _matmul(t, _mT(_block(v_dot, rows=(0, c)))))))
    return [neg(q_dot)]


def _orgqr_vjp(op, z_bars, needed):
    q_bar = z_bars[0]
    v, v1, tau, s, u_inverse, t = _wy(op)
    m, c = query.shape(v)[-2:]
    t_bar = neg(_matmul(_mT(v), _matmul(q_bar, v1)))
    tau_bar = _diagonal(_matmul(t_bar, _mT(u_inverse)))
    u_bar = neg(_matmul(_mT(t), _matmul(t_bar, _mT(u_inverse))))
    tau_bar = add(tau_bar, _diagonal(_matmul(_mT(s), u_bar)))
    g_bar = _triangle(_columns_scaled(u_bar, tau), lower=False, diagonal=False)
    v_bar = _matmul(v, add(g_bar, _mT(g_bar)))
    v_bar = sub(v_bar, _matmul(q_bar, _matmul(v1, _mT(t))))
    v_bar = sub(v_bar, _pad(_matmul(_mT(q_bar), _matmul(v, t)), rows=m - c))
    return [_triangle(v_bar, lower=True, diagonal=False) if needed[0] else None, tau_bar if needed[1] else None]


JVP["lapack.orgqr"], VJP["lapack.orgqr"] = _orgqr_jvp, _orgqr_vjp


# -- geqrf ------------------------------------------------------------------------------------------------
class _Factors:
    """What geqrf's rules read from the forward call (its operand A, results packed and taus): Q (orgqr's, or
    `q` where the caller has it) and R's leading square block R1, and the reflectors with a row below them
    (V_top, V_bot, W: built on first use, since QR's own derivative needs none of them)."""

    def __init__(self, op, q=None):
        a, packed, taus = op.operands[0], op.results[0], op.results[1]
        m, n = query.shape(a)[-2:]
        self.m, self.n, self.k, self.p = m, n, min(m, n), min(n, m - 1)
        self.a, self.packed = a, packed
        self.q = ops.orgqr(_block(packed, columns=(0, self.k)), taus) if q is None else q
        self.r1 = _triangle(_block(packed, rows=(0, self.k), columns=(0, self.k)), lower=False)

    @functools.cached_property
    def _reflectors(self):
        v = _unit_lower(_block(self.packed, columns=(0, self.p)))
        v_top, v_bot = _block(v, rows=(0, self.p)), _block(v, rows=(self.p, self.m))
        q_top = _block(self.q, rows=(0, self.p), columns=(0, self.p))
        w = _triangle(_solve(v_top, sub(q_top, _eye_like(q_top)), left=True, lower=True, unit=True), lower=False)
        return v_top, v_bot, w

    v_top = property(lambda self: self._reflectors[0])
    v_bot = property(lambda self: self._reflectors[1])
    w = property(lambda self: self._reflectors[2])


def _qr_jvp(f: _Factors, a_dot):
    """(dQ, dR) of A = Q R: the square (m >= n) formula on the first k columns, R2 = Q^T A2 for the rest."""
    x = _solve(f.r1, _block(a_dot, columns=(0, f.k)), left=False, lower=False)
    c = _matmul(_mT(f.q), x)
    lower = _triangle(c, lower=True, diagonal=False)
    omega = sub(lower, _mT(lower))
    q_dot = add(_matmul(f.q, sub(omega, c)), x)
    r_dot = _matmul(sub(c, omega), f.r1)
    if f.n > f.m:
        a2, a2_dot = _block(f.a, columns=(f.m, f.n)), _block(a_dot, columns=(f.m, f.n))
        r_dot = _stack_columns(r_dot, add(_matmul(_mT(q_dot), a2), _matmul(_mT(f.q), a2_dot)))
    return q_dot, r_dot


def _qr_vjp(f: _Factors, q_bar, r_bar):
    """The transpose of `_qr_jvp`: A_bar from Q_bar [m, k] and R_bar [k, n]."""
    a2_bar = None
    if f.n > f.m:
        a2, r2_bar = _block(f.a, columns=(f.m, f.n)), _block(r_bar, columns=(f.m, f.n))
        q_bar = add(q_bar, _matmul(a2, _mT(r2_bar)))
        a2_bar = _matmul(f.q, r2_bar)
        r_bar = _block(r_bar, columns=(0, f.m))
    c_bar = sub(_matmul(r_bar, _mT(f.r1)), _matmul(_mT(f.q), q_bar))
    omega_bar = neg(c_bar)
    c_bar = add(c_bar, _triangle(sub(omega_bar, _mT(omega_bar)), lower=True, diagonal=False))
    x_bar = add(q_bar, _matmul(f.q, c_bar))
    a_bar = _solve(f.r1, x_bar, left=False, lower=False, transpose=True)
    return a_bar if a2_bar is None else _stack_columns(a_bar, a2_bar)


def _reflectors_jvp(f: _Factors, q_dot):
    """(dV [m, p] strictly lower, dtau [p]) from dQ's first p columns, by the LU Q - E = V W."""
    p = f.p
    q_dot = _block(q_dot, columns=(0, p))
    q_top_dot, q_bot_dot = _block(q_dot, rows=(0, p)), _block(q_dot, rows=(p, f.m))
    y = _solve(f.w, _solve(f.v_top, q_top_dot, left=True, lower=True, unit=True), left=False, lower=False)
    v_top_dot = _matmul(f.v_top, _triangle(y, lower=True, diagonal=False))
    w_dot = _matmul(_triangle(y, lower=False), f.w)
    v_bot_dot = _solve(f.w, sub(q_bot_dot, _matmul(f.v_bot, w_dot)), left=False, lower=False)
    return _stack_rows(v_top_dot, v_bot_dot), neg(_diagonal(w_dot))


def _reflectors_vjp(f: _Factors, v_bar, tau_bar):
    """The transpose of `_reflectors_jvp`: Q_bar's first p columns from V_bar [m, p] and tau_bar [p]."""
    p = f.p
    v_top_bar, v_bot_bar = _block(v_bar, rows=(0, p)), _block(v_bar, rows=(p, f.m))
    q_bot_bar = _solve(f.w, v_bot_bar, left=False, lower=False, transpose=True)
    w_bar = neg(_matmul(_mT(f.v_bot), q_bot_bar))
    w_bar = sub(w_bar, _diagonal_matrix(tau_bar, w_bar))
    y_bar = add(_triangle(_matmul(w_bar, _mT(f.w)), lower=False),
                _triangle(_matmul(_mT(f.v_top), v_top_bar), lower=True, diagonal=False))
    q_top_bar = _solve(f.v_top, _solve(f.w, y_bar, left=False, lower=False, transpose=True),
                       left=True, lower=True, unit=True, transpose=True)
    return _stack_rows(q_top_bar, q_bot_bar)


def _geqrf_jvp(op, x_dots):
    f = _Factors(op)
    q_dot, r_dot = _qr_jvp(f, x_dots[0])
    upper = _pad(r_dot, rows=f.m - f.k)  # (R's rows below k are zeros of packed, holding reflectors)
    if not f.p:  # (one row: no reflector has entries below the diagonal)
        return [upper, zeros_like(op.results[1])]
    v_dot, tau_dot = _reflectors_jvp(f, q_dot)
    lower = _pad(v_dot, columns=f.n - f.p)
    packed_dot = ops.select(_position(upper, "GT"), lower, upper)
    return [packed_dot, _pad_vector(tau_dot, f.k - f.p)]


def _geqrf_vjp(op, z_bars, needed):
    f = _Factors(op)
    packed_bar = _or_zeros(z_bars[0], op.results[0])
    r_bar = _triangle(_block(packed_bar, rows=(0, f.k)), lower=False)
    q_bar = zeros_like(f.q)
    if f.p:
        v_bar = _triangle(_block(packed_bar, columns=(0, f.p)), lower=True, diagonal=False)
        tau_bar = _vector_part(_or_zeros(z_bars[1], op.results[1]), 0, f.p)
        q_bar = _pad(_reflectors_vjp(f, v_bar, tau_bar), columns=f.k - f.p)
    return [_qr_vjp(f, q_bar, r_bar)]


JVP["lapack.geqrf"], VJP["lapack.geqrf"] = _geqrf_jvp, _geqrf_vjp
