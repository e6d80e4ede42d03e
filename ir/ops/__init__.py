"""Typed builders, one small function per StableHLO op (like Reactant's `Ops.jl`).

Builders take and return `ir.Value`s, check the spec's shape and type constraints
(raising `OpBuildError`), and emit at the current insertion point and location.
NumPy semantics (broadcasting, promotion, negative axes) belong to `tracer/`.
"""

from ir.ops._common import OpBuildError, dtype_of, shape_of
from ir.ops.constant import constant, iota
from ir.ops.control_flow import case, dynamic_slice, dynamic_update_slice, if_, return_, while_
from ir.ops.elementwise import (
    COMPARISON_DIRECTIONS,
    abs,
    add,
    and_,
    atan2,
    bitcast_convert,
    ceil,
    clamp,
    compare,
    convert,
    cosine,
    divide,
    exponential,
    exponential_minus_one,
    floor,
    is_finite,
    log,
    log_plus_one,
    logistic,
    maximum,
    minimum,
    multiply,
    negate,
    not_,
    or_,
    power,
    remainder,
    round_nearest_even,
    rsqrt,
    select,
    sign,
    sine,
    sqrt,
    subtract,
    tan,
    tanh,
    xor,
)
from ir.ops.linalg import dot_general
from ir.ops.reduction import reduce
from ir.ops.shape import broadcast_in_dim, concatenate, pad, reshape, reverse, slice, transpose

__all__ = [name for name in dir() if not name.startswith("_")]
