"""Structured control flow: `tracer.cond`, `switch`, `while_loop`, `fori_loop` and `scan`.

Every value test compares against an independent oracle written as ordinary Python control
flow (`if`, `while`, `for`) on NumPy values, and checks both paths of the same user code:
under `tracer.jit` (one `stablehlo.if` / `case` / `while`) and eagerly on NumPy arrays.
Golden-IR tests check with FileCheck that each primitive emits one op (a loop is never
unrolled); error tests check the exception type, a helpful phrase, and that the message
starts at *this file's* offending line (marked with a trailing `# <marker>` comment).

Arrays drawn by hypothesis keep one shape per test, so each test compiles once or twice.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from jax import tree_util

import helpers
import tracer
from helpers_filecheck import filecheck

THIS_FILE = os.path.basename(__file__)
SETTINGS = helpers.xla_settings(15)

# Half-integers: float32 sums and products of a few of them are exact, so a traced predicate
# such as `x.sum() > t` can never land on the other side of NumPy's by a rounding difference.
HALVES = st.integers(-8, 8).map(lambda v: v / 2)


def f32_vectors(n):
    return hnp.arrays(np.float32, n, elements=HALVES)


def f32(*values):
    return np.array(values, dtype=np.float32)


# --------------------------------------------------------------------------- helpers


def check(fn, oracle, *args, jitted=None, eager="exact", rtol=None, atol=0.0):
    """`fn(*args)` under tracer.jit, and `fn(*args)` run eagerly on NumPy, must both equal `oracle(*args)`.

    `eager="values"` compares the eager path by value only: where a carried Python number is
    a 0-d array of NumPy's default dtype under jit (documented) but stays a weak Python scalar
    in plain NumPy. `eager=None` skips the eager path.
    """
    expected = helpers.eager(oracle, *args)
    actual = helpers.to_numpy((jitted or tracer.jit(fn))(*args))
    helpers.assert_trees_match(actual, expected, rtol=rtol, atol=atol)
    if eager == "exact":
        helpers.assert_trees_match(helpers.eager(fn, *args), expected, rtol=rtol, atol=atol)
    elif eager == "values":
        ours = helpers.eager(fn, *args)
        helpers.assert_trees_match(tree_astype(ours, expected), expected, rtol=1e-6 if rtol is None else rtol, atol=atol)
    return expected


def tree_astype(tree, like):
    return tree_util.tree_map(lambda a, b: np.asarray(a).astype(np.asarray(b).dtype), tree, like)


def traced_ir(fn, *args) -> str:
    return tracer.compile(fn, *args).as_text("traced")


def optimized_ir(fn, *args) -> str:
    return tracer.compile(fn, *args).as_text()


def line_of(marker: str) -> int:
    for number, text in enumerate(Path(__file__).read_text().splitlines(), 1):
        if text.rstrip().endswith(f"# {marker}"):
            return number
    raise LookupError(marker)


def raises_at(kind, marker: str, fn, *args, fix: bool = True) -> str:
    """fn(*args) raises `kind` whose message starts at this file's line marked `# marker`; returns the message."""
    with pytest.raises(kind) as info:
        fn(*args)
    message = str(info.value)
    where = f"{THIS_FILE}:{line_of(marker)}:"
    assert message.split(" ", 1)[0].endswith(where), f"expected the message to start at {where!r}:\n{message}"
    if fix:
        assert "\n  fix: " in message, f"expected a 'fix:' hint in:\n{message}"
    return message


# =========================================================================== cond


def _cond_basic(x, t):
    return tracer.cond(x.sum() > t, lambda a: np.sin(a) * 2, lambda a: a - t, x)


def _cond_basic_oracle(x, t):
    if x.sum() > t:
        return np.sin(x) * 2
    return x - t


_COND_BASIC = tracer.jit(_cond_basic)


@SETTINGS
@given(x=f32_vectors(5), t=HALVES)
@example(x=np.ones(5, np.float32), t=0.0)   # true branch
@example(x=np.ones(5, np.float32), t=5.0)   # equal: false branch
@example(x=np.ones(5, np.float32), t=9.5)   # false branch
def test_cond_traced_predicate_takes_either_branch(x, t):
    check(_cond_basic, _cond_basic_oracle, x, np.float32(t), jitted=_COND_BASIC, atol=1e-6)


def _cond_tree(flag, x):
    def yes(a):
        return {"total": a.sum(), "parts": (a * 2, (a > 1).astype(np.int32), a > 0)}

    def no(a):
        return {"total": -a.max(), "parts": (a[::-1], np.zeros(4, np.int32) + 7, a < 0)}

    return tracer.cond(flag, yes, no, x)


def _cond_tree_oracle(flag, x):
    if flag:
        return {"total": x.sum(), "parts": (x * 2, (x > 1).astype(np.int32), x > 0)}
    return {"total": -x.max(), "parts": (x[::-1], np.full(4, 7, np.int32), x < 0)}


@pytest.mark.parametrize("flag", [True, False])
def test_cond_returns_pytrees_of_mixed_dtypes(flag):
    jitted = tracer.jit(_cond_tree)
    for x in (f32(0.5, 2, -1, 3), f32(-2, -1, 0, 1.5)):
        check(_cond_tree, _cond_tree_oracle, np.bool_(flag), x, jitted=jitted)


W = (np.arange(12, dtype=np.float32).reshape(4, 3) - 5) / 4   # a NumPy constant the branches close over


def _cond_closures(x):
    s = x.sum()   # outer traced values, used inside both branches
    m = x.max()
    return tracer.cond(s > 3, lambda: x @ W + s, lambda: (x - m) @ W * 2)


def _cond_closures_oracle(x):
    s, m = x.sum(), x.max()
    return x @ W + s if s > 3 else (x - m) @ W * 2


_COND_CLOSURES = tracer.jit(_cond_closures)


