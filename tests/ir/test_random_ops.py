"""`ir.ops.rng_bit_generator`: printed IR, the builder's checks, and its bits through XLA.

The StableHLO reference interpreter cannot be the oracle here: `stablehlo.eval_module` does not
implement rng_bit_generator (jaxlib 0.10.2 aborts the whole process with "Operation
stablehlo.rng_bit_generator is unsupported at the moment"), so these tests run the op through XLA
and check what the spec and ThreeFry promise: determinism, the state update, and the counter
layout (the bits from counter c+1 are those from counter c shifted by one counter).
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers_filecheck import filecheck
from jaxlib.mlir import ir as mlir

import ir
import runtime
from ir import ops


def build(shape, dtype, algorithm="THREE_FRY", state_size=2):
    """A module whose @main(state: ui64[state_size]) returns (new_state, bits)."""
    builder = ir.FunctionBuilder("main", [((state_size,), np.dtype(np.uint64))])
    with builder.context, mlir.Location.unknown(), mlir.InsertionPoint(builder.block):
        new_state, bits = ops.rng_bit_generator(builder.arguments[0], shape, dtype, algorithm=algorithm)
    module = builder.finish([new_state, bits])
    ir.verify(module)
    return module


def build_fails(state_spec, call) -> ops.OpBuildError:
    builder = ir.FunctionBuilder("main", [state_spec])
    with builder.context, mlir.Location.unknown(), mlir.InsertionPoint(builder.block):
        with pytest.raises(ops.OpBuildError) as info:
            call(builder.arguments[0])
    return info.value


_EXECUTABLES: dict = {}


def run(shape, dtype, state) -> tuple[np.ndarray, np.ndarray]:
    """(new_state, bits) computed by XLA; one compile per (shape, dtype)."""
    key = (tuple(shape), np.dtype(dtype))
    if key not in _EXECUTABLES:
        _EXECUTABLES[key] = runtime.compile_stablehlo(ir.print_module(build(shape, dtype)))
    buffer = runtime.array_to_device(np.asarray(state, np.uint64))._buffer
    new_state, bits = _EXECUTABLES[key].execute([buffer])
    return np.asarray(new_state), np.asarray(bits)


# --------------------------------------------------------------------------- printed IR


def test_prints_the_algorithm_and_both_results():
    filecheck(ir.print_module(build((3, 4), np.uint32)), """
        // CHECK: func.func public @main(%[[S:.*]]: tensor<2xui64>) -> (tensor<2xui64>, tensor<3x4xui32>)
        // CHECK: %[[NEW:.*]], %[[BITS:.*]] = stablehlo.rng_bit_generator %[[S]], algorithm = THREE_FRY
        // CHECK-SAME: (tensor<2xui64>) -> (tensor<2xui64>, tensor<3x4xui32>)
        // CHECK: return %[[NEW]], %[[BITS]]
    """)


def test_philox_takes_a_three_word_state():
    text = ir.print_module(build((5,), np.uint64, algorithm="PHILOX", state_size=3))
    filecheck(text, "// CHECK: stablehlo.rng_bit_generator %{{.*}}, algorithm = PHILOX : (tensor<3xui64>) -> (tensor<3xui64>, tensor<5xui64>)")


# --------------------------------------------------------------------------- builder checks


@pytest.mark.parametrize("dtype", [np.int32, np.int64, np.float32, np.float16, np.bool_])
def test_refuses_result_types_that_are_not_unsigned(dtype):
    err = build_fails(((2,), np.uint64), lambda s: ops.rng_bit_generator(s, (4,), dtype))
    assert "unsigned integer" in str(err) and "rng_bit_generator" in str(err)


@pytest.mark.parametrize("spec, message", [
    (((2,), np.uint32), "rank-1 ui64"),
    (((2,), np.int64), "rank-1 ui64"),
    (((1, 2), np.uint64), "rank-1 ui64"),
    (((3,), np.uint64), "THREE_FRY needs a state of 2 words, got 3"),
])
def test_refuses_bad_states(spec, message):
    spec = (spec[0], np.dtype(spec[1]))
    err = build_fails(spec, lambda s: ops.rng_bit_generator(s, (4,), np.uint32))
    assert message in str(err)


def test_refuses_philox_state_of_four_words_and_unknown_algorithms():
    err = build_fails(((4,), np.dtype(np.uint64)), lambda s: ops.rng_bit_generator(s, (4,), np.uint32, "PHILOX"))
    assert "PHILOX needs a state of 2 or 3 words, got 4" in str(err)
    err = build_fails(((2,), np.dtype(np.uint64)), lambda s: ops.rng_bit_generator(s, (4,), np.uint32, "MT19937"))
    assert "unknown algorithm 'MT19937'" in str(err)


def test_refuses_negative_dimensions():
    err = build_fails(((2,), np.dtype(np.uint64)), lambda s: ops.rng_bit_generator(s, (2, -1), np.uint32))
    assert "negative dimension" in str(err)


# --------------------------------------------------------------------------- bits through XLA


def test_same_state_same_bits_and_the_counter_advances():
    state = [123, 456]
    new_a, bits_a = run((4, 2), np.uint64, state)
    new_b, bits_b = run((4, 2), np.uint64, state)
    np.testing.assert_array_equal(bits_a, bits_b)
    assert bits_a.dtype == np.uint64 and bits_a.shape == (4, 2)
    # THREE_FRY keeps the key word and moves the counter past the 8 counters used (one per u64).
    np.testing.assert_array_equal(new_a, np.array([123, 456 + 8], np.uint64))
    np.testing.assert_array_equal(new_a, new_b)
    assert len(np.unique(bits_a)) == bits_a.size


def test_counter_layout_one_u64_per_counter():
    _, from_c = run((4, 2), np.uint64, [7, 100])
    _, from_next = run((4, 2), np.uint64, [7, 101])
    np.testing.assert_array_equal(from_c.reshape(-1)[1:], from_next.reshape(-1)[:-1])


def test_new_state_continues_the_stream():
    new_state, first = run((4, 2), np.uint64, [9, 0])
    _, second = run((4, 2), np.uint64, new_state)
    _, both = run((16,), np.uint64, [9, 0])
    np.testing.assert_array_equal(np.concatenate([first.reshape(-1), second.reshape(-1)]), both)


def test_different_key_words_give_unrelated_bits():
    _, a = run((4, 2), np.uint64, [1, 0])
    _, b = run((4, 2), np.uint64, [2, 0])
    assert not np.intersect1d(a, b).size


def test_narrow_words_are_full_range():
    # Bits of 32-bit words: with 4096 draws every byte value of the low byte shows up, and the
    # top bit is set about half the time (binomial sd 32, so 2048 +- 300 is > 9 sd).
    _, bits = run((4096,), np.uint32, [5, 0])
    assert bits.dtype == np.uint32
    assert len(np.unique(bits & 0xFF)) == 256
    assert abs(int((bits >> 31).sum()) - 2048) < 300
