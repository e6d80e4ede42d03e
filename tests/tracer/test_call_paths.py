"""The ways arguments reach a compiled function agree with each other and with NumPy.

NumPy arguments travel packed (one buffer per dtype, sliced apart on the device) when
small, one by one when large; ConcreteArrays travel as they are; calls whose arguments
are all positional arrays skip pytree flattening. Every path must give NumPy's answer.
"""

from __future__ import annotations

import ml_dtypes
import numpy as np
import pytest

import runtime
import tracer
from helpers_filecheck import filecheck
from ir import packed_arguments
from tracer import compiled as compiled_module


def mixed(a, b, c, d, e, f, g):
    """Seven arguments of six dtypes, one of them bool and one 0-d, one empty."""
    return (a * 2 + b.astype(np.float32).sum(), np.where(c, d, -d), e.astype(np.float32) + f, g.sum())


def mixed_args(rng):
    return (
        rng.standard_normal((3, 4)).astype(np.float32),
        rng.integers(-5, 5, (2, 2)).astype(np.int64),
        rng.random(5) > 0.5,
        rng.standard_normal(5),  # float64
        rng.standard_normal(6).astype(ml_dtypes.bfloat16),
        np.float32(1.5) * np.ones((), np.float32),  # 0-d
        np.zeros((0, 3), np.int8),  # empty
    )


def assert_tree_close(actual, expected):
    assert len(actual) == len(expected)
    for a, e in zip(actual, expected):
        a = np.asarray(a)
        assert a.dtype == np.asarray(e).dtype
        np.testing.assert_allclose(a.astype(np.float64), np.asarray(e).astype(np.float64), rtol=1e-2 if a.dtype == ml_dtypes.bfloat16 else 1e-6)


def test_packed_numpy_arguments_match_numpy_and_device_arguments():
    args = mixed_args(np.random.default_rng(0))
    expected = mixed(*args)
    jitted = tracer.jit(mixed)
    from_host = jitted(*args)  # packed path
    from_device = jitted(*runtime.to_device(args))  # one buffer per argument
    assert_tree_close(from_host, expected)
    assert_tree_close(from_device, expected)
    assert len(jitted._cache) == 1  # both calls share one signature


def test_large_numpy_arguments_skip_packing(monkeypatch):
    monkeypatch.setattr(compiled_module, "PACK_LIMIT_BYTES", 16)
    x = np.arange(10, dtype=np.float32)
    compiled = tracer.compile(lambda a, b: a - b, x, x[::-1].copy())
    np.testing.assert_array_equal(np.asarray(compiled(x, x[::-1].copy())), x - x[::-1])
    assert compiled._execute_packed is None and not compiled._packable


def test_non_contiguous_numpy_arguments_are_packed_in_c_order():
    x = np.arange(12, dtype=np.float32).reshape(3, 4)
    transposed, strided = x.T, x[:, ::2]  # views that are not C-contiguous
    result = tracer.jit(lambda a, b: (a, b))(transposed, strided)
    np.testing.assert_array_equal(np.asarray(result[0]), transposed)
    np.testing.assert_array_equal(np.asarray(result[1]), strided)


def test_packing_plan_groups_by_dtype_in_first_appearance_order():
    plan = packed_arguments.PackingPlan.for_signatures(
        [((2, 3), np.float32), ((4,), np.int32), ((), np.float32), ((0,), np.int32)])
    assert plan.group_dtypes == (np.dtype(np.float32), np.dtype(np.int32))
    assert plan.group_sizes == (7, 4)
    assert plan.members == ((0, 2), (1, 3))
    assert plan.offset_of == (0, 0, 6, 4)
    packed = plan.pack([np.ones((2, 3), np.float32), np.arange(4, dtype=np.int32), np.float32(9), np.zeros(0, np.int32)])
    np.testing.assert_array_equal(packed[0], [1, 1, 1, 1, 1, 1, 9])
    np.testing.assert_array_equal(packed[1], [0, 1, 2, 3])


def test_packed_module_slices_each_argument_out_of_its_group():
    compiled = tracer.compile(lambda a, b, c: (a * 2, b * 2, c * 2), np.ones((2, 3), np.float32), np.ones(4, np.int32),
                              np.ones((), np.float32))
    plan = packed_arguments.PackingPlan.for_signatures(compiled._in_signatures)
    text = packed_arguments.pack_arguments_module(compiled._module_text, compiled._in_signatures, plan)
    filecheck(text, """
        CHECK:     func.func private @main_unpacked
        CHECK:     func.func public @main(%arg0: tensor<7xf32>{{.*}}, %arg1: tensor<4xi32>{{.*}})
        CHECK:     stablehlo.slice %arg0 [0:6]
        CHECK:     stablehlo.reshape {{.*}} -> tensor<2x3xf32>
        CHECK:     stablehlo.slice %arg1 [0:4]
        CHECK:     stablehlo.slice %arg0 [6:7]
        CHECK:     stablehlo.reshape {{.*}} -> tensor<f32>
        CHECK:     call @main_unpacked
    """)


@pytest.mark.parametrize("kind", ["numpy", "device"])
def test_flat_fast_path_sees_a_new_shape_as_a_new_signature(kind):
    calls = []

    def double(x):
        calls.append(x.shape)
        return x * 2

    jitted = tracer.jit(double)
    convert = runtime.array_to_device if kind == "device" else np.asarray
    for shape in [(3,), (3,), (4,), (3,), (2, 2)]:
        x = np.arange(np.prod(shape), dtype=np.float32).reshape(shape)
        np.testing.assert_array_equal(np.asarray(jitted(convert(x))), x * 2)
    assert calls == [(3,), (4,), (2, 2)]


def test_same_shape_other_dtype_is_another_signature_on_the_fast_path():
    jitted = tracer.jit(lambda x: x + 1)
    assert np.asarray(jitted(np.ones(3, np.float32))).dtype == np.float32
    assert np.asarray(jitted(np.ones(3, np.int32))).dtype == np.int32
    assert np.asarray(jitted(runtime.to_device(np.ones(3, np.float64)))).dtype == np.float64


def test_fast_path_with_mixed_device_and_numpy_arguments():
    x, y = np.arange(3, dtype=np.float32), np.ones(3, np.float32)
    jitted = tracer.jit(lambda a, b: a * 2 - b)
    for call in range(3):  # the first call compiles; the others take the flat fast path
        for args in ((runtime.array_to_device(x), y), (x, runtime.array_to_device(y)), (x, y)):
            np.testing.assert_array_equal(np.asarray(jitted(*args)), x * 2 - y)
    assert len(jitted._cache) == 1
