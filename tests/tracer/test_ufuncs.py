"""Every registered ufunc, the Python operators and in-place updates, traced vs NumPy eager.

The ufunc table is `tracer.numpy_api.registry.UFUNC_RULES` itself, so a newly registered ufunc is
tested here without editing this file (np.matmul has its own tests in test_shape_ops.py).

Inputs stay where NumPy's answer is defined by NumPy rather than by the platform:
- integer floor_divide / remainder / fmod / reciprocal never divide by zero: NumPy returns 0 with a
  warning, XLA's integer division by zero returns -1 (or the dividend), and C leaves it undefined;
  the dividend is never INT_MIN, so INT_MIN // -1 (an overflow trap in C) does not occur;
- integer power has exponents in [0, 4] and bases in [-3, 3]: negative exponents raise in NumPy and
  large results overflow.
Floats include inf, -inf, nan, -0.0 and 0.0 on both sides of every binary ufunc, but no subnormals:
XLA's CPU backend flushes them to zero (as JAX on CPU does), a documented platform difference.
"""

from __future__ import annotations

import functools
import operator

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tracer
from helpers import ALL_DTYPES, RTOL, check_against_numpy, eager
from tracer.numpy_api.registry import UFUNC_RULES

UFUNCS = sorted((u for u in UFUNC_RULES if u is not np.matmul), key=lambda u: u.__name__)
UNARY = [u for u in UFUNCS if u.nin == 1]
BINARY = [u for u in UFUNCS if u.nin == 2]

# Results computed by approximations (libm vs XLA's polynomials) get a few ulps and an absolute floor near 0.
TRANSCENDENTAL = {np.exp, np.expm1, np.log, np.log1p, np.tanh, np.sin, np.cos, np.tan, np.arctan2, np.power}
# NumPy's maximum/minimum of +0.0 and -0.0 returns whichever operand the SIMD loop picks; IEEE leaves it open.
UNSPECIFIED_ZERO_SIGN = {np.maximum, np.minimum}
DIVISIONS = {np.floor_divide, np.remainder, np.fmod}
FLOAT_SPECIALS = (np.inf, -np.inf, np.nan, -0.0, 0.0)


def tolerance(ufunc, dtype):
    """(rtol, atol) for a float result of `ufunc` in `dtype`."""
    rtol = RTOL[np.dtype(dtype)]
    if ufunc in TRANSCENDENTAL:
        return 4 * rtol, 4 * rtol
    return rtol, 0.0


def check_ufunc(ufunc, *operands, jitted=None):
    result_dtype = _result_dtype(ufunc, operands)
    rtol, atol = tolerance(ufunc, result_dtype) if result_dtype is not None and result_dtype.kind == "f" else (None, 0.0)
    check_against_numpy(ufunc, *operands, jitted=jitted, rtol=rtol, atol=atol,
                        signed_zeros=ufunc not in UNSPECIFIED_ZERO_SIGN)


def _result_dtype(ufunc, operands):
    try:
        return ufunc.resolve_dtypes(tuple(np.asarray(x).dtype for x in operands) + (None,))[-1]
    except TypeError:
        return None


@functools.cache
def jitted_ufunc(ufunc):
    """One JitFunction per ufunc, so repeated (shape, dtype) signatures reuse its compiled code."""
    return tracer.jit(lambda *xs: ufunc(*xs))


# -- values each operand may take ---------------------------------------------------------------

def _int_bounds(ufunc, position, dtype):
    """Closed range of integer operand values where NumPy's result is defined (see module docstring)."""
    info = np.iinfo(dtype)
    low, high = int(info.min), int(info.max)
    if ufunc is np.power:
        return (max(low, -3), min(high, 3)) if position == 0 else (0, min(high, 4))
    if ufunc in DIVISIONS and position == 0 and low < 0:
        return low + 1, high
    return low, high


def _nonzero_required(ufunc, position):
    return (ufunc in DIVISIONS and position == 1) or ufunc is np.reciprocal


def _float_bounds(ufunc):
    if ufunc is np.tan:
        return -1.4, 1.4  # away from the poles, where a 1-ulp change of x is a huge change of tan(x)
    if ufunc is np.power:
        return -10.0, 10.0
    return -100.0, 100.0


