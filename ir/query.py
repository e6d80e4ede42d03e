"""Reading IR: the one place that knows how jaxlib's bindings expose shapes, constants and attributes.

Passes, the tracer, the runtime and autodiff rules read a module through these functions rather
than through the bindings directly, so each fact has one spelling:

- types: `shape`, `dtype`, `element_type`, `rank` of a value (or of a tensor type);
- producers and constants: `defining_op`, `constant_value`, `splat_value`, `splat_element`;
- attributes of an op, by their type: `i64s` (`i64s_or`), `bools`, `int_attr`, `bool_attr`, `float_attr`,
  `string_attr`, `symbol_attr`, and `enum_attr` and `precision` for StableHLO's enums (read through
  the typed attribute classes, never by parsing printed text);
- dimension numbers as plain tuples: `dot_dimensions`, `gather_dimensions`, `scatter_dimensions`,
  `convolution_dimensions` (and `padding_pairs` of any windowed op);
- walking: `walk`, `count_ops`;
- functions: `functions`, `find_function`, `main_function`, `function_type`.

Readers of optional attributes take a `default` that an absent attribute gives; without one, the
absent attribute is a KeyError that names the op and the attribute.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from jaxlib.mlir import ir
from jaxlib.mlir.dialects import func, stablehlo  # noqa: F401  (func: body ops come back as `func.FuncOp` views)

from ir import dtypes
from ir.errors import PyreactantError

__all__ = [
    "ConvDimensions",
    "ConvolutionDimensions",
    "DotDimensions",
    "FunctionNotFound",
    "GatherDimensions",
    "ScatterDimensions",
    "bool_attr",
    "bools",
    "byte_flags",
    "constant_value",
    "convolution_dimensions",
    "count_ops",
    "defining_op",
    "dot_dimensions",
    "dtype",
    "element_type",
    "enum_attr",
    "find_function",
    "float_attr",
    "function_type",
    "functions",
    "gather_dimensions",
    "i64s",
    "i64s_or",
    "int_attr",
    "main_function",
    "padding_pairs",
    "precision",
    "rank",
    "scatter_dimensions",
    "shape",
    "splat_element",
    "splat_value",
    "string_attr",
    "symbol_attr",
    "walk",
]


# -- types ---------------------------------------------------------------------------------------

def shape(value_or_type) -> tuple[int, ...]:
    """The static shape of a ranked tensor value (or of a ranked tensor type)."""
    if isinstance(value_or_type, ir.Value):  # (each reader tests this itself: they run in every pass's inner loop)
        value_or_type = value_or_type.type
    return tuple(ir.RankedTensorType(value_or_type).shape)


def element_type(value_or_type) -> ir.Type:
    """The MLIR element type (`f32`, `i1`, `ui8` ...) of a ranked tensor value or type."""
    if isinstance(value_or_type, ir.Value):
        value_or_type = value_or_type.type
    return ir.RankedTensorType(value_or_type).element_type


def dtype(value_or_type) -> np.dtype:
    """The NumPy dtype of a ranked tensor value or type (TypeError for an element type we have no dtype for)."""
    return dtypes.from_mlir(element_type(value_or_type))


def rank(value_or_type) -> int:
    if isinstance(value_or_type, ir.Value):
        value_or_type = value_or_type.type
    return ir.RankedTensorType(value_or_type).rank


# -- producers and constants ---------------------------------------------------------------------

def defining_op(value: ir.Value) -> ir.Operation | None:
    """The op whose result `value` is (None for a block argument).

    (The rewrite driver has a memoised version, `passes.rewrite.defining_op`, for its hot loop.)
    """
    try:  # (ops and op views have `.operation`, blocks not)
        return value.owner.operation
    except AttributeError:
        return None


def constant_value(value: ir.Value) -> np.ndarray | None:
    """The NumPy value of a `stablehlo.constant` result (None for anything else, or unreadable types).

    A splat comes back as a broadcast view of its one element, however large its shape. i1 reads
    as bool; bf16 and other types the buffer protocol does not cover read as None.
    """
    attr = _dense_value(value)
    if attr is None:
        return None
    owner = defining_op(value)
    tensor_type = ir.RankedTensorType(value.type)
    if attr.is_splat and len(attr) > 1:
        # Read the one element through a one-element copy of the attribute: NumPy's view of a splat
        # attribute holds every element (gigabytes, for a large zeros()).
        with owner.location:
            attr = ir.DenseElementsAttr.get_splat(ir.RankedTensorType.get([1], tensor_type.element_type),
                                                  attr.get_splat_value())
    try:
        array = np.array(attr)
    except (TypeError, ValueError, RuntimeError):  # i1, bf16 ... the buffer protocol does not cover
        return None
    if array.dtype == object:  # bf16 comes back as a 0-d array of references rather than raising
        return None
    result_shape = tuple(tensor_type.shape)
    if array.size == 0:  # an empty tensor counts as a splat, with no element to broadcast
        return np.zeros(result_shape, array.dtype)
    if attr.is_splat:
        if dtypes.describe_bytes(result_shape, array.dtype) is not None:
            # NumPy holds no array over 2**63 - 1 bytes, not even a broadcast view ("array is too big" failed
            # the fold pass); unreadable, like bf16: passes leave it, and compiling says what is wrong.
            return None
        return np.broadcast_to(array.reshape(-1)[:1].reshape(()), result_shape)
    return array.reshape(result_shape)


def splat_value(value: ir.Value) -> float | int | bool | None:
    """The one value of a splat `stablehlo.constant` (a Python float keeps -0.0's sign; i1 is a bool), else None."""
    scalar = splat_element(value)
    if isinstance(scalar, (ir.BoolAttr, ir.FloatAttr, ir.IntegerAttr)):
        return scalar.value
    return None


def splat_element(value: ir.Value) -> ir.Attribute | None:
    """The one element of a splat `stablehlo.constant` as its attribute (`FloatAttr`, `IntegerAttr` ...), else None.

    Attributes are uniqued, so two elements are equal exactly when their bits are: -0.0 stays apart
    from +0.0 and a NaN from another NaN, which `splat_value`'s Python numbers cannot promise.
    """
    attr = _dense_value(value)
    return attr.get_splat_value() if attr is not None and attr.is_splat else None


def _dense_value(value: ir.Value) -> ir.DenseElementsAttr | None:
    """The `value` attribute of the `stablehlo.constant` defining `value`; None for other producers, and for
    element types the bindings cannot read (complex: reading the attribute raises a TypeError)."""
    owner = defining_op(value)
    if owner is None or owner.name != "stablehlo.constant":
        return None
    try:
        return ir.DenseElementsAttr(owner.attributes["value"])
    except TypeError:
        return None


# -- attributes ----------------------------------------------------------------------------------

_REQUIRED = object()  # (the default of readers whose attribute the op must have)
_ABSENT = object()


def _attribute(op, name: str, default):
    """op's attribute `name`; `_ABSENT` if it has none and a default was given, else a KeyError naming both."""
    try:
        return op.attributes[name]
    except KeyError:
        if default is _REQUIRED:
            raise KeyError(f"{op.operation.name} has no attribute {name!r}") from None
        return _ABSENT


def i64s(op, name: str, default=_REQUIRED) -> list[int]:
    """A list of ints: a `DenseI64ArrayAttr` (`array<i64: 1, 0>`) or dense int elements (`dense<[1, 0]>`), flattened."""
    attr = _attribute(op, name, default)
    if attr is _ABSENT:
        return default
    try:
        return list(ir.DenseI64ArrayAttr(attr))
    except ValueError:
        pass
    try:
        return [int(v) for v in np.asarray(ir.DenseIntElementsAttr(attr)).reshape(-1)]
    except ValueError:
        raise TypeError(f"{op.operation.name}'s {name} is not a list of integers: {attr}") from None


def i64s_or(op, name: str, default) -> list[int]:
    """`i64s(op, name)`, or `default` where the attribute is absent (the spec's optional window attributes)."""
    return i64s(op, name, [int(v) for v in default])


def bools(op, name: str) -> list[bool]:
    """An array-of-booleans attribute (a convolution's `window_reversal`); [] where it is absent."""
    attr = _attribute(op, name, None)
    return [] if attr is _ABSENT else [bool(v) for v in ir.DenseBoolArrayAttr(attr)]


def int_attr(op, name: str, default=None) -> int | None:
    """An `IntegerAttr`'s value (`dimension = 1 : i64`); `default` when the op has no such attribute."""
    attr = _attribute(op, name, default)
    return default if attr is _ABSENT else ir.IntegerAttr(attr).value


def bool_attr(op, name: str, default: bool = False) -> bool:
    """A `BoolAttr`'s value (`indices_are_sorted = true`); `default` when absent."""
    attr = _attribute(op, name, default)
    return default if attr is _ABSENT else ir.BoolAttr(attr).value


def float_attr(op, name: str, default=None) -> float | None:
    """A `FloatAttr`'s value; `default` when absent."""
    attr = _attribute(op, name, default)
    return default if attr is _ABSENT else ir.FloatAttr(attr).value


def string_attr(op, name: str, default=None) -> str | None:
    """A `StringAttr`'s value (`sym_name = "main"`); `default` when absent."""
    attr = _attribute(op, name, default)
    return default if attr is _ABSENT else ir.StringAttr(attr).value


def symbol_attr(op, name: str, default=None) -> str | None:
    """The symbol a `FlatSymbolRefAttr` names (`callee = @f` -> "f"); `default` when absent."""
    attr = _attribute(op, name, default)
    return default if attr is _ABSENT else ir.FlatSymbolRefAttr(attr).value


def byte_flags(op, name: str = "backend_config") -> dict[str, str]:
    """A dictionary attribute of one-byte flags as characters: a typed-FFI custom call's backend_config
    `{uplo = 76 : ui8, mode = 86 : ui8}` -> {"uplo": "L", "mode": "V"} (LAPACK's flags); {} when absent."""
    attr = _attribute(op, name, None)
    if attr is _ABSENT:
        return {}
    return {entry.name: chr(ir.IntegerAttr(entry.attr).value) for entry in ir.DictAttr(attr)}


# StableHLO's enum attributes, each read by its typed class (`#stablehlo<comparison_direction GT>` -> "GT").
_ENUMS = (
    stablehlo.ComparisonDirectionAttr, stablehlo.ComparisonTypeAttr, stablehlo.PrecisionAttr,
    stablehlo.TransposeAttr, stablehlo.RngAlgorithmAttr, stablehlo.RngDistributionAttr, stablehlo.FftTypeAttr,
    stablehlo.ResultAccuracyModeAttr,
)


def enum_attr(op, name: str, default=_REQUIRED) -> str:
    """The value of a StableHLO enum attribute: comparison_direction -> "GT", compare_type -> "TOTALORDER",
    transpose_a -> "NO_TRANSPOSE", rng_algorithm -> "PHILOX" ...; `default` when absent (if given)."""
    attr = _attribute(op, name, default)
    if attr is _ABSENT:
        return default
    for enum in _ENUMS:
        if enum.isinstance(attr):
            return enum(attr).value
    raise TypeError(f"{op.operation.name}'s {name} is not a StableHLO enum attribute: {attr}")


def precision(op) -> str | None:
    """The one precision of a dot's or convolution's `precision_config` ("DEFAULT", "HIGH", "HIGHEST"), or
    None when it is absent or names two (the builders take one for both operands)."""
    attr = _attribute(op, "precision_config", None)
    if attr is _ABSENT:
        return None
    values = {stablehlo.PrecisionAttr(element).value for element in ir.ArrayAttr(attr)}
    return values.pop() if len(values) == 1 else None


# -- dimension numbers ---------------------------------------------------------------------------

class DotDimensions(NamedTuple):
    """`stablehlo.dot_general`'s dimension numbers: which dims of each operand pair up as batch or contracting dims."""

    lhs_batch: tuple[int, ...]
    rhs_batch: tuple[int, ...]
    lhs_contract: tuple[int, ...]
    rhs_contract: tuple[int, ...]


def dot_dimensions(op) -> DotDimensions:
    numbers = stablehlo.DotDimensionNumbers(op.attributes["dot_dimension_numbers"])
    return DotDimensions(tuple(numbers.lhs_batching_dimensions), tuple(numbers.rhs_batching_dimensions),
                         tuple(numbers.lhs_contracting_dimensions), tuple(numbers.rhs_contracting_dimensions))


class GatherDimensions(NamedTuple):
    """`stablehlo.gather`'s dimension numbers (the spec's names), its `slice_sizes` and `indices_are_sorted`."""

    offset_dims: tuple[int, ...]
    collapsed_slice_dims: tuple[int, ...]
    operand_batching_dims: tuple[int, ...]
    start_indices_batching_dims: tuple[int, ...]
    start_index_map: tuple[int, ...]
    index_vector_dim: int
    slice_sizes: tuple[int, ...]
    indices_are_sorted: bool


def gather_dimensions(op) -> GatherDimensions:
    numbers = stablehlo.GatherDimensionNumbers(op.attributes["dimension_numbers"])
    return GatherDimensions(
        tuple(numbers.offset_dims), tuple(numbers.collapsed_slice_dims), tuple(numbers.operand_batching_dims),
        tuple(numbers.start_indices_batching_dims), tuple(numbers.start_index_map), numbers.index_vector_dim,
        tuple(i64s(op, "slice_sizes")), bool_attr(op, "indices_are_sorted"))


class ScatterDimensions(NamedTuple):
    """`stablehlo.scatter`'s dimension numbers (the spec's names), `indices_are_sorted` and `unique_indices`."""

    update_window_dims: tuple[int, ...]
    inserted_window_dims: tuple[int, ...]
    input_batching_dims: tuple[int, ...]
    scatter_indices_batching_dims: tuple[int, ...]
    scattered_dims_to_operand_dims: tuple[int, ...]
    index_vector_dim: int
    indices_are_sorted: bool
    unique_indices: bool


def scatter_dimensions(op) -> ScatterDimensions:
    numbers = stablehlo.ScatterDimensionNumbers(op.attributes["scatter_dimension_numbers"])
    return ScatterDimensions(
        tuple(numbers.update_window_dims), tuple(numbers.inserted_window_dims), tuple(numbers.input_batching_dims),
        tuple(numbers.scatter_indices_batching_dims), tuple(numbers.scattered_dims_to_operand_dims),
        numbers.index_vector_dim, bool_attr(op, "indices_are_sorted"), bool_attr(op, "unique_indices"))


@dataclass(frozen=True)
class ConvDimensions:
    """Which dimension of a convolution's input, kernel and output plays which role.

    `input_spatial[i]`, `kernel_spatial[i]` and `output_spatial[i]` are spatial dimension i of
    each; the op's strides, padding and dilations are listed in that same order. (`ops.convolution`
    takes one; `convolution_dimensions` reads one back.)
    """

    input_batch: int
    input_feature: int
    input_spatial: tuple[int, ...]
    kernel_input_feature: int
    kernel_output_feature: int
    kernel_spatial: tuple[int, ...]
    output_batch: int
    output_feature: int
    output_spatial: tuple[int, ...]

    @classmethod
    def channels_first(cls, spatial_rank: int) -> "ConvDimensions":
        """NC(spatial...) input and output, OI(spatial...) kernel: PyTorch's and NNlib's reversed layout."""
        spatial = tuple(range(2, 2 + spatial_rank))
        return cls(0, 1, spatial, 1, 0, spatial, 0, 1, spatial)


def padding_pairs(op, rank: int) -> list[tuple[int, int]]:
    """The (low, high) pairs of a convolution's, reduce_window's or select_and_scatter's `padding` (default 0)."""
    flat = i64s(op, "padding", [0] * (2 * rank))
    return list(zip(flat[0::2], flat[1::2]))


class ConvolutionDimensions(NamedTuple):
    """Everything but the operands and precision that shapes a `stablehlo.convolution`, defaults filled in.

    `padding` holds one (low, high) pair per spatial dimension; strides, dilations and reversal one
    value each (absent attributes read as 1, 0 and False, the spec's defaults).
    """

    dimension_numbers: ConvDimensions
    window_strides: tuple[int, ...]
    padding: tuple[tuple[int, int], ...]
    lhs_dilation: tuple[int, ...]
    rhs_dilation: tuple[int, ...]
    window_reversal: tuple[bool, ...]
    feature_group_count: int
    batch_group_count: int


def convolution_dimensions(op) -> ConvolutionDimensions:
    numbers = stablehlo.ConvDimensionNumbers(op.attributes["dimension_numbers"])
    dims = ConvDimensions(
        numbers.input_batch_dimension, numbers.input_feature_dimension, tuple(numbers.input_spatial_dimensions),
        numbers.kernel_input_feature_dimension, numbers.kernel_output_feature_dimension,
        tuple(numbers.kernel_spatial_dimensions), numbers.output_batch_dimension, numbers.output_feature_dimension,
        tuple(numbers.output_spatial_dimensions))
    spatial = len(dims.input_spatial)
    return ConvolutionDimensions(
        dims,
        tuple(i64s(op, "window_strides", [1] * spatial)),
        tuple(padding_pairs(op, spatial)),
        tuple(i64s(op, "lhs_dilation", [1] * spatial)),
        tuple(i64s(op, "rhs_dilation", [1] * spatial)),
        tuple(bools(op, "window_reversal")) or (False,) * spatial,
        int_attr(op, "feature_group_count", 1),
        int_attr(op, "batch_group_count", 1),
    )


# -- walking -------------------------------------------------------------------------------------

_ORDERS = {"pre": ir.WalkOrder.PRE_ORDER, "post": ir.WalkOrder.POST_ORDER}


def walk(root, order: str = "pre") -> list[ir.Operation]:
    """Every op nested in `root` (a module or an op), not `root` itself.

    "pre": each op before the ops of its regions (so in the order the module prints);
    "post": after them.
    """
    found = []

    def visit(op):
        found.append(op)
        return ir.WalkResult.ADVANCE

    root.operation.walk(visit, _ORDERS[order])
    return found[:-1] if order == "post" else found[1:]


def count_ops(root) -> int:
    """How many ops are nested in `root` (a module or an op), not counting `root` itself."""
    count = 0

    def visit(_op):
        nonlocal count
        count += 1
        return ir.WalkResult.ADVANCE

    root.operation.walk(visit)
    return count - 1


# -- functions -----------------------------------------------------------------------------------

class FunctionNotFound(PyreactantError, KeyError):
    """A module lacks the function asked for (a KeyError, as a missing key of a dict)."""

    __str__ = Exception.__str__  # the message as written, not KeyError's quoted repr of it


def functions(module: ir.Module) -> list:
    """The module's top-level `func.func` ops (as `func.FuncOp` views), in order."""
    return [op for op in module.body.operations if op.operation.name == "func.func"]


def find_function(module: ir.Module, name: str):
    """The module's `func.func @name`, or None."""
    for op in module.body.operations:
        if op.operation.name == "func.func" and ir.StringAttr(op.attributes["sym_name"]).value == name:
            return op
    return None


def main_function(module: ir.Module):
    """The module's `func.func @main` (the entry point XLA runs); FunctionNotFound (a KeyError) without one."""
    found = find_function(module, "main")
    if found is None:
        raise FunctionNotFound("the module has no func.func @main", where="")
    return found


def function_type(func_op) -> tuple[list[ir.Type], list[ir.Type]]:
    """(argument types, result types) of a `func.func`."""
    signature = ir.FunctionType(ir.TypeAttr(func_op.attributes["function_type"]).value)
    return list(signature.inputs), list(signature.results)

