"""The factorisations behind np.linalg on CPU: jaxlib's LAPACK kernels (`ir/ops/lapack.py`).

`available(x)` says whether the trace's platform has them (CPU) and x is not empty (a kernel call on an
empty matrix or batch is skipped, as JAX does, by the StableHLO lowerings that handle it). Elsewhere
`tracer/numpy_api/linalg.py` keeps its StableHLO LU (a loop) and `stablehlo.cholesky`, and the
decompositions without a StableHLO lowering (eigh, svd, qr ...) raise, naming the platform.

A kernel's `info` is nonzero where it failed (not positive definite, no convergence): those matrices'
results become NaN, as JAX makes them, since NumPy's LinAlgError cannot be raised on values the trace
does not know. getrf is the exception: a singular matrix is factorised all the same (U has a zero
on its diagonal), so det is 0 and solve/inv give inf/nan, as in JAX.
"""

from __future__ import annotations

import numpy as np

from ir import ops
from tracer import primitives as P
from tracer.numpy_api.complex_values import complex_from_parts
from tracer.trace_state import current_trace
from tracer.traced_array import TracedArray

__all__ = ["available", "cholesky", "eig", "eigh", "lu_factor", "nan_where_failed", "qr", "svd", "triangle"]


def available(x: TracedArray) -> bool:
    """Whether x's factorisations go to LAPACK: compiled for CPU, the kernels registered (jaxlib binds them to
    SciPy's LAPACK), and no empty matrix or batch."""
    import runtime

    trace = current_trace()
    platform = (trace.platform if trace is not None else None) or runtime.default_device().platform
    return platform == "cpu" and x.size > 0 and runtime.lapack_available()


def _wrap(value) -> TracedArray:
    return P.wrap(value, tuple(ops.shape_of(value)), ops.dtype_of(value))


def nan_where_failed(x: TracedArray, info: TracedArray) -> TracedArray:
    """x with NaN in every matrix (or vector) whose kernel reported failure (info != 0, shape = batch)."""
    failed = P.reshape(info != 0, info.shape + (1,) * (x.ndim - info.ndim))
    return np.where(failed, P.scalar_like(x, np.nan), x)


def _iota(shape, dimension: int) -> TracedArray:
    return P.wrap(ops.iota(shape, dimension, np.int32), tuple(shape), np.dtype(np.int32))


def triangle(x: TracedArray, *, lower: bool, k: int = 0) -> TracedArray:
    """x's lower (upper) triangle from diagonal k, zeros elsewhere (LAPACK leaves the other one as it was)."""
    rows, cols = _iota(x.shape, x.ndim - 2), _iota(x.shape, x.ndim - 1)
    keep = cols - rows <= k if lower else cols - rows >= k
    return np.where(keep, x, P.scalar_like(x, 0))


def lu_factor(x: TracedArray) -> tuple[TracedArray, TracedArray, TracedArray]:
    """(lu, perm, sign) as `linalg.lu_factor` gives them, from getrf: perm from its row swaps, sign from
    how many of them swap two different rows."""
    lu, pivots, _ = (_wrap(v) for v in ops.getrf(x._value))
    perm = _wrap(ops.pivots_to_permutation(pivots._value))
    steps = _iota(pivots.shape, pivots.ndim - 1) + 1
    flips = np.where(pivots == steps, P.full(pivots.shape, 1, lu.dtype), P.full(pivots.shape, -1, lu.dtype))
    return lu, perm, np.prod(flips, axis=-1)


def cholesky(x: TracedArray, *, lower: bool) -> TracedArray:
    factor, info = (_wrap(v) for v in ops.potrf(x._value, lower=lower))
    return nan_where_failed(triangle(factor, lower=lower), info)


def eigh(x: TracedArray, *, lower: bool, vectors: bool) -> tuple[TracedArray, TracedArray | None]:
    """(eigenvalues ascending, eigenvectors in columns or None)."""
    v, w, info = (_wrap(value) for value in ops.syevd(x._value, lower=lower, vectors=vectors))
    return nan_where_failed(w, info), nan_where_failed(v, info) if vectors else None


def eig(x: TracedArray, *, vectors: bool) -> tuple[TracedArray, TracedArray | None]:
    """(eigenvalues, right eigenvectors in columns or None) of general real matrices, complex64 (complex128)
    for float32 (float64). geev gives the eigenvalues as real and imaginary parts (conjugate pairs adjacent,
    positive imaginary part first, as NumPy has them) and the vectors already complex, normalised to unit
    length with the largest component real. NaN (real and imaginary) where the QR algorithm did not converge."""
    real, imaginary, _, right, info = (_wrap(v) for v in ops.geev(x._value, left=False, right=vectors))
    values = complex_from_parts(nan_where_failed(real, info), nan_where_failed(imaginary, info))
    if not vectors:
        return values, None
    # (NaN goes into each part: complex constants are not built, see ir/dtypes.py)
    return values, complex_from_parts(nan_where_failed(right.real, info), nan_where_failed(right.imag, info))


def svd(x: TracedArray, *, full_matrices: bool, compute_uv: bool):
    """(u, s, vh), or s alone without compute_uv; singular values descending."""
    s, u, vt, info = (_wrap(v) for v in ops.gesdd(x._value, full_matrices=full_matrices, compute_uv=compute_uv))
    s = nan_where_failed(s, info)
    if not compute_uv:
        return s
    return nan_where_failed(u, info), s, nan_where_failed(vt, info)


def qr(x: TracedArray, *, complete: bool, compute_q: bool):
    """(q, r) with r upper triangular ([k, n], or [m, n] when `complete`), q's columns orthonormal ([m, k] or
    [m, m]); q is None without compute_q. k = min(m, n). Also (reflectors, taus) for NumPy's 'raw' mode."""
    m, n = x.shape[-2:]
    k = min(m, n)
    columns = m if complete else k
    # Q from all k reflectors and R are all the user sees: the mark lets autodiff take QR's derivative whole.
    packed, taus = (_wrap(v) for v in ops.geqrf(x._value, reflectors_for_orgqr=compute_q and columns == k))
    r = triangle(packed if complete or m <= n else packed[..., :n, :], lower=False)
    if not compute_q:
        return None, r, (packed, taus)
    reflectors = packed[..., :, :columns]
    if columns > n:  # Q's extra columns come from zero columns with no reflector of their own (tau = 0)
        pad = P.full(x.shape[:-2] + (m, columns - n), 0, x.dtype)
        reflectors = np.concatenate([reflectors, pad], axis=-1)
        taus = np.concatenate([taus, P.full(x.shape[:-2] + (columns - n,), 0, x.dtype)], axis=-1)
    q = _wrap(ops.orgqr(reflectors._value, taus._value))
    return q, r, (packed, taus)
