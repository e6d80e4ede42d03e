"""Products and linear algebra.

Contractions draw float operands with every mantissa bit in use (values exact in float16 would hide a
float64 product computed in float32) and compare with a tolerance per dtype: a few ulps of the dtype,
relative, plus an absolute allowance for the sums' cancellation (terms up to 3**3, a few dozen of them).
"""

from __future__ import annotations

import ml_dtypes
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
import numpy as np

from helpers import BFLOAT16
from tables.entry import Entry, arrays, one_array

_EPSILON = {np.dtype(d): float(ml_dtypes.finfo(d).eps) for d in (np.float16, np.float32, np.float64)} | {
    BFLOAT16: float(ml_dtypes.finfo(BFLOAT16).eps)}
CONTRACTION_RTOL = {dtype: 4 * eps for dtype, eps in _EPSILON.items()}
CONTRACTION_ATOL = {dtype: 1024 * eps for dtype, eps in _EPSILON.items()}
CONTRACTION = {"rtol": CONTRACTION_RTOL, "atol": CONTRACTION_ATOL}
# norm: a square root of a sum of squares (or a max, or a power sum), relative to its own size
NORM_RTOL = {dtype: 16 * eps for dtype, eps in _EPSILON.items()}


def _precise(dtype, shape):
    """Operands of a contraction: float16/32/64 values in [-3, 3] with full mantissas (no subnormals, which
    XLA's CPU backend flushes), small ints otherwise (bfloat16: halves, which its NumPy oracle reads exactly)."""
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        return _small(dtype, shape)
    values = st.floats(-3, 3, width=dtype.itemsize * 8, allow_nan=False, allow_subnormal=False)
    return hnp.arrays(dtype, shape, elements=values)


def dot_operands(dtype):
    """(a, b) with ranks 0-3 whose contracted sizes agree, as np.dot needs."""

    @st.composite
    def draw_args(draw):
        k = draw(st.integers(0, 3))
        a_lead = tuple(draw(st.lists(st.integers(0, 3), max_size=2)))
        b_rank = draw(st.integers(0, 3))
        a_shape = a_lead + (k,) if draw(st.booleans()) else ()
        if not a_shape:
            b_shape = tuple(draw(st.lists(st.integers(0, 3), max_size=3)))
        else:
            b_shape = (k,) if b_rank <= 1 else tuple(draw(st.lists(st.integers(0, 3), min_size=b_rank - 2, max_size=b_rank - 2))) + (k, draw(st.integers(0, 3)))
        return draw(_precise(dtype, a_shape)), draw(_precise(dtype, b_shape))

    return draw_args()


ENTRIES = [
    Entry("numpy.dot", np.dot, arity=2, inputs=dot_operands, **CONTRACTION),
]


# -- inputs for the other products ------------------------------------------------------------------

def _small(dtype, shape):
    return arrays(dtype, shape, low=-3, high=3, specials=False)


sides = st.integers(0, 3)
FLOATS = (np.dtype(np.float32), np.dtype(np.float64))

# (subscripts, label of each axis of each operand); '.' stands for the ellipsis' axes.
EINSUM_SPECS = [
    "ij,jk->ik", "ij,jk", "i,i", "i,i->", "ij->ji", "ii->i", "ii", "ij->", "ijk->kj", "i,j->ij", "i,j",
    "bij,bjk->bik", "ij,kj", "iij->j", "...j,j->...", "...ij,...jk", "i...->...", "ij,jk,kl->il", "i,i,i",
    "ba,ab", "Ab,bA->A", "ij,ij->ij", "ij,ij->", "...,...->...",
]


def einsum_operands(dtype):
    """(subscripts, *operands) for a drawn EINSUM_SPECS string, label sizes and ellipsis shape."""

    @st.composite
    def draw_args(draw):
        spec = draw(st.sampled_from(EINSUM_SPECS))
        sizes = {c: draw(sides) for c in set(spec) if c.isalpha()}
        ellipsis = tuple(draw(st.lists(sides, max_size=2)))
        terms = spec.split("->")[0].split(",")
        shapes = []
        for term in terms:
            lead = ellipsis[draw(st.integers(0, len(ellipsis))):] if "..." in term else ()  # ranks may differ
            letters = term.replace("...", ".")
            shapes.append(tuple(n for c in letters for n in ((lead if c == "." else (sizes[c],)))))
        return (spec,) + tuple(draw(_precise(dtype, shape)) for shape in shapes)

    return draw_args()


