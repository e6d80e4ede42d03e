"""Shardy (`sdy`) ops: a mesh declaration and a sharding constraint, from their attribute text.

What the text says (which mesh axes split which dims) is `runtime.sharding`'s business; these
builders only check that it parses and emit the ops.
"""

from __future__ import annotations

from jaxlib.mlir import ir
from jaxlib.mlir.dialects import sdy

from ir.ops._common import check

__all__ = ["declare_mesh", "sharding_constraint"]


def _attribute(text: str, op: str) -> ir.Attribute:
    try:
        return ir.Attribute.parse(text)
    except Exception as err:  # noqa: BLE001 - MLIR raises its own error types for bad attribute text
        check(False, op, f"bad attribute {text!r}: {err}")


def sharding_constraint(operand: ir.Value, sharding_text: str) -> ir.Value:
    """`sdy.sharding_constraint`: `operand` unchanged, laid out as `#sdy.sharding<...>`."""
    return sdy.ShardingConstraintOp(operand, _attribute(sharding_text, "sdy.sharding_constraint")).result


def declare_mesh(module: ir.Module, symbol: str, mesh_text: str) -> None:
    """`sdy.mesh @symbol = <...>` at the top of `module`, unless a mesh is declared there already."""
    with module.context, ir.Location.unknown():
        if any(op.operation.name == "sdy.mesh" for op in module.body.operations):
            return
        sdy.MeshOp(symbol, _attribute(f"#sdy.mesh{mesh_text}", "sdy.mesh"), ip=ir.InsertionPoint.at_block_begin(module.body))
