"""Derivatives of `stablehlo.reduce` (`ir/ops/reduction.py`), by the op its body combines with.

Sums spread the cotangent back over the reduced dims. Max and min send it to the elements equal to the
result, split evenly between ties (as JAX does). Products use the product of the other elements, computed
without dividing by zero. A variadic reduce (argmax's value-and-index pair) passes derivatives only
through its index-free form, which the tracer does not emit: it raises.
"""

from __future__ import annotations

import numpy as np

from ir import ops, query
from passes.autodiff.emit import add, full_like, sum_dims, zeros_like
from passes.autodiff.errors import AutodiffError
from passes.autodiff.registry import JVP, VJP

__all__ = ["combiner_name"]


def combiner_name(op) -> str | None:
    """The op the body of a one-operand reduce (or reduce_window) applies to its two arguments, else None."""
    block = op.regions[0].blocks[0]
    body = list(block.operations)
    if len(body) != 2 or len(body[0].operands) != 2:
        return None
    if set(body[0].operands) != set(block.arguments) or list(body[1].operands) != [body[0].results[0]]:
        return None
    return body[0].name


def _spread(op, value):
    """A reduce result (or cotangent) broadcast back to the operand's shape."""
    operand = op.operands[0]
    dims = query.i64s(op, "dimensions")
    kept = [d for d in range(len(query.shape(operand))) if d not in dims]
    return ops.broadcast_in_dim(value, query.shape(operand), kept)


def _one_operand(op):
    if len(op.operands) != 2:
        raise AutodiffError(f"{op.name} of {len(op.operands) // 2} operands (such as argmax's value and index) "
                            "has no derivative rule", op=op,
                            fix="take the maximum with np.max and the index with np.argmax separately")
    kind = combiner_name(op)
    if kind not in _KINDS:
        raise AutodiffError(f"stablehlo.reduce with a {kind or 'multi-op'} body has no derivative rule", op=op,
                            fix="differentiate sums, products, maxima and minima; other reductions are not supported")
    return kind


def _tie_mask(op):
    """Where the operand equals its reduced value, as 1/count per reduced slice (ties share evenly)."""
    x = op.operands[0]
    hits = ops.compare(x, _spread(op, op.results[0]), "EQ")
    ones = ops.select(hits, full_like(x, 1), zeros_like(x))
    counts = sum_dims(ones, query.i64s(op, "dimensions"))
    return ops.divide(ones, _spread(op, counts))


def _others_product(op):
    """d(prod x)/dx_i = the product of the other elements, computed without dividing by zero and so that its
    own derivative (second order) is right too. With P the product of the nonzero elements and c the
    number of zeros in x_i's slice:
      c = 0: P / x_i;
      c = 1: P at the zero, and x_zero * P / x_i elsewhere (x_zero = 0, but its derivative is not);
      c = 2: x_other_zero * P at a zero, 0 elsewhere (two zero factors: value and derivative vanish);
      c > 2: 0.
    x_zero is read as the slice's sum of its zero elements, so it carries their tangents."""
    x = op.operands[0]
    dims = query.i64s(op, "dimensions")
    is_zero = ops.compare(x, zeros_like(x), "EQ")
    safe_x = ops.select(is_zero, full_like(x, 1), x)
    nonzero_product = _spread(op, ops.reduce(safe_x, ops.constant(np.ones((), query.dtype(x))), dims, ops.multiply))
    count = _spread(op, sum_dims(ops.select(is_zero, full_like(x, 1), zeros_like(x)), dims))
    zero_sum = _spread(op, sum_dims(ops.select(is_zero, x, zeros_like(x)), dims))
    others = ops.divide(nonzero_product, safe_x)  # c = 0, and c = 1 at the zero
    one_zero = ops.select(is_zero, others, ops.multiply(zero_sum, others))
    two_zeros = ops.select(is_zero, ops.multiply(ops.subtract(zero_sum, x), nonzero_product), zeros_like(x))

    def count_is(n):
        return ops.compare(count, full_like(count, n), "EQ")

    return ops.select(count_is(0), others, ops.select(count_is(1), one_zero,
                                                      ops.select(count_is(2), two_zeros, zeros_like(x))))


_KINDS = {
    "stablehlo.add": None,
    "stablehlo.maximum": _tie_mask,
    "stablehlo.minimum": _tie_mask,
    "stablehlo.multiply": _others_product,
}


def _reduce_jvp(op, x_dots):
    kind = _one_operand(op)
    x_dot, init_dot = x_dots
    weight = _KINDS[kind]
    if x_dot is None:
        tangent = None
    else:
        weighted = x_dot if weight is None else ops.multiply(x_dot, weight(op))
        tangent = sum_dims(weighted, query.i64s(op, "dimensions"))
    if init_dot is not None and kind == "stablehlo.add":
        tangent = add(tangent, ops.broadcast_in_dim(init_dot, query.shape(op.results[0]), ()))
    return [tangent]


def _reduce_vjp(op, z_bars, needed):
    kind = _one_operand(op)
    z_bar = z_bars[0]
    weight = _KINDS[kind]
    x_bar = None
    if needed[0]:
        x_bar = _spread(op, z_bar)
        if weight is not None:
            x_bar = ops.multiply(x_bar, weight(op))
    init_bar = None
    # The init of max/min/product is its identity, which has no effect (StableHLO leaves a reduce whose init
    # is not the identity implementation-defined: XLA drops such an init from a slice of one element).
    if needed[1] and kind == "stablehlo.add":
        init_bar = sum_dims(z_bar, range(len(query.shape(z_bar))))
    return [x_bar, init_bar]


JVP["stablehlo.reduce"], VJP["stablehlo.reduce"] = _reduce_jvp, _reduce_vjp
