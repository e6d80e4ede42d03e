"""`licm` and `while-simplify` on loops the tracer emits: the optimised module computes what NumPy
computes, with invariant work hoisted and unread carries gone."""

from __future__ import annotations

import numpy as np

import passes
import tracer
from helpers_filecheck import filecheck


def test_unread_carry_is_dropped_and_invariant_work_hoisted():
    def f(x, w):
        def body(i, carry):
            h, unused = carry
            return np.tanh(h + np.exp(w)), unused * 2.0  # `unused` is never read after the loop
        h, _ = tracer.fori_loop(0, 50, body, (x, x))
        return h

    def numpy_f(x, w):
        h = x
        for _ in range(50):
            h = np.tanh(h + np.exp(w))
        return h

    x, w = np.linspace(-1, 1, 4).astype(np.float32), np.full(4, 0.1, np.float32)
    compiled = tracer.compile(f, x, w)
    filecheck(compiled.as_text("optimized"), """
        CHECK:     stablehlo.exponential %arg1
        CHECK:     stablehlo.while(%{{[a-zA-Z0-9_]+}} = %{{[a-zA-Z0-9_]+}}, %{{[a-zA-Z0-9_]+}} = %arg0) : tensor<i32>, tensor<4xf32>
        CHECK-NOT: stablehlo.exponential
        CHECK-NOT: stablehlo.multiply
        CHECK:     stablehlo.tanh
    """)
    filecheck(compiled.as_text("traced"), """
        CHECK: stablehlo.while{{.*}}tensor<i32>, tensor<4xf32>, tensor<4xf32>
    """)
    np.testing.assert_allclose(np.asarray(compiled(x, w)), numpy_f(x, w), rtol=1e-6)


def test_loop_that_never_runs_returns_its_initial_values():
    def f(x):
        return tracer.while_loop(lambda c: np.bool_(False), lambda c: c * 2, x)

    x = np.arange(3, dtype=np.float32)
    compiled = tracer.compile(f, x)
    assert "stablehlo.while" in compiled.as_text("traced")
    assert "stablehlo.while" not in compiled.as_text("optimized")
    np.testing.assert_array_equal(np.asarray(compiled(x)), x)


UNROLLING = passes.DEFAULT_PIPELINE.replace("simplify", "simplify{unroll-threshold=8}", 1)


def test_unrolled_loop_computes_what_the_loop_computes_bit_for_bit():
    def f(x, w):
        def body(i, carry):
            h, total = carry
            h = np.tanh(h @ w + i * 0.5)  # the index feeds the arithmetic: unrolled, it is a constant
            return h, total + h.sum()
        return tracer.fori_loop(1, 7, body, (x, np.float32(0.0)))

    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((2, 3)).astype(np.float32), rng.standard_normal((3, 3)).astype(np.float32)
    looped = tracer.compile(f, x, w)
    unrolled = tracer.compile(f, x, w, pipeline=UNROLLING)
    assert "stablehlo.while" in looped.as_text("optimized")
    assert "stablehlo.while" not in unrolled.as_text("optimized")
    for a, b in zip(looped(x, w), unrolled(x, w)):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
