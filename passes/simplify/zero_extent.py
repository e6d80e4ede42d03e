"""Zero-extent tensors: a pure op whose results hold no elements computes nothing.

Its results are empty constants (`dense<>`), whatever its operands: there is no element whose
value could differ, so the rewrite is exact, and the ops that fed it often become dead.
"""

from __future__ import annotations

from jaxlib.mlir import ir

from passes.rewrite import ANY_OP, EFFECTFUL, Pattern, Rewriter, has_effects

__all__ = ["patterns"]


def _is_empty_tensor(type_: ir.Type) -> bool:
    """An empty tensor of a type whose `dense<>` the bindings can build (they cannot parse an empty complex
    one, np.linalg.eig's of a 0 x 0 matrix: "Can't cast unknown element type"; XLA runs those ops as they are)."""
    return (isinstance(type_, ir.RankedTensorType) and 0 in type_.shape
            and not isinstance(type_.element_type, ir.ComplexType))


class EmptyResultIsEmptyConstant(Pattern):
    """Offered every op, so it answers from a table of the types seen (types are uniqued per context,
    so a module has few, and they hash and compare cheaply)."""

    op_name = ANY_OP

    def __init__(self):
        self._empty: dict[ir.Type, bool] = {}

    def match_and_rewrite(self, op, rewriter: Rewriter) -> bool:
        name = op.name  # (a few string tests, cheaper than reading a result's type)
        if (name == "stablehlo.constant" or (name in EFFECTFUL and has_effects(op))
                or not name.startswith(("stablehlo.", "chlo."))):
            return False
        results = op.results
        if not len(results):
            return False
        for result in results:
            type_ = result.type
            empty = self._empty.get(type_)
            if empty is None:
                empty = self._empty[type_] = _is_empty_tensor(type_)
            if not empty:
                return False
        with rewriter.before(op):
            values = [ir.Operation.create("stablehlo.constant", results=[result.type],
                                          attributes={"value": ir.Attribute.parse(f"dense<> : {result.type}")}).result
                      for result in op.results]
        rewriter.replace(op, values)
        return True


def patterns() -> list[Pattern]:
    return [EmptyResultIsEmptyConstant()]
