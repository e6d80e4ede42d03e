"""Structured control flow: `stablehlo.if`, `stablehlo.case`, `stablehlo.while`.

Each builder creates the op with empty regions and returns it with the blocks
to fill: the caller emits each region's ops at the block's insertion point and
ends it with `return_`. Regions may use values defined above them (XLA accepts
implicit captures), so closures need no extra operands.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
from jaxlib.mlir import ir
from jaxlib.mlir.dialects import stablehlo

from ir.ops._common import check, dtype_of, shape_of

__all__ = ["case", "if_", "return_", "while_"]


def _check_predicate(op: str, value: ir.Value, dtype) -> None:
    check(shape_of(value) == () and dtype_of(value) == np.dtype(dtype), op,
          f"needs a 0-d {np.dtype(dtype)} selector, got {value.type}")


def if_(pred: ir.Value, result_types: Sequence[ir.Type]) -> tuple[ir.Operation, ir.Block, ir.Block]:
    """`stablehlo.if`: returns (op, true block, false block)."""
    _check_predicate("if", pred, np.bool_)
    op = stablehlo.IfOp(list(result_types), pred)
    return op, op.true_branch.blocks.append(), op.false_branch.blocks.append()


def case(index: ir.Value, result_types: Sequence[ir.Type], num_branches: int) -> tuple[ir.Operation, list[ir.Block]]:
    """`stablehlo.case`: branch `index` runs; an index out of range runs the last branch."""
    _check_predicate("case", index, np.int32)
    check(num_branches >= 1, "case", "needs at least one branch")
    op = stablehlo.CaseOp(list(result_types), index, num_branches)
    return op, [region.blocks.append() for region in op.branches]


def while_(operands: Sequence[ir.Value]) -> tuple[ir.Operation, ir.Block, ir.Block]:
    """`stablehlo.while` carrying `operands`: returns (op, cond block, body block).

    Both blocks take the carried values as arguments; cond returns an i1 scalar,
    body returns the next carried values (same types).
    """
    types = [value.type for value in operands]
    op = stablehlo.WhileOp(types, list(operands))
    cond = op.cond.blocks.append(*types)
    body = op.body.blocks.append(*types)
    return op, cond, body


def return_(values: Sequence[ir.Value]) -> None:
    """`stablehlo.return`: ends a region of if/case/while (or a reduce body)."""
    stablehlo.ReturnOp(list(values))
