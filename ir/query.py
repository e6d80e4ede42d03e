"""Reading IR: shapes and element types, constants, typed attributes, walking, finding functions.

Every package reads IR through here, so an attribute is decoded one way everywhere.
"""

from __future__ import annotations

import numpy as np
from jaxlib.mlir import ir
from jaxlib.mlir.dialects import stablehlo

from ir import dtypes
from ir.ops.convolution import ConvDimensions
from ir.ops.indexing import GatherDimensions, ScatterDimensions

__all__ = [
    "bool_attr", "bools", "convolution_dimensions", "defining_op", "dot_dimensions", "dtype", "enum_attr",
    "find_function", "gather_dimensions", "i64s", "i64s_or", "int_attr", "main_function", "padding_pairs", "precision",
    "scatter_dimensions", "shape", "walk",
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


# -- the window, convolution, gather and scatter attributes (read into the builders' own dataclasses) ---------
def i64s_or(op: ir.Operation, name: str, default) -> list[int]:
    """`i64s(op, name)`, or `default` where the attribute is absent (the spec's optional attributes)."""
    return i64s(op, name) if name in op.attributes else [int(v) for v in default]


def padding_pairs(op: ir.Operation, rank: int) -> list[tuple[int, int]]:
    """The (low, high) pairs of a convolution's, reduce_window's or select_and_scatter's `padding` (default 0)."""
    flat = i64s_or(op, "padding", [0] * (2 * rank))
    return list(zip(flat[0::2], flat[1::2]))


def precision(op: ir.Operation) -> str | None:
    """The one precision of a dot or convolution's `precision_config` ("DEFAULT", "HIGH", "HIGHEST"), or
    None when it is absent or names two (the builders take one for both operands)."""
    if "precision_config" not in op.attributes:
        return None
    values = {stablehlo.PrecisionAttr(attr).value for attr in ir.ArrayAttr(op.attributes["precision_config"])}
    return values.pop() if len(values) == 1 else None


def convolution_dimensions(op: ir.Operation) -> ConvDimensions:
    """A `stablehlo.convolution`'s dimension numbers as an `ir.ops.ConvDimensions`."""
    numbers = stablehlo.ConvDimensionNumbers(op.attributes["dimension_numbers"])
    return ConvDimensions(
        numbers.input_batch_dimension, numbers.input_feature_dimension, tuple(numbers.input_spatial_dimensions),
        numbers.kernel_input_feature_dimension, numbers.kernel_output_feature_dimension,
        tuple(numbers.kernel_spatial_dimensions), numbers.output_batch_dimension, numbers.output_feature_dimension,
        tuple(numbers.output_spatial_dimensions))


def gather_dimensions(op: ir.Operation) -> GatherDimensions:
    """A `stablehlo.gather`'s dimension numbers as an `ir.ops.GatherDimensions`."""
    numbers = stablehlo.GatherDimensionNumbers(op.attributes["dimension_numbers"])
    return GatherDimensions(
        offset_dims=tuple(numbers.offset_dims), collapsed_slice_dims=tuple(numbers.collapsed_slice_dims),
        start_index_map=tuple(numbers.start_index_map), index_vector_dim=numbers.index_vector_dim,
        operand_batching_dims=tuple(numbers.operand_batching_dims),
        start_indices_batching_dims=tuple(numbers.start_indices_batching_dims))


def scatter_dimensions(op: ir.Operation) -> ScatterDimensions:
    """A `stablehlo.scatter`'s dimension numbers as an `ir.ops.ScatterDimensions`."""
    numbers = stablehlo.ScatterDimensionNumbers(op.attributes["scatter_dimension_numbers"])
    return ScatterDimensions(
        update_window_dims=tuple(numbers.update_window_dims), inserted_window_dims=tuple(numbers.inserted_window_dims),
        scattered_dims_to_operand_dims=tuple(numbers.scattered_dims_to_operand_dims),
        index_vector_dim=numbers.index_vector_dim, input_batching_dims=tuple(numbers.input_batching_dims),
        scatter_indices_batching_dims=tuple(numbers.scatter_indices_batching_dims))


def bools(op: ir.Operation, name: str) -> list[bool]:
    """An array-of-booleans attribute (a convolution's `window_reversal`); [] where it is absent."""
    return [bool(v) for v in ir.DenseBoolArrayAttr(op.attributes[name])] if name in op.attributes else []
