"""Pattern rewriting: small `Pattern` classes matched by op name, applied by one worklist-driven
greedy driver until nothing matches.

A pattern looks at one op and either returns False (no match, nothing touched) or changes the
IR only through the `Rewriter` and returns True. The driver starts with every op of the module on
a worklist and pops them one at a time, offering each to the patterns registered for its name.
The rewriter puts back on the worklist exactly the ops a change may let match anew: the ops it
built, the users of a replaced op's results, and the producers of its operands (which may now be
dead). An op popped with no use of any result and no effect is erased on the spot, so the driver
is also dead-code elimination. When the worklist is empty no pattern matches anywhere: a fixed
point after one visit of each op plus one per change, rather than repeated sweeps of the module.
"""

from __future__ import annotations

import contextlib
import ctypes
import threading
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from typing import ClassVar

from jaxlib.mlir import ir

from ir import query
from ir.ops.lapack import is_pure_call
from ir.dtypes import UnsupportedElementType
from ir.errors import PyreactantError

__all__ = ["ANY_OP", "EFFECTFUL", "Pattern", "RewriteBudgetExceeded", "Rewriter", "Worklist", "apply_patterns",
           "defining_op", "erase_dead_ops", "has_effects", "identity", "unused"]

# Ops with effects beyond their results: never erased when unused.
EFFECTFUL = frozenset({
    "func.return", "func.call", "stablehlo.return", "stablehlo.custom_call", "stablehlo.send", "stablehlo.recv",
    "stablehlo.infeed", "stablehlo.outfeed", "stablehlo.rng_bit_generator", "stablehlo.rng", "stablehlo.optimization_barrier",
    "stablehlo.all_reduce", "stablehlo.all_gather", "stablehlo.all_to_all", "stablehlo.collective_permute",
    "stablehlo.while", "stablehlo.if", "stablehlo.case", "sdy.sharding_constraint",
})


def has_effects(op: ir.Operation) -> bool:
    """Whether op may do more than compute its results. A custom call may call anything, so it counts as
    effectful, except the ones we emit knowing they are pure (LAPACK kernels: `ir/ops/lapack.py`), which
    passes may erase when unused, merge and hoist like any other op."""
    return op.name in EFFECTFUL and not (op.name == "stablehlo.custom_call" and is_pure_call(op))


class Pattern:
    """One rewrite, offered every op named `op_name`; class names read as what they match (`AddZero`).

    `op_name = ANY_OP` offers it every op (for rules about types rather than ops, e.g. empty results).

    `operand_from = (index, names)` says what most patterns test first: that operand `index` (any
    operand, for index None) is a result of an op named in `names`. The driver then tests it once
    per visit for all such patterns, from one look at the operands' producers, and offers the op
    only to the patterns it leaves: most visits match nothing, and this is where they spend.
    """

    op_name: ClassVar[str]
    operand_from: ClassVar[tuple[int | None, frozenset[str]] | None] = None

    def match_and_rewrite(self, op: ir.Operation, rewriter: Rewriter) -> bool:
        raise NotImplementedError


ANY_OP = "*"


_capsule_pointer = ctypes.pythonapi.PyCapsule_GetPointer
_capsule_pointer.restype = ctypes.c_void_p
_capsule_pointer.argtypes = [ctypes.py_object, ctypes.c_char_p]
_capsule_name = ctypes.pythonapi.PyCapsule_GetName
_capsule_name.restype = ctypes.c_char_p
_capsule_name.argtypes = [ctypes.py_object]


def identity(op: ir.Operation) -> int:
    """The address of the op in memory: the one key that tells two ops apart.

    Not `hash(op)`, which the bindings derive from more than the address (an op's hash changes when
    its operands do), nor `id(op)`: each walk hands out new Python objects for the same op.
    """
    capsule = op._CAPIPtr
    return _capsule_pointer(capsule, _capsule_name(capsule))


class Worklist:
    """Ops waiting to be visited, each at most once; the op pushed last comes out first.

    Keyed by the op's `identity`, so pushing an op already waiting moves it to the top instead of
    adding it twice. An op is forgotten before it is erased: the Python objects of erased ops (and
    of the ops nested in them) point at freed memory.
    """

    def __init__(self, ops: Sequence[ir.Operation] = ()):
        self._ops: dict[int, ir.Operation] = {identity(op): op for op in reversed(ops)}

    def __bool__(self) -> bool:
        return bool(self._ops)

    def push(self, op: ir.Operation) -> None:
        key = identity(op)
        self._ops.pop(key, None)
        self._ops[key] = op

    def pop(self) -> ir.Operation:
        return self._ops.popitem()[1]

    def forget(self, op: ir.Operation) -> None:
        """Drop op, and every op nested in its regions, from the worklist."""
        self._ops.pop(identity(op), None)
        if len(op.regions):
            for nested in query.walk(op):
                self._ops.pop(identity(nested), None)


