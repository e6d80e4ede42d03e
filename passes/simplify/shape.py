"""Shape-op simplifications: no-op reshapes/transposes/broadcasts/slices/converts, chains of the
same op folded into one (converts where the first is exact, as in an f32 -> f64 -> f32 round trip), broadcasts that only add unit dims written as reshapes, reshapes that only
add or drop unit dims folded into the broadcast they feed, and reshapes moved below elementwise ops
so that they meet (and cancel against) the reshapes and broadcasts further down.

All of them only move elements, never compute: every rewrite is exact.
"""

from __future__ import annotations

import math

import ml_dtypes
import numpy as np
from jaxlib.mlir import ir
from jaxlib.mlir.dialects import stablehlo

from ir import dtypes, query
from ir.query import i64s
from passes.rewrite import Pattern, Rewriter, defining_op

__all__ = ["patterns"]


def _broadcast(result_type: ir.Type, operand: ir.Value, dims) -> ir.Value:
    """A `broadcast_in_dim` (built directly: the generated builder costs twice as much, and shape
    rewrites build one per match)."""
    return ir.Operation.create("stablehlo.broadcast_in_dim", results=[result_type], operands=[operand],
                               attributes={"broadcast_dimensions": ir.DenseI64ArrayAttr.get(list(dims))}).result


def _reshape(result_type: ir.Type, operand: ir.Value) -> ir.Value:
    return ir.Operation.create("stablehlo.reshape", results=[result_type], operands=[operand]).result


class SameTypeIsNoop(Pattern):
    """An op whose result has its operand's type and that only moves or converts elements: the operand.

    Holds for reshape and convert always, and for transpose/broadcast_in_dim/slice when their
    attributes are the identity (checked by `is_identity`).
    """

    def __init__(self, op_name: str, is_identity=lambda op: True):
        self.op_name = op_name
        self.is_identity = is_identity

    def match_and_rewrite(self, op, rewriter: Rewriter) -> bool:
        operand = op.operands[0]
        if operand.type != op.results[0].type or not self.is_identity(op):
            return False
        rewriter.replace(op, [operand])
        return True


def _identity_permutation(op) -> bool:
    permutation = i64s(op, "permutation")
    return permutation == list(range(len(permutation)))


def _identity_broadcast(op) -> bool:
    dims = i64s(op, "broadcast_dimensions")
    return dims == list(range(len(dims)))


def _no_padding(op) -> bool:
    return not any(any(i64s(op, name)) for name in ("edge_padding_low", "edge_padding_high", "interior_padding"))


def _reverses_nothing(op) -> bool:
    return not i64s(op, "dimensions")


class ReverseOfReverse(Pattern):
    """Reversing the same dims twice gives the operand back."""

    op_name = "stablehlo.reverse"
    operand_from = (0, frozenset({"stablehlo.reverse"}))

    def match_and_rewrite(self, op, rewriter: Rewriter) -> bool:
        inner = defining_op(op.operands[0])
        if inner is None or inner.name != "stablehlo.reverse":
            return False
        if sorted(i64s(inner, "dimensions")) != sorted(i64s(op, "dimensions")):
            return False
        rewriter.replace(op, [inner.operands[0]])
        return True


class ReshapeOfReshape(Pattern):
    op_name = "stablehlo.reshape"
    operand_from = (0, frozenset({"stablehlo.reshape"}))

    def match_and_rewrite(self, op, rewriter: Rewriter) -> bool:
        inner = defining_op(op.operands[0])
        if inner is None or inner.name != "stablehlo.reshape":
            return False
        with rewriter.before(op):
            merged = _reshape(op.results[0].type, inner.operands[0])
        rewriter.replace(op, [merged])
        return True


