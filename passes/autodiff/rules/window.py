"""Derivatives of `stablehlo.reduce_window` (sum, max and min pooling) and `stablehlo.select_and_scatter`
(`ir/ops/window.py`).

Sum pooling is linear; its transpose hands each window's cotangent to every element of the window (the
convolution transpose of a kernel of ones: the cotangent dilated by the stride, padded, summed per window).

Max (min) pooling passes each window's derivative through the one element it picks: the first maximum in
window order, the element `select_and_scatter` with GE (LE) picks. Two linear maps, each the other's
transpose, do all the work, and they are each other's derivatives too (second order):
- `_gather_picks(x, [t])`: per window, t at x's pick — a reduce_window over (x, flat index, t) keeping
  the larger value, equal values to the earlier index. Max pooling's tangent; select_and_scatter's transpose.
- `_scatter_picks(x, g)`: per window, g added at x's pick — `select_and_scatter`, or, for dilated windows
  and negative padding (which it cannot express), a scatter to the indices `_gather_picks` finds. Max
  pooling's cotangent; `_gather_picks`' transpose.
The selection does not move when x moves a little, so neither map has a derivative with respect to x.
Average pooling is a sum then a division, in the tracer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ir import ops, query
from passes.autodiff.emit import full_like, sum_dims, zeros_like
from passes.autodiff.errors import AutodiffError
from passes.autodiff.registry import JVP, VJP, replace_operands
from passes.autodiff.rules.reduction import combiner_name
from ir.query import splat_value

__all__: list[str] = []

# select_and_scatter's select direction -> (the value comparison that wins, the index comparison that wins a tie):
# GE keeps the element it holds over an equal later one (the first maximum), GT moves on to it (the last).
_SELECTIONS = {"GE": ("GT", "LT"), "GT": ("GT", "GT"), "LE": ("LT", "LT"), "LT": ("LT", "GT")}
_POOLING = {"stablehlo.maximum": "GE", "stablehlo.minimum": "LE"}


@dataclass(frozen=True)
class _Window:
    dims: list
    strides: list
    base: list
    dilations: list
    padding: list

    @classmethod
    def of(cls, op) -> "_Window":
        rank = len(query.shape(op.operands[0]))
        ones = [1] * rank
        return cls(query.i64s(op, "window_dimensions"), query.i64s_or(op, "window_strides", ones),
                   query.i64s_or(op, "base_dilations", ones), query.i64s_or(op, "window_dilations", ones),
                   query.padding_pairs(op, rank))

    def attributes(self) -> dict:
        return dict(window_strides=self.strides, base_dilations=self.base, window_dilations=self.dilations,
                    padding=self.padding)


def _dilated(size: int, dilation: int) -> int:
    return 0 if size == 0 else (size - 1) * dilation + 1


def _scalar(value, dtype):
    return ops.constant(np.asarray(value, dtype))


def _identity(dtype, select: str):
    """The value that never wins: -inf for a maximum, +inf for a minimum."""
    return _scalar(-np.inf if _SELECTIONS[select][0] == "GT" else np.inf, dtype)


# -- the two maps of the picked positions ------------------------------------------------------------------------
def _gather_picks(x, tangents, select: str, window: _Window):
    """(each window's pick of x, its flat index in x, each tangent at it): a reduce_window whose body keeps
    the better (value, index) pair, so it is associative and commutative and picks what select_and_scatter
    picks. Padding and dilation holes hold a value and an index that lose to every element."""
    shape, size = query.shape(x), math.prod(query.shape(x))
    index_type = np.int32 if size < np.iinfo(np.int32).max else np.int64
    flat = ops.reshape(ops.iota((size,), 0, index_type), shape)
    value_wins, index_wins = _SELECTIONS[select]
    never = np.iinfo(index_type).max if index_wins == "LT" else -1

    def keep_better(a, b):
        a_wins = ops.or_(ops.compare(a[0], b[0], value_wins),
                         ops.and_(ops.compare(a[0], b[0], "EQ"), ops.compare(a[1], b[1], index_wins)))
        return [ops.select(a_wins, p, q) for p, q in zip(a, b)]

    inits = [_identity(query.dtype(x), select), _scalar(never, index_type)]
    inits += [_scalar(0, query.dtype(t)) for t in tangents]
    value, index, *picked = ops.reduce_window_many([x, flat, *tangents], inits, window.dims, keep_better,
                                                   **window.attributes())
    return value, index, picked


def _picks_selection(op) -> str | None:
    """The select direction of a reduce_window that `_gather_picks` built, else None."""
    count = len(op.operands) // 2
    block = op.regions[0].blocks[0]
    body = [nested.operation for nested in block.operations]
    names = ["stablehlo.compare"] * 3 + ["stablehlo.and", "stablehlo.or"] + ["stablehlo.select"] * count
    if count < 2 or [nested.name for nested in body[:-1]] != names:
        return None
    arguments = list(block.arguments)
    value_compare, _, index_compare = body[:3]
    if (list(value_compare.operands) != [arguments[0], arguments[count]]
            or list(index_compare.operands) != [arguments[1], arguments[count + 1]]):
        return None
    directions = (query.enum_attr(value_compare, "comparison_direction"),
                  query.enum_attr(index_compare, "comparison_direction"))
    return next((select for select, wins in _SELECTIONS.items() if wins == directions), None)


def _scatter_picks(x, g, select: str, window: _Window):
    """Each window's g added at x's pick (zeros elsewhere): the transpose of `_gather_picks`."""
    shape = query.shape(x)
    rank, zero = len(shape), _scalar(0, query.dtype(g))
    if all(d == 1 for d in window.dilations) and all(min(pair) >= 0 for pair in window.padding):
        operand = x
        if any(b > 1 for b in window.base):  # holes that are never picked, sliced off after
            holes = [b - 1 for b in window.base]
            operand = ops.pad(x, _identity(query.dtype(x), select), [0] * rank, [0] * rank, holes)
        picked = ops.select_and_scatter(operand, g, zero, window.dims, lambda a, b: ops.compare(a, b, select), ops.add,
                                        window_strides=window.strides, padding=window.padding)
        if operand is x:
            return picked
        return ops.slice(picked, [0] * rank, query.shape(picked), window.base)
    # select_and_scatter has no dilated windows (nor crops): add g at the flat indices of the picks.
    _, index, _ = _gather_picks(x, [], select, window)
    size, windows = math.prod(shape), math.prod(query.shape(g))
    index_type = query.dtype(index)
    picked_any = ops.and_(ops.compare(index, full_like(index, 0), "GE"),
                          ops.compare(index, full_like(index, size), "LT"))
    updates = ops.select(picked_any, g, zeros_like(g))
    index = ops.clamp(_scalar(0, index_type), index, _scalar(size - 1, index_type))
    flat = ops.scatter_points(zeros_like(ops.reshape(x, (size,))), ops.reshape(index, (windows, 1)),
                              ops.reshape(updates, (windows,)), [0], ops.add)
    return ops.reshape(flat, shape)


# -- reduce_window -----------------------------------------------------------------------------------------------
def _pooling(op) -> str:
    """add, or the select direction of max/min pooling; raises for other bodies."""
    kind = combiner_name(op) if len(op.operands) == 2 else None
    if kind == "stablehlo.add":
        return "add"
    if kind in _POOLING:
        return _POOLING[kind]
    raise AutodiffError(f"stablehlo.reduce_window with a {kind or 'multi-operand'} body has no derivative rule",
                        op=op, fix="differentiate sum, max and min pooling; other window reductions are not supported")


def _fixed_sum_init(op, differentiated: bool) -> None:
    """A sum's init must be its identity for XLA, which starts each window from it once and skips padding,
    where the spec fills padding with it too: how the result depends on any other init is not defined."""
    if differentiated:
        raise AutodiffError("the init value of a summing stablehlo.reduce_window has no derivative (XLA reads "
                            "it as the identity, so the result's dependence on it is implementation-defined)",
                            op=op, fix="sum from 0 and add the other value to the result")


def _init_wins(op, select: str):
    """Where the init value is the window's result (None when the init is the identity, which never wins):
    the derivative then goes to the init, in both modes."""
    x, init = op.operands
    identity = -np.inf if _SELECTIONS[select][0] == "GT" else np.inf
    if splat_value(init) == identity:
        return None
    out = op.results[0]
    return ops.compare(out, ops.broadcast_in_dim(init, query.shape(out), ()), "EQ")


def _sum_back(op, z_bar, window: _Window):
    """The cotangent of the summed operand: every window's cotangent spread over the window's elements."""
    x = op.operands[0]
    if 0 in query.shape(z_bar):
        return zeros_like(x)
    low, high = [], []
    for n, k, s, b, d, (before, _), m in zip(query.shape(x), window.dims, window.strides, window.base,
                                             window.dilations, window.padding, query.shape(z_bar)):
        span, length, covered = _dilated(k, d), _dilated(n, b), _dilated(m, s)
        low.append(span - 1 - before)
        high.append(length + span - 1 - covered - low[-1])
    zero = _scalar(0, query.dtype(z_bar))
    spread = ops.pad(z_bar, zero, low, high, [s - 1 for s in window.strides])
    return ops.reduce_window(spread, zero, window.dims, ops.add, window_strides=window.base,
                             window_dilations=window.dilations)


def _reduce_window_jvp(op, x_dots):
    if _picks_selection(op) is not None:
        return _picks_jvp(op, x_dots)
    kind, (x, init), (x_dot, init_dot) = _pooling(op), op.operands, x_dots
    if kind == "add":
        _fixed_sum_init(op, init_dot is not None)
        return [None if x_dot is None else replace_operands(op, [x_dot, zeros_like(init)]).results[0]]
    window = _Window.of(op)
    tangent = None if x_dot is None else _gather_picks(x, [x_dot], kind, window)[2][0]
    init_wins = _init_wins(op, kind)
    if init_wins is not None and (tangent is not None or init_dot is not None):
        out = op.results[0]
        from_init = zeros_like(out) if init_dot is None else ops.broadcast_in_dim(init_dot, query.shape(out), ())
        tangent = ops.select(init_wins, from_init, tangent if tangent is not None else zeros_like(out))
    return [tangent]


def _reduce_window_vjp(op, z_bars, needed):
    if _picks_selection(op) is not None:
        return _picks_vjp(op, z_bars, needed)
    kind, (x, init), z_bar = _pooling(op), op.operands, z_bars[0]
    window = _Window.of(op)
    if kind == "add":
        _fixed_sum_init(op, needed[1])
        return [_sum_back(op, z_bar, window), None]
    init_wins, init_bar = _init_wins(op, kind), None
    if init_wins is not None:
        if needed[1]:
            init_bar = sum_dims(ops.select(init_wins, z_bar, zeros_like(z_bar)), range(len(query.shape(z_bar))))
        z_bar = ops.select(init_wins, zeros_like(z_bar), z_bar)
    return [_scatter_picks(x, z_bar, kind, window) if needed[0] else None, init_bar]


# reduce_window(x, flat index, tangents...) from `_gather_picks`: the pick's value and each tangent are linear
# in x's and the tangents' tangents through the fixed picks; the index has none.
def _picks_jvp(op, x_dots):
    select, window, count = _picks_selection(op), _Window.of(op), len(op.operands) // 2
    x = op.operands[0]
    present = [(result, x_dot) for result, x_dot in zip([0] + list(range(2, count)), [x_dots[0], *x_dots[2:count]])
               if x_dot is not None]
    if not present:
        return [None] * count
    _, _, picked = _gather_picks(x, [x_dot for _, x_dot in present], select, window)
    tangents = [None] * count
    for (result, _), tangent in zip(present, picked):
        tangents[result] = tangent
    return tangents


def _picks_vjp(op, z_bars, needed):
    select, window, count = _picks_selection(op), _Window.of(op), len(op.operands) // 2
    x = op.operands[0]
    bars = [None] * len(op.operands)
    for result in [0] + list(range(2, count)):  # the pick of x, and of each tangent, come from that operand
        if z_bars[result] is not None and needed[result]:
            bars[result] = _scatter_picks(x, z_bars[result], select, window)
    return bars


# -- select_and_scatter --------------------------------------------------------------------------------------------
def _select_and_scatter_selection(op) -> str:
    """The select direction of a select_and_scatter that adds what it scatters; raises for other bodies."""
    select_block, scatter_block = op.regions[0].blocks[0], op.regions[1].blocks[0]
    select_body = [nested.operation for nested in select_block.operations]
    scatter_body = [nested.operation for nested in scatter_block.operations]
    direction = None
    if (len(select_body) == 2 and select_body[0].name == "stablehlo.compare"
            and list(select_body[0].operands) == list(select_block.arguments)):
        direction = query.enum_attr(select_body[0], "comparison_direction")
    adds = (len(scatter_body) == 2 and scatter_body[0].name == "stablehlo.add"
            and set(scatter_body[0].operands) == set(scatter_block.arguments))
    if direction not in _SELECTIONS or not adds:
        raise AutodiffError("stablehlo.select_and_scatter has a derivative rule only for a select that compares "
                            "(GE, GT, LE, LT) and a scatter that adds", op=op,
                            fix="differentiate max/min pooling's gradient (select GE or LE, scatter add)")
    return direction


def _select_and_scatter_jvp(op, x_dots):
    """Linear in the source and init (the operand only picks positions)."""
    _select_and_scatter_selection(op)
    _, source, init = op.operands
    _, source_dot, init_dot = x_dots
    if source_dot is None and init_dot is None:
        return [None]
    return [replace_operands(op, [None, source_dot if source_dot is not None else zeros_like(source),
                                  init_dot if init_dot is not None else zeros_like(init)]).results[0]]


def _select_and_scatter_vjp(op, z_bars, needed):
    select = _select_and_scatter_selection(op)
    operand, z_bar = op.operands[0], z_bars[0]
    rank = len(query.shape(operand))
    window = _Window(query.i64s(op, "window_dimensions"), query.i64s_or(op, "window_strides", [1] * rank),
                     [1] * rank, [1] * rank, query.padding_pairs(op, rank))
    source_bar = _gather_picks(operand, [z_bar], select, window)[2][0] if needed[1] else None
    init_bar = sum_dims(z_bar, range(rank)) if needed[2] else None  # the init fills every position once
    return [None, source_bar, init_bar]


JVP["stablehlo.reduce_window"], VJP["stablehlo.reduce_window"] = _reduce_window_jvp, _reduce_window_vjp
JVP["stablehlo.select_and_scatter"] = _select_and_scatter_jvp
VJP["stablehlo.select_and_scatter"] = _select_and_scatter_vjp
