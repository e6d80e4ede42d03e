"""`stablehlo.reduce_window` simplifications: a small summing window as a sum of strided slices, and
(its derivative, for windows that do not overlap) the sum of interleaved pads as a broadcast.

Why: XLA's CPU backend runs a `reduce_window` as a loop over each window of each output element,
several times slower than a fused elementwise loop over the same data. Sum (mean) pooling over 2x2
windows of a 32x16x32x32 batch took about 1 ms there, and the same sum of four strided slices,
fused into one loop, about 0.2 ms; JAX's reshape-and-reduce form of it ran as slowly as the window.

Exactness, as in `passes.simplify.reduce`: the spec computes each window's value as its body applied
along some tree over the init value and the window's elements, in an implementation-defined order.
`init + s_0 + s_1 + ...`, with s_k the strided slice of the elements at offset k of every window,
combines the same init with the same elements: one of the orders the window allowed.

Only sums: their derivative is the same whichever order adds the elements, whereas `maximum` of
slices would split the derivative between tied elements where max pooling (`select_and_scatter`)
gives it to the first maximum, and the simplify pass runs before autodiff.
"""

from __future__ import annotations

import itertools
import math

from ir import ops, query
from ir.query import i64s, i64s_or, splat_value
from passes.rewrite import Pattern, Rewriter, defining_op
from passes.simplify.reduce import combiner, is_identity

__all__ = ["patterns"]

# Windows of at most this many elements become slices: each is one more slice and add in the fused
# loop, and a large window (a global pool) is better left to the reduce.
MAX_WINDOW_ELEMENTS = 16


class SmallSumWindowIsSliceSum(Pattern):
    """`reduce_window(x, init, add)` without padding or dilation, of at most MAX_WINDOW_ELEMENTS
    elements -> `init + slice_0(x) + slice_1(x) + ...` (init left out where it is the sum's identity,
    -0.0 or integer 0)."""

    op_name = "stablehlo.reduce_window"

    def match_and_rewrite(self, op, rewriter: Rewriter) -> bool:
        if len(op.results) != 1 or combiner(op) != "stablehlo.add":
            return False
        operand, init = op.operands
        shape = query.shape(operand)
        rank = len(shape)
        window = i64s(op, "window_dimensions")
        count = math.prod(window)
        if not 2 <= count <= MAX_WINDOW_ELEMENTS:
            return False
        if (any(d != 1 for d in i64s_or(op, "base_dilations", [1] * rank))
                or any(d != 1 for d in i64s_or(op, "window_dilations", [1] * rank))
                or any(pair != (0, 0) for pair in query.padding_pairs(op, rank))):
            return False
        strides = i64s_or(op, "window_strides", [1] * rank)
        out_shape = query.shape(op.results[0])
        if 0 in out_shape:
            return False  # (nothing to compute: the zero-extent rule's case)
        with rewriter.before(op):
            total = None
            for offset in itertools.product(*(range(w) for w in window)):
                limit = [o + (n - 1) * s + 1 for o, n, s in zip(offset, out_shape, strides)]
                piece = ops.slice(operand, offset, limit, strides)
                total = piece if total is None else ops.add(total, piece)
            if not is_identity("stablehlo.add", init):
                total = ops.add(ops.broadcast_in_dim(init, out_shape, []), total)
        rewriter.replace(op, [total])
        return True


class InterleavedPadsAreBroadcast(Pattern):
    """`pad(g, v, low=o, interior=s-1) + ...` with one pad per offset o of an s-block, which tile their
    result (each element comes from exactly one pad: low + high = s - 1 on every axis) and pad with the
    same zero v -> `reshape(broadcast_in_dim(g + v, [n_0, s_0, n_1, s_1, ...]))`.

    The derivative of `SmallSumWindowIsSliceSum`'s slices for non-overlapping windows (sum and mean
    pooling): each slice's cotangent is spread by a pad, and their sum materialised the full-size result
    four times over in one fusion, in a layout XLA then transposed for the convolution beside it, where a
    broadcast fuses into its consumers. Exact: an element sums its own g with the other pads' v, zeros,
    which is g + v whatever the order (g + v is g, except -0.0 + +0.0 = +0.0, which the `+ v` keeps).
    """

    op_name = "stablehlo.add"
    operand_from = (None, ("stablehlo.add", "stablehlo.pad"))

    def match_and_rewrite(self, op, rewriter: Rewriter) -> bool:
        pads = _summed_pads(op, [])
        if not pads or len(pads) < 2:
            return False
        operand, value = pads[0].operands
        interior = i64s(pads[0], "interior_padding")
        blocks = [i + 1 for i in interior]
        if len(pads) != math.prod(blocks) or splat_value(value) != 0:
            return False
        offsets = set()
        for pad in pads:
            low, high = i64s(pad, "edge_padding_low"), i64s(pad, "edge_padding_high")
            if (pad.operands[0] != operand or pad.operands[1] != value or i64s(pad, "interior_padding") != interior
                    or any(not 0 <= lo < s or lo + hi != s - 1 for lo, hi, s in zip(low, high, blocks))):
                return False
            offsets.add(tuple(low))
        if len(offsets) != len(pads):
            return False  # (an offset twice, so another missing: not a tiling)
        shape = query.shape(operand)
        split, dims = [], []
        for n, s in zip(shape, blocks):
            dims.append(len(split))
            split += [n, s] if s > 1 else [n]
        with rewriter.before(op):
            if not is_identity("stablehlo.add", value):
                operand = ops.add(operand, ops.broadcast_in_dim(value, shape, []))
            total = ops.reshape(ops.broadcast_in_dim(operand, split, dims), query.shape(op.results[0]))
        rewriter.replace(op, [total])
        return True


def _summed_pads(op, found: list) -> list | None:
    """The pads that the tree of adds rooted at `op` sums, or None where it sums anything else."""
    for value in op.operands:
        producer = defining_op(value)
        if producer is None:
            return None
        if producer.name == "stablehlo.pad":
            found.append(producer)
        elif producer.name != "stablehlo.add" or _summed_pads(producer, found) is None:
            return None
    return found


def patterns() -> list[Pattern]:
    return [SmallSumWindowIsSliceSum(), InterleavedPadsAreBroadcast()]
