"""Softmax as one function in reverse mode: `p = e / sum(e)` along some dims, with `e = exp(z)`.

Op by op, the backward of that group reads exp's result (for exp's derivative), the broadcast sum and the
quotient (for divide's): three values of the size of `z` kept from the forward pass. As a whole its
derivative needs only the quotient: z_bar = p * (p_bar - sum(p_bar * p)) over the same dims (JAX's
softmax has this as a custom rule). `PATTERN_VJP` lets the transformation use it wherever the group
appears in the IR, from `lux.softmax`, the attention layer, or a module another frontend produced
(`jax.nn.softmax` lowers to the same ops), with no new op kind for our passes or XLA to learn.

The group matches only when nothing else reads `e` or the sum: otherwise their own cotangents are needed
and the ops' own rules run. `z` is typically `x - max(x)` spread over the slice: the cotangent then goes to
`x` alone (see `unshifted`). Forward mode keeps the ops' own rules (it stores nothing).
"""

from __future__ import annotations

from jaxlib.mlir import ir

from ir import ops, query
from passes.autodiff.emit import sum_dims
from passes.autodiff.registry import PATTERN_VJP
from passes.autodiff.rules.reduction import combiner_name

__all__ = ["match_softmax", "unshifted"]


def _users(value) -> list:
    return [use.owner.operation if hasattr(use.owner, "operation") else use.owner for use in value.uses]


def match_softmax(divide) -> tuple | None:
    """(z, the summed dims) when `divide` ends `exp(z) / spread(sum(exp(z), dims))` and nothing else reads
    the exp or the sum; else None."""
    numerator, denominator = divide.operands
    exp = query.defining_op(numerator)
    if exp is None or exp.name != "stablehlo.exponential":
        return None
    chain = []  # the reshapes and broadcasts from the sum to the denominator, last first
    value = denominator
    while (producer := query.defining_op(value)) is not None and producer.name in _SPREADING:
        if len(_users(value)) != 1:
            return None
        chain.append(producer)
        value = producer.operands[0]
    reduce = query.defining_op(value)
    if (reduce is None or reduce.name != "stablehlo.reduce" or len(reduce.operands) != 2
            or reduce.operands[0] != numerator or combiner_name(reduce) != "stablehlo.add"
            or query.splat_value(reduce.operands[1]) != 0 or len(_users(value)) != 1):
        return None
    users = _users(numerator)
    if len(users) != 2 or not all(user == reduce or user == divide.operation for user in users):
        return None
    dims = query.i64s(reduce, "dimensions")
    shape = query.shape(numerator)
    if not _repeats_along(list(reversed(chain)), value, dims, shape):
        return None
    return exp.operands[0], dims


def _repeats_along(chain, total, dims, shape) -> bool:
    """Whether `chain` (reshapes and broadcasts, first first) turns `total`, a sum over `dims` of an array of
    `shape`, into that shape with each element where its slice was. Each axis is labelled with the axis of
    `shape` it stands for (None: a size-1 axis that stands for none); the kept axes must end in place."""
    labels = [d for d in range(len(shape)) if d not in dims]
    current = list(query.shape(total))
    for op in chain:
        out = list(query.shape(op.results[0]))
        if op.name == "stablehlo.reduce_precision":  # (tracer.stop_gradient's marker: the identity)
            continue
        if op.name == "stablehlo.reshape":
            # Only reshapes that add or drop size-1 axes keep the labels of the others, in order.
            if [n for n in current if n != 1] != [n for n in out if n != 1]:
                return False
            kept = iter(label for label, n in zip(labels, current) if n != 1)
            labels = [next(kept) if n != 1 else None for n in out]
        else:
            mapping = query.i64s(op, "broadcast_dimensions")
            new = [None] * len(out)
            for source, target in enumerate(mapping):
                if current[source] == out[target]:
                    new[target] = labels[source]
            labels = new
        current = out
    if current != list(shape):
        return False
    return all(labels[d] == d or shape[d] == 1 for d in range(len(shape)) if d not in dims)


def unshifted(z, dims) -> ir.Value | None:
    """x when `z` is `x - spread(m)` with m repeated along `dims` (one value per softmax slice), else None.

    Softmax does not change when each slice is shifted by a constant, so m's cotangent is exactly zero:
    the sum over a slice of p * (p_bar - sum(p_bar * p)) is 0 as sum(p) is 1. The group rule gives the
    cotangent to x and none to m, which is then never differentiated: the max of the usual shift needs no
    `tracer.stop_gradient` (whose marker, a reduce_precision, XLA keeps: on CPU it split the attention
    scores' dot, max, subtract and exp into three kernels where JAX's lowering has one)."""
    subtract = query.defining_op(z)
    if subtract is None or subtract.name != "stablehlo.subtract":
        return None
    x, spread = subtract.operands
    chain, value = [], spread
    while (producer := query.defining_op(value)) is not None and producer.name in _SHIFT_SPREADING:
        chain.append(producer)
        value = producer.operands[0]
    return x if chain and _repeats_along(list(reversed(chain)), value, dims, query.shape(z)) else None


def _softmax_vjp(divide, z_bars):
    match = match_softmax(divide)
    if match is None:
        return None
    z, dims = match
    p, p_bar = divide.results[0], z_bars[0]
    shape = query.shape(p)
    kept = [d for d in range(len(shape)) if d not in dims]
    inner = ops.broadcast_in_dim(sum_dims(ops.multiply(p_bar, p), dims), shape, kept)
    x = unshifted(z, dims)
    return [(z if x is None else x, ops.multiply(p, ops.subtract(p_bar, inner)))]


_SPREADING = frozenset({"stablehlo.reshape", "stablehlo.broadcast_in_dim"})
_SHIFT_SPREADING = _SPREADING | {"stablehlo.reduce_precision"}

PATTERN_VJP.setdefault("stablehlo.divide", []).append(_softmax_vjp)
