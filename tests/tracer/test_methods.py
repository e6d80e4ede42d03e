"""ndarray methods and attributes of traced arrays beyond NumPy's functions (those are rows of
tests/tracer/tables/methods.py): in-place methods, byte sizes, copy.copy/deepcopy, and the errors of
methods that need values (item, tolist) or that the tracer lacks."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import tracer
from helpers import Case, check_cases

X = np.array([[3.0, -1.0, 2.0], [0.5, 5.0, -4.0]], np.float32)


def sort_and_fill_in_place(x):
    y = x.copy()
    row = y[1]
    row.sort()              # in place, through a view: y changes
    z = x.copy()
    z.fill(x[0, 0])
    column = z[:, 1]
    column.fill(-2)         # in place, through a view
    return y, row, z


def byte_sizes(x):
    return x.nbytes, x.itemsize, x.astype(np.float16).nbytes, x[0].nbytes


def copies(x):
    shallow, deep = copy.copy(x), copy.deepcopy(x)
    shallow[0, 0] = 100.0   # a copy: x is not changed
    deep += 1
    row = copy.copy(x[1])   # a copy of a view is no view
    row[:] = 0
    return x, shallow, deep, row


def test_in_place_methods_sizes_and_copies_as_numpy():
    check_cases({"sort and fill in place": Case(sort_and_fill_in_place, (X,)),
                 "byte sizes": Case(byte_sizes, (X,)),
                 "copies": Case(copies, (X,))})


@pytest.mark.parametrize("method", ["item", "tolist"])
def test_methods_that_need_values_say_so(method):
    def f(x):
        return getattr(x[0, 0], method)()  # value-method

    with pytest.raises(tracer.ConcretizationError, match=f"{method}\\(\\)") as info:
        tracer.jit(f)(X)
    assert "test_methods.py" in str(info.value) and "return it from the jit function" in str(info.value)


def test_a_missing_method_names_the_line():
    with pytest.raises(tracer.UnsupportedNumPyError, match="ndarray.tofile") as info:
        tracer.jit(lambda x: x.tofile("x.bin"))(X)
    assert "test_methods.py" in str(info.value)
    assert isinstance(info.value, AttributeError)  # so hasattr() is False, as for any missing attribute


def test_hasattr_of_missing_and_present_attributes():
    seen = {}

    def f(x):
        seen.update(tofile=hasattr(x, "tofile"), var=hasattr(x, "var"), interface=hasattr(x, "__array_interface__"),
                    unknown=hasattr(x, "no_such_attribute"))
        return x

    tracer.jit(f)(X)
    assert seen == {"tofile": False, "var": True, "interface": False, "unknown": False}
