"""np.linalg's decompositions and what is built on them: eig, eigvals, eigh, eigvalsh, svd, svdvals, qr, lstsq,
pinv, matrix_rank, cond.

Each calls a LAPACK kernel (`linalg_lapack.py`), so each traces for CPU only: StableHLO has no eigen, SVD
or QR op, and XLA on GPU/TPU does not run the CPU's LAPACK targets. Elsewhere they raise, naming the
platform. Values NumPy would look at before choosing what to return are unknown under tracing, so:
- a kernel that fails (no convergence) gives NaNs instead of LinAlgError;
- lstsq's residuals have NumPy's full-rank shape ((K,) when M > N, else (0,)) whatever the rank turns out
  to be (NumPy returns an empty array when a is rank-deficient);
- eig and eigvals always return complex arrays (complex64 for float32 input, else complex128), as JAX's do:
  NumPy returns real ones when every eigenvalue happens to be real, a dtype decided by the values.
  (np.real_if_close on the result, outside the traced function, gives NumPy's.)
"""

from __future__ import annotations

import numpy as np

from tracer import errors
from tracer import primitives as P
from tracer.numpy_api import linalg_lapack
from tracer.numpy_api.linalg import _linalg_dtype, _square_stack, _static_order, linalg_inv, linalg_norm
from tracer.numpy_api.complex_values import complex_from_parts
from tracer.numpy_api.registry import implements
from tracer.traced_array import TracedArray

__all__ = ["linalg_cond", "linalg_eig", "linalg_eigh", "linalg_eigvals", "linalg_eigvalsh", "linalg_lstsq", "linalg_matrix_rank", "linalg_pinv",
           "linalg_qr", "linalg_svd", "linalg_svdvals", "singular_values"]

_linalg = np.linalg._linalg  # (NumPy's result namedtuples: EigResult, EighResult, SVDResult, QRResult)


def _matrix_stack(a, name: str) -> TracedArray:
    x = P.lift(a, _linalg_dtype(a))
    if x.ndim < 2:
        raise errors.TracedShapeError(f"{x.ndim}-dimensional array given. Array must be at least two-dimensional",
                                      fix=f"np.linalg.{name} takes a matrix or a stack of matrices")
    return x


def _lapack_only(x: TracedArray, name: str) -> None:
    if x.size and not linalg_lapack.available(x):
        raise errors.UnsupportedNumPyError(
            f"np.linalg.{name} needs a LAPACK kernel, which only a CPU build of the traced function can call",
            fix="compile this function for the CPU (jit(..., device=runtime.devices('cpu')[0])), or compute "
                f"np.linalg.{name} outside the traced function")


def _zeros(shape, dtype) -> TracedArray:
    return P.full(tuple(shape), 0, dtype)


def _eye(batch, n: int, columns: int, dtype) -> TracedArray:
    return P.broadcast_to(P.constant(np.eye(n, columns, dtype=dtype)), tuple(batch) + (n, columns))


def _uplo(UPLO) -> bool:
    """Read before the matrix, as NumPy does: `UPLO.upper()` (so 'l' and 'u' pass, and a non-string fails
    with NumPy's own AttributeError), then the check."""
    UPLO = UPLO.upper()
    if UPLO not in ("L", "U"):
        raise errors.TracedShapeError("UPLO argument must be 'L' or 'U'", fix="pass UPLO='L' or UPLO='U'")
    return UPLO == "L"


@implements(np.linalg.eigh)
def linalg_eigh(a, UPLO="L"):
    lower, x = _uplo(UPLO), _square_stack(a, "eigh")
    _lapack_only(x, "eigh")
    if not x.size:
        return _linalg.EighResult(_zeros(x.shape[:-1], x.dtype), _zeros(x.shape, x.dtype))
    w, v = linalg_lapack.eigh(x, lower=lower, vectors=True)
    return _linalg.EighResult(w, v)


@implements(np.linalg.eigvalsh)
def linalg_eigvalsh(a, UPLO="L"):
    lower, x = _uplo(UPLO), _square_stack(a, "eigvalsh")
    _lapack_only(x, "eigvalsh")
    if not x.size:
        return _zeros(x.shape[:-1], x.dtype)
    return linalg_lapack.eigh(x, lower=lower, vectors=False)[0]


def singular_values(x: TracedArray) -> TracedArray:
    """The singular values of each matrix in x, descending (x already float, rank >= 2)."""
    if not x.size:
        return _zeros(x.shape[:-2] + (min(x.shape[-2:]),), x.dtype)
    return linalg_lapack.svd(x, full_matrices=False, compute_uv=False)


