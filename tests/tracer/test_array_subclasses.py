"""ndarray subclasses whose meaning traced code would drop are refused with an error naming the line:
an np.matrix's `*` came out elementwise and a masked array's sum counted its masked elements (6.0 where
NumPy says 4.0). Other subclasses keep ndarray's arithmetic and trace as arrays."""

from __future__ import annotations

import inspect
import warnings

import numpy as np
import pytest

import runtime
import tracer

with warnings.catch_warnings():
    warnings.simplefilter("ignore", PendingDeprecationWarning)  # (NumPy discourages np.matrix; users still have them)
    MATRIX = np.matrix([[1.0, 2.0], [3.0, 4.0]])
MASKED = np.ma.array([1.0, 2.0, 3.0], mask=[False, True, False])
X = np.ones((2, 2))


@pytest.mark.parametrize("call", [
    lambda: tracer.jit(lambda m: m * m)(MATRIX),                 # an argument
    lambda: tracer.compile(lambda m: m.sum(), MATRIX),
    lambda: tracer.jit(lambda a: a + MATRIX)(X),                 # a constant the function reads
    lambda: tracer.jit(lambda a: MATRIX * a)(X),                 # the matrix on the left of an operator
    lambda: tracer.jit(lambda t: t["m"] @ t["m"])({"m": MATRIX}),  # inside a pytree
], ids=["argument", "compile", "constant", "left operand", "pytree leaf"])
def test_a_matrix_is_refused(call):
    with pytest.raises(tracer.TracedTypeError, match=r"test_array_subclasses.py:\d+: an np.matrix cannot be traced"
                                                     r"(.|\n)*fix: pass np.asarray\(m\) and write matrix products with @"):
        call()


@pytest.mark.parametrize("call", [
    lambda: tracer.jit(lambda m: m.sum())(MASKED),
    lambda: tracer.jit(lambda a: a[0, :1] + MASKED)(X),
], ids=["argument", "constant"])
def test_a_masked_array_is_refused(call):
    assert MASKED.sum() == 4.0  # what NumPy says, and what ignoring the mask would not
    with pytest.raises(tracer.TracedTypeError, match=r"test_array_subclasses.py:\d+: a masked array \(np.ma\) cannot be "
                                                     r"traced: its mask would be ignored"):
        call()


V = np.array([1.0, 2.0, 3.0])
MASK = np.array([False, True, False])


@pytest.mark.parametrize("make", [
    lambda v: np.ma.array(v, mask=MASK).sum(),
    lambda v: np.ma.masked_array(v, mask=MASK).sum(),
    lambda v: np.ma.masked_where(v > 1.5, v).sum(),     # (makes its result by a view, not the constructor)
    lambda v: np.ma.masked_invalid(v).sum(),
    lambda v: np.ma.sum(v),                             # np.ma's functions convert their argument first
    lambda v: np.ma.array(V, mask=v > 1.5).sum(),       # a traced mask
], ids=["ma.array", "ma.masked_array", "ma.masked_where", "ma.masked_invalid", "ma.sum", "traced mask"])
def test_a_masked_array_made_from_traced_values_is_refused(make):
    """NumPy's constructor failed in ndarray.view with a bare TypeError naming no line of the user's."""
    assert np.ma.array(V, mask=MASK).sum() == 4.0  # NumPy's answer, which tracing would not keep
    with pytest.raises(tracer.TracedTypeError, match=r"test_array_subclasses.py:\d+: a masked array \(np.ma\) cannot be "
                                                     r"traced(.|\n)*fix: keep the data and the mask as two arrays"):
        tracer.jit(make)(V)


@pytest.mark.parametrize("make", [lambda a: np.asmatrix(a) * a, lambda a: np.matrix(a) ** 2],
                         ids=["asmatrix", "matrix"])
def test_a_matrix_made_from_traced_values_is_refused(make):
    with pytest.raises(tracer.TracedTypeError, match=r"test_array_subclasses.py:\d+: an np.matrix cannot be traced"
                                                     r"(.|\n)*fix: keep the plain array and write matrix products with @"):
        tracer.jit(make)(X)


@pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")  # (np.asmatrix's)
def test_numpy_keeps_its_constructors_outside_tracing():
    tracer.jit(lambda a: a + 1)(X)  # (the constructors are replaced while tracing, and put back after)
    assert np.ma.array(V, mask=MASK).sum() == 4.0
    np.testing.assert_array_equal(np.asarray(np.asmatrix(X) * np.asmatrix(X)), X @ X)
    assert isinstance(inspect.getattr_static(np.ma.MaskedArray, "__new__"), staticmethod)


def test_a_masked_array_cannot_go_to_a_device():
    """runtime.to_device(a) read np.asarray(a), the data without its mask: a compiled sum then gave 6.0."""
    with pytest.raises(runtime.UnsupportedDtypeError, match=r"test_array_subclasses.py:\d+: cannot put a masked array "
                                                            r"\(np.ma\) on a device: its mask would be dropped"):
        runtime.to_device({"x": MASKED})


class Tagged(np.ndarray):
    """A subclass that keeps ndarray's arithmetic (as most do)."""


def test_other_subclasses_trace_as_arrays():
    x = np.arange(4.0).view(Tagged)
    np.testing.assert_array_equal(np.asarray(tracer.jit(lambda a: a * a)(x)), np.arange(4.0) ** 2)
