"""Derivatives of `stablehlo.if`, `stablehlo.case` and `stablehlo.while`, in both modes.

Forward mode rebuilds the op so that it carries tangents beside its values. Reverse mode:

- `if`/`case`: a second `if`/`case` on the same selector, whose branch recomputes the forward branch and
  runs its backward pass; it returns the cotangents of the outer values the branches read.
- `while`: the loop needs a bound on its trip count — `pyreactant.trip_count` (recorded by
  `tracer.fori_loop` and `scan`), `pyreactant.max_iterations` (`tracer.while_loop(..., max_iterations=n)`),
  or a counter the pass can read off the loop. The forward loop is rebuilt to store each iteration's
  carried values in stacked buffers (a `dynamic_update_slice` per carry and turn); the backward loop runs
  the iterations in reverse, recomputes each body from its stored carries (one iteration's values live at a
  time) and runs the body's backward pass, summing the cotangents of the outer values it reads.
"""

from __future__ import annotations

import numpy as np
from jaxlib.mlir import ir

from ir import ops, query
from passes.autodiff.activity import captures, clone_ops
from passes.autodiff.emit import add, full, full_like, is_float, zeros_like
from passes.autodiff.errors import AutodiffError
from passes.autodiff.forward_mode import REGION_JVP, tangent_block
from passes.autodiff.reverse_mode import REGION_VJP, Adjoints, backward

__all__ = ["CHECKPOINT_ATTRIBUTE", "MAX_ITERATIONS_ATTRIBUTE", "TRIP_COUNT_ATTRIBUTE", "trip_bound"]

TRIP_COUNT_ATTRIBUTE = "pyreactant.trip_count"  # (tracer/control_flow/loops.py writes both)
MAX_ITERATIONS_ATTRIBUTE = "pyreactant.max_iterations"
CHECKPOINT_ATTRIBUTE = "pyreactant.checkpoint"


# -- if / case -----------------------------------------------------------------------------------------
def _branch_op(op, result_types):
    selector = op.operands[0]
    if op.name == "stablehlo.if":
        new, true_block, false_block = ops.if_(selector, result_types)
        return new, [true_block, false_block]
    return ops.case(selector, result_types, len(op.regions))


def _region_ops(region) -> list[ir.Operation]:
    return [nested.operation for nested in region.blocks[0].operations]


def _reverse_branches(op, z_bars, adjoints, varied) -> None:
    outer = [value for value in captures(op) if value in varied and is_float(value)]
    if not outer:
        return
    new, blocks = _branch_op(op, [value.type for value in outer])
    for region, block in zip(op.regions, blocks):
        with ir.InsertionPoint(block):
            forward_ops = _region_ops(region)
            mapping: dict = {}
            copies = clone_ops(forward_ops[:-1], mapping)
            local = Adjoints()
            for value, z_bar in zip(forward_ops[-1].operands, z_bars):
                value = mapping.get(value, value)
                if z_bar is not None and is_float(value):
                    local.add(value, z_bar)
            backward(copies, local, outer, where=f"a branch of the {op.name} at {op.location}")
            ops.return_([local.get(value) if local.get(value) is not None else zeros_like(value) for value in outer])
    for value, bar in zip(outer, new.results):
        adjoints.add(value, bar)


def _forward_branches(op, tangents, where) -> None:
    float_results = [i for i, result in enumerate(op.results) if is_float(result)]
    new, blocks = _branch_op(op, [r.type for r in op.results] + [op.results[i].type for i in float_results])
    for region, block in zip(op.regions, blocks):
        with ir.InsertionPoint(block):
            copies = clone_ops(_region_ops(region), {})
            local = tangents.new_child()
            tangent_block(copies, local, where=where)
            returned = list(copies[-1].operands)
            copies[-1].erase()
            ops.return_(returned + [local.get(returned[i]) if local.get(returned[i]) is not None
                                    else zeros_like(returned[i]) for i in float_results])
    _replace(op, new, float_results, tangents)


def _replace(op, new, float_results, tangents) -> None:
    count = len(op.results)
    for old, value in zip(op.results, new.results):
        old.replace_all_uses_with(value)
    for position, i in enumerate(float_results):
        tangents[new.results[i]] = new.results[count + position]
    op.erase()


