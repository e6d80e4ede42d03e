"""`stablehlo.sort`: a stable sort of several same-shape operands along one dimension."""

from __future__ import annotations

from typing import Callable, Sequence

from jaxlib.mlir import ir
from jaxlib.mlir.dialects import stablehlo

from ir import dtypes
from ir.ops._common import check, dtype_of, shape_of

__all__ = ["sort"]


def sort(operands: Sequence[ir.Value], dimension: int,
         less_than: Callable[[list[ir.Value], list[ir.Value]], ir.Value], *, is_stable: bool = True) -> list[ir.Value]:
    """Sort `operands` together along `dimension`, stably (unless `is_stable=False`), by
    `less_than(lhs_scalars, rhs_scalars)`.

    The comparator gets one 0-d value per operand for each side and builds an i1 scalar: how
    NaNs and ties order is the caller's choice (NumPy sorts NaN last).
    """
    operands = list(operands)
    check(operands, "sort", "needs at least one operand")
    shape = shape_of(operands[0])
    check(all(shape_of(x) == shape for x in operands), "sort", "operands must share one shape")
    check(0 <= dimension < len(shape), "sort", f"dimension {dimension} out of range for rank {len(shape)}")
    op = stablehlo.SortOp([x.type for x in operands], operands, dimension=dimension, is_stable=is_stable)
    scalars = [dtypes.tensor_type((), dtype_of(x)) for x in operands]
    block = op.comparator.blocks.append(*(t for t in scalars for _ in (0, 1)))
    with ir.InsertionPoint(block):
        args = list(block.arguments)
        stablehlo.ReturnOp([less_than(args[0::2], args[1::2])])
    return list(op.results)