@SETTINGS
@given(x=f32_vectors(4))
@example(x=f32(1, 1, 1, 1))
@example(x=f32(0, 0, 0, 0))
def test_cond_branches_close_over_outer_traced_values_and_numpy_arrays(x):
    check(_cond_closures, _cond_closures_oracle, x, jitted=_COND_CLOSURES, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("make, number, dtype", [
    (lambda x: x.sum(), 0, np.float32),
    (lambda x: x.sum(), 2.5, np.float32),
    (lambda x: x.astype(np.int8)[0], -3, np.int8),
    (lambda x: x.astype(np.uint8).max(), 7, np.uint8),
    (lambda x: x[0] > 1, True, np.bool_),
    (lambda x: (x.astype(np.float16) * 2).sum(), 1, np.float16),
], ids=["f32-int", "f32-float", "i8", "u8", "bool", "f16"])
def test_cond_python_number_adapts_to_the_other_branch_dtype(make, number, dtype):
    x = f32(2, 1, 0, 3)
    array_value = np.asarray(make(x))
    for number_first in (True, False):
        def f(flag, x):
            branches = (lambda: number, lambda: make(x))
            return tracer.cond(flag, *(branches if number_first else branches[::-1]))

        jitted = tracer.jit(f)
        for flag in (True, False):
            number_taken = flag == number_first
            expected = np.asarray(number, dtype) if number_taken else array_value
            actual = np.asarray(jitted(np.bool_(flag), x))
            helpers.assert_matches_numpy(actual, expected.astype(dtype))
            # Eagerly the chosen branch's value comes back as it is (a Python number stays one).
            np.testing.assert_array_equal(np.asarray(f(flag, x)), number if number_taken else array_value)


def test_cond_two_python_numbers_take_numpys_result_type():
    f = tracer.jit(lambda flag: tracer.cond(flag, lambda: 1, lambda: 2.5))
    helpers.assert_matches_numpy(np.asarray(f(np.bool_(True))), np.float64(1.0))
    helpers.assert_matches_numpy(np.asarray(f(np.bool_(False))), np.float64(2.5))


@pytest.mark.parametrize("number, other", [
    (1.5, lambda n: n * 2),            # a float is not truncated to the int branch's dtype
    (2, lambda n: n > 0),              # an int other than 0/1 is not squashed into a bool
    (-0.25, lambda n: (n * 2).astype(np.int8)),
], ids=["float-vs-int32", "int-vs-bool", "float-vs-int8"])
def test_cond_python_number_is_never_silently_narrowed(number, other):
    """A branch's Python number must either be refused or come back with its value intact.

    NumPy would promote (result_type(1.5, int32) is float64); silently returning 1 for 1.5 is
    the wrong answer the design forbids ("never a silent wrong answer").
    """
    f = tracer.jit(lambda flag, n: tracer.cond(flag, lambda: number, lambda: other(n)))
    try:
        out = np.asarray(f(np.bool_(True), np.int32(3)))
    except tracer.TracedTypeError as err:
        assert "dtype" in str(err)
        return
    assert out == number, f"the true branch returned {number!r}, tracer.cond gave {out!r} ({out.dtype})"


def test_cond_with_python_or_numpy_predicate_runs_only_that_branch_inside_jit():
    def never(x):
        raise AssertionError("the branch not taken must not even be traced")

    for pred in (True, np.bool_(True), np.array(3), 1.0):
        f = lambda x: tracer.cond(pred, lambda a: a * 3, never, x)   # noqa: E731
        x = f32(1, -2, 3)
        helpers.assert_matches_numpy(np.asarray(tracer.jit(f)(x)), x * 3)
        helpers.assert_matches_numpy(f(x), x * 3)
        assert "stablehlo.if" not in traced_ir(f, x)
    f = lambda x: tracer.cond(np.bool_(False), never, lambda a: -a, x)   # noqa: E731
    helpers.assert_matches_numpy(np.asarray(tracer.jit(f)(f32(1, 2))), f32(-1, -2))


@pytest.mark.parametrize("dtype, values", [
    (np.int32, [0, 5, -1]),
    (np.float32, [0.0, 0.5, -0.0, np.nan]),
], ids=["int32", "float32"])
def test_cond_non_boolean_traced_predicate_uses_python_truthiness(dtype, values):
    f = lambda p, x: tracer.cond(p, lambda: x + 1, lambda: x - 1)   # noqa: E731
    jitted = tracer.jit(f)
    for value in values:
        p = np.asarray(value, dtype)
        check(f, lambda p, x: x + 1 if bool(p) else x - 1, p, f32(1, 2), jitted=jitted)


def _cond_writes_operand(flag, x):
    def bump(a):
        a[0] = 100.0
        a += 1
        return a

    return tracer.cond(flag, bump, lambda a: a * 2, x)


def _cond_writes_operand_oracle(flag, x):
    if flag:
        a = x.copy()
        a[0] = 100.0
        a += 1
        return a
    return x * 2


@pytest.mark.parametrize("flag", [True, False])
def test_cond_in_place_update_of_an_operand_stays_in_its_branch(flag):
    """cond's documented contract: operands come in as fresh arrays, so `a[0] = ...` in a branch is allowed."""
    check(_cond_writes_operand, _cond_writes_operand_oracle, np.bool_(flag), f32(1, 2, 3))


def _cond_writes_numpy_operand(flag):
    base = np.zeros(3)

    def set_first(a):
        a[0] = 7.0
        return a

    return tracer.cond(flag, set_first, lambda a: a + 1, base)


def _cond_writes_numpy_operand_oracle(flag):
    return np.array([7.0, 0, 0]) if flag else np.ones(3)


@pytest.mark.parametrize("flag", [True, False])
def test_cond_write_to_a_numpy_operand_in_one_branch_is_not_seen_by_the_other(flag):
    check(_cond_writes_numpy_operand, _cond_writes_numpy_operand_oracle, np.bool_(flag))


# =========================================================================== switch


def _switch(i, x):
    return tracer.switch(i, [lambda a: a + 1, lambda a: a * 2, lambda a: -a], x)


def _switch_oracle(i, x):
    i = int(i)
    if i <= 0:
        return x + 1
    if i == 1:
        return x * 2
    return -x


_SWITCH = tracer.jit(_switch)


@pytest.mark.parametrize("dtype", [np.int32, np.int8, np.uint8, np.int64])
@SETTINGS
@given(data=st.data(), x=f32_vectors(3))
def test_switch_clamps_negative_and_too_large_indices(dtype, data, x):
    info = np.iinfo(dtype)
    index = data.draw(st.one_of(st.integers(max(info.min, -3), 5), st.integers(max(info.min, -2**31), min(info.max, 2**31 - 1))))
    check(_switch, _switch_oracle, np.asarray(index, dtype), x, jitted=_SWITCH)


@pytest.mark.parametrize("index", [np.int64(2**32 + 1), np.int64(-(2**32) + 1), np.uint32(2**32 - 1)],
                         ids=["2**32+1", "-2**32+1", "uint32-max"])
def test_switch_clamps_indices_beyond_int32(index):
    """Clamped into range like np.clip (what the eager path does), not wrapped to int32 first."""
    check(_switch, _switch_oracle, index, f32(1, 2, 3), jitted=_SWITCH)


def _switch_tree(i, ops):
    a, b = ops["a"], ops["b"]
    return tracer.switch(i, [
        lambda: (a.sum(), b),
        lambda: (a.max(), b * 3),
        lambda: (0, b - 1),          # a Python number adapts to float32
        lambda: (a[1], np.abs(b)),
    ])


def _switch_tree_oracle(i, ops):
    a, b = ops["a"], ops["b"]
    k = int(np.clip(i, 0, 3))
    if k == 0:
        return a.sum(), b
    if k == 1:
        return a.max(), b * 3
    if k == 2:
        return np.float32(0), b - 1
    return a[1], np.abs(b)


def test_switch_with_pytree_operands_and_results():
    jitted = tracer.jit(_switch_tree)
    ops = {"a": f32(1, 5, -2), "b": np.array([-1, 2], np.int32)}
    for i in range(-1, 6):
        expected = helpers.eager(_switch_tree_oracle, np.int32(i), ops)
        helpers.assert_trees_match(helpers.to_numpy(jitted(np.int32(i), ops)), expected)
        eager = helpers.eager(_switch_tree, np.int32(i), ops)
        helpers.assert_trees_match(tree_astype(eager, expected), expected)


def test_switch_with_one_branch_and_with_a_python_index():
    one = tracer.jit(lambda i, x: tracer.switch(i, [lambda a: a * 5], x))
    for i in (-4, 0, 9):
        helpers.assert_matches_numpy(np.asarray(one(np.int32(i), f32(1, 2))), f32(5, 10))
    static = lambda x: tracer.switch(7, [np.sin, np.cos, np.negative], x)   # noqa: E731
    helpers.assert_matches_numpy(np.asarray(tracer.jit(static)(f32(1, 2))), f32(-1, -2))
    helpers.assert_matches_numpy(static(f32(1, 2)), f32(-1, -2))
    assert "stablehlo.case" not in traced_ir(static, f32(1, 2))


# =========================================================================== while_loop


def _while_count(k, n, v):
    return tracer.while_loop(lambda c: c[0] < n, lambda c: (c[0] + 1, c[1] * 1.5 + 1), (k, v))


def _while_count_oracle(k, n, v):
    while k < n:
        k, v = k + 1, v * 1.5 + 1
    return k, v


_WHILE_COUNT = tracer.jit(_while_count)


@SETTINGS
@given(k=st.integers(-3, 6), n=st.integers(-3, 8), v=f32_vectors(3))
@example(k=5, n=5, v=f32(1, 2, 3))    # condition false at the start: zero trips
@example(k=7, n=-2, v=f32(1, 2, 3))
def test_while_loop_matches_python_while(k, n, v):
    check(_while_count, _while_count_oracle, np.int32(k), np.int32(n), v, jitted=_WHILE_COUNT)


def test_while_loop_zero_trips_returns_the_initial_pytree_unchanged():
    def f(x):
        init = {"i": np.int32(5), "v": x, "flag": x > 1, "n": np.int64(-3)}
        def body(c):
            return {"i": c["i"] + 1, "v": c["v"] * 0, "flag": ~c["flag"], "n": c["n"] - 1}

        return tracer.while_loop(lambda c: c["i"] > 100, body, init)

    x = f32(1, 2, 3)
    expected = {"i": np.int32(5), "v": x, "flag": x > 1, "n": np.int64(-3)}
    helpers.assert_trees_match(helpers.to_numpy(tracer.jit(f)(x)), expected)
    helpers.assert_trees_match(helpers.eager(f, x), expected)


def _newton_sqrt(a):
    def not_converged(c):
        x, n = c
        return np.any(np.abs(x * x - a) > 1e-12 * a) & (n < 100)

    def step(c):
        x, n = c
        return (x + a / x) / 2, n + 1

    return tracer.while_loop(not_converged, step, (a, 0))


def _newton_sqrt_oracle(a):
    x, n = a.copy(), 0
    while np.any(np.abs(x * x - a) > 1e-12 * a) and n < 100:
        x, n = (x + a / x) / 2, n + 1
    return x, np.int64(n)


_NEWTON = tracer.jit(_newton_sqrt)


@SETTINGS
@given(a=hnp.arrays(np.float64, 4, elements=st.floats(0.01, 1e6)))
@example(a=np.ones(4))   # already a fixed point: zero iterations
def test_while_loop_fixed_point_iteration_matches_python(a):
    x, n = check(_newton_sqrt, _newton_sqrt_oracle, a, jitted=_NEWTON, rtol=1e-12)
    np.testing.assert_allclose(x, np.sqrt(a), rtol=1e-12)
    assert n < 100


def _while_mixed(n, x):
    init = {"i": np.int32(0), "acc": x, "flag": np.bool_(False), "total": 0, "scale": 1.0}

    def body(c):
        return {"i": c["i"] + 1, "acc": c["acc"] * 2 + 1, "flag": c["flag"] | (c["acc"].sum() > 10),
                "total": c["total"] + c["i"], "scale": c["scale"] * 0.5}

    return tracer.while_loop(lambda c: c["i"] < n, body, init)


def _while_mixed_oracle(n, x):
    # Carried Python numbers follow NumPy's promotion as in a Python loop: 0 + int32 is int32;
    # a Python float that only meets Python floats ends as float64.
    i, acc, flag, total, scale = np.int32(0), x.copy(), np.bool_(False), 0, 1.0
    while i < n:
        i, acc, flag, total, scale = i + 1, acc * 2 + 1, flag | (acc.sum() > 10), total + i, scale * 0.5
    # A traced loop's carry has one dtype whatever the trip count: the body's (int32), even for n == 0.
    total = np.int32(total)
    return {"i": np.int32(i), "acc": acc, "flag": np.bool_(flag), "total": total, "scale": np.float64(scale)}


@pytest.mark.parametrize("n", [0, 1, 4])
def test_while_loop_carries_a_pytree_of_mixed_dtypes_and_python_numbers(n):
    check(_while_mixed, _while_mixed_oracle, np.int32(n), f32(0.5, -1, 2), eager="values")


def test_while_loop_python_number_carry_widens_to_what_the_body_makes():
    def f(x):
        return tracer.while_loop(lambda c: c[0] < 3, lambda c: (c[0] + 0.5, c[1] + 1), (0, x))

    def oracle(x):
        k, v = 0.0, x
        while k < 3:
            k, v = k + 0.5, v + 1
        return np.float64(k), v

    check(f, oracle, f32(1, 2, 3))


def _while_closure(x, limit):
    s = x.sum()    # outer traced value used in both the condition and the body
    return tracer.while_loop(lambda c: c.sum() < limit + s, lambda c: c + np.abs(W[:, 0]) * 2 + s * 0, x)


def _while_closure_oracle(x, limit):
    s, c = x.sum(), x.copy()
    while c.sum() < limit + s:
        c = c + np.abs(W[:, 0]) * 2
    return c


def test_while_loop_closes_over_outer_traced_values_and_numpy_arrays():
    jitted = tracer.jit(_while_closure)
    for limit in (-1.0, 0.0, 7.0, 30.0):
        check(_while_closure, _while_closure_oracle, f32(1, 2, -1, 0.5), np.float32(limit), jitted=jitted)


# A body that hands a carried value back untouched (or a condition that is a carried bool) once
# crashed the interpreter, so these run in a child process: a crash fails one test, not the session.
PASS_THROUGH = {
    "while-body": ("tracer.while_loop(lambda c: c[0] < 3, lambda c: (c[0] + 1, c[1]), (np.int32(0), x))",
                   lambda x: (np.int32(3), x)),
    "while-bool-condition": ("tracer.while_loop(lambda c: c[0], lambda c: (c[1].sum() < 9, c[1] + 1), (np.bool_(True), x))",
                             lambda x: (np.bool_(False), x + 2)),
    "fori-identity": ("tracer.fori_loop(0, 3, lambda i, c: c, x)", lambda x: x),
    "scan-carry": ("tracer.scan(lambda c, v: (c, v * 2), x, np.ones((2, 3), np.float32))",
                   lambda x: (x, np.full((2, 3), 2, np.float32))),
}


@pytest.mark.parametrize("name", list(PASS_THROUGH))
def test_loop_returning_a_carried_value_unchanged(name):
    expression, oracle = PASS_THROUGH[name]
    x = f32(1, 2, 3)
    code = (f"import numpy as np, tracer\nx = np.array({x.tolist()}, np.float32)\n"
            f"f = lambda x: {expression}\n"
            "from jax import tree_util\n"
            "print(repr(tree_util.tree_map(lambda a: np.asarray(a).tolist(), (tracer.jit(f)(x), f(x)))))\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                          cwd=Path(__file__).resolve().parents[2])
    assert proc.returncode == 0, f"the traced loop crashed the process (exit {proc.returncode}):\n{proc.stderr[-3000:]}"
    expected = helpers.eager(oracle, x)
    as_lists = tree_util.tree_map(lambda a: np.asarray(a).tolist(), expected)
    assert proc.stdout.strip() == repr((as_lists, as_lists))


# =========================================================================== fori_loop


def _fori_oracle(lo, hi, x, init):
    c = init.copy()
    for i in range(int(lo), int(hi)):
        c = c * 0.5 + i * x
    return c


@pytest.mark.parametrize("lo, hi", [(0, 5), (2, 7), (-2, 2), (3, 3), (5, 2)],
                         ids=["0..5", "2..7", "negative-lower", "zero-trips", "negative-trips"])
def test_fori_loop_with_static_bounds(lo, hi):
    def f(x):
        return tracer.fori_loop(lo, hi, lambda i, c: c * 0.5 + i * x, np.ones(3, np.float32))

    x = f32(1, -2, 0.5)
    check(f, lambda x: _fori_oracle(lo, hi, x, np.ones(3, np.float32)), x)
    filecheck(traced_ir(f, x), f"""
        CHECK-COUNT-1: stablehlo.while
        CHECK-SAME:    pyreactant.trip_count = {max(0, hi - lo)} : i64
        CHECK-NOT:     stablehlo.while
    """)


def _fori_traced(lo, hi, x):
    return tracer.fori_loop(lo, hi, lambda i, c: c * 0.5 + i * x, np.ones(3, np.float32))


_FORI_TRACED = tracer.jit(_fori_traced)


@SETTINGS
@given(lo=st.integers(-3, 8), hi=st.integers(-3, 8), x=f32_vectors(3))
@example(lo=4, hi=4, x=f32(1, 2, 3))
@example(lo=6, hi=1, x=f32(1, 2, 3))
def test_fori_loop_with_traced_bounds_including_zero_and_negative_trips(lo, hi, x):
    check(_fori_traced, lambda lo, hi, x: _fori_oracle(lo, hi, x, np.ones(3, np.float32)),
          np.int32(lo), np.int32(hi), x, jitted=_FORI_TRACED)


def _fori_nested(x):
    def outer(i, c):   # the inner loop's upper bound is the outer (traced) index
        return tracer.fori_loop(0, i, lambda j, d: d * 0.5 + x * j + i, c)

    return tracer.fori_loop(0, 4, outer, np.zeros(3, np.float32))


def _fori_nested_oracle(x):
    c = np.zeros(3, np.float32)
    for i in range(4):
        for j in range(i):
            c = c * 0.5 + x * j + i
    return c


def test_fori_loop_nested_with_inner_bound_from_outer_index():
    x = f32(1, -0.5, 2)
    check(_fori_nested, _fori_nested_oracle, x)
    filecheck(traced_ir(_fori_nested, x), """
        CHECK:      stablehlo.while
        CHECK-SAME: pyreactant.trip_count = 4 : i64
        CHECK:      cond {
        CHECK:      } do {
        CHECK:      stablehlo.while
        CHECK-NOT:  pyreactant.trip_count
        CHECK:      return
    """)


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.int8, np.uint8, np.int32])
def test_fori_loop_index_is_weak_in_promotion(dtype):
    """`i * x` keeps x's dtype, as it does with a Python int in NumPy."""
    def f(x):
        return tracer.fori_loop(0, 4, lambda i, c: c + i * x, np.zeros(3, dtype))

    def oracle(x):
        c = np.zeros(3, dtype)
        for i in range(4):
            c = c + i * x
        return c

    check(f, oracle, np.array([1, 2, 3], dtype))


