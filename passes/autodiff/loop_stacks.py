"""Per-iteration stacks for reversing a `stablehlo.while`: which values the backward loop reads, and how.

The forward loop is rebuilt to write values into stacked buffers, one row per iteration (a
`dynamic_update_slice` at the iteration's index): first the carries each iteration starts from, then the
*residuals* — the body values the backward pass reads that are costly to compute again (a `dot_general`, a
`tanh`, ...). The backward loop reads a residual's row instead of recomputing it, so the recomputed body
shrinks to the cheap ops (reshapes, slices, constants) that feed the derivative code, and dead-code
elimination drops the rest. This trades memory (one buffer of `trip count x shape` per residual) for time,
as JAX's scan does; a loop marked for checkpointing keeps recomputing everything instead.
"""

from __future__ import annotations

from typing import Callable, Collection, Sequence

import numpy as np
from jaxlib.mlir import ir

from ir import ops, query
from passes.autodiff.emit import full

__all__ = ["copy_attributes", "index", "move_block", "read_row", "region_ops", "residuals", "store_carries",
           "store_values"]

# Ops the backward loop recomputes rather than stores: free or nearly (layout changes, slices of values it
# already has, constants). Storing their results would cost a buffer and a copy per iteration for nothing.
_RECOMPUTED = frozenset({
    "stablehlo.constant", "stablehlo.iota", "stablehlo.reshape", "stablehlo.broadcast_in_dim",
    "stablehlo.transpose", "stablehlo.slice", "stablehlo.dynamic_slice", "stablehlo.convert",
    "stablehlo.get_tuple_element", "stablehlo.optimization_barrier",
})

# Ops whose reversal rebuilds (and erases) the op itself: a body holding one is left to recompute as a whole.
_REBUILT_WHEN_REVERSED = frozenset({"stablehlo.while"})


def region_ops(region) -> list[ir.Operation]:
    return [nested.operation for nested in region.blocks[0].operations]


def index(value: int, dtype=np.int64) -> ir.Value:
    """An integer scalar constant (64-bit unless given): loop counters and slice starts."""
    return ops.constant(np.asarray(value, dtype))


def copy_attributes(source, target) -> None:
    """The trip count and any discardable attributes travel with the rebuilt loop."""
    for position in range(len(source.attributes)):
        named = source.attributes[position]
        target.attributes[named.name] = named.attr


def move_block(source: ir.Block, target: ir.Block, replacements, *, keep_terminator: bool) -> list[ir.Operation]:
    """Move source's ops to the end of target, source's arguments replaced by `replacements`."""
    for argument, replacement in zip(source.arguments, replacements):
        argument.replace_all_uses_with(replacement)
    moved = [nested.operation for nested in source.operations]
    if not keep_terminator:
        moved = moved[:-1]
    point = ir.InsertionPoint(target)
    for nested in moved:
        nested.detach_from_parent()
        point.insert(nested)
    return moved


def _extend_loop(op, extra_inits: Sequence[ir.Value],
                 next_values: Callable[[list[ir.Value]], list[ir.Value]]) -> tuple[ir.Operation, list[ir.Operation]]:
    """Rebuild `op` (before it) with `extra_inits` appended to its carries; `next_values(arguments)` emits,
    at the end of the body, the extra carries' next values. Returns the new loop and its body's ops that
    came from `op`. `op`'s results are replaced and `op` is erased."""
    count = len(op.operands)
    with ir.InsertionPoint(op):
        new, cond_block, body_block = ops.while_(list(op.operands) + list(extra_inits))
    copy_attributes(op, new)
    move_block(op.regions[0].blocks[0], cond_block, list(cond_block.arguments)[:count], keep_terminator=True)
    arguments = list(body_block.arguments)
    body_ops = move_block(op.regions[1].blocks[0], body_block, arguments[:count], keep_terminator=False)
    returned = list(region_ops(op.regions[1])[-1].operands)
    with ir.InsertionPoint(body_block):
        ops.return_(returned + next_values(arguments))
    for old, value in zip(op.results, new.results):
        old.replace_all_uses_with(value)
    op.erase()
    return new, body_ops


