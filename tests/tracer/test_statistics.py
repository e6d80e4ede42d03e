"""Statistics and cumulative ops traced vs NumPy: nan placement, ties, empty and size-1 axes, dtype=,
logsumexp's infinities, and every error path (with a message match)."""

from __future__ import annotations

import numpy as np
import pytest

import tracer
from helpers import Case, check_cases
from tracer.numpy_api.statistics import logsumexp

NAN_ROWS = np.array([[1.0, np.nan, 3.0, 3.0], [2.0, 2.0, -np.inf, 0.5], [np.nan, 5.0, np.nan, 5.0],
                     [-0.0, 0.0, np.inf, np.inf]], np.float32)


def test_argmax_argmin_ties_nans_and_shapes():
    """The first maximum wins, a nan wins over numbers (the first nan), keepdims and 0-d inputs work."""
    ties = np.array([[3, 1, 3], [7, 7, 0]], np.int8)
    flags = np.array([[False, True, True], [False, False, False]])
    cases = {}
    for fn in (np.argmax, np.argmin):
        for name, x in {"nan": NAN_ROWS, "ties": ties, "bool": flags, "uint": ties.astype(np.uint32)}.items():
            for axis in (None, 0, 1, -1):
                for keepdims in (False, True):
                    cases[f"{fn.__name__} {name} axis={axis} keepdims={keepdims}"] = \
                        Case(lambda a, fn=fn, axis=axis, keepdims=keepdims: fn(a, axis=axis, keepdims=keepdims), (x,))
        cases[f"{fn.__name__} 0-d axis 0"] = Case(lambda a, fn=fn: fn(a, axis=0), (np.float32(2),))
        cases[f"{fn.__name__} size-1 axis"] = Case(lambda a, fn=fn: fn(a, axis=1), (NAN_ROWS[:, :1],))
        cases[f"{fn.__name__} method-free min int"] = Case(lambda a, fn=fn: fn(a), (np.array([-128, 127, -128], np.int8),))
    check_cases(cases)


@pytest.mark.parametrize("fn", [np.argmax, np.argmin, np.nanargmax, np.nanargmin])
def test_arg_extreme_of_empty_raises(fn):
    with pytest.raises(tracer.TracedShapeError, match="empty sequence"):
        tracer.jit(lambda a: fn(a, axis=1))(np.zeros((2, 0), np.float32))


def test_nan_functions_ignore_nans():
    cases = {}
    for fn in (np.nansum, np.nanprod, np.nanmean, np.nanmax, np.nanmin, np.nanvar, np.nanstd):
        for axis in (None, 0, 1):
            cases[f"{fn.__name__} axis={axis}"] = Case(lambda a, fn=fn, axis=axis: fn(a, axis=axis), (NAN_ROWS,), rtol=1e-5)
        cases[f"{fn.__name__} ints"] = Case(lambda a, fn=fn: fn(a, axis=0), (np.array([[1, 2], [4, 8]], np.int32),), rtol=1e-12)
    for fn in (np.nanvar, np.nanstd):
        cases[f"{fn.__name__} ddof=2 (too few values: nan)"] = Case(lambda a, fn=fn: fn(a, axis=1, ddof=2), (NAN_ROWS,), rtol=1e-5)
    without_all_nan = NAN_ROWS[:2]
    for fn in (np.nanargmax, np.nanargmin):
        cases[f"{fn.__name__}"] = Case(lambda a, fn=fn: fn(a, axis=1), (without_all_nan,))
        cases[f"{fn.__name__} flat"] = Case(fn, (without_all_nan,))
    cases["nansum dtype"] = Case(lambda a: np.nansum(a, dtype=np.float64, keepdims=True), (NAN_ROWS,))
    check_cases(cases)


