"""`stablehlo.reduce_window` simplifications: a small summing window as a sum of strided slices.

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
from ir.query import i64s, i64s_or
from passes.rewrite import Pattern, Rewriter
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


def patterns() -> list[Pattern]:
    return [SmallSumWindowIsSliceSum()]
