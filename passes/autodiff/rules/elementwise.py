"""Derivatives of the elementwise ops (`ir/ops/elementwise.py`, `ir/ops/chlo.py`).

Each op is one line: its partial derivatives as functions of the operands and the result `z`, so a rule
that can use the result (tanh, exp, logistic, sqrt) keeps only the result alive for the backward pass.
Ties of max/min and of clamp's bounds split the derivative as JAX does.
"""

from __future__ import annotations

import math

from ir import ops, query
from passes.autodiff.emit import add, full_like, ones_like, sub, sum_dims, zeros_like
from passes.autodiff.registry import JVP, VJP, constant_results, elementwise, linear, replace_operands

__all__: list[str] = []


def _c(like, value):
    return full_like(like, value)


def _recip(x):
    return ops.divide(_c(x, 1), x)


def _square(x):
    return ops.multiply(x, x)


def _half_or_one(x, z, other):
    """dz/dx of z = max(x, other) or min(...): 1 where x alone is the result, 1/2 where both tie, else 0."""
    x_is_z = ops.compare(x, z, "EQ")
    other_is_z = ops.compare(other, z, "EQ")
    one, half, zero = _c(x, 1), _c(x, 0.5), zeros_like(x)
    return ops.select(x_is_z, ops.select(other_is_z, half, one), zero)


# -- unary ---------------------------------------------------------------------------------------------
elementwise("stablehlo.exponential", lambda x, z: z)
elementwise("stablehlo.exponential_minus_one", lambda x, z: ops.add(z, _c(z, 1)))
elementwise("stablehlo.log", lambda x, z: _recip(x))
elementwise("stablehlo.log_plus_one", lambda x, z: _recip(ops.add(x, _c(x, 1))))
elementwise("stablehlo.sqrt", lambda x, z: ops.divide(_c(z, 0.5), z))
elementwise("stablehlo.rsqrt", lambda x, z: ops.divide(ops.multiply(_c(z, -0.5), z), x))
elementwise("stablehlo.cbrt", lambda x, z: _recip(ops.multiply(_c(z, 3), _square(z))))
elementwise("stablehlo.tanh", lambda x, z: ops.subtract(_c(z, 1), _square(z)))
elementwise("stablehlo.logistic", lambda x, z: ops.multiply(z, ops.subtract(_c(z, 1), z)))
elementwise("stablehlo.sine", lambda x, z: ops.cosine(x))
elementwise("stablehlo.cosine", lambda x, z: ops.negate(ops.sine(x)))
elementwise("stablehlo.tan", lambda x, z: ops.add(_c(z, 1), _square(z)))
# |x|' is 1 at 0, as in JAX.
elementwise("stablehlo.abs", lambda x, z: ops.select(ops.compare(x, zeros_like(x), "GE"), _c(x, 1), _c(x, -1)))
elementwise("chlo.asin", lambda x, z: ops.rsqrt(ops.subtract(_c(x, 1), _square(x))))
elementwise("chlo.acos", lambda x, z: ops.negate(ops.rsqrt(ops.subtract(_c(x, 1), _square(x)))))
elementwise("chlo.atan", lambda x, z: _recip(ops.add(_c(x, 1), _square(x))))
elementwise("chlo.sinh", lambda x, z: ops.cosh(x))
elementwise("chlo.cosh", lambda x, z: ops.sinh(x))
elementwise("chlo.asinh", lambda x, z: ops.rsqrt(ops.add(_square(x), _c(x, 1))))
# 1 / (sqrt(x - 1) sqrt(x + 1)) rather than 1 / sqrt(x^2 - 1), which loses precision near 1.
elementwise("chlo.acosh", lambda x, z: _recip(ops.multiply(ops.sqrt(ops.subtract(x, _c(x, 1))),
                                                            ops.sqrt(ops.add(x, _c(x, 1))))))
