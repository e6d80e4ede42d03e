"""`stablehlo.rng_bit_generator`: counter-based random bits from an explicit state."""

from __future__ import annotations

import numpy as np
from jaxlib.mlir import ir
from jaxlib.mlir.dialects import stablehlo

from ir import dtypes
from ir.ops._common import check, dtype_of, is_unsigned, shape_of

__all__ = ["RNG_ALGORITHMS", "rng_bit_generator"]

RNG_ALGORITHMS = ("DEFAULT", "THREE_FRY", "PHILOX")

# The spec's state sizes (constraint C2); DEFAULT's is implementation-defined, so any size passes here.
_STATE_SIZES = {"THREE_FRY": (2,), "PHILOX": (2, 3)}


def rng_bit_generator(state: ir.Value, shape, dtype, algorithm: str = "THREE_FRY") -> tuple[ir.Value, ir.Value]:
    """`stablehlo.rng_bit_generator`: (new state, random bits of `shape` and `dtype`).

    The same state gives the same bits: the op is a pure function of its operand. THREE_FRY's
    state is ui64[2] = (key, counter); the new state keeps the key and advances the counter
    past what was used. Pass THREE_FRY or PHILOX explicitly: DEFAULT lets each backend pick its
    own algorithm, so the same state would give different bits on CPU and GPU.

    Arguments:
        state: a rank-1 ui64 tensor (2 words for THREE_FRY, 2 or 3 for PHILOX).
        shape: static shape of the bits.
        dtype: an unsigned integer dtype. XLA ignores signed and float result types and hands back
            unsigned bits (the compiled program's signature would not match the module's), so
            callers reinterpret bits with `bitcast_convert` themselves.
        algorithm: one of RNG_ALGORITHMS.
    Returns:
        (new_state, bits): new_state has the type of `state`.
    """
    dtype = np.dtype(dtype)
    shape = tuple(int(d) for d in shape)
    check(algorithm in RNG_ALGORITHMS, "rng_bit_generator",
          f"unknown algorithm {algorithm!r}; use one of {', '.join(RNG_ALGORITHMS)}")
    check(dtype_of(state) == np.uint64 and len(shape_of(state)) == 1, "rng_bit_generator",
          f"the state must be a rank-1 ui64 tensor, got {state.type}")
    sizes = _STATE_SIZES.get(algorithm)
    check(sizes is None or shape_of(state)[0] in sizes, "rng_bit_generator",
          f"{algorithm} needs a state of {' or '.join(map(str, sizes or ()))} words, got {shape_of(state)[0]}")
    check(is_unsigned(dtype), "rng_bit_generator",
          f"the bits must have an unsigned integer type, got {dtype} (bitcast_convert unsigned bits instead)")
    check(all(d >= 0 for d in shape), "rng_bit_generator", f"negative dimension in shape {shape}")
    op = stablehlo.RngBitGeneratorOp(state.type, dtypes.tensor_type(shape, dtype),
                                     stablehlo.RngAlgorithmAttr.get(algorithm), state)
    return op.output_state, op.output
