"""`licm`: loop-invariant code motion out of `stablehlo.while`.

Two steps per loop (a pattern on `stablehlo.while`, so `simplify` runs it in its fixed point too):
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
from passes.rewrite import Pattern, Rewriter, apply_patterns, defining_op, has_effects

__all__ = ["LoopInvariantCodeMotion", "patterns"]


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


class ForwardPassThroughCarries(Pattern):
    """A carry the body returns unchanged: its uses in the loop read the initial value instead."""

    op_name = "stablehlo.while"

    def match_and_rewrite(self, loop, rewriter: Rewriter) -> bool:
        cond_block, body_block = loop.regions[0].blocks[0], loop.regions[1].blocks[0]
        terminator = list(body_block.operations)[-1].operation
        changed = False
        for index, (argument, returned) in enumerate(zip(body_block.arguments, terminator.operands)):
            if returned != argument:
                continue
            initial = loop.operands[index]
            cond_argument = cond_block.arguments[index]
            # The terminator keeps returning the argument: the while's result stays well defined.
            if any(use.owner.operation != terminator for use in argument.uses):
                rewriter.replace_uses(argument, initial, except_in=terminator)
                changed = True
            if next(iter(cond_argument.uses), None) is not None:
                rewriter.replace_uses(cond_argument, initial)
                changed = True
        if changed:
            rewriter.modified(loop)  # its body may have invariant ops now
        return changed


class HoistInvariantOps(Pattern):
    """Pure, region-free body ops that read only values from outside the loop move before it."""

    op_name = "stablehlo.while"

    def match_and_rewrite(self, loop, rewriter: Rewriter) -> bool:
        body_block = loop.regions[1].blocks[0]
        moved = False
        for op in list(body_block.operations)[:-1]:
            op = op.operation
            if has_effects(op) or len(op.regions) > 0:
                continue
            if any(_defined_inside(value, loop) for value in op.operands):
                continue
            rewriter.move_before(op, loop)
            moved = True
        return moved


def patterns() -> list[Pattern]:
    return [ForwardPassThroughCarries(), HoistInvariantOps()]


@register_pass
@dataclass(frozen=True)
class LoopInvariantCodeMotion:
    name: ClassVar[str] = "licm"

    def apply(self, module: ir.Module) -> bool:
        return apply_patterns(module, patterns())
