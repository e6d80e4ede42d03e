"""`@tracer.trace`: Python `if`/`elif`/`else`, `for i in range(...)` and `while` on traced values.

The oracle of every value test is the *undecorated* Python function run eagerly on NumPy:
the decorated function must give the same values and dtypes under `tracer.jit` (traced
conditions become one `stablehlo.if` / `stablehlo.while`) and run eagerly (no jit) exactly as
the undecorated function does. Python-valued conditions and ranges must behave exactly like
Python (a static `for` unrolls). Golden-IR tests check with FileCheck how many control-flow
ops a statement makes; error tests check the exception type, the variable or jump it names,
and that the message starts at *this file's* offending line (marked with `# <marker>`).

Functions with traced conditions are jitted once at module level and called with several
inputs of one signature, so each compiles once.
"""

from __future__ import annotations

import copy

import os
import re
from pathlib import Path

import numpy as np
import pytest

import helpers
import tracer
from helpers_filecheck import filecheck

THIS_FILE = os.path.basename(__file__)


def f32(*values):
    return np.array(values, dtype=np.float32)


def i32(value):
    return np.int32(value)


# --------------------------------------------------------------------------- helpers


def undecorated(jitted):
    """The original Python function under `tracer.jit(tracer.trace(fn))` (kept by functools.wraps)."""
    original = jitted.fn.__wrapped__
    # It must be the user's code as written, not the rewrite (which closes over the runtime module).
    assert "__pyreactant_ag" not in original.__code__.co_freevars + original.__code__.co_varnames
    assert original is not jitted.fn
    return original


def check(jitted, *args, oracle=None, rtol=None):
    """jitted(*args), and the decorated function run eagerly, both equal the undecorated function on NumPy."""
    oracle = oracle or undecorated(jitted)
    expected = helpers.eager(oracle, *args)
    actual = helpers.to_numpy(jitted(*copy.deepcopy(args)))  # (on copies: it may write into its arguments)
    helpers.assert_trees_match(actual, expected, rtol=rtol)
    helpers.assert_trees_match(helpers.eager(jitted.fn, *args), expected, rtol=0)
    return expected


def traced_ir(jitted, *args) -> str:
    return tracer.compile(jitted, *args).as_text("traced")


def located_ir(jitted, *args) -> str:
    """The traced module with its `loc(...)` source locations."""
    return tracer.compile(jitted, *args, optimize=False)._module_text


def line_of(marker: str) -> int:
    for number, text in enumerate(Path(__file__).read_text().splitlines(), 1):
        if text.rstrip().endswith(f"# {marker}"):
            return number
    raise LookupError(marker)


def location(message: str) -> str:
    """`file.py:12` that an error message starts with."""
    return message.split(": ", 1)[0]


def assert_starts_at(message: str, *markers: str) -> None:
    """The message's location is this file, at the line of one of `markers`."""
    wanted = [f"{THIS_FILE}:{line_of(marker)}" for marker in markers]
    assert any(location(message).endswith(os.sep + w) or location(message) == w for w in wanted), (
        f"expected the message to start at {' or '.join(wanted)}:\n{message}")


def raises_at(kind, marker: str, fn, *args) -> str:
    """fn(*args) raises `kind` whose message starts at this file's line marked `# marker`, with a fix hint."""
    with pytest.raises(kind) as info:
        fn(*args)
    message = str(info.value)
    assert_starts_at(message, marker)
    assert "\n  fix: " in message, f"expected a 'fix:' hint in:\n{message}"
    return message


# =========================================================================== if / elif / else


@tracer.jit
@tracer.trace
def if_else(x):
    if x.sum() > 0:
        y = np.sin(x) * 2
    else:
        y = x - 1
    return y


@pytest.mark.parametrize("x", [f32(1, 2, -0.5), f32(-1, -2, 0.5), f32(0, 0, 0)], ids=["true", "false", "zero"])
def test_if_else_with_traced_condition(x):
    check(if_else, x)


