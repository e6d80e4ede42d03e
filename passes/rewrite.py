"""Pattern rewriting: small `Pattern` classes matched by op name, applied to a fixed point.

A pattern looks at one op and either returns False (no match, nothing touched) or
changes the IR only through the `Rewriter` and returns True. The driver sweeps the
module, offering each op to the patterns registered for its name, until a sweep
changes nothing (or `max_iterations` sweeps ran). Patterns only ever replace the op
they matched, so the ops still waiting in a sweep stay valid; ops made unused are
left to dead-code elimination, which the driver runs after each sweep.
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from typing import ClassVar, Iterable, Iterator, Sequence

import numpy as np
from jaxlib.mlir import ir

# Ops with effects beyond their results: never erased when unused.
EFFECTFUL = frozenset({
    "func.return", "func.call", "stablehlo.return", "stablehlo.custom_call", "stablehlo.send", "stablehlo.recv",
    "stablehlo.infeed", "stablehlo.outfeed", "stablehlo.rng_bit_generator", "stablehlo.rng", "stablehlo.optimization_barrier",
    "stablehlo.all_reduce", "stablehlo.all_gather", "stablehlo.all_to_all", "stablehlo.collective_permute",
    "stablehlo.while", "stablehlo.if", "stablehlo.case", "sdy.sharding_constraint",
})


class Pattern:
    """One rewrite, offered every op named `op_name`; class names read as what they match (`AddZero`)."""

    op_name: ClassVar[str]

    def match_and_rewrite(self, op: ir.Operation, rewriter: "Rewriter") -> bool:
        raise NotImplementedError


class Rewriter:
    """The only way patterns change IR: new ops go right before the matched op, at its location."""

    def __init__(self):
        self.changed = False

    @contextlib.contextmanager
    def before(self, op: ir.Operation) -> Iterator[None]:
        """Build new ops just before `op`, with its location (so dumps still name the user's line)."""
        with op.context, op.location, ir.InsertionPoint(op):
            yield

    def replace(self, op: ir.Operation, values: Sequence[ir.Value]) -> None:
        """Make every use of op's results use `values` instead, then erase op."""
        for result, value in zip(op.results, values):
            if result.type != value.type:
                raise AssertionError(f"rewrite of {op.name} changes a type: {result.type} -> {value.type}")
            result.replace_all_uses_with(value)
        op.erase()
        self.changed = True

    def replace_operands(self, op: ir.Operation, values: Sequence[ir.Value]) -> None:
        """Give op new operands in place (e.g. to canonicalise their order)."""
        for index, value in enumerate(values):
            op.operands[index] = value
        self.changed = True


def operations(module: ir.Module) -> list[ir.Operation]:
    """Every op nested in the module, parents before the ops of their regions."""
    found = []

    def visit(op):
        found.append(op)
        return ir.WalkResult.ADVANCE

    module.operation.walk(visit, ir.WalkOrder.PRE_ORDER)
    return found[1:]  # not the module itself


def erase_dead_ops(module: ir.Module) -> bool:
    """Erase ops without effects whose results are all unused; returns whether any went."""
    erased = False
    while True:
        dead = _dead_ops(module)
        if not dead:
            return erased
        for op in reversed(dead):  # users before producers
            op.erase()
        erased = True


def unused(value: ir.Value) -> bool:
    return next(iter(value.uses), None) is None


def _dead_ops(module: ir.Module) -> list[ir.Operation]:
    return [op for op in operations(module)
            if op.name not in EFFECTFUL and len(op.results) > 0 and all(unused(r) for r in op.results)]


def apply_patterns(module: ir.Module, patterns: Iterable[Pattern], max_iterations: int = 10) -> bool:
    """Apply `patterns` until nothing matches (at most `max_iterations` sweeps); returns whether IR changed."""
    by_name: dict[str, list[Pattern]] = defaultdict(list)
    for pattern in patterns:
        by_name[pattern.op_name].append(pattern)
    changed_any = False
    for _ in range(max_iterations):
        rewriter = Rewriter()
        for op in operations(module):
            for pattern in by_name.get(op.name, ()):
                if pattern.match_and_rewrite(op, rewriter):
                    break  # op is gone or changed: the next sweep looks at it again
        changed = erase_dead_ops(module) or rewriter.changed
        changed_any |= changed
        if not changed:
            break
    return changed_any


# -- helpers patterns share ------------------------------------------------------------------

def constant_value(value: ir.Value) -> np.ndarray | None:
    """The NumPy value of a `stablehlo.constant` result (None for anything else, or unreadable types)."""
    owner = value.owner
    if not isinstance(owner, ir.Operation) and hasattr(owner, "operation"):
        owner = owner.operation
    if not isinstance(owner, ir.Operation) or owner.name != "stablehlo.constant":
        return None
    attr = ir.DenseElementsAttr(owner.attributes["value"])
    try:
        array = np.array(attr)
    except (TypeError, ValueError, RuntimeError):  # i1, bf16 ... the buffer protocol does not cover
        return None
    if array.dtype == object:  # bf16 comes back as a 0-d array of references rather than raising
        return None
    shape = tuple(ir.RankedTensorType(value.type).shape)
    return np.broadcast_to(array, shape) if attr.is_splat else array.reshape(shape)


def splat_value(value: ir.Value) -> float | int | None:
    """The one value of a splat `stablehlo.constant` (a Python float keeps -0.0's sign), else None."""
    owner = defining_op(value)
    if owner is None or owner.name != "stablehlo.constant":
        return None
    attr = ir.DenseElementsAttr(owner.attributes["value"])
    if not attr.is_splat:
        return None
    scalar = attr.get_splat_value()
    if isinstance(scalar, ir.BoolAttr):
        return scalar.value
    if isinstance(scalar, ir.FloatAttr):
        return scalar.value
    if isinstance(scalar, ir.IntegerAttr):
        return scalar.value
    return None


def defining_op(value: ir.Value) -> ir.Operation | None:
    owner = value.owner
    if isinstance(owner, ir.Block):
        return None
    return owner.operation if hasattr(owner, "operation") else owner