def elements(ufunc, position, dtype):
    """Hypothesis strategy for one element of operand `position` of `ufunc` in `dtype`."""
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return st.just(True) if _nonzero_required(ufunc, position) else st.booleans()
    if dtype.kind in "iu":
        low, high = _int_bounds(ufunc, position, dtype)
        values = st.integers(low, high)
        return values.filter(bool) if _nonzero_required(ufunc, position) else values
    low, high = _float_bounds(ufunc)
    width = dtype.itemsize * 8
    if ufunc is np.power and position == 1:
        low, high = -5.0, 5.0
    # Magnitudes stay >= 2**-10: XLA's CPU backend flushes subnormals to zero (as JAX does), NumPy keeps them,
    # and tiny operands would make subnormal results of ordinary ops.
    magnitudes = st.floats(2.0**-10, max(abs(low), abs(high)), width=width)
    signed = st.tuples(magnitudes, st.booleans()).map(lambda m: -m[0] if m[1] else m[0]).filter(lambda v: low <= v <= high)
    return st.one_of(st.sampled_from(FLOAT_SPECIALS), signed)


def fixed_values(ufunc, position, dtype):
    """A deterministic list of interesting values for one operand (edges, ties, specials)."""
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        values = [False, True]
    elif dtype.kind in "iu":
        info = np.iinfo(dtype)
        values = [int(info.min), int(info.min) + 1, -7, -3, -2, -1, 0, 1, 2, 3, 4, 7, int(info.max) - 1, int(info.max)]
        low, high = _int_bounds(ufunc, position, dtype)
        values = sorted({v for v in values if low <= v <= high})
    else:
        low, high = _float_bounds(ufunc)
        finite = [-100.5, -7.0, -2.5, -1.5, -1.0, -0.5, 0.5, 1.0, 1.5, 2.5, 3.0, 7.0, 100.5, 1.25, -1.25]
        values = list(FLOAT_SPECIALS) + [v for v in finite if low <= v <= high]
    if _nonzero_required(ufunc, position):
        values = [v for v in values if v]
    return np.array(values, dtype=dtype)


# -- every ufunc x every dtype, on fixed edge values ---------------------------------------------

@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=str)
@pytest.mark.parametrize("ufunc", UFUNCS, ids=lambda u: u.__name__)
def test_ufunc_every_dtype_edge_values(ufunc, dtype):
    """Unary: each value; binary: every pair of values (an outer broadcast), or NumPy's TypeError."""
    if ufunc.nin == 1:
        operands = (fixed_values(ufunc, 0, dtype),)
    else:
        operands = (fixed_values(ufunc, 0, dtype)[:, None], fixed_values(ufunc, 1, dtype)[None, :])
    check_ufunc(ufunc, *operands)


# -- every ufunc on drawn dtypes, broadcast shapes and values ------------------------------------

@st.composite
def ufunc_operands(draw, ufunc):
    """Operands of mutually broadcastable shapes (empty and size-1 axes included) and drawn dtypes."""
    first = draw(st.sampled_from(ALL_DTYPES))
    dtypes = [first] + [draw(st.sampled_from(ALL_DTYPES)) if draw(st.booleans()) else first for _ in range(ufunc.nin - 1)]
    shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=ufunc.nin, min_dims=0, max_dims=3, min_side=0, max_side=3))
    return tuple(draw(hnp.arrays(dtype, shape, elements=elements(ufunc, i, dtype)))
                 for i, (dtype, shape) in enumerate(zip(dtypes, shapes.input_shapes)))


@pytest.mark.parametrize("ufunc", UFUNCS, ids=lambda u: u.__name__)
@settings(max_examples=25)
@given(data=st.data())
def test_ufunc_broadcast_shapes_and_dtypes(ufunc, data):
    operands = data.draw(ufunc_operands(ufunc))
    check_ufunc(ufunc, *operands, jitted=jitted_ufunc(ufunc))


def test_registry_covers_the_common_ufuncs():
    """The table above is the registry: make sure it is not silently empty or missing the basics."""
    names = {u.__name__ for u in UFUNCS}
    assert {"add", "subtract", "multiply", "divide", "exp", "log", "maximum", "equal", "floor_divide"} <= names


# -- ufunc keyword arguments -------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.int64, np.int16], ids=str)
def test_ufunc_dtype_argument(dtype):
    x = np.array([1, 2, 3], np.int8)
    y = np.array([[4], [5]], np.int8)
    check_against_numpy(lambda a, b: np.add(a, b, dtype=dtype), x, y)
    check_against_numpy(lambda a: np.sqrt(a, dtype=np.float32), x)


