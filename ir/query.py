"""Reading IR: shapes and element types, constants, typed attributes, walking, finding functions.

Every package reads IR through here, so an attribute is decoded one way everywhere.
"""

from __future__ import annotations

import numpy as np
from jaxlib.mlir import ir
from jaxlib.mlir.dialects import stablehlo

from ir import dtypes

__all__ = [
    "bool_attr", "defining_op", "dot_dimensions", "dtype", "enum_attr", "find_function", "i64s", "int_attr",
    "main_function", "shape", "walk",
]


def _tensor_type(value_or_type) -> ir.RankedTensorType:
    return ir.RankedTensorType(value_or_type.type if isinstance(value_or_type, ir.Value) else value_or_type)


def shape(value_or_type) -> tuple[int, ...]:
    return tuple(_tensor_type(value_or_type).shape)


def dtype(value_or_type) -> np.dtype:
    return dtypes.from_mlir(_tensor_type(value_or_type).element_type)


def defining_op(value: ir.Value) -> ir.Operation | None:
    """The op whose result `value` is (None for a block argument)."""
    try:
        return value.owner.operation
    except AttributeError:
        return None


def i64s(op: ir.Operation, name: str) -> list[int]:
    attr = op.attributes[name]
    if isinstance(attr, ir.DenseI64ArrayAttr):
        return list(attr)
    return [int(v) for v in ir.DenseIntElementsAttr(attr)]


def int_attr(op: ir.Operation, name: str, default=None):
    return ir.IntegerAttr(op.attributes[name]).value if name in op.attributes else default


def bool_attr(op: ir.Operation, name: str, default: bool = False) -> bool:
    return ir.BoolAttr(op.attributes[name]).value if name in op.attributes else default


_ENUMS = {
    "comparison_direction": stablehlo.ComparisonDirectionAttr,
    "compare_type": stablehlo.ComparisonTypeAttr,
    "transpose_a": stablehlo.TransposeAttr,
    "rng_algorithm": stablehlo.RngAlgorithmAttr,
}


def enum_attr(op: ir.Operation, name: str) -> str:
    return _ENUMS[name](op.attributes[name]).value


def dot_dimensions(op: ir.Operation) -> tuple[list[int], list[int], list[int], list[int]]:
    """(lhs batch, rhs batch, lhs contracting, rhs contracting) of a `stablehlo.dot_general`."""
    numbers = stablehlo.DotDimensionNumbers(op.attributes["dot_dimension_numbers"])
    return (list(numbers.lhs_batching_dimensions), list(numbers.rhs_batching_dimensions),
            list(numbers.lhs_contracting_dimensions), list(numbers.rhs_contracting_dimensions))


def walk(root, order: str = "pre") -> list[ir.Operation]:
    """Every op nested in `root` (an op or module), not counting root itself."""
    found = []
    operation = root.operation

    def visit(op):
        found.append(op)
        return ir.WalkResult.ADVANCE

    operation.walk(visit, ir.WalkOrder.PRE_ORDER if order == "pre" else ir.WalkOrder.POST_ORDER)
    return [op for op in found if op != operation]


def find_function(module: ir.Module, name: str):
    for op in module.body.operations:
        if op.operation.name == "func.func" and ir.StringAttr(op.attributes["sym_name"]).value == name:
            return op
    return None


def main_function(module: ir.Module):
    found = find_function(module, "main")
    if found is None:
        raise KeyError("the module has no func.func @main")
    return found