class Rewriter:
    """The only way patterns change IR: new ops go right before the matched op, at its location.

    A rewrite keeps what the replaced op carried beyond its semantics: new ops get its source
    location, and the new op whose results take its place gets its discardable (dialect-prefixed)
    attributes such as `mhlo.sharding` or `mhlo.frontend_attributes`, unless it has its own.
    Every change is reported to the driver's worklist (a rewriter without one just rewrites).
    """

    def __init__(self, worklist: Worklist | None = None):
        self.changed = False
        self.worklist = worklist if worklist is not None else Worklist()
        self._anchor: ir.Operation | None = None  # the op the latest `before()` built in front of
        self._created: list[ir.Operation] = []  # ... and the ops it built there
        self._scratch: ir.Module | None = None

    @contextlib.contextmanager
    def before(self, op: ir.Operation) -> Iterator[None]:
        """Build new ops just before `op`, with its location (so dumps still name the user's line).

        They are built in a scratch block first and then moved, so the rewriter knows exactly
        which ops are new (the bindings cannot walk from an op to its neighbours). The scratch
        module is made once per rewriter: making one costs more than most rewrites.
        """
        with op.context, op.location:
            if self._scratch is None:
                self._scratch = ir.Module.create()
            with ir.InsertionPoint(self._scratch.body):
                yield
            created = [new.operation for new in self._scratch.body.operations]
            for new in created:
                new.move_before(op)
                self.worklist.push(new)
        self._anchor, self._created = op, created
        _forget_producers()

    def replace(self, op: ir.Operation, values: Sequence[ir.Value | None]) -> None:
        """Make every use of op's results use `values` instead, then erase op (None: a result without uses)."""
        for result, value in zip(op.results, values):
            if value is None:
                if not unused(result):
                    raise AssertionError(f"rewrite of {op.name} drops result {result.result_number}, which is used")
            elif result.type != value.type:
                raise AssertionError(f"rewrite of {op.name} changes a type: {result.type} -> {value.type}")
        self._carry_discardable_attributes(op, values)
        _forget_producers()
        for result, value in zip(op.results, values):
            if value is not None:
                for use in result.uses:  # its users now read other values: they may match anew
                    self.worklist.push(use.owner.operation)
                result.replace_all_uses_with(value)
        self.erase(op)

    def erase(self, op: ir.Operation) -> None:
        """Erase op, whose results must be unused.

        The producers of its operands may be dead now, and where an operand is left with one user,
        that user may now match a pattern that wants to be a value's only reader.
        """
        operands = list(op.operands)
        for operand in operands:
            producer = defining_op(operand)
            if producer is not None:
                self.worklist.push(producer)
        self.worklist.forget(op)
        _forget_producers()
        op.erase()
        for operand in operands:
            uses = iter(operand.uses)
            first = next(uses, None)
            if first is not None and next(uses, None) is None:
                self.worklist.push(first.owner.operation)
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

    def replace_uses(self, value: ir.Value, new: ir.Value, *, except_in: ir.Operation | None = None) -> None:
        """Make the uses of `value` (other than those in `except_in`) read `new` (for loop rewrites)."""
        for use in value.uses:
            self.worklist.push(use.owner.operation)
        _forget_producers()
        if except_in is None:
            value.replace_all_uses_with(new)
        else:
            value.replace_all_uses_except(new, except_in)
        self.changed = True

    def modified(self, op: ir.Operation) -> None:
        """Say that op changed in place (its regions, say): the driver visits it again."""
        self.worklist.push(op)
        self.changed = True

    def move_before(self, op: ir.Operation, anchor: ir.Operation) -> None:
        """Move op (e.g. out of a loop body) to just before `anchor`."""
        _forget_producers()
        op.move_before(anchor)
        self.worklist.push(op)
        parent = anchor.parent  # an enclosing loop may now find op invariant too
        if parent is not None:
            self.worklist.push(parent.operation)
        self.changed = True

    def replace_operands(self, op: ir.Operation, values: Sequence[ir.Value]) -> None:
        """Give op new operands in place (e.g. to canonicalise their order)."""
        _forget_producers()
        for index, value in enumerate(values):
            old = defining_op(op.operands[index])
            op.operands[index] = value
            if old is not None:
                self.worklist.push(old)
        self.worklist.push(op)
        self.changed = True


