"""Reductions traced vs NumPy eager: sum, prod, mean, max, min, any, all, their ndarray methods and
`ufunc.reduce`, over axis (None, int, negative, tuple), keepdims, dtype=, every dtype and empty arrays.

Float results may differ from NumPy's by the summation order (NumPy sums pairwise, XLA in a tree),
so sums and means are compared with the classic bound for any order, n * eps * sum(|x|).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from helpers import ALL_DTYPES, FLOAT_DTYPES, Case, check_cases, eager, xla_settings

# name -> (function taking the array and keyword arguments, which keywords it accepts)
REDUCTIONS = {
    "np.sum": (np.sum, {"dtype"}),
    "np.prod": (np.prod, {"dtype"}),
    "np.mean": (np.mean, {"dtype"}),
    "np.max": (np.max, set()),
    "np.min": (np.min, set()),
    "np.amax": (np.amax, set()),
    "np.any": (np.any, set()),
    "np.all": (np.all, set()),
    "x.sum": (lambda x, **kw: x.sum(**kw), {"dtype"}),
    "x.prod": (lambda x, **kw: x.prod(**kw), {"dtype"}),
    "x.mean": (lambda x, **kw: x.mean(**kw), {"dtype"}),
    "x.max": (lambda x, **kw: x.max(**kw), set()),
    "x.min": (lambda x, **kw: x.min(**kw), set()),
    "x.any": (lambda x, **kw: x.any(**kw), set()),
    "x.all": (lambda x, **kw: x.all(**kw), set()),
    "np.add.reduce": (np.add.reduce, {"dtype"}),
    "np.multiply.reduce": (np.multiply.reduce, {"dtype"}),
    "np.maximum.reduce": (np.maximum.reduce, {"dtype"}),
    "np.minimum.reduce": (np.minimum.reduce, {"dtype"}),
    "np.logical_or.reduce": (np.logical_or.reduce, set()),
    "np.logical_and.reduce": (np.logical_and.reduce, set()),
}
PRODUCTS = {"np.prod", "x.prod", "np.multiply.reduce"}
SUMS = {"np.sum", "x.sum", "np.add.reduce", "np.mean", "x.mean"}


def reduction_case(name, x, **kwargs) -> Case:
    """A Case for reduction `name` on x, with a tolerance that holds for any order of accumulation."""
    fn, accepted = REDUCTIONS[name]
    kwargs = {k: v for k, v in kwargs.items() if k in accepted or k in ("axis", "keepdims")}
    if kwargs.get("axis", 0) is _DEFAULT_AXIS:
        del kwargs["axis"]
    case = Case(lambda a: fn(a, **kwargs), (x,))
    try:
        result_dtype = eager(fn, x, **kwargs).dtype
    except (TypeError, ValueError, IndexError):
        return case  # NumPy raises: the tracer must raise alike, no tolerance needed
    if result_dtype.kind == "f":
        # Neither NumPy nor XLA promises float32 accumulation for float16 sums and products (they differ
        # by an ulp or two), so the bound uses the result dtype's eps.
        eps = float(np.finfo(result_dtype).eps)
        n = max(x.size, 1)
        case.rtol = 2 * n * eps if name in PRODUCTS else 2 * eps
        if name in SUMS:
            finite = np.abs(x[np.isfinite(x)].astype(np.float64)) if x.dtype.kind == "f" else np.abs(x.astype(np.float64))
            case.atol = 2 * n * eps * float(finite.sum())
    return case


_DEFAULT_AXIS = object()  # "axis not passed": np.sum reduces everything, ufunc.reduce axis 0


# -- drawn arrays, axes, keepdims, dtype= -----------------------------------------------------------

def _elements(dtype):
    if dtype == np.bool_:
        return st.booleans()
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        return st.integers(int(max(info.min, -100)), int(min(info.max, 100)))
    # |x| in [0.5, 1.375] keeps products of up to 27 elements finite in float16; nan and inf sometimes.
    # (Both bounds are exact in every float width, as hypothesis requires.)
    magnitude = st.floats(0.5, 1.375, width=dtype.itemsize * 8)
    signed = st.tuples(magnitude, st.booleans()).map(lambda m: -m[0] if m[1] else m[0])
    return st.one_of(signed, signed, signed, st.sampled_from([0.0, -0.0, np.nan, np.inf, -np.inf]))


@st.composite
def reduction_inputs(draw):
    dtype = draw(st.sampled_from(ALL_DTYPES))
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=3))
    x = draw(hnp.arrays(dtype, shape, elements=_elements(dtype)))
    ndim = len(shape)
    axis = draw(st.one_of(
        st.just(_DEFAULT_AXIS), st.none(),
        st.integers(-ndim, ndim - 1) if ndim else st.just(0),  # axis 0 of a 0-d array: NumPy's AxisError
        st.lists(st.integers(-ndim, ndim - 1), min_size=0, max_size=ndim, unique_by=lambda a: a % ndim).map(tuple)
        if ndim else st.just(()),
    ))
    keepdims = draw(st.booleans())
    result_dtype = draw(st.sampled_from([None, None, np.float32, np.float64, np.int64]))
    return x, axis, keepdims, result_dtype


@xla_settings(max_examples=40)
@given(reduction_inputs())
def test_reductions_match_numpy(inputs):
    """Every reduction of one drawn (array, axis, keepdims, dtype=), compiled together."""
    x, axis, keepdims, result_dtype = inputs
    kwargs = {"axis": axis, "keepdims": keepdims}
    nan_to_int = (x.dtype.kind == "f" or x.size == 0) and np.dtype(result_dtype or "f").kind in "iu"
    if result_dtype is not None and not nan_to_int:
        # (float -> int dtype= would cast nan/inf, and so would the 0/0 mean of an empty array: undefined in C)
        kwargs["dtype"] = result_dtype
    check_cases({name: reduction_case(name, x, **kwargs) for name in REDUCTIONS})


# -- every dtype, fixed cases ----------------------------------------------------------------------

def _sample(dtype, shape=(2, 3)):
    values = np.array([[3, 0, 1], [2, 5, 1]])
    return (values.astype(dtype) if np.dtype(dtype) != np.bool_ else values.astype(bool)).reshape(shape)


@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=str)
def test_result_dtypes_every_dtype(dtype):
    """Sum of int8 is int64, mean of ints is float64, max keeps the dtype ...: NumPy's rules, every axis form."""
    x = _sample(dtype)
    cases = {}
    for name in REDUCTIONS:
        for axis, keepdims in ((_DEFAULT_AXIS, False), (None, True), (-1, False), (0, True), ((0, 1), False)):
            cases[f"{name} axis={'default' if axis is _DEFAULT_AXIS else axis} keepdims={keepdims}"] = \
                reduction_case(name, x, axis=axis, keepdims=keepdims)
    check_cases(cases)


