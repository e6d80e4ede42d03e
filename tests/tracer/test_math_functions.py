"""Focused cases and error paths of tracer/numpy_api/math_functions.py (the drawn cases are in tables/math.py)."""

from __future__ import annotations

import numpy as np
import pytest

import tracer
from helpers import Case, check_cases
from tracer import errors


def test_round_ties_go_to_even_at_every_scale():
    x = np.array([0.5, 1.5, 2.5, -0.5, -2.5, 0.125, 0.375, 1.235, 2.675, 1250.0, 1350.0, -0.04, np.inf, np.nan])
    cases = {f"{np.dtype(d).name} decimals={k}": Case(lambda a, k=k: np.round(a, k), (x.astype(d),), signed_zeros=True)
             for d in (np.float16, np.float32, np.float64) for k in (-2, -1, 0, 1, 2, 3)}
    ints = np.array([-125, -25, -15, 0, 5, 15, 25, 35, 45], np.int32)
    cases |= {f"int32 decimals={k}": Case(lambda a, k=k: np.round(a, k), (ints,)) for k in (-2, -1, 0, 2)}
    cases["bool decimals=0 (float16, NumPy's rint)"] = Case(np.round, (np.array([True, False]),))
    cases["bool decimals=1 (TypeError)"] = Case(lambda a: np.round(a, 1), (np.array([True, False]),))
    # decimals is read with operator.index: a Python bool and np.int8 pass, np.bool and floats are NumPy's TypeError
    # (fuzz seed 2424, program 1277).
    for decimals in (True, np.int8(1), np.bool_(False), 1.0, np.float32(1)):
        cases[f"decimals={decimals!r}"] = Case(lambda a, d=decimals: np.around(a, d), (np.array([True]),))
        cases[f"float decimals={decimals!r}"] = Case(lambda a, d=decimals: np.round(a, d), (x,))
    check_cases(cases)


def test_nan_to_num_copy_false_writes_into_x():
    def fn(x):
        alias = x
        np.nan_to_num(x, copy=False, nan=-1.0)
        return x, alias

    check_cases({"float32": Case(fn, (np.array([np.nan, np.inf, -np.inf, 2.0], np.float32),)),
                 "float16 overflowing replacement": Case(lambda x: np.nan_to_num(x, nan=1e10), (np.array([np.nan], np.float16),))})


def test_isclose_with_python_scalars_and_int_min():
    check_cases({
        "scalar b": Case(lambda a: np.isclose(a, 1), (np.array([1.0, 1.00001, np.nan]),)),
        "scalar a": Case(lambda b: np.isclose(0.0, b, atol=0.1), (np.array([0.05, -0.2], np.float32),)),
        "int8 INT_MIN": Case(np.isclose, (np.array([-128, 127], np.int8), np.array([-128, -128], np.int8))),
        "inf == inf": Case(np.isclose, (np.array([np.inf, -np.inf, np.inf]), np.array([np.inf, -np.inf, -np.inf]))),
    })


def test_allclose_and_array_equal_are_traced_bools():
    """They return 0-d traced bools (jax.numpy's choice): usable in np.where, refused by `if`."""
    a = np.array([1.0, np.nan])
    check_cases({
        "allclose": Case(np.allclose, (a, a + 1e-9)),
        "allclose equal_nan": Case(lambda x, y: np.allclose(x, y, equal_nan=True), (a, a)),
        "array_equal shapes differ": Case(np.array_equal, (a, a[:1])),
        "array_equal int/float": Case(np.array_equal, (np.array([1, 2]), np.array([1.0, 2.0]))),
        "in where": Case(lambda x, y: np.where(np.allclose(x, y), x, y), (a, a)),
    })

    def branch(x):
        if np.allclose(x, 0.0):
            return x
        return -x

    with pytest.raises(errors.ConcretizationError):
        tracer.jit(branch)(a)


