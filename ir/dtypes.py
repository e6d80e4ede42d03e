"""NumPy dtypes <-> MLIR element types.

The table is the single source of truth: adding a dtype is one row. Element
types need a live context, so the MLIR side is built lazily from factories.
"""

from __future__ import annotations

import math
from typing import Callable

import ml_dtypes
import numpy as np
from jaxlib.mlir import ir

from ir.errors import PyreactantError

__all__ = ["MAX_BYTES", "SUPPORTED_DTYPES", "ArrayTooLargeError", "UnsupportedElementType", "describe_bytes", "from_mlir", "from_short_name", "is_complex", "is_floating", "is_supported", "shape_and_dtype", "short_name", "tensor_type", "to_mlir"]

_SIGNLESS = ir.IntegerType.get_signless
_UNSIGNED = ir.IntegerType.get_unsigned

# numpy dtype -> (factory of the MLIR element type, short name used in specs like f32[2,3])
_TABLE: dict[np.dtype, tuple[Callable[[], ir.Type], str]] = {
    np.dtype(np.bool_): (lambda: _SIGNLESS(1), "i1"),
    np.dtype(np.int8): (lambda: _SIGNLESS(8), "i8"),
    np.dtype(np.int16): (lambda: _SIGNLESS(16), "i16"),
    np.dtype(np.int32): (lambda: _SIGNLESS(32), "i32"),
    np.dtype(np.int64): (lambda: _SIGNLESS(64), "i64"),
    np.dtype(np.uint8): (lambda: _UNSIGNED(8), "u8"),
    np.dtype(np.uint16): (lambda: _UNSIGNED(16), "u16"),
    np.dtype(np.uint32): (lambda: _UNSIGNED(32), "u32"),
    np.dtype(np.uint64): (lambda: _UNSIGNED(64), "u64"),
    np.dtype(np.float16): (lambda: ir.F16Type.get(), "f16"),
    np.dtype(ml_dtypes.bfloat16): (lambda: ir.BF16Type.get(), "bf16"),
    np.dtype(np.float32): (lambda: ir.F32Type.get(), "f32"),
    np.dtype(np.float64): (lambda: ir.F64Type.get(), "f64"),
}

SUPPORTED_DTYPES: tuple[np.dtype, ...] = tuple(_TABLE)

# Complex element types: a traced function can compute them (np.linalg.eig's results, built with
# `stablehlo.complex` from real parts) and return them, but never takes them: arguments, constants and
# conversions stay real (`is_supported` is False for these), so NumPy code on complex values meets a clear
# refusal instead of rules written for real numbers (`tracer/numpy_api/complex_values.py`).
_COMPUTED_ONLY: dict[np.dtype, tuple[Callable[[], ir.Type], str]] = {
    np.dtype(np.complex64): (lambda: ir.ComplexType.get(ir.F32Type.get()), "c64"),
    np.dtype(np.complex128): (lambda: ir.ComplexType.get(ir.F64Type.get()), "c128"),
}
_ELEMENT_TYPES = {**_TABLE, **_COMPUTED_ONLY}
_BY_SHORT_NAME = {short: dtype for dtype, (_, short) in _TABLE.items()}
_BY_SHORT_NAME["bool"] = np.dtype(np.bool_)


# XLA computes an array's byte size in int64: a larger one aborted the process ("overflow in static
# extent product"), and NumPy refuses one too ("array is too big").
MAX_BYTES = 2**63 - 1


def describe_bytes(shape, dtype) -> str | None:
    """None when an array of `shape` and `dtype` has at most MAX_BYTES bytes; else a message saying how many."""
    size = math.prod(shape) * np.dtype(dtype).itemsize
    if size <= MAX_BYTES:
        return None
    return (f"an array of shape {tuple(shape)} and dtype {np.dtype(dtype)} would take {size:.3g} bytes, more than "
            "any array can hold (2**63 - 1)")


class ArrayTooLargeError(PyreactantError, ValueError):
    """A tensor type of more than MAX_BYTES bytes was asked for (MLIR cannot even hold a dimension beyond int64)."""


def is_floating(dtype) -> bool:
    """True for every float type we trace, bfloat16 included (NumPy does not count ml_dtypes' types as np.floating)."""
    dtype = np.dtype(dtype)
    return dtype.kind == "f" or dtype == _BFLOAT16


_BFLOAT16 = np.dtype(ml_dtypes.bfloat16)


def is_supported(dtype) -> bool:
    """Whether arrays of `dtype` can be traced from outside: arguments, constants, conversions (not complex)."""
    return np.dtype(dtype) in _TABLE


def is_complex(dtype) -> bool:
    return np.dtype(dtype) in _COMPUTED_ONLY


def to_mlir(dtype) -> ir.Type:
    """The MLIR element type of a NumPy dtype (needs an active context); complex ones included, which only
    results computed inside a trace have (see `_COMPUTED_ONLY`)."""
    dtype = np.dtype(dtype)
    try:
        factory, _ = _ELEMENT_TYPES[dtype]
    except KeyError:
        raise TypeError(
            f"dtype {dtype} is not supported by pyreactant; supported dtypes are "
            + ", ".join(str(d) for d in SUPPORTED_DTYPES)
        ) from None
    return factory()


class UnsupportedElementType(TypeError):
    """An MLIR element type with no NumPy dtype here (f8, i4 ...), or a complex value a builder will not make
    (a constant, a conversion): IR may hold them, our rewrites skip them."""


def from_mlir(element_type: ir.Type) -> np.dtype:
    """The NumPy dtype of an MLIR element type (`UnsupportedElementType`, a TypeError, for one without)."""
    text = str(element_type)
    try:
        return _BY_MLIR_SPELLING[text]
    except KeyError:
        raise UnsupportedElementType(f"MLIR element type {text} has no NumPy dtype in pyreactant") from None


def short_name(dtype) -> str:
    """`f32`, `i64`, `u8`, `bf16`, `i1` ... as used in `--arg f32[2,3]` specs (and `c64`, `c128` in messages)."""
    return _ELEMENT_TYPES[np.dtype(dtype)][1]


def from_short_name(name: str) -> np.dtype:
    try:
        return _BY_SHORT_NAME[name]
    except KeyError:
        raise ValueError(
            f"unknown dtype {name!r}; use one of {', '.join(sorted(_BY_SHORT_NAME))}"
        ) from None


def _mlir_spelling(short: str) -> str:
    # MLIR prints unsigned integers as ui8, complex numbers as complex<f32>, the rest as our short name.
    if short.startswith("c"):
        return f"complex<f{int(short[1:]) // 2}>"
    return "ui" + short[1:] if short.startswith("u") else short


_BY_MLIR_SPELLING = {_mlir_spelling(short): dtype for dtype, (_, short) in _ELEMENT_TYPES.items()}


def tensor_type(shape, dtype) -> ir.RankedTensorType:
    """The ranked tensor type of `shape` and `dtype`; ArrayTooLargeError over MAX_BYTES, where XLA would abort
    (and MLIR's binding, for a dimension beyond int64, raised a TypeError about `get()`'s arguments)."""
    too_big = describe_bytes(shape, dtype)
    if too_big:
        raise ArrayTooLargeError(too_big, fix="work on smaller pieces (a loop over batches, a scan)")
    return ir.RankedTensorType.get(tuple(shape), to_mlir(dtype))


def shape_and_dtype(value: ir.Value) -> tuple[tuple[int, ...], np.dtype]:
    """Static shape and NumPy dtype of a ranked tensor value."""
    tensor = ir.RankedTensorType(value.type)
    return tuple(tensor.shape), from_mlir(tensor.element_type)