@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=str)
def test_dtype_argument(dtype):
    x = _sample(dtype)
    cases = {}
    for name, (_, accepted) in REDUCTIONS.items():
        if "dtype" not in accepted:
            continue
        for result_dtype in (np.int8, np.int32, np.uint32, np.float16, np.float32, np.float64, np.bool_):
            cases[f"{name} dtype={np.dtype(result_dtype)}"] = reduction_case(name, x, axis=0, dtype=result_dtype)
    check_cases(cases)


EMPTY_REDUCTIONS = ["np.sum", "np.prod", "np.mean", "np.max", "np.min", "np.any", "np.all", "np.add.reduce",
                    "np.maximum.reduce", "np.logical_and.reduce"]


@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=str)
def test_empty_arrays(dtype):
    """sum of empty is 0, prod 1, any False, all True, mean nan; max/min of empty raise ValueError in both."""
    cases = {}
    for shape in [(0,), (2, 0, 3)]:
        x = np.zeros(shape, dtype)
        for name in EMPTY_REDUCTIONS:
            for axis in (_DEFAULT_AXIS, None, 0, -1):
                cases[f"{name} shape={shape} axis={'default' if axis is _DEFAULT_AXIS else axis}"] = \
                    reduction_case(name, x, axis=axis)
    check_cases(cases)


@pytest.mark.parametrize("dtype", FLOAT_DTYPES, ids=str)
def test_max_min_propagate_nan(dtype):
    x = np.array([[1.0, np.nan, -np.inf], [np.inf, 2.0, -0.0], [np.nan, np.nan, np.nan], [-1.0, 0.0, 3.0]], dtype)
    cases = {}
    for name in ("np.max", "np.min", "x.max", "x.min", "np.maximum.reduce", "np.minimum.reduce", "np.sum", "np.mean", "np.prod"):
        for axis in (None, 0, 1):
            cases[f"{name} axis={axis}"] = reduction_case(name, x, axis=axis)
    check_cases(cases)


def test_large_integer_sums_are_exact():
    """int8/uint32 sums accumulate in int64/uint64 like NumPy's, so no wrap at the input width."""
    cases = {
        "int8 sum": reduction_case("np.sum", np.full((4, 50), 127, np.int8)),
        "uint32 sum": reduction_case("np.sum", np.full(5, 2**32 - 1, np.uint32), axis=0),
        "int64 sum wraps like NumPy": reduction_case("np.sum", np.array([2**62, 2**62, 2**62], np.int64)),
        "bool sum counts": reduction_case("np.sum", np.ones((3, 7), bool), axis=1),
        "int32 prod": reduction_case("np.prod", np.array([[1000, 1000, 1000]], np.int32), axis=1),
        "int8 prod dtype=int8 wraps": reduction_case("np.prod", np.array([16, 16, 3], np.int8), dtype=np.int8),
    }
    check_cases(cases)


@pytest.mark.parametrize("axis", [(0, 0), (1, -1), 2, -3, (0, 2)], ids=str)
def test_bad_axes_raise_like_numpy(axis):
    """Duplicate axes: ValueError; out of range: AxisError, which is a ValueError and an IndexError."""
    x = np.ones((2, 3), np.float32)
    check_cases({name: reduction_case(name, x, axis=axis) for name in REDUCTIONS})


def test_mean_of_float16_accumulates_in_float32():
    """NumPy computes float16 means in float32: 2048 + 1 + 1 + ... would stall at 2048 in float16."""
    x = np.concatenate([[2048.0], np.ones(1023)]).astype(np.float16).reshape(32, 32)
    check_cases({"mean": reduction_case("np.mean", x), "mean axis=1": reduction_case("np.mean", x, axis=1)})


def test_sum_tolerance_is_not_vacuous():
    """The sum bound n * eps * sum|x| is tight enough that an off-by-one-element sum would fail."""
    x = np.linspace(-1, 1, 24, dtype=np.float32).reshape(4, 6)
    case = reduction_case("np.sum", x, axis=1)
    assert case.atol < float(np.min(np.abs(x[x != 0]))), case.atol
    assert math.isclose(case.rtol, 2 * float(np.finfo(np.float32).eps))


def test_ufunc_reduce_of_0d_array():
    """NumPy's ufunc.reduce accepts a 0-d array with the default axis=0 (and axis=None) and returns it."""
    x = np.array(3.5, np.float32)
    check_cases({f"{name} axis={'default' if axis is _DEFAULT_AXIS else axis}": reduction_case(name, x, axis=axis)
                 for name in REDUCTIONS if name.endswith(".reduce") for axis in (_DEFAULT_AXIS, None)})