@pytest.mark.parametrize("step", [
    lambda i, x: (i + 1) * x,
    lambda i, x: x * -i,
    lambda i, x: x * (i % 2),
    lambda i, x: i / 2 * x,
    lambda i, x: x * (2 * i - 1),
], ids=["(i+1)*x", "x*-i", "x*(i%2)", "i/2*x", "x*(2i-1)"])
def test_fori_loop_arithmetic_on_the_index_stays_weak(step):
    """In the Python loop the oracle runs, `i + 1` is still a Python int: it must not turn x into float64."""
    def f(x):
        return tracer.fori_loop(0, 4, lambda i, c: c + step(i, x), np.zeros(3, np.float32))

    def oracle(x):
        c = np.zeros(3, np.float32)
        for i in range(4):
            c = c + step(i, x)
        return c

    check(f, oracle, f32(1, -2, 0.5))


def _fori_rows(x):
    def body(i, c):
        for r in range(3):                    # a static, unrolled Python index: basic indexing
            c[r] = c[r] * 0.5 + x * (r + 1)
        c[2, 1:] = c[1, :3] - i               # a slice write reading another row
        c[0, 0] = i                           # the (traced) index written into one element
        return c

    return tracer.fori_loop(0, 4, body, np.zeros((3, 4), np.float32))


