"""`stablehlo.convolution`: windowed dot products of an input (lhs) with a kernel (rhs).

Like every builder here this is the spec's op, not a framework's: the layouts are named by
dimension numbers, the kernel is applied as written (a cross-correlation: no flip), and padding,
strides and dilations are per spatial dimension in the order of the dimension numbers' lists.
Flipping the kernel (a true convolution) and NCHW conventions belong to `tracer.nn`.
"""

from __future__ import annotations

import numpy as np
from jaxlib.mlir import ir
from jaxlib.mlir.dialects import stablehlo

from ir import dtypes
from ir.ops._common import check, dtype_of, shape_of
from ir.query import ConvDimensions  # (the layout type `query.convolution_dimensions` reads back)

__all__ = ["ConvDimensions", "convolution", "convolution_output_shape", "window_output_size"]

# The spec's precision values for precision_config (one per operand).
PRECISIONS = ("DEFAULT", "HIGH", "HIGHEST")


def _dimension_numbers(dims: ConvDimensions) -> ir.Attribute:
    return stablehlo.ConvDimensionNumbers.get(
        input_batch_dimension=dims.input_batch,
        input_feature_dimension=dims.input_feature,
        input_spatial_dimensions=list(dims.input_spatial),
        kernel_input_feature_dimension=dims.kernel_input_feature,
        kernel_output_feature_dimension=dims.kernel_output_feature,
        kernel_spatial_dimensions=list(dims.kernel_spatial),
        output_batch_dimension=dims.output_batch,
        output_feature_dimension=dims.output_feature,
        output_spatial_dimensions=list(dims.output_spatial),
    )


def window_output_size(size: int, window: int, *, stride: int = 1, padding=(0, 0), base_dilation: int = 1,
                       window_dilation: int = 1) -> int:
    """How many window positions fit: the spec's formula shared by convolution and reduce_window.

    The input is dilated (base_dilation - 1 holes between elements), then padded (negative
    padding crops); the window spans (window - 1) * window_dilation + 1 elements.
    """
    dilated = (size - 1) * base_dilation + 1 if size > 0 else 0
    padded = padding[0] + dilated + padding[1]
    span = (window - 1) * window_dilation + 1
    if padded <= 0 or span > padded:
        return 0
    return (padded - span) // stride + 1


def _spatial_list(op: str, name: str, values, count: int, default: int, *, minimum: int) -> list[int]:
    values = [default] * count if values is None else [int(v) for v in values]
    check(len(values) == count, op, f"{name} needs one value per spatial dimension ({count}), got {values}")
    check(all(v >= minimum for v in values), op, f"{name} must be >= {minimum}, got {values}")
    return values


def _padding_pairs(op: str, padding, count: int) -> list[tuple[int, int]]:
    pairs = [(0, 0)] * count if padding is None else [tuple(int(v) for v in pair) for pair in padding]
    check(len(pairs) == count and all(len(pair) == 2 for pair in pairs), op,
          f"padding needs one (low, high) pair per spatial dimension ({count}), got {padding}")
    return pairs


def padding_attribute(pairs) -> ir.DenseIntElementsAttr:
    """The spec's i64 tensor<Nx2> of (low, high) pairs (also used by reduce_window)."""
    array = np.asarray(pairs, np.int64).reshape(len(pairs), 2)
    return ir.DenseIntElementsAttr.get(array, type=ir.IntegerType.get_signless(64))


def _check_dimension_numbers(dims: ConvDimensions, rank: int) -> None:
    roles = (
        ("input", [dims.input_batch, dims.input_feature, *dims.input_spatial]),
        ("kernel", [dims.kernel_input_feature, dims.kernel_output_feature, *dims.kernel_spatial]),
        ("output", [dims.output_batch, dims.output_feature, *dims.output_spatial]),
    )
    for name, numbers in roles:
        check(sorted(numbers) == list(range(rank)), "convolution",
              f"{name} dimension numbers {numbers} must be a permutation of 0..{rank - 1}")


def convolution_output_shape(lhs_shape, rhs_shape, dims: ConvDimensions, *, window_strides, padding, lhs_dilation,
                             rhs_dilation, batch_group_count: int) -> tuple[int, ...]:
    """The result shape the spec gives for these operands and attributes (arguments already checked)."""
    out = [0] * len(lhs_shape)
    out[dims.output_batch] = lhs_shape[dims.input_batch] // batch_group_count
    out[dims.output_feature] = rhs_shape[dims.kernel_output_feature]
    for i, (d_in, d_k, d_out) in enumerate(zip(dims.input_spatial, dims.kernel_spatial, dims.output_spatial)):
        out[d_out] = window_output_size(lhs_shape[d_in], rhs_shape[d_k], stride=window_strides[i], padding=padding[i],
                                        base_dilation=lhs_dilation[i], window_dilation=rhs_dilation[i])
    return tuple(out)


