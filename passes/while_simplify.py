"""`while-simplify`: shrink `stablehlo.while` loops.

- A loop whose condition is the constant `false` never runs: its results are its initial values.
- A carried value nobody reads (its result is unused after the loop, the condition ignores it,
  and in the body it only feeds its own next value) is dropped from the loop; the ops that
  computed it become dead and are erased.

- A loop with a static trip count (`pyreactant.trip_count`, which `tracer.fori_loop` records for
  Python-int bounds) of at most `unroll-threshold` iterations becomes its body repeated that many
  times, each copy reading the previous one's results, the condition never evaluated: the trip
  count says it holds exactly that often. Integer counters (carries starting at a constant and
  stepped by a constant) become constants in each copy, so index arithmetic folds away.

  The default threshold is 0 (never unroll): unrolling multiplies the ops XLA compiles by the trip
  count and only pays where per-iteration overhead dominates (small bodies on GPU), which XLA's own
  while-loop unroller already judges for its target. Pipelines opt in with
  `while-simplify{unroll-threshold=8}`.

Pass-through carries and invariant code are `licm`'s job.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from jaxlib.mlir import ir
from jaxlib.mlir.dialects import stablehlo

from ir import ops, query
from ir.query import constant_value, splat_value
from passes import loop_counters
from passes.registry import register_pass
from passes.rewrite import Pattern, Rewriter, apply_patterns, defining_op, unused

__all__ = ["TRIP_COUNT_ATTRIBUTE", "WhileSimplify", "patterns"]

TRIP_COUNT_ATTRIBUTE = "pyreactant.trip_count"  # (tracer/control_flow/loops.py writes it)


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


def _drop_carries(loop: ir.Operation, drop: dict[int, list], rewriter: Rewriter) -> None:
    keep = [i for i in range(len(loop.operands)) if i not in drop]
    cond_block, body_block = loop.regions[0].blocks[0], loop.regions[1].blocks[0]
    terminator = list(body_block.operations)[-1].operation
    with rewriter.before(terminator):
        stablehlo.ReturnOp([terminator.operands[i] for i in keep])
    rewriter.erase(terminator)
    for cone in drop.values():  # the dropped carries' computations, users first (cones are disjoint:
        for op in cone:          # each feeds one terminator position only)
            rewriter.erase(op)
    for index in sorted(drop, reverse=True):
        cond_block.erase_argument(index)
        body_block.erase_argument(index)
    with rewriter.before(loop):
        smaller = stablehlo.WhileOp([loop.operands[i].type for i in keep], [loop.operands[i] for i in keep])
    for name in list(loop.attributes):  # trip count and other discardable facts
        smaller.attributes[name] = loop.attributes[name]
    cond_block.append_to(smaller.cond)
    body_block.append_to(smaller.body)
    results = [None] * len(loop.results)
    for new_index, old_index in enumerate(keep):
        results[old_index] = smaller.results[new_index]
    rewriter.replace(loop, results)


def _trip_count(loop: ir.Operation) -> int | None:
    return query.int_attr(loop, TRIP_COUNT_ATTRIBUTE)


def _remap(op: ir.Operation, mapping: dict) -> None:
    """Make op, and the ops nested in its regions, read mapping[v] wherever they read v."""
    for nested in (op, *query.walk(op)):
        for index, operand in enumerate(nested.operands):
            if operand in mapping:
                nested.operands[index] = mapping[operand]


def _unroll(loop: ir.Operation, trip_count: int, rewriter: Rewriter) -> None:
    """Replace `loop` by `trip_count` copies of its body, before it, chained through the carries."""
    body_block = loop.regions[1].blocks[0]
    body = [op.operation for op in body_block.operations]
    counters = {index: step for index, (_, step) in loop_counters.counters(loop).items()}
    values = list(loop.operands)
    with rewriter.before(loop):
        for _ in range(trip_count):
            mapping = dict(zip(body_block.arguments, values))
            for op in body[:-1]:
                clone = op.clone()
                _remap(clone, mapping)
                mapping.update(zip(op.results, clone.results))
            next_values = [mapping.get(value, value) for value in body[-1].operands]
            for index, step in counters.items():  # the counter's next value, wrapping as stablehlo.add does
                current = constant_value(values[index])
                next_values[index] = ops.constant(_wrap(int(current) + int(step), current.dtype))
            values = next_values
    rewriter.replace(loop, values)


def _wrap(value: int, dtype: np.dtype) -> np.ndarray:
    """`value` as an integer of `dtype`, wrapped modulo 2**bits."""
    bits = 8 * dtype.itemsize
    offset = (1 << (bits - 1)) if dtype.kind == "i" else 0
    return np.array((value + offset) % (1 << bits) - offset, dtype)


class LoopThatNeverRuns(Pattern):
    """A loop whose condition is the constant false: its results are its initial values."""

    op_name = "stablehlo.while"

    def match_and_rewrite(self, loop, rewriter: Rewriter) -> bool:
        if not _never_runs(loop):
            return False
        rewriter.replace(loop, list(loop.operands))
        return True


class UnrollShortLoop(Pattern):
    """A loop of a static trip count up to `threshold`: its body, repeated."""

    op_name = "stablehlo.while"

    def __init__(self, threshold: int):
        self.threshold = threshold

    def match_and_rewrite(self, loop, rewriter: Rewriter) -> bool:
        trip_count = _trip_count(loop)
        if trip_count is None or trip_count > self.threshold:
            return False
        _unroll(loop, trip_count, rewriter)
        return True


class DropUnreadCarries(Pattern):
    """Carries nobody reads leave the loop, with the body ops that only computed them."""

    op_name = "stablehlo.while"

    def match_and_rewrite(self, loop, rewriter: Rewriter) -> bool:
        drop = _droppable(loop)
        if not drop or len(drop) == len(loop.operands):
            return False
        _drop_carries(loop, drop, rewriter)
        return True


def patterns(unroll_threshold: int = 0) -> list[Pattern]:
    found: list[Pattern] = [LoopThatNeverRuns()]
    if unroll_threshold > 0:
        found.append(UnrollShortLoop(unroll_threshold))
    return [*found, DropUnreadCarries()]


@register_pass
@dataclass(frozen=True)
class WhileSimplify:
    name: ClassVar[str] = "while-simplify"
    unroll_threshold: int = 0

    def apply(self, module: ir.Module) -> bool:
        return apply_patterns(module, patterns(self.unroll_threshold))