def _fori_rows_oracle(x):
    c = np.zeros((3, 4), np.float32)
    for i in range(4):
        for r in range(3):
            c[r] = c[r] * 0.5 + x * (r + 1)
        c[2, 1:] = c[1, :3] - i
        c[0, 0] = i
    return c


def test_fori_loop_body_mutates_its_carry_in_place_with_static_indices():
    check(_fori_rows, _fori_rows_oracle, f32(1, 2, -1, 0.5))


def _fori_where(x):
    rows = np.arange(5)[:, None]    # a NumPy constant: np.where over an iota mask writes row i

    def body(i, c):
        v, best, table = c
        v = v * 1.5 - 1
        best = np.where(v > best, v, best)
        table = np.where(rows == i, v, table)
        return v, best, table

    return tracer.fori_loop(0, 5, body, (x, np.full(3, -np.inf, np.float32), np.zeros((5, 3), np.float32)))


def _fori_where_oracle(x):
    v, best, table = x.copy(), np.full(3, -np.inf, np.float32), np.zeros((5, 3), np.float32)
    for i in range(5):
        v = v * 1.5 - 1
        best = np.maximum(best, v)
        table[i] = v
    return v, best, table


def test_fori_loop_carry_updated_with_np_where():
    check(_fori_where, _fori_where_oracle, f32(3, -1, 0.5))