@tracer.jit
@tracer.trace
def if_elif_else(x):
    s = x.sum()
    if s > 2:
        y = x * 2
    elif s > 0:
        y = x - 1
    elif s > -2:
        y = np.abs(x)
    else:
        y = x * 0 + s
    return y


@pytest.mark.parametrize("x", [f32(1, 2, 3), f32(0.5, 0.5, 0.25), f32(-1, 0.5, 0), f32(-3, -1, 0.5),
                               f32(1, 1, 0)], ids=["first", "second", "third", "else", "boundary"])
def test_if_elif_else_chain_takes_each_arm(x):
    check(if_elif_else, x)


def test_if_elif_else_chain_is_three_nested_ifs():
    filecheck(traced_ir(if_elif_else, f32(1, 2, 3)), """
        CHECK-COUNT-3: stablehlo.if
        CHECK-NOT:     stablehlo.if
        CHECK-NOT:     stablehlo.while
    """)


@tracer.jit
@tracer.trace
def if_without_else(x, t):
    y = x + 1
    count = 0
    if x.max() > t:
        y = y * 0.5
        y[0] = t
        count = count + 1
    return y, count


@pytest.mark.parametrize("t", [0.0, 1.0, 2.5, 10.0])
def test_if_without_else_keeps_the_earlier_value_when_false(t):
    check(if_without_else, f32(1, 2.5, -1), np.float32(t))


@tracer.jit
@tracer.trace
def nested_ifs(x, y):
    if x.sum() > 0:
        if y.sum() > 0:
            z = x + y
        else:
            z = x - y
        z = z * 2
    else:
        z = x * y
        if (x * y).sum() > 1:
            z = -z
    return z


@pytest.mark.parametrize("x, y", [(f32(1, 2), f32(1, 1)), (f32(1, 2), f32(-1, -1)), (f32(-1, -2), f32(-1, -1)),
                                  (f32(-1, -2), f32(0.25, 0.25))], ids=["tt", "tf", "f-t", "f-f"])
def test_nested_ifs(x, y):
    check(nested_ifs, x, y)


@tracer.jit
@tracer.trace
def swap_in_branch(a, b):
    if (a - b).sum() > 0:
        a, b = b, a
        b += 1
    return a, b


@pytest.mark.parametrize("a, b", [(f32(3, 4), f32(1, 2)), (f32(1, 2), f32(3, 4))])
def test_if_with_tuple_assignment_and_augmented_assignment(a, b):
    check(swap_in_branch, a, b)


@tracer.jit
@tracer.trace
def write_in_branches(x):
    y = x * 1
    if x.sum() > 0:
        y[0] = -1.0
        y[1:] *= 2
    else:
        y[-1] = 10.0
        x[0] = 5.0
    return x, y


@pytest.mark.parametrize("x", [f32(1, 2, 3), f32(-1, -2, -3)], ids=["true", "false"])
def test_in_place_writes_in_branches_stay_in_that_branch(x):
    check(write_in_branches, x)


@tracer.jit
@tracer.trace
def tree_in_branch(x):
    state = {"x": x, "n": np.int32(0)}
    pair = (x, x * 2)
    if x.mean() > 0:
        state = {"x": state["x"] * 2, "n": state["n"] + 1}
        pair = (pair[1], pair[0])
    else:
        state["n"] = state["n"] - 1
    return state, pair


@pytest.mark.parametrize("x", [f32(1, 2, 3), f32(-1, -2, -3)], ids=["true", "false"])
def test_dicts_and_tuples_of_arrays_assigned_in_a_traced_if(x):
    check(tree_in_branch, x)


# =========================================================================== for ... in range(...)


def _sum_range1(x, n):
    acc = np.zeros_like(x)
    for i in range(n):
        acc = acc * 0.5 + i * x
    return acc


def _sum_range2(x, a, b):
    acc = np.zeros_like(x)
    for i in range(a, b):
        acc = acc * 0.5 + i * x
    return acc


