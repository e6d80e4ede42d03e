"""Elementwise statements: ufuncs (as calls and as operators), conversions, where/select/clip.

Operands mix the ways a value reaches a traced program: an earlier value, a new argument (traced),
a NumPy array in the text (a constant), a Python scalar (weak, NEP 50) and a NumPy scalar (strong).
"""

from __future__ import annotations

import numpy as np

import tracer
from benchmarks.fuzzing import values as V
from benchmarks.fuzzing.generate import Call, Scope, broadcast_partner, random_dtype

UFUNCS = tuple(getattr(np, name[len("numpy."):]) for name in tracer.numpy_coverage()
               if isinstance(getattr(np, name[len("numpy."):], None), np.ufunc))
BINARY_OPERATORS = {np.add: "+", np.subtract: "-", np.multiply: "*", np.true_divide: "/", np.floor_divide: "//",
                    np.remainder: "%", np.power: "**", np.bitwise_and: "&", np.bitwise_or: "|", np.bitwise_xor: "^",
                    np.left_shift: "<<", np.right_shift: ">>", np.less: "<", np.less_equal: "<=", np.greater: ">",
                    np.greater_equal: ">=", np.equal: "==", np.not_equal: "!="}
UNARY_OPERATORS = {np.negative: "-", np.invert: "~", np.positive: "+"}
# Integer division and remainder: XLA's constant folder traps on a constant zero divisor (issue 16 #1).
DIVISIONS = {np.floor_divide, np.remainder, np.divmod, np.fmod}


def broadcasts(a: tuple, b: tuple) -> bool:
    try:
        np.broadcast_shapes(a, b)
    except ValueError:
        return False
    return True


def python_scalar(s: Scope, kind: str, nonzero: bool = False):
    """A weak Python operand: bool, int or float, often a limit value."""
    rng = s.rng
    if kind == "b":
        value = bool(rng.random() < 0.5)
    elif kind == "i":
        pool = V.int_limits(np.dtype(np.int64)) if rng.random() < s.b.limit_rate + 0.1 else list(range(-5, 9))
        value = int(pool[int(rng.integers(len(pool)))])
    else:
        pool = V.float_limits(np.dtype(rng.choice([np.float64, np.float32])))
        value = float(pool[int(rng.integers(len(pool)))]) if rng.random() < s.b.limit_rate + 0.1 else \
            float(np.round(rng.standard_normal() * 3, 2))
    if nonzero and not value:
        value = type(value)(1) if kind != "b" else True
    return value


def operand(s: Scope, c: Call, like: tuple[int, ...], like_dtype: np.dtype, *, divisor: bool = False) -> str:
    """Source text of an operand that broadcasts with shape `like`.

    A divisor of `//`, `%`, `divmod`, `fmod` is, unless --known-crashes asks otherwise, a function argument,
    a nonzero literal or a constant without zeros: never an expression XLA can fold to zero (issue 16 #1).
    """
    rng = s.rng
    careful = divisor and "const-zero-divisor" not in s.b.config.known_crashes
    dtype = like_dtype if rng.random() < 0.5 else random_dtype(rng)
    roll = rng.random()
    if s.loop_indices and roll < 0.12 and not careful:
        return c.ref(s.loop_indices[int(rng.integers(len(s.loop_indices)))])  # a Python int eagerly, a weak int traced
    if roll < 0.45:
        # A careful divisor may be an argument only: those are never constants.
        name = s.pick(lambda v: broadcasts(np.shape(v), like), names={n for n, _ in s.b.args} if careful else None)
        if name:
            return c.ref(name)
    if roll < 0.65:
        return c.ref(s.new_arg(broadcast_partner(rng, like), dtype))
    if roll < 0.75:
        value = s.new_array(broadcast_partner(rng, like), dtype)
        if careful:
            value = np.where(value == 0, np.ones_like(value), value)
        return c.ref(s.new_const(value=value))
    kind = like_dtype.kind if rng.random() < 0.6 and like_dtype.kind in "bif" else str(rng.choice(list("bif")))
    kind = "i" if kind == "u" else kind
    if roll < 0.92:
        return V.scalar_source(python_scalar(s, kind, nonzero=careful))
    value = V.random_array(rng, (), dtype, s.b.limit_rate)
    if careful and not value:
        value = np.ones((), dtype)
    return f"{V.dtype_source(dtype)}({V.scalar_source(value.item() if dtype != V.BFLOAT16 else float(value))})"


