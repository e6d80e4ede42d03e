"""Ufuncs that read and write a float's IEEE fields: signbit, copysign, nextafter, spacing,
frexp, ldexp, modf (and divmod). Working on the bit patterns makes -0.0, the sign of NaN and
subnormal inputs exact, where arithmetic through XLA would round or flush them."""

from __future__ import annotations

import numpy as np

from ir import ops
from tracer import primitives as P
from tracer.numpy_api.registry import ufunc_rule

from tracer.numpy_api.ufuncs import floor_divide, in_float32_if_narrow, isinf, remainder, trunc

__all__: list[str] = []  # the ufunc rules register themselves (registry.ufunc_rule); nothing here is imported


class _Layout:
    """IEEE fields of a float dtype: `fraction` bits below the exponent field, exponent `bias`."""

    def __init__(self, dtype):
        info = np.finfo(dtype)
        self.fraction, self.bias, self.width = int(info.nmant), int(info.maxexp) - 1, dtype.itemsize * 8
        self.sign_mask = 1 << (self.width - 1)
        self.fraction_mask = (1 << self.fraction) - 1


def _mask(bits, value):
    return P.elementwise(ops.and_, bits, P.scalar_like(bits, value))


def _shift_left(x, amount: int):
    return P.elementwise(ops.shift_left, x, P.scalar_like(x, amount))


def _shift_right(x, amount: int):
    return P.elementwise(ops.shift_right_logical, x, P.scalar_like(x, amount))


def _sign_bit_set(x):
    bits = P.uint_bits(x)
    return P.compare(_mask(bits, _Layout(x.dtype).sign_mask), P.scalar_like(bits, 0), "NE")


@ufunc_rule(np.signbit)
def _signbit(x):
    return _sign_bit_set(x)  # a bit test: -0.0 and -nan count as negative, as in C


@ufunc_rule(np.copysign)
def _copysign(x, y):
    """|x| with y's sign bit: bit operations, so -0.0 and nan signs carry over exactly."""
    layout = _Layout(x.dtype)
    magnitude = _mask(P.uint_bits(x), ~layout.sign_mask & ((1 << layout.width) - 1))
    sign = _mask(P.uint_bits(y), layout.sign_mask)
    return P.bitcast(P.elementwise(ops.or_, magnitude, sign), x.dtype)


@ufunc_rule(np.nextafter)
def _nextafter(x, y):
    """Where x == y, C's nextafter returns y (nextafter(0.0, -0.0) is -0.0) but NumPy's float16 loop returns x."""
    equal_gives = x if x.dtype == np.float16 else y
    return P.select(P.compare(x, y, "EQ"), equal_gives, P.elementwise(ops.next_after, x, y))


def _ulp_bits(exponent, layout: _Layout):
    """Bits of 2**(E - bias - fraction), the gap above a float with biased exponent E (unsigned `exponent`).

    A normal number's bits when E > fraction, else the subnormal 2**max(E - 1, 0) * smallest.
    """
    normal = _shift_left(P.elementwise(ops.subtract, exponent, P.scalar_like(exponent, layout.fraction)), layout.fraction)
    one = P.scalar_like(exponent, 1)
    shift = P.elementwise(ops.subtract, P.elementwise(ops.maximum, exponent, one), one)
    subnormal = P.elementwise(ops.shift_left, one, shift)
    return P.select(P.compare(exponent, P.scalar_like(exponent, layout.fraction), "GT"), normal, subnormal)


@ufunc_rule(np.spacing)
def _spacing(x):
    """The gap between x and its neighbour, built from x's exponent field; inf and nan give nan.

    Built from bits rather than as nextafter(x, inf) - x: that subtraction gives a subnormal for tiny
    x, which XLA's CPU backend flushes to zero; the selects work on bits too, for the same reason.
    float32/float64 (npy_spacing): the gap away from zero, negative for x < 0 (spacing(-0.0) > 0), and
    inf for the largest finite float. float16 (npy_half_spacing): nextafter(x, +inf) - x, always positive,
    so a negative power of two gets the smaller gap below its magnitude.
    """
    layout = _Layout(x.dtype)
    bits = P.uint_bits(x)
    sign_clear = ~layout.sign_mask & ((1 << layout.width) - 1)
    exponent = _shift_right(_mask(bits, sign_clear), layout.fraction)
    negative = P.compare(x, P.scalar_like(x, 0.0), "LT")
    toward_plus_inf = x.dtype == np.float16
    if toward_plus_inf:
        power_of_two = P.compare(_mask(bits, layout.fraction_mask), P.scalar_like(bits, 0), "EQ")
        smaller = P.elementwise(ops.and_, negative, power_of_two)
        exponent = P.select(smaller, P.elementwise(ops.subtract, exponent, P.scalar_like(bits, 1)), exponent)
    ulp = _ulp_bits(exponent, layout)
    largest = P.compare(bits if toward_plus_inf else _mask(bits, sign_clear), P.uint_bits(P.scalar_like(x, np.finfo(x.dtype).max)), "EQ")
    ulp = P.select(largest, P.uint_bits(P.scalar_like(x, np.inf)), ulp)
    ulp = P.select(P.elementwise(ops.is_finite, x, dtype=np.bool_), ulp, P.uint_bits(P.scalar_like(x, np.nan)))
    if not toward_plus_inf:
        ulp = P.select(negative, P.elementwise(ops.or_, ulp, P.scalar_like(ulp, layout.sign_mask)), ulp)
    return P.bitcast(ulp, x.dtype)