elementwise("chlo.atanh", lambda x, z: _recip(ops.subtract(_c(x, 1), _square(x))))
elementwise("chlo.erf", lambda x, z: ops.multiply(_c(x, 2 / math.sqrt(math.pi)), ops.exponential(ops.negate(_square(x)))))
elementwise("chlo.erfc", lambda x, z: ops.multiply(_c(x, -2 / math.sqrt(math.pi)), ops.exponential(ops.negate(_square(x)))))
elementwise("chlo.erf_inv", lambda x, z: ops.multiply(_c(z, math.sqrt(math.pi) / 2), ops.exponential(_square(z))))
elementwise("chlo.lgamma", lambda x, z: ops.digamma(x))
elementwise("chlo.digamma", lambda x, z: ops.polygamma(ones_like(x), x))
# polygamma(n, x): n is an order, not a variable.
elementwise("chlo.polygamma", None, lambda n, x, z: ops.polygamma(ops.add(n, _c(n, 1)), x))
# zeta(s, q): d/dq = -s zeta(s + 1, q); s is an order (JAX does not differentiate it either).
elementwise("chlo.zeta", None, lambda s, q, z: ops.negate(ops.multiply(s, ops.zeta(ops.add(s, _c(s, 1)), q))))

# -- binary --------------------------------------------------------------------------------------------
elementwise("stablehlo.multiply", lambda x, y, z: y, lambda x, y, z: x)
# x^y: y x^(y-1), except 0 at 0^0 (x^0 = 1 is flat in x; the formula gives 0 * inf there); log(x) x^y,
# with log(0) read as 0. Only 0^0 is masked: where x != 0 the formula is exact at y = 0 too, and its own
# derivative in y there (x^-1, the mixed second derivative) must survive.
elementwise("stablehlo.power",
            lambda x, y, z: ops.select(ops.and_(ops.compare(x, zeros_like(x), "EQ"), ops.compare(y, zeros_like(y), "EQ")),
                                       zeros_like(x), ops.multiply(y, ops.power(x, ops.subtract(y, _c(y, 1))))),
            lambda x, y, z: ops.multiply(ops.log(ops.select(ops.compare(x, zeros_like(x), "EQ"), _c(x, 1), x)), z))
elementwise("stablehlo.maximum", lambda x, y, z: _half_or_one(x, z, y), lambda x, y, z: _half_or_one(y, z, x))
elementwise("stablehlo.minimum", lambda x, y, z: _half_or_one(x, z, y), lambda x, y, z: _half_or_one(y, z, x))


def _where_positive(op, value):
    """`value` where relu's input is positive, else 0 (JAX's relu derivative: 0 at x = 0, no tie split)."""
    x = op.operands[0]
    return ops.select(ops.compare(x, zeros_like(x), "GT"), value, zeros_like(value))


# relu, `maximum(x, 0)` marked by tracer.nn.relu (the zero, a constant, gets no derivative)
JVP["stablehlo.maximum:relu"] = lambda op, x_dots: [None if x_dots[0] is None else _where_positive(op, x_dots[0])]
VJP["stablehlo.maximum:relu"] = lambda op, z_bars, needed: [_where_positive(op, z_bars[0]) if needed[0] else None, None]
elementwise("stablehlo.atan2",
            lambda x, y, z: ops.divide(y, ops.add(_square(x), _square(y))),
            lambda x, y, z: ops.negate(ops.divide(x, ops.add(_square(x), _square(y)))))
# remainder(x, y) = x - trunc(x / y) y.
elementwise("stablehlo.remainder", lambda x, y, z: ones_like(x),
            lambda x, y, z: ops.negate(ops.multiply(ops.sign(ops.divide(x, y)), ops.floor(ops.abs(ops.divide(x, y))))))


# -- linear --------------------------------------------------------------------------------------------
# (A missing tangent is a zero: x_dot + 0 is x_dot, with no zeros built and added.)
linear("stablehlo.add", lambda op, z_bar, index: z_bar, tangent=lambda op, x_dots: [add(*x_dots)])
linear("stablehlo.subtract", lambda op, z_bar, index: z_bar if index == 0 else ops.negate(z_bar),
       tangent=lambda op, x_dots: [sub(*x_dots)])
