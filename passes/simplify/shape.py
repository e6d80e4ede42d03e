"""Shape-op simplifications: no-op reshapes/transposes/broadcasts/slices/converts, and chains
of the same op folded into one."""

from __future__ import annotations

from jaxlib.mlir import ir
from jaxlib.mlir.dialects import stablehlo

from passes.rewrite import Pattern, Rewriter, defining_op


def _i64s(op: ir.Operation, name: str) -> list[int]:
    return list(ir.DenseI64ArrayAttr(op.attributes[name]))


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
    permutation = _i64s(op, "permutation")
    return permutation == list(range(len(permutation)))


def _identity_broadcast(op) -> bool:
    dims = _i64s(op, "broadcast_dimensions")
    return dims == list(range(len(dims)))


def _no_padding(op) -> bool:
    return not any(any(_i64s(op, name)) for name in ("edge_padding_low", "edge_padding_high", "interior_padding"))


def _reverses_nothing(op) -> bool:
    return not _i64s(op, "dimensions")


class ReverseOfReverse(Pattern):
    """Reversing the same dims twice gives the operand back."""

    op_name = "stablehlo.reverse"

    def match_and_rewrite(self, op, rewriter: Rewriter) -> bool:
        inner = defining_op(op.operands[0])
        if inner is None or inner.name != "stablehlo.reverse":
            return False
        if sorted(_i64s(inner, "dimensions")) != sorted(_i64s(op, "dimensions")):
            return False
        rewriter.replace(op, [inner.operands[0]])
        return True


class ReshapeOfReshape(Pattern):
    op_name = "stablehlo.reshape"

    def match_and_rewrite(self, op, rewriter: Rewriter) -> bool:
        inner = defining_op(op.operands[0])
        if inner is None or inner.name != "stablehlo.reshape":
            return False
        with rewriter.before(op):
            merged = stablehlo.ReshapeOp(op.results[0].type, inner.operands[0]).result
        rewriter.replace(op, [merged])
        return True


class TransposeOfTranspose(Pattern):
    op_name = "stablehlo.transpose"

    def match_and_rewrite(self, op, rewriter: Rewriter) -> bool:
        inner = defining_op(op.operands[0])
        if inner is None or inner.name != "stablehlo.transpose":
            return False
        first, second = _i64s(inner, "permutation"), _i64s(op, "permutation")
        with rewriter.before(op):
            merged = stablehlo.TransposeOp(inner.operands[0], [first[i] for i in second],
                                           results=[op.results[0].type]).result
        rewriter.replace(op, [merged])
        return True


class BroadcastOfBroadcast(Pattern):
    op_name = "stablehlo.broadcast_in_dim"

    def match_and_rewrite(self, op, rewriter: Rewriter) -> bool:
        inner = defining_op(op.operands[0])
        if inner is None or inner.name != "stablehlo.broadcast_in_dim":
            return False
        first, second = _i64s(inner, "broadcast_dimensions"), _i64s(op, "broadcast_dimensions")
        with rewriter.before(op):
            merged = stablehlo.BroadcastInDimOp(op.results[0].type, inner.operands[0], [second[d] for d in first]).result
        rewriter.replace(op, [merged])
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
        TransposeOfTranspose(),
        BroadcastOfBroadcast(),
    ]
