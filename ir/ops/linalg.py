"""`stablehlo.dot_general` (the contraction behind matmul, dot, einsum), `cholesky` and `triangular_solve`."""

from __future__ import annotations

from jaxlib.mlir import ir
from jaxlib.mlir.dialects import stablehlo

from ir import dtypes
from ir.ops._common import check, dtype_of, is_float, shape_of

__all__ = ["cholesky", "dot_general", "triangular_solve"]


def dot_general(lhs: ir.Value, rhs: ir.Value, *, batch=((), ()), contract=((), ()), dtype=None) -> ir.Value:
    """Contract lhs/rhs dims pairwise in `contract`; `batch` dims pair up and lead the result.

    Result dims: batch dims, then lhs free dims, then rhs free dims (spec order).
    """
    lhs_shape, rhs_shape = shape_of(lhs), shape_of(rhs)
    (lhs_batch, rhs_batch), (lhs_contract, rhs_contract) = ([list(d) for d in batch], [list(d) for d in contract])
    check(len(lhs_batch) == len(rhs_batch), "dot_general", "batch dimension lists differ in length")
    check(len(lhs_contract) == len(rhs_contract), "dot_general", "contracting dimension lists differ in length")
    for side, shape, dims in (("lhs", lhs_shape, lhs_batch + lhs_contract), ("rhs", rhs_shape, rhs_batch + rhs_contract)):
        check(all(0 <= d < len(shape) for d in dims), "dot_general", f"{side} dimensions {dims} out of range for rank {len(shape)}")
        check(len(set(dims)) == len(dims), "dot_general", f"{side} dimensions {dims} repeat (a dim is batch or contracting, once)")
    for name, pairs in (("batch", zip(lhs_batch, rhs_batch)), ("contracting", zip(lhs_contract, rhs_contract))):
        for l, r in pairs:
            check(
                lhs_shape[l] == rhs_shape[r],
                "dot_general",
                f"{name} dimension {l} of lhs {lhs_shape} (size {lhs_shape[l]}) does not match dimension {r} of rhs {rhs_shape} (size {rhs_shape[r]})",
            )
    check(dtype_of(lhs) == dtype_of(rhs), "dot_general", f"operand element types differ: {dtype_of(lhs)} vs {dtype_of(rhs)}")
    lhs_free = [d for d in range(len(lhs_shape)) if d not in lhs_batch and d not in lhs_contract]
    rhs_free = [d for d in range(len(rhs_shape)) if d not in rhs_batch and d not in rhs_contract]
    out_shape = [lhs_shape[d] for d in lhs_batch] + [lhs_shape[d] for d in lhs_free] + [rhs_shape[d] for d in rhs_free]
    numbers = stablehlo.DotDimensionNumbers.get(
        lhs_batching_dimensions=lhs_batch,
        rhs_batching_dimensions=rhs_batch,
        lhs_contracting_dimensions=lhs_contract,
        rhs_contracting_dimensions=rhs_contract,
    )
    result_type = dtypes.tensor_type(out_shape, dtype or dtype_of(lhs))
    return stablehlo.DotGeneralOp(result_type, lhs, rhs, numbers).result


def _check_float_square(op: str, a: ir.Value) -> tuple[int, ...]:
    shape = shape_of(a)
    check(len(shape) >= 2, op, f"operand must have rank >= 2, got shape {shape}")
    check(shape[-1] == shape[-2], op, f"the two minor dimensions must be square, got shape {shape}")
    check(is_float(dtype_of(a)), op, f"needs a floating-point operand, got {dtype_of(a)}")
    return shape


def cholesky(a: ir.Value, *, lower: bool = True) -> ir.Value:
    """The Cholesky factor of each matrix in `a` (shape `[..., n, n]`), lower or upper triangular.

    Only the `lower` (or upper) triangle of `a` is read; the other triangle of the result is
    implementation-defined by the spec (XLA zeroes it). A matrix that is not positive definite
    gives NaNs, never an error.
    """
    _check_float_square("cholesky", a)
    return stablehlo.CholeskyOp(a, lower=lower).result


# The spec's `transpose_a` values; "ADJOINT" equals "TRANSPOSE" for real element types.
TRANSPOSE_A = ("NO_TRANSPOSE", "TRANSPOSE", "ADJOINT")


def triangular_solve(a: ir.Value, b: ir.Value, *, left_side: bool, lower: bool, unit_diagonal: bool = False,
                     transpose_a: str = "NO_TRANSPOSE") -> ir.Value:
    """x with op(a) @ x = b (`left_side`) or x @ op(a) = b, for triangular `a` of shape `[..., n, n]`.

    Only a's `lower` (or upper) triangle is read; `unit_diagonal` takes its diagonal to be ones.
    `b` has a's batch dims and shape `[..., n, k]` (left side) or `[..., k, n]` (right side).
    """
    a_shape, b_shape = _check_float_square("triangular_solve", a), shape_of(b)
    check(transpose_a in TRANSPOSE_A, "triangular_solve", f"transpose_a must be one of {TRANSPOSE_A}, got {transpose_a!r}")
    check(len(b_shape) == len(a_shape), "triangular_solve", f"a {a_shape} and b {b_shape} must have the same rank")
    check(a_shape[:-2] == b_shape[:-2], "triangular_solve", f"batch dimensions of a {a_shape} and b {b_shape} differ")
    n, side = a_shape[-1], ("second-to-last", -2) if left_side else ("last", -1)
    check(b_shape[side[1]] == n, "triangular_solve",
          f"the {side[0]} dimension of b {b_shape} must equal a's size {n} ({'left' if left_side else 'right'} side)")
    check(dtype_of(a) == dtype_of(b), "triangular_solve", f"operand element types differ: {dtype_of(a)} vs {dtype_of(b)}")
    transpose = stablehlo.TransposeAttr.get(transpose_a)
    return stablehlo.TriangularSolveOp(a, b, left_side, lower, unit_diagonal, transpose).result
