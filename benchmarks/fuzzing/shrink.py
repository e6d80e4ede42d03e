"""Make a failing program small while it keeps failing the same way (`Finding.signature`).

Greedy: try each smaller candidate in turn (fewer outputs, one op fewer, an op replaced by one of
its inputs, smaller argument shapes, simpler argument values) and keep the first that still fails;
repeat until none does or the budget of evaluations is spent.
"""

from __future__ import annotations

import dataclasses
from typing import Callable, Iterator

import numpy as np

from benchmarks.fuzzing.program import Program


def shrink(program: Program, still_fails: Callable[[Program], bool], budget: int = 60) -> tuple[Program, int]:
    """The smallest program found, and how many candidates were evaluated."""
    current, tried = drop_unused(program), 0
    progress = True
    while progress and tried < budget:
        progress = False
        for candidate in candidates(current):
            candidate = drop_unused(candidate)
            if size(candidate) >= size(current):
                continue  # only strictly smaller programs: the loop ends
            if tried >= budget:
                break
            tried += 1
            if still_fails(candidate):
                current, progress = candidate, True
                break
    return current, tried


def size(p: Program) -> int:
    """How big a reproducer reads: statements (body ones too) first, then outputs, elements, distinct values."""
    def statements(ops) -> int:
        return sum(1 + sum(statements(b.ops) for b in op.blocks) for op in ops)

    arrays = [v for _, v in p.args + p.consts]
    elements = sum(v.size for v in arrays)
    varied = sum(1 for v in arrays if v.size > 1 and not (v == v.flat[0]).all())
    return 10_000 * statements(p.ops) + 1_000 * len(p.outputs) + 10 * elements + varied


def candidates(p: Program) -> Iterator[Program]:
    # Fewer outputs: one at a time.
    if len(p.outputs) > 1:
        for name in p.outputs:
            yield dead_code_dropped(dataclasses.replace(p, outputs=(name,)))
    # Drop ops no output needs.
    yield dead_code_dropped(p)
    # Another op as the only output, without what it does not need (the failure may be in an op no output needs).
    for op in reversed(p.ops):
        yield dead_code_dropped(dataclasses.replace(p, outputs=(op.out,)))
    shapes = _shapes(p)
    # Replace an op by one of the values it reads (same shape and dtype), last ops first.
    for index in reversed(range(len(p.ops))):
        op = p.ops[index]
        for name in op.uses:
            if name in shapes and shapes[name] == shapes.get(op.out):
                bypassed = _bypass(p, index, name)
                if bypassed is not None:
                    yield bypassed
    # Drop an op together with everything computed from it.
    for index in reversed(range(len(p.ops))):
        out = p.ops[index].out
        deps = p.dependencies()
        gone = {n for n, d in deps.items() if out in d}
        outputs = tuple(n for n in p.outputs if n not in gone)
        if outputs:
            yield dataclasses.replace(p, ops=tuple(op for op in p.ops if op.out not in gone), outputs=outputs)
    # Smaller arguments: each dimension to 1, then to half.
    for kind in ("args", "consts"):
        entries = getattr(p, kind)
        for i, (name, value) in enumerate(entries):
            for axis, dim in enumerate(value.shape):
                for smaller in sorted({1, max(1, dim // 2)} - {dim}):
                    if smaller < dim:
                        cut = value[(slice(None),) * axis + (slice(0, smaller),)].copy()
                        yield dataclasses.replace(p, **{kind: entries[:i] + ((name, cut),) + entries[i + 1:]})
    # Simpler values: the whole argument one of its elements, or zeros.
    for kind in ("args", "consts"):
        entries = getattr(p, kind)
        for i, (name, value) in enumerate(entries):
            if value.size > 1 and not (value == value.flat[0]).all():
                for j in range(min(value.size, 3)):
                    simple = np.full_like(value, value.flat[j])
                    yield dataclasses.replace(p, **{kind: entries[:i] + ((name, simple),) + entries[i + 1:]})


def dead_code_dropped(p: Program) -> Program:
    needed = set().union(*(p.dependencies()[n] for n in p.outputs))
    return dataclasses.replace(p, ops=tuple(op for op in p.ops if op.out in needed))


def _shapes(p: Program) -> dict[str, tuple]:
    from benchmarks.fuzzing.program import run_eager

    values = run_eager(p).values
    return {n: (np.shape(v), np.asarray(v).dtype) for n, v in values.items()}


def _bypass(p: Program, index: int, name: str) -> Program | None:
    """Program without op `index`, reading `name` wherever it read the op's result (None if no output is left)."""
    out = p.ops[index].out
    ops = p.ops[:index] + tuple(op.renamed(out, name) for op in p.ops[index + 1:])
    defined = {op.out for op in ops}
    outputs = tuple(n for n in dict.fromkeys(name if n == out else n for n in p.outputs) if n in defined)
    return dataclasses.replace(p, ops=ops, outputs=outputs) if outputs else None


def drop_unused(p: Program) -> Program:
    """Without the arguments and constants no op reads (they cannot change any result)."""
    read = set().union(*(op.reads() for op in p.ops)) if p.ops else set()
    return dataclasses.replace(p, args=tuple((n, v) for n, v in p.args if n in read),
                               consts=tuple((n, v) for n, v in p.consts if n in read))
