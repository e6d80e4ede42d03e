"""Every registered ufunc, the Python operators and in-place updates, traced vs NumPy eager.

The ufunc table is `tracer.numpy_api.registry.UFUNC_RULES` itself, so a newly registered ufunc is
tested here without editing this file (np.matmul has its own tests in test_shape_ops.py).

Divisors include zero and dividends INT_MIN: integer x // 0 and x % 0 are NumPy's 0, INT_MIN // -1
wraps as in NumPy (the divisors here are arguments; constant zero divisors, which XLA's own folder
would trap on, are `test_integer_division_by_constant_zero`, run in a child process).
Inputs stay where NumPy's answer is defined by NumPy rather than by the platform:
- integer power has exponents in [0, 4] and bases in [-3, 3]: negative exponents raise in NumPy and
  large results overflow.
Floats include inf, -inf, nan, -0.0 and 0.0 on both sides of every binary ufunc, but no subnormals:
XLA's CPU backend flushes them to zero (as JAX on CPU does), a documented platform difference.
"""

from __future__ import annotations

import json
import operator

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tracer
from helpers import ALL_DTYPES, RTOL, Case, check_cases, eager, exit_status, run_isolated, xla_settings
from tracer.numpy_api.registry import UFUNC_RULES

UFUNCS = sorted((u for u in UFUNC_RULES if u is not np.matmul), key=lambda u: u.__name__)
UNARY = [u for u in UFUNCS if u.nin == 1]
BINARY = [u for u in UFUNCS if u.nin == 2]

# Results computed by approximations (libm vs XLA's polynomials) get a few ulps and an absolute floor near 0.
TRANSCENDENTAL = {np.exp, np.expm1, np.log, np.log1p, np.tanh, np.sin, np.cos, np.tan, np.arctan2, np.power,
                  np.arcsin, np.arccos, np.arctan, np.sinh, np.cosh, np.arcsinh, np.arccosh, np.arctanh,
                  np.exp2, np.log2, np.log10, np.cbrt, np.hypot, np.logaddexp, np.logaddexp2, np.float_power}
# NumPy's maximum/minimum (and C's fmax/fmin) of +0.0 and -0.0 return whichever operand the loop picks;
# IEEE leaves it open.
UNSPECIFIED_ZERO_SIGN = {np.maximum, np.minimum, np.fmax, np.fmin}
FLOAT_SPECIALS = (np.inf, -np.inf, np.nan, -0.0, 0.0)


def tolerance(ufunc, dtype):
    """(rtol, atol) for a float result of `ufunc` in `dtype`."""
    rtol = RTOL[np.dtype(dtype)]
    if ufunc in TRANSCENDENTAL:
        return 4 * rtol, 4 * rtol
    return rtol, 0.0


def ufunc_case(ufunc, *operands) -> Case:
    """A Case for `ufunc(*operands)` with the tolerance its result dtype and kind of math need."""
    result_dtype = _result_dtype(ufunc, operands)
    rtol, atol = tolerance(ufunc, result_dtype) if result_dtype is not None and result_dtype.kind == "f" else (None, 0.0)
    return Case(ufunc, operands, rtol=rtol, atol=atol, signed_zeros=ufunc not in UNSPECIFIED_ZERO_SIGN)


def _result_dtype(ufunc, operands):
    """The first floating output dtype of NumPy's loop (divmod, modf, frexp have two outputs), else the first."""
    try:
        outputs = ufunc.resolve_dtypes(tuple(np.asarray(x).dtype for x in operands) + (None,) * ufunc.nout)[ufunc.nin:]
    except TypeError:
        return None
    return next((d for d in outputs if d.kind == "f"), outputs[0])


# -- values each operand may take ---------------------------------------------------------------

def _int_bounds(ufunc, position, dtype):
    """Closed range of integer operand values where NumPy's result is defined (see module docstring)."""
    info = np.iinfo(dtype)
    low, high = int(info.min), int(info.max)
    if ufunc is np.power:
        return (max(low, -3), min(high, 3)) if position == 0 else (0, min(high, 4))
    if ufunc is np.ldexp and position == 1:
        # Float operands have magnitudes in [2**-10, 100]: scaling by 2**-4 stays normal in float16
        # (XLA flushes subnormal results to zero); 2**16 overflows float16. Larger k: test_math_ufuncs.py.
        return max(low, -4), min(high, 16)
    return low, high


