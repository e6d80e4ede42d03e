"""`stablehlo.reduce`: one operand with a binary-op body, or several operands with a Python-built body."""

from __future__ import annotations

from typing import Callable

from jaxlib.mlir import ir
from jaxlib.mlir.dialects import stablehlo

from ir import dtypes
from ir.ops._common import check, dtype_of, shape_of

__all__ = ["reduce", "reduce_many"]


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


def reduce_many(operands, init_values, dimensions, body: Callable[[list, list], list]) -> list[ir.Value]:
    """Variadic `stablehlo.reduce`: N same-shape operands reduced together over `dimensions`.

    `body(lhs, rhs)` gets two lists of N scalar tensors (one element of each operand per side)
    and returns the N combined scalars. XLA may combine partial results in any order and either
    side first, so `body` must be associative and commutative (e.g. argmax's tie-break on index).
    """
    operands, init_values = list(operands), list(init_values)
    check(len(operands) > 0 and len(operands) == len(init_values), "reduce", "one init value per operand, at least one operand")
    in_shape = shape_of(operands[0])
    check(all(shape_of(v) == in_shape for v in operands), "reduce", "operands must share one shape")
    dims = sorted(int(d) for d in dimensions)
    check(len(set(dims)) == len(dims) and all(0 <= d < len(in_shape) for d in dims), "reduce", f"bad dimensions {dims} for rank {len(in_shape)}")
    element_types = [dtype_of(v) for v in operands]
    for init, dtype in zip(init_values, element_types):
        check(shape_of(init) == () and dtype_of(init) == dtype, "reduce", "each init value must be a scalar of its operand's element type")
    out_shape = [n for d, n in enumerate(in_shape) if d not in dims]
    op = stablehlo.ReduceOp([dtypes.tensor_type(out_shape, t) for t in element_types], operands, init_values, dims)
    scalars = [dtypes.tensor_type((), t) for t in element_types]
    block = op.body.blocks.append(*scalars, *scalars)
    count = len(operands)
    with ir.InsertionPoint(block):
        results = list(body(list(block.arguments)[:count], list(block.arguments)[count:]))
        check(len(results) == count, "reduce", f"body returned {len(results)} values for {count} operands")
        stablehlo.ReturnOp(results)
    return list(op.results)
