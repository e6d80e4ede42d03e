"""Random programs, built by running them: each candidate statement is executed with NumPy as it is
drawn, kept if NumPy accepts it, and the next one draws from the values it made.

So the generator needs no model of shapes or dtypes: NumPy is asked. The families of statements
live in `families_*.py`; each is a function `(scope) -> Op | None` drawn with a weight from
`FAMILIES`. A program is a function of its seed alone (`generate(seed, config)`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from benchmarks.fuzzing import values as V
from benchmarks.fuzzing.program import Block, Op, Program, namespace, run_statement

# Generators of programs that crash the process today (issue 16, "Crashes"); another change fixes
# them. They stay out of the default run, so that a run's crashes are new ones, and
# `--known-crashes` (Config.known_crashes) turns them back on to count what they would still find.
KNOWN_CRASH_GENERATORS = {
    # issue 16 #1: `(x - x) // (x - x)`: both operands are constants after XLA's algebraic simplifier,
    # and its constant folder divides by zero (SIGFPE). Off: a divisor of `//`, `%`, `divmod`, `fmod`
    # is a function argument, a nonzero literal, or a constant array without zeros.
    "const-zero-divisor": "integer //, % by a constant zero (issue 16 #1, SIGFPE)",
    # issue 16 #2: thousands of nested stablehlo.if overflow the stack of MLIR's parser (SIGSEGV).
    # Off: control flow nests at most Config.max_depth deep.
    "deep-nesting": "control flow nested ~3,000 deep (issue 16 #2, SIGSEGV)",
    # issue 16 #3: a result whose computation ran out of memory aborts when read (SIGABRT).
    # Off: no value has more than Config.max_elements elements.
    "oom-read": "a broadcast too large for memory (issue 16 #3, SIGABRT)",
    # issue 16 #4: a shape whose size in bytes overflows int64 aborts XLA (SIGABRT).
    "overflowing-shape": "a shape whose byte size overflows int64 (issue 16 #4, SIGABRT)",
}


@dataclass(frozen=True)
class Config:
    max_ops: int = 8  # top-level statements per program
    body_ops: int = 3  # statements per control-flow body
    max_depth: int = 2  # control flow nested at most this deep
    max_elements: int = 256  # values larger than this are not kept (arguments stay <= 48 elements)
    error_rate: float = 0.06  # programs that end with a statement NumPy rejects (both must raise)
    known_crashes: frozenset = field(default_factory=frozenset)  # names from KNOWN_CRASH_GENERATORS


class Call:
    """Collects the names a template reads: `c.ref("v3")` is the placeholder `{0}` for v3."""

    def __init__(self):
        self.uses: list[str] = []
        self.info: dict = {}  # what the allow-lists need to know (e.g. traced_index: positions are traced)

    def ref(self, name: str) -> str:
        if name not in self.uses:
            self.uses.append(name)
        return "{%d}" % self.uses.index(name)

    def op(self, out: str, expr: str, call: str, **info) -> Op:
        return Op(out, "{out} = " + expr, tuple(self.uses), call, info={**self.info, **info})


class Builder:
    """Everything one program draws: its arguments, constants and counter of fresh names."""

    def __init__(self, seed: int, config: Config):
        self.rng = np.random.default_rng(seed)
        self.config = config
        self.args: list[tuple[str, np.ndarray]] = []
        self.consts: list[tuple[str, np.ndarray]] = []
        self.counter = 0
        self.limit_rate = float(self.rng.choice([0.0, 0.0, 0.1, 0.3, 0.6]))
        self.top = Scope(self, namespace(), {}, depth=0, loop_indices=())
        self.rejected: list[Op] = []  # statements NumPy refused (for the error-consistency programs)

    def fresh(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"


class Scope:
    """The names one function body can read (its own, its parameters', the enclosing ones'),
    with their NumPy sample values, and the statements drawn so far."""

    def __init__(self, builder: Builder, ns: dict, values: dict, depth: int, loop_indices: tuple[str, ...]):
        self.b, self.ns, self.values, self.depth = builder, ns, values, depth
        self.loop_indices = loop_indices  # names of enclosing fori_loop indices (Python ints eagerly)
        self.ops: list[Op] = []
        self.scopes = [self]  # this scope and those enclosing it, innermost first (fresh args go to all)

    @property
    def rng(self) -> np.random.Generator:
        return self.b.rng

    # -- reading -------------------------------------------------------------------------------
    def arrays(self, where=lambda v: True, names=None) -> list[str]:
        return [n for n, v in self.values.items()
                if isinstance(v, (np.ndarray, np.generic)) and (names is None or n in names) and where(v)]

    def pick(self, where=lambda v: True, names=None) -> str | None:
        names = self.arrays(where, names)
        if not names:
            return None
        # Later values are likelier: programs become chains rather than fans of the arguments.
        weights = np.arange(1, len(names) + 1, dtype=float)
        return names[int(self.rng.choice(len(names), p=weights / weights.sum()))]

    def pick_or_new(self, where=lambda v: True) -> str:
        """An earlier value that satisfies `where`, or (one time in five, or if none) a new argument that does."""
        name = self.pick(where) if self.rng.random() < 0.8 else None
        if name:
            return name
        for _ in range(20):
            value = self.new_array()
            if where(value):
                return self.new_arg(value=value)
        return self.new_arg(value=self.new_array((2, 3), np.float32))

    def shape(self, name: str) -> tuple[int, ...]:
        return np.shape(self.values[name])

    def dtype(self, name: str) -> np.dtype:
        return np.asarray(self.values[name]).dtype

    # -- new values ----------------------------------------------------------------------------
    def new_array(self, shape=None, dtype=None) -> np.ndarray:
        shape = random_shape(self.rng) if shape is None else tuple(shape)
        dtype = random_dtype(self.rng) if dtype is None else np.dtype(dtype)
        return V.random_array(self.rng, shape, dtype, self.b.limit_rate)

    def new_arg(self, shape=None, dtype=None, value=None) -> str:
        """A new argument of `f` (a traced value), visible in this scope and every enclosing one."""
        value = self.new_array(shape, dtype) if value is None else value
        name = self.b.fresh("x")
        self.b.args.append((name, value))
        for scope in self.scopes:
            scope.ns[name] = value
            scope.values[name] = value
        return name

    def new_const(self, shape=None, dtype=None, value=None) -> str:
        """A NumPy array written into the program's text: a constant when traced."""
        value = self.new_array(shape, dtype) if value is None else value
        name = self.b.fresh("k")
        self.b.consts.append((name, value))
        for scope in self.scopes:
            scope.ns[name] = value
            scope.values[name] = value
        return name

    # -- statements ----------------------------------------------------------------------------
    def accept(self, op: Op) -> bool:
        """Run `op` with NumPy here; keep it if NumPy accepts it and it made a small array."""
        try:
            run_statement(op.render(), self.ns)
        except Exception:  # noqa: BLE001
            self.b.rejected.append(op)
            return False
        value = self.ns.get(op.out)
        if isinstance(value, np.generic):
            value = np.asarray(value)
        if not (isinstance(value, np.ndarray) and value.dtype in V.ALL_DTYPES and value.ndim <= 6
                and value.size <= self.b.config.max_elements):
            return False
        self.values[op.out] = value
        self.ops.append(op)
        return True

    def child(self, params: dict[str, object], loop_index: str | None = None) -> "Scope":
        """The scope of a body function nested in this one, its parameters bound to sample values."""
        ns = dict(self.ns)
        ns.update(params)
        values = dict(self.values)
        values.update(params)
        indices = self.loop_indices + ((loop_index,) if loop_index else ())
        scope = Scope(self.b, ns, values, self.depth + 1, indices)
        scope.scopes = [scope] + self.scopes
        return scope

    def draw(self, count: int, families=None) -> None:
        """Draw up to `count` statements (a family may give up: a draw can add nothing)."""
        from benchmarks.fuzzing.families import FAMILIES, BODY_FAMILIES

        table = families or (FAMILIES if self.depth == 0 else BODY_FAMILIES)
        weights = np.array([w for w, _ in table], dtype=float)
        for _ in range(count):
            for _attempt in range(4):
                family = table[int(self.rng.choice(len(table), p=weights / weights.sum()))][1]
                op = family(self)
                if op is not None and self.accept(op):
                    break

    def block(self, name: str, params: dict[str, object], want: tuple[tuple[int, ...], np.dtype] | None,
              prelude: tuple[Op, ...] = (), loop_index: str | None = None, result_from: str | None = None):
        """A body function: `prelude`, then up to Config.body_ops drawn statements, returning a value of
        shape and dtype `want` (one of that shape, converted), or any value if `want` is None.

        Returns (Block, the body's Scope), or None if nothing fits.
        """
        inner = self.child(params, loop_index)
        for op in prelude:
            if not inner.accept(op):
                return None
        inner.draw(int(self.rng.integers(0, self.b.config.body_ops + 1)))
        own = list(params) + [op.out for op in inner.ops]
        if want is None:
            candidates = [n for n in own if n in inner.arrays()]
        else:
            candidates = [n for n in own if n in inner.arrays(lambda v: np.shape(v) == want[0])]
        if result_from is not None:
            result = result_from
        elif not candidates:
            return None
        elif self.rng.random() < 0.7:  # the last statement: bodies that ignore their statements test little
            result = candidates[-1]
        else:
            result = candidates[int(self.rng.integers(len(candidates)))]
        ret = "{0}"
        if want is not None and inner.dtype(result) != want[1]:
            ret = "{0}.astype(%s)" % V.dtype_source(want[1])
        return Block(name, tuple(params), tuple(inner.ops), ret, (result,)), inner