# -- while ---------------------------------------------------------------------------------------------
def trip_bound(loop) -> int | None:
    """At most how many times `loop` runs, when known: a recorded count or bound, or a counter read off it."""
    for name in (TRIP_COUNT_ATTRIBUTE, MAX_ITERATIONS_ATTRIBUTE):
        if name in loop.attributes:
            return query.int_attr(loop, name)
    return _counted_trips(loop)


def _counted_trips(loop) -> int | None:
    """`i < n` in the condition, where carry i starts at a constant and the body adds a constant step."""
    cond_ops = _region_ops(loop.regions[0])
    body_block = loop.regions[1].blocks[0]
    compare = query.defining_op(cond_ops[-1].operands[0])
    if compare is None or compare.name != "stablehlo.compare" or query.enum_attr(compare, "comparison_direction") != "LT":
        return None
    cond_arguments = list(loop.regions[0].blocks[0].arguments)
    lhs, rhs = compare.operands
    if lhs not in cond_arguments:
        return None
    index = cond_arguments.index(lhs)
    limit, start = _constant(rhs), _constant(loop.operands[index])
    returned = _region_ops(loop.regions[1])[-1].operands[index]
    adder = query.defining_op(returned)
    if limit is None or start is None or adder is None or adder.name != "stablehlo.add":
        return None
    argument = body_block.arguments[index]
    if argument not in list(adder.operands):
        return None
    step = _constant(adder.operands[1] if adder.operands[0] == argument else adder.operands[0])
    if step is None or step <= 0:
        return None
    return max(0, -(-(limit - start) // step))


def _constant(value):
    owner = query.defining_op(value)
    if owner is None or owner.name != "stablehlo.constant" or query.shape(value) != ():
        return None
    array = np.array(ir.DenseElementsAttr(owner.attributes["value"]))
    return int(array.reshape(()))


def _index(value: int) -> ir.Value:
    return ops.constant(np.asarray(value, np.int64))


def _store_carries(op, bound: int):
    """Rebuild `op` (before it) to also stack each iteration's carries; returns (the new loop, the ops of
    its body that came from `op`, the stacked buffers, how many iterations ran). `op` is erased."""
    count = len(op.operands)
    carries = list(op.operands)
    shapes = [query.shape(value) for value in carries]
    with ir.InsertionPoint(op):
        stacks = [full((bound,) + shape, 0, query.dtype(value)) for shape, value in zip(shapes, carries)]
        new, cond_block, body_block = ops.while_(carries + [_index(0)] + stacks)
    _copy_attributes(op, new)
    old_cond, old_body = op.regions[0].blocks[0], op.regions[1].blocks[0]
    _move_block(old_cond, cond_block, list(cond_block.arguments)[:count], keep_terminator=True)
    arguments = list(body_block.arguments)
    with ir.InsertionPoint(body_block):
        counter = arguments[count]
        stored = [ops.dynamic_update_slice(stack, ops.reshape(carry, (1,) + shape), [counter] + [_index(0)] * len(shape))
                  for stack, carry, shape in zip(arguments[count + 1:], arguments[:count], shapes)]
        next_counter = ops.add(counter, _index(1))
    body_ops = _move_block(old_body, body_block, arguments[:count], keep_terminator=False)
    returned = list(_region_ops(op.regions[1])[-1].operands)
    with ir.InsertionPoint(body_block):
        ops.return_(returned + [next_counter] + stored)
    for old, value in zip(op.results, new.results):
        old.replace_all_uses_with(value)
    op.erase()
    results = list(new.results)
    return new, body_ops, results[count + 1:], results[count]


def _copy_attributes(source, target) -> None:
    """The trip count and any discardable attributes travel with the rebuilt loop."""
    for index in range(len(source.attributes)):
        named = source.attributes[index]
        target.attributes[named.name] = named.attr


def _move_block(source: ir.Block, target: ir.Block, replacements, *, keep_terminator: bool) -> list[ir.Operation]:
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


def _reverse_while(op, z_bars, adjoints, varied) -> None:
    count = len(op.operands)
    inits = list(op.operands)
    bound = trip_bound(op)
    if bound is None:
        raise AutodiffError("a stablehlo.while without a known trip count cannot be reversed", op=op,
                            fix="use tracer.fori_loop with static bounds, or give the loop a bound: "
                                "tracer.while_loop(cond, body, init, max_iterations=n)")
    floats = [j for j in range(count) if is_float(inits[j])]
    outer = [value for value in captures(op) if value in varied and is_float(value)]
    where = f"the body of the loop at {op.location}"  # (op is replaced below)
    if bound == 0:  # the loop hands its inits straight through
        for j in floats:
            adjoints.add(inits[j], z_bars[j])
        return
    loop, body_ops, stacks, trips = _store_carries(op, bound)
    body_block = loop.regions[1].blocks[0]
    terminator = list(body_block.operations)[-1].operation
    returned = list(terminator.operands)[:count]
    shapes = [query.shape(value) for value in inits]
    start = [z_bars[j] if z_bars[j] is not None else zeros_like(inits[j]) for j in floats]
    back, cond_block, back_body = ops.while_([trips] + start + [zeros_like(value) for value in outer])
    # The backward loop runs as often as the forward one did: its bound makes it reversible in turn.
    back.attributes[MAX_ITERATIONS_ATTRIBUTE] = ir.IntegerAttr.get(ir.IntegerType.get_signless(64), bound)
    with ir.InsertionPoint(cond_block):
        ops.return_([ops.compare(cond_block.arguments[0], _index(0), "GT")])
    with ir.InsertionPoint(back_body):
        arguments = list(back_body.arguments)
        step = ops.subtract(arguments[0], _index(1))
        carry_bars, sums = arguments[1:1 + len(floats)], arguments[1 + len(floats):]
        carries = [ops.reshape(ops.dynamic_slice(stack, [step] + [_index(0)] * len(shape), (1,) + shape), shape)
                   for stack, shape in zip(stacks, shapes)]
        if CHECKPOINT_ATTRIBUTE in loop.attributes:  # keep XLA from merging the recomputation with the forward
            carries = [ops.optimization_barrier(carry) for carry in carries]
        mapping = dict(zip(list(body_block.arguments)[:count], carries))
        copies = clone_ops(body_ops, mapping)
        local = Adjoints()
        for j, bar in zip(floats, carry_bars):
            local.add(mapping.get(returned[j], returned[j]), bar)
        backward(copies, local, [carries[j] for j in floats] + outer, where=where)
        new_bars = [local.get(carries[j]) if local.get(carries[j]) is not None else zeros_like(carries[j]) for j in floats]
        new_sums = [add(total, local.get(value)) for total, value in zip(sums, outer)]
        ops.return_([step] + new_bars + new_sums)
    results = list(back.results)
    if MAX_ITERATIONS_ATTRIBUTE in loop.attributes:
        # A loop that ran past its bound overwrote its last stored carry: its gradient is NaN, not wrong.
        overran = ops.compare(trips, _index(bound), "GT")
        results = [results[0]] + [ops.select(overran, full_like(bar, np.nan), bar) for bar in results[1:]]
    for j, bar in zip(floats, results[1:1 + len(floats)]):
        if inits[j] in varied:
            adjoints.add(inits[j], bar)
    for value, bar in zip(outer, results[1 + len(floats):]):
        adjoints.add(value, bar)


def _forward_while(op, tangents, where) -> None:
    count = len(op.operands)
    inits = list(op.operands)
    floats = [j for j in range(count) if is_float(inits[j])]
    start = [tangents.get(inits[j]) if tangents.get(inits[j]) is not None else zeros_like(inits[j]) for j in floats]
    new, cond_block, body_block = ops.while_(inits + start)
    _copy_attributes(op, new)
    with ir.InsertionPoint(cond_block):
        mapping = dict(zip(op.regions[0].blocks[0].arguments, list(cond_block.arguments)[:count]))
        clone_ops(_region_ops(op.regions[0]), mapping)
    with ir.InsertionPoint(body_block):
        arguments = list(body_block.arguments)
        mapping = dict(zip(op.regions[1].blocks[0].arguments, arguments[:count]))
        local = tangents.new_child({arguments[j]: arguments[count + k] for k, j in enumerate(floats)})
        copies = clone_ops(_region_ops(op.regions[1]), mapping)
        tangent_block(copies, local, where=where)
        returned = list(copies[-1].operands)
        copies[-1].erase()
        ops.return_(returned + [local.get(returned[j]) if local.get(returned[j]) is not None
                                else zeros_like(returned[j]) for j in floats])
    _replace(op, new, floats, tangents)


REGION_VJP["stablehlo.if"] = REGION_VJP["stablehlo.case"] = _reverse_branches
REGION_VJP["stablehlo.while"] = _reverse_while
REGION_JVP["stablehlo.if"] = REGION_JVP["stablehlo.case"] = _forward_branches
REGION_JVP["stablehlo.while"] = _forward_while
