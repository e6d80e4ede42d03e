"""Convolutions (Lux's conv.jl): Conv and ConvTranspose over 1, 2 or 3 (or more) spatial axes.

Layouts are Lux's reversed, so memory matches: images are (batch, channels, spatial...) (Lux's
WHCN is our NCHW), a Conv kernel is (out, in / groups, kernel...) and a ConvTranspose kernel
(in, out / groups, kernel...). Per-axis tuples (kernel, stride, pad, dilation) are in our (NumPy)
axis order, as in `ReshapeLayer`: Lux's `Conv((5, 3), ...)` (width 5, height 3) is our
`Conv((3, 5), ...)`; square kernels read the same in both.

Lux's `Conv` is a true convolution: the kernel is flipped before it slides, unlike PyTorch's.
`cross_correlation=True` slides it as stored.
"""

from __future__ import annotations

import math
from dataclasses import KW_ONLY
from typing import Callable

import numpy as np

from lux import activations, display, init
from lux.core import AbstractLayer, layer
from lux.errors import LayerInputError, LuxTypeError, LuxValueError
from tracer import nn

__all__ = ["Conv", "ConvTranspose", "SamePad"]


class SamePad:
    """Lux's `SamePad()`: padding such that each spatial output has ceil(size / stride) elements.

    The total per axis is the dilated kernel's extent minus one, the larger half before the data.
    `pad="same"` means the same.
    """

    def __repr__(self) -> str:
        return "SamePad()"

    def __eq__(self, other) -> bool:
        return isinstance(other, SamePad)

    def __hash__(self) -> int:
        return hash(SamePad)


# --------------------------------------------------------------------------- shared with pooling


def expand(name: str, what: str, value, count: int) -> tuple[int, ...]:
    """Lux's `Utils.expand`: an int repeated `count` times, or a tuple of `count` ints, all >= 1."""
    values = (value,) * count if isinstance(value, (int, np.integer)) and not isinstance(value, bool) else value
    if not isinstance(values, tuple) or len(values) != count or not all(
            isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= 1 for v in values):
        raise LuxValueError(f"{name}'s {what} must be an int >= 1 or a tuple of {count} of them, got {value!r}",
                            fix=f"pass {what}=1 or {what}={(1,) * count}")
    return tuple(int(v) for v in values)


def is_same_pad(pad) -> bool:
    return isinstance(pad, SamePad) or (isinstance(pad, str) and pad.lower() == "same")


def calc_padding(name: str, pad, kernel, dilation) -> tuple[int, ...]:
    """Lux's `calc_padding`: an int -> 2N ints; N or 2N ints as given; SamePad -> 2N ints.

    N ints pad both ends of each axis; 2N ints are (low, high) of axis 0, then of axis 1, ...
    """
    n = len(kernel)
    if is_same_pad(pad):
        return tuple(v for pair in nn.same_padding(kernel, dilation) for v in pair)
    if isinstance(pad, (int, np.integer)) and not isinstance(pad, bool):
        pad = (pad,) * (2 * n)
    if not isinstance(pad, tuple) or len(pad) not in (n, 2 * n) or not all(
            isinstance(p, (int, np.integer)) and not isinstance(p, bool) and p >= 0 for p in pad):
        raise LuxValueError(f"{name}'s pad must be an int, {n} or {2 * n} ints >= 0, or SamePad(), got {pad!r}",
                            fix=f"pass pad=1, pad={(1,) * n}, pad={(1,) * (2 * n)} or pad=SamePad()")
    return tuple(int(p) for p in pad)


def padding_pairs(pad: tuple[int, ...], count: int) -> tuple[tuple[int, int], ...]:
    """Stored pad (N or 2N ints) as one (low, high) pair per spatial axis."""
    if len(pad) == count:
        return tuple((p, p) for p in pad)
    return tuple((pad[2 * i], pad[2 * i + 1]) for i in range(count))


def kernel_tuple(name: str, what: str, value) -> tuple[int, ...]:
    if not isinstance(value, tuple) or not value or not all(
            isinstance(k, (int, np.integer)) and not isinstance(k, bool) and k >= 1 for k in value):
        raise LuxTypeError(f"{name}'s {what} is a tuple of ints >= 1, one per spatial axis, such as (3, 3); "
                           f"got {value!r}",
                           fix=f"pass one size per spatial axis, e.g. {name}((3, 3), ...)")
    return tuple(int(k) for k in value)


def check_spatial_input(layer, x, spatial: int, channels: int | None = None) -> tuple[int, ...]:
    """x must be (batch, channels, `spatial` axes); returns its shape."""
    shape = tuple(np.shape(x))
    layout = f"(batch, {'channels' if channels is None else channels}, {', '.join(['size'] * spatial)})"
    if len(shape) != spatial + 2:
        raise LayerInputError(f"{layer.summary()} expects an input with {spatial + 2} axes {layout}, got shape {shape}",
                              fix=f"give x the shape {layout} (add a batch axis with x[None])")
    if channels is not None and shape[1] != channels:
        raise LayerInputError(f"{layer.summary()} expects {channels} input channels on axis 1, got an input of shape "
                              f"{shape}", fix=f"give x {channels} channels or change the layer's input channels")
    return shape