def test_ufunc_out_argument_writes_into_the_traced_array():
    def fn(x, y):
        np.multiply(x, y, out=x)
        return x

    check_against_numpy(fn, np.array([1.5, -2.0, 3.0], np.float32), np.array([2.0, 2.0, -1.0], np.float32))
    check_against_numpy(fn, np.array([1, 2, 3], np.int32), np.array([1.5, 2.0, 3.0]))  # same_kind: TypeError


# -- Python scalars (NEP 50: they take the array's dtype when their kind allows) ----------------

SCALAR_EXPRESSIONS = {
    "x + 1": lambda x: x + 1,
    "1 + x": lambda x: 1 + x,
    "x * 2.5": lambda x: x * 2.5,
    "2.5 * x": lambda x: 2.5 * x,
    "1 - x": lambda x: 1 - x,
    "x - 1.5": lambda x: x - 1.5,
    "x / 2": lambda x: x / 2,
    "3 / x": lambda x: 3 / x,
    "x // 2": lambda x: x // 2,
    "7 // x": lambda x: 7 // x,
    "x % 3": lambda x: x % 3,
    "7 % x": lambda x: 7 % x,
    "x ** 2": lambda x: x ** 2,
    "2 ** x": lambda x: 2 ** x,
    "x ** 0.5": lambda x: x ** 0.5,
    "x > 1": lambda x: x > 1,
    "x <= 0.5": lambda x: x <= 0.5,
    "x == 2": lambda x: x == 2,
    "x != 2.0": lambda x: x != 2.0,
    "2 < x": lambda x: 2 < x,
    "x & 6": lambda x: x & 6,
    "x | 1": lambda x: x | 1,
    "x ^ 3": lambda x: x ^ 3,
    "5 & x": lambda x: 5 & x,
    "x & True": lambda x: x & True,
    "x + True": lambda x: x + True,
    "np.maximum(x, 2)": lambda x: np.maximum(x, 2),
    "np.minimum(1.5, x)": lambda x: np.minimum(1.5, x),
    "np.add(x, 300)": lambda x: np.add(x, 300),  # OverflowError for int8/uint8 under NEP 50
    "x - (-1)": lambda x: x - (-1),  # OverflowError for unsigned
    "x * 1e300": lambda x: x * 1e300,  # inf for float32/float16, not an error
}


def _scalar_operand(dtype):
    """Positive values (so 7 // x and 7 % x never divide by zero and 2 ** x stays small)."""
    if np.dtype(dtype) == np.bool_:
        return np.array([True, True, True])
    return np.array([1, 2, 3], dtype=dtype)


@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=str)
@pytest.mark.parametrize("expression", SCALAR_EXPRESSIONS, ids=str)
def test_python_scalar_operand(expression, dtype):
    fn = SCALAR_EXPRESSIONS[expression]
    rtol = 4 * RTOL[np.dtype(dtype)] if np.dtype(dtype).kind == "f" else None
    check_against_numpy(fn, _scalar_operand(dtype), rtol=rtol, signed_zeros=True)


@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=str)
def test_numpy_scalar_operand_is_not_weak(dtype):
    """A NumPy scalar (np.float64(2.5), np.int64(3)) has a dtype and promotes like an array."""
    x = _scalar_operand(dtype)
    check_against_numpy(lambda a: a * np.float64(2.5), x)
    check_against_numpy(lambda a: a + np.int64(3), x)
    check_against_numpy(lambda a: np.float32(0.5) - a, x)


# -- operators between arrays --------------------------------------------------------------------

BINARY_OPERATORS = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
    "//": operator.floordiv, "%": operator.mod, "**": operator.pow,
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge, "==": operator.eq, "!=": operator.ne,
    "&": operator.and_, "|": operator.or_, "^": operator.xor,
}
UNARY_OPERATORS = {"-x": operator.neg, "+x": operator.pos, "abs(x)": abs, "~x": operator.invert}
OPERATOR_UFUNC = {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide, "//": np.floor_divide,
                  "%": np.remainder, "**": np.power}
DTYPE_PAIRS = [(d, d) for d in ALL_DTYPES] + [
    (np.dtype(a), np.dtype(b)) for a, b in [(np.int8, np.float32), (np.uint8, np.int8), (np.int32, np.float16),
                                            (np.bool_, np.int32), (np.uint32, np.int64), (np.float16, np.float64)]
]


def _operator_operands(symbol, dtype_x, dtype_y):
    ufunc = OPERATOR_UFUNC.get(symbol, np.add)
    x = fixed_values(ufunc, 0, dtype_x)
    y = fixed_values(ufunc, 1, dtype_y)
    return x[:, None], y[None, :]


