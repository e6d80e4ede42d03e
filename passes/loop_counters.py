"""Integer counters of a `stablehlo.while`: carries that start at a constant and add a constant each turn.

Two passes read them: `while-simplify` unrolls a loop with the counters turned into constants, and reverse
mode (`passes/autodiff/control_flow.py`) recomputes a counter's value at any iteration as `start + step * k`
instead of stacking it, and uses one that counts 0, 1, 2 ... as the row index of its stacks.
"""

from __future__ import annotations

import numpy as np
from jaxlib.mlir import ir

from ir.query import constant_value, defining_op

__all__ = ["counters"]


def counters(loop: ir.Operation) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Carry index -> (start, step), for integer scalar carries that start at a constant and whose next value
    is the carry plus a constant."""
    body_block = loop.regions[1].blocks[0]
    terminator = list(body_block.operations)[-1].operation
    found = {}
    for index, (argument, returned) in enumerate(zip(body_block.arguments, terminator.operands)):
        start, adder = constant_value(loop.operands[index]), defining_op(returned)
        if start is None or start.shape != () or start.dtype.kind not in "iu":
            continue
        if adder is None or adder.name != "stablehlo.add" or argument not in list(adder.operands):
            continue
        lhs, rhs = adder.operands
        step = constant_value(rhs if lhs == argument else lhs)
        if step is not None and step.shape == ():
            found[index] = (start, step)
    return found