def tensordot_operands(dtype):
    @st.composite
    def draw_args(draw):
        shared = tuple(draw(st.lists(sides, max_size=2)))
        a = tuple(draw(st.lists(sides, max_size=2))) + shared
        b = shared + tuple(draw(st.lists(sides, max_size=2)))
        if draw(st.booleans()):
            return draw(_precise(dtype, a)), draw(_precise(dtype, b)), len(shared)
        order = draw(st.permutations(range(len(shared))))
        axes_a = [len(a) - len(shared) + i for i in order]
        return draw(_precise(dtype, a)), draw(_precise(dtype, b)), (axes_a, [i - len(b) for i in order])

    return draw_args()


def same_size_operands(dtype):
    @st.composite
    def draw_args(draw):
        shape = tuple(draw(st.lists(sides, max_size=3)))
        size = int(np.prod(shape))
        return draw(_precise(dtype, shape)), draw(_precise(dtype, (size,) if draw(st.booleans()) else shape[::-1]))

    return draw_args()


def last_axis_operands(dtype):
    """(a, b) sharing the last axis, other axes broadcastable (inner, vecdot); sometimes a 0-d one."""

    @st.composite
    def draw_args(draw):
        shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=2, max_side=3))
        k = draw(sides)
        a, b = (s + (k,) for s in shapes.input_shapes)
        if draw(st.integers(0, 5)) == 0:
            a = ()
        return draw(_precise(dtype, a)), draw(_precise(dtype, b))

    return draw_args()


def matrix_and_axes(dtype):
    """(x, offset, axis1, axis2) for diagonal/trace: x of rank >= 2, distinct axes."""

    @st.composite
    def draw_args(draw):
        shape = draw(hnp.array_shapes(min_dims=2, max_dims=4, min_side=0, max_side=3))
        n = len(shape)
        axis1 = draw(st.integers(-n, n - 1))
        axis2 = draw(st.integers(-n, n - 1).filter(lambda a: a % n != axis1 % n))
        return draw(_small(dtype, shape)), draw(st.integers(-3, 3)), axis1, axis2

    return draw_args()


def diag_operand(dtype):
    @st.composite
    def draw_args(draw):
        shape = draw(hnp.array_shapes(min_dims=1, max_dims=2, min_side=0, max_side=4))
        return draw(_small(dtype, shape)), draw(st.integers(-3, 3))

    return draw_args()


def any_array_and_k(dtype):
    @st.composite
    def draw_args(draw):
        shape = draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=3))
        return draw(_small(dtype, shape)), draw(st.integers(-2, 2))

    return draw_args()


def two_arrays(max_dims=3, min_dims=0):
    def strategy(dtype):
        shape = hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=0, max_side=3)
        return st.tuples(shape.flatmap(lambda s: _small(dtype, s)), shape.flatmap(lambda s: _small(dtype, s)))

    return strategy


def cross_operands(dtype, sizes=(2, 3)):
    @st.composite
    def draw_args(draw):
        shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=2, max_side=3))
        a, b = (s + (draw(st.sampled_from(sizes)),) for s in shapes.input_shapes)
        return draw(_small(dtype, a)), draw(_small(dtype, b))

    return draw_args()


def signal_operands(dtype):
    @st.composite
    def draw_args(draw):
        a, v = draw(st.integers(1, 6)), draw(st.integers(1, 6))
        return draw(_precise(dtype, (a,))), draw(_precise(dtype, (v,))), draw(st.sampled_from(["full", "same", "valid"]))

    return draw_args()


def matmul_operands(dtype):
    @st.composite
    def draw_args(draw):
        shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=2, max_side=3))
        n, k, m = draw(sides), draw(sides), draw(sides)
        a = shapes.input_shapes[0] + (n, k) if draw(st.booleans()) else (k,)
        b = shapes.input_shapes[1] + (k, m) if draw(st.booleans()) else (k,)
        return draw(_precise(dtype, a)), draw(_precise(dtype, b))

    return draw_args()


def chain_operands(dtype):
    @st.composite
    def draw_args(draw):
        dims = [draw(st.integers(1, 3)) for _ in range(4)]
        first = (dims[0], dims[1]) if draw(st.booleans()) else (dims[1],)
        last = (dims[2], dims[3]) if draw(st.booleans()) else (dims[2],)
        return draw(_precise(dtype, first)), draw(_precise(dtype, (dims[1], dims[2]))), draw(_precise(dtype, last))

    return draw_args()