def _sum_range3(x, a, b, step):
    acc = np.zeros_like(x)
    for i in range(a, b, step):
        acc = acc * 0.5 + i * x
    return acc


SUM_RANGE1 = tracer.jit(tracer.trace(_sum_range1))
SUM_RANGE2 = tracer.jit(tracer.trace(_sum_range2))
SUM_RANGE3 = tracer.jit(tracer.trace(_sum_range3), static_argnums=3)
X3 = f32(1, -2, 0.5)


@pytest.mark.parametrize("n", [0, 1, 4, -3], ids=["zero-trips", "one", "four", "negative"])
def test_for_range_n_with_traced_n(n):
    check(SUM_RANGE1, X3, i32(n), oracle=_sum_range1)


@pytest.mark.parametrize("a, b", [(0, 5), (2, 7), (-3, 2), (4, 4), (6, 1)],
                         ids=["0..5", "2..7", "negative-start", "zero-trips", "negative-trips"])
def test_for_range_a_b_with_traced_bounds(a, b):
    check(SUM_RANGE2, X3, i32(a), i32(b), oracle=_sum_range2)


@pytest.mark.parametrize("a, b, step", [
    (0, 7, 2), (1, 10, 3), (-4, 5, 4), (3, 3, 2), (5, 0, 2),       # positive steps (incl. zero-trips)
    (7, 0, -1), (9, -4, -3), (2, 2, -1), (0, 5, -2), (6, 5, -5),   # negative steps (incl. zero-trips)
], ids=lambda v: str(v))
def test_for_range_with_static_step_and_traced_start_stop(a, b, step):
    check(SUM_RANGE3, X3, i32(a), i32(b), step, oracle=_sum_range3)


def _range_mixed(x, a):
    acc = x
    for i in range(a, 5):          # traced start, Python stop
        acc = acc + i
    for j in range(2, a, -1):      # Python start, traced stop
        acc = acc * j
    return acc


RANGE_MIXED = tracer.jit(tracer.trace(_range_mixed))


@pytest.mark.parametrize("a", [-2, 0, 3, 5, 8])
def test_for_range_with_one_traced_and_one_python_bound(a):
    check(RANGE_MIXED, X3, i32(a), oracle=_range_mixed)


def test_for_range_with_int64_bounds():
    check(SUM_RANGE2, X3, np.int64(-1), np.int64(3), oracle=_sum_range2)


@tracer.jit
@tracer.trace
def index_arithmetic(x, n):
    acc = np.zeros_like(x)
    for i in range(n):             # traced bounds: i is a traced index ...
        acc = acc + i * x
    for k in range(3):             # ... and here a Python int
        acc = acc + k * x
    return acc


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64, np.int8, np.uint8, np.int32])
def test_loop_index_behaves_like_a_python_int_in_promotion(dtype):
    x = np.array([1, 2, 3], dtype=dtype)
    expected = check(index_arithmetic, x, i32(4))
    assert expected.dtype == dtype  # NumPy keeps x's dtype with a Python int


@tracer.jit
@tracer.trace
def index_float_arithmetic(x, n):
    acc = x
    for i in range(n):
        acc = acc + x * (i + 0.5) - i
    return acc


def test_loop_index_mixed_with_python_floats_keeps_float32():
    expected = check(index_float_arithmetic, f32(1, -2, 0.25), i32(3))
    assert expected.dtype == np.float32


@tracer.jit
@tracer.trace
def mutate_rows(x, n):
    y = np.zeros((3, 2), np.float32)
    for i in range(n):               # traced
        for j in range(3):           # static: unrolled inside the traced body
            y[j, 0] = y[j, 0] + x[j] * i
            y[j, 1] += x[j] - j
        y[0] = y[0] * 0.5
    return y


@pytest.mark.parametrize("n", [0, 1, 3])
def test_traced_loop_carries_an_array_written_at_static_positions(n):
    check(mutate_rows, f32(1, -2, 0.5), i32(n))


