"""A fuzz program: straight-line NumPy statements (with control-flow bodies) over a few arrays.

A program is data, so the shrinker can edit it, and renders to one Python function, so that the
eager run, both compilations and the printed reproducer all execute the same text:

    def f(x0, x1):
        k2 = np.array([0.0, -0.0], dtype=np.float32)
        v3 = np.add(x0, k2)
        def v4_body(v4_i, v4_c):
            v4_b0 = np.sin(v4_c)
            return v4_b0.astype(np.float32)
        v4 = tracer.fori_loop(0, 3, v4_body, v3)
        return (v3, v4)

Each `Op` is one statement (or a few: an update of a fresh copy) that defines the name `out` from
the names in `uses`; control-flow ops also define the body functions in `blocks`, which read their
parameters, earlier names (closures) and their own statements' names.
"""

from __future__ import annotations

import dataclasses
import linecache
import textwrap
import warnings
from dataclasses import dataclass, field

import ml_dtypes
import numpy as np

import tracer
from benchmarks.fuzzing.values import literal

FUNCTION = "f"
FILENAME = "<fuzz-program>"


@dataclass(frozen=True)
class Block:
    """A body function: `def name(*params): <ops>; return <ret>` (`ret` formats with `ret_uses`)."""

    name: str
    params: tuple[str, ...]
    ops: tuple["Op", ...]
    ret: str
    ret_uses: tuple[str, ...]

    def render(self) -> str:
        body = "".join(op.render() + "\n" for op in self.ops)
        body += "return " + self.ret.format(*self.ret_uses)
        return f"def {self.name}({', '.join(self.params)}):\n" + textwrap.indent(body, "    ")

    def free_names(self) -> set[str]:
        """Names the body reads from the enclosing function."""
        defined = set(self.params) | {op.out for op in self.ops}
        used = set(self.ret_uses)
        for op in self.ops:
            used |= op.reads()
        return used - defined


@dataclass(frozen=True)
class Op:
    """One statement defining `out`: `template.format(*uses, out=out)`, after the bodies in `blocks`.

    `call` names what the op computes for reports and for the allow-lists (`np.add`, `astype`,
    `tracer.cond`); `info` holds what those need to know about it (dtypes, a divisor's origin...).
    """

    out: str
    template: str
    uses: tuple[str, ...]
    call: str
    blocks: tuple[Block, ...] = ()
    info: dict = field(default_factory=dict, compare=False, hash=False)

    def render(self) -> str:
        lines = [block.render() for block in self.blocks]
        lines.append(self.template.format(*self.uses, out=self.out))
        return "\n".join(lines)

    def reads(self) -> set[str]:
        names = set(self.uses)
        for block in self.blocks:
            names |= block.free_names()
        return names

    def renamed(self, old: str, new: str) -> "Op":
        """This op with every read of `old` reading `new` instead (in its bodies too)."""
        swap = lambda names: tuple(new if n == old else n for n in names)  # noqa: E731
        blocks = tuple(dataclasses.replace(b, ops=tuple(o.renamed(old, new) for o in b.ops), ret_uses=swap(b.ret_uses))
                       if old not in b.params else b for b in self.blocks)
        return dataclasses.replace(self, uses=swap(self.uses), blocks=blocks)


@dataclass(frozen=True)
class Program:
    """`def f(<args>): <consts>; <ops>; return (<outputs>,)`, called with the arrays in `args`."""

    args: tuple[tuple[str, np.ndarray], ...]
    consts: tuple[tuple[str, np.ndarray], ...]
    ops: tuple[Op, ...]
    outputs: tuple[str, ...]

    def names(self) -> list[str]:
        return [n for n, _ in self.args] + [n for n, _ in self.consts] + [op.out for op in self.ops]

    def source(self, outputs: tuple[str, ...] | None = None) -> str:
        """The program as a Python function named `f` (returning `outputs` if given)."""
        outputs = self.outputs if outputs is None else outputs
        body = [f"{name} = {literal(value)}" for name, value in self.consts]
        body += [op.render() for op in self.ops]
        body.append(f"return ({''.join(name + ', ' for name in outputs)})")
        return f"def {FUNCTION}({', '.join(n for n, _ in self.args)}):\n" + textwrap.indent("\n".join(body), "    ") + "\n"

    def with_all_outputs(self) -> "Program":
        """Every value an op defines is returned: lets a mismatch be traced to the op that makes it."""
        return dataclasses.replace(self, outputs=tuple(op.out for op in self.ops))

    def dependencies(self) -> dict[str, set[str]]:
        """For each name, every op output it is computed from (itself included)."""
        deps: dict[str, set[str]] = {name: set() for name in self.names()}
        for op in self.ops:
            deps[op.out] = {op.out}.union(*(deps.get(n, set()) for n in op.reads()))
        return deps

    def op(self, name: str) -> Op | None:
        return next((op for op in self.ops if op.out == name), None)


def namespace() -> dict:
    """What program text may refer to besides its own names."""
    return {"np": np, "tracer": tracer, "ml_dtypes": ml_dtypes, "__name__": "fuzz_program"}


def load(source: str) -> callable:
    """The function `f` defined by `source`; its lines are registered so tracebacks and the tracer's
    `file:line` locations can show them."""
    linecache.cache[FILENAME] = (len(source), None, source.splitlines(True), FILENAME)
    scope = namespace()
    exec(compile(source, FILENAME, "exec"), scope)  # noqa: S102  (our own generated program text)
    return scope[FUNCTION]


@dataclass
class EagerResult:
    """NumPy's run of a program, statement by statement."""

    values: dict[str, object]  # every name -> its NumPy value (as first defined)
    warnings: dict[str, list[str]]  # op out -> NumPy's RuntimeWarnings while computing it
    error: BaseException | None = None  # what NumPy raised, if it did
    error_op: str | None = None  # at which op


def run_statement(text: str, scope: dict) -> list[str]:
    """Execute `text` in `scope` with NumPy's floating-point errors as warnings; return their messages."""
    with np.errstate(all="warn"), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        exec(compile(text, FILENAME, "exec"), scope)  # noqa: S102
    return [str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]


def run_eager(program: Program) -> EagerResult:
    """Run `program` with NumPy, recording each value and warning; stop at the first exception."""
    scope = namespace()
    for name, value in program.args:
        scope[name] = value.copy()
    result = EagerResult(values={}, warnings={})
    for name, value in program.consts:
        scope[name] = value.copy()
    result.values.update({name: scope[name] for name, _ in program.args + program.consts})
    for op in program.ops:
        try:
            result.warnings[op.out] = run_statement(op.render(), scope)
        except Exception as err:  # noqa: BLE001  (NumPy's error is data here)
            result.error, result.error_op = err, op.out
            return result
        value = scope[op.out]
        result.values[op.out] = value.copy() if isinstance(value, np.ndarray) else value
    return result


def run_op(op: Op, inputs: dict[str, object], numpy=np) -> tuple[object, list[str]]:
    """NumPy's result of one op on the given values of the names it reads, and its warnings (`numpy`: what the op's
    text calls `np`)."""
    scope = namespace()
    scope["np"] = numpy
    scope.update({name: value.copy() if isinstance(value, np.ndarray) else value for name, value in inputs.items()})
    messages = run_statement(op.render(), scope)
    return scope[op.out], messages


def op_at_line(program: Program, line: int) -> Op | None:
    """The top-level op whose text holds line `line` of `program.source()` (1-based)."""
    current = 2 + len(program.consts)  # line 1 is `def f(...)`
    for op in program.ops:
        length = op.render().count("\n") + 1
        if current <= line < current + length:
            return op
        current += length
    return None
