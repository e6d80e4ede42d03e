"""Regressions from the code review of the first sessions: each test names the failure it pins down.
Every expected value is NumPy's (or Python's) answer for the same code."""

from __future__ import annotations

import numpy as np
import pytest

import runtime
import tracer


def f32(*values):
    return np.array(values, np.float32)


def test_static_floats_that_compare_equal_but_differ_get_their_own_compilation():
    divide = tracer.jit(lambda x, s: x / s)
    x = f32(1, 2)
    with np.errstate(divide="ignore"):
        np.testing.assert_array_equal(np.asarray(divide(x, 0.0)), x / 0.0)
        np.testing.assert_array_equal(np.asarray(divide(x, -0.0)), x / -0.0)


def test_static_tuples_of_int_and_float_get_their_own_compilation():
    scale = tracer.jit(lambda x, cfg: x * cfg[0], static_argnums=1)
    xi = np.ones(2, np.int32)
    assert np.asarray(scale(xi, (2,))).dtype == (xi * 2).dtype
    assert np.asarray(scale(xi, (2.0,))).dtype == (xi * 2.0).dtype


def test_negative_static_argnums_count_from_the_end_and_out_of_range_is_refused():
    f = tracer.jit(lambda x, y, n: x * n + y, static_argnums=-1)
    x = f32(1, 2)
    np.testing.assert_array_equal(np.asarray(f(x, x, 3)), x * 3 + x)
    with pytest.raises(ValueError, match="out of range"):
        tracer.jit(lambda x: x, static_argnums=5)


def test_np_array_of_a_result_is_a_writable_copy():
    result = tracer.jit(lambda x: x + 1)(f32(1, 2))
    copy = np.array(result)
    copy[0] = 5
    np.testing.assert_array_equal(np.asarray(result), f32(2, 3))
    np.testing.assert_array_equal(copy, f32(5, 3))


def test_clip_with_out_writes_the_traced_array_like_numpys_in_place_clip():
    def f(x):
        np.clip(x, 0, 1, out=x)
        return x

    x = f32(-1, 0.5, 2)
    np.testing.assert_array_equal(np.asarray(tracer.jit(f)(x)), f(x.copy()))
    assert np.asarray(tracer.jit(lambda v: np.clip(v, 0, 1, dtype=np.float64))(x)).dtype == np.float64


def test_reduction_initial_true_is_not_mistaken_for_a_default():
    """initial=True is a starting value of 1 (NumPy casts it), not where=True's "no mask"."""
    assert float(np.asarray(tracer.jit(lambda x: np.sum(x, initial=True))(f32(1, 2)))) == np.sum(f32(1, 2), initial=True)


def test_cond_refuses_an_operand_leaked_from_another_trace():
    leaked = []

    @tracer.jit
    def leak(x):
        leaked.append(x * 2)
        return x

    x = f32(1, 2, 3)
    leak(x)
    with pytest.raises(tracer.EscapedTracerError, match="test_regressions.py"):
        tracer.jit(lambda x: tracer.cond(x.sum() > 0, lambda a: a + 1, lambda a: a, leaked[0]))(x)


def test_a_branch_error_caught_by_the_user_leaves_valid_ir():
    caught = []

    def f(x):
        try:
            tracer.cond(x.sum() > 0, lambda a: a + 1, lambda a: a @ np.ones((5, 5), np.float32), x)
        except tracer.TracedShapeError as err:  # (the user's own handler: what is under test is the IR after it)
            caught.append(err)
        return x * 2

    x = f32(1, 2, 3)
    np.testing.assert_array_equal(np.asarray(tracer.jit(f)(x)), x * 2)
    assert len(caught) == 1 and "matmul" in str(caught[0])  # the branch did fail, and was caught


def test_fori_loop_index_arithmetic_does_not_wrap_at_32_bits():
    def f(acc):
        return tracer.fori_loop(0, 1292, lambda i, a: a + i * i * i, acc)

    assert float(np.asarray(tracer.jit(f)(np.float64(0)))) == float(f(np.float64(0)))
    big = tracer.jit(lambda x: tracer.fori_loop(2**40, 5, lambda i, a: a + 1, x))(f32(1))
    np.testing.assert_array_equal(np.asarray(big), f32(1))  # range(2**40, 5) runs zero times


def test_scan_with_a_python_number_carry_computes_in_the_same_dtype_as_eager_numpy():
    xs = np.array([0.5, 1.5, 2.25, 3.0], np.float16)

    def body(c, x):
        return c, (x + c) * np.float16(3) + c

    eager = np.stack([(x + 0.1) * np.float16(3) + 0.1 for x in xs])
    _, ys = tracer.jit(lambda xs: tracer.scan(body, 0.1, xs))(xs)
    np.testing.assert_array_equal(np.asarray(ys), eager)


def test_aot_compile_leaves_no_compilation_to_the_calls():
    x = f32(1, 2)
    compiled = tracer.compile(lambda a, b: a + b, x, x)
    assert compiled._execute is not None  # every call can run at once
    assert compiled._packed_future is None  # the packed one only once a call could use it (start-up stays short)
    np.testing.assert_array_equal(np.asarray(compiled(x, x)), x + x)  # before or after the packed one is ready
    compiled._packed_future.result(timeout=120)  # the packed executable arrives in the background
    np.testing.assert_array_equal(np.asarray(compiled(x, x)), x + x)
    assert compiled._execute_packed is not None


def test_donating_an_array_passed_twice_is_a_clear_error():
    g = tracer.jit(lambda a, b: a + b, donate_argnums=0)
    z = runtime.array_to_device(f32(1, 2))
    with pytest.raises(tracer.DonatedArgumentError, match="passed twice"):
        g(z, z)
    np.testing.assert_array_equal(np.asarray(z), f32(1, 2))  # not consumed


def test_zero_slice_step_and_float_axis_fail_like_numpy_with_the_users_line():
    x = np.ones((2, 2), np.float32)
    with pytest.raises(ValueError, match="slice step cannot be zero"):
        tracer.jit(lambda v: v[::0])(x)
    with pytest.raises(TypeError, match="test_regressions.py"):
        tracer.jit(lambda v: np.sum(v, axis=1.7))(x)
