"""np.linalg's solvers and norms: solve, inv, det, slogdet, cholesky, matrix_power, norm and friends.

solve/inv/det/slogdet share one LU factorisation with partial pivoting, then two triangular solves.
On CPU the factorisation is LAPACK's getrf, the solves BLAS's trsm and cholesky is potrf
(`linalg_lapack.py`); elsewhere the solves are `stablehlo.triangular_solve`, the LU is
written in StableHLO ops (a `tracer.fori_loop` over the columns, masks from iota instead of per-matrix
indexing, so a batch of matrices pivots independently) and cholesky is `stablehlo.cholesky`.

Singular matrices: NumPy raises LinAlgError, but under tracing the values are not known, so
(as in JAX) det is 0, slogdet gives (0, -inf), and solve/inv give inf/nan entries. A matrix
that is not positive definite gives cholesky nan entries instead of LinAlgError.
"""

from __future__ import annotations

import math
import operator

import numpy as np

from ir import ops
from tracer import errors
from tracer import primitives as P
from tracer.control_flow.loops import fori_loop
from tracer.numpy_api import linalg_lapack
from tracer.numpy_api.contractions import take_diagonal
from tracer.numpy_api.registry import implements
from tracer.traced_array import TracedArray, is_traced

__all__ = ["linalg_cholesky", "linalg_det", "linalg_inv", "linalg_matrix_norm", "linalg_matrix_power", "linalg_norm",
           "linalg_slogdet", "linalg_solve", "linalg_vector_norm", "lu_factor"]


# -- dtypes and shapes ---------------------------------------------------------------------------

def _linalg_dtype(*arrays) -> np.dtype:
    """NumPy's linalg computes ints and bools in float64 and has no float16 routines."""
    dtypes = [a.dtype if is_traced(a) else np.asarray(a).dtype for a in arrays]
    if np.dtype(np.float16) in dtypes:
        raise errors.TracedTypeError("array type float16 is unsupported in linalg", fix="cast to float32 first")
    return np.result_type(*(d if d.kind == "f" else np.dtype(np.float64) for d in dtypes))


def _square_stack(a, name: str) -> TracedArray:
    x = P.lift(a, _linalg_dtype(a))
    if x.ndim < 2:
        raise errors.TracedShapeError(f"{x.ndim}-dimensional array given. Array must be at least two-dimensional",
                                      fix=f"np.linalg.{name} takes a matrix or a stack of matrices")
    if x.shape[-1] != x.shape[-2]:
        raise errors.TracedShapeError(f"Last 2 dimensions of the array must be square (got shape {x.shape})",
                                      fix=f"np.linalg.{name} needs square matrices")
    return x


def _iota(shape, dimension: int) -> TracedArray:
    return P.wrap(ops.iota(shape, dimension, np.int32), tuple(shape), np.dtype(np.int32))


def _index(x: TracedArray, axis: int, k: TracedArray) -> TracedArray:
    """x taken at run-time position k along `axis` (that axis removed)."""
    zero = P.full((), 0, k.dtype)._value
    starts = [k._value if d == axis else zero for d in range(x.ndim)]
    sizes = [1 if d == axis else n for d, n in enumerate(x.shape)]
    value = ops.dynamic_slice(x._value, starts, sizes)
    return P.reshape(P.wrap(value, tuple(sizes), x.dtype), x.shape[:axis] + x.shape[axis + 1:])


def _expand(x: TracedArray, axis: int) -> TracedArray:
    """x with a new size-1 axis at `axis` (for broadcasting against the matrices)."""
    axis = axis % (x.ndim + 1)
    return P.reshape(x, x.shape[:axis] + (1,) + x.shape[axis:])


def _pick(mask: TracedArray, x: TracedArray, axis: int) -> TracedArray:
    """The entries of x where the one-hot `mask` is true, along `axis`: a select and a sum, no 0 * inf."""
    return np.sum(np.where(mask, x, P.scalar_like(x, 0)), axis=axis, dtype=x.dtype)


# -- LU with partial pivoting ----------------------------------------------------------------------