def ufunc_call(s: Scope) -> object:
    """`np.<ufunc>(a, b)` or `a <op> b`; a two-output ufunc picks one result."""
    rng = s.rng
    ufunc = UFUNCS[int(rng.integers(len(UFUNCS)))]
    c = Call()
    first = s.pick_or_new()
    shape, dtype = s.shape(first), s.dtype(first)
    if ufunc in DIVISIONS and "const-zero-divisor" in s.b.config.known_crashes and rng.random() < 0.4:
        return const_zero_division(s, ufunc, first)
    operands = [c.ref(first)]
    for position in range(1, ufunc.nin):
        operands.append(operand(s, c, shape, dtype, divisor=ufunc in DIVISIONS and position == 1))
    if ufunc in DIVISIONS:
        c.info["divisor"] = operands[1]  # a placeholder ({1}: see uses) or a literal
    if ufunc.nin == 2 and ufunc not in DIVISIONS and rng.random() < 0.3:
        operands.reverse()  # a scalar or constant first: the reflected operators, folding of the other side
    name = f"np.{ufunc.__name__}"
    if ufunc in BINARY_OPERATORS and rng.random() < 0.35:
        expr = f"({operands[0]} {BINARY_OPERATORS[ufunc]} {operands[1]})"
    elif ufunc in UNARY_OPERATORS and rng.random() < 0.35:
        expr = f"({UNARY_OPERATORS[ufunc]}{operands[0]})"
    elif ufunc is np.absolute and rng.random() < 0.3:
        expr = f"abs({operands[0]})"
    else:
        expr = f"{name}({', '.join(operands)})"
    if ufunc.nout == 2:
        expr += f"[{int(rng.integers(2))}]"
    if not any(o.startswith("{") for o in operands):
        return None  # scalars only: plain NumPy, nothing traced
    return c.op(s.b.fresh("v"), expr, name, ufunc=ufunc.__name__)


def const_zero_division(s: Scope, ufunc, first: str):
    """(--known-crashes) `np.floor_divide(np.full_like(x, 7), x - x)`: both sides constant once folded."""
    rng = s.rng
    c = Call()
    x = c.ref(first)
    dividend = [f"np.full_like({x}, {int(rng.integers(-9, 9))})", f"({x} - {x})", f"np.ones_like({x})"][int(rng.integers(3))]
    divisor = [f"np.zeros_like({x})", f"({x} - {x})", f"({x} * 0)"][int(rng.integers(3))]
    expr = f"np.{ufunc.__name__}({dividend}, {divisor})" + ("[0]" if ufunc.nout == 2 else "")
    return c.op(s.b.fresh("v"), expr, f"np.{ufunc.__name__}", ufunc=ufunc.__name__, known_crash="const-zero-divisor")


def convert(s: Scope) -> object:
    """`x.astype(t)`; half the time of the previous statement's result, so that chains of conversions
    (the convert pairs simplify merges) are common. One conversion per statement: the allow-lists judge each."""
    rng = s.rng
    c = Call()
    last = s.ops[-1].out if s.ops and s.ops[-1].out in s.arrays() and rng.random() < 0.5 else None
    first = last or s.pick_or_new()
    target = random_dtype(rng) if rng.random() < 0.5 else V.ALL_DTYPES[int(rng.integers(len(V.ALL_DTYPES)))]
    expr = f"{c.ref(first)}.astype({V.dtype_source(target)})" if rng.random() < 0.7 else \
        f"np.astype({c.ref(first)}, {V.dtype_source(target)})"
    return c.op(s.b.fresh("v"), expr, "astype", src=str(s.dtype(first)), dst=[str(target)])


