"""`while-simplify`: shrink `stablehlo.while` loops.

- A loop whose condition is the constant `false` never runs: its results are its initial values.
- A carried value nobody reads (its result is unused after the loop, the condition ignores it,
  and in the body it only feeds its own next value) is dropped from the loop; the ops that
  computed it become dead and are erased.

Pass-through carries and invariant code are `licm`'s job; unrolling is not done yet.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from jaxlib.mlir import ir
from jaxlib.mlir.dialects import stablehlo

from passes.registry import register_pass
from passes.rewrite import erase_dead_ops, operations, splat_value, unused


def _feeds_only(use, terminator: ir.Operation, index: int, cone: list) -> bool:
    owner = use.owner.operation if hasattr(use.owner, "operation") else use.owner
    return (owner == terminator and use.operand_number == index) or any(owner == op for op in cone)


def _exclusive_cone(body_block: ir.Block, terminator: ir.Operation, index: int) -> list:
    """Ops of the body whose results flow only into the terminator's operand `index`, users first
    (one backward pass: in a block, users come after the values they use)."""
    cone: list = []
    for op in reversed(list(body_block.operations)[:-1]):
        op = op.operation
        if len(op.results) and all(_feeds_only(use, terminator, index, cone) for r in op.results for use in r.uses):
            cone.append(op)
    return cone


def _never_runs(loop: ir.Operation) -> bool:
    cond_terminator = list(loop.regions[0].blocks[0].operations)[-1].operation
    return splat_value(cond_terminator.operands[0]) in (0, False)


def _droppable(loop: ir.Operation) -> dict[int, list]:
    """Carry index -> the body ops that only compute it, for carries nobody reads."""
    cond_block, body_block = loop.regions[0].blocks[0], loop.regions[1].blocks[0]
    terminator = list(body_block.operations)[-1].operation
    drop = {}
    for index in range(len(loop.operands)):
        if not (unused(loop.results[index]) and unused(cond_block.arguments[index])):
            continue
        cone = _exclusive_cone(body_block, terminator, index)
        if all(_feeds_only(use, terminator, index, cone) for use in body_block.arguments[index].uses):
            drop[index] = cone
    return drop


def _drop_carries(loop: ir.Operation, drop: dict[int, list]) -> None:
    keep = [i for i in range(len(loop.operands)) if i not in drop]
    cond_block, body_block = loop.regions[0].blocks[0], loop.regions[1].blocks[0]
    terminator = list(body_block.operations)[-1].operation
    with loop.context, loop.location:
        with ir.InsertionPoint(terminator):
            stablehlo.ReturnOp([terminator.operands[i] for i in keep])
        terminator.erase()
        for cone in drop.values():  # the dropped carries' computations, users first (cones are disjoint:
            for op in cone:          # each feeds one terminator position only)
                op.erase()
        for index in sorted(drop, reverse=True):
            cond_block.erase_argument(index)
            body_block.erase_argument(index)
        with ir.InsertionPoint(loop):
            smaller = stablehlo.WhileOp([loop.operands[i].type for i in keep], [loop.operands[i] for i in keep])
        for name in list(loop.attributes):  # trip count and other discardable facts
            smaller.attributes[name] = loop.attributes[name]
        cond_block.append_to(smaller.cond)
        body_block.append_to(smaller.body)
        for new_index, old_index in enumerate(keep):
            loop.results[old_index].replace_all_uses_with(smaller.results[new_index])
    loop.erase()


@register_pass
@dataclass(frozen=True)
class WhileSimplify:
    name: ClassVar[str] = "while-simplify"

    def apply(self, module: ir.Module) -> None:
        loops = [op for op in operations(module) if op.name == "stablehlo.while"]
        for loop in reversed(loops):  # inner loops first
            if _never_runs(loop):
                for result, initial in zip(loop.results, loop.operands):
                    result.replace_all_uses_with(initial)
                loop.erase()
                continue
            drop = _droppable(loop)
            if drop and len(drop) < len(loop.operands):
                _drop_carries(loop, drop)
        erase_dead_ops(module)
