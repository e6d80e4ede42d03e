"""Convolution and pooling for neural networks, channels first, eager or traced.

    import tracer.nn
    y = tracer.nn.conv(x, w, padding="same")            # x (batch, in, H, W), w (out, in, kH, kW)
    y = tracer.nn.max_pool(y, (2, 2))                   # windows of 2x2, stride 2

Layouts are NNlib's reversed (PyTorch's): an input is (batch, channels, spatial...) with any number
of spatial dims; a conv kernel is (out, in / groups, kernel...); a transposed-conv kernel is
(in, out / groups, kernel...). Per-dimension arguments (stride, padding, dilation, window) follow the
array's spatial axes in order; an int means the same for every spatial axis.

`padding` is an int (every side), one int per spatial axis (both sides), one (low, high) pair per
spatial axis, or "same": NNlib's `SamePad`, whose total is the dilated kernel's extent minus one,
split with the larger half first (so the output has ceil(size / stride) elements).

As in NNlib, `conv` is a true convolution (the kernel is flipped) unless `flipped=True`, which
gives the cross-correlation of PyTorch and `jax.lax.conv_general_dilated`.

Called on NumPy arrays with no trace active, each function runs the very computation it would trace,
through a cached `tracer.jit` (one compile per shape, dtype and option set), and returns NumPy arrays.
Inside a traced function the ops land in the trace at the caller's line.
"""

from __future__ import annotations

import functools
import math
import numbers
import operator

import ml_dtypes
import numpy as np

from jaxlib.mlir import ir as mlir

from ir import ops
from passes.autodiff.registry import DERIVATIVE_ATTRIBUTE
from runtime import ConcreteArray
from tracer import errors, primitives
from tracer.jit_function import jit
from tracer.trace_state import at_user_line, current_trace
from tracer.traced_array import TracedArray, check_alive

__all__ = ["conv", "conv_output_shape", "conv_transpose", "lp_pool", "max_pool", "mean_pool", "pool_output_shape",
           "relu", "same_padding"]

FLOAT_DTYPES = tuple(np.dtype(d) for d in (np.float16, ml_dtypes.bfloat16, np.float32, np.float64))
# Sums over windows of these are accumulated in float32: a float16 running sum of 9 values
# already loses a digit, and NNlib/XLA GPU kernels accumulate half precision in float32 too.
_NARROW = (np.dtype(np.float16), np.dtype(ml_dtypes.bfloat16))


# --------------------------------------------------------------------------- public API

def relu(x):
    """max(x, 0), differentiated as JAX's relu: derivative 1 where x > 0, else 0 (also at x = 0, where a
    maximum's derivative splits the tie: 1/2). NaN stays NaN, integers stay integers.

    Traced (a float array), one `stablehlo.maximum(x, 0)` marked `pyreactant.derivative = "relu"`, which
    `passes.autodiff` differentiates by that rule. A maximum, not the select `np.where(x <= 0, 0, x)` with
    the same derivative: XLA's CPU layout assignment keeps a convolution's output in its own layout through
    a maximum and fuses it into the next convolution's input, but not through a select (the ResNet-style CNN's
    gradient had 13 activation transposes instead of 7). Eagerly (NumPy), that select's values.
    """
    if not isinstance(x, TracedArray):
        return np.where(np.asarray(x) <= 0, 0, x)
    if np.dtype(x.dtype) not in FLOAT_DTYPES:
        return np.where(x <= 0, 0, x)
    with at_user_line():
        zero = primitives.full(x.shape, 0, x.dtype)
        value = ops.maximum(check_alive(x)._value, zero._value)
        value.owner.attributes[DERIVATIVE_ATTRIBUTE] = mlir.StringAttr.get("relu")
        return primitives.wrap(value, x.shape, x.dtype)