def check_windows_fit(layer, shape, window, stride, pairs, dilation, what: str = "kernel") -> None:
    """Every spatial axis must hold at least one window position."""
    for axis, (n, k, s, pad, d) in enumerate(zip(shape[2:], window, stride, pairs, dilation)):
        if n + sum(pad) < (k - 1) * d + 1:  # no window position fits
            raise LayerInputError(
                f"{layer.summary()}: its {what} spans {(k - 1) * d + 1} elements, more than spatial axis {axis + 2} of the "
                f"input (shape {tuple(shape)}) holds with padding {pad}",
                                  fix=f"give x at least {(k - 1) * d + 1 - sum(pad)} elements on that axis, or pad "
                                      "more (pad=SamePad())")


def _bias_shape(out: int, spatial: int) -> tuple[int, ...]:
    return (1, out) + (1,) * spatial


# --------------------------------------------------------------------------- layers


@layer
class _Convolution(AbstractLayer):
    """What Conv and ConvTranspose share: their fields but `outpad`, their checks, count and display."""

    kernel: tuple
    in_chs: int
    out_chs: int
    activation: Callable = activations.identity
    _: KW_ONLY
    stride: int | tuple = 1
    pad: int | tuple | SamePad | str = 0
    dilation: int | tuple = 1
    groups: int = 1
    use_bias: bool = True
    cross_correlation: bool = False
    init_weight: Callable | None = None
    init_bias: Callable | None = None

    def __post_init__(self):
        name = type(self).__name__
        kernel = kernel_tuple(name, "kernel", self.kernel)
        for what in ("in_chs", "out_chs", "groups"):
            count = getattr(self, what)
            if not isinstance(count, (int, np.integer)) or isinstance(count, bool) or count < 1:
                raise LuxValueError(f"{name}'s {what} must be an int >= 1, got {count!r}",
                                    fix=f"pass {what} as a positive int")
        if self.in_chs % self.groups or self.out_chs % self.groups:
            raise LuxValueError(f"{name}: input and output channels ({self.in_chs} => {self.out_chs}) must be "
                                f"divisible by groups={self.groups}",
                                fix="pick groups among the common divisors of the input and output channels")
        self._set_fields(kernel=kernel, in_chs=int(self.in_chs), out_chs=int(self.out_chs),
                         stride=expand(name, "stride", self.stride, len(kernel)),
                         dilation=expand(name, "dilation", self.dilation, len(kernel)), groups=int(self.groups),
                         use_bias=bool(self.use_bias), cross_correlation=bool(self.cross_correlation))
        # (after the others: the padding depends on the normalised kernel, stride and dilation)
        self._set_fields(pad=calc_padding(name, self.pad, self._same_pad_kernel(), self.dilation))

    def _same_pad_kernel(self) -> tuple[int, ...]:
        """The kernel whose extent SamePad() pads for."""
        return self.kernel

    def parameterlength(self) -> int:
        return math.prod(self.kernel) * self.in_chs * self.out_chs // self.groups + self.use_bias * self.out_chs

    def _more_options(self) -> str:
        return ""

    def summary(self) -> str:
        # Lux's optional display fields, in its order.
        text = f"{type(self).__name__}({self.kernel}, {self.in_chs} => {self.out_chs}"
        text += display.activation_note(self.activation)
        text += display.window_note(self.pad, self.stride, self.dilation, default_stride=(1,) * len(self.kernel))
        if self.groups != 1:
            text += f", groups={self.groups}"
        text += self._more_options()
        text += display.flag_notes(use_bias=(self.use_bias, True), cross_correlation=(self.cross_correlation, False))
        return text + ")"