def _float_bounds(ufunc):
    if ufunc is np.tan:
        return -1.375, 1.375  # away from the poles, where a 1-ulp change of x is a huge change of tan(x)
    if ufunc is np.power:
        return -10.0, 10.0
    return -100.0, 100.0


def elements(ufunc, position, dtype):
    """Hypothesis strategy for one element of operand `position` of `ufunc` in `dtype`."""
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return st.booleans()
    if dtype.kind in "iu":
        low, high = _int_bounds(ufunc, position, dtype)
        return st.integers(low, high)
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
    return np.array(values, dtype=dtype)


# -- every ufunc x every dtype, on fixed edge values ---------------------------------------------

def edge_operands(ufunc, dtype):
    """Unary: each edge value; binary: every pair of them (an outer broadcast)."""
    if ufunc.nin == 1:
        return (fixed_values(ufunc, 0, dtype),)
    return fixed_values(ufunc, 0, dtype)[:, None], fixed_values(ufunc, 1, dtype)[None, :]


MIXED_PAIRS = [(np.dtype(a), np.dtype(b)) for a, b in [(np.bool_, np.bool_), (np.bool_, np.float32), (np.float64, np.bool_),
                                                       (np.int8, np.float16), (np.uint8, np.int8)]]


def mixed_edge_operands(ufunc, dtype_x, dtype_y):
    """Every pair of edge values, as two operands of the same shape (no broadcasting in between)."""
    x, y = np.broadcast_arrays(fixed_values(ufunc, 0, dtype_x)[:, None], fixed_values(ufunc, 1, dtype_y)[None, :])
    return x.copy(), y.copy()


@pytest.mark.parametrize("ufunc", UFUNCS, ids=lambda u: u.__name__)
def test_ufunc_every_dtype_edge_values(ufunc):
    """Each dtype NumPy has a loop for gives NumPy's dtype and values; the others raise TypeError in both.

    Binary ufuncs also get a few mixed pairs: a bool operand times inf or nan must stay IEEE (0 * inf = nan).
    """
    cases = {str(dtype): ufunc_case(ufunc, *edge_operands(ufunc, dtype)) for dtype in ALL_DTYPES}
    if ufunc.nin == 2:
        cases |= {f"{a}-{b}": ufunc_case(ufunc, *mixed_edge_operands(ufunc, a, b)) for a, b in MIXED_PAIRS}
        for flag in (False, True):  # 0-d operands
            cases[f"0-d {flag}-0-d float32 inf"] = ufunc_case(ufunc, np.array(flag), np.array(np.inf, np.float32))
            cases[f"0-d float16 nan-0-d {flag}"] = ufunc_case(ufunc, np.array(np.nan, np.float16), np.array(flag))
            cases[f"bool[2]-0-d {flag}"] = ufunc_case(ufunc, np.array([False, True]), np.array(flag))
    check_cases(cases)


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
@xla_settings(max_examples=10)
@given(data=st.data())
def test_ufunc_broadcast_shapes_and_dtypes(ufunc, data):
    """Three independent draws per example, compiled together."""
    check_cases({f"draw{i}": ufunc_case(ufunc, *data.draw(ufunc_operands(ufunc), label=f"draw{i}")) for i in range(3)})


def test_registry_covers_the_common_ufuncs():
    """The table above is the registry: make sure it is not silently empty or missing the basics."""
    names = {u.__name__ for u in UFUNCS}
    assert {"add", "subtract", "multiply", "divide", "exp", "log", "maximum", "equal", "floor_divide"} <= names


# -- ufunc keyword arguments -------------------------------------------------------------------

def test_ufunc_dtype_argument():
    """`dtype=` picks the loop: the operands are cast to it and the result has it."""
    x = np.array([1, 2, 3], np.int8)
    y = np.array([[4], [5]], np.int8)
    cases = {f"add dtype={np.dtype(d)}": Case(lambda a, b, d=d: np.add(a, b, dtype=d), (x, y))
             for d in (np.float64, np.float32, np.int64, np.int16)}
    cases["sqrt dtype=float32"] = Case(lambda a: np.sqrt(a, dtype=np.float32), (x,))
    cases["multiply dtype=int8 from float"] = Case(lambda a: np.multiply(a, 2.5, dtype=np.float16), (x,))
    check_cases(cases)


