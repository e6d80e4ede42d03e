"""Elementwise ufunc rules. Operands arrive in NumPy's loop dtype, broadcast to one shape.

Most ufuncs are one StableHLO op (`direct`); the rest spell NumPy's exact
semantics where StableHLO differs: floor division and modulo take the sign of
the divisor, logical ops see any nonzero as true, integer abs/sign of bools.
"""

from __future__ import annotations

import numpy as np

from ir.dtypes import is_floating
from ir import ops
from tracer import primitives as P
from tracer.numpy_api.integer_bits import integer_power
from tracer.numpy_api.registry import UFUNC_RULES, ufunc_rule

__all__ = ["direct", "floor_divide", "in_float32_if_narrow", "isinf", "remainder", "trunc"]


def direct(builder):
    return lambda *xs: P.elementwise(builder, *xs)


# NumPy's float16 loops (and ml_dtypes' bfloat16 ones) convert to float32, call the float32 libm
# function and round once; XLA's own f16 expansions work in f16 and lose bits. So narrow floats
# are computed in float32 for every transcendental function here too.

def _narrow_float(x) -> bool:
    return is_floating(x.dtype) and x.dtype.itemsize < 4


def in_float32_if_narrow(rule):
    """Run a float rule in float32 for float16/bfloat16 floating operands, rounding the result back once."""

    def wrapped(*xs):
        narrow = [x.dtype for x in xs if _narrow_float(x)]
        if not narrow:
            return rule(*xs)
        widened = [P.convert(x, np.float32) if _narrow_float(x) else x for x in xs]
        return P.convert(rule(*widened), narrow[0])

    wrapped.__name__ = getattr(rule, "__name__", "rule")
    return wrapped



for _ufunc, _builder in {
    np.add: ops.add, np.subtract: ops.subtract, np.multiply: ops.multiply, np.true_divide: ops.divide,
    np.negative: ops.negate, np.sqrt: ops.sqrt,
}.items():
    ufunc_rule(_ufunc)(direct(_builder))  # correctly rounded in any width: no widening needed

for _ufunc, _builder in {
    np.arctan2: ops.atan2, np.exp: ops.exponential, np.expm1: ops.exponential_minus_one,
    np.log: ops.log, np.log1p: ops.log_plus_one, np.tanh: ops.tanh, np.sin: ops.sine, np.cos: ops.cosine,
    np.tan: ops.tan,
}.items():
    ufunc_rule(_ufunc)(in_float32_if_narrow(direct(_builder)))

_float_power = in_float32_if_narrow(direct(ops.power))


@ufunc_rule(np.power)
def _power(x, y):
    # (integers by squaring in a loop: XLA's integer power gives up on exponents above 64, see integer_power)
    return integer_power(x, y) if x.dtype.kind in "iu" else _float_power(x, y)


for _ufunc, _builder in {np.floor: ops.floor, np.ceil: ops.ceil, np.rint: ops.round_nearest_even}.items():
    # NumPy 2 rounds integers and bools to themselves.
    ufunc_rule(_ufunc)(lambda x, _b=_builder: P.elementwise(_b, x) if is_floating(x.dtype) else x)

for _ufunc, (_bool_builder, _builder) in {
    np.maximum: (ops.or_, ops.maximum), np.minimum: (ops.and_, ops.minimum),
    np.bitwise_and: (ops.and_, ops.and_), np.bitwise_or: (ops.or_, ops.or_), np.bitwise_xor: (ops.xor, ops.xor),
}.items():
    # On bools max/min are or/and: stablehlo.maximum is not defined for i1.
    ufunc_rule(_ufunc)(lambda x, y, _b=_bool_builder, _o=_builder: P.elementwise(_b if x.dtype == np.bool_ else _o, x, y))