def test_nanargmax_of_an_all_nan_slice_is_minus_one():
    """NumPy raises ValueError here; a traced function cannot raise on data, so the slice is marked -1."""
    x = np.array([[np.nan, 2.0, np.nan], [np.nan, np.nan, np.nan], [-1.0, np.nan, -1.0]], np.float32)
    result = tracer.jit(lambda a: (np.nanargmax(a, axis=1), np.nanargmin(a, axis=1)))(x)
    np.testing.assert_array_equal(np.asarray(result[0]), [1, -1, 0])
    np.testing.assert_array_equal(np.asarray(result[1]), [1, -1, 0])


def test_var_std_ddof_dtype_and_small_counts():
    x = np.array([[1, 2, 4], [3, 3, 3]], np.int16)
    cases = {}
    for fn in (np.var, np.std):
        for ddof in (0, 1, 3, 4):
            cases[f"{fn.__name__} ddof={ddof}"] = Case(lambda a, fn=fn, ddof=ddof: fn(a, axis=1, ddof=ddof), (x,))
        for dtype in (np.float32, np.float16):
            cases[f"{fn.__name__} dtype={dtype.__name__}"] = Case(lambda a, fn=fn, dtype=dtype: fn(a, dtype=dtype), (x,), rtol=2e-3)
        cases[f"{fn.__name__} empty"] = Case(lambda a, fn=fn: fn(a, axis=0), (np.zeros((0, 3), np.float32),))
        cases[f"{fn.__name__} float16"] = Case(lambda a, fn=fn: fn(a, axis=(0, 1)), (x.astype(np.float16),), rtol=2e-3)
    check_cases(cases)


def test_ptp_average_count_nonzero():
    x = np.array([[1.5, -2.0, 0.0], [3.0, 0.0, 0.0]], np.float64)
    w = np.array([1.0, 2.0, 3.0])
    cases = {
        "ptp int8 wraps like NumPy": Case(lambda a: np.ptp(a, axis=0), (np.array([[-100, 100]], np.int8).T,)),
        "ptp bool raises": Case(np.ptp, (np.array([True, False]),)),
        "average weights along axis": Case(lambda a: np.average(a, axis=1, weights=w, returned=True), (x,)),
        "average weights 2-d axis": Case(lambda a: np.average(a, axis=(1, 0), weights=np.ones((3, 2)), keepdims=True), (x,)),
        "average int weights": Case(lambda a: np.average(a, axis=0, weights=np.array([1, 3])), (x.astype(np.int32),)),
        "average returned": Case(lambda a: np.average(a, axis=0, returned=True), (x,)),
        "average bad weight shape": Case(lambda a: np.average(a, axis=1, weights=np.ones(2)), (x,)),
        "average weights no axis": Case(lambda a: np.average(a, weights=w), (x,)),
        "count_nonzero": Case(lambda a: (np.count_nonzero(a), np.count_nonzero(a, axis=1, keepdims=True)), (x,)),
    }
    check_cases(cases)


def test_average_of_empty_result_raises():
    with pytest.raises(tracer.TracedShapeError, match="division by zero"):
        tracer.jit(lambda a: np.average(a, axis=0))(np.zeros((2, 0)))


@pytest.mark.parametrize("fn", [np.var, np.std, np.nanvar, np.argmax, np.nansum, np.nanmax, np.ptp])
def test_out_is_refused(fn):
    with pytest.raises(tracer.UnsupportedNumPyError, match="out"):
        tracer.jit(lambda a: fn(a, out=a))(np.ones(3))


def test_var_mean_argument_is_refused():
    with pytest.raises(tracer.UnsupportedNumPyError, match="mean"):
        tracer.jit(lambda a: np.var(a, mean=np.mean(a)))(np.ones(3))


# -- logsumexp -------------------------------------------------------------------------------------

def _reference_logsumexp(x, axis=None, keepdims=False):
    """The definition in float64 with Python's math (no max shift), as the independent answer."""
    with np.errstate(all="ignore"):
        return np.log(np.sum(np.exp(np.asarray(x, np.float64)), axis=axis, keepdims=keepdims))