@implements(np.linalg.svd)
def linalg_svd(a, full_matrices=True, compute_uv=True, hermitian=False):
    """`hermitian` changes nothing here: the SVD of a symmetric matrix by gesdd has NumPy's singular values,
    but its U and Vh may differ from NumPy's (which come from eigh) by the signs of matching columns."""
    x = _matrix_stack(a, "svd")
    _lapack_only(x, "svd")
    if not compute_uv:
        return singular_values(x)
    batch, (m, n) = x.shape[:-2], x.shape[-2:]
    if not x.size:
        k = min(m, n)
        u_columns, vt_rows = (m, n) if full_matrices else (k, k)
        return _linalg.SVDResult(_eye(batch, m, u_columns, x.dtype), _zeros(batch + (k,), x.dtype),
                                 _eye(batch, vt_rows, n, x.dtype))
    return _linalg.SVDResult(*linalg_lapack.svd(x, full_matrices=bool(full_matrices), compute_uv=True))


@implements(np.linalg.svdvals)
def linalg_svdvals(x, /):
    x = _matrix_stack(x, "svdvals")
    _lapack_only(x, "svdvals")
    return singular_values(x)


# mode -> what np.linalg.qr returns, from (q, r, (packed reflectors, taus)).
_QR_MODES = {
    "reduced": lambda q, r, raw: _linalg.QRResult(q, r),
    "complete": lambda q, r, raw: _linalg.QRResult(q, r),
    "r": lambda q, r, raw: r,
    "raw": lambda q, r, raw: (np.swapaxes(raw[0], -1, -2), raw[1]),  # (NumPy's h is LAPACK's array transposed)
}


@implements(np.linalg.qr)
def linalg_qr(a, mode="reduced"):
    if not isinstance(mode, str) or mode not in _QR_MODES:  # (a traced mode is not hashable: never looked up)
        shown = "a traced array" if isinstance(mode, TracedArray) else f"'{mode}'"
        raise errors.TracedShapeError(f"Unrecognized mode {shown}", fix="use 'reduced', 'complete', 'r' or 'raw'")
    x = _matrix_stack(a, "qr")
    _lapack_only(x, "qr")
    batch, (m, n) = x.shape[:-2], x.shape[-2:]
    k = min(m, n)
    complete = mode == "complete"
    if not x.size:
        q = _eye(batch, m, m if complete else k, x.dtype)
        r = _zeros(batch + ((m if complete else k), n), x.dtype)
        raw = (_zeros(batch + (m, n), x.dtype), _zeros(batch + (k,), x.dtype))
        return _QR_MODES[mode](q, r, raw)
    q, r, raw = linalg_lapack.qr(x, complete=complete, compute_q=mode in ("reduced", "complete"))
    return _QR_MODES[mode](q, r, raw)


def _reduced_svd(x: TracedArray):
    return linalg_lapack.svd(x, full_matrices=False, compute_uv=True)


def _inverted_above(s: TracedArray, cutoff) -> TracedArray:
    """1 / s where s > cutoff, 0 elsewhere (no division by the zeros left out)."""
    large = s > cutoff
    return np.where(large, 1 / np.where(large, s, P.scalar_like(s, 1)), P.scalar_like(s, 0))


@implements(np.linalg.lstsq)
def linalg_lstsq(a, b, rcond=None):
    """By the SVD, as LAPACK's gelsd (which NumPy calls) does: singular values up to rcond * the largest
    count as zero. Residuals: see the module's docstring."""
    dtype = _linalg_dtype(a, b)
    x, y = P.lift(a, dtype), P.lift(b, dtype)
    vector = y.ndim == 1
    if vector:
        y = P.reshape(y, y.shape + (1,))
    if x.ndim != 2 or y.ndim != 2:
        raise errors.TracedShapeError(f"{max(x.ndim, y.ndim)}-dimensional array given. Array must be two-dimensional",
                                      fix="np.linalg.lstsq takes a matrix a and a vector or matrix b")
    (m, n), k = x.shape, y.shape[-1]
    if y.shape[0] != m:
        raise errors.TracedShapeError("Incompatible dimensions", fix=f"b needs {m} rows, as a has")
    _lapack_only(x, "lstsq")
    rcond = np.finfo(dtype).eps * max(m, n) if rcond is None else rcond
    rcond = np.finfo(dtype).eps if rcond < 0 else rcond  # (LAPACK's gelsd: a negative rcond means eps)
    if not x.size:
        s, solution = _zeros((min(m, n),), dtype), _zeros((n, k), dtype)
        rank = P.full((), 0, np.int32)
    else:
        u, s, vt = _reduced_svd(x)
        cutoff = rcond * np.max(s)
        solution = np.swapaxes(vt, -1, -2) @ (_inverted_above(s, cutoff)[:, None] * (np.swapaxes(u, -1, -2) @ y))
        rank = np.sum(P.convert(s > cutoff, np.int32), dtype=np.int32)
    residuals = np.sum((y - x @ solution) ** 2, axis=0) if m > n else _zeros((0,), dtype)
    return (P.reshape(solution, (n,)) if vector else solution), residuals, rank, s