def norm_operand(dtype):
    """(x, ord, axis) with the ords NumPy defines for the number of axes drawn."""

    @st.composite
    def draw_args(draw):
        shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=3))
        x = draw(_small(dtype, shape))
        n = len(shape)
        if n >= 2 and draw(st.booleans()):
            axis = tuple(draw(st.permutations(range(n)))[:2])
            return x, draw(st.sampled_from([None, "fro", 1, -1, np.inf, -np.inf])), axis
        axis = draw(st.one_of(st.none(), st.integers(-n, n - 1))) if n == 1 else draw(st.integers(-n, n - 1))
        return x, draw(st.sampled_from([None, 0, 1, 2, 3, 0.5, np.inf, -np.inf])), axis

    return draw_args()


def well_conditioned(dtype, *, extra=None):
    """A batch of n x n matrices (n in 0..4) with a dominant diagonal, and `extra(draw, shape)` more args."""

    @st.composite
    def draw_args(draw):
        batch = tuple(draw(st.lists(st.integers(1, 2), max_size=2)))
        n = draw(st.integers(0, 4))
        noise = draw(arrays(dtype, batch + (n, n), low=-2, high=2, specials=False))
        a = (noise + 4 * (n + 1) * np.eye(n, dtype=dtype)).astype(dtype)
        return (a,) + (extra(draw, a.shape) if extra else ())

    return draw_args()


def _right_hand_side(dtype):
    def extra(draw, shape):
        n = shape[-1]
        b_shape = draw(st.sampled_from([(n,), shape[:-2] + (n, 2), shape[-3:-2] + (n, 1)]))
        return (draw(arrays(dtype, b_shape, low=-4, high=4, specials=False)),)

    return extra


def _positive_definite(dtype):
    return well_conditioned(dtype).map(lambda args: ((args[0] @ np.swapaxes(args[0], -1, -2)).astype(dtype),))


def _power(draw, shape):
    return (draw(st.integers(-2, 4)),)


def _solver_entries(name, call, inputs):
    """One entry per float dtype: the tolerance float32 needs would hide float64 errors."""
    tolerances = {np.dtype(np.float32): (2e-4, 1e-5), np.dtype(np.float64): (1e-10, 1e-12)}
    return [Entry(name, call, dtypes=(dtype,), inputs=inputs, rtol=rtol, atol=atol, tags=(str(dtype),))
            for dtype, (rtol, atol) in tolerances.items()]


