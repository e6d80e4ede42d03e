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


# -- a state carried from call to call as buffers (`JitFunction.carried_call`) ---------------------------------


def momentum_step(state, x, scale):
    """A loop step whose state (a dict, a tuple with a static leaf) comes back as its next value; `scale` is
    handed back unchanged (an argument forwarded, not a program result)."""
    w, (v, tag) = state["w"], state["vt"]
    grad = x.T @ (x @ w) * scale
    v = 0.9 * v + grad
    return (w * w).sum(), {"w": w - 0.1 * v, "vt": (v, tag)}, scale


def numpy_momentum(w, v, x, scale, steps):
    losses = []
    for _ in range(steps):
        losses.append((w * w).sum())
        v = 0.9 * v + x.T @ (x @ w) * scale
        w = w - 0.1 * v
    return losses, w, v


def test_a_carried_call_runs_the_loop_on_buffers_as_numpy_does():
    rng = np.random.default_rng(0)
    w, v = rng.standard_normal((4, 2)).astype(np.float32), np.zeros((4, 2), np.float32)
    x, scale = rng.standard_normal((8, 4)).astype(np.float32), runtime.to_device(np.float32(0.5))
    step = tracer.jit(momentum_step, donate_argnums=(0,))
    state = runtime.to_device({"w": w, "vt": (v, "tag")})
    loss, state, _ = step(state, x, scale)
    call = step.carried_call((state, x, scale), carried_arguments=(0, 2), carried_results=(1, 2))
    # The carry: the leaves of (state, scale), in pytree order: v, the tag, w, scale.
    assert call.carry_signatures[1] is None and call.donated_slots == (0, 2)  # the tag is static; v, w donated
    carry, losses = [state["vt"][0].buffer, "tag", state["w"].buffer, scale.buffer], [float(np.asarray(loss))]
    for _ in range(4):
        carry, (loss,) = call.call(carry, [x])
        losses.append(float(np.asarray(loss)))
    expected_losses, expected_w, expected_v = numpy_momentum(w, v, x, np.float32(0.5), 5)
    np.testing.assert_allclose(losses, expected_losses, rtol=1e-5)
    v_now, tag, w_now, scale_now = call.wrap_carry(carry)
    np.testing.assert_allclose(np.asarray(w_now), expected_w, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(np.asarray(v_now), expected_v, rtol=1e-5, atol=1e-6)
    assert tag == "tag" and carry[3] is scale.buffer  # the forwarded argument is handed on, not copied
    assert float(np.asarray(scale_now)) == 0.5
    assert call.call(carry, [x[:5]]) is None  # another signature: not this program's (the caller calls jit)
    assert call.call(carry, [x.astype(np.float64)]) is None


def test_a_carried_call_refuses_what_it_cannot_carry():
    x = np.ones((8, 4), np.float32)
    state = runtime.to_device({"w": np.ones((4, 2), np.float32), "vt": (np.zeros((4, 2), np.float32), "tag")})
    scale = runtime.to_device(np.float32(0.5))
    synchronous = tracer.jit(momentum_step, sync=True)
    synchronous(state, x, scale)
    with pytest.raises(ValueError, match="synchronous"):
        synchronous.carried_call((state, x, scale), carried_arguments=(0, 2), carried_results=(1, 2))
    donating_data = tracer.jit(momentum_step, donate_argnums=(1,))
    donating_data(state, runtime.to_device(x), scale)
    with pytest.raises(ValueError, match="donated argument is not carried"):
        donating_data.carried_call((state, runtime.to_device(x), scale), carried_arguments=(0, 2), carried_results=(1, 2))
    step = tracer.jit(momentum_step)
    step(state, x, scale)
    with pytest.raises(ValueError, match="not its argument's next value"):  # results out of order
        step.carried_call((state, x, scale), carried_arguments=(2, 0), carried_results=(1, 2))