@tracer.jit
@tracer.trace
def python_number_accumulators(x, n):
    total = 0
    scale = 1.0
    acc = 0.0
    for i in range(n):
        total = total + i * i
        scale = scale * 0.5
        acc = acc + x.sum() * i
    return total, scale, acc


@pytest.mark.parametrize("n", [1, 2, 5])
def test_accumulators_that_start_as_python_numbers(n):
    check(python_number_accumulators, np.array([1.0, 2.5, -0.5]), i32(n))


@tracer.jit
@tracer.trace
def python_float_accumulator(x, n):
    acc = 0.0
    for i in range(n):
        acc = acc + x.sum()
    return acc


def test_python_float_accumulator_takes_the_dtype_numpy_gives_it():
    """`0.0 + float32` is float32 in NumPy (the Python float is weak): a traced loop must agree."""
    expected = check(python_float_accumulator, f32(1, 2.5, -0.5), i32(3))
    assert expected.dtype == np.float32


@tracer.jit
@tracer.trace
def carried_trees(x, n):
    s = {"a": x, "b": x * 0}
    t = (x, x + 1)
    for i in range(n):
        s["a"] = s["a"] + t[0]
        s = {"a": s["a"], "b": s["b"] - i}
        t = (t[1], t[0] * 0.5)
    return s, t


@pytest.mark.parametrize("n", [0, 3])
def test_for_loop_carries_dicts_and_tuples_of_arrays(n):
    check(carried_trees, X3, i32(n))


@tracer.jit
@tracer.trace
def if_inside_for(x, n):
    acc = np.zeros_like(x)
    hits = 0
    for i in range(n):
        if (x * i).sum() > 3:
            acc = acc + x
            hits += 1
        else:
            acc = acc - 1
    return acc, hits


@pytest.mark.parametrize("n", [0, 2, 6])
def test_traced_if_inside_traced_for(n):
    check(if_inside_for, f32(1, 0.5, 0.25), i32(n))


@tracer.jit
@tracer.trace
def for_inside_if(x, n):
    if x.sum() > 0:
        for i in range(n):          # traced loop in one branch
            x = x * 0.5 + i
    else:
        for j in range(3):          # static loop in the other
            x = x - j
    return x


@pytest.mark.parametrize("x", [f32(1, 2, 3), f32(-1, -2, -3)], ids=["true", "false"])
def test_for_inside_traced_if(x):
    check(for_inside_if, x, i32(3))


@tracer.jit
@tracer.trace
def for_inside_if_same_index(x, n):
    if x.sum() > 0:
        for i in range(n):
            x = x * 0.5 + i
    else:
        for i in range(3):
            x = x - i
    return x


@pytest.mark.parametrize("x", [f32(1, 2, 3), f32(-1, -2, -3)], ids=["true", "false"])
def test_for_inside_traced_if_reusing_the_index_name(x):
    """Both branches bind `i` (one as a traced loop index); `i` is never read after the if."""
    check(for_inside_if_same_index, x, i32(3))


@tracer.jit
@tracer.trace
def nested_loops_mixed(x, n):
    acc = np.zeros_like(x)
    for i in range(n):              # traced
        for j in range(2):          # static inside traced
            acc = acc + (i - j) * x
        for k in range(i):          # traced, bounded by the outer index
            acc = acc * 0.5 + k
    for m in range(3):              # static
        for p in range(n):          # traced inside static
            acc = acc + m
    return acc


@pytest.mark.parametrize("n", [0, 1, 4])
def test_nested_for_loops_with_traced_and_static_bounds(n):
    check(nested_loops_mixed, X3, i32(n))


def test_nested_for_loops_make_the_right_ops():
    # static outer loop of 3 around a traced inner loop: 3 while ops; the traced outer has one nested while.
    filecheck(traced_ir(nested_loops_mixed, X3, i32(0)), """
        CHECK-COUNT-5: stablehlo.while
        CHECK-NOT:     stablehlo.while
    """)


# =========================================================================== while


@tracer.jit
@tracer.trace
def newton_sqrt(a):
    y = a
    steps = 0
    while np.abs(y * y - a) > 1e-4 * a:
        y = 0.5 * (y + a / y)
        steps += 1
    return y, steps