@pytest.mark.parametrize("dtypes", DTYPE_PAIRS, ids=lambda p: f"{p[0]}-{p[1]}")
@pytest.mark.parametrize("symbol", BINARY_OPERATORS, ids=str)
def test_binary_operator(symbol, dtypes):
    fn = BINARY_OPERATORS[symbol]
    x, y = _operator_operands(symbol, *dtypes)
    rtol = None
    result = _result_dtype(OPERATOR_UFUNC.get(symbol, np.add), (x, y))
    if symbol == "**" and result is not None and result.kind == "f":
        rtol = 4 * RTOL[result]
    check_against_numpy(fn, x, y, rtol=rtol, atol=0.0 if rtol is None else rtol, signed_zeros=True)


@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=str)
@pytest.mark.parametrize("symbol", UNARY_OPERATORS, ids=str)
def test_unary_operator(symbol, dtype):
    check_against_numpy(UNARY_OPERATORS[symbol], fixed_values(np.add, 0, dtype), signed_zeros=True)


# -- in-place operators: x op= y rebinds x, with NumPy's same_kind casting -------------------------

INPLACE_OPERATORS = {
    "+=": operator.iadd, "-=": operator.isub, "*=": operator.imul, "/=": operator.itruediv,
    "//=": operator.ifloordiv, "%=": operator.imod, "**=": operator.ipow,
    "&=": operator.iand, "|=": operator.ior, "^=": operator.ixor,
}
INPLACE_UFUNC = {"+=": np.add, "-=": np.subtract, "*=": np.multiply, "/=": np.divide, "//=": np.floor_divide,
                 "%=": np.remainder, "**=": np.power}


def _inplace_fn(symbol):
    op = INPLACE_OPERATORS[symbol]

    def fn(x, y):
        alias = x
        x = op(x, y)
        # NumPy updates in place: the returned object is x itself, and other names of x see the update.
        return x, alias

    return fn


@pytest.mark.parametrize("dtypes", DTYPE_PAIRS + [(np.dtype(np.int8), np.dtype(np.int64)),
                                                  (np.dtype(np.float32), np.dtype(np.float64)),
                                                  (np.dtype(np.int32), np.dtype(np.float32))],
                         ids=lambda p: f"{p[0]}-{p[1]}")
@pytest.mark.parametrize("symbol", INPLACE_OPERATORS, ids=str)
def test_inplace_operator(symbol, dtypes):
    ufunc = INPLACE_UFUNC.get(symbol, np.add)
    x = np.broadcast_to(fixed_values(ufunc, 0, dtypes[0])[:, None], (len(fixed_values(ufunc, 0, dtypes[0])), 3)).copy()
    y = fixed_values(ufunc, 1, dtypes[1])[:3]
    if len(y) < 3:
        y = np.resize(y, 3)
    rtol = None
    if symbol == "**=" and x.dtype.kind == "f":
        rtol = 4 * RTOL[x.dtype]
    check_against_numpy(_inplace_fn(symbol), x, y, rtol=rtol, atol=0.0 if rtol is None else rtol, signed_zeros=True)


@pytest.mark.parametrize("dtype", [np.int8, np.int32, np.int64, np.uint8, np.bool_], ids=str)
def test_inplace_float_scalar_into_int_array_is_a_casting_error(dtype):
    """`int_array += 1.5`: NumPy raises _UFuncOutputCastingError (a TypeError); so must tracing."""

    def fn(x):
        x += 1.5
        return x

    x = np.array([1, 0, 1], dtype=dtype)
    with pytest.raises(TypeError):
        eager(fn, x)
    with pytest.raises(TypeError):
        tracer.jit(fn)(x)


def test_inplace_with_a_larger_broadcast_shape_is_an_error():
    """x += y where x + y is larger than x: NumPy's ValueError (non-broadcastable output operand)."""

    def fn(x, y):
        x += y
        return x

    check_against_numpy(fn, np.ones(3, np.float32), np.ones((2, 3), np.float32))
    check_against_numpy(fn, np.ones((2, 3), np.float32), np.ones(3, np.float32))


def test_inplace_int_scalars_keep_the_array_dtype():
    def fn(x):
        x += 1
        x *= 3
        x -= 200  # wraps in int8 exactly as NumPy does for arrays
        return x

    check_against_numpy(fn, np.array([-128, 0, 100, 127], np.int8))
    check_against_numpy(fn, np.array([0.5, -1.5], np.float16))
