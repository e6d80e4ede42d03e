"""Small value builders the rules share: constants shaped like a value, and arithmetic that reads a
missing (None) tangent or cotangent as zero, so that zeros are never materialised where they can be skipped.

Every function emits at the current insertion point and location, through `ir.ops` (and so gets its checks).
"""

from __future__ import annotations

import numpy as np
from jaxlib.mlir import ir

from ir import dtypes, ops, query

__all__ = [
    "add", "carries_derivative", "full", "full_like", "is_float", "mul", "neg", "ones_like", "sub", "sum_dims", "zeros_like",
]


def is_float(value: ir.Value) -> bool:
    try:
        return dtypes.is_floating(query.dtype(value))
    except (TypeError, ValueError):  # not a ranked tensor of a dtype we know (a token, a tuple ...)
        return False


def carries_derivative(value: ir.Value) -> bool:
    """Float values, and complex ones: no rule takes or makes a complex derivative, so a complex value
    computed from a differentiated input must reach an op without a rule (stablehlo.complex, real, geev),
    which raises, instead of being skipped as an integer would be (a silent zero)."""
    try:
        return is_float(value) or dtypes.is_complex(query.dtype(value))
    except (TypeError, ValueError):
        return False


def full(shape, value, dtype) -> ir.Value:
    scalar = ops.constant(np.asarray(value, dtype=dtype))
    return scalar if tuple(shape) == () else ops.broadcast_in_dim(scalar, shape, ())


def full_like(value: ir.Value, constant) -> ir.Value:
    return full(query.shape(value), constant, query.dtype(value))


def zeros_like(value: ir.Value) -> ir.Value:
    return full_like(value, 0)


def ones_like(value: ir.Value) -> ir.Value:
    return full_like(value, 1)


def add(a: ir.Value | None, b: ir.Value | None) -> ir.Value | None:
    if a is None:
        return b
    if b is None:
        return a
    return ops.add(a, b)


def sub(a: ir.Value | None, b: ir.Value | None) -> ir.Value | None:
    if b is None:
        return a
    return ops.negate(b) if a is None else ops.subtract(a, b)


def mul(a: ir.Value | None, b: ir.Value) -> ir.Value | None:
    """`a * b` where `a` is a tangent or cotangent that may be missing (then the product is too)."""
    return None if a is None else ops.multiply(a, b)


def neg(a: ir.Value | None) -> ir.Value | None:
    return None if a is None else ops.negate(a)


def sum_dims(value: ir.Value, dims) -> ir.Value:
    """Sum `value` over `dims` (dropped from the shape)."""
    dims = sorted(dims)
    if not dims:
        return value
    zero = ops.constant(np.zeros((), query.dtype(value)))
    return ops.reduce(value, zero, dims, ops.add)