def _compare(x, y, direction: str):
    if x.dtype == y.dtype:
        return P.compare(x, y, direction)
    # NumPy 2 compares int64 with uint64 exactly (its loop takes the two types as they are): a negative
    # int64 is below every uint64, and otherwise both compare as uint64.
    signed_is_x = x.dtype.kind == "i"
    signed = x if signed_is_x else y
    negative = P.compare(signed, P.scalar_like(signed, 0), "LT")
    as_unsigned = [P.bitcast(v, np.uint64) if v.dtype.kind == "i" else v for v in (x, y)]
    below = direction in ("LT", "LE", "NE") if signed_is_x else direction in ("GT", "GE", "NE")
    return P.select(negative, P.full(x.shape, below, np.bool_), P.compare(*as_unsigned, direction))


for _ufunc, _direction in {np.equal: "EQ", np.not_equal: "NE", np.less: "LT", np.less_equal: "LE",
                           np.greater: "GT", np.greater_equal: "GE"}.items():
    ufunc_rule(_ufunc)(lambda x, y, _d=_direction: _compare(x, y, _d))

for _ufunc, _builder in {np.logical_and: ops.and_, np.logical_or: ops.or_, np.logical_xor: ops.xor}.items():
    ufunc_rule(_ufunc)(lambda x, y, _b=_builder: P.elementwise(_b, P.convert(x, np.bool_), P.convert(y, np.bool_)))


@ufunc_rule(np.logical_not)
def _logical_not(x):
    return P.elementwise(ops.not_, P.convert(x, np.bool_))


@ufunc_rule(np.invert)
def _invert(x):
    return P.elementwise(ops.not_, x)


@ufunc_rule(np.positive)
def _positive(x):
    return x


@ufunc_rule(np.absolute)
def _absolute(x):
    if x.dtype == np.bool_ or np.issubdtype(x.dtype, np.unsignedinteger):
        return x
    return P.elementwise(ops.abs, x)


@ufunc_rule(np.sign)
def _sign(x):
    if np.issubdtype(x.dtype, np.unsignedinteger):  # stablehlo.sign needs a signed operand
        return P.convert(P.compare(x, P.scalar_like(x, 0), "NE"), x.dtype)
    sign = P.elementwise(ops.sign, x)
    if is_floating(x.dtype):  # NumPy gives +0.0 for -0.0; stablehlo.sign keeps the sign
        zero = P.scalar_like(x, 0.0)
        sign = P.select(P.compare(x, zero, "EQ"), zero, sign)
    return sign


@ufunc_rule(np.square)
def _square(x):
    return P.elementwise(ops.multiply, x, x)


@ufunc_rule(np.reciprocal)
def _reciprocal(x):
    if is_floating(x.dtype):
        return P.elementwise(ops.divide, P.scalar_like(x, 1), x)
    # NumPy's integer loop is `(int)(1.0 / x)`: truncation, and for 0 the conversion of inf, which
    # on x86-64 is INT_MIN for 32- and 64-bit signed integers and 0 (its low bits) for the others.
    is_zero, divisor = _nonzero_divisor(x)
    quotient = P.elementwise(ops.divide, P.scalar_like(x, 1), divisor)
    wide_signed = x.dtype.kind == "i" and x.dtype.itemsize >= 4
    return P.select(is_zero, P.scalar_like(x, np.iinfo(x.dtype).min if wide_signed else 0), quotient)


@ufunc_rule(np.isfinite)
def _isfinite(x):
    if not is_floating(x.dtype):
        return P.full(x.shape, True, np.bool_)
    return P.elementwise(ops.is_finite, x, dtype=np.bool_)


@ufunc_rule(np.isnan)
def _isnan(x):
    return P.compare(x, x, "NE")


@ufunc_rule(np.isinf)
def isinf(x):
    if not is_floating(x.dtype):
        return P.full(x.shape, False, np.bool_)
    return P.compare(P.elementwise(ops.abs, x), P.scalar_like(x, np.inf), "EQ")


