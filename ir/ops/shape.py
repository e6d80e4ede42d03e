"""Ops that move elements without computing on them: reshape, transpose, broadcast,
slice, reverse, pad, concatenate."""

from __future__ import annotations

import math

from jaxlib.mlir import ir
from jaxlib.mlir.dialects import stablehlo

from ir import dtypes
from ir.ops._common import check, check_permutation, dtype_of, shape_of

__all__ = ["broadcast_in_dim", "concatenate", "pad", "reshape", "reverse", "slice", "transpose"]


def reshape(operand: ir.Value, shape) -> ir.Value:
    shape = tuple(int(d) for d in shape)
    check(
        math.prod(shape) == math.prod(shape_of(operand)),
        "reshape",
        f"cannot reshape {shape_of(operand)} ({math.prod(shape_of(operand))} elements) to {shape}",
    )
    return stablehlo.ReshapeOp(dtypes.tensor_type(shape, dtype_of(operand)), operand).result


def transpose(operand: ir.Value, permutation) -> ir.Value:
    permutation = [int(p) for p in permutation]
    in_shape = shape_of(operand)
    check_permutation("transpose", permutation, len(in_shape), "permutation")
    out_shape = tuple(in_shape[p] for p in permutation)
    return stablehlo.TransposeOp(operand, permutation, results=[dtypes.tensor_type(out_shape, dtype_of(operand))]).result


def broadcast_in_dim(operand: ir.Value, shape, broadcast_dimensions) -> ir.Value:
    """Operand dim i becomes result dim broadcast_dimensions[i]; it must be 1 or match."""
    shape = tuple(int(d) for d in shape)
    dims = [int(d) for d in broadcast_dimensions]
    in_shape = shape_of(operand)
    check(len(dims) == len(in_shape), "broadcast_in_dim", f"{len(dims)} dimensions given for an operand of rank {len(in_shape)}")
    check(dims == sorted(set(dims)), "broadcast_in_dim", f"broadcast_dimensions {dims} must be strictly increasing")
    for size, dim in zip(in_shape, dims):
        check(0 <= dim < len(shape), "broadcast_in_dim", f"dimension {dim} out of range for result rank {len(shape)}")
        check(size in (1, shape[dim]), "broadcast_in_dim", f"operand dim of size {size} cannot broadcast to {shape[dim]}")
    return stablehlo.BroadcastInDimOp(dtypes.tensor_type(shape, dtype_of(operand)), operand, dims).result


def slice(operand: ir.Value, start, limit, strides) -> ir.Value:  # noqa: A001 - the spec's name
    """Elements start[d], start[d]+strides[d], ... below limit[d] of every dimension d."""
    in_shape = shape_of(operand)
    start, limit, strides = ([int(v) for v in seq] for seq in (start, limit, strides))
    check(len(start) == len(limit) == len(strides) == len(in_shape), "slice", "one start/limit/stride per dimension")
    out_shape = []
    for s, l, st, n in zip(start, limit, strides, in_shape):
        check(0 <= s <= l <= n and st > 0, "slice", f"bad bounds start={s} limit={l} stride={st} for size {n}")
        out_shape.append(-(-(l - s) // st))
    return stablehlo.SliceOp(operand, start, limit, strides, results=[dtypes.tensor_type(out_shape, dtype_of(operand))]).result


def reverse(operand: ir.Value, dimensions) -> ir.Value:
    dims = [int(d) for d in dimensions]
    check(all(0 <= d < len(shape_of(operand)) for d in dims), "reverse", f"dimensions {dims} out of range")
    check(len(set(dims)) == len(dims), "reverse", f"dimensions {dims} repeat")
    return stablehlo.ReverseOp(operand, dims).result


def pad(operand: ir.Value, padding_value: ir.Value, low, high, interior) -> ir.Value:
    """Edge padding `low`/`high` (may be negative) and `interior` padding between elements."""
    in_shape = shape_of(operand)
    low, high, interior = ([int(v) for v in seq] for seq in (low, high, interior))
    check(len(low) == len(high) == len(interior) == len(in_shape), "pad", f"one low/high/interior value per dimension (rank {len(in_shape)})")
    check(shape_of(padding_value) == (), "pad", "padding value must be a scalar tensor")
    check(dtype_of(padding_value) == dtype_of(operand), "pad", "padding value must have the operand's element type")
    check(all(i >= 0 for i in interior), "pad", f"interior padding {interior} must be non-negative")
    out_shape = [lo + n + max(n - 1, 0) * i + hi for lo, n, i, hi in zip(low, in_shape, interior, high)]
    check(all(d >= 0 for d in out_shape), "pad", f"padding gives a negative dimension: {out_shape}")
    return stablehlo.PadOp(operand, padding_value, low, high, interior, results=[dtypes.tensor_type(out_shape, dtype_of(operand))]).result


def concatenate(operands, dimension: int) -> ir.Value:
    operands = list(operands)
    check(len(operands) > 0, "concatenate", "needs at least one operand")
    first = shape_of(operands[0])
    check(0 <= dimension < len(first), "concatenate", f"dimension {dimension} out of range for rank {len(first)}")
    for other in operands[1:]:
        shape = shape_of(other)
        check(
            len(shape) == len(first) and all(a == b for d, (a, b) in enumerate(zip(first, shape)) if d != dimension),
            "concatenate",
            f"shapes {first} and {shape} differ outside dimension {dimension}",
        )
        check(dtype_of(other) == dtype_of(operands[0]), "concatenate", "operands must share one element type")
    return stablehlo.ConcatenateOp(operands, dimension).result
