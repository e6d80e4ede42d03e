"""Elementwise ufunc rules. Operands arrive in NumPy's loop dtype, broadcast to one shape.

Most ufuncs are one StableHLO op (`direct`); the rest spell NumPy's exact
semantics where StableHLO differs: floor division and modulo take the sign of
the divisor, logical ops see any nonzero as true, integer abs/sign of bools.
"""

from __future__ import annotations

import numpy as np

from ir import ops
from tracer import primitives as P
from tracer.numpy_api.registry import ufunc_rule


def direct(builder):
    return lambda *xs: P.elementwise(builder, *xs)


for _ufunc, _builder in {
    np.add: ops.add, np.subtract: ops.subtract, np.multiply: ops.multiply, np.true_divide: ops.divide,
    np.fmod: ops.remainder, np.power: ops.power, np.arctan2: ops.atan2,
    np.negative: ops.negate, np.exp: ops.exponential, np.expm1: ops.exponential_minus_one,
    np.log: ops.log, np.log1p: ops.log_plus_one, np.sqrt: ops.sqrt, np.tanh: ops.tanh, np.sin: ops.sine,
    np.cos: ops.cosine, np.tan: ops.tan,
}.items():
    ufunc_rule(_ufunc)(direct(_builder))

for _ufunc, _builder in {np.floor: ops.floor, np.ceil: ops.ceil, np.rint: ops.round_nearest_even}.items():
    # NumPy 2 rounds integers and bools to themselves.
    ufunc_rule(_ufunc)(lambda x, _b=_builder: P.elementwise(_b, x) if np.issubdtype(x.dtype, np.floating) else x)

for _ufunc, (_bool_builder, _builder) in {
    np.maximum: (ops.or_, ops.maximum), np.minimum: (ops.and_, ops.minimum),
    np.bitwise_and: (ops.and_, ops.and_), np.bitwise_or: (ops.or_, ops.or_), np.bitwise_xor: (ops.xor, ops.xor),
}.items():
    # On bools max/min are or/and: stablehlo.maximum is not defined for i1.
    ufunc_rule(_ufunc)(lambda x, y, _b=_bool_builder, _o=_builder: P.elementwise(_b if x.dtype == np.bool_ else _o, x, y))

for _ufunc, _direction in {np.equal: "EQ", np.not_equal: "NE", np.less: "LT", np.less_equal: "LE",
                           np.greater: "GT", np.greater_equal: "GE"}.items():
    ufunc_rule(_ufunc)(lambda x, y, _d=_direction: P.compare(x, y, _d))

for _ufunc, _builder in {np.logical_and: ops.and_, np.logical_or: ops.or_, np.logical_xor: ops.xor}.items():
    ufunc_rule(_ufunc)(lambda x, y, _b=_builder: P.elementwise(_b, P.convert(x, np.bool_), P.convert(y, np.bool_)))


@ufunc_rule(np.logical_not)
def _logical_not(x):
    return P.elementwise(ops.not_, P.convert(x, np.bool_))


@ufunc_rule(np.invert)
def _invert(x):
    return P.elementwise(ops.not_, x)


@ufunc_rule(np.positive)
def _positive(x):
    return x


@ufunc_rule(np.absolute)
def _absolute(x):
    if x.dtype == np.bool_ or np.issubdtype(x.dtype, np.unsignedinteger):
        return x
    return P.elementwise(ops.abs, x)


@ufunc_rule(np.sign)
def _sign(x):
    if np.issubdtype(x.dtype, np.unsignedinteger):  # stablehlo.sign needs a signed operand
        return P.convert(P.compare(x, P.scalar_like(x, 0), "NE"), x.dtype)
    sign = P.elementwise(ops.sign, x)
    if np.issubdtype(x.dtype, np.floating):  # NumPy gives +0.0 for -0.0; stablehlo.sign keeps the sign
        zero = P.scalar_like(x, 0.0)
        sign = P.select(P.compare(x, zero, "EQ"), zero, sign)
    return sign


