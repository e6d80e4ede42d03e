"""`fold`: evaluate ops whose operands are all constants, at compile time, with NumPy.

Only ops whose NumPy evaluation is bit-identical to StableHLO's are folded: exact IEEE
arithmetic (+ - * /), integer division and remainder (by zero too, as XLA defines them: XLA's
own folder would trap), negate/abs, max/min (IEEE: NaN-propagating, +0.0 above -0.0),
comparisons, select, bitwise and logical ops on integers and i1, conversions that stay in
range, and pure data movement (reshape, transpose, broadcast, slice, concatenate, pad,
reverse). Reductions with a one-op body fold too; a float sum or product is computed in
one fixed order (see `_reduce`). Transcendentals (exp, tanh ...) are left to XLA, whose
rounding may differ in the last place, and so are float ops on subnormal numbers (XLA's CPU
backend flushes them to zero). bfloat16 constants, which NumPy cannot read back from MLIR
attributes, are not folded. Results above `max-elements` stay unfolded unless they are splats
(stored as one element however large).

An iota is never folded on its own: it is one op holding no data, and its constant is a
table of every element, so the module only grows. It is read as a value by an op that also
reads a constant, or whose result is a splat (`iota + c`, `compare(iota, c)`, a concatenate
of an iota and constant indices): that op then folds and the iota goes dead, so a chain that
computes a constant (gather indices, a mask, a sum) collapses to it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
from jaxlib.mlir import ir

from ir import dtypes, ops, query
from ir.dtypes import is_floating
from ir.query import constant_value, i64s
from passes.registry import register_pass
from passes.rewrite import Pattern, Rewriter, apply_patterns, defining_op

__all__ = ["EVALUATORS", "Fold", "patterns"]


def _integer_division(x, y, remainder: bool) -> np.ndarray:
    """stablehlo.divide (truncating toward zero) or remainder (the dividend's sign) of integers, as XLA
    computes them where the spec leaves them to the implementation: x / 0 is -1 (every bit set), x % 0
    is x, INT_MIN / -1 is INT_MIN and INT_MIN % -1 is 0. Folded here, so that no constant division by
    zero reaches XLA, whose own constant folder divides on the host and dies of SIGFPE."""
    wide = object if x.dtype.itemsize == 8 else np.int64  # wide enough that |INT_MIN| and INT_MIN / -1 exist
    xw, yw = x.astype(wide), y.astype(wide)
    by_zero = y == 0
    divisor = np.where(by_zero, 1, yw).astype(wide)
    # (np.asarray: arithmetic on 0-d object arrays gives a Python int)
    quotient = np.asarray(np.sign(xw) * np.sign(divisor) * (np.abs(xw) // np.abs(divisor)))
    if remainder:
        return np.where(by_zero, x, np.asarray(xw - quotient * divisor).astype(x.dtype))
    # -1 wraps to every bit set in an unsigned type; INT_MIN / -1 = 2**(n-1) wraps to INT_MIN.
    bits = np.where(by_zero, -1, quotient).astype(wide) % (1 << (8 * x.dtype.itemsize))
    return np.asarray(bits).astype(f"u{x.dtype.itemsize}").view(x.dtype)


def _divide(op, x, y):
    if np.issubdtype(x.dtype, np.integer):
        return _integer_division(x, y, remainder=False)
    return np.divide(x, y)


def _remainder(op, x, y):
    if np.issubdtype(x.dtype, np.integer):
        return _integer_division(x, y, remainder=True)
    return None  # float remainders are left to XLA


def _extremum(largest: bool) -> Callable:
    """IEEE-754 maximum (minimum): NaN wins, and +0.0 is above -0.0 (NumPy returns either zero)."""
    pick = np.maximum if largest else np.minimum

    def extremum(x, y):
        result = pick(x, y)
        if not is_floating(result.dtype):
            return result
        both_zero = (x == 0) & (y == 0)
        negative = np.signbit(x) & np.signbit(y) if largest else np.signbit(x) | np.signbit(y)
        return np.where(both_zero, np.where(negative, -0.0, 0.0).astype(result.dtype), result)

    return extremum


_maximum, _minimum = _extremum(True), _extremum(False)

_DIRECTIONS = {"EQ": np.equal, "NE": np.not_equal, "LT": np.less, "LE": np.less_equal,
               "GT": np.greater, "GE": np.greater_equal}


def _compare(op, x, y):
    kind = query.enum_attr(op, "compare_type", None)
    if kind == "TOTALORDER":
        return None  # orders -0.0 below +0.0 and NaNs by sign: not NumPy's comparisons
    if kind in ("SIGNED", "UNSIGNED") and x.dtype.kind in "iu":
        # The attribute, not the element type, says how signless bits compare.
        as_type = np.dtype(f"{'i' if kind == 'SIGNED' else 'u'}{x.dtype.itemsize}")
        x, y = x.view(as_type), y.view(as_type)
    return _DIRECTIONS[query.enum_attr(op, "comparison_direction")](x, y)


def _convert(op, x):
    dtype = query.dtype(op.results[0])
    if dtype == np.bool_:
        return None
    if np.issubdtype(dtype, np.integer) and is_floating(x.dtype) and not _fits(x, dtype):
        return None  # out-of-range float -> int is implementation-defined (XLA saturates, NumPy wraps)
    # (f64 -> f16 rounds once, as NumPy does: XLA would round twice, through f32, but the runtime hands it
    # those conversions rounding to f32 by round-to-odd first: `runtime.float_conversion`)
    return x.astype(dtype)


def _fits(x: np.ndarray, dtype: np.dtype) -> bool:
    """Whether every element of float x truncates to a value of integer `dtype`.

    Compared in float64 against bounds that are powers of two, so exactly: `iinfo(uint32).max` as a
    float32 rounds up to 2**32, and `x <= max` would let 2**32 through (to wrap to 0)."""
    info = np.iinfo(dtype)
    truncated = np.trunc(x.astype(np.float64))  # (exact: every float16/32/64 is a float64)
    return bool(np.all((truncated >= float(info.min)) & (truncated < float(info.max) + 1.0)))


def _broadcast(op, x):
    shape = query.shape(op.results[0])
    dims = i64s(op, "broadcast_dimensions")
    expanded = x.reshape([x.shape[dims.index(d)] if d in dims else 1 for d in range(len(shape))])
    return np.broadcast_to(expanded, shape)


def _slice(op, x):
    bounds = zip(i64s(op, "start_indices"), i64s(op, "limit_indices"), i64s(op, "strides"))
    return x[tuple(slice(start, limit, stride) for start, limit, stride in bounds)]


def _concatenate(op, *xs):
    return np.concatenate(xs, axis=query.int_attr(op, "dimension"))


def _pad(op, x, padding_value):
    low, high, interior = (i64s(op, name) for name in ("edge_padding_low", "edge_padding_high", "interior_padding"))
    # Interior and positive edge padding first; negative edges then cut from the padded array.
    spread = [n + max(n - 1, 0) * gap for n, gap in zip(x.shape, interior)]
    padded = np.full([max(lo, 0) + n + max(hi, 0) for lo, n, hi in zip(low, spread, high)], padding_value, x.dtype)
    padded[tuple(slice(max(lo, 0), max(lo, 0) + n, gap + 1) for lo, n, gap in zip(low, spread, interior))] = x
    return padded[tuple(slice(max(-lo, 0), size - max(-hi, 0)) for lo, hi, size in zip(low, high, padded.shape))]


def _reverse(op, x):
    dims = i64s(op, "dimensions")
    return np.flip(x, axis=tuple(dims)) if dims else x


def _select(op, predicate, on_true, on_false):
    return np.where(predicate, on_true, on_false)  # (a 0-d predicate picks a whole operand, as in the spec)


# The combining ops a reduce body may hold, as NumPy ufuncs over the element type. For i1,
# add is `or` and multiply is `and`, as in NumPy's bool arithmetic.
_REDUCERS: dict[str, np.ufunc] = {
    "stablehlo.add": np.add, "stablehlo.multiply": np.multiply, "stablehlo.maximum": np.maximum,
    "stablehlo.minimum": np.minimum, "stablehlo.and": np.bitwise_and, "stablehlo.or": np.bitwise_or,
}


def _reducer(op) -> str | None:
    """The op name of a reduce body that only combines its two arguments with one op, else None."""
    block = op.regions[0].blocks[0]
    body = [nested.operation for nested in block.operations]
    if len(body) != 2 or body[0].name not in _REDUCERS or body[1].name != "stablehlo.return":
        return None
    combine, returned = body
    a, b = block.arguments
    if list(combine.operands) not in ([a, b], [b, a]):
        return None
    if len(returned.operands) != 1 or returned.operands[0] != combine.results[0]:
        return None
    return body[0].name


def _is_identity(name: str, init: np.ndarray) -> bool:
    if name == "stablehlo.add":
        return bool(init == 0)  # (-0.0 or +0.0: adding either once or many times gives the same sum)
    if name == "stablehlo.multiply":
        return bool(init == 1)
    return True  # max, min, and, or are idempotent: how often the init enters cannot matter


# A reduce folds by laying its input out in the reduction's order, a copy as large as the input:
# bounded, since a splat input (stored as one element) can stand for any size.
_MAX_REDUCED_ELEMENTS = 1 << 20


def _reduce(op, *operands):
    """A reduce whose body is one of `_REDUCERS` on its two arguments, of one input.

    Integer and i1 results are exact whatever the order. For float add and multiply the spec
    leaves the order to the implementation; we fold in one fixed order, the reference
    interpreter's: the init value first, then the elements in row-major order of the reduced
    dims, one at a time (XLA may sum in another order, and so differ in the last bits). An
    add or multiply whose init is not its identity is left alone: XLA may apply the init more
    than once.
    """
    if len(operands) != 2:
        return None  # variadic reduces (argmax ...) stay
    name = _reducer(op)
    if name is None:
        return None
    x, init = operands
    if not _is_identity(name, init) or x.size > _MAX_REDUCED_ELEMENTS:
        return None
    dims = sorted(i64s(op, "dimensions"))
    kept = [d for d in range(x.ndim) if d not in dims]
    kept_shape = [x.shape[d] for d in kept]
    rows = np.transpose(x, kept + dims).reshape(kept_shape + [math.prod(x.shape[d] for d in dims)])
    rows = np.concatenate([np.broadcast_to(init, kept_shape + [1]).astype(x.dtype), rows], axis=-1)
    ufunc = _REDUCERS[name]
    if name in ("stablehlo.add", "stablehlo.multiply"):
        return ufunc.accumulate(rows, axis=-1, dtype=x.dtype)[..., -1]  # accumulate: strictly left to right
    result = ufunc.reduce(rows, axis=-1)
    if is_floating(x.dtype) and name in ("stablehlo.maximum", "stablehlo.minimum"):
        # A zero result is +0.0 for max when any +0.0 took part, -0.0 for min when any -0.0 did.
        zero_sign = np.signbit(rows) if name == "stablehlo.minimum" else ~np.signbit(rows)
        present = ((rows == 0) & zero_sign).any(axis=-1)
        signed = np.where(present == (name == "stablehlo.minimum"), -0.0, 0.0).astype(x.dtype)
        result = np.where(result == 0, signed, result)
    return result


def _elementwise(fn: Callable) -> Callable:
    return lambda op, *xs: fn(*xs)


def _bitwise(fn: Callable) -> Callable:
    """Bitwise on integers, logical on i1 (NumPy's bool `&`, `|`, `^`, `~` are the logical ops)."""
    return lambda op, *xs: fn(*xs) if np.issubdtype(xs[0].dtype, np.integer) or xs[0].dtype == np.bool_ else None


# op name -> evaluate(op, *operand arrays) -> result array (None: do not fold this instance)
EVALUATORS: dict[str, Callable] = {
    "stablehlo.add": _elementwise(np.add),
    "stablehlo.subtract": _elementwise(np.subtract),
    "stablehlo.multiply": _elementwise(np.multiply),
    "stablehlo.divide": _divide,
    "stablehlo.remainder": _remainder,
    "stablehlo.negate": _elementwise(np.negative),
    "stablehlo.abs": _elementwise(np.abs),
    "stablehlo.maximum": _elementwise(_maximum),
    "stablehlo.minimum": _elementwise(_minimum),
    "stablehlo.and": _bitwise(np.bitwise_and),
    "stablehlo.or": _bitwise(np.bitwise_or),
    "stablehlo.xor": _bitwise(np.bitwise_xor),
    "stablehlo.not": _bitwise(np.invert),
    "stablehlo.compare": _compare,
    "stablehlo.select": _select,
    "stablehlo.convert": _convert,
    "stablehlo.broadcast_in_dim": _broadcast,
    "stablehlo.reshape": lambda op, x: x.reshape(query.shape(op.results[0])),
    "stablehlo.transpose": lambda op, x: np.transpose(x, i64s(op, "permutation")),
    "stablehlo.slice": _slice,
    "stablehlo.concatenate": _concatenate,
    "stablehlo.pad": _pad,
    "stablehlo.reverse": _reverse,
    "stablehlo.reduce": _reduce,
}


def iota_value(value: ir.Value, max_elements: int) -> np.ndarray | None:
    """The elements of a `stablehlo.iota` result, when it has at most max_elements and NumPy counts exactly."""
    owner = defining_op(value)
    if owner is None or owner.name != "stablehlo.iota":
        return None
    shape = query.shape(value)
    if math.prod(shape) > max_elements:
        return None
    try:
        dtype = query.dtype(value)
    except TypeError:
        return None
    dim = query.int_attr(owner, "iota_dimension")
    if dtype == np.bool_ or dtype.kind == "V":
        return None  # (an i1 or bfloat16 iota: not worth its own rules)
    if dtype.kind == "f" and shape[dim] > 2 ** (np.finfo(dtype).nmant + 1):
        return None  # counts past the float's exact integers round
    counts = np.arange(shape[dim], dtype=dtype).reshape([-1 if d == dim else 1 for d in range(len(shape))])
    return np.broadcast_to(counts, shape)


_FOLDABLE_PRODUCERS = frozenset({"stablehlo.constant", "stablehlo.iota"})
# Evaluators that compute each element from the same-position elements alone.
ELEMENTWISE = frozenset({
    "stablehlo.add", "stablehlo.subtract", "stablehlo.multiply", "stablehlo.divide", "stablehlo.remainder",
    "stablehlo.negate", "stablehlo.abs",
    "stablehlo.maximum", "stablehlo.minimum", "stablehlo.and", "stablehlo.or", "stablehlo.xor", "stablehlo.not",
    "stablehlo.compare", "stablehlo.select", "stablehlo.convert",
})


# Evaluators that only move elements (a splat in, the same splat out when every operand agrees).
_MOVES_ELEMENTS = frozenset({"stablehlo.broadcast_in_dim", "stablehlo.reshape", "stablehlo.transpose", "stablehlo.slice",
                             "stablehlo.concatenate", "stablehlo.pad", "stablehlo.reverse"})


def _spread(element, shape) -> np.ndarray | None:
    """`element` as a splat of `shape` (a broadcast view, no copy), or None where NumPy can hold no array of
    that shape, not even a view (over 2**63 - 1 bytes: "iterator is too large" failed the pass)."""
    element = np.asarray(element)
    if dtypes.describe_bytes(shape, element.dtype) is not None:
        return None
    return np.broadcast_to(element, shape)


class FoldConstants(Pattern):
    """One op of `EVALUATORS` whose operands are all constants (or small iotas) becomes a constant."""

    operand_from = (0, _FOLDABLE_PRODUCERS)

    def __init__(self, op_name: str, evaluate: Callable, max_elements: int):
        self.op_name = op_name
        self.evaluate = evaluate
        self.max_elements = max_elements

    def match_and_rewrite(self, op, rewriter: Rewriter) -> bool:
        producers = []
        for value in op.operands:  # (a loop that stops at the first operand that is not a constant)
            producer = defining_op(value)
            if producer is None or producer.name not in _FOLDABLE_PRODUCERS:
                return False
            producers.append(producer)
        operands = [constant_value(v) if p.name == "stablehlo.constant" else iota_value(v, self.max_elements)
                    for v, p in zip(op.operands, producers)]
        if any(x is None for x in operands):
            return False
        result_shape = query.shape(op.results[0])
        large = math.prod(result_shape) > self.max_elements
        if large and not all(_is_splat(x) for x in operands):
            return False
        with np.errstate(all="ignore"):
            if large and op.name in ELEMENTWISE:
                # Every element is the same: compute one, and spread it without a copy (evaluated whole,
                # two splats of 10^9 elements would take gigabytes for one number).
                one = self.evaluate(op, *(x[(0,) * x.ndim] for x in operands))
                result = None if one is None else _spread(one, result_shape)
            elif large and op.name in _MOVES_ELEMENTS:
                # Data movement of splats is a splat again when every operand holds the same element, and
                # else a table too large to fold: known without building it (a pad of 10^9 elements took
                # 5 GB and 17 s to fold, or failed the pass: "Unable to allocate 7.45 GiB").
                elements = [np.asarray(x[(0,) * x.ndim]) for x in operands if x.size]
                bits = {e.tobytes() for e in elements}
                result = _spread(elements[0], result_shape) if len(bits) == 1 else None
            else:
                result = self.evaluate(op, *operands)
        if result is None:
            return False
        result = np.asarray(result)
        if op.name in _ARITHMETIC and (any(_has_subnormals(x) for x in operands) or _has_subnormals(result)):
            return False  # XLA's CPU backend flushes subnormals to zero: which ops do is its business
        if (large or all(p.name == "stablehlo.iota" for p in producers)) and not _is_splat(result):
            return False  # splat operands can still give a large table (pad, concatenate); iotas alone stay iotas
        with rewriter.before(op):
            value = ops.constant(result)  # (a splat, even a broadcast view, is stored as one element)
        if value.type != op.results[0].type:
            rewriter.erase(defining_op(value))
            return False
        rewriter.replace(op, [value])
        return True


# Ops that compute with their float elements, rather than move them: on CPU, XLA runs them with
# subnormal inputs and results flushed to zero (f32 1e-45 + 0 is 0.0; NumPy keeps 1e-45), so folding
# them with NumPy would make an optimised module disagree with the unoptimised one.
_ARITHMETIC = (ELEMENTWISE - {"stablehlo.select"}) | {"stablehlo.reduce"}


def _has_subnormals(array: np.ndarray) -> bool:
    if array.dtype.kind != "f":
        return False  # (integers, i1; bfloat16 is never folded)
    if array.size > 1 and not any(array.strides):
        array = array.reshape(-1)[:1]  # a splat: one element to look at
    magnitude = np.abs(array)
    return bool(np.any((magnitude < np.finfo(array.dtype).tiny) & (magnitude != 0)))


def _is_splat(array: np.ndarray) -> bool:
    if array.size > 1 and not any(array.strides):  # a broadcast view of one element: no need to look
        return True
    flat = array.reshape(-1)
    return flat.size <= 1 or bool((flat.view(f"u{flat.dtype.itemsize}") == flat[:1].view(f"u{flat.dtype.itemsize}")).all())


@register_pass
@dataclass(frozen=True)
class Fold:
    name: ClassVar[str] = "fold"
    max_elements: int = 1 << 16
    max_iterations: int = 10

    def apply(self, module: ir.Module) -> bool:
        return apply_patterns(module, patterns(self.max_elements), self.max_iterations)


def patterns(max_elements: int = Fold.max_elements) -> list[Pattern]:
    """One folding pattern per op NumPy evaluates exactly (`simplify` runs them too)."""
    return [FoldConstants(name, evaluate, max_elements) for name, evaluate in EVALUATORS.items()]