def _fori_1000(x):
    return tracer.fori_loop(0, 1000, lambda i, c: 0.5 * np.cos(c) + x, x)


def test_fori_loop_1000_steps_matches_python_and_is_one_while_not_unrolled():
    x = np.array([0.25, -1.0, 3.0])

    def oracle(x):
        c = x
        for _ in range(1000):
            c = 0.5 * np.cos(c) + x
        return c

    check(_fori_1000, oracle, x, rtol=1e-12)
    for text in (traced_ir(_fori_1000, x), optimized_ir(_fori_1000, x)):
        filecheck(text, """
            CHECK-NOT:  stablehlo.cosine
            CHECK:      stablehlo.while
            CHECK-SAME: pyreactant.trip_count = 1000 : i64
            CHECK:      cond {
            CHECK:      stablehlo.compare LT
            CHECK:      } do {
            CHECK:      stablehlo.cosine
            CHECK-NOT:  stablehlo.cosine
            CHECK-NOT:  stablehlo.while
            CHECK:      return
        """)
        assert text.count("stablehlo.cosine") == 1 and text.count("stablehlo.while") == 1


def test_fori_loop_eagerly_passes_python_ints_to_the_body():
    seen = []

    def body(i, c):
        seen.append(i)
        return c + i

    out = tracer.fori_loop(np.int64(2), np.int32(5), body, np.zeros(2))
    assert seen == [2, 3, 4] and all(type(i) is int for i in seen)
    helpers.assert_matches_numpy(out, np.full(2, 9.0))
    assert tracer.fori_loop(3, 1, body, "untouched") == "untouched"


# =========================================================================== scan


def _scan_step(c, v):
    c = c * 0.5 + v
    return c, (c.sum(), v * c)


def _scan_oracle(init, xs, reverse):
    c, ys_sum, ys_prod = init.copy(), [None] * len(xs), [None] * len(xs)
    order = range(len(xs) - 1, -1, -1) if reverse else range(len(xs))
    for t in order:
        c = c * 0.5 + xs[t]
        ys_sum[t], ys_prod[t] = c.sum(), xs[t] * c
    return c, (np.stack(ys_sum), np.stack(ys_prod))


_SCANS = {reverse: tracer.jit(lambda init, xs, r=reverse: tracer.scan(_scan_step, init, xs, reverse=r))
          for reverse in (False, True)}


@pytest.mark.parametrize("reverse", [False, True], ids=["forward", "reverse"])
@SETTINGS
@given(init=f32_vectors(3), xs=hnp.arrays(np.float32, (5, 3), elements=HALVES))
def test_scan_forward_and_reverse_match_a_python_loop(reverse, init, xs):
    check(lambda init, xs: tracer.scan(_scan_step, init, xs, reverse=reverse),
          lambda init, xs: _scan_oracle(init, xs, reverse), init, xs, jitted=_SCANS[reverse])


def _scan_tree(xs):
    def step(c, v):
        acc, count = c
        a, (k, mask) = v["a"], v["b"]
        acc = acc + a * k.astype(np.float32)
        count = count + mask.sum()
        return (acc, count), {"s": a.sum(), "any": mask.any(), "k2": k * 2}

    return tracer.scan(step, (np.zeros(3, np.float32), np.int64(0)), xs)


def _scan_tree_oracle(xs):
    acc, count, ys = np.zeros(3, np.float32), np.int64(0), {"s": [], "any": [], "k2": []}
    for t in range(len(xs["a"])):
        a, k, mask = xs["a"][t], xs["b"][0][t], xs["b"][1][t]
        acc = acc + a * k.astype(np.float32)
        count = count + mask.sum()
        ys["s"].append(a.sum())
        ys["any"].append(mask.any())
        ys["k2"].append(k * 2)
    return (acc, count), {name: np.stack(parts) for name, parts in ys.items()}


def test_scan_over_a_pytree_of_xs_with_pytree_ys():
    rng = np.random.default_rng(3)
    xs = {"a": rng.integers(-4, 5, (4, 3)).astype(np.float32),
          "b": (np.array([1, -2, 3, 0], np.int32), rng.random((4, 2)) > 0.5)}
    check(_scan_tree, _scan_tree_oracle, xs)


