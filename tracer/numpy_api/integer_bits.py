"""Ufuncs on integer bits: shifts with NumPy's out-of-range rules, bitwise_count, gcd, lcm, integer powers."""

from __future__ import annotations

import numpy as np

from ir import ops
from tracer import primitives as P
from tracer.control_flow.loops import while_loop
from tracer.numpy_api.registry import ufunc_rule

__all__ = ["integer_power"]  # (the other ufunc rules register themselves: registry.ufunc_rule)


def _as_unsigned(x):
    """x's bits as the unsigned type of its width (unsigned x passes through)."""
    return x if x.dtype.kind == "u" else P.bitcast(x, np.dtype(f"u{x.dtype.itemsize}"))


def _magnitude(x):
    """|x| as an unsigned integer of x's width, so |INT_MIN| = 2**(width - 1) fits (NumPy's gcd/lcm/bitwise_count)."""
    bits = _as_unsigned(x)
    if x.dtype.kind == "u":
        return bits
    negated = P.elementwise(ops.subtract, P.scalar_like(bits, 0), bits)  # wraps, as unsigned negation does
    return P.select(P.compare(x, P.scalar_like(x, 0), "LT"), negated, bits)


def _shift_in_range(amount):
    """NumPy shifts only when the amount, read as unsigned, is below the width: negative amounts are huge."""
    bits = _as_unsigned(amount)
    return P.compare(bits, P.scalar_like(bits, amount.dtype.itemsize * 8), "LT")


@ufunc_rule(np.left_shift)
def _left_shift(x, amount):
    """C's x << n for n < width, else 0 (NumPy's npy_lshift; spelled out rather than left to the backend)."""
    shifted = P.elementwise(ops.shift_left, x, amount)
    return P.select(_shift_in_range(amount), shifted, P.scalar_like(x, 0))


@ufunc_rule(np.right_shift)
def _right_shift(x, amount):
    """Arithmetic for signed x (sign fill: -1 for negative x past the width), logical for unsigned."""
    if x.dtype.kind == "u":
        return P.select(_shift_in_range(amount), P.elementwise(ops.shift_right_logical, x, amount), P.scalar_like(x, 0))
    fill = P.elementwise(ops.shift_right_arithmetic, x, P.scalar_like(x, x.dtype.itemsize * 8 - 1))
    return P.select(_shift_in_range(amount), P.elementwise(ops.shift_right_arithmetic, x, amount), fill)


@ufunc_rule(np.bitwise_count)
def _bitwise_count(x):
    """1-bits of |x| (NumPy counts the magnitude of signed integers: bitwise_count(-1) == 1)."""
    return P.elementwise(ops.popcnt, _magnitude(x))


def _euclid(a, b):
    """gcd of unsigned a and b, elementwise, by Euclid's algorithm in one `while` over the whole array.

    The loop runs while any b is nonzero; finished elements keep their values (b == 0 is a fixed point
    of the step). It ends: each step replaces b by a % b < b, so every b reaches 0.
    """
    def keep_going(carry):
        _, b = carry
        return np.any(P.compare(b, P.scalar_like(b, 0), "NE"))

    def step(carry):
        a, b = carry
        nonzero = P.compare(b, P.scalar_like(b, 0), "NE")
        divisor = P.select(nonzero, b, P.scalar_like(b, 1))
        return P.select(nonzero, b, a), P.select(nonzero, P.elementwise(ops.remainder, a, divisor), b)

    gcd, _ = while_loop(keep_going, step, (a, b))
    return gcd


@ufunc_rule(np.gcd)
def _gcd(x, y):
    """On magnitudes in the unsigned type, read back as x's type: gcd(INT_MIN, 0) wraps to INT_MIN, as in NumPy."""
    return _bitcast_back(_euclid(_magnitude(x), _magnitude(y)), x.dtype)


@ufunc_rule(np.lcm)
def _lcm(x, y):
    """|x| / gcd * |y| in the unsigned type (wrapping on overflow, as NumPy), 0 when either is 0."""
    a, b = _magnitude(x), _magnitude(y)
    gcd = _euclid(a, b)
    zero = P.scalar_like(gcd, 0)
    is_zero = P.compare(gcd, zero, "EQ")
    quotient = P.elementwise(ops.divide, a, P.select(is_zero, P.scalar_like(gcd, 1), gcd))
    return _bitcast_back(P.select(is_zero, zero, P.elementwise(ops.multiply, quotient, b)), x.dtype)


def _bitcast_back(bits, dtype):
    return bits if bits.dtype == dtype else P.bitcast(bits, dtype)


def integer_power(x, y):
    """x ** y with NumPy's wrapping integer arithmetic, by squaring over every bit of y, in one `while` over the
    whole array (it runs while any exponent has bits left: at most y's width). XLA's own integer power stops after
    six squarings (3 ** 65 came out 3 ** 1). Negative exponents, an error in NumPy, keep XLA's answers (README)."""
    negative = P.compare(y, P.scalar_like(y, 0), "LT") if y.dtype.kind == "i" else None
    bits = _as_unsigned(y if negative is None else P.select(negative, P.scalar_like(y, 0), y))
    one = P.scalar_like(bits, 1)

    def keep_going(carry):
        return np.any(P.compare(carry[2], P.scalar_like(bits, 0), "NE"))

    def step(carry):
        result, base, rest = carry
        odd = P.compare(P.elementwise(ops.and_, rest, one), P.scalar_like(bits, 0), "NE")
        result = P.select(odd, P.elementwise(ops.multiply, result, base), result)
        return result, P.elementwise(ops.multiply, base, base), P.elementwise(ops.shift_right_logical, rest, one)

    power, _, _ = while_loop(keep_going, step, (P.scalar_like(x, 1), x, bits))
    return power if negative is None else P.select(negative, P.elementwise(ops.power, x, y), power)