def _check_groups(lhs_shape, rhs_shape, dims: ConvDimensions, feature_group_count: int, batch_group_count: int) -> None:
    op = "convolution"
    check(feature_group_count >= 1 and batch_group_count >= 1, op,
          f"group counts must be >= 1, got feature_group_count={feature_group_count}, batch_group_count={batch_group_count}")
    check(feature_group_count == 1 or batch_group_count == 1, op,
          "feature_group_count and batch_group_count cannot both be above 1")
    in_features, batch = lhs_shape[dims.input_feature], lhs_shape[dims.input_batch]
    kernel_in, kernel_out = rhs_shape[dims.kernel_input_feature], rhs_shape[dims.kernel_output_feature]
    check(batch % batch_group_count == 0, op, f"input batch size {batch} is not divisible by batch_group_count {batch_group_count}")
    check(in_features % feature_group_count == 0, op,
          f"input feature size {in_features} is not divisible by feature_group_count {feature_group_count}")
    check(in_features == kernel_in * feature_group_count, op,
          f"input features {in_features} must equal kernel input features {kernel_in} x feature_group_count {feature_group_count}")
    for name, count in (("feature_group_count", feature_group_count), ("batch_group_count", batch_group_count)):
        check(kernel_out % count == 0, op, f"kernel output features {kernel_out} are not divisible by {name} {count}")


def convolution(lhs: ir.Value, rhs: ir.Value, dimension_numbers: ConvDimensions, *, window_strides=None, padding=None,
                lhs_dilation=None, rhs_dilation=None, feature_group_count: int = 1, batch_group_count: int = 1,
                precision: str | None = None, dtype=None) -> ir.Value:
    """`stablehlo.convolution` of `lhs` (input) with `rhs` (kernel), checked against the spec.

    Arguments:
        lhs, rhs: tensors of one rank (spatial rank + 2) and one element type.
        dimension_numbers: a `ConvDimensions` (e.g. `ConvDimensions.channels_first(2)`).
        window_strides: one stride >= 1 per spatial dimension (default 1).
        padding: one (low, high) pair per spatial dimension; negative values crop (default 0).
        lhs_dilation: holes between input elements + 1 (>= 1; > 1 is a transposed convolution).
        rhs_dilation: holes between kernel elements + 1 (>= 1; an atrous convolution).
        feature_group_count: input features split into this many groups, each convolved with its
            share of the kernel's output features (groups=in_features is depthwise).
        batch_group_count: the batch split into groups likewise (weight gradients of grouped convs).
        precision: None, or "DEFAULT"/"HIGH"/"HIGHEST" for both operands (XLA may use TF32 on GPUs
            for float32 under DEFAULT).
        dtype: the result element type (default: lhs's).
    Returns:
        the result, with the shape `convolution_output_shape` gives.
    """
    lhs_shape, rhs_shape = shape_of(lhs), shape_of(rhs)
    rank = len(lhs_shape)
    check(len(rhs_shape) == rank, "convolution", f"lhs {lhs_shape} and rhs {rhs_shape} must have the same rank")
    check(rank >= 2, "convolution", f"operands need rank >= 2 (batch and feature), got {lhs_shape}")
    check(dtype_of(lhs) == dtype_of(rhs), "convolution", f"operand element types differ: {dtype_of(lhs)} vs {dtype_of(rhs)}")
    _check_dimension_numbers(dimension_numbers, rank)
    spatial = rank - 2
    strides = _spatial_list("convolution", "window_strides", window_strides, spatial, 1, minimum=1)
    lhs_dil = _spatial_list("convolution", "lhs_dilation", lhs_dilation, spatial, 1, minimum=1)
    rhs_dil = _spatial_list("convolution", "rhs_dilation", rhs_dilation, spatial, 1, minimum=1)
    pairs = _padding_pairs("convolution", padding, spatial)
    _check_groups(lhs_shape, rhs_shape, dimension_numbers, int(feature_group_count), int(batch_group_count))
    check(precision is None or precision in PRECISIONS, "convolution", f"precision must be one of {PRECISIONS}, got {precision!r}")
    out_shape = convolution_output_shape(lhs_shape, rhs_shape, dimension_numbers, window_strides=strides, padding=pairs,
                                         lhs_dilation=lhs_dil, rhs_dilation=rhs_dil,
                                         batch_group_count=int(batch_group_count))
    precision_config = None
    if precision is not None:
        precision_config = ir.ArrayAttr.get([stablehlo.PrecisionAttr.get(precision)] * 2)
    result_type = dtypes.tensor_type(out_shape, dtype or dtype_of(lhs))
    return stablehlo.ConvolutionOp(
        result_type, lhs, rhs, _dimension_numbers(dimension_numbers), int(feature_group_count), int(batch_group_count),
        window_strides=strides, padding=padding_attribute(pairs) if spatial else None, lhs_dilation=lhs_dil,
        rhs_dilation=rhs_dil, precision_config=precision_config,
    ).result