def test_scan_with_length_only():
    def f(c0):
        return tracer.scan(lambda c, x: (c * 2 + 1, (c, c % 3 == 0)), c0, length=6)

    def oracle(c0):
        c, ys = c0, []
        for _ in range(6):
            ys.append((c, c % 3 == 0))
            c = c * 2 + 1
        return c, (np.stack([y[0] for y in ys]), np.stack([y[1] for y in ys]))

    check(f, oracle, np.int32(1))
    check(f, oracle, np.float32(-0.5))


def test_scan_with_y_none_returns_ys_none():
    def f(xs):
        return tracer.scan(lambda c, v: (np.maximum(c, v), None), np.full(3, -5, np.float32), xs)

    xs = np.array([[1, -6, 2], [0, 3, -1]], np.float32)
    expected = (xs.max(axis=0), None)
    got = tracer.jit(f)(xs)
    assert got[1] is None
    helpers.assert_matches_numpy(np.asarray(got[0]), expected[0])
    eager = f(xs)
    assert eager[1] is None
    helpers.assert_matches_numpy(eager[0], expected[0])


def test_scan_stacks_ys_of_every_rank_along_a_new_leading_axis():
    def f(xs):
        return tracer.scan(lambda c, v: (c + 1, (v.sum(), v * c, 1)), np.float32(0), xs)

    xs = np.arange(24, dtype=np.float32).reshape(3, 2, 4)

    def oracle(xs):
        return np.float32(3), (xs.sum(axis=(1, 2)), xs * np.arange(3, dtype=np.float32)[:, None, None], np.ones(3, np.int64))

    (count, (sums, prods, ones)) = check(f, oracle, xs)
    assert sums.shape == (3,) and prods.shape == (3, 2, 4) and ones.shape == (3,)


def _scan_mixed(xs, flags):
    def step(c, v):
        i, acc, seen, total = c
        x, f = v
        return (i + 1, acc * x.astype(np.float32), seen | f, total + x * 0.5), (i, seen)

    return tracer.scan(step, (np.int32(0), np.float32(1), np.bool_(False), 0.0), (xs, flags))


def _scan_mixed_oracle(xs, flags):
    i, acc, seen, total, ys_i, ys_seen = np.int32(0), np.float32(1), np.bool_(False), np.float64(0.0), [], []
    for x, f in zip(xs, flags):
        ys_i.append(i)
        ys_seen.append(seen)
        i, acc, seen, total = i + 1, acc * np.float32(x), seen | f, total + x * 0.5
    return (np.int32(i), np.float32(acc), np.bool_(seen), np.float64(total)), (np.stack(ys_i), np.stack(ys_seen))


def test_scan_carries_mixed_dtypes():
    xs = np.array([1.5, -2.0, 0.25, 4.0])        # float64, so the Python-float carry stays float64 eagerly too
    flags = np.array([False, False, True, False])
    check(_scan_mixed, _scan_mixed_oracle, xs, flags)


def test_scan_python_number_carry_that_widens_keeps_ys_exact():
    """The carry 1 widens to float64 (1 * 2.5); ys made from it must not be truncated to int64."""
    def f(xs):
        return tracer.scan(lambda c, v: (c * 2.5 + v, c), 1, xs)

    def oracle(xs):
        c, ys = 1, []
        for v in xs:
            ys.append(c)
            c = c * 2.5 + v
        return np.float64(c), np.array(ys, np.float64)

    check(f, oracle, np.array([0.0, 1.0, -1.0, 0.5]))


def test_scan_over_zero_steps_inside_jit_returns_init_and_empty_ys():
    """Eagerly this raises and says 'run it inside tracer.jit'; under jit the ys' shape is known."""
    def f(init, xs):
        return tracer.scan(lambda c, v: (c + v, v * 2), init, xs)

    init, xs = f32(1, 2, 3), np.zeros((0, 3), np.float32)
    carry, ys = helpers.to_numpy(tracer.jit(f)(init, xs))
    helpers.assert_matches_numpy(carry, init)
    helpers.assert_matches_numpy(ys, np.zeros((0, 3), np.float32))
    with pytest.raises(ValueError, match="inside tracer.jit"):
        f(init, xs)


# =========================================================================== nesting and jit-in-jit


def _scan_cond_fori(xs):
    def step(c, v):
        c = tracer.cond(v.sum() > c.sum(),
                        lambda: tracer.fori_loop(0, 3, lambda i, d: d + v * i, c),
                        lambda: c - v)
        return c, c.sum()

    return tracer.scan(step, np.zeros(3, np.float32), xs)


def _scan_cond_fori_oracle(xs):
    c, ys = np.zeros(3, np.float32), []
    for v in xs:
        if v.sum() > c.sum():
            for i in range(3):
                c = c + v * i
        else:
            c = c - v
        ys.append(c.sum())
    return c, np.stack(ys)


def test_scan_of_cond_of_fori_loop():
    xs = np.array([[1, 2, 0], [-3, 1, 1], [2, 2, 2], [-1, -1, 5], [0, 0, 0]], np.float32)
    check(_scan_cond_fori, _scan_cond_fori_oracle, xs)
    filecheck(traced_ir(_scan_cond_fori, xs), """
        CHECK:      stablehlo.while
        CHECK-SAME: pyreactant.trip_count = 5 : i64
        CHECK:      } do {
        CHECK:      "stablehlo.if"
        CHECK:      stablehlo.while
        CHECK-SAME: pyreactant.trip_count = 3 : i64
        CHECK:      }, {
        CHECK:      stablehlo.subtract
    """)


@tracer.jit
def _inner(x):
    return tracer.fori_loop(0, 3, lambda i, c: tracer.cond(c.sum() > 5, lambda: c * 0.5, lambda: c + x), x)


@tracer.jit
def _outer(xs):
    return tracer.scan(lambda c, v: (_inner.__wrapped__(c + v), _inner.fn(v).sum()), np.zeros(2, np.float32), xs)


def _inner_oracle(x):
    c = x.copy()
    for _ in range(3):
        c = c * 0.5 if c.sum() > 5 else c + x
    return c