def random_shape(rng: np.random.Generator, max_rank: int = 3, max_elements: int = 48) -> tuple[int, ...]:
    """Mostly small dims, some 1s (broadcasting) and a few 0s (empty arrays)."""
    rank = int(rng.choice([0, 1, 1, 2, 2, 2, 3, 3][: 2 + 2 * max_rank]))
    dims = [int(rng.choice([0, 1, 1, 2, 2, 3, 3, 4, 5], p=[.05, .15, .1, .15, .15, .15, .1, .1, .05])) for _ in range(rank)]
    while math.prod(dims) > max_elements:
        dims[int(np.argmax(dims))] //= 2
    return tuple(dims)


def random_dtype(rng: np.random.Generator) -> np.dtype:
    # float32 and int32 most often (what models use); every other dtype regularly.
    weights = {V.BOOL: 1.0, np.dtype(np.int32): 2.0, np.dtype(np.int64): 1.5, np.dtype(np.float32): 3.0,
               np.dtype(np.float64): 1.5, np.dtype(np.float16): 1.0, V.BFLOAT16: 1.0}
    table = [(d, weights.get(d, 0.6)) for d in V.ALL_DTYPES]
    p = np.array([w for _, w in table])
    return table[int(rng.choice(len(table), p=p / p.sum()))][0]