def _lu_step(k, carry, rows, rows2, cols2):
    """Column k: swap the largest |entry| at or below the diagonal into row k, eliminate below it."""
    lu, perm, sign = carry
    n = lu.shape[-1]
    column = _index(lu, 2, k)                                                  # (B, n)
    candidates = np.where(rows >= k, np.abs(column), P.scalar_like(column, -1))
    best = np.max(candidates, axis=1, keepdims=True)
    # The first row holding the largest value; a nan column matches nowhere and keeps row k.
    pivot = np.min(np.where(candidates == best, rows, P.scalar_like(rows, n)), axis=1, keepdims=True)
    pivot = np.where(pivot == n, P.scalar_like(pivot, 0) + k, pivot)          # (B, 1)
    is_k, is_pivot = rows == k, rows == pivot
    row_k, row_pivot = _index(lu, 1, k), _pick(_expand(is_pivot, 2), lu, 1)   # (B, n) each
    lu = np.where(_expand(is_k, 2), _expand(row_pivot, 1), np.where(_expand(is_pivot, 2), _expand(row_k, 1), lu))
    perm_k, perm_pivot = _expand(_pick(is_k, perm, 1), 1), _expand(_pick(is_pivot, perm, 1), 1)
    perm = np.where(is_k, perm_pivot, np.where(is_pivot, perm_k, perm))
    sign = np.where(P.reshape(pivot, sign.shape) == k, sign, -sign)
    multipliers = _index(lu, 2, k) / _expand(_index(row_pivot, 1, k), 1)      # (B, n)
    below = rows2 > k
    updated = lu - _expand(multipliers, 2) * _expand(row_pivot, 1)
    lu = np.where(below & (cols2 > k), updated, lu)
    lu = np.where(below & (cols2 == k), _expand(multipliers, 2), lu)
    return lu, perm, sign


def lu_factor(x: TracedArray) -> tuple[TracedArray, TracedArray, TracedArray]:
    """(lu, perm, sign) of x (shape [..., n, n]) with x[..., perm, :] = L @ U.

    L (unit diagonal) is below lu's diagonal, U on and above it; sign is the permutation's parity.
    """
    if linalg_lapack.available(x):
        return linalg_lapack.lu_factor(x)
    batch, n = x.shape[:-2], x.shape[-1]
    size = math.prod(batch)
    lu = P.reshape(x, (size, n, n))
    rows, rows2, cols2 = _iota((size, n), 1), _iota((size, n, n), 1), _iota((size, n, n), 2)
    lu, perm, sign = (lu, _iota((size, n), 1), P.full((size,), 1, x.dtype))
    if n:  # (the body of a loop over 0x0 matrices would still be traced, and slice out of bounds)
        lu, perm, sign = fori_loop(0, n, lambda k, carry: _lu_step(k, carry, rows, rows2, cols2), (lu, perm, sign))
    return P.reshape(lu, x.shape), P.reshape(perm, batch + (n,)), P.reshape(sign, batch)


def _lu_solve(lu: TracedArray, perm: TracedArray, b: TracedArray) -> TracedArray:
    """x with A x = b for matrices b [..., n, k], given A's factors (batch dims already equal)."""
    # b's rows in pivot order: a gather (a one-hot matmul costs n^2 k per matrix, ~20% of a 32x32 solve)
    pb = np.take_along_axis(b, P.broadcast_to(_expand(perm, -1), perm.shape + b.shape[-1:]), axis=-2)
    solve = ops.trsm if linalg_lapack.available(lu) else ops.triangular_solve  # (the same arguments)
    y = solve(lu._value, pb._value, left_side=True, lower=True, unit_diagonal=True)
    x = solve(lu._value, y, left_side=True, lower=False)
    return P.wrap(x, b.shape, b.dtype)


@implements(np.linalg.solve)
def linalg_solve(a, b):
    """b is one vector per matrix when 1-d (NumPy 2), otherwise a stack of matrices [..., n, k]."""
    dtype = _linalg_dtype(a, b)
    x = P.convert(_square_stack(a, "solve"), dtype)
    y = P.lift(b, dtype)
    vector = y.ndim == 1
    if vector:
        y = P.reshape(y, y.shape + (1,))
    if y.ndim < 2 or y.shape[-2] != x.shape[-1]:
        raise errors.TracedShapeError(
            f"solve: b of shape {P.lift(b).shape} does not fit a of shape {x.shape}: its "
            f"{'length' if vector else 'second-to-last dimension'} must be {x.shape[-1]}",
            fix="b is a vector (1-d) or a stack of matrices [..., n, k]")
    batch = P.broadcast_shapes(x.shape[:-2], y.shape[:-2])
    lu, perm, _ = lu_factor(x)
    lu, perm = P.broadcast_to(lu, batch + lu.shape[-2:]), P.broadcast_to(perm, batch + perm.shape[-1:])
    result = _lu_solve(lu, perm, P.broadcast_to(y, batch + y.shape[-2:]))
    return P.reshape(result, result.shape[:-1]) if vector else result


