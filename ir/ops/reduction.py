"""`stablehlo.reduce` with a body built from one binary op builder."""

from __future__ import annotations

from typing import Callable

from jaxlib.mlir import ir
from jaxlib.mlir.dialects import stablehlo

from ir import dtypes
from ir.ops._common import check, dtype_of, shape_of


def reduce(operand: ir.Value, init_value: ir.Value, dimensions, combiner: Callable[[ir.Value, ir.Value], ir.Value]) -> ir.Value:
    """Reduce `operand` over `dimensions` with `combiner` (e.g. `ops.add`) from `init_value`.

    The result drops the reduced dimensions; keepdims is a reshape done by the caller.
    """
    in_shape = shape_of(operand)
    dims = sorted(int(d) for d in dimensions)
    check(len(set(dims)) == len(dims) and all(0 <= d < len(in_shape) for d in dims), "reduce", f"bad dimensions {dims} for rank {len(in_shape)}")
    check(shape_of(init_value) == (), "reduce", "init value must be a scalar tensor")
    dtype = dtype_of(operand)
    check(dtype_of(init_value) == dtype, "reduce", "init value must have the operand's element type")
    out_shape = [n for d, n in enumerate(in_shape) if d not in dims]
    op = stablehlo.ReduceOp([dtypes.tensor_type(out_shape, dtype)], [operand], [init_value], dims)
    scalar = dtypes.tensor_type((), dtype)
    block = op.body.blocks.append(scalar, scalar)
    with ir.InsertionPoint(block):
        stablehlo.ReturnOp([combiner(block.arguments[0], block.arguments[1])])
    return op.result