@pytest.mark.parametrize("a", [2.0, 9.0, 0.25, 1.0, 1000.0])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_while_with_traced_condition_newton_iteration(a, dtype):
    y, steps = check(newton_sqrt, dtype(a))
    np.testing.assert_allclose(y, np.sqrt(a), rtol=1e-4)


@tracer.jit
@tracer.trace
def count_doublings(x, limit):
    k = 0
    while x.sum() < limit:
        x = x * 2
        k += 1
    return k, x


@pytest.mark.parametrize("limit", [-1.0, 6.0, 7.0, 100.0], ids=["zero-trips", "equal", "one", "many"])
def test_while_counting_until_a_threshold(limit):
    check(count_doublings, f32(1, 2, 3), np.float32(limit))


@tracer.jit
@tracer.trace
def python_counter_while(x):
    k = 0
    while k < 3:                 # Python condition: an ordinary Python loop
        x = np.sin(x) + k
        k += 1
    return x, k


def test_while_with_python_condition_runs_as_python():
    check(python_counter_while, X3)
    text = traced_ir(python_counter_while, X3)
    filecheck(text, "CHECK-NOT: stablehlo.while")
    filecheck(text, """
        CHECK-COUNT-3: stablehlo.sine
        CHECK-NOT:     stablehlo.sine
    """)


@tracer.jit
@tracer.trace
def becomes_traced(x):
    y = 1.0
    while y < 10:                # Python at first; traced after the first trip
        y = y * x
    return y


@pytest.mark.parametrize("x", [3.0, 1.5, 20.0])
def test_while_whose_condition_becomes_traced_after_a_python_trip(x):
    check(becomes_traced, np.float32(x))


@tracer.jit
@tracer.trace
def while_tree(x, limit):
    state = {"x": x, "n": np.int32(0)}
    pair = (x, x)
    while state["x"].sum() < limit:
        state = {"x": state["x"] + pair[1], "n": state["n"] + 1}
        pair = (pair[1], pair[0] + pair[1])
    return state, pair


@pytest.mark.parametrize("limit", [0.0, 50.0])
def test_while_carries_dicts_and_tuples(limit):
    check(while_tree, f32(0.5, 1), np.float32(limit))


# =========================================================================== static conditions: plain Python


@tracer.jit(static_argnums=1)
@tracer.trace
def configured(x, mode):
    if mode == "double":
        y = x * 2
    elif mode == "parts":
        parts = [x, x + 1]          # a Python list: fine, the condition is a Python value
        y = parts[0] * parts[1]
    else:
        y = -x
    return y


@pytest.mark.parametrize("mode", ["double", "parts", "other"])
def test_static_string_condition_runs_as_python(mode):
    check(configured, X3, mode)
    filecheck(traced_ir(configured, X3, mode), "CHECK-NOT: stablehlo.if")


@tracer.jit
@tracer.trace
def unrolled(x):
    for i in range(3):
        x = np.sin(x) + i
    return x, i


def test_for_over_a_constant_range_unrolls():
    expected = check(unrolled, X3)
    assert expected[1] == 2  # the index after the loop, as in Python
    text = traced_ir(unrolled, X3)
    filecheck(text, "CHECK-NOT: stablehlo.while")
    filecheck(text, """
        CHECK-COUNT-3: stablehlo.sine
        CHECK-NOT:     stablehlo.sine
    """)


@tracer.jit(static_argnums=1)
@tracer.trace
def python_jumps(x, limit):
    for i in range(10):
        if i >= limit:
            break
        if i == 1:
            continue
        x = x + i
    if limit == 0:
        return -x
    k = 0
    while True:
        k += 1
        if k > limit:
            break
    return x * k


@pytest.mark.parametrize("limit", [0, 2, 5])
def test_break_continue_and_return_with_python_conditions_run_as_python(limit):
    check(python_jumps, X3, limit)