def conv(x, w, *, stride=1, padding=0, dilation=1, groups: int = 1, flipped: bool = False):
    """N-d convolution of a batch of channels-first inputs (NNlib's `conv`).

    Arguments:
        x: input of shape (batch, in_channels, spatial...), a float array (NumPy or traced).
        w: kernel of shape (out_channels, in_channels / groups, kernel...), same spatial rank.
        stride: step between windows (int or one per spatial axis, >= 1).
        padding: zeros added around each spatial axis (see the module docstring; "same" too).
        dilation: spacing between kernel elements (int or one per spatial axis, >= 1).
        groups: input and output channels split into this many groups, each convolved separately
            (groups = in_channels is a depthwise convolution).
        flipped: False (NNlib's default) flips the kernel spatially: a true convolution. True
            applies it as given: a cross-correlation (PyTorch's `conv2d`, JAX's `conv_general_dilated`).
    Returns:
        (batch, out_channels, out_spatial...) of the promoted float dtype of x and w, with
        out = (size + pad_low + pad_high - dilation * (kernel - 1) - 1) // stride + 1 per axis.
    """
    x, w, dtype = _operands("conv", x, w)
    spatial = _spatial_rank("conv", x, w, kernel_layout="(out_channels, in_channels / groups, kernel...)")
    stride = _per_axis("conv", "stride", stride, spatial)
    dilation = _per_axis("conv", "dilation", dilation, spatial)
    kernel = tuple(w.shape[2:])
    padding = _padding("conv", padding, spatial, kernel, dilation)
    groups = _groups("conv", groups)
    _check_conv_channels(x.shape, w.shape, groups)
    conv_output_shape(x.shape, w.shape, stride=stride, padding=padding, dilation=dilation)  # raises if empty
    return _dispatch(_conv, x, w, dtype=dtype, stride=stride, padding=padding, dilation=dilation, groups=groups,
                     flipped=bool(flipped))


def conv_transpose(x, w, *, stride=1, padding=0, dilation=1, groups: int = 1, flipped: bool = False,
                   output_padding=0):
    """The transposed convolution: the gradient of `conv` with respect to its input (NNlib's `∇conv_data`).

    It maps a `conv` output back to the shape of that conv's input, so it upsamples when stride > 1.

    Arguments:
        x: input of shape (batch, in_channels, spatial...).
        w: kernel of shape (in_channels, out_channels / groups, kernel...) (Lux's `ConvTranspose`
            weight and PyTorch's `conv_transpose` weight).
        stride, padding, dilation, groups, flipped: those of the forward `conv` this transposes:
            padding crops the output; "same" is Lux's `ConvTranspose` SamePad, which makes the output
            size * stride per axis when dilation is 1. `flipped=True` is PyTorch's `conv_transpose`.
        output_padding: extra elements added at the high end of each spatial output axis (int or one
            per axis, >= 0): picks among the input sizes a strided conv maps to the same output size.
    Returns:
        (batch, out_channels, out_spatial...) with out = (size - 1) * stride + dilation * (kernel - 1)
        + 1 - pad_low - pad_high + output_padding per axis.
    """
    x, w, dtype = _operands("conv_transpose", x, w)
    spatial = _spatial_rank("conv_transpose", x, w, kernel_layout="(in_channels, out_channels / groups, kernel...)")
    stride = _per_axis("conv_transpose", "stride", stride, spatial)
    dilation = _per_axis("conv_transpose", "dilation", dilation, spatial)
    output_padding = _per_axis("conv_transpose", "output_padding", output_padding, spatial, minimum=0)
    kernel = tuple(w.shape[2:])
    if isinstance(padding, str) and padding.lower() == "same":
        # Lux's ConvTranspose SamePad: SamePad of a (kernel - stride + 1) kernel.
        padding = same_padding(tuple(k - s + 1 for k, s in zip(kernel, stride)), dilation)
    else:
        padding = _padding("conv_transpose", padding, spatial, kernel, dilation)
    groups = _groups("conv_transpose", groups)
    _check_transpose_channels(x.shape, w.shape, groups)
    _transpose_output_shape(x.shape, w.shape, stride, padding, dilation, output_padding, groups)  # raises if empty
    return _dispatch(_conv_transpose, x, w, dtype=dtype, stride=stride, padding=padding, dilation=dilation,
                     groups=groups, flipped=bool(flipped), output_padding=output_padding)


def max_pool(x, window, *, stride=None, padding=0, dilation=1):
    """The maximum of each window over the spatial axes (NNlib's `maxpool`).

    Arguments:
        x: input of shape (batch, channels, spatial...).
        window: the window's size (int or one per spatial axis).
        stride: step between windows (default: the window, so windows do not overlap).
        padding: as for `conv`; padded positions never win (they count as -inf).
        dilation: spacing between window elements.
    Returns:
        (batch, channels, out_spatial...) of x's dtype.
    """
    x, settings = _pool_settings("max_pool", x, window, stride, padding, dilation)
    return _dispatch(_max_pool, x, **settings)


