"""Upsampling (Lux's Upsample and PixelShuffle), on (batch, channels, spatial...) inputs.

Scale and size tuples are in our (NumPy) axis order, as for `Conv`.

- nearest: each element repeated `scale` times along each spatial axis (integer scales only, as
  NNlib's upsample_nearest; a `size` must be a multiple of the input's).
- bilinear (2 spatial axes) / trilinear (3): NNlib's upsample_linear, one axis at a time. The
  output has floor(scale * size) elements per axis, or `size`. With align_corners=False (Lux's
  default) output i samples input position max(0, (i + 0.5) * in / out - 0.5), as PyTorch's
  align_corners=False; with True it samples i * (in - 1) / (out - 1), so the corners coincide.
  (Lux 1.x documents this keyword but does not pass it on to NNlib, whose own default is True;
  here it is honoured.)
- PixelShuffle(r): channels (c * r^d) rearranged into an r-times larger image: output
  [b, c, h*r + i, w*r + j] = input [b, c*r*r + i*r + j, h, w] (NNlib's pixel_shuffle, PyTorch's too).
"""

from __future__ import annotations

import math
import numbers

import numpy as np

from lux.core import AbstractLayer, layer
from lux.errors import LayerInputError, LuxTypeError, LuxValueError

__all__ = ["PixelShuffle", "Upsample"]

_MODES = {"nearest": None, "bilinear": 2, "trilinear": 3}  # mode -> the spatial rank it needs (None: any)


def _is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _check_scale_or_size(mode: str, scale, size) -> None:
    if (scale is None) == (size is None):
        raise LuxValueError("Upsample takes either scale or size (but not both)", fix="Upsample('nearest', scale=2)")
    if scale is not None:
        values = scale if isinstance(scale, tuple) else (scale,)
        if not values or not all(isinstance(v, numbers.Real) and not isinstance(v, bool) and v > 0 for v in values):
            raise LuxValueError(f"Upsample's scale must be a positive number or a tuple of them, got {scale!r}",
                                fix="pass e.g. scale=2 or scale=(2, 3)")
        if mode == "nearest" and not all(_is_int(v) for v in values):
            raise LuxValueError(f"nearest upsampling repeats elements, so its scale must be integers, got {scale!r}",
                                fix="use an integer scale, or mode 'bilinear' for fractional scales")
    if size is not None and (not isinstance(size, tuple) or not size or not all(_is_int(v) and v > 0 for v in size)):
        raise LuxValueError(f"Upsample's size must be a tuple of positive ints, one per spatial axis, got {size!r}",
                            fix="pass e.g. size=(64, 64)")


@layer
class Upsample(AbstractLayer):
    """Upsampling by a scale or to a size (Lux's `Upsample`).

    Arguments: `Upsample(mode="nearest", *, scale=None, size=None, align_corners=False)` or Lux's
        `Upsample(scale, mode="nearest")`. `mode` is "nearest", "bilinear" or "trilinear".
    Keywords: exactly one of `scale` (a number for every spatial axis, or one per axis) and `size`
        (the spatial output shape); `align_corners` (bilinear/trilinear only, see the module docstring).
    Inputs: x of shape (batch, channels, spatial...): any number of spatial axes for nearest, 2 for
        bilinear, 3 for trilinear.
    Returns: (batch, channels, upsampled spatial...) and the unchanged state.
    """

    mode: str = "nearest"
    scale: object = None
    size: tuple | None = None
    align_corners: bool = False

    def __init__(self, mode="nearest", scale_mode=None, *, scale=None, size=None, align_corners: bool = False):
        # Two call forms, Upsample(mode, scale=...) and Lux's Upsample(scale, mode): no dataclass __init__.
        if not isinstance(mode, str):  # Lux's Upsample(scale, mode = :nearest)
            if scale is not None or size is not None:
                raise LuxValueError("Upsample(scale, mode) takes no scale= or size= keyword",
                                    fix="Upsample(2, 'nearest') or Upsample('nearest', scale=2)")
            mode, scale = ("nearest" if scale_mode is None else scale_mode), mode
        elif scale_mode is not None:
            raise LuxTypeError("Upsample's second positional argument is the mode, after a scale",
                               fix="Upsample(2, 'bilinear') or Upsample('bilinear', scale=2)")
        mode = mode.lstrip(":")
        if mode not in _MODES:
            raise LuxValueError(f"Upsample mode {mode!r} is not supported", fix=f"use one of {', '.join(_MODES)}")
        if isinstance(scale, list):
            scale = tuple(scale)
        _check_scale_or_size(mode, scale, size)
        self._set_fields(mode=mode, scale=scale, size=size, align_corners=bool(align_corners))

    def summary(self) -> str:
        # Lux prints its mode, a Static.jl symbol, as static(:mode).
        text = f"Upsample(static(:{self.mode})"
        if self.scale is not None:
            text += f", scale = {self.scale}"
        if self.size is not None:
            text += f", size = {self.size}"
        if self.align_corners:
            text += ", align_corners = true"
        return text + ")"

    def output_spatial(self, spatial_in: tuple[int, ...]) -> tuple[int, ...]:
        """The spatial output shape for an input's spatial shape (NNlib: floor(scale * size))."""
        if self.size is not None:
            return tuple(self.size)
        scale = self.scale if isinstance(self.scale, tuple) else (self.scale,) * len(spatial_in)
        return tuple(math.floor(s * n) for s, n in zip(scale, spatial_in))

    def _check_input(self, x) -> tuple[int, ...]:
        shape = tuple(np.shape(x))
        rank = _MODES[self.mode]
        if rank is None and len(shape) < 3:
            raise LayerInputError(f"{self.summary()} expects an input (batch, channels, spatial...) with at least one "
                                  f"spatial axis, got shape {shape}", fix="add the missing axes, e.g. x[None]")
        if rank is not None and len(shape) != rank + 2:
            raise LayerInputError(f"{self.summary()} expects an input (batch, channels, {', '.join(['size'] * rank)}) "
                                  f"with {rank + 2} axes, got shape {shape}",
                                  fix=f"give x {rank} spatial axes{' or use mode nearest' if rank else ''}")
        spatial = len(shape) - 2
        for name, value in (("scale", self.scale), ("size", self.size)):
            if isinstance(value, tuple) and len(value) != spatial:
                raise LayerInputError(f"{self.summary()} has {len(value)} {name} entries for an input with {spatial} "
                                      f"spatial axes (shape {shape})", fix=f"give one {name} per spatial axis")
        return shape

    def __call__(self, x, ps, st):
        shape = self._check_input(x)
        out = self.output_spatial(shape[2:])
        if any(o < 1 for o in out):
            raise LayerInputError(f"{self.summary()} gives an empty output {out} for an input of shape {shape}",
                                  fix="use a larger scale")
        if self.mode == "nearest":
            return _nearest(self, x, shape, out), st
        return _linear(x, shape, out, self.align_corners), st


