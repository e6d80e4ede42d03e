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
    cbrt,
    ceil,
    clamp,
    compare,
    convert,
    cosine,
    count_leading_zeros,
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
    optimization_barrier,
    or_,
    popcnt,
    power,
    remainder,
    round_nearest_afz,
    round_nearest_even,
    rsqrt,
    select,
    shift_left,
    shift_right_arithmetic,
    shift_right_logical,
    sign,
    sine,
    sqrt,
    subtract,
    tan,
    tanh,
    xor,
)
from ir.ops.linalg import cholesky, dot_general, triangular_solve
from ir.ops.reduction import reduce, reduce_many
from ir.ops.shape import broadcast_in_dim, concatenate, pad, reshape, reverse, slice, transpose

# Newer op families export exactly their `__all__`.
from ir.ops.chlo import *  # noqa: E402,F401,F403
from ir.ops.indexing import *  # noqa: E402,F401,F403
from ir.ops.random import *  # noqa: E402,F401,F403
from ir.ops.sharding import *  # noqa: E402,F401,F403
from ir.ops.sort import *  # noqa: E402,F401,F403
from ir.ops.convolution import *  # noqa: E402,F401,F403
from ir.ops.window import *  # noqa: E402,F401,F403

__all__ = [name for name in dir() if not name.startswith("_")]