def test_interp_traced_samples_and_period():
    xp = np.array([0.0, 1.0, 1.0, 3.0])
    fp = np.array([0.0, 10.0, 20.0, np.inf])
    x = np.array([-1.0, 0.0, 0.5, 1.0, 2.0, 3.0, 4.0, np.nan])
    check_cases({
        "all traced": Case(np.interp, (x, xp, fp)),
        "static samples": Case(lambda v: np.interp(v, xp, fp, left=-1.0, right=np.nan), (x,)),
        "traced left": Case(lambda v, lo: np.interp(v, xp, fp, left=lo), (x, np.float64(-5.0))),
        "period": Case(lambda v, f: np.interp(v, [350.0, 10.0, 90.0, 180.0], f, period=-360), (np.array([-10.0, 0.0, 355.0, 725.0]),
                                                                                                 np.array([1.0, 2.0, 3.0, 4.0]))),
        "ints": Case(np.interp, (np.arange(5, dtype=np.int8), np.array([0, 2, 4]), np.array([1, 0, 1], np.int32))),
    })


def test_polyval_and_sinc_and_angle():
    check_cases({
        "polyval list": Case(lambda x: np.polyval([2, -3, 0.5], x), (np.array([0.0, 1.5, -2.0], np.float32),)),
        "polyval traced p": Case(np.polyval, (np.array([1, 2, 3], np.int8), np.array([[1], [2]], np.int8))),
        "sinc zero and ints": Case(np.sinc, (np.array([0, 1, 2, -3], np.int8),)),
        "sinc float16 zero": Case(np.sinc, (np.array([0.0, -0.0, 0.5], np.float16),)),
        "angle of -0.0": Case(np.angle, (np.array([-0.0, 0.0, -1.0, np.nan]),)),
    })


# -- errors ----------------------------------------------------------------------------------------

X = np.array([1.0, 2.0])


@pytest.mark.parametrize("fn, error, message", [
    (lambda x: np.round(x, 1, out=x), errors.UnsupportedNumPyError, "out= is not supported"),
    (lambda x: np.fix(x, out=x), errors.UnsupportedNumPyError, "out= is not supported"),
    (lambda x: np.isposinf(x, out=x), errors.UnsupportedNumPyError, "out= is not supported"),
    (lambda x: np.round(x, x[0].astype(int)), errors.ConcretizationError, "decimals must be a Python int"),
    (lambda x: np.isclose(x, x, equal_nan=x[0] > 0), errors.ConcretizationError, "equal_nan must be a Python bool"),
    (lambda x: np.isclose(x, 1j), errors.TracedTypeError, "complex128, which cannot be traced"),
    (lambda x: np.interp(x, x, x[:1]), errors.TracedShapeError, "fp and xp are not of the same length"),
    (lambda x: np.interp(x, x[:0], x[:0]), errors.TracedShapeError, "array of sample points is empty"),
    (lambda x: np.interp(x, np.ones((2, 2)), np.ones((2, 2))), errors.TracedShapeError, "1-D sequences"),
    (lambda x: np.interp(x, [0.0, 1.0], [0.0, 1.0], period=0), errors.TracedShapeError, "non-zero"),
    (lambda x: np.interp(x, x, x, period=1.0), errors.UnsupportedNumPyError, "xp and period must be constants"),
    (lambda x: np.polyval(x[0], x), errors.TracedShapeError, "sequence of coefficients"),
    (lambda x: np.round(x > 0, 2), errors.TracedTypeError, "Cannot cast ufunc 'multiply'"),
])
def test_clear_errors(fn, error, message):
    with pytest.raises(error, match=message):
        tracer.jit(fn)(X)


def test_numpy_raises_the_same_kinds():
    """The errors above are the kinds NumPy raises for the same mistakes (ValueError, TypeError)."""
    with pytest.raises(ValueError):
        np.interp(X, X, X[:1])
    with pytest.raises(ValueError):
        np.interp(X, [0.0, 1.0], [0.0, 1.0], period=0)
    with pytest.raises(TypeError):
        np.round(X > 0, 2)