@tracer.jit
@tracer.trace
def zero_trip_static_loop(x):
    i = -1
    for i in range(0):
        x = x + 100
    return x + i


def test_a_static_loop_that_runs_zero_times_leaves_its_index_alone():
    """Python keeps the index's earlier value when range() is empty."""
    check(zero_trip_static_loop, X3)


def _assigned_when(flag):
    if flag:
        y = 1.0
    return y


def test_a_variable_a_false_static_if_never_assigned_raises_eagerly_too():
    """Python raises (UnboundLocalError); the decorated function must not return a placeholder."""
    with pytest.raises(NameError):
        _assigned_when(False)
    decorated = tracer.trace(_assigned_when)
    assert decorated(True) == 1.0
    with pytest.raises((NameError, tracer.TracerError)):
        decorated(False)
    with pytest.raises((NameError, tracer.TracerError)):
        tracer.jit(decorated, static_argnums=0)(False)


# =========================================================================== eager (no jit)


def _jump_in_numpy_if(x):
    if x.sum() > 0:
        return x * 2
    for i in range(len(x)):
        if x[i] < -1:
            break
        x = x - i
    return x


def test_decorated_functions_run_eagerly_on_numpy_like_the_original():
    decorated = tracer.trace(_jump_in_numpy_if)
    for x in (f32(1, 2, 3), f32(-0.5, -3, 1), f32(-1, -1, -1)):
        helpers.assert_trees_match(helpers.eager(decorated, x), helpers.eager(_jump_in_numpy_if, x), rtol=0)
    calls = [(if_else, (f32(1, -2, 3),)), (if_elif_else, (f32(1, -2, 3),)), (newton_sqrt, (np.float32(2),)),
             (count_doublings, (f32(1, 2, 3), np.float32(30))), (for_inside_if, (f32(1, -2, 3), i32(2))),
             (python_list_in_traced_if, (f32(1, 2, 3),))]  # a Python list is fine when nothing is traced
    for jitted, args in calls:
        helpers.assert_trees_match(helpers.eager(jitted.fn, *args), helpers.eager(undecorated(jitted), *args), rtol=0)


def test_decorated_function_keeps_name_docstring_and_defaults():
    def scaled(x, factor=2.0, *, shift=1.0):
        """Scale, then shift when the sum is positive."""
        y = x * factor
        if y.sum() > 0:
            y = y + shift
        return y

    decorated = tracer.trace(scaled)
    assert decorated.__name__ == "scaled" and decorated.__doc__ == scaled.__doc__
    for x in (f32(1, 2), f32(-1, -2)):
        helpers.assert_trees_match(helpers.to_numpy(tracer.jit(decorated)(x)), helpers.eager(scaled, x))
        helpers.assert_trees_match(helpers.to_numpy(tracer.jit(decorated)(x, 3.0, shift=-1.0)),
                                   helpers.eager(scaled, x, 3.0, shift=-1.0))
        helpers.assert_trees_match(helpers.eager(decorated, x, shift=5.0), helpers.eager(scaled, x, shift=5.0))


def test_decorated_closure_sees_the_enclosing_variable_at_call_time():
    """Like any Python closure, the decorated function reads `scale` when it runs, not when decorated."""
    def make():
        scale = 1.0

        @tracer.trace
        def f(x):
            if x.sum() > 0:
                x = x * scale
            return x

        def plain(x):
            if x.sum() > 0:
                x = x * scale
            return x

        scale = 3.0
        return f, plain

    decorated, plain = make()
    x = f32(1, 2)
    assert np.asarray(plain(x)).tolist() == [3.0, 6.0]
    helpers.assert_trees_match(helpers.eager(decorated, x), helpers.eager(plain, x))
    helpers.assert_trees_match(helpers.to_numpy(tracer.jit(decorated)(x)), helpers.eager(plain, x))


# =========================================================================== golden IR