def _holds_exactly(source, target) -> bool:
    """Whether every value of dtype `source` is a value of dtype `target` (a widening conversion)."""
    if source == np.bool_:
        return True
    if target == np.bool_:
        return False
    source_float, target_float = dtypes.is_floating(source), dtypes.is_floating(target)
    if source_float and not target_float:
        return False
    if target_float:
        info = ml_dtypes.finfo(target)
        if source_float:
            small = ml_dtypes.finfo(source)
            return small.nmant <= info.nmant and small.maxexp <= info.maxexp and small.minexp >= info.minexp
        magnitude_bits = np.iinfo(source).bits - (1 if np.iinfo(source).min < 0 else 0)
        return magnitude_bits <= info.nmant + 1
    small, large = np.iinfo(source), np.iinfo(target)
    return large.min <= small.min and small.max <= large.max


class ConvertOfExactConvert(Pattern):
    """convert(convert(x, A -> B), B -> C) -> convert(x, A -> C) when B holds every value of A (x, when C is A):
    the middle value is x's exactly, so converting it to C is converting x (an f32 -> f64 -> f32 round trip)."""

    op_name = "stablehlo.convert"
    operand_from = (0, frozenset({"stablehlo.convert"}))

    def match_and_rewrite(self, op, rewriter: Rewriter) -> bool:
        inner = defining_op(op.operands[0])
        if inner is None or inner.name != "stablehlo.convert":
            return False
        x = inner.operands[0]
        try:
            source, middle = query.dtype(x), query.dtype(inner.results[0])
        except TypeError:  # complex or another element type we have no dtype for
            return False
        if not _holds_exactly(source, middle):
            return False
        if x.type == op.results[0].type:
            rewriter.replace(op, [x])
            return True
        # Converting the (exact) middle value to C must be the same kind of conversion as x to C: float -> int
        # saturates where int -> int wraps (int8 -19 via float32 to uint16: 0, not 65517), so not across kinds.
        if not dtypes.is_floating(query.dtype(op.results[0])) and dtypes.is_floating(source) != dtypes.is_floating(middle):
            return False
        with rewriter.before(op):
            value = stablehlo.ConvertOp(op.results[0].type, x).result
        rewriter.replace(op, [value])
        return True


class TransposeOfTranspose(Pattern):
    op_name = "stablehlo.transpose"
    operand_from = (0, frozenset({"stablehlo.transpose"}))

    def match_and_rewrite(self, op, rewriter: Rewriter) -> bool:
        inner = defining_op(op.operands[0])
        if inner is None or inner.name != "stablehlo.transpose":
            return False
        first, second = i64s(inner, "permutation"), i64s(op, "permutation")
        with rewriter.before(op):
            merged = stablehlo.TransposeOp(inner.operands[0], [first[i] for i in second],
                                           results=[op.results[0].type]).result
        rewriter.replace(op, [merged])
        return True


class BroadcastOfBroadcast(Pattern):
    op_name = "stablehlo.broadcast_in_dim"
    operand_from = (0, frozenset({"stablehlo.broadcast_in_dim"}))

    def match_and_rewrite(self, op, rewriter: Rewriter) -> bool:
        inner = defining_op(op.operands[0])
        if inner is None or inner.name != "stablehlo.broadcast_in_dim":
            return False
        first, second = i64s(inner, "broadcast_dimensions"), i64s(op, "broadcast_dimensions")
        with rewriter.before(op):
            merged = _broadcast(op.results[0].type, inner.operands[0], [second[d] for d in first])
        rewriter.replace(op, [merged])
        return True


class BroadcastThatIsReshape(Pattern):
    """broadcast_in_dim that keeps every operand dim's size, in order, and adds only size-1 dims -> reshape.

    It repeats nothing, so it is the reshape to the same shape (same elements, same row-major order);
    as a reshape it merges with the reshapes around it.
    """

    op_name = "stablehlo.broadcast_in_dim"

    def match_and_rewrite(self, op, rewriter: Rewriter) -> bool:
        source, target = query.shape(op.operands[0]), query.shape(op.results[0])
        if math.prod(source) != math.prod(target) or source == target:  # (cheap test first: most broadcasts grow)
            return False
        dims = i64s(op, "broadcast_dimensions")
        if dims != sorted(dims) or any(size != target[d] for size, d in zip(source, dims)):
            return False
        if any(target[d] != 1 for d in range(len(target)) if d not in dims):
            return False
        with rewriter.before(op):
            value = _reshape(op.results[0].type, op.operands[0])
        rewriter.replace(op, [value])
        return True