def broadcast_partner(rng: np.random.Generator, shape: tuple[int, ...]) -> tuple[int, ...]:
    """A shape that broadcasts with `shape`: the same, a suffix, some dims as 1, or a leading dim more."""
    out = list(shape)
    roll = rng.random()
    if roll < 0.2 and out:
        out = out[int(rng.integers(1, len(out) + 1)):]
    elif roll < 0.45:
        out = [1 if rng.random() < 0.5 else d for d in out]
    elif roll < 0.55 and len(out) < 4:
        out = [int(rng.choice([1, 2]))] + out
    return tuple(out)


def generate(seed: int, config: Config = Config()) -> Program:
    """The program of `seed`: a few arguments, then up to `config.max_ops` drawn statements."""
    b = Builder(seed, config)
    special = special_program(b)
    if special is not None:
        return special
    for _ in range(int(b.rng.integers(1, 3))):
        b.top.new_arg()
    b.top.draw(int(b.rng.integers(1, config.max_ops + 1)))
    ops = list(b.top.ops)
    if not ops:  # nothing accepted: the identity keeps the program valid
        name = b.top.arrays()[0]
        op = Op(b.fresh("v"), "{out} = np.positive({0})", (name,), "np.positive")
        b.top.accept(op)
        ops = list(b.top.ops)
    outputs = [ops[-1].out] + [op.out for op in ops[:-1] if b.rng.random() < 0.3]
    if b.rejected and b.rng.random() < config.error_rate:
        # An error program: NumPy raises at the last statement, so ours must raise too.
        bad = b.rejected[int(b.rng.integers(len(b.rejected)))]
        defined = {n for n, _ in b.args} | {n for n, _ in b.consts} | {op.out for op in ops}
        if bad.reads() <= defined:
            ops.append(bad)
            outputs = [bad.out]
    return Program(tuple(b.args), tuple(b.consts), tuple(ops), tuple(outputs))


def special_program(b: Builder) -> Program | None:
    """With --known-crashes: now and then one of the programs that crash today (issue 16 #2-#4)."""
    known = b.config.known_crashes
    if not known or b.rng.random() > 0.15:
        return None
    from benchmarks.fuzzing.families import deep_nesting_program, huge_shape_program

    kinds = sorted(known & {"deep-nesting", "oom-read", "overflowing-shape"})
    if not kinds:
        return None
    kind = kinds[int(b.rng.integers(len(kinds)))]
    return deep_nesting_program(b) if kind == "deep-nesting" else huge_shape_program(b, overflow=kind == "overflowing-shape")