def test_ufunc_out_argument_writes_into_the_traced_array():
    def fn(x, y):
        np.multiply(x, y, out=x)
        return x

    check_cases({
        "float32": Case(fn, (np.array([1.5, -2.0, 3.0], np.float32), np.array([2.0, 2.0, -1.0], np.float32))),
        "int8 out, int32 operand": Case(fn, (np.array([100, 2, 3], np.int8), np.array([3, 2, 1], np.int32))),
        "int out, float operand (same_kind: TypeError)": Case(fn, (np.array([1, 2, 3], np.int32), np.array([1.5, 2.0, 3.0]))),
    })


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
    "x ** 3": lambda x: x ** 3,
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
    # NumPy 2 compares with a Python int the dtype cannot hold by value: the same answer for every element.
    "x > -2**32": lambda x: x > -4294967296,
    "x == 70000": lambda x: x == 70000,
    "70000 >= x": lambda x: 70000 >= x,
    "x != 2**70": lambda x: x != 2 ** 70,
    "np.less(x, -1)": lambda x: np.less(x, -1),
}


def _scalar_operand(dtype):
    """Small positive values (so 2 ** x stays small); bools include False."""
    if np.dtype(dtype) == np.bool_:
        return np.array([True, True, False])
    return np.array([1, 2, 3], dtype=dtype)


@pytest.mark.parametrize("expression", SCALAR_EXPRESSIONS, ids=str)
def test_python_scalar_operand(expression):
    """`x + 1`, `x * 2.5`, `1 - x` ... on every dtype: NumPy's result dtype (or error) and values."""
    fn = SCALAR_EXPRESSIONS[expression]
    check_cases({str(dtype): Case(fn, (_scalar_operand(dtype),), signed_zeros=True,
                                  rtol=4 * RTOL[dtype] if dtype.kind == "f" else None)
                 for dtype in ALL_DTYPES})


def test_numpy_scalar_operand_is_not_weak():
    """A NumPy scalar (np.float64(2.5), np.int64(3)) has a dtype and promotes like an array."""
    cases = {}
    for dtype in ALL_DTYPES:
        x = _scalar_operand(dtype)
        cases[f"{dtype} * np.float64"] = Case(lambda a: a * np.float64(2.5), (x,))
        cases[f"{dtype} + np.int64"] = Case(lambda a: a + np.int64(3), (x,))
        cases[f"np.float32 - {dtype}"] = Case(lambda a: np.float32(0.5) - a, (x,))
    check_cases(cases)


# -- operators between arrays --------------------------------------------------------------------