def _unit_dims_only(source: list[int], target: list[int]) -> bool:
    """Whether a reshape from `source` to `target` only inserts or drops size-1 dims."""
    return [n for n in source if n != 1] == [n for n in target if n != 1]


class BroadcastOfUnitReshape(Pattern):
    """broadcast_in_dim(reshape(x)) where the reshape only inserts or drops size-1 dims -> broadcast_in_dim(x).

    Each dim of x bigger than 1 is a dim of the reshape, at a known place in the broadcast; a size-1
    dim of x may go to any result dim not otherwise taken (a size-1 dim broadcasts to any size), and
    is given the first free one that keeps the dims increasing. No such place: left alone.
    """

    op_name = "stablehlo.broadcast_in_dim"
    operand_from = (0, frozenset({"stablehlo.reshape"}))

    def match_and_rewrite(self, op, rewriter: Rewriter) -> bool:
        reshape = defining_op(op.operands[0])
        if reshape is None or reshape.name != "stablehlo.reshape":
            return False
        x = reshape.operands[0]
        source, middle = query.shape(x), query.shape(reshape.results[0])
        if not _unit_dims_only(source, middle):
            return False
        dims = i64s(op, "broadcast_dimensions")
        placed = iter([dims[i] for i, n in enumerate(middle) if n != 1])  # where x's non-unit dims go, in order
        fixed = [next(placed) if n != 1 else None for n in source]
        taken = {d for d in fixed if d is not None}
        new_dims, previous = [], -1
        for index, target in enumerate(fixed):
            if target is None:
                bound = next((d for d in fixed[index + 1:] if d is not None), query.rank(op.results[0]))
                target = next((d for d in range(previous + 1, bound) if d not in taken), None)
                if target is None:
                    return False
                taken.add(target)
            new_dims.append(target)
            previous = target
        with rewriter.before(op):
            value = _broadcast(op.results[0].type, x, new_dims)
        rewriter.replace(op, [value])
        return True


# Ops that apply one function to each position of their same-shaped operands (attributes only
# name the function: a comparison direction, a rounding).
ELEMENTWISE = frozenset({
    "stablehlo.abs", "stablehlo.add", "stablehlo.and", "stablehlo.atan2", "stablehlo.cbrt", "stablehlo.ceil",
    "stablehlo.compare", "stablehlo.convert", "stablehlo.cosine", "stablehlo.count_leading_zeros", "stablehlo.divide",
    "stablehlo.exponential", "stablehlo.exponential_minus_one", "stablehlo.floor", "stablehlo.is_finite",
    "stablehlo.log", "stablehlo.log_plus_one", "stablehlo.logistic", "stablehlo.maximum", "stablehlo.minimum",
    "stablehlo.multiply", "stablehlo.negate", "stablehlo.not", "stablehlo.or", "stablehlo.popcnt", "stablehlo.power",
    "stablehlo.remainder", "stablehlo.round_nearest_afz", "stablehlo.round_nearest_even", "stablehlo.rsqrt",
    "stablehlo.select", "stablehlo.shift_left", "stablehlo.shift_right_arithmetic", "stablehlo.shift_right_logical",
    "stablehlo.sign", "stablehlo.sine", "stablehlo.sqrt", "stablehlo.subtract", "stablehlo.tan", "stablehlo.tanh",
    "stablehlo.xor",
})


def _source_below(op: ir.Operation, lookahead: int = 0) -> list[int] | None:
    """The shape an elementwise op would compute in with its reshapes moved below it: the one shape
    its reshape operands reshape from. None if it is not elementwise, if an operand is neither a
    reshape (of that shape) nor a splat constant, or if none is a reshape.

    With `lookahead`, an operand may also be an elementwise op that will move its own reshapes (of
    that shape) below itself, and so become such a reshape (a compare feeding a select).
    """
    if op.name not in ELEMENTWISE:
        return None
    source, pending = None, []
    for operand in op.operands:
        owner = defining_op(operand)
        if owner is not None and owner.name == "stablehlo.reshape":
            shape = query.shape(owner.operands[0])
        elif owner is not None and owner.name == "stablehlo.constant" and query.splat_element(operand) is not None:
            continue
        elif lookahead and owner is not None and owner.name in ELEMENTWISE:
            pending.append(owner)
            continue
        else:
            return None
        if source is not None and shape != source:
            return None
        source = shape
    for owner in pending:
        shape = _source_below(owner, lookahead - 1)
        if shape is None or (source is not None and shape != source):
            return None
        source = shape
    return source