ENTRIES += [
    Entry("numpy.einsum", lambda subscripts, *xs: np.einsum(subscripts, *xs), inputs=einsum_operands, examples=10,
          **CONTRACTION),
    Entry("numpy.tensordot", lambda a, b, axes: np.tensordot(a, b, axes), inputs=tensordot_operands, **CONTRACTION),
    Entry("numpy.linalg.tensordot", lambda a, b, axes: np.linalg.tensordot(a, b, axes=axes), inputs=tensordot_operands, **CONTRACTION),
    Entry("numpy.vdot", np.vdot, inputs=same_size_operands, **CONTRACTION),
    Entry("numpy.inner", np.inner, inputs=last_axis_operands, **CONTRACTION),
    Entry("numpy.linalg.vecdot", np.linalg.vecdot, inputs=last_axis_operands, **CONTRACTION),
    Entry("numpy.outer", np.outer, inputs=two_arrays()),
    Entry("numpy.linalg.outer", np.linalg.outer, inputs=two_arrays(max_dims=2)),
    Entry("numpy.kron", np.kron, inputs=two_arrays()),
    Entry("numpy.diagonal", lambda x, k, a1, a2: np.diagonal(x, k, a1, a2), inputs=matrix_and_axes),
    Entry("numpy.linalg.diagonal", lambda x, k, a1, a2: np.linalg.diagonal(x, offset=k), inputs=matrix_and_axes),
    Entry("numpy.trace", lambda x, k, a1, a2: np.trace(x, k, a1, a2), inputs=matrix_and_axes),
    Entry("numpy.linalg.trace", lambda x, k, a1, a2: np.linalg.trace(x, offset=k), inputs=matrix_and_axes),
    Entry("numpy.diag", lambda x, k: np.diag(x, k), inputs=diag_operand),
    Entry("numpy.diagflat", lambda x, k: np.diagflat(x, k), inputs=any_array_and_k),
    Entry("numpy.cross", np.cross, inputs=cross_operands),
    Entry("numpy.linalg.cross", np.linalg.cross, inputs=lambda dtype: cross_operands(dtype, sizes=(3,))),
    Entry("numpy.convolve", lambda a, v, mode: np.convolve(a, v, mode), inputs=signal_operands, **CONTRACTION),
    Entry("numpy.correlate", lambda a, v, mode: np.correlate(a, v, mode), inputs=signal_operands, **CONTRACTION),
    Entry("numpy.matrix_transpose", np.matrix_transpose, inputs=one_array()),
    Entry("numpy.linalg.matrix_transpose", np.linalg.matrix_transpose, inputs=one_array()),
    Entry("numpy.linalg.matmul", np.linalg.matmul, inputs=matmul_operands, **CONTRACTION),
    Entry("numpy.linalg.multi_dot", lambda a, b, c: np.linalg.multi_dot([a, b, c]), inputs=chain_operands, **CONTRACTION),
    Entry("numpy.linalg.norm", lambda x, ord, axis: np.linalg.norm(x, ord, axis), inputs=norm_operand, rtol=NORM_RTOL,
          dtypes=(np.dtype(np.bool_), np.dtype(np.int8), np.dtype(np.float16), *FLOATS)),
    Entry("numpy.linalg.vector_norm", lambda x, ord, axis: np.linalg.vector_norm(x, ord=ord or 2, axis=axis),
          inputs=norm_operand, rtol=1e-5, dtypes=(np.dtype(np.int32), *FLOATS)),
    Entry("numpy.linalg.matrix_norm", lambda x, ord: np.linalg.matrix_norm(x, ord=ord, keepdims=True),
          inputs=lambda dtype: well_conditioned(dtype, extra=lambda draw, s: (draw(st.sampled_from(["fro", 1, -1, np.inf, -np.inf])),)),
          rtol=1e-5, dtypes=FLOATS),
    *_solver_entries("numpy.linalg.solve", np.linalg.solve, lambda dtype: well_conditioned(dtype, extra=_right_hand_side(dtype))),
    *_solver_entries("numpy.linalg.inv", np.linalg.inv, well_conditioned),
    *_solver_entries("numpy.linalg.det", np.linalg.det, well_conditioned),
    *_solver_entries("numpy.linalg.slogdet", np.linalg.slogdet, well_conditioned),
    *_solver_entries("numpy.linalg.cholesky", np.linalg.cholesky, _positive_definite),
    *_solver_entries("numpy.linalg.matrix_power", lambda a, n: np.linalg.matrix_power(a, n),
                     lambda dtype: well_conditioned(dtype, extra=_power)),
]


# -- decompositions (LAPACK on CPU) -------------------------------------------------------------------------
# Eigenvectors and singular vectors are unique only up to sign (and within repeated values), and LAPACK
# builds may pick other signs than NumPy's: those entries compare what the decomposition determines (the
# values, the reconstruction, orthonormality), never the raw vectors.

def _symmetric(dtype):
    """Symmetric matrices with their diagonal shifted down, so that some eigenvalues are negative."""
    def shifted(args):
        n = args[0].shape[-1]
        return (((args[0] + _mT(args[0])) / 2 - 3 * (n + 1) * np.eye(n)).astype(dtype),)

    return well_conditioned(dtype).map(shifted)


def rectangular(dtype, *, full_rank: bool = True, batched: bool = True, extra=None):
    """A batch of m x n matrices (1..4 each way); with `full_rank`, a dominant diagonal keeps them well conditioned."""

    @st.composite
    def draw_args(draw):
        batch = tuple(draw(st.lists(st.integers(1, 2), max_size=1 if batched else 0)))
        m, n = draw(st.integers(1, 4)), draw(st.integers(1, 4))
        a = draw(arrays(dtype, batch + (m, n), low=-2, high=2, specials=False))
        if full_rank:
            a = (a + 4 * (max(m, n) + 1) * np.eye(m, n, dtype=dtype)).astype(dtype)
        return (a,) + (extra(draw, a.shape) if extra else ())

    return draw_args()


def _rank_deficient(dtype):
    """Matrices whose last row repeats the first (rank below min(m, n) unless m == 1), or full rank ones.
    (float64 only: in float32 the singular value that rounding leaves lies near the tolerance, ~1e-7 relative,
    where NumPy's LAPACK and ours may land on either side.)"""

    def deficient(args):
        a = args[0].copy()
        a[..., -1, :] = a[..., 0, :]
        return (a,)

    return st.one_of(rectangular(dtype), rectangular(dtype, full_rank=False).map(deficient))


def _mT(x):
    return np.swapaxes(x, -1, -2)


def _eigh_determined(a, uplo):
    w, v = np.linalg.eigh(a, UPLO=uplo)
    return w, v @ (w[..., :, None] * _mT(v)), _mT(v) @ v


