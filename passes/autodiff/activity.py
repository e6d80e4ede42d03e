"""Activity analysis and copying of op lists: which values carry a derivative, and recomputing a region.

A value is *varied* when it is a float (or complex: see `emit.carries_derivative`) value that depends on a
differentiated input. Values that are not
(integers, booleans, constants, anything computed only from inputs held fixed, the results of flat ops
such as floor) get no derivative code at all.
"""

from __future__ import annotations

from typing import Iterable

from jaxlib.mlir import ir

from passes.autodiff.emit import carries_derivative
from passes.autodiff.registry import is_constant

__all__ = ["captures", "clone_ops", "varied_values"]


def captures(op: ir.Operation) -> list[ir.Value]:
    """The values from outside `op` that the ops in its regions read (regions capture implicitly)."""
    inside: set = set()
    found: list = []
    seen: set = set()

    def visit(nested):
        nested = nested.operation
        if nested == op:
            return ir.WalkResult.ADVANCE
        for region in nested.regions:
            for block in region.blocks:
                inside.update(block.arguments)
        for operand in nested.operands:
            if operand not in inside and operand not in seen:
                seen.add(operand)
                found.append(operand)
        inside.update(nested.results)
        return ir.WalkResult.ADVANCE

    for region in op.regions:
        for block in region.blocks:
            inside.update(block.arguments)
    op.walk(visit, ir.WalkOrder.PRE_ORDER)
    # (a value defined later in a region than a use cannot be: regions are in SSA order, pre-order walks them so)
    return [value for value in found if value not in inside]


def varied_values(ops: Iterable[ir.Operation], seeds: Iterable[ir.Value]) -> set:
    """The float values among `ops`' results that depend on a value in `seeds` (plus the seeds)."""
    varied = set(seeds)
    for op in ops:
        op = op.operation
        if is_constant(op):
            continue
        inputs = list(op.operands)
        if len(op.regions):
            inputs += captures(op)
        if any(value in varied for value in inputs):
            varied.update(result for result in op.results if carries_derivative(result))
    return varied


def clone_ops(ops: Iterable[ir.Operation], mapping: dict) -> list[ir.Operation]:
    """Copy `ops` to the insertion point, reading mapping[v] wherever they read v (in nested regions too);
    the copies' results are added to `mapping` against the originals'. Returns the copies."""
    copies = []
    for op in ops:
        op = op.operation
        copy = op.clone()
        _remap(copy, mapping)
        for old, new in zip(op.results, copy.results):
            mapping[old] = new
        copies.append(copy)
    return copies


def _remap(op: ir.Operation, mapping: dict) -> None:
    def visit(nested):
        nested = nested.operation
        for index, operand in enumerate(nested.operands):
            replacement = mapping.get(operand)
            if replacement is not None:
                nested.operands[index] = replacement
        return ir.WalkResult.ADVANCE

    op.walk(visit, ir.WalkOrder.PRE_ORDER)
