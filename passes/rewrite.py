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
    """One rewrite, offered every op named `op_name`; class names read as what they match (`AddZero`).

    `op_name = ANY_OP` offers it every op (for rules about types rather than ops, e.g. empty results).
    """

    op_name: ClassVar[str]

    def match_and_rewrite(self, op: ir.Operation, rewriter: "Rewriter") -> bool:
        raise NotImplementedError


ANY_OP = "*"


class Rewriter:
    """The only way patterns change IR: new ops go right before the matched op, at its location.

    A rewrite keeps what the replaced op carried beyond its semantics: new ops get its source
    location, and the new op whose results take its place gets its discardable (dialect-prefixed)
    attributes such as `mhlo.sharding` or `mhlo.frontend_attributes`, unless it has its own.
    """

    def __init__(self):
        self.changed = False
        self._anchor: ir.Operation | None = None  # the op the latest `before()` built in front of
        self._created: list[ir.Operation] = []  # ... and the ops it built there

    @contextlib.contextmanager
    def before(self, op: ir.Operation) -> Iterator[None]:
        """Build new ops just before `op`, with its location (so dumps still name the user's line).

        They are built in a scratch block first and then moved, so the rewriter knows exactly
        which ops are new (the bindings cannot walk from an op to its neighbours).
        """
        with op.context, op.location:
            scratch = ir.Module.create()
            with ir.InsertionPoint(scratch.body):
                yield
            created = [new.operation for new in scratch.body.operations]
            for new in created:
                new.move_before(op)
        self._anchor, self._created = op, created

    def replace(self, op: ir.Operation, values: Sequence[ir.Value | None]) -> None:
        """Make every use of op's results use `values` instead, then erase op (None: a result without uses)."""
        for result, value in zip(op.results, values):
            if value is None:
                if not unused(result):
                    raise AssertionError(f"rewrite of {op.name} drops result {result.result_number}, which is used")
            elif result.type != value.type:
                raise AssertionError(f"rewrite of {op.name} changes a type: {result.type} -> {value.type}")
        self._carry_discardable_attributes(op, values)
        for result, value in zip(op.results, values):
            if value is not None:
                result.replace_all_uses_with(value)
        op.erase()
        self.changed = True

    def _carry_discardable_attributes(self, op: ir.Operation, values: Sequence[ir.Value]) -> None:
        """Copy op's discardable attributes onto the op built for it that now produces its results.

        Only onto an op just built in front of `op` (a pre-existing op is shared with other users, whose
        sharding it keeps), only when its result types are op's (a tuple sharding of other results
        would be wrong), and never over attributes of its own.
        """
        anchor, created = self._anchor, self._created
        self._anchor, self._created = None, []
        try:
            if anchor is None or anchor != op:
                return
        except RuntimeError:  # the anchor was erased (with a region around it) and op is another op
            return
        carried = {name: op.attributes[name] for name in op.attributes if "." in name}
        if not carried:
            return
        owners = []
        for value in values:
            owner = defining_op(value) if value is not None else None
            if owner is not None and any(owner == new for new in created) and not any(owner == o for o in owners):
                owners.append(owner)
        result_types = [r.type for r in op.results]
        for owner in owners:
            if [r.type for r in owner.results] != result_types:
                continue
            if any("." in name for name in owner.attributes):
                continue
            for name, attr in carried.items():
                owner.attributes[name] = attr

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


def _count_nested(op: ir.Operation) -> int:
    count = 0

    def visit(_op):
        nonlocal count
        count += 1
        return ir.WalkResult.ADVANCE

    op.walk(visit, ir.WalkOrder.PRE_ORDER)
    return count - 1  # not op itself


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
    any_op = by_name.pop(ANY_OP, [])
    for _ in range(max_iterations):
        rewriter = Rewriter()
        sweep = operations(module)
        index = 0
        while index < len(sweep):
            op = sweep[index]
            index += 1
            candidates = (*by_name.get(op.name, ()), *any_op)
            if not candidates:
                continue
            nested = _count_nested(op) if len(op.regions) else 0
            for pattern in candidates:
                if pattern.match_and_rewrite(op, rewriter):
                    index += nested  # the ops of its regions (next in pre-order) may have gone with it
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