def unused(value: ir.Value) -> bool:
    return next(iter(value.uses), None) is None


class RewriteBudgetExceeded(PyreactantError, RuntimeError):
    """Patterns kept rewriting past the budget: two of them undo each other (a bug in a pass)."""


def apply_patterns(module: ir.Module, patterns: Iterable[Pattern], max_iterations: int = 10) -> bool:
    """Apply `patterns` and erase dead ops until neither changes anything; returns whether IR changed.

    `max_iterations` bounds the work: at most that many rewrites per op of the module, the cost of as
    many full sweeps. Running past it means patterns undo each other, which is raised rather than
    returned as a silently half-simplified module.
    """
    by_name: dict[str, list[Pattern]] = defaultdict(list)
    for pattern in patterns:
        by_name[pattern.op_name].append(pattern)
    any_op = tuple(by_name.pop(ANY_OP, ()))
    table = {name: (*found, *any_op) for name, found in by_name.items()}
    ops = query.walk(module)
    worklist = Worklist(ops)
    rewriter = Rewriter(worklist)
    budget = max(1, max_iterations) * (len(ops) + 16)
    outer_memo, _producers.memo = _producers.memo, {}
    try:
        _drive(worklist, rewriter, table, any_op, budget, max_iterations)
    finally:
        _producers.memo = outer_memo
    return rewriter.changed


def _forget_producers() -> None:
    if _producers.memo:
        _producers.memo.clear()


def _drive(worklist: Worklist, rewriter: Rewriter, table: dict, any_op: tuple, budget: int, max_iterations: int):
    waiting, patterns_for = worklist._ops, table.get  # (Worklist.pop inlined: this loop runs once per visit)
    while waiting:
        op = waiting.popitem()[1]
        name = op.name
        results = op.results
        # dead: no result used, no effect (tested here: once per visit; a custom call asks has_effects)
        if len(results) and (name not in EFFECTFUL or (name == "stablehlo.custom_call" and not has_effects(op))):
            for result in results:
                if next(iter(result.uses), None) is not None:
                    break
            else:
                rewriter.erase(op)
                continue
        producers = None  # the names of the ops that made op's operands, looked up once if a pattern asks
        for pattern in patterns_for(name, any_op):
            needed = pattern.operand_from
            if needed is not None:
                if producers is None:
                    producers = [None if (producer := defining_op(value)) is None else producer.name
                                 for value in op.operands]
                index, names = needed
                if index is None:
                    if not any(producer in names for producer in producers):
                        continue
                elif index >= len(producers) or producers[index] not in names:
                    continue
            try:
                matched = pattern.match_and_rewrite(op, rewriter)
            except UnsupportedElementType:
                continue  # (complex and other types NumPy cannot stand for: the pattern does not apply)
            if matched:
                budget -= 1
                if budget < 0:
                    raise RewriteBudgetExceeded(
                        f"more than {max_iterations} rewrites per op: the last was {type(pattern).__name__} "
                        f"of {name}; patterns seem to undo each other", where="")
                break  # op is gone or changed: whatever can match it again is back on the worklist


def erase_dead_ops(module: ir.Module) -> bool:
    """Erase ops without effects whose results are all unused (and the ops only they used); returns whether any went."""
    return apply_patterns(module, ())


# -- the producers of values, memoised while a driver runs ------------------------------------

class _Producers(threading.local):
    """Per thread, while a driver runs: value (by its address, which `hash` of a value is) -> its producer.

    Patterns ask for the producers of the same operands again and again (each pattern offered an op
    looks), and building the Python object of an op is the costliest thing they do. The memo is
    emptied on every change the rewriter makes, since an erased value's address may be reused.
    """

    memo: dict | None = None


_producers = _Producers()
_MISSING = object()


def defining_op(value: ir.Value) -> ir.Operation | None:
    """`ir.query.defining_op`, remembered while a driver runs: the one patterns and the driver use."""
    memo = _producers.memo
    if memo is None:
        return query.defining_op(value)
    key = hash(value)
    found = memo.get(key, _MISSING)
    if found is _MISSING:
        try:  # (query.defining_op, inlined: a miss costs one call less)
            found = value.owner.operation
        except AttributeError:
            found = None
        memo[key] = found
    return found