def mean_pool(x, window, *, stride=None, padding=0, dilation=1, count_include_pad: bool = True):
    """The mean of each window over the spatial axes (NNlib's `meanpool`).

    Arguments:
        x, window, stride, padding, dilation: as for `max_pool`; padded positions hold zeros.
        count_include_pad: True (NNlib and Lux) divides every window's sum by the window's size,
            padding included; False divides by the number of input elements in the window.
    Returns:
        (batch, channels, out_spatial...) of x's dtype.
    """
    x, settings = _pool_settings("mean_pool", x, window, stride, padding, dilation)
    return _dispatch(_mean_pool, x, count_include_pad=bool(count_include_pad), **settings)


def lp_pool(x, window, *, p=2, stride=None, padding=0, dilation=1):
    """The p-norm of each window, (sum of x ** p) ** (1 / p) (NNlib's `lpnormpool`, Lux's `LPPool`).

    As in NNlib the elements are raised to p as they are (no absolute value): negative inputs
    with a non-integer p give NaN, and with odd p they subtract.

    Arguments:
        x, window, stride, padding, dilation: as for `max_pool`; padded positions hold zeros.
        p: the norm's order, a positive finite Python number.
    Returns:
        (batch, channels, out_spatial...) of x's dtype.
    """
    if isinstance(p, (bool, np.bool_)) or not isinstance(p, numbers.Real) or not 0 < float(p) < math.inf:
        raise errors.TracedTypeError(f"lp_pool needs a positive finite number p, got {p!r}", fix="pass p=2 (or any 0 < p < inf)")
    x, settings = _pool_settings("lp_pool", x, window, stride, padding, dilation)
    p = int(p) if float(p).is_integer() else float(p)
    return _dispatch(_lp_pool, x, p=p, **settings)