def _absorbs(user: ir.Operation, reshape: ir.Operation) -> bool:
    """Whether `user` takes `reshape` into itself: a reshape (merged), a broadcast of a unit-dims
    reshape (folded), or an elementwise op that can move it below itself."""
    if user.name == "stablehlo.reshape":
        return True
    if user.name == "stablehlo.broadcast_in_dim":
        return _unit_dims_only(query.shape(reshape.operands[0]), query.shape(reshape.results[0]))
    return _source_below(user, lookahead=1) is not None


class ReshapeBelowElementwise(Pattern):
    """f(reshape(a), reshape(b), splat c) -> reshape(f(a, b, splat c')) for an elementwise f, a and b of one shape.

    f computes each position from the same-position elements alone, and a reshape keeps the elements'
    row-major order, so computing first and reshaping after gives the same elements. Splat constants
    are rebuilt in the new shape. Only when every user of those reshapes absorbs them (moves them
    below itself the same way, merges them into its own reshape or broadcast), so that they go: a
    chain of elementwise ops on a `2x64x1` view of a `2x64` value then computes on the value itself
    and its reshapes meet, at the end of the chain, what absorbs them. A reshape with several users
    becomes one per user on the way, which the ops below usually absorb but need not (+1 op each).
    """

    operand_from = (None, frozenset({"stablehlo.reshape"}))

    def __init__(self, op_name: str):
        self.op_name = op_name

    def match_and_rewrite(self, op, rewriter: Rewriter) -> bool:
        source = _source_below(op)
        if source is None:
            return False
        operands = []
        for operand in op.operands:
            owner = defining_op(operand)
            if owner is not None and owner.name == "stablehlo.reshape":
                if not all(_absorbs(use.owner.operation, owner) for use in operand.uses):
                    return False
                operands.append(owner.operands[0])
            else:
                operands.append(operand)
        result_type = op.results[0].type
        with rewriter.before(op):
            for index, operand in enumerate(operands):
                splat = query.splat_element(operand)
                if splat is not None and query.shape(operand) != source:
                    element = query.element_type(operand)
                    operands[index] = stablehlo.ConstantOp(ir.DenseElementsAttr.get_splat(
                        ir.RankedTensorType.get(source, element), splat)).result
            attributes = {name: op.attributes[name] for name in op.attributes}
            inner_type = ir.RankedTensorType.get(source, query.element_type(result_type))
            inner = ir.Operation.create(op.name, results=[inner_type], operands=operands, attributes=attributes)
            value = _reshape(result_type, inner.results[0])
        rewriter.replace(op, [value])
        return True


def patterns() -> list[Pattern]:
    return [
        SameTypeIsNoop("stablehlo.reshape"),
        SameTypeIsNoop("stablehlo.convert"),
        SameTypeIsNoop("stablehlo.transpose", _identity_permutation),
        SameTypeIsNoop("stablehlo.broadcast_in_dim", _identity_broadcast),
        SameTypeIsNoop("stablehlo.slice"),  # same type: start 0, full extent, stride 1
        SameTypeIsNoop("stablehlo.pad", _no_padding),  # (same type alone could hide low=-1, high=+1)
        SameTypeIsNoop("stablehlo.reverse", _reverses_nothing),
        ReverseOfReverse(),
        ReshapeOfReshape(),
        ConvertOfExactConvert(),
        TransposeOfTranspose(),
        BroadcastOfBroadcast(),
        BroadcastThatIsReshape(),
        BroadcastOfUnitReshape(),
        *(ReshapeBelowElementwise(name) for name in sorted(ELEMENTWISE)),
    ]