@implements(np.linalg.inv)
def linalg_inv(a):
    x = _square_stack(a, "inv")
    identity = P.broadcast_to(P.constant(np.eye(x.shape[-1], dtype=x.dtype)), x.shape)
    return linalg_solve(x, identity)


def _diagonal_of_lu(a, name: str):
    x = _square_stack(a, name)
    lu, _, sign = lu_factor(x)
    return take_diagonal(lu, 0, -2, -1), sign


@implements(np.linalg.det)
def linalg_det(a):
    diagonal, sign = _diagonal_of_lu(a, "det")
    return sign * np.prod(diagonal, axis=-1)


@implements(np.linalg.slogdet)
def linalg_slogdet(a):
    diagonal, sign = _diagonal_of_lu(a, "slogdet")
    signs = sign * np.prod(np.sign(diagonal), axis=-1)
    return np.linalg._linalg.SlogdetResult(signs, np.sum(np.log(np.abs(diagonal)), axis=-1))


@implements(np.linalg.cholesky)
def linalg_cholesky(a, /, *, upper=False):
    """The factor's other triangle is zeroed here: the spec leaves it to the implementation."""
    x = _square_stack(a, "cholesky")
    if linalg_lapack.available(x):
        return linalg_lapack.cholesky(x, lower=not upper)
    factor = P.wrap(ops.cholesky(x._value, lower=not upper), x.shape, x.dtype)
    rows, cols = _iota(x.shape, x.ndim - 2), _iota(x.shape, x.ndim - 1)
    keep = rows <= cols if upper else rows >= cols
    return np.where(keep, factor, P.scalar_like(factor, 0))


@implements(np.linalg.matrix_power)
def linalg_matrix_power(a, n):
    """Square-and-multiply; a negative power inverts first (ints become float64, as in NumPy)."""
    try:
        n = operator.index(n)
    except TypeError:
        raise errors.TracedTypeError("exponent must be an integer", fix="pass a Python int as n") from None
    x = P.lift(a)
    if x.ndim < 2 or x.shape[-1] != x.shape[-2]:
        _square_stack(x, "matrix_power")  # raises NumPy's error for this shape
    if n == 0:
        return P.broadcast_to(P.constant(np.eye(x.shape[-1], dtype=x.dtype)), x.shape)
    if n < 0:
        x, n = linalg_inv(x), -n
    result, square = None, x
    while n:
        if n & 1:
            result = square if result is None else np.matmul(result, square)
        n >>= 1
        if n:
            square = np.matmul(square, square)
    return result


# -- norms ------------------------------------------------------------------------------------------

def _float_operand(x) -> TracedArray:
    """NumPy's norms compute ints and bools in float64; float16 stays float16 here."""
    x = P.lift(x)
    return x if x.dtype.kind == "f" else P.convert(x, np.float64)


def _p_norm(x, axes, keepdims, ord: float):
    total = np.sum(np.power(np.abs(x), ord), axis=axes, keepdims=keepdims)  # (ord is a weak Python float)
    return np.power(total, 1.0 / ord)


# ord -> f(x, axes, keepdims): the vector norms with a closed form.
_VECTOR_NORMS = {
    # (initial=0 as NumPy's: the inf-norm of an empty vector is 0; |x| >= 0, so it changes nothing else)
    np.inf: lambda x, axes, keepdims: np.max(np.abs(x), axis=axes, keepdims=keepdims, initial=0),
    -np.inf: lambda x, axes, keepdims: np.min(np.abs(x), axis=axes, keepdims=keepdims),
    0: lambda x, axes, keepdims: np.sum(P.convert(x != 0, x.dtype), axis=axes, keepdims=keepdims),
    1: lambda x, axes, keepdims: np.sum(np.abs(x), axis=axes, keepdims=keepdims),
    2: lambda x, axes, keepdims: np.sqrt(np.sum(x * x, axis=axes, keepdims=keepdims)),
}


def _static_order(ord):
    """`ord` as a Python value: which norm to compute must be known while tracing."""
    if is_traced(ord):
        raise errors.ConcretizationError(
            f"the norm's order is a traced value ({ord!r}): which norm to compute must be known while tracing",
            fix="pass ord as a Python number or string (make it a static argument, static_argnums, if it is one)")
    return ord


def _vector_norm(x: TracedArray, ord, axes, keepdims: bool) -> TracedArray:
    ord = 2 if ord is None else _static_order(ord)
    if isinstance(ord, str):
        raise errors.TracedShapeError(f"Invalid norm order '{ord}' for vectors", fix="use a number, inf or -inf")
    rule = _VECTOR_NORMS.get(ord)
    return rule(x, axes, keepdims) if rule is not None else _p_norm(x, axes, keepdims, float(ord))