linear("stablehlo.negate", lambda op, z_bar, index: ops.negate(z_bar))
# Between float types; from an integer the operand is never active, to one the result never is.
linear("stablehlo.convert", lambda op, z_bar, index: ops.convert(z_bar, query.dtype(op.operands[0])))
# Rounding is flat between representable values; as JAX has it, derivatives pass through rounded the same
# way (the tangent by the op itself, the cotangent likewise), so forward and reverse mode agree.
linear("stablehlo.reduce_precision", lambda op, z_bar, index: replace_operands(op, [z_bar]).results[0])


# select(pred, on_true, on_false): the predicate selects which branch's cotangent flows.
linear("stablehlo.select", lambda op, z_bar, index: None if index == 0 else (
    ops.select(op.operands[0], z_bar, zeros_like(z_bar)) if index == 1
    else ops.select(op.operands[0], zeros_like(z_bar), z_bar)))

# Rounding, signs and bit reinterpretation are flat (or nowhere differentiable): no derivative flows.
constant_results("stablehlo.floor", "stablehlo.ceil", "stablehlo.round_nearest_even", "stablehlo.round_nearest_afz",
                 "stablehlo.sign", "stablehlo.bitcast_convert", "chlo.next_after", "stablehlo.iota",
                 "stablehlo.rng_bit_generator", "stablehlo.rng", "stablehlo.constant")


# clamp(low, x, high), whose bounds may be 0-d: x's derivative is 1 strictly inside the bounds; a bound's
# is 1 where it is the result (low also needs low < high). A 0-d bound's cotangent sums over x.
def _clamp_masks(op):
    low, x, high = op.operands
    shape = query.shape(x)
    low, high = (ops.broadcast_in_dim(b, shape, ()) if query.shape(b) != shape else b for b in (low, high))
    inside = ops.and_(ops.compare(x, low, "GT"), ops.compare(x, high, "LT"))
    low_wins = ops.and_(ops.compare(low, x, "GT"), ops.compare(low, high, "LT"))
    high_wins = ops.compare(high, x, "LT")
    return low_wins, inside, high_wins


def _clamp_jvp(op, x_dots):
    masks = _clamp_masks(op)
    x = op.operands[1]
    tangent = None
    for mask, operand, x_dot in zip(masks, op.operands, x_dots):
        if x_dot is not None:
            if query.shape(operand) != query.shape(x):
                x_dot = ops.broadcast_in_dim(x_dot, query.shape(x), ())
            tangent = add(tangent, ops.select(mask, x_dot, zeros_like(x_dot)))
    return [tangent]


def _clamp_vjp(op, z_bars, needed):
    masks = _clamp_masks(op)
    z_bar, x = z_bars[0], op.operands[1]
    bars = []
    for mask, operand, need in zip(masks, op.operands, needed):
        if not need:
            bars.append(None)
            continue
        bar = ops.select(mask, z_bar, zeros_like(z_bar))
        if query.shape(operand) != query.shape(x):
            bar = sum_dims(bar, range(len(query.shape(x))))
        bars.append(bar)
    return bars


JVP["stablehlo.clamp"], VJP["stablehlo.clamp"] = _clamp_jvp, _clamp_vjp


# z = x / y: divide by y once (x_dot / y, not x_dot * (1 / y)), and reuse that quotient for y's term.
def _divide_jvp(op, x_dots):
    x_dot, y_dot = x_dots
    y, z = op.operands[1], op.results[0]
    tangent = None if x_dot is None else ops.divide(x_dot, y)
    if y_dot is not None:
        tangent = sub(tangent, ops.divide(ops.multiply(y_dot, z), y))
    return [tangent]


def _divide_vjp(op, z_bars, needed):
    y, z = op.operands[1], op.results[0]
    quotient = ops.divide(z_bars[0], y)
    return [quotient if needed[0] else None, ops.negate(ops.multiply(quotient, z)) if needed[1] else None]


JVP["stablehlo.divide"], VJP["stablehlo.divide"] = _divide_jvp, _divide_vjp