@ufunc_rule(np.square)
def _square(x):
    return P.elementwise(ops.multiply, x, x)


@ufunc_rule(np.reciprocal)
def _reciprocal(x):
    return P.elementwise(ops.divide, P.scalar_like(x, 1), x)


@ufunc_rule(np.isfinite)
def _isfinite(x):
    if not np.issubdtype(x.dtype, np.floating):
        return P.full(x.shape, True, np.bool_)
    return P.elementwise(ops.is_finite, x, dtype=np.bool_)


@ufunc_rule(np.isnan)
def _isnan(x):
    return P.compare(x, x, "NE")


@ufunc_rule(np.isinf)
def _isinf(x):
    if not np.issubdtype(x.dtype, np.floating):
        return P.full(x.shape, False, np.bool_)
    return P.compare(P.elementwise(ops.abs, x), P.scalar_like(x, np.inf), "EQ")


def _signs_differ(a, b):
    """a and b nonzero-ness aside, true where exactly one of them is negative."""
    zero = P.scalar_like(a, 0)
    return P.elementwise(ops.xor, P.compare(a, zero, "LT"), P.compare(b, zero, "LT"))


@ufunc_rule(np.remainder)
def _remainder(x, y):
    """NumPy's modulo has the divisor's sign; stablehlo.remainder (C fmod) the dividend's."""
    rem = P.elementwise(ops.remainder, x, y)
    if x.dtype == np.bool_ or np.issubdtype(x.dtype, np.unsignedinteger):
        return rem
    nonzero = P.compare(rem, P.scalar_like(rem, 0), "NE")
    fix = P.elementwise(ops.and_, nonzero, _signs_differ(rem, y))
    result = P.select(fix, P.elementwise(ops.add, rem, y), rem)
    if np.issubdtype(x.dtype, np.floating):  # an exact zero takes the divisor's sign too
        signed_zero = P.select(P.compare(y, P.scalar_like(y, 0), "LT"), P.scalar_like(y, -0.0), P.scalar_like(y, 0.0))
        result = P.select(nonzero, result, signed_zero)
    return result


@ufunc_rule(np.floor_divide)
def _floor_divide(x, y):
    if np.issubdtype(x.dtype, np.floating):
        return _float_floor_divide(x, y)
    quotient = P.elementwise(ops.divide, x, y)  # truncates toward zero
    if x.dtype == np.bool_ or np.issubdtype(x.dtype, np.unsignedinteger):
        return quotient
    rem = P.elementwise(ops.remainder, x, y)
    adjust = P.elementwise(ops.and_, P.compare(rem, P.scalar_like(rem, 0), "NE"), _signs_differ(rem, y))
    return P.select(adjust, P.elementwise(ops.subtract, quotient, P.scalar_like(quotient, 1)), quotient)


def _float_floor_divide(x, y):
    """NumPy's npy_floor_divide: divide (x - fmod(x, y)) exactly, then round to the nearest integer."""
    mod = P.elementwise(ops.remainder, x, y)
    div = P.elementwise(ops.divide, P.elementwise(ops.subtract, x, mod), y)
    zero, one = P.scalar_like(x, 0), P.scalar_like(x, 1)
    fix = P.elementwise(ops.and_, P.compare(mod, zero, "NE"), _signs_differ(mod, y))
    div = P.select(fix, P.elementwise(ops.subtract, div, one), div)
    floordiv = P.elementwise(ops.floor, div)
    round_up = P.compare(P.elementwise(ops.subtract, div, floordiv), P.scalar_like(x, 0.5), "GT")
    floordiv = P.select(round_up, P.elementwise(ops.add, floordiv, one), floordiv)
    # div == 0 keeps the sign of x / y; division by zero gives x / y (inf or nan) like NumPy.
    quotient = P.elementwise(ops.divide, x, y)
    signed_zero = P.elementwise(ops.multiply, zero, quotient)
    floordiv = P.select(P.compare(div, zero, "EQ"), signed_zero, floordiv)
    return P.select(P.compare(y, zero, "EQ"), quotient, floordiv)
