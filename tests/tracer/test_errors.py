"""Error paths of tracing and calling compiled code.

Each test asserts the exception type (and the builtin it must also be, as NumPy
would raise), that the message starts at *this file's* offending line, and that it
ends with a `fix:` hint. The offending lines end with a `# <marker>` comment;
`line_of(marker)` finds their number, so editing this file never breaks the checks.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import runtime
import tracer

THIS_FILE = os.path.basename(__file__)
X = np.arange(6, dtype=np.float32).reshape(2, 3)


def line_of(marker: str) -> int:
    for number, text in enumerate(Path(__file__).read_text().splitlines(), 1):
        if text.rstrip().endswith(f"# {marker}"):
            return number
    raise LookupError(marker)


def assert_points_at(error: BaseException, marker: str, *, fix: bool = True) -> str:
    """The message names this file and the marked line, and (by default) gives a fix."""
    message = str(error)
    where = f"{THIS_FILE}:{line_of(marker)}:"
    assert message.split(" ", 1)[0].endswith(where), f"expected the message to start at {where!r}:\n{message}"
    if fix:
        assert "\n  fix: " in message, f"expected a 'fix:' hint in:\n{message}"
    return message


# --------------------------------------------------------------------------- concretization


def test_python_if_on_traced_value():
    def f(x):
        if x.sum() > 0:  # if-traced
            return x
        return -x

    with pytest.raises(tracer.ConcretizationError) as info:
        tracer.jit(f)(X)
    assert isinstance(info.value, TypeError)
    message = assert_points_at(info.value, "if-traced")
    assert "np.where" in message


def test_bool_of_traced_value():
    def f(x):
        flag = bool(x[0, 0])  # bool-traced
        return x if flag else -x

    with pytest.raises(tracer.ConcretizationError) as info:
        tracer.jit(f)(X)
    assert isinstance(info.value, TypeError)
    assert_points_at(info.value, "bool-traced")


@pytest.mark.parametrize("shape", [(0,), (3,), (2, 0)], ids=["empty", "three elements", "2x0"])
def test_bool_of_a_traced_array_not_one_element_is_numpys_error_whatever_its_values(shape):
    # The size is known while tracing, so the answer is NumPy's own (fuzz seed 2525, program 7311:
    # np.linalg.svd(x, full_matrices=<an empty array>)), not a concretization error.
    def f(x):
        return x if x else -x  # bool-of-array

    x = np.ones(shape, np.float32)
    with pytest.raises(ValueError) as numpy_error:
        f(x)
    with pytest.raises(ValueError) as ours:
        tracer.jit(f)(x)
    assert not isinstance(ours.value, tracer.ConcretizationError)
    assert str(numpy_error.value) in str(ours.value)
    assert_points_at(ours.value, "bool-of-array")


def test_float_of_traced_value():
    def f(x):
        return x * float(x.sum())  # float-traced

    with pytest.raises(tracer.ConcretizationError) as info:
        tracer.jit(f)(X)
    assert isinstance(info.value, TypeError)
    assert "float()" in assert_points_at(info.value, "float-traced")


def test_int_of_traced_value():
    def f(x):
        n = int(x.max())  # int-traced
        return x[:n]

    with pytest.raises(tracer.ConcretizationError) as info:
        tracer.jit(f)(X)
    assert isinstance(info.value, TypeError)
    assert "int()" in assert_points_at(info.value, "int-traced")


_MADE_BEFORE = np.zeros(3)


def test_traced_value_written_into_a_numpy_array_made_before_tracing():
    """Arrays made inside the traced function take traced values (test_created_arrays.py); a global cannot."""
    def f(x):
        _MADE_BEFORE[:] = x[0]  # write-into-global
        return x

    with pytest.raises(tracer.ConcretizationError) as info:
        tracer.jit(f)(X)
    assert isinstance(info.value, TypeError)
    assert_points_at(info.value, "write-into-global")
    assert "make that array inside the traced function" in str(info.value)


def test_traced_value_as_python_index():
    def f(x, i):
        return [10.0, 20.0, 30.0][i]  # index-traced

    with pytest.raises(tracer.ConcretizationError) as info:
        tracer.jit(f)(X, np.int32(1))
    assert isinstance(info.value, TypeError)
    assert_points_at(info.value, "index-traced")


# --------------------------------------------------------------------------- shapes


def test_matmul_shape_mismatch_names_both_shapes():
    def f(x, y):
        return x @ y  # matmul-mismatch

    y = np.ones((2, 4), np.float32)
    with pytest.raises(ValueError) as numpy_info:  # NumPy's verdict on the same shapes
        X @ y
    with pytest.raises(tracer.TracedShapeError) as info:
        tracer.jit(f)(X, y)
    assert isinstance(info.value, ValueError)
    assert type(numpy_info.value) is ValueError
    message = assert_points_at(info.value, "matmul-mismatch")
    assert "(2, 3)" in message and "(2, 4)" in message


def test_broadcast_mismatch_in_add_names_both_shapes():
    def f(x, y):
        z = x * 2
        return z + y  # add-mismatch

    y = np.ones(4, np.float32)
    with pytest.raises(ValueError, match="could not be broadcast"):
        X + y
    with pytest.raises(tracer.TracedShapeError) as info:
        tracer.jit(f)(X, y)
    message = assert_points_at(info.value, "add-mismatch")
    assert "(2, 3)" in message and "(4,)" in message


def test_reshape_to_wrong_size():
    def f(x):
        return x.reshape(4, 2)  # bad-reshape

    with pytest.raises(ValueError):
        X.reshape(4, 2)
    with pytest.raises(tracer.TracedShapeError) as info:
        tracer.jit(f)(X)
    assert "(4, 2)" in assert_points_at(info.value, "bad-reshape")


# --------------------------------------------------------------------------- unsupported NumPy


def test_unsupported_function_fft_names_it():
    def f(x):
        return np.fft.fft(x)  # fft

    with pytest.raises(tracer.UnsupportedNumPyError) as info:
        tracer.jit(f)(X)
    assert isinstance(info.value, NotImplementedError)
    message = assert_points_at(info.value, "fft")
    assert "numpy.fft.fft" in message


def test_unsupported_function_tensorinv_names_it():
    def f(x):
        y = np.linalg.tensorinv(x)  # tensorinv
        return y

    with pytest.raises(tracer.UnsupportedNumPyError) as info:
        tracer.jit(f)(np.eye(3))
    assert isinstance(info.value, NotImplementedError)
    message = assert_points_at(info.value, "tensorinv")
    assert "numpy.linalg.tensorinv" in message


def test_unsupported_ufunc_method_names_it():
    def f(x):
        return np.add.accumulate(x, axis=0)  # accumulate

    with pytest.raises(tracer.UnsupportedNumPyError) as info:
        tracer.jit(f)(X)
    assert "numpy.add.accumulate" in assert_points_at(info.value, "accumulate")


def test_unsupported_ufunc_where_argument():
    def f(x):
        return np.exp(x, where=x > 1)  # ufunc-where

    with pytest.raises(tracer.UnsupportedNumPyError) as info:
        tracer.jit(f)(X)
    assert "where" in assert_points_at(info.value, "ufunc-where")


def test_unsupported_names_are_listed_in_numpy_coverage():
    coverage = tracer.numpy_coverage()
    assert "numpy.add" in coverage and "numpy.sum" in coverage and "numpy.matmul" in coverage
    assert "numpy.fft.fft" not in coverage and "numpy.unique" not in coverage  # (unique is refused, with a fix)
    assert coverage == sorted(coverage)


# --------------------------------------------------------------------------- signatures


def test_compiled_called_with_another_shape():
    compiled = tracer.compile(lambda x, y: x + y, X, X)
    with pytest.raises(tracer.SignatureMismatchError) as info:
        compiled(X, X[:1])  # other-shape
    assert isinstance(info.value, TypeError)
    message = assert_points_at(info.value, "other-shape")
    assert "x: f32[2,3], y: f32[2,3]" in message
    assert "x: f32[2,3], y: f32[1,3]" in message


def test_compiled_called_with_another_dtype_and_structure():
    compiled = tracer.compile(lambda x: x * 2, X)
    with pytest.raises(tracer.SignatureMismatchError) as info:
        compiled(X.astype(np.int32))  # other-dtype
    message = assert_points_at(info.value, "other-dtype")
    assert "f32[2,3]" in message and "i32[2,3]" in message
    with pytest.raises(tracer.SignatureMismatchError) as info:
        compiled((X, X))  # other-tree
    assert_points_at(info.value, "other-tree")


# --------------------------------------------------------------------------- escaped tracers

LEAKED = []


def _leak_a_tracer():
    def leaky(x):
        LEAKED.append(x)
        return x + 1

    LEAKED.clear()
    np.testing.assert_array_equal(np.asarray(tracer.jit(leaky)(X)), X + 1)
    return LEAKED[0]


def test_escaped_tracer_used_in_a_later_trace():
    leaked = _leak_a_tracer()

    def later(y):
        return y + leaked  # escaped-add

    with pytest.raises(tracer.EscapedTracerError) as info:
        tracer.jit(later)(X)
    assert_points_at(info.value, "escaped-add")


def test_escaped_tracer_in_a_numpy_function():
    leaked = _leak_a_tracer()

    def later(y):
        return y * np.sum(leaked)  # escaped-sum

    with pytest.raises(tracer.EscapedTracerError) as info:
        tracer.jit(later)(X)
    assert_points_at(info.value, "escaped-sum")


# Indexing an escaped tracer once built an op mixing two MLIR contexts, which corrupted the heap
# (a segfault later, when the contexts were freed). These run in a child process, so a
# regression fails one test instead of killing the whole pytest run.
_ESCAPED_INDEXING_SCRIPT = """
import json, sys
import numpy as np
import tracer

