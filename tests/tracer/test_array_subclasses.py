"""ndarray subclasses whose meaning traced code would drop are refused with an error naming the line:
an np.matrix's `*` came out elementwise and a masked array's sum counted its masked elements (6.0 where
NumPy says 4.0). Other subclasses keep ndarray's arithmetic and trace as arrays."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

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


class Tagged(np.ndarray):
    """A subclass that keeps ndarray's arithmetic (as most do)."""


def test_other_subclasses_trace_as_arrays():
    x = np.arange(4.0).view(Tagged)
    np.testing.assert_array_equal(np.asarray(tracer.jit(lambda a: a * a)(x)), np.arange(4.0) ** 2)