def test_logsumexp_is_stable_and_handles_infinities():
    x = np.array([[1000.0, 1000.0, -np.inf], [-np.inf, -np.inf, -np.inf], [np.inf, 1.0, 2.0], [np.nan, 1.0, 0.0]])
    result = np.asarray(tracer.jit(lambda a: logsumexp(a, axis=1))(x))
    np.testing.assert_allclose(result, [1000.0 + np.log(2.0), -np.inf, np.inf, np.nan])
    eager = logsumexp(x, axis=1)  # the same function runs on NumPy arrays
    np.testing.assert_allclose(eager, result)


@pytest.mark.parametrize(("axis", "keepdims"), [(None, False), (None, True), (0, False), (-1, True), ((0, 1), False)])
def test_logsumexp_matches_definition(axis, keepdims):
    x = np.linspace(-3, 3, 12, dtype=np.float32).reshape(3, 4)
    result = np.asarray(tracer.jit(lambda a: logsumexp(a, axis=axis, keepdims=keepdims))(x))
    expected = _reference_logsumexp(x, axis=axis, keepdims=keepdims)
    assert result.dtype == np.float32 and result.shape == expected.shape
    np.testing.assert_allclose(result, expected, rtol=1e-6)


# -- cumulative ------------------------------------------------------------------------------------

def test_cumulative_dtypes_axes_and_nans():
    x = np.array([[1.0, np.nan, 3.0, np.inf], [2.0, -np.inf, np.inf, 0.5]], np.float32)
    ints = np.array([[100, 100, 100], [-128, 1, 2]], np.int8)
    cases = {}
    for fn in (np.cumsum, np.cumprod, np.nancumsum, np.nancumprod):
        for axis in (None, 0, 1, -1):
            cases[f"{fn.__name__} axis={axis}"] = Case(lambda a, fn=fn, axis=axis: fn(a, axis=axis), (x,))
        for dtype in (None, np.int8, np.uint8, np.float16, np.bool_):
            cases[f"{fn.__name__} int8 dtype={dtype}"] = Case(lambda a, fn=fn, dtype=dtype: fn(a, axis=1, dtype=dtype), (ints,))
        cases[f"{fn.__name__} bool"] = Case(fn, (np.array([True, False, True]),))
        cases[f"{fn.__name__} 0-d"] = Case(lambda a, fn=fn: fn(a, axis=0), (np.float32(3),))
        cases[f"{fn.__name__} empty"] = Case(lambda a, fn=fn: fn(a, axis=0), (np.zeros((0, 2), np.int32),))
    cases["cumsum long axis"] = Case(lambda a: np.cumsum(a, axis=0), (np.arange(300, dtype=np.int64).reshape(100, 3),))
    cases["diff bool"] = Case(np.diff, (np.array([True, True, False]),))
    cases["diff n too big"] = Case(lambda a: np.diff(a, n=4), (ints,))
    cases["diff prepend array"] = Case(lambda a: np.diff(a, axis=0, prepend=a[:1], append=[[0, 0, 0]]), (ints,))
    cases["ediff1d to_end array"] = Case(lambda a: np.ediff1d(a, to_end=np.array([1.5, 2.5]), to_begin=-1), (x,))
    cases["ediff1d unsafe to_begin"] = Case(lambda a: np.ediff1d(a, to_begin=np.array([1.5])), (ints,))
    cases["trapezoid x 1-d"] = Case(lambda a: np.trapezoid(a, x=np.array([0.0, 0.5, 2.0]), axis=1), (ints,))
    cases["trapezoid dx"] = Case(lambda a: np.trapezoid(a, dx=0.25, axis=0), (ints,))
    cases["diff 0-d raises"] = Case(np.diff, (np.float32(1),))
    check_cases(cases)