def _signs_differ(a, b):
    """a and b nonzero-ness aside, true where exactly one of them is negative."""
    zero = P.scalar_like(a, 0)
    return P.elementwise(ops.xor, P.compare(a, zero, "LT"), P.compare(b, zero, "LT"))


def _nonzero_divisor(y):
    """(where y is zero, y with 1 in place of each zero): the divisor of an integer divide or remainder.

    A divisor must never reach XLA as a zero it can see while compiling: its constant folder divides
    on the host and the process dies of SIGFPE (`ones // zeros`, or `(x - x) % (x - x)`, which XLA
    simplifies to constants). The select makes every divisor it could fold a nonzero one; the caller
    puts NumPy's answer for division by zero (0) in the positions `is_zero` marks.
    """
    is_zero = P.compare(y, P.scalar_like(y, 0), "EQ")
    return is_zero, P.select(is_zero, P.scalar_like(y, 1), y)


@ufunc_rule(np.fmod)
def _fmod(x, y):
    """C's fmod: the dividend's sign, as stablehlo.remainder; integer x % 0 is 0, as in NumPy."""
    if is_floating(x.dtype):
        return P.elementwise(ops.remainder, x, y)
    is_zero, divisor = _nonzero_divisor(y)
    rem = P.elementwise(ops.remainder, x, divisor)
    return P.select(is_zero, P.scalar_like(rem, 0), rem)


@ufunc_rule(np.remainder)
def remainder(x, y):
    """NumPy's modulo has the divisor's sign; stablehlo.remainder (C fmod) the dividend's. Integer x % 0 is 0."""
    if is_floating(x.dtype):
        return _float_remainder(x, y)
    is_zero, divisor = _nonzero_divisor(y)
    rem = P.elementwise(ops.remainder, x, divisor)
    zero = P.scalar_like(rem, 0)
    if x.dtype.kind == "i":
        fix = P.elementwise(ops.and_, P.compare(rem, zero, "NE"), _signs_differ(rem, y))
        rem = P.select(fix, P.elementwise(ops.add, rem, y), rem)
    return P.select(is_zero, zero, rem)


def _float_remainder(x, y):
    rem = P.elementwise(ops.remainder, x, y)
    nonzero = P.compare(rem, P.scalar_like(rem, 0), "NE")
    fix = P.elementwise(ops.and_, nonzero, _signs_differ(rem, y))
    result = P.select(fix, P.elementwise(ops.add, rem, y), rem)
    # An exact zero takes the divisor's sign too.
    signed_zero = P.select(P.compare(y, P.scalar_like(y, 0), "LT"), P.scalar_like(y, -0.0), P.scalar_like(y, 0.0))
    return P.select(nonzero, result, signed_zero)


@ufunc_rule(np.floor_divide)
def floor_divide(x, y):
    """Rounds toward minus infinity (stablehlo.divide truncates toward zero). Integer x // 0 is 0, as in
    NumPy; INT_MIN // -1 wraps to INT_MIN, as in NumPy and XLA."""
    if is_floating(x.dtype):
        return _float_floor_divide(x, y)
    is_zero, divisor = _nonzero_divisor(y)
    quotient = P.elementwise(ops.divide, x, divisor)  # truncates toward zero
    zero = P.scalar_like(quotient, 0)
    if x.dtype.kind == "u":
        return P.select(is_zero, zero, quotient)
    rem = P.elementwise(ops.remainder, x, divisor)
    adjust = P.elementwise(ops.and_, P.compare(rem, zero, "NE"), _signs_differ(rem, y))
    floored = P.select(adjust, P.elementwise(ops.subtract, quotient, P.scalar_like(quotient, 1)), quotient)
    return P.select(is_zero, zero, floored)