def _nearest(layer, x, shape, out):
    for axis, (n, o) in enumerate(zip(shape[2:], out), start=2):
        if o % n:
            raise LayerInputError(f"{layer.summary()} repeats elements, so its size {out} must be a multiple of the "
                                  f"input's spatial shape {shape[2:]}", fix="choose such a size or use mode bilinear")
        if o != n:
            x = np.repeat(x, o // n, axis=axis)
    return x


def _source_positions(n: int, o: int, align_corners: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """NNlib's source_idx_and_λ for every output position: (lower index, upper index, upper weight)."""
    positions = np.arange(o, dtype=np.float64)
    if align_corners:
        # (NNlib divides by zero for a single output; PyTorch samples the first element then.)
        real = positions * ((n - 1) / (o - 1) if o > 1 else 0.0)
    else:
        real = np.maximum(0.0, (positions + 0.5) * (n / o) - 0.5)
    lower = np.floor(real).astype(np.int64)
    upper = np.where(lower < n - 1, lower + 1, lower)
    return lower, upper, real - lower


def _linear(x, shape, out, align_corners: bool):
    """Linear interpolation along each spatial axis in turn (the weights are known now: constants)."""
    dtype = np.dtype(x.dtype) if hasattr(x, "dtype") else np.asarray(x).dtype
    if dtype.kind in "biu":  # interpolated values are fractions
        x, dtype = np.asarray(x, np.float32) if isinstance(x, np.ndarray) else x.astype(np.float32), np.dtype(np.float32)
    for axis, (n, o) in enumerate(zip(shape[2:], out), start=2):
        if o == n:
            continue  # NNlib returns such axes unchanged
        lower, upper, weight = _source_positions(n, o, align_corners)
        broadcast = (1,) * (axis) + (o,) + (1,) * (len(shape) - axis - 1)
        w_upper = weight.reshape(broadcast).astype(dtype)
        w_lower = (1.0 - weight).reshape(broadcast).astype(dtype)
        x = np.take(x, lower, axis=axis) * w_lower + np.take(x, upper, axis=axis) * w_upper
    return x


@layer
class PixelShuffle(AbstractLayer):
    """Rearrange channels into space, upscaling each spatial axis by `r` (Lux's `PixelShuffle`).

    Arguments: `r`, the upscale factor (an int >= 1).
    Inputs: x of shape (batch, c * r^d, s_1, ..., s_d), at least one spatial axis.
    Returns: (batch, c, s_1 * r, ..., s_d * r), where output [b, ch, h*r + i, w*r + j] is input
        [b, ch*r*r + i*r + j, h, w] (for d = 2), and the unchanged state.
    """

    r: int

    def __post_init__(self):
        if not _is_int(self.r) or self.r < 1:
            raise LuxValueError(f"PixelShuffle's upscale factor r must be an int >= 1, got {self.r!r}",
                                fix="pass e.g. PixelShuffle(2)")
        self._set_fields(r=int(self.r))

    def summary(self) -> str:
        return f"PixelShuffle({self.r})"

    def __call__(self, x, ps, st):
        shape = tuple(np.shape(x))
        r = self.r
        if len(shape) < 3:
            raise LayerInputError(f"{self.summary()} expects an input (batch, channels, spatial...) with at least one "
                                  f"spatial axis, got shape {shape}", fix="add the missing axes, e.g. x[None]")
        d = len(shape) - 2
        batch, channels, sizes = shape[0], shape[1], shape[2:]
        if channels % r**d:
            raise LayerInputError(f"{self.summary()} needs channels divisible by r^{d} = {r**d} for {d} spatial axes, got "
                                  f"an input of shape {shape}", fix=f"give x a multiple of {r**d} channels")
        out_channels = channels // r**d
        # Channel index = c * r^d + (offset along axis 1) * r^(d-1) + ... + (offset along axis d):
        # split it, then interleave each offset right after its spatial axis.
        x = np.reshape(x, (batch, out_channels, *(r,) * d, *sizes))
        order = [0, 1] + [axis for i in range(d) for axis in (2 + d + i, 2 + i)]
        x = np.transpose(x, order)
        return np.reshape(x, (batch, out_channels, *(n * r for n in sizes))), st