def _write_row(stack: ir.Value, value: ir.Value, row: ir.Value) -> ir.Value:
    shape = query.shape(value)
    zero = index(0, query.dtype(row))  # (a slice's start indices share one type: the row's)
    return ops.dynamic_update_slice(stack, ops.reshape(value, (1,) + shape), [row] + [zero] * len(shape))


def read_row(stack: ir.Value, row: ir.Value) -> ir.Value:
    """Row `row` of a stack written by `store_carries`/`store_values`, in the stored value's shape."""
    shape = tuple(query.shape(stack)[1:])
    zero = index(0, query.dtype(row))
    return ops.reshape(ops.dynamic_slice(stack, [row] + [zero] * len(shape), (1,) + shape), shape)


def _empty_stack(value: ir.Value, bound: int) -> ir.Value:
    return full((bound,) + tuple(query.shape(value)), 0, query.dtype(value))


def store_carries(op, bound: int, *, unstacked: Collection[int] = (), row_counter: int | None = None):
    """Rebuild `op` to stack the carries each iteration starts from, but for those at the positions in
    `unstacked` (counters, which the backward loop computes from the row index instead). The row index is
    the carry at `row_counter`, one that counts 0, 1, 2 ... (the loop's own induction variable), or, when
    None, a counter appended to the carries. Returns (the new loop, its body's ops that came from `op`, the
    stacks (None where unstacked), the position of the row counter among the new loop's carries)."""
    count = len(op.operands)
    stacked = [j for j in range(count) if j not in unstacked]
    with ir.InsertionPoint(op):
        stacks = [_empty_stack(op.operands[j], bound) for j in stacked]
        counter_init = [index(0)] if row_counter is None else []
    counter_position = count if row_counter is None else row_counter
    offset = count + len(counter_init)

    def next_values(arguments):
        counter = arguments[counter_position]
        stored = [_write_row(stack, arguments[j], counter) for stack, j in zip(arguments[offset:], stacked)]
        return ([ops.add(counter, index(1))] if counter_init else []) + stored

    new, body_ops = _extend_loop(op, counter_init + stacks, next_values)
    results = iter(list(new.results)[offset:])
    return new, body_ops, [next(results) if j in stacked else None for j in range(count)], counter_position


def store_values(loop, values: Sequence[ir.Value], bound: int, counter_position: int):
    """Rebuild `loop` (whose carry at `counter_position` counts iterations from 0) to also stack `values`,
    values its body computes, one row per iteration. Returns the new loop and the stacks."""
    count = len(loop.operands)
    with ir.InsertionPoint(loop):
        stacks = [_empty_stack(value, bound) for value in values]

    def next_values(arguments):
        return [_write_row(stack, value, arguments[counter_position]) for stack, value in zip(arguments[count:], values)]

    new, _ = _extend_loop(loop, stacks, next_values)
    return new, list(new.results)[count:]


def residuals(originals: Sequence[ir.Operation], copies: Sequence[ir.Operation],
              backward_loop: ir.Operation) -> list[tuple[ir.Value, ir.Value]]:
    """(recomputed value, forward value) pairs worth storing: results of `copies` (the backward body's
    recomputation of `originals`, the forward body) that the derivative code reads and that are not cheap
    to recompute. Empty when the body holds an op whose reversal rebuilds it (its copy may be gone)."""
    if any(op.name in _REBUILT_WHEN_REVERSED for op in originals):
        return []
    recomputed = {result for copy in copies for result in copy.results}
    pairs = []
    for original, copy in zip(originals, copies):
        if copy.name in _RECOMPUTED:
            continue
        for old, new in zip(original.results, copy.results):
            if any(not _is_recomputation(use.owner, recomputed, backward_loop) for use in new.uses):
                pairs.append((new, old))
    return pairs


def _is_recomputation(user, recomputed: set, backward_loop: ir.Operation) -> bool:
    """Whether `user` (an op in the backward loop's body, maybe nested) belongs to the recomputed body."""
    user = user.operation if hasattr(user, "operation") else user
    while user.parent is not None and user.parent != backward_loop:
        user = user.parent
    return any(result in recomputed for result in user.results)
