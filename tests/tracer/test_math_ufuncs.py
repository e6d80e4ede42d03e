"""Edge cases of the math ufuncs that drawn values rarely hit, each against NumPy.

test_ufuncs.py runs every registered ufunc over every dtype; here are the values where NumPy's
answer is a choice (shifts past the width, gcd of INT_MIN, signs of zero and nan, two outputs).
Subnormal operands stay out: XLA's CPU backend treats them as zero (DAZ/FTZ), NumPy does not.
"""

from __future__ import annotations

import numpy as np
import pytest

import tracer
from helpers import Case, check_cases

INTS = (np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64)
FLOATS = (np.float16, np.float32, np.float64)
SPECIALS = np.array([-np.inf, -2.5, -1.0, -0.5, -0.0, 0.0, 0.5, 1.0, 2.5, np.inf, np.nan])


def _pairs(values):
    return values[:, None], values[None, :]


def _int_edges(dtype):
    info = np.iinfo(dtype)
    values = [info.min, info.min + 1, -12, -8, -1, 0, 1, 2, 3, 6, 8, 12, info.max - 1, info.max]
    return np.unique(np.array([v for v in values if info.min <= v <= info.max], dtype=object).astype(dtype))


@pytest.mark.parametrize("ufunc", [np.left_shift, np.right_shift], ids=lambda u: u.__name__)
def test_shifts_by_the_width_and_more(ufunc):
    """NumPy: shifts >= width (or negative, read as unsigned) give 0, or -1 for a negative right-shifted."""
    cases = {}
    for dtype in INTS:
        width = np.dtype(dtype).itemsize * 8
        amounts = [0, 1, width - 1, width, width + 1, 2 * width]
        amounts += [-1, -width] if np.dtype(dtype).kind == "i" else []
        cases[np.dtype(dtype).name] = Case(ufunc, (_int_edges(dtype)[:, None], np.array(amounts, dtype)[None, :]))
    cases["bool"] = Case(ufunc, _pairs(np.array([False, True])))
    check_cases(cases)


@pytest.mark.parametrize("ufunc", [np.gcd, np.lcm], ids=lambda u: u.__name__)
def test_gcd_lcm_zeros_negatives_and_int_min(ufunc):
    """gcd(INT_MIN, 0) wraps to INT_MIN; lcm wraps on overflow; zeros give the other magnitude / 0."""
    check_cases({np.dtype(d).name: Case(ufunc, _pairs(_int_edges(d))) for d in INTS})


@pytest.mark.parametrize("ufunc", [np.gcd, np.lcm], ids=lambda u: u.__name__)
def test_gcd_lcm_every_int8_pair(ufunc):
    """All 65536 int8 pairs: the Euclid loop runs until the slowest element (Fibonacci pairs) is done."""
    values = np.arange(-128, 128).astype(np.int8)
    check_cases({"int8": Case(ufunc, _pairs(values)), "uint8": Case(ufunc, _pairs(values.view(np.uint8)))})


def test_gcd_of_consecutive_fibonacci_numbers_takes_the_most_steps():
    fib = [1, 2]
    while fib[-1] < 2**62:
        fib.append(fib[-1] + fib[-2])
    a, b = np.array(fib[1:], np.int64), np.array(fib[:-1], np.int64)
    check_cases({"gcd": Case(np.gcd, (a, b)), "lcm": Case(np.lcm, (a[:40], b[:40]))})


def test_bitwise_count_counts_the_magnitude():
    check_cases({np.dtype(d).name: Case(np.bitwise_count, (_int_edges(d),)) for d in INTS}
                | {"bool": Case(np.bitwise_count, (np.array([False, True]),))})


@pytest.mark.parametrize("ufunc", [np.divmod, np.copysign, np.fmax, np.fmin, np.nextafter, np.heaviside, np.hypot,
                                   np.logaddexp, np.logaddexp2], ids=lambda u: u.__name__)
def test_binary_float_specials(ufunc):
    """Every pair of inf, nan, +-0.0 and ordinary values: values, nan positions and (mostly) zero signs."""
    zero_sign_open = ufunc in (np.fmax, np.fmin)  # fmax(0.0, -0.0): C leaves the choice open
    tolerance = dict(rtol=1e-5, atol=1e-6) if ufunc in (np.hypot, np.logaddexp, np.logaddexp2) else {}
    check_cases({np.dtype(d).name: Case(ufunc, _pairs(SPECIALS.astype(d)), signed_zeros=not zero_sign_open, **tolerance)
                 for d in FLOATS})


def test_copysign_carries_the_sign_of_zero_and_of_nan():
    def signs(x, y):
        return np.signbit(np.copysign(x, y))

    check_cases({np.dtype(d).name: Case(signs, _pairs(np.array([1.0, -0.0, 0.0, np.nan, -np.nan, np.inf], d)))
                 for d in FLOATS})