def test_control_flow_in_a_jit_function_calling_another_jit_functions_python_function():
    xs = np.array([[1, 0.5], [2, -1], [-3, 4]], np.float32)

    def oracle(xs):
        c, ys = np.zeros(2, np.float32), []
        for v in xs:
            ys.append(_inner_oracle(v).sum())
            c = _inner_oracle(c + v)
        return c, np.stack(ys)

    expected = helpers.eager(oracle, xs)
    helpers.assert_trees_match(helpers.to_numpy(_outer(xs)), expected)
    helpers.assert_trees_match(helpers.eager(_outer.__wrapped__, xs), expected)
    helpers.assert_matches_numpy(np.asarray(_inner(xs[0])), _inner_oracle(xs[0]))


# =========================================================================== golden IR


def test_golden_cond_is_one_stablehlo_if_with_both_branches():
    def f(x):
        return tracer.cond(x.sum() > 0, lambda: np.sin(x), lambda: np.cos(x))

    filecheck(traced_ir(f, f32(1, 2)), """
        CHECK:     %[[P:.*]] = stablehlo.compare GT
        CHECK:     "stablehlo.if"(%[[P]]) ({
        CHECK:     stablehlo.sine %arg0
        CHECK:     stablehlo.return
        CHECK:     }, {
        CHECK:     stablehlo.cosine %arg0
        CHECK:     stablehlo.return
        CHECK:     }) : (tensor<i1>) -> tensor<2xf32>
        CHECK-NOT: stablehlo.select
        CHECK-NOT: stablehlo.if
    """)


def test_golden_switch_is_a_clamp_and_one_stablehlo_case():
    def f(i, x):
        return tracer.switch(i, [np.sin, np.cos, np.tanh], x)

    filecheck(traced_ir(f, np.int64(0), f32(1, 2)), """
        CHECK:          stablehlo.clamp
        CHECK:          "stablehlo.case"(%{{.*}}) ({
        CHECK:          stablehlo.sine
        CHECK:          }, {
        CHECK:          stablehlo.cosine
        CHECK:          }, {
        CHECK:          stablehlo.tanh
        CHECK:          }) : (tensor<i32>) -> tensor<2xf32>
    """)


def test_golden_while_loop_and_traced_bound_fori_have_no_trip_count():
    def w(x):
        return tracer.while_loop(lambda c: c.sum() < 10, lambda c: c * 2, x)

    filecheck(traced_ir(w, f32(1, 2)), """
        CHECK:     stablehlo.while
        CHECK-NOT: pyreactant.trip_count
        CHECK:     cond {
        CHECK:     stablehlo.reduce
        CHECK:     stablehlo.compare LT
        CHECK:     } do {
        CHECK:     stablehlo.multiply
    """)
    filecheck(traced_ir(_fori_traced, np.int32(0), np.int32(3), f32(1, 2, 3)), """
        CHECK:     stablehlo.while
        CHECK-NOT: pyreactant.trip_count
        CHECK:     stablehlo.compare LT, %iterArg, %arg1
    """)


def test_golden_scan_is_one_while_with_dynamic_slices():
    for reverse, index_math in ((False, "CHECK-NOT: stablehlo.subtract"), (True, "CHECK: stablehlo.subtract")):
        def f(init, xs, reverse=reverse):
            return tracer.scan(lambda c, v: (c + v, c * v), init, xs, reverse=reverse)

        filecheck(traced_ir(f, f32(0, 0, 0), np.ones((7, 3), np.float32)), f"""
            CHECK:      stablehlo.while
            CHECK-SAME: pyreactant.trip_count = 7 : i64
            CHECK:      }} do {{
            {index_math}
            CHECK:      stablehlo.dynamic_slice %arg1
            CHECK-SAME: sizes = [1, 3]
            CHECK:      stablehlo.dynamic_update_slice
            CHECK-SAME: -> tensor<7x3xf32>
            CHECK-NOT:  stablehlo.while
        """)


# =========================================================================== errors

P = f32(1, 2, 3, 4)


def _different_structures(x):
    return tracer.cond(x.sum() > 0, lambda: (x, x), lambda: x)  # structures


def test_error_branches_with_different_structures_name_both_results():
    message = raises_at(tracer.TracedTypeError, "structures", tracer.jit(_different_structures), P)
    assert "true branch gives (f32[4], f32[4])" in message and "false branch gives f32[4]" in message


def _different_keys(x):
    return tracer.cond(x.sum() > 0, lambda: {"a": x}, lambda: {"b": x})  # keys


def test_error_branches_with_different_dict_keys():
    message = raises_at(tracer.TracedTypeError, "keys", tracer.jit(_different_keys), P)
    assert "{a: f32[4]}" in message and "{b: f32[4]}" in message and "same structure" in message


def _different_shapes(x):
    return tracer.cond(x.sum() > 0, lambda: x, lambda: x[:2])  # shapes


def _switch_different_shapes(i, x):
    return tracer.switch(i, [lambda: x, lambda: x * 2, lambda: x[:, None]])  # switch-shapes


def test_error_branches_with_different_shapes():
    message = raises_at(tracer.TracedTypeError, "shapes", tracer.jit(_different_shapes), P)
    assert "f32[4]" in message and "f32[2]" in message and "shapes" in message
    message = raises_at(tracer.TracedTypeError, "switch-shapes", tracer.jit(_switch_different_shapes), np.int32(0), P)
    assert "branch 0 gives f32[4]" in message and "branch 2 gives f32[4,1]" in message


def _different_dtypes(x):
    return tracer.cond(x.sum() > 0, lambda: (x, x), lambda: (x, x.astype(np.float64)))  # dtypes


def test_error_branches_with_different_dtypes():
    message = raises_at(tracer.TracedTypeError, "dtypes", tracer.jit(_different_dtypes), P)
    assert "result 1 has different dtypes" in message
    assert "true branch: f32[4]" in message and "false branch: f64[4]" in message and ".astype" in message


def _while_changes_dtype(x):
    return tracer.while_loop(lambda c: c.sum() < 10, lambda c: (c + 1).astype(np.float64), x)  # while-dtype


def test_error_while_body_changes_a_carried_arrays_dtype():
    message = raises_at(tracer.TracedTypeError, "while-dtype", tracer.jit(_while_changes_dtype), P)
    assert "enters the body as f32[4] but leaves it as f64[4]" in message and "astype" in message


def _while_changes_structure(x):
    return tracer.while_loop(lambda c: c[0].sum() < 10, lambda c: (c[0] + 1,), (x, x))  # while-structure


def test_error_while_body_changes_the_carry_structure():
    message = raises_at(tracer.TracedTypeError, "while-structure", tracer.jit(_while_changes_structure), P)
    assert "the initial carry gives (f32[4], f32[4])" in message and "the body gives (f32[4],)" in message


