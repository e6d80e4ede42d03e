"""Derivatives of `stablehlo.convolution` (`ir/ops/convolution.py`): any dimension numbers, window strides,
padding, lhs/rhs dilation, feature and batch groups.

A convolution is bilinear, and each cotangent is a convolution again. Per spatial dim, the forward reads
`out[o] = sum_k in_padded[o * stride + k * rhs_dilation] * kernel[k]` from the input dilated by
`lhs_dilation` and padded:
- the input's cotangent puts `z_bar[o] * kernel[k]` back at `o * stride + k * rhs_dilation`: the cotangent
  dilated by the stride, correlated with the kernel reversed in space, its two feature roles swapped; the
  padding lines each input position up under the windows that read it, and a stride of `lhs_dilation`
  keeps only the real (undilated) input positions.
- the kernel's cotangent correlates the input with the cotangent as the kernel (dilated by the stride,
  stepping by `rhs_dilation`): the batch is what is summed over, so batch and feature swap roles.
Groups: the kernel's output features are split per group, so for the input's cotangent the group factor
moves from the kernel's output features into its input features; for the kernel's, feature groups become
batch groups and batch groups feature groups.
"""

from __future__ import annotations

from ir import ops, query
from ir.ops import ConvDimensions
from passes.autodiff.emit import zeros_like
from passes.autodiff.errors import AutodiffError
from passes.autodiff.registry import bilinear

__all__: list[str] = []


def _specs(dims: ConvDimensions):
    """(batch, feature, spatial...) of the input and output, (output feature, input feature, spatial...) of
    the kernel: the three layouts as lists whose first two roles swap in a transposed convolution."""
    return ((dims.input_batch, dims.input_feature, *dims.input_spatial),
            (dims.kernel_output_feature, dims.kernel_input_feature, *dims.kernel_spatial),
            (dims.output_batch, dims.output_feature, *dims.output_spatial))


def _numbers(lhs, rhs, out) -> ConvDimensions:
    return ConvDimensions(lhs[0], lhs[1], tuple(lhs[2:]), rhs[1], rhs[0], tuple(rhs[2:]),
                          out[0], out[1], tuple(out[2:]))


def _swap(spec):
    return (spec[1], spec[0], *spec[2:])


def _dilated(size: int, dilation: int) -> int:
    return 0 if size == 0 else (size - 1) * dilation + 1


def _move_group(x, source: int, target: int, groups: int):
    """Split axis `source` into (groups, rest) and merge the groups, as the major part, into axis `target`."""
    shape = list(query.shape(x))
    split = shape[:source] + [groups, shape[source] // groups] + shape[source + 1:]
    target_in_split = target if target < source else target + 1
    order = [axis for axis in range(len(split)) if axis != source]
    order.insert(order.index(target_in_split), source)
    merged = list(shape)
    merged[source] //= groups
    merged[target] *= groups
    return ops.reshape(ops.transpose(ops.reshape(x, split), order), merged)


class _Conv:
    """The forward convolution's attributes and shapes, read once."""

    def __init__(self, op):
        if any(query.bools(op, "window_reversal")):
            raise AutodiffError("stablehlo.convolution with window_reversal has no derivative rule", op=op,
                                fix="reverse the kernel with stablehlo.reverse before the convolution")
        self.lhs, self.rhs = op.operands
        self.specs = _specs(query.convolution_dimensions(op).dimension_numbers)
        spatial = len(self.specs[0]) - 2
        self.strides = query.i64s_or(op, "window_strides", [1] * spatial)
        self.padding = query.padding_pairs(op, spatial)
        self.lhs_dilation = query.i64s_or(op, "lhs_dilation", [1] * spatial)
        self.rhs_dilation = query.i64s_or(op, "rhs_dilation", [1] * spatial)
        self.feature_groups = query.int_attr(op, "feature_group_count", 1)
        self.batch_groups = query.int_attr(op, "batch_group_count", 1)
        self.precision = query.precision(op)
        lhs_spec, rhs_spec, out_spec = self.specs
        self.in_sizes = [_dilated(query.shape(self.lhs)[d], ld) for d, ld in zip(lhs_spec[2:], self.lhs_dilation)]
        self.kernel_sizes = [_dilated(query.shape(self.rhs)[d], rd) for d, rd in zip(rhs_spec[2:], self.rhs_dilation)]
        self.out_sizes = [_dilated(query.shape(op.results[0])[d], s) for d, s in zip(out_spec[2:], self.strides)]
        self.empty = 0 in query.shape(op.results[0])


def _cotangent(z_bar, like):
    """z_bar in `like`'s element type (a convolution may compute in a wider type than its operands)."""
    return z_bar if query.dtype(z_bar) == query.dtype(like) else ops.convert(z_bar, query.dtype(like))


def _lhs_back(op, z_bar):
    conv = _Conv(op)
    if conv.empty:
        return zeros_like(conv.lhs)
    lhs_spec, rhs_spec, out_spec = conv.specs
    groups = max(conv.feature_groups, conv.batch_groups)
    kernel = conv.rhs if groups == 1 else _move_group(conv.rhs, rhs_spec[0], rhs_spec[1], groups)
    kernel = ops.reverse(kernel, list(rhs_spec[2:]))
    padding = []
    for in_size, kernel_size, out_size, (low, _) in zip(conv.in_sizes, conv.kernel_sizes, conv.out_sizes, conv.padding):
        before = kernel_size - 1 - low
        padding.append((before, in_size + kernel_size - 1 - out_size - before))
    lhs_bar = ops.convolution(_cotangent(z_bar, conv.lhs), kernel, _numbers(out_spec, _swap(rhs_spec), lhs_spec),
                              window_strides=conv.lhs_dilation, padding=padding, lhs_dilation=conv.strides,
                              rhs_dilation=conv.rhs_dilation, feature_group_count=groups, precision=conv.precision)
    if conv.batch_groups > 1:  # the groups came out as features: they are slices of the batch
        lhs_bar = _move_group(lhs_bar, lhs_spec[1], lhs_spec[0], conv.batch_groups)
    return lhs_bar


def _rhs_back(op, z_bar):
    conv = _Conv(op)
    if conv.empty:
        return zeros_like(conv.rhs)
    lhs_spec, rhs_spec, out_spec = conv.specs
    padding = [(low, out_size - in_size + kernel_size - 1 - low)
               for in_size, kernel_size, out_size, (low, _) in zip(conv.in_sizes, conv.kernel_sizes, conv.out_sizes,
                                                                   conv.padding)]
    numbers = _numbers(_swap(lhs_spec), _swap(out_spec), _swap(rhs_spec))
    return ops.convolution(conv.lhs, _cotangent(z_bar, conv.rhs), numbers,
                           window_strides=conv.rhs_dilation, padding=padding, lhs_dilation=conv.lhs_dilation,
                           rhs_dilation=conv.strides, feature_group_count=conv.batch_groups,
                           batch_group_count=conv.feature_groups, precision=conv.precision)


bilinear("stablehlo.convolution", _lhs_back, _rhs_back)
