"""A compiled function that writes into its array arguments changes the caller's arrays, as NumPy would:
NumPy arguments are overwritten in place after the call, ConcreteArray arguments take the new buffer
(their old one donated). Functions that write into no argument compile as before; `mutate_arguments=False`
keeps arguments as values and warns once per function."""

from __future__ import annotations

import copy
import warnings

import jax
import numpy as np
import pytest

import runtime
import tracer

U0 = np.linspace(0.0, 1.0, 8) ** 2


def heat_step(u, u0):
    """Returns nothing: the caller reads u."""
    u[1:-1] = u0[1:-1] + 0.1 * (u0[2:] - 2 * u0[1:-1] + u0[:-2])


def accumulate(total, g):
    total += g
    return total.sum()


def through_functions(x, v):
    np.copyto(x, v)
    np.multiply(x, 2, out=x)
    np.add.at(x, [0, 0], 1.0)


def through_a_view(x):
    row = x[0]
    row[:] = x[1] * 3
    return row


def several(a, b, c):
    a[0] = 1.0
    c -= b
    return b * 2  # b only read


@tracer.trace
def steps_in_a_traced_loop(u, n):
    for _ in range(n):
        u[1:-1] = 0.5 * (u[2:] + u[:-2])


CALLS = {
    "heat step, no result": (heat_step, lambda: (np.zeros(8), U0.copy())),
    "x += g with a result": (accumulate, lambda: (np.ones(4, np.float32), np.arange(4, dtype=np.float32))),
    "copyto, out=, add.at": (through_functions, lambda: (np.zeros(3), np.array([1.0, 2.0, 3.0]))),
    "through a view": (through_a_view, lambda: (np.arange(6.0).reshape(2, 3),)),
    "several arguments": (several, lambda: (np.zeros(2), np.ones(2), np.full(2, 5.0))),
    "traced loop": (steps_in_a_traced_loop, lambda: (U0.copy(), np.int32(3))),
}


def _eager(fn, args):
    return fn.__wrapped__(*args) if hasattr(fn, "__wrapped__") else fn(*args)


@pytest.mark.parametrize("name", CALLS)
def test_numpy_arguments_are_overwritten_as_numpy_does(name):
    fn, make = CALLS[name]
    expected_args, args = make(), make()
    expected = _eager(fn, expected_args)
    result = tracer.jit(fn)(*args)
    for actual, wanted in zip(args, expected_args):
        np.testing.assert_allclose(actual, wanted)
    if expected is None:
        assert result is None
    else:
        np.testing.assert_allclose(np.asarray(result), expected)


def test_concrete_arrays_take_the_new_buffer_and_give_up_the_old():
    f = tracer.jit(accumulate)
    total = runtime.to_device(np.ones(4, np.float32))
    old = total.buffer
    for step in range(3):
        f(total, np.arange(4, dtype=np.float32))
    np.testing.assert_allclose(np.asarray(total), 1 + 3 * np.arange(4))
    assert total.buffer is not old and old.is_deleted()  # donated: XLA wrote the new value into it
    assert 'tf.aliasing_output = 1' in tracer.compile(accumulate, np.ones(4, np.float32), np.ones(4, np.float32)).as_text("traced")


def test_a_function_that_writes_into_no_argument_costs_nothing():
    text = tracer.compile(lambda x, y: x * y + 1, np.ones(3), np.ones(3)).as_text("traced")
    assert "buffer_donor" not in text
    assert "@main(%arg0: tensor<3xf64>, %arg1: tensor<3xf64>) -> tensor<3xf64> {" in text  # one result


def test_the_same_array_passed_twice():
    def double(x, y):
        x += y

    a, expected = np.arange(3.0), np.arange(3.0)
    double(expected, expected)
    tracer.jit(double)(a, a)
    np.testing.assert_allclose(a, expected)
    device = runtime.to_device(np.arange(3.0))
    tracer.jit(double)(device, device)
    np.testing.assert_allclose(np.asarray(device), expected)


def test_immutable_arguments_stay_as_they_are():
    def bump(x):
        x += 1
        return x

    scalar = np.float32(2.0)
    assert float(np.asarray(tracer.jit(bump)(scalar))) == 3.0 and scalar == 2.0  # as in NumPy: += rebinds a scalar
    frozen = jax.device_put(np.zeros(2))  # jax.Arrays cannot change: the call writes into a copy
    np.testing.assert_allclose(np.asarray(tracer.jit(bump)(frozen)), [1.0, 1.0])
    np.testing.assert_allclose(np.asarray(frozen), [0.0, 0.0])


def test_a_read_only_argument_written_into_raises_as_numpy_would():
    x = np.zeros(3)
    x.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        accumulate(x, np.ones(3))
    with pytest.raises(ValueError, match="read-only"):
        tracer.jit(accumulate)(x, np.ones(3))


def test_mutate_arguments_false_keeps_values_and_warns_once_per_function():
    f = tracer.jit(accumulate, mutate_arguments=False)
    x = np.ones(3)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        results = [f(x, np.ones(3)), f(x, np.ones(3)), f(np.ones(5), np.ones(5))]  # two signatures
    assert [float(np.asarray(r)) for r in results] == [6.0, 6.0, 10.0]
    np.testing.assert_allclose(x, np.ones(3))
    lost = [w for w in caught if issubclass(w.category, tracer.LostWriteWarning)]
    assert len(lost) == 1 and "mutate_arguments=False" in str(lost[0].message)
    assert "test_mutated_arguments.py" in str(lost[0].message)


def test_compile_ahead_of_time_writes_back_too():
    u, u0 = np.zeros(8), U0.copy()
    compiled = tracer.compile(heat_step, u, u0)
    expected = np.zeros(8)
    heat_step(expected, copy.copy(U0))
    assert compiled(u, u0) is None
    np.testing.assert_allclose(u, expected)
