"""lux.ops (LuxOps): each op against a direct per-element or slicing reference, eagerly and traced."""

from __future__ import annotations

import math
import operator

import numpy as np
import pytest

import lux
import tracer
from lux import ops
from lux.ops import LuxOps


def test_luxops_namespace_holds_the_functions():
    for name in ("xlogx", "xlogy", "istraining", "multigate", "rsqrt", "eachslice", "foldl_init", "getproperty"):
        assert getattr(LuxOps, name) is getattr(ops, name)
    assert lux.LuxOps is LuxOps and lux.xlogy is ops.xlogy


# -- xlogx / xlogy -------------------------------------------------------------------------------

def _xlogx(v):
    return 0.0 if v == 0 else v * math.log(v)


def _xlogy(a, b):
    if a == 0:
        return 0.0
    return a * math.log(b) if b > 0 else (a * -math.inf if b == 0 else math.nan)


X = np.array([0.0, 1e-30, 0.25, 0.5, 1.0, 2.0, 7.5])
Y = np.array([0.0, 0.0, 3.0, 0.5, 1e-5, np.inf, 2.0])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_xlogx_and_xlogy_eager_and_traced(dtype):
    x, y = X.astype(dtype), Y.astype(dtype)
    expected_x = [_xlogx(v) for v in x.astype(np.float64)]
    expected_y = [_xlogy(a, b) for a, b in zip(x.astype(np.float64), y.astype(np.float64))]
    with np.errstate(invalid="raise", divide="ignore"):  # zeros never form 0 * -inf (log(0) for x != 0 is -inf)
        eager = ops.xlogx(x), ops.xlogy(x, y)
    compiled = tracer.jit(lambda x, y: (ops.xlogx(x), ops.xlogy(x, y)))(x, y)
    rtol = 1e-6 if dtype == np.float32 else 1e-15
    for ours, expected in ((eager[0], expected_x), (eager[1], expected_y)):
        assert ours.dtype == dtype
        np.testing.assert_allclose(ours, expected, rtol=rtol)
    np.testing.assert_allclose(np.asarray(compiled[0]), eager[0], rtol=rtol)
    np.testing.assert_allclose(np.asarray(compiled[1]), eager[1], rtol=rtol)


def test_xlogy_is_zero_where_x_is_zero_whatever_y():
    y = np.array([0.0, np.nan, -1.0, np.inf])
    np.testing.assert_array_equal(ops.xlogy(np.zeros(4), y), np.zeros(4))
    assert ops.xlogy(np.array([0.0]), np.array([0.0]))[0] == 0 and ops.xlogx(np.array([0.0]))[0] == 0
    with np.errstate(invalid="ignore"):
        assert np.isnan(ops.xlogy(np.array([2.0]), np.array([-1.0]))[0])  # log of a negative stays NaN
    np.testing.assert_allclose(ops.xlogy(np.array([[1.0], [2.0]]), np.array([3.0, 4.0])),
                               [[math.log(3), math.log(4)], [2 * math.log(3), 2 * math.log(4)]])  # broadcasts


# -- istraining ----------------------------------------------------------------------------------

def test_istraining():
    assert ops.istraining({"training": True}) is True
    assert ops.istraining({"training": False}) is False
    assert ops.istraining({}) is False and ops.istraining({"rng": 1}) is False
    assert ops.istraining(True) is True and ops.istraining(np.bool_(False)) is False
    assert ops.istraining(None) is False
    st = {"training": True}
    assert ops.istraining(lux.testmode(st)) is False and ops.istraining(lux.trainmode({"training": False}))


def test_istraining_is_static_under_jit():
    f = tracer.jit(lambda x, st: x * 2 if ops.istraining(st) else x)  # a Python `if`: st's flag is static
    x = np.ones(3, np.float32)
    np.testing.assert_array_equal(np.asarray(f(x, {"training": True})), 2 * x)
    np.testing.assert_array_equal(np.asarray(f(x, {"training": False})), x)


# -- multigate -----------------------------------------------------------------------------------