@layer
class Conv(_Convolution):
    """A convolution over `len(kernel)` spatial axes (Lux's `Conv`).

    Arguments:
        kernel: the kernel's size, one int per spatial axis in our axis order, e.g. (3, 3).
        in_chs, out_chs: input and output channels (Lux's `in => out`).
        activation: applied to the output (default identity).
    Keywords:
        stride, dilation: an int or one per spatial axis.
        pad: an int (every side), N ints (both sides of each axis), 2N ints ((low, high) of each
            axis in turn), or SamePad() / "same".
        groups: channels split into this many groups (groups = in_chs: depthwise).
        use_bias: add a learned bias per output channel.
        cross_correlation: False (Lux) flips the kernel, a true convolution; True slides it as stored.
        init_weight(rng, out, in / groups, *kernel): default Lux's kaiming_uniform with the gain
            `calculate_gain(activation, sqrt(5))`.
        init_bias(rng, out): default uniform in +-1/sqrt(fan_in), fan_in = prod(kernel) * in / groups.
    Inputs: x of shape (batch, in_chs, spatial...).
    Returns: (batch, out_chs, out_spatial...) with out = (size + pads - dilation * (k - 1) - 1) // stride + 1,
        and the unchanged state.
    Parameters: `weight` (out_chs, in_chs / groups, *kernel), `bias` (out_chs,).
    """

    def initialparameters(self, rng) -> dict:
        dims = (self.out_chs, self.in_chs // self.groups, *self.kernel)
        if self.init_weight is None:
            gain = init.calculate_gain(self.activation, math.sqrt(5.0))
            weight = init.kaiming_uniform(rng, *dims, gain=gain)
        else:
            weight = self.init_weight(rng, *dims)
        if not self.use_bias:
            return {"weight": weight}
        fan_in = math.prod(self.kernel) * (self.in_chs // self.groups)
        bias = init.linear_bias(rng, fan_in, self.out_chs) if self.init_bias is None else self.init_bias(rng, self.out_chs)
        return {"weight": weight, "bias": bias}

    def __call__(self, x, ps, st):
        spatial = len(self.kernel)
        shape = check_spatial_input(self, x, spatial, self.in_chs)
        pairs = padding_pairs(self.pad, spatial)
        check_windows_fit(self, shape, self.kernel, self.stride, pairs, self.dilation)
        y = nn.conv(x, ps["weight"], stride=self.stride, padding=pairs, dilation=self.dilation, groups=self.groups,
                    flipped=self.cross_correlation)
        if self.use_bias:
            y = y + np.reshape(ps["bias"], _bias_shape(self.out_chs, spatial))
        return self.activation(y), st


@layer
class ConvTranspose(_Convolution):
    """A transposed convolution (Lux's `ConvTranspose`): the input-gradient of a `Conv`, which
    upsamples by `stride`.

    Arguments:
        kernel, in_chs, out_chs, activation: as for `Conv`.
    Keywords:
        stride, pad, dilation, groups, use_bias, cross_correlation: those of the Conv this transposes;
            pad crops the output, and SamePad() makes each output axis size * stride (dilation 1).
        outpad: an int or one per spatial axis (>= 0): extra output elements at the high end.
        init_weight(rng, in, out / groups, *kernel): default glorot_uniform (Lux's default here).
        init_bias(rng, out): default zeros32 (Lux's default here).
    Inputs: x of shape (batch, in_chs, spatial...).
    Returns: (batch, out_chs, out_spatial...) with out = (size - 1) * stride + dilation * (k - 1) + 1
        - pads + outpad, and the unchanged state.
    Parameters: `weight` (in_chs, out_chs / groups, *kernel), `bias` (out_chs,).
    """

    _: KW_ONLY
    outpad: int | tuple = 0

    def __post_init__(self):
        super().__post_init__()
        n = len(self.kernel)
        outpad = (self.outpad,) * n if isinstance(self.outpad, (int, np.integer)) else self.outpad
        if not isinstance(outpad, tuple) or len(outpad) != n or any(o < 0 for o in outpad):
            raise LuxValueError(f"ConvTranspose's outpad must be an int >= 0 or a tuple of {n}, got {outpad!r}",
                                fix=f"pass outpad=1 or outpad={(1,) * n}")
        self._set_fields(outpad=tuple(int(o) for o in outpad))

    def _same_pad_kernel(self) -> tuple[int, ...]:
        # Lux: the padding SamePad() gives a (kernel - stride + 1) kernel, so each output axis is size * stride.
        return tuple(k - s + 1 for k, s in zip(self.kernel, self.stride))

    def initialparameters(self, rng) -> dict:
        dims = (self.in_chs, self.out_chs // self.groups, *self.kernel)
        weight = (self.init_weight or init.glorot_uniform)(rng, *dims)
        if not self.use_bias:
            return {"weight": weight}
        return {"weight": weight, "bias": (self.init_bias or init.zeros32)(rng, self.out_chs)}

    def _more_options(self) -> str:
        return f", outpad={display.tuple_string(self.outpad)}" if any(o != 0 for o in self.outpad) else ""

    def __call__(self, x, ps, st):
        spatial = len(self.kernel)
        shape = check_spatial_input(self, x, spatial, self.in_chs)
        pairs = padding_pairs(self.pad, spatial)
        for axis, (n, k, s, (low, high), d, extra) in enumerate(
                zip(shape[2:], self.kernel, self.stride, pairs, self.dilation, self.outpad)):
            if (n - 1) * s + (k - 1) * d + 1 + extra <= low + high:
                raise LayerInputError(f"{self.summary()}: padding {(low, high)} crops away all of spatial axis {axis + 2} "
                                      f"for an input of shape {shape}", fix="use less padding or a larger input")
        y = nn.conv_transpose(x, ps["weight"], stride=self.stride, padding=pairs, dilation=self.dilation,
                              groups=self.groups, flipped=self.cross_correlation, output_padding=self.outpad)
        if self.use_bias:
            y = y + np.reshape(ps["bias"], _bias_shape(self.out_chs, spatial))
        return self.activation(y), st
