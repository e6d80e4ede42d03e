"""Derivatives of the ops that move elements (`ir/ops/shape.py`, and the dynamic slices of `ir/ops/indexing.py`).

All are linear: the tangent is the op applied to the tangent, the cotangent its transpose — the op that
puts each element back where it came from (and sums where several came from one).
"""

from __future__ import annotations

import numpy as np

from ir import ops, query
from passes.autodiff.emit import sum_dims, zeros_like
from passes.autodiff.registry import linear

__all__: list[str] = []


def _reshape_back(op, z_bar, index):
    return ops.reshape(z_bar, query.shape(op.operands[0]))


def _transpose_back(op, z_bar, index):
    permutation = query.i64s(op, "permutation")
    return ops.transpose(z_bar, list(np.argsort(permutation)))


def _broadcast_back(op, z_bar, index):
    """Sum over the dims the broadcast made: new ones, and size-1 operand dims it stretched. The dims left
    are in the result's order, which is the operand's only when broadcast_dimensions increase: a transpose
    puts them back (dims = [1, 0] broadcasts a transposed operand), and a reshape restores stretched 1s."""
    in_shape, out_shape = query.shape(op.operands[0]), query.shape(op.results[0])
    dims = query.i64s(op, "broadcast_dimensions")
    stretched = [d for size, d in zip(in_shape, dims) if size == 1 and out_shape[d] != 1]
    summed = [d for d in range(len(out_shape)) if d not in dims or d in stretched]
    remaining = [d for d in range(len(out_shape)) if d not in summed]
    permutation = [remaining.index(d) for d in dims if d in remaining]
    value = sum_dims(z_bar, summed)
    if permutation != sorted(permutation):
        value = ops.transpose(value, permutation)
    return value if query.shape(value) == tuple(in_shape) else ops.reshape(value, in_shape)


def _slice_back(op, z_bar, index):
    """Zeros around the slice and between its strided elements: a pad with interior padding."""
    in_shape = query.shape(op.operands[0])
    start, strides = query.i64s(op, "start_indices"), query.i64s(op, "strides")
    out_shape = query.shape(op.results[0])
    interior = [s - 1 for s in strides]
    high = [n - lo - (m + max(m - 1, 0) * i) for n, lo, m, i in zip(in_shape, start, out_shape, interior)]
    zero = ops.constant(np.zeros((), query.dtype(z_bar)))
    return ops.pad(z_bar, zero, start, high, interior)


def _pad_back(op, z_bar, index):
    """The operand's cotangent undoes the edge padding (negative edges were crops: they pad back zeros)
    and then steps over the interior padding; the padding value's is everything else."""
    low, high, interior = (query.i64s(op, name) for name in ("edge_padding_low", "edge_padding_high", "interior_padding"))
    zero = ops.constant(np.zeros((), query.dtype(z_bar)))
    unpadded = ops.pad(z_bar, zero, [-v for v in low], [-v for v in high], [0] * len(low))
    shape = query.shape(unpadded)
    operand_bar = ops.slice(unpadded, [0] * len(shape), shape, [i + 1 for i in interior])
    if index == 0:
        return operand_bar
    everything = range(len(query.shape(z_bar)))
    return ops.subtract(sum_dims(z_bar, everything), sum_dims(operand_bar, everything))


def _concatenate_back(op, z_bar, index):
    axis = query.int_attr(op, "dimension")
    start = sum(query.shape(operand)[axis] for operand in list(op.operands)[:index])
    shape = query.shape(op.operands[index])
    begin = [0] * len(shape)
    begin[axis] = start
    end = list(query.shape(z_bar))
    end[axis] = start + shape[axis]
    return ops.slice(z_bar, begin, end, [1] * len(shape))


def _reverse_back(op, z_bar, index):
    return ops.reverse(z_bar, query.i64s(op, "dimensions"))


def _dynamic_slice_back(op, z_bar, index):
    """The slice's cotangent written into zeros at the same (clamped) start: the spec clamps both alike."""
    operand = op.operands[0]
    return ops.dynamic_update_slice(zeros_like(operand), z_bar, list(op.operands)[1:])


def _dynamic_update_slice_back(op, z_bar, index):
    operand, update, *starts = op.operands
    if index == 0:  # what the update overwrote had no effect
        return ops.dynamic_update_slice(z_bar, zeros_like(update), starts)
    if index == 1:
        return ops.dynamic_slice(z_bar, starts, query.shape(update))
    return None  # start indices


linear("stablehlo.reshape", _reshape_back)
linear("stablehlo.transpose", _transpose_back)
linear("stablehlo.broadcast_in_dim", _broadcast_back)
linear("stablehlo.slice", _slice_back)
linear("stablehlo.pad", _pad_back)
linear("stablehlo.concatenate", _concatenate_back)
linear("stablehlo.reverse", _reverse_back)
linear("stablehlo.dynamic_slice", lambda op, z_bar, index: _dynamic_slice_back(op, z_bar, index) if index == 0 else None)
linear("stablehlo.dynamic_update_slice", _dynamic_update_slice_back)
