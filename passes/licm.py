"""`licm`: loop-invariant code motion out of `stablehlo.while`.

Two steps per loop, innermost loops first:
1. A carried value the body returns unchanged is the loop's initial value throughout:
   its uses inside the loop read the initial value directly (so they may become invariant).
2. Pure ops of the body that read only values from outside the loop move before it,
   in order, so chains of invariant ops move together.
Ops with regions or effects stay. Hoisting runs an invariant op even when the loop runs
zero times; ops here are pure, so only time is spent, never a result changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from jaxlib.mlir import ir

from passes.registry import register_pass
from passes.rewrite import EFFECTFUL, defining_op, operations


def _inside(op: ir.Operation, loop: ir.Operation) -> bool:
    """Whether `op` is nested (at any depth) in `loop`'s regions."""
    parent = op.parent
    while parent is not None:
        if parent == loop:
            return True
        parent = parent.parent
    return False


def _defined_inside(value: ir.Value, loop: ir.Operation) -> bool:
    owner = defining_op(value)
    if owner is None:  # a block argument: of the loop's own regions, or of a region nested in them
        region_owner = value.owner.owner.operation
        return region_owner == loop or _inside(region_owner, loop)
    return _inside(owner, loop)


def _forward_pass_through(loop: ir.Operation) -> None:
    cond_block, body_block = loop.regions[0].blocks[0], loop.regions[1].blocks[0]
    terminator = list(body_block.operations)[-1]
    for index, (argument, returned) in enumerate(zip(body_block.arguments, terminator.operands)):
        if returned == argument:
            initial = loop.operands[index]
            # The terminator keeps returning the argument: the while's result stays well defined.
            argument.replace_all_uses_except(initial, terminator.operation)
            cond_block.arguments[index].replace_all_uses_with(initial)


def _hoist_invariants(loop: ir.Operation) -> None:
    body_block = loop.regions[1].blocks[0]
    for op in list(body_block.operations)[:-1]:
        op = op.operation
        if op.name in EFFECTFUL or len(op.regions) > 0:
            continue
        if any(_defined_inside(value, loop) for value in op.operands):
            continue
        op.move_before(loop)


@register_pass
@dataclass(frozen=True)
class LoopInvariantCodeMotion:
    name: ClassVar[str] = "licm"

    def apply(self, module: ir.Module) -> None:
        loops = [op for op in operations(module) if op.name == "stablehlo.while"]
        for loop in reversed(loops):  # pre-order reversed: inner loops before the loops around them
            _forward_pass_through(loop)
            _hoist_invariants(loop)
