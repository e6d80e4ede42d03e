"""Derivatives of `stablehlo.sort` (`ir/ops/sort.py`): any number of operands, any comparator, stable or not.

A sort moves every operand by one permutation (per slice along its dimension), which the comparator picks
and which does not change when the values change a little. So every float operand, key or carried value,
has that permutation as its derivative:
- forward: the tangents ride along as extra operands of a copy of the sort, which its comparator ignores;
- reverse: a copy carrying an iota yields the permutation, and sorting the cotangents by it (as keys) puts
  each one back where its element came from.
The copies keep the comparator and `is_stable` and see the same keys, so the sort that ordered ties in
the forward pass orders them the same way again (XLA's sorts are deterministic in the comparisons they make).
"""

from __future__ import annotations

import numpy as np

from ir import ops, query
from passes.autodiff.activity import clone_ops
from passes.autodiff.registry import JVP, VJP

__all__: list[str] = []


def _sort_with(op, extra) -> list:
    """`op`'s sort of its operands and of `extra` (carried along, unseen by the comparator): every result."""
    count = len(op.operands)
    comparator = op.regions[0].blocks[0]
    body = [nested.operation for nested in comparator.operations]
    arguments = list(comparator.arguments)

    def less_than(lhs, rhs):
        mapping = {}
        for i in range(count):
            mapping[arguments[2 * i]], mapping[arguments[2 * i + 1]] = lhs[i], rhs[i]
        clone_ops(body[:-1], mapping)
        returned = body[-1].operands[0]
        return mapping.get(returned, returned)

    return ops.sort(list(op.operands) + list(extra), query.int_attr(op, "dimension"), less_than,
                    is_stable=query.bool_attr(op, "is_stable"))


def _sort_jvp(op, x_dots):
    carried = [(i, x_dot) for i, x_dot in enumerate(x_dots) if x_dot is not None]
    sorted_tangents = _sort_with(op, [x_dot for _, x_dot in carried])[len(op.operands):]
    tangents = [None] * len(op.operands)
    for (i, _), tangent in zip(carried, sorted_tangents):
        tangents[i] = tangent
    return tangents


def _sort_vjp(op, z_bars, needed):
    wanted = [(i, z_bar) for i, (z_bar, need) in enumerate(zip(z_bars, needed)) if need and z_bar is not None]
    bars = [None] * len(op.operands)
    if not wanted:
        return bars
    shape, dimension = query.shape(op.operands[0]), query.int_attr(op, "dimension")
    index_type = np.int32 if shape[dimension] < np.iinfo(np.int32).max else np.int64
    permutation = _sort_with(op, [ops.iota(shape, dimension, index_type)])[-1]
    # (the permutation's entries are distinct: no ties, so stability does not matter)
    _, *unsorted = ops.sort([permutation] + [z_bar for _, z_bar in wanted], dimension,
                            lambda lhs, rhs: ops.compare(lhs[0], rhs[0], "LT"), is_stable=False)
    for (i, _), bar in zip(wanted, unsorted):
        bars[i] = bar
    return bars


JVP["stablehlo.sort"], VJP["stablehlo.sort"] = _sort_jvp, _sort_vjp