def test_diff_negative_order_raises():
    with pytest.raises(tracer.TracedShapeError, match="order must be non-negative"):
        tracer.jit(lambda a: np.diff(a, n=-1))(np.ones(3))


def test_cumsum_out_is_refused():
    with pytest.raises(tracer.UnsupportedNumPyError, match="out"):
        tracer.jit(lambda a: np.cumsum(a, out=a))(np.ones(3))


def test_cumsum_is_a_log_depth_scan():
    """ceil(log2 n) shifted adds, not n: the module stays small for long axes."""
    text = tracer.compile(np.cumsum, tracer.ArraySpec((1000,), np.float32)).as_text("traced")
    assert text.count("stablehlo.pad") == 10


def test_nan_statistics_refuse_an_integer_dtype_for_floats():
    x = np.array([[-3.0, np.nan]], np.float32)
    ints = np.array([[1, 2]], np.int32)
    for fn in (np.nanmean, np.nanvar, np.nanstd):
        with pytest.raises(TypeError, match="dtype must be inexact"):
            fn(x, dtype=np.uint8)
        with pytest.raises(tracer.TracedTypeError, match="dtype must be inexact"):
            tracer.jit(lambda a, fn=fn: fn(a, dtype=np.uint8))(x)
    cases = {f"{fn.__name__} of ints, dtype=int16": Case(lambda a, fn=fn: fn(a, dtype=np.int16), (ints,))
             for fn in (np.nanmean, np.nanvar, np.nanstd, np.std)}
    # std with an integer dtype= writes the root back into it: one result truncates, an array of them cannot be cast
    cases.update({f"{fn.__name__} of ints, axis=1, dtype=int16": Case(lambda a, fn=fn: fn(a, axis=1, dtype=np.int16),
                                                                      (ints,)) for fn in (np.nanstd, np.std)})
    check_cases(cases)


def test_order_statistics_of_nothing_and_integer_q():
    """NumPy's median of an empty axis is nan (the mean of nothing, with a warning), its nanquantile of an empty array
    is the array's nanmean (whatever q), its quantile raises IndexError; an integer q (0 or 1) keeps an integer array's
    dtype in the linear method (no interpolation)."""
    empty, empty_rows = np.zeros(0, np.float32), np.zeros((0, 3), np.int32)
    ints, floats = np.array([[-17, 4, 9]], np.int64), np.array([[1.5, np.nan, -2.0]], np.float32)
    cases = {
        "median of nothing": Case(np.median, (empty,)),
        "nanmedian of nothing": Case(np.nanmedian, (empty,)),
        "median of empty columns, keepdims": Case(lambda a: np.median(a, axis=0, keepdims=True), (empty_rows,)),
        "median of no columns": Case(lambda a: np.median(a, axis=0), (np.zeros((2, 0)),)),
        "nanquantile of nothing, q a list": Case(lambda a: np.nanquantile(a, [0.2, 0.5]), (empty,)),
        "nanpercentile of empty columns": Case(lambda a: np.nanpercentile(a, 50, axis=0), (empty_rows,)),
        "nanpercentile of an empty array, axis not empty": Case(lambda a: np.nanpercentile(a, [73.42, 5.01], axis=-2),
                                                                (np.zeros((0, 1, 3), np.float32),)),
        "quantile of nothing raises": Case(lambda a: np.quantile(a, 0.5), (empty,)),
        "percentile of nothing raises": Case(lambda a: np.percentile(a, 5), (empty_rows,)),
    }
    for q in (0, 1, True, [0, 1], np.array([1, 0], np.uint8)):
        cases[f"quantile of ints, q={q!r}"] = Case(lambda a, q=q: np.quantile(a, q, axis=1), (ints,))
        cases[f"nanquantile of floats, q={q!r}"] = Case(lambda a, q=q: np.nanquantile(a, q), (floats,))
    cases["percentile of ints, q=100 (a float rank)"] = Case(lambda a: np.percentile(a, 100), (ints,))
    check_cases(cases)