def _float_floor_divide(x, y):
    """NumPy's npy_floor_divide: divide (x - fmod(x, y)) exactly, then round to the nearest integer."""
    mod = P.elementwise(ops.remainder, x, y)
    div = P.elementwise(ops.divide, P.elementwise(ops.subtract, x, mod), y)
    zero, one = P.scalar_like(x, 0), P.scalar_like(x, 1)
    fix = P.elementwise(ops.and_, P.compare(mod, zero, "NE"), _signs_differ(mod, y))
    div = P.select(fix, P.elementwise(ops.subtract, div, one), div)
    floordiv = P.elementwise(ops.floor, div)
    round_up = P.compare(P.elementwise(ops.subtract, div, floordiv), P.scalar_like(x, 0.5), "GT")
    floordiv = P.select(round_up, P.elementwise(ops.add, floordiv, one), floordiv)
    # div == 0 keeps the sign of x / y; division by zero gives x / y (inf or nan) like NumPy.
    quotient = P.elementwise(ops.divide, x, y)
    signed_zero = P.elementwise(ops.multiply, zero, quotient)
    floordiv = P.select(P.compare(div, zero, "EQ"), signed_zero, floordiv)
    return P.select(P.compare(y, zero, "EQ"), quotient, floordiv)


# == the rest of NumPy's elementwise math ========================================================

for _ufunc, _builder in {
    np.arcsin: ops.asin, np.arccos: ops.acos, np.arctan: ops.atan,
    np.arcsinh: ops.asinh, np.arccosh: ops.acosh, np.arctanh: ops.atanh, np.cbrt: ops.cbrt,
}.items():
    ufunc_rule(_ufunc)(in_float32_if_narrow(direct(_builder)))


def _hyperbolic(builder, odd: bool):
    """sinh or cosh: CHLO's expansion, but near the top of the range (1 below log(max)) (0.5 * E) * E with
    E = exp(|x| / 2), signed for sinh. CHLO takes exp(|x| - ln 2), whose rounded argument overflowed about an ulp
    of |x| before the result does (float32 sinh(89.415985) is 3.4028196e38 in NumPy, was inf); up there e^-|x| is
    far below the result's ulp, and this product overflows only with the result."""
    def rule(x):
        a = P.elementwise(ops.abs, x)
        half = P.elementwise(ops.exponential, _times(a, 0.5))
        top = P.elementwise(ops.multiply, _times(half, 0.5), half)
        if odd:
            top = P.select(P.compare(x, P.scalar_like(x, 0), "LT"), P.elementwise(ops.negate, top), top)
        near_top = P.compare(a, P.scalar_like(x, np.log(np.finfo(x.dtype).max) - 1), "GE")
        return P.select(near_top, top, P.elementwise(builder, x))

    return in_float32_if_narrow(rule)


ufunc_rule(np.sinh)(_hyperbolic(ops.sinh, odd=True))
ufunc_rule(np.cosh)(_hyperbolic(ops.cosh, odd=False))

ufunc_rule(np.float_power)(direct(ops.power))  # NumPy's only real loop is float64 ('dd->d')


def _times(x, constant):
    return P.elementwise(ops.multiply, x, P.scalar_like(x, constant))


@ufunc_rule(np.exp2)
@in_float32_if_narrow
def _exp2(x):
    # pow(2, x), not exp(x * ln 2): the rounding of x * ln 2 costs up to |x| ulps for large x.
    return P.elementwise(ops.power, P.scalar_like(x, 2.0), x)


@ufunc_rule(np.log2)
@in_float32_if_narrow
def _log2(x):
    return _times(P.elementwise(ops.log, x), 1 / np.log(2))


@ufunc_rule(np.log10)
@in_float32_if_narrow
def _log10(x):
    return _times(P.elementwise(ops.log, x), 1 / np.log(10))


@ufunc_rule(np.deg2rad, np.radians)
@in_float32_if_narrow
def _deg2rad(x):
    return _times(x, np.pi / 180)


