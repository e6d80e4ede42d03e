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
from passes import loop_counters
from passes.autodiff.activity import captures, clone_ops
from passes.autodiff.emit import add, full, full_like, is_float, zeros_like
from passes.autodiff.errors import AutodiffError
from passes.autodiff.loop_stacks import (copy_attributes, index, read_row, region_ops, residuals, store_carries,
                                        store_values)
from passes.autodiff.forward_mode import REGION_JVP, tangent_block
from passes.autodiff.reverse_mode import REGION_VJP, Adjoints, backward

__all__ = ["CHECKPOINT_ATTRIBUTE", "MAX_ITERATIONS_ATTRIBUTE", "TRIP_COUNT_ATTRIBUTE", "exact_trips", "trip_bound"]

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


def _reverse_branches(op, z_bars, adjoints, varied) -> None:
    outer = [value for value in captures(op) if value in varied and is_float(value)]
    if not outer:
        return
    new, blocks = _branch_op(op, [value.type for value in outer])
    for region, block in zip(op.regions, blocks):
        with ir.InsertionPoint(block):
            forward_ops = region_ops(region)
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
            copies = clone_ops(region_ops(region), {})
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


def exact_trips(loop) -> int | None:
    """How many times `loop` runs, when that is known exactly (not only bounded)."""
    if TRIP_COUNT_ATTRIBUTE in loop.attributes:
        return query.int_attr(loop, TRIP_COUNT_ATTRIBUTE)
    return None if MAX_ITERATIONS_ATTRIBUTE in loop.attributes else _counted_trips(loop)


def _counted_trips(loop) -> int | None:
    """`i < n` in the condition, where carry i starts at a constant and the body adds a constant step."""
    cond_ops = region_ops(loop.regions[0])
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
    returned = region_ops(loop.regions[1])[-1].operands[index]
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
    """The integer a scalar `stablehlo.constant` holds, else None."""
    array = query.constant_value(value)
    return None if array is None or array.shape != () else int(array)


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
    exact = exact_trips(op)
    # Integer counters are not stacked: their value at row r is start + step * r. One that counts 0, 1, 2 ...
    # is the row index itself (no counter of our own, as in JAX's scan).
    counters = loop_counters.counters(op)
    row_counter = next((j for j, (start, step) in counters.items() if start == 0 and step == 1), None)
    loop, body_ops, stacks, counter_position = store_carries(op, bound, unstacked=counters, row_counter=row_counter)
    trips = loop.results[counter_position]
    index_type = query.dtype(trips)
    body_block = loop.regions[1].blocks[0]
    terminator = list(body_block.operations)[-1].operation
    returned = list(terminator.operands)[:count]
    start = [z_bars[j] if z_bars[j] is not None else zeros_like(inits[j]) for j in floats]
    # The backward loop runs as often as the forward one did, and says so (which makes it reversible in
    # turn). With the count known exactly it counts up from 0 to that constant, as the forward loop does, and
    # reads row count - 1 - k: XLA then knows its trip count too, and the two loops share their condition's
    # and counter's kernels. With only a bound it counts down from the forward loop's final count.
    counter_init = index(0, index_type) if exact is not None else trips
    back, cond_block, back_body = ops.while_([counter_init] + start + [zeros_like(value) for value in outer])
    if exact is not None:
        back.attributes[TRIP_COUNT_ATTRIBUTE] = ir.IntegerAttr.get(ir.IntegerType.get_signless(64), exact)
    else:
        back.attributes[MAX_ITERATIONS_ATTRIBUTE] = ir.IntegerAttr.get(ir.IntegerType.get_signless(64), bound)
    with ir.InsertionPoint(cond_block):
        if exact is not None:
            ops.return_([ops.compare(cond_block.arguments[0], index(exact, index_type), "LT")])
        else:
            ops.return_([ops.compare(cond_block.arguments[0], index(0, index_type), "GT")])
    checkpointed = CHECKPOINT_ATTRIBUTE in loop.attributes
    with ir.InsertionPoint(back_body):
        arguments = list(back_body.arguments)
        if exact is not None:
            row = ops.subtract(index(exact - 1, index_type), arguments[0])
            next_counter = ops.add(arguments[0], index(1, index_type))
        else:
            row = next_counter = ops.subtract(arguments[0], index(1, index_type))
        carry_bars, sums = arguments[1:1 + len(floats)], arguments[1 + len(floats):]
        carries = [_counter_at(row, *counters[j]) if stack is None else read_row(stack, row)
                   for j, stack in enumerate(stacks)]
        if checkpointed:  # keep XLA from merging the recomputation with the forward
            carries = [ops.optimization_barrier(carry) if stack is not None else carry
                       for carry, stack in zip(carries, stacks)]
        mapping = dict(zip(list(body_block.arguments)[:count], carries))
        copies = clone_ops(body_ops, mapping)
        local = Adjoints()
        for j, bar in zip(floats, carry_bars):
            local.add(mapping.get(returned[j], returned[j]), bar)
        backward(copies, local, [carries[j] for j in floats] + outer, where=where)
        new_bars = [local.get(carries[j]) if local.get(carries[j]) is not None else zeros_like(carries[j]) for j in floats]
        new_sums = [add(total, local.get(value)) for total, value in zip(sums, outer)]
        ops.return_([next_counter] + new_bars + new_sums)
    results = list(back.results)
    if exact is None and MAX_ITERATIONS_ATTRIBUTE in loop.attributes:
        # A loop that ran past its bound overwrote its last stored carry: its gradient is NaN, not wrong.
        overran = ops.compare(trips, index(bound, index_type), "GT")
        results = [results[0]] + [ops.select(overran, full_like(bar, np.nan), bar) for bar in results[1:]]
    for j, bar in zip(floats, results[1:1 + len(floats)]):
        if inits[j] in varied:
            adjoints.add(inits[j], bar)
    for value, bar in zip(outer, results[1 + len(floats):]):
        adjoints.add(value, bar)
    if not checkpointed:  # last: it rebuilds the forward loop, whose old results the code above read
        _read_residuals(loop, body_ops, copies, back, row, bound, counter_position=counter_position)