def same_padding(kernel, dilation=1) -> tuple[tuple[int, int], ...]:
    """NNlib's `SamePad`: per axis, dilation * (kernel - 1) zeros, the larger half first."""
    dilation = (dilation,) * len(kernel) if isinstance(dilation, int) else tuple(dilation)
    pairs = []
    for k, d in zip(kernel, dilation):
        total = (k - 1) * d
        pairs.append((-(-total // 2), total // 2))
    return tuple(pairs)


def conv_output_shape(x_shape, w_shape, *, stride, padding, dilation) -> tuple[int, ...]:
    """(batch, out_channels, out_spatial...) of `conv` (all arguments per axis); refuses an empty result."""
    spatial = tuple(_window_count("conv", "kernel", n, k, s, pad, d)
                    for n, k, s, pad, d in zip(x_shape[2:], w_shape[2:], stride, padding, dilation))
    return (x_shape[0], w_shape[0], *spatial)


def pool_output_shape(x_shape, window, *, stride, padding, dilation) -> tuple[int, ...]:
    """(batch, channels, out_spatial...) of a pooling (all arguments per axis); refuses an empty result."""
    spatial = tuple(_window_count("pooling", "window", n, k, s, pad, d)
                    for n, k, s, pad, d in zip(x_shape[2:], window, stride, padding, dilation))
    return (*x_shape[:2], *spatial)


# --------------------------------------------------------------------------- eager or traced


def _dispatch(impl, *arrays, **static):
    """Run `impl` in the active trace, or (called eagerly) through a cached jit, as NumPy."""
    if current_trace() is not None:
        return _located(impl, *arrays, **static)
    return np.asarray(_compiled(impl)(*arrays, **static))


def _located(impl, *arrays, **static):
    with at_user_line():
        return impl(*(primitives.lift(a) for a in arrays), **static)


@functools.cache
def _compiled(impl):
    # One JitFunction per implementation; its cache holds one executable per signature
    # (shapes, dtypes and the static options, which are Python ints, tuples and bools).
    return jit(functools.partial(_located, impl))


# --------------------------------------------------------------------------- traced implementations


def _conv(x: TracedArray, w: TracedArray, *, dtype, stride, padding, dilation, groups, flipped) -> TracedArray:
    x, w = primitives.convert(x, dtype), primitives.convert(w, dtype)
    spatial_axes = list(range(2, x.ndim))
    if not flipped:  # a true convolution: XLA's op is a cross-correlation, so flip the kernel
        w = primitives.wrap(ops.reverse(w._value, spatial_axes), w.shape, w.dtype)
    value = ops.convolution(x._value, w._value, ops.ConvDimensions.channels_first(len(spatial_axes)),
                            window_strides=stride, padding=padding, rhs_dilation=dilation, feature_group_count=groups)
    return primitives.wrap(value)


def _conv_transpose(x: TracedArray, w: TracedArray, *, dtype, stride, padding, dilation, groups, flipped,
                    output_padding) -> TracedArray:
    """A stride-1 conv of x dilated by `stride`: each input element spreads the kernel over the output.

    The gradient of a cross-correlation with kernel v is a cross-correlation with v flipped; for
    NNlib's true convolution (v = flipped w) that is w itself, so only `flipped=True` flips here.
    """
    x, w = primitives.convert(x, dtype), primitives.convert(w, dtype)
    spatial = x.ndim - 2
    kernel = w.shape[2:]
    in_channels, out_per_group = w.shape[0], w.shape[1]
    # (in, out/G, k...) -> (out, in/G, k...): per group, swap the kernel's two feature roles.
    grouped = primitives.reshape(w, (groups, in_channels // groups, out_per_group, *kernel))
    swapped = primitives.transpose(grouped, (0, 2, 1, *range(3, 3 + spatial)))
    w = primitives.reshape(swapped, (groups * out_per_group, in_channels // groups, *kernel))
    if flipped:
        w = primitives.wrap(ops.reverse(w._value, list(range(2, 2 + spatial))), w.shape, w.dtype)
    pads = [((k - 1) * d - low, (k - 1) * d - high + extra)
            for k, d, (low, high), extra in zip(kernel, dilation, padding, output_padding)]
    value = ops.convolution(x._value, w._value, ops.ConvDimensions.channels_first(spatial), padding=pads,
                            lhs_dilation=stride, rhs_dilation=dilation, feature_group_count=groups)
    return primitives.wrap(value)


def _window_reduce(x: TracedArray, init, combiner, *, window, stride, padding, dilation) -> TracedArray:
    """reduce_window over the spatial axes only (batch and channel windows of 1)."""
    fill = ops.constant(np.asarray(init, x.dtype))
    value = ops.reduce_window(x._value, fill, (1, 1, *window), combiner, window_strides=(1, 1, *stride),
                              window_dilations=(1, 1, *dilation), padding=((0, 0), (0, 0), *padding))
    return primitives.wrap(value)


def _max_pool(x: TracedArray, *, window, stride, padding, dilation) -> TracedArray:
    return _window_reduce(x, -np.inf, ops.maximum, window=window, stride=stride, padding=padding, dilation=dilation)


def _sum_pool(x: TracedArray, **settings) -> TracedArray:
    wide = primitives.convert(x, np.float32) if x.dtype in _NARROW else x
    return _window_reduce(wide, 0, ops.add, **settings)


def _mean_pool(x: TracedArray, *, count_include_pad, **settings) -> TracedArray:
    total = _sum_pool(x, **settings)
    if count_include_pad:
        mean = np.divide(total, total.dtype.type(math.prod(settings["window"])))
    else:
        # The window's count of real elements is known now: a constant. A window wholly in the
        # padding sums to 0 and gives 0, as NNlib's kernel_count == 0 case does.
        counts = np.maximum(_count_window_elements(x.shape, **settings), 1)
        mean = np.divide(total, counts.astype(total.dtype))
    return primitives.convert(mean, x.dtype)


def _lp_pool(x: TracedArray, *, p, **settings) -> TracedArray:
    wide = primitives.convert(x, np.float32) if x.dtype in _NARROW else x
    powered = np.square(wide) if p == 2 else np.power(wide, wide.dtype.type(p))
    total = _sum_pool(powered, **settings)
    norm = np.sqrt(total) if p == 2 else np.power(total, total.dtype.type(1.0 / p))
    return primitives.convert(norm, x.dtype)


def _count_window_elements(shape, *, window, stride, padding, dilation) -> np.ndarray:
    """How many input elements (not padding) each window covers, shaped (1, 1, out_spatial...).

    Windows are boxes, so the count is the product over axes of each axis's count.
    """
    counts = np.ones((1, 1), np.int64)
    for n, k, s, (low, high), d in zip(shape[2:], window, stride, padding, dilation):
        starts = np.arange(_window_count("pooling", "window", n, k, s, (low, high), d)) * s - low
        positions = starts[:, None] + np.arange(k)[None, :] * d
        per_axis = ((positions >= 0) & (positions < n)).sum(axis=1)
        counts = counts[..., None] * per_axis
    return counts


# --------------------------------------------------------------------------- argument checks


def _operands(name: str, x, w):
    """x and w as arrays of one float dtype (NumPy's promotion of the two)."""
    x, w = _as_array(name, "x", x), _as_array(name, "w", w)
    dtype = np.result_type(x.dtype, w.dtype)
    for what, array in (("x", x), ("w", w)):
        if np.dtype(array.dtype) not in FLOAT_DTYPES:
            raise errors.TracedTypeError(f"{name} needs float arrays, got {what} of dtype {np.dtype(array.dtype)}",
                                         fix=f"convert it first, e.g. {what}.astype(np.float32)")
    return x, w, np.dtype(dtype)


def _as_array(name: str, what: str, value):
    if isinstance(value, (np.ndarray, ConcreteArray, TracedArray)):
        return value
    if isinstance(value, (list, tuple, numbers.Number, np.generic)):
        return np.asarray(value)
    raise errors.TracedTypeError(f"{name} needs an array for {what}, got {type(value).__name__}",
                                 fix=f"pass {what} as a NumPy array")


def _spatial_rank(name: str, x, w, *, kernel_layout: str) -> int:
    if len(x.shape) < 3:
        raise errors.TracedShapeError(
            f"{name} needs x of shape (batch, channels, spatial...) with at least one spatial axis, got shape {tuple(x.shape)}",
            fix="add the missing axes, e.g. x[None] for a single sample or x[:, None] for one channel")
    if len(w.shape) != len(x.shape):
        raise errors.TracedShapeError(
            f"{name} needs a kernel of shape {kernel_layout} with x's {len(x.shape) - 2} spatial axes: "
            f"x has shape {tuple(x.shape)}, w has shape {tuple(w.shape)}",
            fix=f"give w rank {len(x.shape)}")
    return len(x.shape) - 2


def _per_axis(name: str, what: str, value, spatial: int, *, minimum: int = 1) -> tuple[int, ...]:
    """An int or a sequence of `spatial` ints, each >= minimum, as a tuple."""
    try:
        values = (operator.index(value),) * spatial if not isinstance(value, (tuple, list)) else tuple(
            operator.index(v) for v in value)
    except TypeError:
        raise errors.TracedTypeError(f"{name} {what} must be an int or {spatial} ints, got {value!r}",
                                     fix=f"pass {what}=1 or a tuple of {spatial} ints") from None
    if len(values) != spatial or any(v < minimum for v in values):
        raise errors.TracedShapeError(f"{name} {what} must be {spatial} int(s) >= {minimum}, got {value!r}",
                                      fix=f"pass one value >= {minimum} per spatial axis ({spatial})")
    return values


def _padding(name: str, padding, spatial: int, window, dilation) -> tuple[tuple[int, int], ...]:
    """The module docstring's padding forms as one (low, high) pair per spatial axis."""
    if isinstance(padding, str):
        if padding.lower() == "same":
            return same_padding(window, dilation)
        if padding.lower() == "valid":
            return ((0, 0),) * spatial
        raise errors.TracedShapeError(f"{name} padding {padding!r} is not understood", fix='use "same", "valid" or ints')
    fix = f"pass an int, {spatial} ints, or {spatial} (low, high) pairs, all >= 0"
    try:
        if not isinstance(padding, (tuple, list)):
            pairs = ((operator.index(padding),) * 2,) * spatial
        elif all(isinstance(p, (tuple, list)) for p in padding):
            pairs = tuple(tuple(operator.index(v) for v in p) for p in padding)
        else:
            pairs = tuple((operator.index(p),) * 2 for p in padding)
    except TypeError:
        raise errors.TracedTypeError(f"{name} padding {padding!r} must hold ints", fix=fix) from None
    if len(pairs) != spatial or any(len(p) != 2 or min(p) < 0 for p in pairs):
        raise errors.TracedShapeError(f"{name} padding {padding!r} does not fit {spatial} spatial axes", fix=fix)
    return pairs


def _groups(name: str, groups) -> int:
    if isinstance(groups, (bool, np.bool_)) or not isinstance(groups, (int, np.integer)) or groups < 1:
        raise errors.TracedShapeError(f"{name} groups must be an int >= 1, got {groups!r}", fix="pass groups=1 or more")
    return int(groups)


def _check_conv_channels(x_shape, w_shape, groups: int) -> None:
    in_channels, out_channels, per_group = x_shape[1], w_shape[0], w_shape[1]
    if in_channels % groups or out_channels % groups:
        raise errors.TracedShapeError(
            f"conv with groups={groups} needs in and out channels divisible by it, got {in_channels} and {out_channels}",
            fix="choose groups dividing both channel counts")
    if per_group * groups != in_channels:
        raise errors.TracedShapeError(
            f"conv kernel of shape {tuple(w_shape)} expects {per_group * groups} input channels "
            f"(w.shape[1] * groups = {per_group} * {groups}), x of shape {tuple(x_shape)} has {in_channels}",
            fix=f"give w the shape (out, {in_channels // groups}, kernel...) or x {per_group * groups} channels on axis 1")


def _check_transpose_channels(x_shape, w_shape, groups: int) -> None:
    if w_shape[0] != x_shape[1]:
        raise errors.TracedShapeError(
            f"conv_transpose kernel of shape {tuple(w_shape)} expects {w_shape[0]} input channels (its first axis), "
            f"x of shape {tuple(x_shape)} has {x_shape[1]}",
            fix=f"give w the shape ({x_shape[1]}, out_channels / groups, kernel...)")
    if w_shape[0] % groups:
        raise errors.TracedShapeError(f"conv_transpose with groups={groups} needs in channels divisible by it, got {w_shape[0]}",
                                      fix="choose groups dividing the input channel count")


def _transpose_output_shape(x_shape, w_shape, stride, padding, dilation, output_padding, groups) -> tuple[int, ...]:
    spatial = []
    for n, k, s, (low, high), d, extra in zip(x_shape[2:], w_shape[2:], stride, padding, dilation, output_padding):
        size = (n - 1) * s + (k - 1) * d + 1 - low - high + extra
        if size < 1:
            raise errors.TracedShapeError(
                f"conv_transpose of x {tuple(x_shape)} with kernel {tuple(w_shape)} and padding {padding} "
                f"leaves no output along a spatial axis", fix="use less padding")
        spatial.append(size)
    return (x_shape[0], w_shape[1] * groups, *spatial)


def _window_count(name: str, what: str, n, k, s, padding, d) -> int:
    count = ops.window_output_size(n, k, stride=s, padding=padding, window_dilation=d)
    if count < 1:
        raise errors.TracedShapeError(
            f"{name} {what} of size {k} (dilation {d}) does not fit a spatial axis of size {n} with padding {padding}",
            fix=f"pad the input (padding={-(-(k - 1) * d // 2)} or \"same\") or use a smaller {what}")
    return count


def _pool_settings(name: str, x, window, stride, padding, dilation):
    x = _as_array(name, "x", x)
    if np.dtype(x.dtype) not in FLOAT_DTYPES:
        raise errors.TracedTypeError(f"{name} needs a float array, got dtype {np.dtype(x.dtype)}",
                                     fix="convert it first, e.g. x.astype(np.float32)")
    if len(x.shape) < 3:
        raise errors.TracedShapeError(
            f"{name} needs x of shape (batch, channels, spatial...) with at least one spatial axis, got shape {tuple(x.shape)}",
            fix="add the missing axes, e.g. x[None] for a single sample")
    spatial = len(x.shape) - 2
    window = _per_axis(name, "window", window, spatial)
    stride = window if stride is None else _per_axis(name, "stride", stride, spatial)
    dilation = _per_axis(name, "dilation", dilation, spatial)
    padding = _padding(name, padding, spatial, window, dilation)
    pool_output_shape(x.shape, window, stride=stride, padding=padding, dilation=dilation)  # raises if empty
    return x, {"window": window, "stride": stride, "padding": padding, "dilation": dilation}