def test_traced_if_is_one_stablehlo_if():
    filecheck(traced_ir(if_else, X3), """
        CHECK:         stablehlo.compare GT
        CHECK:         stablehlo.if
        CHECK:         stablehlo.sine
        CHECK:         stablehlo.return
        CHECK:         stablehlo.subtract
        CHECK:         stablehlo.return
        CHECK-NOT:     stablehlo.if
        CHECK-NOT:     stablehlo.while
    """)
    filecheck(traced_ir(if_else, X3), "CHECK-COUNT-1: stablehlo.if")


@tracer.jit
@tracer.trace
def traced_for(x, n):
    for i in range(n):
        x = np.sin(x) + i
    return x


def test_traced_for_is_one_stablehlo_while_not_unrolled():
    check(traced_for, X3, i32(3))
    filecheck(traced_ir(traced_for, X3, i32(3)), """
        CHECK-COUNT-1: stablehlo.while
        CHECK:         cond {
        CHECK:         stablehlo.compare LT
        CHECK:         } do {
        CHECK-COUNT-1: stablehlo.sine
        CHECK-NOT:     stablehlo.sine
        CHECK-NOT:     stablehlo.while
    """)


def test_traced_while_is_one_stablehlo_while():
    filecheck(traced_ir(count_doublings, X3, np.float32(5)), """
        CHECK-COUNT-1: stablehlo.while
        CHECK:         cond {
        CHECK:         stablehlo.compare LT
        CHECK:         } do {
        CHECK:         stablehlo.multiply
        CHECK-NOT:     stablehlo.while
    """)


@tracer.jit
@tracer.trace
def located(x, n):
    if x.sum() > 0:  # located-if
        x = x + 1
        x = x * 2
    else:
        x = x - 1
        x = x / 2
    for i in range(n):  # located-for
        x = np.sin(x)
        x = x + 1
    return x


def test_control_flow_ops_carry_the_line_of_their_statement():
    text = located_ir(located, X3, i32(2))
    filecheck(text, f"""
        CHECK:     "stablehlo.if"
        CHECK:     }}) : (tensor<i1>) -> tensor<3xf32> loc([[IF:#loc[0-9]*]])
        CHECK:     stablehlo.while
        CHECK:     }} loc([[WHILE:#loc[0-9]*]])
        CHECK-DAG: [[IF]] = loc("{__file__}":{line_of("located-if")}:0)
        CHECK-DAG: [[WHILE]] = loc("{__file__}":{line_of("located-for")}:0)
    """)


# =========================================================================== errors


@tracer.jit
@tracer.trace
def return_in_traced_if(x):
    if x.sum() > 0:  # return-if
        return x * 2
    return -x


@tracer.jit
@tracer.trace
def break_in_traced_for(x, n):
    for i in range(n):  # break-for
        if i > 2:
            break
        x = x + 1
    return x


@tracer.jit
@tracer.trace
def continue_in_traced_for(x, n):
    for i in range(n):  # continue-for
        if i == 1:
            continue
        x = x + 1
    return x


@tracer.jit
@tracer.trace
def break_in_traced_while(x):
    while x.sum() < 10:  # break-while
        x = x * 2
        if x.max() > 4:
            break
    return x


def test_return_inside_a_traced_if_is_a_concretization_error():
    message = raises_at(tracer.ConcretizationError, "return-if", return_in_traced_if, X3)
    assert "return" in message and f"line {line_of('return-if')}" in message, message
    # the same function runs eagerly, as Python
    helpers.assert_trees_match(helpers.eager(return_in_traced_if.fn, X3), helpers.eager(undecorated(return_in_traced_if), X3))


@pytest.mark.parametrize("jitted, marker, jump", [
    (break_in_traced_for, "break-for", "break"),
    (continue_in_traced_for, "continue-for", "continue"),
    (break_in_traced_while, "break-while", "break"),
], ids=["break-for", "continue-for", "break-while"])
def test_jumps_out_of_traced_loops_are_concretization_errors(jitted, marker, jump):
    args = (X3, i32(5)) if "for" in marker else (X3,)
    message = raises_at(tracer.ConcretizationError, marker, jitted, *args)
    assert jump in message and f"line {line_of(marker)}" in message, message