@implements(np.linalg.pinv)
def linalg_pinv(a, rcond=None, hermitian=False, *, rtol=np._NoValue):
    x = _matrix_stack(a, "pinv")
    _lapack_only(x, "pinv")
    m, n = x.shape[-2:]
    if rcond is None:
        rcond = 1e-15 if rtol is np._NoValue else (max(m, n) * np.finfo(x.dtype).eps if rtol is None else rtol)
    elif rtol is not np._NoValue:
        raise errors.TracedShapeError("`rtol` and `rcond` can't be both set.", fix="pass one of them")
    if not x.size:  # NumPy returns an empty array of the input's own dtype here (bool stays bool)
        return _zeros(x.shape[:-2] + (n, m), P.lift(a).dtype)
    u, s, vt = _reduced_svd(x)
    cutoff = P.lift(rcond, x.dtype)[..., None] * np.max(s, axis=-1, keepdims=True)
    return np.swapaxes(vt, -1, -2) @ (_inverted_above(s, cutoff)[..., None] * np.swapaxes(u, -1, -2))


@implements(np.linalg.matrix_rank)
def linalg_matrix_rank(A, tol=None, hermitian=False, *, rtol=None):
    if rtol is not None and tol is not None:
        raise errors.TracedShapeError("`tol` and `rtol` can't be both set.", fix="pass one of them")
    x = P.lift(A)
    if x.ndim < 2:  # NumPy: rank 1 unless every entry is zero
        return P.convert(np.any(x != 0), np.int64)
    x = P.convert(x, _linalg_dtype(x))
    _lapack_only(x, "matrix_rank")
    s = singular_values(x)
    if tol is None:
        rtol = max(x.shape[-2:]) * np.finfo(x.dtype).eps if rtol is None else P.lift(rtol, x.dtype)[..., None]
        largest = np.max(s, axis=-1, keepdims=True) if s.shape[-1] else _zeros(s.shape[:-1] + (1,), s.dtype)
        tol = largest * rtol
    else:
        tol = P.lift(tol, x.dtype)[..., None]
    return np.sum(P.convert(s > tol, np.int64), axis=-1, dtype=np.int64)


# p -> the condition number from the singular values (descending), for the p that only need those.
_SINGULAR_VALUE_CONDITION = {
    None: lambda s: s[..., 0] / s[..., -1],
    2: lambda s: s[..., 0] / s[..., -1],
    -2: lambda s: s[..., -1] / s[..., 0],
}


@implements(np.linalg.cond)
def linalg_cond(x, p=None):
    """A singular matrix gives inf, never LinAlgError; nan only where the matrix holds a nan (NumPy turns the
    other nans of its division, 0 / 0 for a zero matrix, into inf)."""
    p = _static_order(p)  # (NumPy reads p first: a traced one is refused before x's shape is looked at)
    a = _matrix_stack(x, "cond")
    rule = _SINGULAR_VALUE_CONDITION.get(p) if not isinstance(p, str) else None
    if rule is not None:
        _lapack_only(a, "cond")
        r = rule(singular_values(a))
    else:
        a = _square_stack(a, "cond")
        r = linalg_norm(a, p, axis=(-2, -1)) * linalg_norm(linalg_inv(a), p, axis=(-2, -1))
    return np.where(np.isnan(r) & ~np.isnan(a).any(axis=(-2, -1)), np.inf, r)


def _complex_zeros(shape, dtype) -> TracedArray:
    return complex_from_parts(_zeros(shape, dtype), _zeros(shape, dtype))


@implements(np.linalg.eig)
def linalg_eig(a):
    """Always complex: see the module's docstring."""
    x = _square_stack(a, "eig")
    _lapack_only(x, "eig")
    if not x.size:
        return _linalg.EigResult(_complex_zeros(x.shape[:-1], x.dtype), _complex_zeros(x.shape, x.dtype))
    return _linalg.EigResult(*linalg_lapack.eig(x, vectors=True))


@implements(np.linalg.eigvals)
def linalg_eigvals(a):
    """Always complex: see the module's docstring."""
    x = _square_stack(a, "eigvals")
    _lapack_only(x, "eigvals")
    if not x.size:
        return _complex_zeros(x.shape[:-1], x.dtype)
    return linalg_lapack.eig(x, vectors=False)[0]