def _svd_norm(ord, reduce):
    """A matrix norm of the singular values (2: the largest, -2: the smallest, 'nuc': their sum)."""

    def norm(x, row, col):
        if not linalg_lapack.available(x):
            raise errors.UnsupportedNumPyError(
                f"np.linalg.norm with ord={ord!r} on matrices needs singular values (an SVD), which tracing computes "
                "by LAPACK, on CPU only", fix="use ord='fro', 1, -1, inf or -inf, or compile for the CPU")
        matrices = np.moveaxis(x, (row, col), (-2, -1))
        return reduce(linalg_lapack.svd(matrices, full_matrices=False, compute_uv=False), axis=-1)

    return norm


def _reduce_twice(x, sum_axis: int, extreme_axis: int, largest: bool):
    """max/min over `extreme_axis` of the sums of |x| over `sum_axis` (the 1- and inf-norms)."""
    sums = np.sum(np.abs(x), axis=sum_axis)
    extreme_axis -= extreme_axis > sum_axis
    if largest and sums.shape[extreme_axis] == 0:  # NumPy gives 0 for the 1-/inf-norm of an empty matrix
        return np.zeros_like(np.sum(sums, axis=extreme_axis))
    return (np.max if largest else np.min)(sums, axis=extreme_axis)


# ord -> f(x, row_axis, col_axis): matrix norms over two axes.
_MATRIX_NORMS = {
    None: lambda x, r, c: np.sqrt(np.sum(x * x, axis=(r, c))),
    "fro": lambda x, r, c: np.sqrt(np.sum(x * x, axis=(r, c))),
    "f": lambda x, r, c: np.sqrt(np.sum(x * x, axis=(r, c))),
    1: lambda x, r, c: _reduce_twice(x, r, c, largest=True),
    -1: lambda x, r, c: _reduce_twice(x, r, c, largest=False),
    np.inf: lambda x, r, c: _reduce_twice(x, c, r, largest=True),
    -np.inf: lambda x, r, c: _reduce_twice(x, c, r, largest=False),
    2: _svd_norm(2, np.max),
    -2: _svd_norm(-2, np.min),
    "nuc": _svd_norm("nuc", np.sum),
}


def _matrix_norm(x: TracedArray, ord, axes, keepdims: bool) -> TracedArray:
    row, col = (P.normalize_axis(a, x.ndim) for a in axes)
    ord = _static_order(ord)
    if row == col:
        raise errors.TracedShapeError("Duplicate axes given.")
    try:
        rule = _MATRIX_NORMS.get(ord)
    except TypeError:  # an unhashable ord
        rule = None
    if rule is None:
        raise errors.TracedShapeError(f"Invalid norm order {ord!r} for matrices",
                                      fix="use 'fro', 1, -1, inf or -inf")
    result = rule(x, row, col)
    if keepdims:
        result = P.reshape(result, tuple(1 if d in (row, col) else n for d, n in enumerate(x.shape)))
    return result


@implements(np.linalg.norm)
def linalg_norm(x, ord=None, axis=None, keepdims=False):
    x = _float_operand(x)
    if axis is None:
        if ord is None:  # the 2-norm of the flattened array, whatever its rank
            return _vector_norm(x, 2, None, keepdims)
        if x.ndim not in (1, 2):
            raise errors.TracedShapeError("Improper number of dimensions to norm.", fix="pass axis= or ord=None")
        axis = tuple(range(x.ndim))
    axes = (axis,) if np.ndim(axis) == 0 else tuple(axis)
    if len(axes) == 1:
        return _vector_norm(x, ord, P.normalize_axis(axes[0], x.ndim), keepdims)
    if len(axes) == 2:
        return _matrix_norm(x, ord, axes, keepdims)
    raise errors.TracedShapeError("Improper number of dimensions to norm.", fix="give one axis or two")


@implements(np.linalg.vector_norm)
def linalg_vector_norm(x, /, *, axis=None, keepdims=False, ord=2):
    x = _float_operand(x)
    return _vector_norm(x, ord, P.normalize_axes(axis, x.ndim), keepdims)


@implements(np.linalg.matrix_norm)
def linalg_matrix_norm(x, /, *, keepdims=False, ord="fro"):
    x = _float_operand(x)  # (a vector fails in _matrix_norm with NumPy's AxisError for axis -2)
    return _matrix_norm(x, ord, (-2, -1), keepdims)