def test_break_in_a_loop_with_python_bounds_is_fine():
    check(tracer.jit(break_in_traced_for.fn, static_argnums=1), X3, 5, oracle=undecorated(break_in_traced_for))


def test_traced_range_step_is_rejected():
    with pytest.raises(tracer.TracedTypeError) as info:
        tracer.jit(tracer.trace(_sum_range3))(X3, i32(0), i32(5), i32(2))
    assert "step" in str(info.value)


@tracer.jit
@tracer.trace
def one_branch_then_used(x):
    if x.sum() > 0:
        y = x * 2
        z = x
    else:
        z = -x
    w = z + 1
    return w * y  # one-branch-used


@tracer.jit
@tracer.trace
def one_branch_then_returned(x):
    if x.sum() > 0:
        y = x * 2
    return y


def test_variable_assigned_in_one_traced_branch_then_used_is_an_error():
    message = raises_at(tracer.TracerError, "one-branch-used", one_branch_then_used, X3)
    assert "'y'" in message and "branch" in message, message


def test_variable_assigned_in_one_traced_branch_then_returned_is_an_error():
    with pytest.raises(tracer.TracerError) as info:
        one_branch_then_returned(X3)  # one-branch-returned
    message = str(info.value)
    assert "'y'" in message and "branch" in message, message
    assert_starts_at(message, "one-branch-returned")


@tracer.jit
@tracer.trace
def python_list_in_traced_if(x):
    names = []
    if x.sum() > 0:  # list-if
        names = ["positive"]  # list-assign
        x = x + 1
    else:
        x = x - 1
        x = x * 3
    return x


@tracer.jit
@tracer.trace
def python_list_in_traced_for(x, n):
    seen = []
    for i in range(n):  # list-for
        seen = ["step"]  # list-for-assign
        x = x + 1
        x = x * 0.5
    return x


def test_python_list_assigned_in_a_traced_if_is_a_type_error_naming_it():
    with pytest.raises(tracer.TracedTypeError) as info:
        python_list_in_traced_if(X3)
    message = str(info.value)
    assert "'names'" in message and "list" in message, message
    assert_starts_at(message, "list-if", "list-assign")


def test_python_list_assigned_in_a_traced_for_is_a_type_error_naming_it():
    with pytest.raises(tracer.TracedTypeError) as info:
        python_list_in_traced_for(X3, i32(2))
    message = str(info.value)
    assert "'seen'" in message and "list" in message, message
    assert_starts_at(message, "list-for", "list-for-assign")


def test_decorating_a_lambda_is_a_tracer_error():
    with pytest.raises(tracer.TracerError) as info:
        tracer.trace(lambda x: x + 1)  # lambda-one-line
    assert_starts_at(str(info.value), "lambda-one-line")
    assert "def" in str(info.value)


def test_decorating_a_lambda_written_across_lines_is_a_tracer_error():
    with pytest.raises(tracer.TracerError):
        tracer.trace(
            lambda x: x * 2)


def _undecorated_if(x):
    if x > 0:  # undecorated-if
        return x
    return -x


def test_undecorated_python_if_on_a_traced_value_suggests_tracer_trace():
    message = raises_at(tracer.ConcretizationError, "undecorated-if", tracer.jit(_undecorated_if), np.float32(2))
    fix = message.split("\n  fix: ", 1)[1]
    assert "tracer.trace" in fix, message


def test_error_locations_are_the_original_source_lines():
    """The rewrite keeps the file and line numbers: a NumPy error inside a traced branch names that line."""
    @tracer.jit
    @tracer.trace
    def bad_shapes(x, y):
        if x.sum() > 0:
            z = x + 1
        else:
            z = x + y  # bad-shapes
        return z

    message = raises_at(tracer.TracedShapeError, "bad-shapes", bad_shapes, X3, f32(1, 2))
    assert re.search(r"\(3,\).*\(2,\)|3.*2", message), message