def test_multigate_splits_the_last_axis():
    x = np.arange(2 * 12, dtype=np.float32).reshape(2, 12)
    gates = ops.multigate(x, 4)
    assert isinstance(gates, tuple) and len(gates) == 4
    for i, gate in enumerate(gates):
        np.testing.assert_array_equal(gate, x[:, 3 * i:3 * (i + 1)])
    vector = np.arange(6.0)
    assert [g.tolist() for g in ops.multigate(vector, 3)] == [[0, 1], [2, 3], [4, 5]]


def test_multigate_traced():
    x = np.random.default_rng(0).standard_normal((3, 2, 8)).astype(np.float32)
    compiled = tracer.jit(lambda x: ops.multigate(x, 2))(x)
    for ours, eager in zip(compiled, ops.multigate(x, 2)):
        np.testing.assert_array_equal(np.asarray(ours), eager)


def test_multigate_rejects_uneven_splits():
    with pytest.raises(ValueError, match="cannot split a last axis of size 10 into 4 equal gates"):
        ops.multigate(np.zeros((2, 10)), 4)


# -- rsqrt ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_rsqrt(dtype):
    x = np.array([0.25, 1.0, 2.0, 1e6, 0.0], dtype)
    expected = [1 / math.sqrt(v) if v else math.inf for v in x.astype(np.float64)]
    with np.errstate(divide="ignore"):
        eager = ops.rsqrt(x)
    assert eager.dtype == dtype
    np.testing.assert_allclose(eager, expected, rtol=1e-6 if dtype == np.float32 else 1e-15)
    np.testing.assert_allclose(np.asarray(tracer.jit(ops.rsqrt)(x)), eager, rtol=1e-6)


# -- eachslice -----------------------------------------------------------------------------------

@pytest.mark.parametrize("axis", [0, 1, 2, -1])
def test_eachslice(axis):
    x = np.arange(24.0).reshape(2, 3, 4)
    slices = ops.eachslice(x, axis)
    assert len(slices) == x.shape[axis]
    for i, s in enumerate(slices):
        np.testing.assert_array_equal(s, np.take(x, i, axis=axis))
    compiled = tracer.jit(lambda x: ops.eachslice(x, axis))(x)
    assert len(compiled) == len(slices)
    for ours, eager in zip(compiled, slices):
        np.testing.assert_array_equal(np.asarray(ours), eager)


def test_eachslice_rejects_bad_axes():
    with pytest.raises(ValueError, match="axis 3 is out of range for an array of 3 dimensions"):
        ops.eachslice(np.zeros((2, 3, 4)), 3)


# -- foldl_init ----------------------------------------------------------------------------------

def test_foldl_init_folds_from_the_left():
    assert ops.foldl_init(operator.sub, [1, 2, 3], 10) == ((10 - 1) - 2) - 3
    assert ops.foldl_init(operator.sub, [1, 2, 3]) == (1 - 2) - 3
    assert ops.foldl_init(lambda acc, v: acc + [v], (1, 2), []) == [1, 2]
    assert ops.foldl_init(operator.add, [], 5) == 5
    with pytest.raises(TypeError):
        ops.foldl_init(operator.add, [])  # no init, nothing to start from (as Julia's foldl)


def test_foldl_init_traced_over_arrays():
    xs = [np.full((2,), float(i), np.float32) for i in range(1, 4)]
    h0 = np.zeros((2,), np.float32)

    def run(xs, h0):
        return ops.foldl_init(lambda h, x: 0.5 * h + x, xs, h0)

    expected = 0.5 * (0.5 * (0.5 * 0 + 1) + 2) + 3
    np.testing.assert_allclose(run(xs, h0), expected)
    np.testing.assert_allclose(np.asarray(tracer.jit(run)(xs, h0)), expected)


def test_getproperty():
    assert ops.getproperty({"a": 1}, "a") == 1 and ops.getproperty({"a": 1}, "b") is None
    assert ops.getproperty(lux.Dense(2, 3), "out_dims") == 3 and ops.getproperty(lux.Dense(2, 3), "nope") is None