def _frexp(x):
    """(m, e) with x = m * 2**e and 0.5 <= |m| < 1, from the bits; 0, inf and nan give (x, 0).

    Subnormal inputs are normalised with count_leading_zeros, so they need no (flushed) float arithmetic.
    """
    layout = _Layout(x.dtype)
    bits = P.uint_bits(x)
    sign = _mask(bits, layout.sign_mask)
    biased = _shift_right(_mask(bits, ~layout.sign_mask & ((1 << layout.width) - 1)), layout.fraction)
    fraction = _mask(bits, layout.fraction_mask)
    subnormal = P.compare(biased, P.scalar_like(biased, 0), "EQ")
    # A subnormal's fraction f has `length` significant bits: x = (f / 2**length) * 2**(length + 1 - bias - fraction).
    length = P.elementwise(ops.subtract, P.scalar_like(bits, layout.width), P.elementwise(ops.count_leading_zeros, fraction))
    shift = P.elementwise(ops.subtract, P.scalar_like(bits, layout.fraction + 1), length)  # >= 1 for subnormals
    normalized = P.select(subnormal, _mask(P.elementwise(ops.shift_left, fraction, shift), layout.fraction_mask), fraction)
    length = P.convert(length, np.int32)  # small counts; the subnormal exponent below is negative
    subnormal_exponent = P.elementwise(ops.subtract, length, P.full(x.shape, layout.fraction, np.int32))
    unbiased = P.select(subnormal, subnormal_exponent, P.convert(biased, np.int32))
    exponent = P.elementwise(ops.subtract, unbiased, P.full(x.shape, layout.bias - 1, np.int32))
    half_exponent = P.scalar_like(bits, (layout.bias - 1) << layout.fraction)
    mantissa = P.bitcast(P.elementwise(ops.or_, P.elementwise(ops.or_, sign, half_exponent), normalized), x.dtype)
    special = P.elementwise(ops.or_, P.compare(x, P.scalar_like(x, 0.0), "EQ"),
                            P.elementwise(ops.not_, P.elementwise(ops.is_finite, x, dtype=np.bool_)))
    return P.select(special, x, mantissa), P.select(special, P.full(x.shape, 0, np.int32), exponent)


def _power_of_two(k, dtype):
    """2.0**k in float `dtype` for int k whose result is a normal number, as its bit pattern."""
    layout = _Layout(np.dtype(dtype))
    uint = P.UNSIGNED_OF_WIDTH[np.dtype(dtype).itemsize]
    biased = P.convert(P.elementwise(ops.add, k, P.scalar_like(k, layout.bias)), uint)
    return P.bitcast(_shift_left(biased, layout.fraction), dtype)


@in_float32_if_narrow
def _ldexp_rule(x, k):
    """x * 2**k as three multiplications by exact powers of two.

    k is first clamped to +-(2 * (bias + fraction) + 2), beyond which every finite x over- or underflows;
    a third of that is a normal power of two in float32 and float64 (float16 runs in float32). The three
    factors share k's sign, so the partial products move monotonically from x to the result and never
    overflow or underflow on the way when the result itself does not.
    """
    layout = _Layout(x.dtype)
    limit = 2 * (layout.bias + layout.fraction) + 2
    k = P.elementwise(ops.clamp, P.scalar_like(k, -limit), k, P.scalar_like(k, limit))
    first = P.elementwise(ops.divide, k, P.scalar_like(k, 3))
    rest = P.elementwise(ops.subtract, k, first)
    second = P.elementwise(ops.divide, rest, P.scalar_like(k, 2))
    third = P.elementwise(ops.subtract, rest, second)
    for part in (first, second, third):
        x = P.elementwise(ops.multiply, x, _power_of_two(part, x.dtype))
    return x


ufunc_rule(np.ldexp)(_ldexp_rule)


@ufunc_rule(np.frexp)
def _frexp_rule(x):
    return _frexp(x)


@ufunc_rule(np.modf)
def _modf(x):
    """(fractional, integral) parts, both with x's sign: modf(-2.0) = (-0.0, -2.0), modf(inf) = (0.0, inf)."""
    integral = trunc(x)
    fractional = P.select(isinf(x), P.scalar_like(x, 0.0), P.elementwise(ops.subtract, x, integral))
    return _copysign(fractional, x), integral


@ufunc_rule(np.divmod)
def _divmod(x, y):
    return floor_divide(x, y), remainder(x, y)