X = np.ones((2, 3), np.float32)
leaked = []
tracer.jit(lambda x: leaked.append(x) or x + 1)(X)


def later_getitem(y):
    return y[0] + leaked[0][0]  # escaped-getitem


def later_setitem(y):
    leaked[0][0] = y[0]  # escaped-setitem
    return y


try:
    tracer.jit({"getitem": later_getitem, "setitem": later_setitem}[sys.argv[1]])(X)
    print(json.dumps(["no error", ""]))
except Exception as error:
    print(json.dumps([type(error).__name__, str(error)]))
"""


@pytest.mark.parametrize("case", ["getitem", "setitem"])
def test_escaped_tracer_indexed_in_a_later_trace(case, tmp_path):
    script = tmp_path / "escaped_indexing.py"
    script.write_text(_ESCAPED_INDEXING_SCRIPT)
    proc = subprocess.run([sys.executable, str(script), case], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, f"child process died (rc={proc.returncode}):\n{proc.stderr[-3000:]}"
    kind, message = json.loads(proc.stdout.strip().splitlines()[-1])
    assert kind == "EscapedTracerError", message
    line = next(i for i, text in enumerate(_ESCAPED_INDEXING_SCRIPT.splitlines(), 1) if text.endswith(f"# escaped-{case}"))
    assert message.split(" ", 1)[0].endswith(f"escaped_indexing.py:{line}:"), message
    assert "\n  fix: " in message


def test_escaped_tracer_used_outside_any_trace():
    leaked = _leak_a_tracer()
    with pytest.raises(tracer.EscapedTracerError) as info:
        np.exp(leaked)  # escaped-outside
    assert_points_at(info.value, "escaped-outside")


# --------------------------------------------------------------------------- arguments


def test_unhashable_static_leaf():
    def f(x, options):
        return x

    with pytest.raises(tracer.TracerError) as info:
        tracer.jit(f)(X, {"drop": {0.1, 0.2}})  # unhashable-leaf
    message = assert_points_at(info.value, "unhashable-leaf")
    assert "set" in message and "hashable" in message


def test_unhashable_static_argnum():
    def f(x, sizes):
        return x

    with pytest.raises(tracer.TracerError) as info:
        tracer.jit(f, static_argnums=1)(X, [1, 2])  # unhashable-argnum
    message = assert_points_at(info.value, "unhashable-argnum")
    assert "list" in message


@pytest.mark.parametrize("dtype", [np.complex64, np.complex128, object])
def test_unsupported_argument_dtype(dtype):
    bad = np.zeros(3, dtype=dtype)
    with pytest.raises(tracer.TracedTypeError) as info:
        tracer.jit(lambda x: x)(bad)  # bad-dtype-arg
    assert isinstance(info.value, TypeError)
    message = assert_points_at(info.value, "bad-dtype-arg")
    assert str(np.dtype(dtype)) in message


def test_unsupported_dtype_of_a_constant_inside_the_trace():
    def f(x):
        return x + np.ones(3, np.complex64)  # complex-constant

    with pytest.raises(tracer.TracedTypeError) as info:
        tracer.jit(f)(X)
    assert "complex64" in assert_points_at(info.value, "complex-constant")


# --------------------------------------------------------------------------- axes


@pytest.mark.parametrize("axis", [2, -3])
def test_axis_out_of_range_is_value_and_index_error(axis):
    with pytest.raises(np.exceptions.AxisError) as numpy_info:
        X.sum(axis=axis)

    def f(x):
        return x.sum(axis=axis)  # bad-axis

    with pytest.raises(tracer.TracedAxisError) as info:
        tracer.jit(f)(X)
    assert isinstance(info.value, ValueError) and isinstance(info.value, IndexError)
    message = assert_points_at(info.value, "bad-axis")
    assert str(numpy_info.value) in message  # NumPy's own wording


def test_axis_out_of_range_in_a_shape_function():
    def f(x):
        return np.swapaxes(x, 0, 5)  # bad-swapaxes

    with pytest.raises(np.exceptions.AxisError):
        np.swapaxes(X, 0, 5)
    with pytest.raises(tracer.TracedAxisError) as info:
        tracer.jit(f)(X)
    assert_points_at(info.value, "bad-swapaxes")


# --------------------------------------------------------------------------- overflow


@pytest.mark.parametrize(("dtype", "value"), [(np.int8, 300), (np.uint8, -1), (np.int16, 2**15)])
def test_python_int_overflow_like_numpy_2(dtype, value):
    x = np.ones(3, dtype)
    with pytest.raises(OverflowError) as numpy_info:
        x + value

    def f(a):
        return a + value  # overflow

    with pytest.raises(tracer.TracedOverflowError) as info:
        tracer.jit(f)(x)
    assert isinstance(info.value, OverflowError)
    message = assert_points_at(info.value, "overflow")
    assert str(numpy_info.value) in message


def test_python_int_that_fits_does_not_overflow():
    x = np.array([1, -2, 100], np.int8)
    result = tracer.jit(lambda a: a + 27)(x)
    np.testing.assert_array_equal(np.asarray(result), x + 27)
    assert np.asarray(result).dtype == np.int8


# --------------------------------------------------------------------------- runtime misuse


def test_calling_with_an_array_spec():
    spec = tracer.ArraySpec((2, 3), np.float32)
    compiled = tracer.compile(lambda x: x + 1, spec)
    with pytest.raises(tracer.TracerError) as info:
        compiled(spec)  # spec-call
    assert "ArraySpec(f32[2,3])" in assert_points_at(info.value, "spec-call")


def test_reusing_a_donated_argument():
    step = tracer.jit(lambda s: s * 2, donate_argnums=0)
    state = runtime.to_device(X)
    step(state)
    assert state.is_deleted()
    with pytest.raises(tracer.TracerError) as info:
        step(state)  # donated-again
    assert "donate" in assert_points_at(info.value, "donated-again")


def test_jit_of_a_generator_function_is_refused_where_it_is_decorated():
    """Its body would run only when the returned generator is iterated, after tracing: jit returned a generator."""
    def numbers(x):
        yield x + 1

    async def later(x):
        return x

    with pytest.raises(tracer.TracedTypeError, match="is a generator function .* which jit cannot trace") as info:
        tracer.jit(numbers)  # generator-jit
    assert "fix: return the values instead of yielding them" in assert_points_at(info.value, "generator-jit")
    with pytest.raises(TypeError, match="is a coroutine function"):
        tracer.jit(later)
    with pytest.raises(TypeError, match="is a generator function"):
        tracer.compile(numbers, X)


def test_traced_element_written_into_a_numpy_array_made_before_tracing():
    """NumPy turns our error into its own ValueError for one element; ours, at the line, is its cause."""
    def f(x):
        _MADE_BEFORE[0] = x[0, 0]  # element-into-global
        return x

    with pytest.raises(ValueError) as info:
        tracer.jit(f)(X)
    assert isinstance(info.value.__cause__, tracer.ConcretizationError)
    assert_points_at(info.value.__cause__, "element-into-global")
