"""Arrays built from traced values: np.array / np.asarray of (nested) lists mixing traced values with numbers
and arrays, np.c_, np.r_, np.block, and functions given such lists (np.sum([a, b])); each against NumPy."""

from __future__ import annotations

import numpy as np
import pytest

import tracer
from helpers import Case, check_cases

X = np.arange(12, dtype=np.float32).reshape(3, 4) / 2 - 2
V = np.array([1.5, -2.0, 0.25], np.float32)
I = np.array([3, 1, 2], np.int8)


def lists_of_scalars(x):
    return (np.array([x.sum(), x.max()]), np.array([x[0, 0], 1.0, 2]), np.array([[x[0, 0], 1], [2, x[1, 1]]]),
            np.array([x.min(), 3], dtype=np.float64), np.array((x[0, 1], x[2, 2])), np.asarray([x[0, 0]] * 3))


def lists_of_arrays(x, v):
    return (np.array([x[0], x[1] * 2, np.ones(4, np.float32)]), np.array([v, [1, 2, 3]]),
            np.array([[x[0, :2], [0, 1]], [x[1, :2], x[2, :2]]]), np.asarray([v, v], dtype=np.float16),
            np.array([x], ndmin=4))


def numpy_promotion(i, v):
    """NumPy's rules: a Python float in a list is float64, an int8 traced value with Python ints stays int64."""
    return np.array([i[0], 1]), np.array([i[0], 1.5]), np.array([v[0], 2.0]), np.array([i, v]), np.array([i[1], True])


def asarray_and_copies(x):
    y = np.asarray(x)
    y[0, 0] = 100.0  # np.asarray(x) is x: the write shows in x
    z = np.array(x)
    z[1, 1] = -100.0  # np.array copies: it does not
    return x, y, z, np.asarray(x, dtype=np.float64), np.ascontiguousarray(x[0, 0]), np.asanyarray(x[1])


def functions_of_lists(x, v):
    a, b = x[0].sum(), x[1].max()
    return (np.sum([a, b]), np.mean([a, b, 1.0]), np.max([x[0], x[1]], axis=0), np.prod((a, 2.0)),
            np.dot([a, b], [1.0, 2.0]), np.linalg.norm([a, b]), np.std([x[0], x[2]]), np.average([a, b], weights=[1, 3]),
            np.concatenate([[a, b], [v[1]]]), np.stack([[a, b], [b, a]]), np.where(x > 0, [x[0, 0]] * 4, 0))


def concatenators(x, v):
    return (np.c_[np.ones(3, np.float32), x], np.r_[v, 0.0, x[0]], np.r_[x[0, 0], 1:3, v], np.c_[v, v * 2],
            np.r_["0,2", v, v], np.r_["-1", x, x], np.c_[x[:, :2], np.zeros((3, 1))])


def blocks(x, v):
    return (np.block([[x, x], [x, 2 * x]]), np.block([v, 1.0, v]), np.block([[x[:2, :2], np.eye(2)], [np.zeros((1, 2)), x[2:, 1:3]]]),
            np.block(x))


def full_of_a_traced_value(x, v):
    return np.full((2, 3), x[0, 0]), np.full(4, v[1], dtype=np.float64), np.full((2, 3), v)


def lists_assigned(x):
    out = np.zeros(4)
    out[:2] = [x[0, 0], x[1, 1] * 2]
    y = x.copy()
    y[0, 1:3] = (x[2, 0], 7.0)
    return out, y


CASES = {name: Case(fn, args) for name, fn, args in [
    ("lists assigned", lists_assigned, (X,)),
    ("lists of scalars", lists_of_scalars, (X,)),
    ("lists of arrays", lists_of_arrays, (X, V)),
    ("NumPy's promotion", numpy_promotion, (I, V)),
    ("asarray and copies", asarray_and_copies, (X,)),
    ("functions of lists", functions_of_lists, (X, V)),
    ("np.c_ and np.r_", concatenators, (X, V)),
    ("np.block", blocks, (X, V)),
    ("np.full", full_of_a_traced_value, (X, V)),
]}


def test_arrays_built_from_traced_values_as_numpy_builds_them():
    check_cases(CASES)


def test_a_loop_index_in_a_list_is_a_python_int():
    @tracer.jit
    @tracer.trace
    def f(x, n):
        total = np.zeros(2, np.float32)
        for i in range(n):
            total = total + np.array([i, 1], dtype=np.float32) * x[0, 0]
        return total

    np.testing.assert_allclose(np.asarray(f(X, np.int32(3))), np.array([3, 3], np.float32) * X[0, 0])


def test_ragged_lists_raise_as_in_numpy():
    with pytest.raises(ValueError, match="inhomogeneous"):
        tracer.jit(lambda x: np.array([x[0], x[0, :2]]))(X)


def test_blocks_of_mismatched_depth_raise_as_in_numpy():
    with pytest.raises(ValueError, match="depths are mismatched"):
        tracer.jit(lambda x: np.block([[x], x]))(X)
