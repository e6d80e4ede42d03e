"""The default pipeline on random traced programs: the optimised module computes exactly what the
traced one computes, in the StableHLO reference interpreter and in XLA.

Programs chain a few NumPy ops (elementwise, reshapes, transposes, slices, concatenates,
reductions, dot, a loop) on a small array of small integers held as float32: every sum and product is
then exact, so equality may be bitwise even where a reduction's order is implementation-defined.
"""

from __future__ import annotations

import numpy as np
from helpers import interpret
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ir
import passes
import tracer

# Each step maps the current array to the next; all keep values small integers.
STEPS = {
    "scale": lambda a: a * 2.0 - 1.0,
    "relu": lambda a: np.maximum(a, 0.0),
    "negate_twice": lambda a: -(-a),
    "add_zero": lambda a: a + 0.0,
    "times_one": lambda a: a * 1.0,
    "flatten": lambda a: a.reshape(-1),
    "reshape_back": lambda a: a.reshape(a.shape[::-1]),
    "transpose": lambda a: a.T,  # (of a 0-d or 1-d array: itself)
    "transpose_twice": lambda a: a.T.T,
    "slice": lambda a: a[1:] if a.shape and a.shape[0] > 1 else a,
    "strided": lambda a: a[..., ::2] if a.ndim else a,
    "concat": lambda a: np.concatenate([a, a[::-1]], axis=0) if a.ndim else a,
    "sum_keep": lambda a: a.sum(axis=0, keepdims=True) if a.ndim else a,
    "max_last": lambda a: a.max(axis=-1) if a.ndim else a,
    "sum_all": lambda a: a.sum(),
    "sum_of_sum": lambda a: a.sum(axis=-1).sum(axis=0) if a.ndim >= 2 else a,
    "broadcast_max": lambda a: np.broadcast_to(a, (3, *a.shape)).max(axis=0),
    "gram": lambda a: np.clip(a @ a.T, -8.0, 8.0) if a.ndim == 2 else a,
    "outer_then_trace": lambda a: np.trace(np.outer(a.reshape(-1), a.reshape(-1))),
    # A loop with invariant work in its body (licm material) and a carry nobody reads (while-simplify's).
    "loop": lambda a: tracer.fori_loop(0, 2, lambda i, carry: (carry[0] + np.maximum(a, 0.0) * 1.0, carry[1] * 2.0),
                                       (a, a))[0],
}

programs = st.lists(st.sampled_from(sorted(STEPS)), min_size=1, max_size=5)
inputs = st.tuples(st.integers(1, 3), st.integers(1, 4)).flatmap(
    lambda shape: st.lists(st.integers(-3, 3), min_size=shape[0] * shape[1], max_size=shape[0] * shape[1])
    .map(lambda values: np.array(values, np.float32).reshape(shape)))


def _program(names):
    def f(x):
        for name in names:
            x = STEPS[name](x)
        return x
    return f


def _assert_bitwise_equal(actual, expected):
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape and actual.dtype == expected.dtype
    assert actual.tobytes() == expected.tobytes(), (actual, expected)


@given(names=programs, x=inputs)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_default_pipeline_keeps_results_bit_identical(names, x):
    f = _program(names)
    traced_text = ir.print_module(tracer.jit(f).lower(x))
    optimized = passes.run(traced_text, passes.DEFAULT_PIPELINE)
    # The reference interpreter: traced vs optimised module.
    for a, b in zip(interpret(traced_text, x), interpret(optimized, x), strict=True):
        _assert_bitwise_equal(b, a)
    # XLA: no passes of ours vs the default pipeline; and both against NumPy's eager answer.
    plain = tracer.compile(f, x, pipeline="")
    default = tracer.compile(f, x)
    _assert_bitwise_equal(default(x), plain(x))
    np.testing.assert_array_equal(np.asarray(plain(x)), f(x))


@given(names=programs, x=inputs)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_simplify_reaches_its_fixed_point_in_one_run(names, x):
    """The worklist driver revisits exactly what a change can make match: a second run finds nothing.

    (A driver that forgot to requeue the users or producers of a rewritten op would leave
    rewrites for the second run, and this would fail.)
    """
    traced_text = ir.print_module(tracer.jit(_program(names)).lower(x))
    once = ir.print_module(passes.run(traced_text, "simplify"))
    twice = ir.print_module(passes.run(once, "simplify"))
    assert twice == once
