"""Creation functions with traced values vs NumPy: linspace/logspace/geomspace edge cases, triangles,
meshgrid forms, vander, NumPy constants (zeros/eye/arange) mixed with traced values, and copyto."""

from __future__ import annotations

import ml_dtypes
import numpy as np
import pytest

import tracer
from helpers import Case, check_cases

X = np.arange(12, dtype=np.float32).reshape(3, 4)
S = np.float32(2.5)


def test_linspace_edge_cases():
    cases = {
        "weak Python stop keeps float32": Case(lambda a: np.linspace(a, 10, 7), (S,)),
        "endpoint=False": Case(lambda a: np.linspace(0, a, 4, endpoint=False), (S,)),
        "start == stop": Case(lambda a: np.linspace(a, a, 3, retstep=True), (S,)),
        "num=1 (step nan)": Case(lambda a: np.linspace(a, 5, 1, retstep=True), (S,)),
        "num=0": Case(lambda a: np.linspace(a, 5, 0), (S,)),
        "int start -> float64": Case(lambda a: np.linspace(a, 10, 7), (np.int32(2),)),
        "dtype=int floors": Case(lambda a: np.linspace(a, -7, 6, dtype=np.int32), (np.int32(2),)),
        "array ends, axis=1": Case(lambda a: np.linspace(a, 10, 5, axis=1), (np.arange(3.0),)),
        "broadcast ends, axis=-1": Case(lambda a: np.linspace(a, [[1], [2]], 3, axis=-1, retstep=True), (np.arange(3.0),)),
        "tiny delta": Case(lambda a: np.linspace(a, a + 1e-300, 3), (np.float64(0),)),
        "inf stop": Case(lambda a: np.linspace(a, np.inf, 3), (S,)),
        "negative num": Case(lambda a: np.linspace(a, 1, -1), (S,)),
        "logspace": Case(lambda a: (np.logspace(a, 3, 4), np.logspace(0, a, 3, base=2.0), np.logspace(a, 1, 3, dtype=np.float16)), (S,)),
        "logspace array base": Case(lambda a: np.logspace(a, [1, 2], 3, base=[2, 3], axis=1), (S,)),
        "geomspace": Case(lambda a: (np.geomspace(a, 100, 5), np.geomspace(-a, -1000, 4, endpoint=False),
                                     np.geomspace(a, 8, 3, dtype=np.float32), np.geomspace(a, 8, 1), np.geomspace(a, 8, 0)), (S,)),
        "geomspace array, axis=1": Case(lambda a: np.geomspace(a, 100, 4, axis=1), (np.array([1.0, 2.0]),)),
        "geomspace int8 to bfloat16": Case(lambda a, b: np.geomspace(a, b, 3), (np.array(3, np.int8),
                                                                         np.array(0.8, ml_dtypes.bfloat16))),
        # A zero end known while tracing is NumPy's ValueError (fuzz seed 2121, program 1137).
        "geomspace to a zero stop": Case(lambda a: np.geomspace(a, 0, 5), (np.array([177.25], np.float16),)),
        "geomspace from a zero start array": Case(lambda a: np.geomspace(np.array([1.0, 0.0]), a, 3), (S,)),
    }
    check_cases(cases)


def test_triangles_and_grids():
    v = np.arange(3, dtype=np.int8)
    cases = {
        "tril/triu k": Case(lambda a: (np.tril(a), np.tril(a, -1), np.triu(a), np.triu(a, 2), np.tril(a, 9)), (X,)),
        "stacked": Case(lambda a: (np.tril(a.reshape(3, 2, 2), 1), np.triu(a.reshape(3, 2, 2))), (X,)),
        "1-d becomes square": Case(lambda a: (np.tril(a), np.triu(a, 1)), (v,)),
        "0-d": Case(np.tril, (S,)),
        "meshgrid xy": Case(lambda a, b: np.meshgrid(a, b), (v, X[0])),
        "meshgrid ij": Case(lambda a, b: np.meshgrid(a, b, indexing="ij"), (v, X[0])),
        "meshgrid sparse 3": Case(lambda a, b: np.meshgrid(a, b, a, sparse=True), (v, X[0])),
        "meshgrid sparse no copy (a list)": Case(lambda a, b: np.meshgrid(a, b, sparse=True, copy=False), (v, X[0])),
        "meshgrid one and 2-d inputs": Case(lambda a: (np.meshgrid(a), np.meshgrid(a, X[:2, :2])), (v,)),
        "meshgrid bad indexing": Case(lambda a: np.meshgrid(a, indexing="yx"), (v,)),
        "vander": Case(lambda a: (np.vander(a), np.vander(a, 5, increasing=True), np.vander(a, 0), np.vander(a, 1)), (v,)),
        "vander wraps int64 like NumPy": Case(lambda a: np.vander(a, 40), (np.array([3, 7], np.int64),)),
        "vander 2-d": Case(np.vander, (X,)),
        "empty_like shape and dtype": Case(lambda a: np.zeros_like(np.empty_like(a, dtype=np.int8, shape=(2, 5))), (X,)),
    }
    check_cases(cases)


def test_numpy_constructors_mix_with_traced_values():
    """np.zeros/ones/eye/arange take no array: NumPy builds constants, traced arithmetic uses them."""
    check_cases({"constants": Case(lambda a: np.zeros((3, 4)) + a * np.eye(3, 4) + np.arange(4) - np.ones(4, np.int8), (X,))})


def test_copyto_into_traced_destination():
    def fill(a, mask):
        b = a.copy()
        np.copyto(b, 7)
        c = a.copy()
        np.copyto(c, np.arange(4), where=mask)
        d = a.copy()
        np.copyto(d, a * 2, where=a > 4)
        return b, c, d, a
    check_cases({"copyto": Case(fill, (X, np.array([True, False, True, False])))})


def test_copyto_refuses_unsafe_cast():
    def fill(a):
        b = np.zeros_like(a, dtype=np.int32)
        np.copyto(b, a)
        return b
    with pytest.raises(tracer.TracedTypeError, match="same_kind"):
        tracer.jit(fill)(X)


def test_copyto_into_traced_destination_with_unsafe_casting():
    def fill(a):
        b = np.zeros_like(a, dtype=np.int32)
        np.copyto(b, a, casting="unsafe")
        return b
    check_cases({"unsafe": Case(fill, (X,))})


def test_full_with_a_traced_fill_value():
    check_cases({"dtype": Case(lambda a: np.full((2, 2), a, dtype=np.float32), (S,)),
                 "its dtype": Case(lambda a: np.full(3, a[0]), (X,))})


_MADE_BEFORE = np.zeros(3)


def test_copyto_into_a_numpy_array_made_before_tracing_is_refused():
    """(One made inside the traced function takes the traced value: tests/tracer/test_created_arrays.py.)"""
    def fill(a):
        np.copyto(_MADE_BEFORE, a)
        return a
    with pytest.raises(tracer.UnsupportedNumPyError, match="broadcast_to"):
        tracer.jit(fill)(np.ones(3))