def _counter_at(row: ir.Value, start: np.ndarray, step: np.ndarray) -> ir.Value:
    """The value a counter (start, step) holds in iteration `row`, in its own type (which wraps as its adds do)."""
    dtype = start.dtype
    if query.dtype(row) != dtype:
        row = ops.convert(row, dtype)
    if step != 1:
        row = ops.multiply(row, index(int(step), dtype))
    return row if start == 0 else ops.add(row, index(int(start), dtype))


def _read_residuals(loop, body_ops, copies, back, step, bound: int, *, counter_position: int) -> None:
    """Store in the forward loop the values the backward body reads that are costly to recompute, and read
    them there instead (the recomputation they replace becomes dead code)."""
    pairs = residuals(body_ops, copies, back)
    if not pairs:
        return
    _, stacks = store_values(loop, [forward for _, forward in pairs], bound, counter_position)
    with ir.InsertionPoint(copies[0]):
        rows = [read_row(stack, step) for stack in stacks]
    for (recomputed, _), row in zip(pairs, rows):
        recomputed.replace_all_uses_with(row)


def _forward_while(op, tangents, where) -> None:
    count = len(op.operands)
    inits = list(op.operands)
    floats = [j for j in range(count) if is_float(inits[j])]
    start = [tangents.get(inits[j]) if tangents.get(inits[j]) is not None else zeros_like(inits[j]) for j in floats]
    new, cond_block, body_block = ops.while_(inits + start)
    copy_attributes(op, new)
    with ir.InsertionPoint(cond_block):
        mapping = dict(zip(op.regions[0].blocks[0].arguments, list(cond_block.arguments)[:count]))
        clone_ops(region_ops(op.regions[0]), mapping)
    with ir.InsertionPoint(body_block):
        arguments = list(body_block.arguments)
        mapping = dict(zip(op.regions[1].blocks[0].arguments, arguments[:count]))
        local = tangents.new_child({arguments[j]: arguments[count + k] for k, j in enumerate(floats)})
        copies = clone_ops(region_ops(op.regions[1]), mapping)
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