BINARY_OPERATORS = {
    "+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv,
    "//": operator.floordiv, "%": operator.mod, "**": operator.pow, "@": operator.matmul,
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


def _small_matrix(shape, dtype):
    values = np.arange(np.prod(shape)).reshape(shape) % 3
    return values.astype(dtype) if dtype.kind in "ub" else (values - 1).astype(dtype)


def _operator_case(symbol, dtype_x, dtype_y) -> Case:
    fn = BINARY_OPERATORS[symbol]
    ufunc = OPERATOR_UFUNC.get(symbol, np.add)
    x, y = fixed_values(ufunc, 0, dtype_x), fixed_values(ufunc, 1, dtype_y)
    if symbol == "@":  # small exact values: sums of 4 products stay exact and in range for every dtype
        x = _small_matrix((3, 4), dtype_x)
        y = _small_matrix((4, 2), dtype_y)
        return Case(fn, (x, y), rtol=0.0)
    case = ufunc_case(ufunc, x[:, None], y[None, :])
    return Case(fn, case.args, rtol=case.rtol, atol=case.atol, signed_zeros=True)


@pytest.mark.parametrize("symbol", BINARY_OPERATORS, ids=str)
def test_binary_operator(symbol):
    """`x op y` between arrays, same and mixed dtypes: NumPy's dtype, values or error."""
    check_cases({f"{a}-{b}": _operator_case(symbol, a, b) for a, b in DTYPE_PAIRS})


@pytest.mark.parametrize("symbol", UNARY_OPERATORS, ids=str)
def test_unary_operator(symbol):
    check_cases({str(dtype): Case(UNARY_OPERATORS[symbol], (fixed_values(np.add, 0, dtype),), signed_zeros=True)
                 for dtype in ALL_DTYPES})


# -- in-place operators: x op= y rebinds x, with NumPy's same_kind casting -------------------------

INPLACE_OPERATORS = {
    "+=": operator.iadd, "-=": operator.isub, "*=": operator.imul, "/=": operator.itruediv,
    "//=": operator.ifloordiv, "%=": operator.imod, "**=": operator.ipow,
    "&=": operator.iand, "|=": operator.ior, "^=": operator.ixor,
}
INPLACE_UFUNC = {"+=": np.add, "-=": np.subtract, "*=": np.multiply, "/=": np.divide, "//=": np.floor_divide,
                 "%=": np.remainder, "**=": np.power}
INPLACE_DTYPE_PAIRS = DTYPE_PAIRS + [(np.dtype(a), np.dtype(b)) for a, b in
                                     [(np.int8, np.int64), (np.float32, np.float64), (np.int32, np.float32)]]


def _inplace_fn(symbol):
    op = INPLACE_OPERATORS[symbol]

    def fn(x, y):
        alias = x
        x = op(x, y)
        # NumPy updates in place: the returned object is x itself, and other names of x see the update.
        return x, alias

    return fn


@pytest.mark.parametrize("symbol", INPLACE_OPERATORS, ids=str)
def test_inplace_operator(symbol):
    """x op= y for same and mixed dtypes (int8 += int64 wraps; int32 += float32 is NumPy's TypeError)."""
    ufunc = INPLACE_UFUNC.get(symbol, np.add)
    cases = {}
    for dtype_x, dtype_y in INPLACE_DTYPE_PAIRS:
        column = fixed_values(ufunc, 0, dtype_x)[:, None]
        x = np.broadcast_to(column, (len(column), 3)).copy()
        y = np.resize(fixed_values(ufunc, 1, dtype_y), 3)
        rtol = 4 * RTOL[x.dtype] if symbol == "**=" and x.dtype.kind == "f" else None
        cases[f"{dtype_x}-{dtype_y}"] = Case(_inplace_fn(symbol), (x, y), rtol=rtol, atol=rtol or 0.0, signed_zeros=True)
    check_cases(cases)


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


def test_inplace_broadcasting():
    """x += y broadcasts y into x; a result larger than x is NumPy's ValueError (non-broadcastable output)."""

    def fn(x, y):
        x += y
        return x

    check_cases({
        "y larger than x": Case(fn, (np.ones(3, np.float32), np.ones((2, 3), np.float32))),
        "y broadcast into x": Case(fn, (np.ones((2, 3), np.float32), np.arange(3, dtype=np.float32))),
        "0-d y": Case(fn, (np.ones((2, 3), np.int32), np.array(4, np.int32))),
    })


def test_inplace_casting_is_checked_before_shapes():
    """NumPy resolves the loop's dtypes (the output cast included) before it broadcasts: `uint8 (3,) += float64 (2,)`
    is its casting TypeError, not a shape ValueError (fuzz seed 2020, program 818, through a view)."""

    def through_a_view(x, y):
        x = np.copy(x)
        row = x[-1, -3]
        row += y
        return x

    def plain(x, y):
        x += y
        return x

    mismatched = (np.full((1, 4, 3), 129, np.uint8), np.array([16777217.0, 16777217.0]))
    for fn in (through_a_view, plain):
        with pytest.raises(TypeError, match="Cannot cast ufunc 'add' output") as numpy_raised:
            eager(fn, *mismatched)
        assert not isinstance(numpy_raised.value, ValueError)
        with pytest.raises(tracer.TracedTypeError, match=r"Cannot cast ufunc 'add' output .*float64.* to .*uint8"):
            tracer.jit(fn)(*mismatched)
    check_cases({  # (shapes that fit, or dtypes that fit: what NumPy does then)
        "bool += Python bool": Case(plain, (np.array([True, False]), True)),
        "int8 (3,) += int64 (2,)": Case(plain, (np.ones(3, np.int8), np.ones(2, np.int64))),
        "int32 += float scalar": Case(plain, (np.ones(3, np.int32), 2.5)),
    })


def test_inplace_scalars_keep_the_array_dtype():
    def fn(x):
        x += 1
        x *= 3
        x -= 100  # wraps in int8 exactly as NumPy does for arrays
        return x

    check_cases({
        "int8": Case(fn, (np.array([-128, 0, 100, 127], np.int8),)),
        "uint32": Case(fn, (np.array([0, 5, 2**32 - 1], np.uint32),)),
        "float16": Case(fn, (np.array([0.5, -1.5, 60000.0], np.float16),)),
    })


# -- integer division by a divisor XLA sees as zero while compiling ------------------------------

# Expressions in x, run eagerly here and compiled in a child process.
DIVISION_BY_CONSTANT_ZERO = [
    "np.ones_like(x) // np.zeros_like(x)", "np.ones_like(x) % np.zeros_like(x)",
    "np.fmod(np.ones_like(x), np.zeros_like(x))", "np.divmod(np.ones_like(x), np.zeros_like(x))",
    "(x - x) // (x - x)", "(x - x) % (x - x)", "x // (x * 0)", "np.reciprocal(x * 0)",
]
DIVISION_DTYPES = ["int8", "uint16", "int32", "uint64", "int64"]

_DIVISION_CHILD = """
import json, sys, numpy as np, tracer
expressions, dtypes = json.loads(sys.argv[2]), json.loads(sys.argv[3])
results = {}
for dtype in dtypes:
    x = np.arange(1, 4, dtype=dtype)
    for expression in expressions:
        for optimize in (True, False):
            out = tracer.jit(eval("lambda x: " + expression), optimize=optimize)(x)
            for i, part in enumerate(out if isinstance(out, tuple) else (out,)):
                results[f"{dtype}|{expression}|{optimize}|{i}"] = np.asarray(part)
np.savez(sys.argv[1], **results)
"""


def test_integer_division_by_constant_zero(tmp_path):
    """A divisor that is zero while XLA compiles (a constant, or `x - x` that XLA's simplifier makes one)
    gives NumPy's answer: XLA's constant folder divides on the host, and a zero divisor killed the process
    with SIGFPE. In a child process, so that a crash is this test's failure, with optimize on and off."""
    saved = tmp_path / "results.npz"
    child = run_isolated(_DIVISION_CHILD, str(saved), json.dumps(DIVISION_BY_CONSTANT_ZERO), json.dumps(DIVISION_DTYPES))
    assert child.returncode == 0, exit_status(child)
    results = np.load(saved)
    with np.errstate(all="ignore"):
        for dtype in DIVISION_DTYPES:
            x = np.arange(1, 4, dtype=dtype)
            for expression in DIVISION_BY_CONSTANT_ZERO:
                expected = eval("lambda x: " + expression)(x)
                for optimize in (True, False):
                    for i, part in enumerate(expected if isinstance(expected, tuple) else (expected,)):
                        actual = results[f"{dtype}|{expression}|{optimize}|{i}"]
                        assert actual.dtype == part.dtype, (dtype, expression, optimize)
                        np.testing.assert_array_equal(actual, part, err_msg=f"{dtype} {expression} optimize={optimize}")


def test_integer_power_wraps_like_numpy_for_any_exponent():
    """XLA's integer power gives up after six squarings (3 ** 65 came out 3); NumPy wraps through every bit."""
    exponents = np.array([0, 1, 2, 63, 64, 65, 127, 2 ** 31 - 1, 2 ** 31 + 1, 2 ** 40 + 5, 2 ** 62 + 3], np.int64)
    bases = np.resize(np.array([3, -3, 2, -1, 0, 7, -128, 5], np.int64), exponents.shape)
    cases = {"int64": Case(np.power, (bases, exponents))}
    for base_dtype, exponent_dtype in ((np.int8, np.uint32), (np.uint8, np.uint8), (np.uint64, np.uint64), (np.int32, np.int8)):
        info = np.iinfo(exponent_dtype)
        e = np.array([v for v in (0, 5, 100, 127, 200, 2 ** 31 + 1, 2 ** 63 + 7) if v <= info.max], exponent_dtype)
        b = np.resize(np.array([3, 2, 7, 0, 1], base_dtype), e.shape)
        cases[f"{np.dtype(base_dtype)} ** {np.dtype(exponent_dtype)}"] = Case(np.power, (b, e))
    check_cases(cases)
