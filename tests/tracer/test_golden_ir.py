"""Golden IR: what the tracer emits for small functions, checked with FileCheck.

Each test traces a function, prints the module (as traced, before our passes) and
matches it against CHECK lines: the op sequence, types, and what must not appear.
"""

from __future__ import annotations

import numpy as np

import tracer
from helpers_filecheck import filecheck


def traced_ir(fn, *args) -> str:
    return tracer.compile(fn, *args).as_text("traced")


def f32(*shape):
    return np.ones(shape, np.float32)


def test_predict_emits_dot_broadcast_add_tanh_reduce():
    def predict(x, w, b):
        return np.tanh(x @ w + b).mean(axis=0)

    filecheck(traced_ir(predict, f32(32, 8), f32(8, 4), f32(4)), """
        CHECK:      module @jit_predict
        CHECK:      func.func public @main(%arg0: tensor<32x8xf32>, %arg1: tensor<8x4xf32>, %arg2: tensor<4xf32>) -> tensor<4xf32>
        CHECK:      stablehlo.dot_general %arg0, %arg1, contracting_dims = [1] x [0]
        CHECK-SAME: -> tensor<32x4xf32>
        CHECK:      stablehlo.broadcast_in_dim %arg2, dims = [1] : (tensor<4xf32>) -> tensor<32x4xf32>
        CHECK:      stablehlo.add
        CHECK:      stablehlo.tanh
        CHECK:      stablehlo.reduce
        CHECK-SAME: applies stablehlo.add across dimensions = [0]
        CHECK:      dense<3.200000e+01>
        CHECK:      stablehlo.divide
        CHECK:      return
    """)


def test_weak_python_scalar_keeps_the_array_dtype():
    filecheck(traced_ir(lambda x: x * 2.5 + 1, np.ones(3, np.float16)), """
        CHECK:     dense<2.500000e+00> : tensor<f16>
        CHECK:     stablehlo.multiply {{.*}} : tensor<3xf16>
        CHECK:     dense<1.000000e+00> : tensor<f16>
        CHECK:     stablehlo.add {{.*}} : tensor<3xf16>
        CHECK-NOT: f32
        CHECK-NOT: stablehlo.convert
    """)


def test_mixed_dtypes_convert_to_numpys_result_type():
    filecheck(traced_ir(lambda a, b: a + b, np.ones(3, np.int8), np.ones(3, np.float32)), """
        CHECK: stablehlo.convert %arg0 : (tensor<3xi8>) -> tensor<3xf32>
        CHECK: stablehlo.add {{.*}} : tensor<3xf32>
    """)


def test_integer_division_promotes_to_float64_like_numpy():
    filecheck(traced_ir(lambda a, b: a / b, np.ones(3, np.int32), np.ones(3, np.int32)), """
        CHECK-COUNT-2: stablehlo.convert {{.*}} -> tensor<3xf64>
        CHECK:         stablehlo.divide {{.*}} : tensor<3xf64>
    """)


def test_basic_indexing_is_one_slice_and_a_reshape():
    filecheck(traced_ir(lambda x: x[1, ::2, None], f32(4, 6)), """
        CHECK:     stablehlo.slice %arg0 [1:2, 0:5:2] : (tensor<4x6xf32>) -> tensor<1x3xf32>
        CHECK:     stablehlo.reshape {{.*}} -> tensor<3x1xf32>
        CHECK-NOT: stablehlo.reverse
    """)


def test_negative_step_reverses_first():
    filecheck(traced_ir(lambda x: x[::-2], f32(5)), """
        CHECK: stablehlo.reverse %arg0, dims = [0]
        CHECK: stablehlo.slice {{.*}} [0:5:2]
    """)


def test_setitem_of_a_contiguous_box_is_one_dynamic_update_slice():
    def write(x):
        x[1:3] = 0.0
        return x

    filecheck(traced_ir(write, f32(5)), """
        CHECK:     %[[START:.*]] = stablehlo.constant dense<1> : tensor<i32>
        CHECK:     stablehlo.dynamic_update_slice %arg0, {{.*}}, %[[START]] : (tensor<5xf32>, tensor<2xf32>, tensor<i32>)
        CHECK-NOT: stablehlo.pad
        CHECK-NOT: stablehlo.select
        CHECK-NOT: stablehlo.scatter
    """)


def test_setitem_of_a_strided_box_pads_the_value_and_selects_it_in():
    def write(x):
        x[1::2] = 0.0
        return x

    filecheck(traced_ir(write, f32(5)), """
        CHECK:     stablehlo.pad {{.*}} low = [1], high = [1], interior = [1]
        CHECK:     stablehlo.pad {{.*}} : (tensor<2xi1>, tensor<i1>) -> tensor<5xi1>
        CHECK:     stablehlo.select
        CHECK-NOT: stablehlo.scatter
    """)


def test_comparison_types_follow_signedness():
    filecheck(traced_ir(lambda a, b, c: (a < a, b < b, c < c), f32(2), np.ones(2, np.int32), np.ones(2, np.uint8)), """
        CHECK: stablehlo.compare LT, %arg0, %arg0, FLOAT
        CHECK: stablehlo.compare LT, %arg1, %arg1, SIGNED
        CHECK: stablehlo.compare LT, %arg2, %arg2, UNSIGNED
    """)


def test_ops_carry_the_users_source_line():
    def f(x):
        y = x * 2  # line A
        return np.exp(y)  # line B

    line_a = f.__code__.co_firstlineno + 1
    text = tracer.compile(f, f32(3))._module_text
    filecheck(text, f"""
        CHECK:     stablehlo.multiply {{{{.*}}}} loc([[A:#loc[0-9]+]])
        CHECK:     stablehlo.exponential {{{{.*}}}} loc([[B:#loc[0-9]+]])
        CHECK:     [[A]] = loc("{__file__}":{line_a}:0)
        CHECK:     [[B]] = loc("{__file__}":{line_a + 1}:0)
    """)


def test_unoptimized_and_optimized_pipelines_differ_only_by_passes():
    def twice(x):
        return np.exp(x) + np.exp(x)  # cse merges the two exponentials

    compiled = tracer.compile(twice, f32(3), pipeline="cse")
    filecheck(compiled.as_text("traced"), "CHECK-COUNT-2: stablehlo.exponential")
    filecheck(compiled.as_text("optimized"), """
        CHECK:     stablehlo.exponential
        CHECK-NOT: stablehlo.exponential
    """)
    assert "stablehlo.exponential" in tracer.compile(twice, f32(3), optimize=False).as_text("optimized")
    np.testing.assert_allclose(np.asarray(compiled(f32(3))), 2 * np.exp(f32(3)), rtol=1e-6)


def test_hlo_stage_is_xlas_module():
    compiled = tracer.compile(lambda x: np.sin(x), f32(8))
    filecheck(compiled.as_text("hlo"), """
        CHECK: HloModule jit__lambda_
        CHECK: sine(
    """)
