"""Zero-extent tensors: a pure op whose results hold no elements computes nothing.

Its results are empty constants (`dense<>`), whatever its operands: there is no element whose
value could differ, so the rewrite is exact, and the ops that fed it often become dead.
"""

from __future__ import annotations

from jaxlib.mlir import ir

from passes.rewrite import ANY_OP, EFFECTFUL, Pattern, Rewriter


def _is_empty_tensor(type_: ir.Type) -> bool:
    return isinstance(type_, ir.RankedTensorType) and 0 in type_.shape


class EmptyResultIsEmptyConstant(Pattern):
    """Offered every op, so it answers from a table of the types seen: MLIR makes each type once per
    context, so a type's hash names it, and a module has few distinct types."""

    op_name = ANY_OP

    def __init__(self):
        self._empty: dict[int, bool] = {}

    def match_and_rewrite(self, op, rewriter: Rewriter) -> bool:
        results = op.results
        if not len(results):
            return False
        for result in results:
            type_ = result.type
            empty = self._empty.get(hash(type_))
            if empty is None:
                empty = self._empty[hash(type_)] = _is_empty_tensor(type_)
            if not empty:
                return False
        if not op.name.startswith(("stablehlo.", "chlo.")) or op.name == "stablehlo.constant" or op.name in EFFECTFUL:
            return False
        with rewriter.before(op):
            values = [ir.Operation.create("stablehlo.constant", results=[result.type],
                                          attributes={"value": ir.Attribute.parse(f"dense<> : {result.type}")}).result
                      for result in op.results]
        rewriter.replace(op, values)
        return True


def patterns() -> list[Pattern]:
    return [EmptyResultIsEmptyConstant()]
