"""Dtypes, limit values and random arrays for the fuzzer, and their exact rendering as Python source.

Every array a program sees is drawn here from a `numpy.random.Generator`, so a seed reproduces it,
and printed back (`literal`) so that a reproducer rebuilds it bit for bit: floats through `float.hex`
is not needed because `repr` of a Python float round-trips exactly, and every value of a narrower
float type is exactly a Python float.
"""

from __future__ import annotations

import math

import ml_dtypes
import numpy as np

BFLOAT16 = np.dtype(ml_dtypes.bfloat16)
BOOL = np.dtype(np.bool_)
SIGNED = tuple(np.dtype(t) for t in (np.int8, np.int16, np.int32, np.int64))
UNSIGNED = tuple(np.dtype(t) for t in (np.uint8, np.uint16, np.uint32, np.uint64))
FLOATS = (np.dtype(np.float16), BFLOAT16, np.dtype(np.float32), np.dtype(np.float64))
INTEGERS = SIGNED + UNSIGNED
# Every dtype the tracer supports (README: `i1`/`bool`, `i8`...`i64`, `u8`...`u64`, `f16`, `bf16`, `f32`, `f64`).
ALL_DTYPES = (BOOL,) + INTEGERS + FLOATS


def finfo(dtype: np.dtype):
    return ml_dtypes.finfo(dtype) if dtype == BFLOAT16 else np.finfo(dtype)


def is_float(dtype) -> bool:
    return np.dtype(dtype) in FLOATS


def is_int(dtype) -> bool:
    return np.dtype(dtype) in INTEGERS


def dtype_source(dtype) -> str:
    """How a reproducer names the dtype: `np.float32`, `ml_dtypes.bfloat16`."""
    dtype = np.dtype(dtype)
    return "ml_dtypes.bfloat16" if dtype == BFLOAT16 else f"np.{dtype.name}"


def float_limits(dtype: np.dtype) -> list[float]:
    """The values where float arithmetic and conversions go wrong, as Python floats exact in `dtype`."""
    info = finfo(dtype)
    tiny, sub, top = float(info.tiny), float(info.smallest_subnormal), float(info.max)
    values = [0.0, -0.0, 1.0, -1.0, 0.5, -2.0, math.inf, -math.inf, math.nan, top, -top, tiny, -tiny,
              sub, -sub, tiny - sub, float(info.eps), 1.0 + float(info.eps), 1.0 - float(info.epsneg),
              65504.0, 65520.0, 1e-8, 3.4028235e38, math.pi]
    # 2^N boundaries of the integer types (where float->int conversions saturate or wrap) and their neighbours.
    for n in (7, 8, 15, 16, 24, 31, 32, 53, 63, 64):
        values += [2.0 ** n, -(2.0 ** n), 2.0 ** n - 1, 2.0 ** n + 1]
    return values


def int_limits(dtype: np.dtype) -> list[int]:
    info = np.iinfo(dtype)
    values = [0, 1, 2, 3, -1, -2, info.min, info.max, info.min + 1, info.max - 1]
    for n in (7, 8, 15, 16, 31, 32, 63):
        values += [2 ** n, 2 ** n - 1, -(2 ** n), 2 ** (n - 1) + 1]
    return [v for v in values if info.min <= v <= info.max]


def cast_exact(values, dtype: np.dtype) -> np.ndarray:
    """`values` in `dtype`; floats out of range become inf (NumPy's cast), quietly."""
    with np.errstate(all="ignore"):
        return np.asarray(values, dtype=np.float64 if is_float(dtype) else object).astype(dtype)


def random_array(rng: np.random.Generator, shape: tuple[int, ...], dtype: np.dtype, limit_rate: float) -> np.ndarray:
    """An array whose elements are limit values with probability `limit_rate`, ordinary ones otherwise."""
    dtype = np.dtype(dtype)
    size = math.prod(shape)
    if dtype == BOOL:
        return rng.random(size).reshape(shape) < 0.5
    if is_float(dtype):
        ordinary = np.round(rng.standard_normal(size) * rng.choice([1.0, 4.0, 100.0]), int(rng.integers(0, 4)))
        limits = float_limits(dtype)
    else:
        info = np.iinfo(dtype)
        low, high = max(info.min, -20), min(info.max, 20)
        ordinary = rng.integers(low, high + 1, size).astype(object)
        limits = int_limits(dtype)
    picks = rng.random(size) < limit_rate
    values = [limits[int(rng.integers(len(limits)))] if pick else value.item() if hasattr(value, "item") else value
              for pick, value in zip(picks, ordinary)]
    return cast_exact(values, dtype).reshape(shape)


def random_scalar(rng: np.random.Generator, dtype: np.dtype, limit_rate: float):
    """One Python value of `dtype`'s kind (bool, int or float) for a weak scalar operand."""
    value = random_array(rng, (), dtype, limit_rate).item()
    return float(value) if is_float(dtype) else value


def scalar_source(value) -> str:
    """A Python scalar as source: `float('nan')`, `-0.0`, `float('-inf')`, `3`, `True`."""
    if isinstance(value, float) and not math.isfinite(value):
        return f"float('{value}')"
    return repr(value)


def literal(array: np.ndarray) -> str:
    """Source that rebuilds `array` exactly: `np.array([...], dtype=np.float32).reshape(2, 3)`."""
    array = np.asarray(array)
    flat = [scalar_source(float(v) if is_float(array.dtype) else bool(v) if array.dtype == BOOL else int(v))
            for v in array.reshape(-1).tolist()]
    text = f"np.array([{', '.join(flat)}], dtype={dtype_source(array.dtype)})"
    if array.ndim != 1:
        text += f".reshape{tuple(array.shape)!r}" if array.ndim > 1 else ".reshape(())"
    return text