@ufunc_rule(np.rad2deg, np.degrees)
@in_float32_if_narrow
def _rad2deg(x):
    return _times(x, 180 / np.pi)


@ufunc_rule(np.hypot)
@in_float32_if_narrow
def _hypot(x, y):
    """max * sqrt(1 + (min/max)**2): squaring x and y directly would overflow long before the result does."""
    a, b = P.elementwise(ops.abs, x), P.elementwise(ops.abs, y)
    big, small = P.elementwise(ops.maximum, a, b), P.elementwise(ops.minimum, a, b)  # nan in either: nan
    zero, inf = P.scalar_like(x, 0.0), P.scalar_like(x, np.inf)
    ratio = P.elementwise(ops.divide, small, P.select(P.compare(big, zero, "EQ"), P.scalar_like(x, 1.0), big))
    root = P.elementwise(ops.sqrt, P.elementwise(ops.add, P.scalar_like(x, 1.0), _square(ratio)))
    result = P.elementwise(ops.multiply, big, root)
    either_inf = P.elementwise(ops.or_, P.compare(a, inf, "EQ"), P.compare(b, inf, "EQ"))
    return P.select(either_inf, inf, result)  # C's hypot(inf, nan) is inf


def _logaddexp_with(exp_builder, log1p_scale: float, equal_offset: float):
    """max + log1p(exp(-|x - y|)) in base e or 2; x == y (infinities included) gives x + log(2)."""

    def rule(x, y):
        big = P.elementwise(ops.maximum, x, y)
        gap = P.elementwise(ops.negate, P.elementwise(ops.abs, P.elementwise(ops.subtract, x, y)))
        tail = _times(P.elementwise(ops.log_plus_one, exp_builder(gap)), log1p_scale)
        result = P.elementwise(ops.add, big, tail)
        return P.select(P.compare(x, y, "EQ"), P.elementwise(ops.add, x, P.scalar_like(x, equal_offset)), result)

    return in_float32_if_narrow(rule)


ufunc_rule(np.logaddexp)(_logaddexp_with(lambda d: P.elementwise(ops.exponential, d), 1.0, np.log(2)))
ufunc_rule(np.logaddexp2)(_logaddexp_with(_exp2, 1 / np.log(2), 1.0))


@ufunc_rule(np.fabs)
def _fabs(x):
    return P.elementwise(ops.abs, x)


@ufunc_rule(np.conjugate)
def _conjugate(x):
    return x  # complex dtypes cannot be traced, and a real number is its own conjugate


@ufunc_rule(np.trunc)
def trunc(x):
    if not is_floating(x.dtype):  # NumPy 2 truncates integers and bools to themselves
        return x
    # ceil of a negative keeps the sign of zero: trunc(-0.5) is -0.0, as in C.
    negative = P.compare(x, P.scalar_like(x, 0.0), "LT")
    return P.select(negative, P.elementwise(ops.ceil, x), P.elementwise(ops.floor, x))


def _nan_ignoring(numpy_rule):
    """fmax/fmin: NumPy's maximum/minimum, except that a nan loses to a number."""

    def rule(x, y):
        result = numpy_rule(x, y)
        if not is_floating(x.dtype):
            return result
        return P.select(_isnan(x), y, P.select(_isnan(y), x, result))

    return rule


ufunc_rule(np.fmax)(_nan_ignoring(UFUNC_RULES[np.maximum]))
ufunc_rule(np.fmin)(_nan_ignoring(UFUNC_RULES[np.minimum]))


@ufunc_rule(np.heaviside)
def _heaviside(x, h0):
    """0 below zero, h0 at (either signed) zero, 1 above, nan for nan."""
    zero = P.scalar_like(x, 0.0)
    step = P.select(P.compare(x, zero, "LT"), zero, P.select(P.compare(x, zero, "GT"), P.scalar_like(x, 1.0), x))
    return P.select(P.compare(x, zero, "EQ"), h0, step)