def condition(s: Scope, c: Call, like: tuple[int, ...]) -> str:
    """A boolean operand that broadcasts with `like`: a bool value or a comparison."""
    name = s.pick(lambda v: v.dtype == V.BOOL and broadcasts(np.shape(v), like))
    if name and s.rng.random() < 0.5:
        return c.ref(name)
    other = s.pick(lambda v: broadcasts(np.shape(v), like)) or s.new_arg(broadcast_partner(s.rng, like))
    op = ["<", ">", "==", "!=", ">="][int(s.rng.integers(5))]
    return f"({c.ref(other)} {op} {operand(s, c, s.shape(other), s.dtype(other))})"


def where(s: Scope) -> object:
    c = Call()
    first = s.pick_or_new()
    shape, dtype = s.shape(first), s.dtype(first)
    cond = condition(s, c, shape)
    a, b = c.ref(first), operand(s, c, shape, dtype)
    if s.rng.random() < 0.5:
        a, b = b, a
    return c.op(s.b.fresh("v"), f"np.where({cond}, {a}, {b})", "np.where")


def select(s: Scope) -> object:
    c = Call()
    first = s.pick_or_new()
    shape, dtype = s.shape(first), s.dtype(first)
    n = int(s.rng.integers(1, 4))
    conds = [condition(s, c, shape) for _ in range(n)]
    choices = [c.ref(first)] + [operand(s, c, shape, dtype) for _ in range(n - 1)]
    default = operand(s, c, shape, dtype)
    expr = f"np.select([{', '.join(conds)}], [{', '.join(choices)}], {default})"
    return c.op(s.b.fresh("v"), expr, "np.select")


def clip(s: Scope) -> object:
    c = Call()
    first = s.pick_or_new()
    shape, dtype = s.shape(first), s.dtype(first)
    low = operand(s, c, shape, dtype) if s.rng.random() < 0.85 else "None"
    high = operand(s, c, shape, dtype) if s.rng.random() < 0.85 or low == "None" else "None"
    form = f"np.clip({c.ref(first)}, {low}, {high})"
    return c.op(s.b.fresh("v"), form, "np.clip")


def like(s: Scope) -> object:
    """zeros_like / ones_like / full_like (fill values at the limits), sometimes with another dtype."""
    rng = s.rng
    c = Call()
    first = s.pick_or_new()
    func = ["zeros_like", "ones_like", "full_like", "full_like"][int(rng.integers(4))]
    args = [c.ref(first)]
    if func == "full_like":
        kind = str(rng.choice(list("bif")))
        args.append(V.scalar_source(python_scalar(s, kind)) if rng.random() < 0.8 else operand(s, c, s.shape(first), s.dtype(first)))
    if rng.random() < 0.3:
        args.append(f"dtype={V.dtype_source(random_dtype(rng))}")
    return c.op(s.b.fresh("v"), f"np.{func}({', '.join(args)})", f"np.{func}")


def nan_to_num(s: Scope) -> object:
    c = Call()
    first = s.pick_or_new(lambda v: v.dtype in V.FLOATS)
    kwargs = [f"{k}={V.scalar_source(python_scalar(s, 'f'))}" for k in ("nan", "posinf", "neginf") if s.rng.random() < 0.4]
    return c.op(s.b.fresh("v"), f"np.nan_to_num({', '.join([c.ref(first)] + kwargs)})", "np.nan_to_num")


def closeness(s: Scope) -> object:
    c = Call()
    first = s.pick_or_new()
    shape, dtype = s.shape(first), s.dtype(first)
    func = ["isclose", "allclose", "array_equal"][int(s.rng.integers(3))]
    extra = ", equal_nan=True" if s.rng.random() < 0.4 else ""
    return c.op(s.b.fresh("v"), f"np.{func}({c.ref(first)}, {operand(s, c, shape, dtype)}{extra})", f"np.{func}")