@pytest.mark.parametrize("ufunc", [np.modf, np.frexp, np.spacing, np.signbit, np.trunc, np.fabs, np.cbrt,
                                   np.deg2rad, np.rad2deg], ids=lambda u: u.__name__)
def test_unary_float_specials(ufunc):
    """modf(-2.0) = (-0.0, -2.0), frexp(inf) = (inf, 0), spacing(-0.0) > 0, spacing(float16 -1.0) > 0 ..."""
    values = np.concatenate([SPECIALS, [3.0, -3.0, 1e4, -1e4, 65504.0]])
    check_cases({np.dtype(d).name: Case(ufunc, (values.astype(d),), signed_zeros=True, rtol=1e-6 if d != np.float16 else None)
                 for d in FLOATS})


def test_spacing_and_nextafter_at_the_ends_of_the_range():
    """spacing(max) is inf (its neighbour is inf); nextafter(0, 1) is the smallest subnormal, built from bits."""
    cases = {}
    for d in FLOATS:
        info = np.finfo(d)
        big = np.array([info.max, -info.max, info.tiny, -info.tiny], d)
        cases[f"spacing {np.dtype(d).name}"] = Case(np.spacing, (big,))
        cases[f"nextafter {np.dtype(d).name}"] = Case(np.nextafter, (np.array([0.0, -0.0, info.max, 1.0], d),
                                                                    np.array([1.0, -1.0, np.inf, 1.0], d)))
    check_cases(cases)


def test_frexp_of_subnormals_uses_the_bits():
    """frexp reads exponent fields, so subnormal inputs work although XLA flushes subnormal arithmetic."""
    for d in FLOATS:
        info = np.finfo(d)
        x = np.array([info.smallest_subnormal, -info.smallest_subnormal * 3, info.tiny / 2], d)
        mantissa, exponent = tracer.jit(np.frexp)(x)
        expected_mantissa, expected_exponent = np.frexp(x)
        np.testing.assert_array_equal(np.asarray(mantissa), expected_mantissa)
        np.testing.assert_array_equal(np.asarray(exponent), expected_exponent)


def test_ldexp_clamps_huge_exponents_without_intermediate_overflow():
    x = np.array([[1.0], [-3.0], [0.0], [-0.0], [np.inf], [np.nan], [1e300], [1e-300]])
    k = np.array([[0, 1, -1, 1023, -1022, 2000, -2000, 2**31 - 1, -(2**31)]], np.int32)
    check_cases({"float64-int32": Case(np.ldexp, (x, k), signed_zeros=True),
                 "float64-int64": Case(np.ldexp, (x, k.astype(np.int64) * 2**20), signed_zeros=True),
                 "float32": Case(np.ldexp, (x[:6].astype(np.float32), np.array([[0, 100, -100, 127, -126, 300, -300]], np.int32)),
                                 signed_zeros=True),
                 "float16": Case(np.ldexp, (np.array([[1.0], [-1.5], [np.inf]], np.float16), np.array([[15, 16, -14, 40, -40]])))})


def test_divmod_and_friends_return_tuples_and_fill_out():
    def with_out(x, y):
        q, r = np.zeros_like(x), np.zeros_like(x)
        np.divmod(x, y, out=(q, r))
        m = np.zeros_like(x)
        fractional, integral = np.modf(x, out=(m, None))
        return q, r, m, fractional, integral

    x = np.array([-7.5, 7.5, -0.0, 3.0])
    y = np.array([2.0, -2.0, 3.0, np.inf])
    check_cases({"out tuples": Case(with_out, (x, y), signed_zeros=True)})


def test_weak_scalar_operands_follow_nep50():
    """Python numbers take the array's dtype: ldexp(float16, 3) is float16, hypot(int8, 2.5) float16."""
    check_cases({
        "ldexp": Case(lambda x: np.ldexp(x, 3), (np.array([1.5, -2.0], np.float16),)),
        "hypot": Case(lambda x: np.hypot(x, 2.5), (np.array([3, 4], np.int8),)),
        "gcd": Case(lambda x: np.gcd(x, 12), (np.array([8, -9], np.int16),)),
        # (np.left_shift, not `x << 3`: TracedArray has no __lshift__/__rshift__ yet.)
        "left_shift": Case(lambda x: np.left_shift(x, 3), (np.array([1, -1], np.int8),)),
        "right_shift": Case(lambda x: np.right_shift(x, 9), (np.array([100, -100], np.int8),)),
    })


def test_shift_of_bools_and_floats_is_numpys_type_error():
    x = np.array([1.5, 2.0])
    with pytest.raises(TypeError, match="left_shift"):
        tracer.jit(lambda a: np.left_shift(a, 1))(x)
    with pytest.raises(TypeError, match="gcd"):
        tracer.jit(lambda a: np.gcd(a, a))(x)
