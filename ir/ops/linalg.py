"""`stablehlo.dot_general`: the contraction behind matmul, dot, einsum."""

from __future__ import annotations

from jaxlib.mlir import ir
from jaxlib.mlir.dialects import stablehlo

from ir import dtypes
from ir.ops._common import check, dtype_of, shape_of


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