def _cond_vector_predicate(x):
    return tracer.cond(x > 0, lambda: x, lambda: -x)  # cond-pred


def _switch_vector_index(x):
    return tracer.switch(x.astype(np.int32), [lambda: x, lambda: -x])  # switch-index


def _while_vector_condition(x):
    return tracer.while_loop(lambda c: c < 10, lambda c: c + 1, x)  # while-pred


def test_error_non_scalar_predicates():
    message = raises_at(tracer.TracedShapeError, "cond-pred", tracer.jit(_cond_vector_predicate), P)
    assert "predicate must be a scalar" in message and "(4,)" in message and ".any()" in message
    message = raises_at(tracer.TracedShapeError, "switch-index", tracer.jit(_switch_vector_index), P)
    assert "index must be a scalar" in message
    message = raises_at(tracer.TracedShapeError, "while-pred", tracer.jit(_while_vector_condition), P)
    assert "condition of tracer.while_loop must return a scalar" in message


def _escape_through_closure(x):
    leaked = []

    def yes():
        y = x * 2
        leaked.append(y)
        return y

    out = tracer.cond(x.sum() > 0, yes, lambda: x)
    return out + leaked[0]  # escaped-branch


def _escape_into_other_branch(x):
    leaked = []

    def yes():
        leaked.append(x + 1)
        return x

    def no():
        return leaked[0] * 2  # escaped-sibling

    return tracer.cond(x.sum() > 0, yes, no)


_GLOBAL_LEAK = []


def _escape_through_global(x):
    def body(c):
        _GLOBAL_LEAK.append(c * 2)
        return c + 1

    out = tracer.while_loop(lambda c: c.sum() < 10, body, x)
    return out - _GLOBAL_LEAK[-1]  # escaped-global


def test_error_values_computed_inside_a_region_used_outside_it():
    message = raises_at(tracer.EscapedTracerError, "escaped-branch", tracer.jit(_escape_through_closure), P)
    assert "computed inside the true branch of tracer.cond and is used outside it" in message
    message = raises_at(tracer.EscapedTracerError, "escaped-sibling", tracer.jit(_escape_into_other_branch), P)
    assert "inside the true branch of tracer.cond" in message
    message = raises_at(tracer.EscapedTracerError, "escaped-global", tracer.jit(_escape_through_global), P)
    assert "inside the body of tracer.while_loop" in message and "return it" in message
    # The same code is fine eagerly: NumPy values do not escape anything.
    helpers.assert_matches_numpy(_escape_through_closure(P), P * 4)


def _write_outer_in_branch(x):
    z = x * 1

    def yes():
        z[0] = 5.0  # inplace-setitem
        return x

    tracer.cond(x.sum() > 0, yes, lambda: x)
    return z


def _iadd_outer_in_branch(x):
    z = x * 1

    def no():
        nonlocal z
        z += 1  # inplace-iadd
        return x

    tracer.cond(x.sum() > 0, lambda: x, no)
    return z


def _write_outer_in_fori(x):
    z = x * 1

    def body(i, c):
        z[1:] = c[1:]  # inplace-fori
        return c + 1

    tracer.fori_loop(0, 3, body, x)
    return z


def _write_outer_in_scan(x):
    z = x * 1

    def step(c, v):
        z[:3] = v  # inplace-scan
        return c, v

    return tracer.scan(step, 0.0, np.ones((2, 3), np.float32)), z


@pytest.mark.parametrize("fn, marker, region", [
    (_write_outer_in_branch, "inplace-setitem", "the true branch of tracer.cond"),
    (_iadd_outer_in_branch, "inplace-iadd", "the false branch of tracer.cond"),
    (_write_outer_in_fori, "inplace-fori", "the body of tracer.fori_loop"),
    (_write_outer_in_scan, "inplace-scan", "the body of tracer.scan"),
], ids=["setitem-in-cond", "iadd-in-cond", "setitem-in-fori", "setitem-in-scan"])
def test_error_in_place_write_to_an_outer_array_inside_a_region(fn, marker, region):
    message = raises_at(tracer.TracerError, marker, tracer.jit(fn), P)
    assert "in-place" in message and region in message and "defined outside it" in message


def _scan_returns_carry_only(xs):
    return tracer.scan(lambda c, v: c + v, np.zeros(3, np.float32), xs)  # scan-single


def _scan_returns_triple(xs):
    return tracer.scan(lambda c, v: (c + v, v, v), np.zeros(3, np.float32), xs)  # scan-triple


def test_error_scan_fn_must_return_a_pair():
    xs = np.ones((4, 3), np.float32)
    for fn, marker in ((_scan_returns_carry_only, "scan-single"), (_scan_returns_triple, "scan-triple")):
        message = raises_at(tracer.TracedTypeError, marker, tracer.jit(fn), xs)
        assert "must return a pair (new_carry, y)" in message and "return carry, y" in message


def _scan_mismatched_xs(a, b):
    return tracer.scan(lambda c, v: (c, v[0]), 0.0, (a, b))  # scan-lengths


def _scan_length_disagrees(a):
    return tracer.scan(lambda c, v: (c, v), 0.0, a, length=3)  # scan-length-arg


def test_error_scan_xs_with_mismatched_leading_lengths():
    a, b = np.ones((5, 3), np.float32), np.ones(4, np.float32)
    for run in (tracer.jit(_scan_mismatched_xs), _scan_mismatched_xs):   # traced and eager
        message = raises_at(tracer.TracedShapeError, "scan-lengths", run, a, b)
        assert "disagree on the number of steps: [4, 5]" in message
    message = raises_at(tracer.TracedShapeError, "scan-length-arg", tracer.jit(_scan_length_disagrees), a)
    assert "[3, 5]" in message


def _branch_returns_a_string(x):
    return tracer.cond(x.sum() > 0, lambda: "yes", lambda: "no")  # branch-string


def test_error_branch_returning_a_non_array():
    message = raises_at(tracer.TracedTypeError, "branch-string", tracer.jit(_branch_returns_a_string), P)
    assert "arrays and numbers" in message


def _fori_float_bounds(x, n):
    return tracer.fori_loop(0, n, lambda i, c: c + 1, x)  # fori-float


def test_error_fori_loop_float_bounds():
    message = raises_at(tracer.TracedTypeError, "fori-float", tracer.jit(_fori_float_bounds), P, np.float32(3),
                        fix=False)
    assert "bounds must be integers" in message