def _svd_determined(a, full_matrices):
    u, s, vh = np.linalg.svd(a, full_matrices=full_matrices)
    k = s.shape[-1]
    return s, (u[..., :, :k] * s[..., None, :]) @ vh[..., :k, :], _mT(u) @ u, vh @ _mT(vh)


def _qr_determined(a, mode):
    """(The reduced factors' product always: so that every draw computes Q, as the autodiff sweep expects.)"""
    q, r = np.linalg.qr(a)
    reduced = (q @ r, np.abs(r), _mT(q) @ q)
    if mode == "r":
        return reduced + (np.abs(np.linalg.qr(a, mode="r")),)
    q, r = np.linalg.qr(a, mode=mode)
    return reduced + (q @ r, np.abs(r), _mT(q) @ q)


def _eig_parts(w):
    """The eigenvalues whatever their order, in real arithmetic (a traced complex array is taken apart first):
    their real parts, imaginary parts and moduli as sorted multisets."""
    return np.sort(w.real, axis=-1), np.sort(w.imag, axis=-1), np.sort(np.abs(w), axis=-1)


def _eig_determined(a):
    """The eigenvalues (`_eig_parts`), (A V - V diag(w)) / max|A| (zero) and the vectors' lengths (one): what
    determines eig's results whatever the order and the vectors' phases. (The residual is scaled so that the
    table's absolute tolerance is relative to A: unscaled, a float32 residual is eps * |A| * n ~ 1e-5 for
    entries ~20, for NumPy's LAPACK as for ours.)"""
    w, v = np.linalg.eig(a)
    wr, wi, vr, vi = w.real[..., None, :], w.imag[..., None, :], v.real, v.imag
    scale = np.max(np.abs(a), axis=(-2, -1), keepdims=True) + 1  # (+ 1: a zero matrix)
    residual = ((a @ vr - vr * wr + vi * wi) / scale, (a @ vi - vr * wi - vi * wr) / scale)
    return _eig_parts(w) + residual + (np.sum(vr ** 2 + vi ** 2, axis=-2),)


def _lstsq_rhs(dtype):
    def extra(draw, shape):
        m = shape[-2]
        b_shape = draw(st.sampled_from([(m,), (m, 1), (m, 3)]))
        return (draw(arrays(dtype, b_shape, low=-4, high=4, specials=False)),)

    return extra


ENTRIES += [
    *_solver_entries("numpy.linalg.eigh", _eigh_determined,
                     lambda dtype: _symmetric(dtype).flatmap(lambda a: st.sampled_from(["L", "U"]).map(lambda u: a + (u,)))),
    *_solver_entries("numpy.linalg.eigvalsh", np.linalg.eigvalsh, _symmetric),
    *_solver_entries("numpy.linalg.eig", _eig_determined, well_conditioned),
    *_solver_entries("numpy.linalg.eigvals", lambda a: _eig_parts(np.linalg.eigvals(a)), well_conditioned),
    *_solver_entries("numpy.linalg.svd", _svd_determined,
                     lambda dtype: rectangular(dtype, full_rank=False, extra=lambda draw, s: (draw(st.booleans()),))),
    *_solver_entries("numpy.linalg.svdvals", np.linalg.svdvals, lambda dtype: rectangular(dtype, full_rank=False)),
    *_solver_entries("numpy.linalg.qr", _qr_determined,
                     lambda dtype: rectangular(dtype, extra=lambda draw, s: (draw(st.sampled_from(["reduced", "complete", "r"])),))),
    *_solver_entries("numpy.linalg.lstsq", lambda a, b: np.linalg.lstsq(a, b),
                     lambda dtype: rectangular(dtype, batched=False, extra=_lstsq_rhs(dtype))),
    *_solver_entries("numpy.linalg.pinv", np.linalg.pinv, rectangular),
    Entry("numpy.linalg.matrix_rank", np.linalg.matrix_rank, dtypes=(np.dtype(np.float32),), inputs=rectangular,
          tags=("float32",)),
    Entry("numpy.linalg.matrix_rank", np.linalg.matrix_rank, dtypes=(np.dtype(np.float64),), inputs=_rank_deficient,
          tags=("float64",)),
    *_solver_entries("numpy.linalg.cond", lambda a, p: np.linalg.cond(a, p),
                     lambda dtype: well_conditioned(dtype, extra=lambda draw, s: (
                         draw(st.sampled_from([None, 2, -2, 1, -1, np.inf, "fro"])),)).filter(lambda args: args[0].shape[-1])),
]
