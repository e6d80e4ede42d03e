"""Derivatives of `stablehlo.dot_general` (`ir/ops/linalg.py`) for any dimension numbers.

The cotangent of one operand contracts the result's cotangent with the other operand over the other
operand's free dims (batch dims pair up), then a transpose puts the dims back in the operand's order.
"""

from __future__ import annotations

from ir import ops, query
from passes.autodiff.registry import bilinear

__all__: list[str] = []


def _dot_back(op, z_bar, side: int):
    lhs_batch, rhs_batch, lhs_contract, rhs_contract = query.dot_dimensions(op)
    mine, other = (op.operands[0], op.operands[1]) if side == 0 else (op.operands[1], op.operands[0])
    my_batch, other_batch = (lhs_batch, rhs_batch) if side == 0 else (rhs_batch, lhs_batch)
    my_contract, other_contract = (lhs_contract, rhs_contract) if side == 0 else (rhs_contract, lhs_contract)
    my_rank, other_rank = len(query.shape(mine)), len(query.shape(other))
    lhs_free = [d for d in range(len(query.shape(op.operands[0]))) if d not in lhs_batch + lhs_contract]
    rhs_free = [d for d in range(len(query.shape(op.operands[1]))) if d not in rhs_batch + rhs_contract]
    my_free = lhs_free if side == 0 else rhs_free
    other_free = [d for d in range(other_rank) if d not in other_batch + other_contract]
    batch_count = len(lhs_batch)
    # The result's dims: batch, lhs free, rhs free. Contract z_bar's dims of the other side's free dims.
    other_free_in_z = (list(range(batch_count + len(lhs_free), batch_count + len(lhs_free) + len(rhs_free))) if side == 0
                       else list(range(batch_count, batch_count + len(lhs_free))))
    z_bar = ops.convert(z_bar, query.dtype(mine))
    if not other_free and query.dtype(other) == query.dtype(mine):
        product = _batched_outer_product(z_bar, other, other_batch, other_contract)
    else:
        product = ops.dot_general(z_bar, other, batch=(list(range(batch_count)), other_batch),
                                  contract=(other_free_in_z, other_free))
    # product's dims: batch, my free dims (in order), then other's contracting dims in increasing order.
    other_contract_sorted = sorted(other_contract)
    position = {}
    for d in range(my_rank):
        if d in my_batch:
            position[d] = my_batch.index(d)
        elif d in my_free:
            position[d] = batch_count + my_free.index(d)
        else:
            position[d] = batch_count + len(my_free) + other_contract_sorted.index(other_contract[my_contract.index(d)])
    permutation = [position[d] for d in range(my_rank)]
    return product if permutation == list(range(my_rank)) else ops.transpose(product, permutation)


def _batched_outer_product(z_bar, other, other_batch, other_contract):
    """The dot_general of z_bar (dims: batch, then my free dims) and `other` (no free dims) contracting
    nothing, as broadcasts and one multiply: the same products, which XLA fuses with the ops around them
    (a dot without contraction is lowered as a dot). Dims: batch, my free dims, other's contracting dims
    in increasing order. A sum of squares (`np.var`, layer norms: `SumOfProductsIsDot`) meets this."""
    z_shape, other_shape = query.shape(z_bar), query.shape(other)
    lead = len(z_shape)
    target = {d: i for i, d in enumerate(other_batch)}
    target.update({d: lead + i for i, d in enumerate(sorted(other_contract))})
    order = sorted(range(len(other_shape)), key=target.__getitem__)
    if order != list(range(len(other_shape))):
        other = ops.transpose(other, order)
    shape = tuple(z_shape) + tuple(other_shape[d] for d in sorted(other_contract))
    z_wide = ops.broadcast_in_dim(z_bar, shape, list(range(lead)))
    other_wide = ops.broadcast_in_dim(other, shape, sorted(target.values()))
    return ops.multiply(z_wide, other_wide)


bilinear("stablehlo.dot_general", lambda op, z_bar: _dot_back(op, z_bar, 0), lambda op, z_bar: _dot_back(op, z_bar, 1))
