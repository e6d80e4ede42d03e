"""Ops that make tensors from nothing: `stablehlo.constant` and `stablehlo.iota`."""

from __future__ import annotations

import numpy as np
from jaxlib.mlir import ir
from jaxlib.mlir.dialects import stablehlo

from ir import dtypes
from ir.ops._common import check

__all__ = ["constant", "iota"]


def constant(value, dtype=None) -> ir.Value:
    """`stablehlo.constant` holding a NumPy array (or scalar) of a supported dtype.

    A splat (all elements bitwise equal) is stored as a single element, so a
    broadcast scalar costs nothing in the module's size.
    """
    array = np.asarray(value, dtype=dtype)
    if dtypes.is_complex(array.dtype):  # (complex values are only computed: see ir/dtypes.py's _COMPUTED_ONLY)
        raise dtypes.UnsupportedElementType(f"a {array.dtype} constant is not built: complex values only come "
                                            "from stablehlo.complex of real parts")
    if array.size > 1 and not any(array.strides):  # a broadcast scalar: one element, read without a copy
        buffer = np.ascontiguousarray(array[(0,) * array.ndim]).reshape(1)
    else:
        buffer = np.ascontiguousarray(array.reshape(-1))  # (ascontiguousarray would make 0-d arrays 1-d)
    if buffer.size > 1 and _is_splat(buffer):
        buffer = buffer[:1]  # a one-element buffer makes MLIR build a splat attribute
    if buffer.dtype.kind == "V":  # bfloat16 and friends: MLIR reads the raw 16-bit pattern
        buffer = buffer.view(f"u{buffer.dtype.itemsize}")
    attr = ir.DenseElementsAttr.get(buffer, type=dtypes.to_mlir(array.dtype), shape=list(array.shape))
    return stablehlo.ConstantOp(attr).result


def _is_splat(flat: np.ndarray) -> bool:
    # Compare bit patterns: NaN equals itself and -0.0 stays apart from 0.0.
    bits = flat.view(f"u{flat.dtype.itemsize}")
    return bool((bits == bits[0]).all())


def iota(shape, dimension: int, dtype) -> ir.Value:
    """`stablehlo.iota`: counts 0, 1, ... along `dimension`, constant along the others."""
    shape = tuple(shape)
    check(0 <= dimension < len(shape), "iota", f"dimension {dimension} out of range for rank {len(shape)}")
    return stablehlo.IotaOp(dtypes.tensor_type(shape, dtype), dimension).result
