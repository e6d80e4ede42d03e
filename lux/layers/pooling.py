"""Pooling (Lux's pooling.jl): MaxPool, MeanPool, LPPool, their Global and Adaptive forms.

Inputs are (batch, channels, spatial...), Lux's (spatial..., C, N) reversed. Window, stride, pad
and dilation tuples are in our (NumPy) axis order, as for `Conv`.

- MaxPool/MeanPool/LPPool(window): one window per position, stride = window by default. Padding
  never wins a max; MeanPool divides by the window's size, padding included (NNlib's meanpool);
  LPPool computes (sum of x ** p) ** (1 / p) as NNlib's lpnormpool (no absolute value).
- Global*Pool(): one window over all spatial axes: output (batch, channels, 1, ..., 1).
- Adaptive*Pool(out): the window and stride Lux derives from the input, so that the spatial
  output is `out`: stride = size // out, window = size - (out - 1) * stride.
"""

from __future__ import annotations

from dataclasses import KW_ONLY

import numpy as np

from lux import display
from lux.core import AbstractLayer, layer
from lux.errors import LayerInputError, LuxValueError
from lux.layers.conv import (SamePad, calc_padding, check_spatial_input, check_windows_fit, expand, kernel_tuple,
                             padding_pairs)
from tracer import nn

__all__ = ["AdaptiveLPPool", "AdaptiveMaxPool", "AdaptiveMeanPool", "GlobalLPPool", "GlobalMaxPool", "GlobalMeanPool",
           "LPPool", "MaxPool", "MeanPool"]


def _check_p(name: str, p):
    if isinstance(p, bool) or not isinstance(p, (int, float, np.integer, np.floating)) or not 0 < p < np.inf:
        raise LuxValueError(f"{name}'s p must be a positive finite number, got {p!r}",
                            fix="pass p=2 (the default) or another finite p > 0")
    return p.item() if isinstance(p, np.generic) else p


def _p_note(p) -> str:
    return "" if p == 2 else f"p={p}"


# --------------------------------------------------------------------------- windowed pools


@layer
class _WindowPool(AbstractLayer):
    """What MaxPool, MeanPool and LPPool share: fields window, stride, pad, dilation, their checks and display."""

    window: tuple
    _: KW_ONLY
    stride: int | tuple | None = None
    pad: int | tuple | SamePad = 0
    dilation: int | tuple = 1

    def __post_init__(self):
        name = type(self).__name__
        window = kernel_tuple(name, "window", self.window)
        stride = expand(name, "stride", window if self.stride is None else self.stride, len(window))
        dilation = expand(name, "dilation", self.dilation, len(window))
        self._set_fields(window=window, stride=stride, dilation=dilation,
                         pad=calc_padding(name, self.pad, window, dilation))

    def _extra(self) -> str:
        return ""

    def summary(self) -> str:
        text = f"{type(self).__name__}({self.window}"
        text += display.window_note(self.pad, self.stride, self.dilation, default_stride=self.window)
        extra = self._extra()
        return text + (f", {extra}" if extra else "") + ")"

    def _pool_arguments(self, x) -> dict:
        spatial = len(self.window)
        shape = check_spatial_input(self, x, spatial)
        pairs = padding_pairs(self.pad, spatial)
        check_windows_fit(self, shape, self.window, self.stride, pairs, self.dilation, what="window")
        return {"stride": self.stride, "padding": pairs, "dilation": self.dilation}


_WINDOW_DOC = """
    Arguments: `window`, the window's size: one int per spatial axis, e.g. (2, 2).
    Keywords: `stride` (default: the window), `pad` (as for Conv: an int, N or 2N ints, or
    SamePad()), `dilation` (an int or one per axis).{extra}
    Inputs: x of shape (batch, channels, spatial...) with len(window) spatial axes.
    Returns: (batch, channels, out_spatial...) with out = (size + pads - dilation * (window - 1) - 1)
        // stride + 1, and the unchanged state.
    """


@layer
class MaxPool(_WindowPool):
    def __call__(self, x, ps, st):
        return nn.max_pool(x, self.window, **self._pool_arguments(x)), st


@layer
class MeanPool(_WindowPool):
    def __call__(self, x, ps, st):
        return nn.mean_pool(x, self.window, **self._pool_arguments(x)), st


@layer
class LPPool(_WindowPool):
    _: KW_ONLY
    p: float = 2

    def __post_init__(self):
        super().__post_init__()
        self._set_fields(p=_check_p("LPPool", self.p))

    def _extra(self) -> str:
        return _p_note(self.p)

    def __call__(self, x, ps, st):
        return nn.lp_pool(x, self.window, p=self.p, **self._pool_arguments(x)), st


MaxPool.__doc__ = "The maximum of each window (Lux's `MaxPool`); padding never wins.\n" + _WINDOW_DOC.format(extra="")
MeanPool.__doc__ = ("The mean of each window (Lux's `MeanPool`), dividing by the window's size even where it\n"
                    "    covers padding (NNlib's meanpool).\n" + _WINDOW_DOC.format(extra=""))
LPPool.__doc__ = ("The p-norm of each window, (sum of x ** p) ** (1 / p) (Lux's `LPPool`, NNlib's lpnormpool:\n"
                  "    no absolute value, so negative inputs with a fractional p give NaN).\n"
                  + _WINDOW_DOC.format(extra="\n    `p` (default 2): the norm's order."))


# --------------------------------------------------------------------------- global pools


class _GlobalPool(AbstractLayer):
    """What the Global*Pool layers share: one window over all spatial axes."""

    def _spatial_axes(self, x) -> tuple[int, ...]:
        shape = tuple(np.shape(x))
        if len(shape) < 3:
            raise LayerInputError(f"{self.summary()} expects an input (batch, channels, spatial...) with at least one "
                                  f"spatial axis, got shape {shape}", fix="add the missing axes, e.g. x[None]")
        return tuple(range(2, len(shape)))


_GLOBAL_DOC = """
    Inputs: x of shape (batch, channels, spatial...), at least one spatial axis.
    Returns: (batch, channels, 1, ..., 1) and the unchanged state.
    """


@layer
class GlobalMaxPool(_GlobalPool):
    def summary(self) -> str:
        return "GlobalMaxPool()"

    def __call__(self, x, ps, st):
        return np.max(x, axis=self._spatial_axes(x), keepdims=True), st


@layer
class GlobalMeanPool(_GlobalPool):
    def summary(self) -> str:
        return "GlobalMeanPool()"

    def __call__(self, x, ps, st):
        return np.mean(x, axis=self._spatial_axes(x), keepdims=True), st


@layer
class GlobalLPPool(_GlobalPool):
    _: KW_ONLY
    p: float = 2

    def __post_init__(self):
        self._set_fields(p=_check_p("GlobalLPPool", self.p))

    def summary(self) -> str:
        # (Lux prints "GlobalLPPool(, p=3)"; the stray comma is left out here.)
        return f"GlobalLPPool({_p_note(self.p)})"

    def __call__(self, x, ps, st):
        self._spatial_axes(x)
        return nn.lp_pool(x, tuple(np.shape(x)[2:]), p=self.p), st


GlobalMaxPool.__doc__ = "The maximum over all spatial axes (Lux's `GlobalMaxPool`).\n" + _GLOBAL_DOC
GlobalMeanPool.__doc__ = "The mean over all spatial axes (Lux's `GlobalMeanPool`).\n" + _GLOBAL_DOC
GlobalLPPool.__doc__ = ("The p-norm over all spatial axes (Lux's `GlobalLPPool`).\n\n    Keywords: `p` (default 2).\n"
                        + _GLOBAL_DOC)


# --------------------------------------------------------------------------- adaptive pools


@layer
class _AdaptivePool(AbstractLayer):
    """What the Adaptive*Pool layers share: the output size `out`, the window and stride derived from the input's."""

    out: tuple

    def __post_init__(self):
        self._set_fields(out=kernel_tuple(type(self).__name__, "output size", self.out))

    def _extra(self) -> str:
        return ""

    def summary(self) -> str:
        extra = self._extra()
        return f"{type(self).__name__}({self.out}{', ' + extra if extra else ''})"

    def _window_and_stride(self, x) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """Lux's AdaptivePoolMode: stride = size // out, window = size - (out - 1) * stride."""
        shape = check_spatial_input(self, x, len(self.out))
        sizes = shape[2:]
        if any(n < o for n, o in zip(sizes, self.out)):
            raise LayerInputError(f"{self.summary()} needs spatial sizes of at least {self.out}, got an input of shape "
                                  f"{shape}", fix="use a smaller output size or a larger input")
        stride = tuple(n // o for n, o in zip(sizes, self.out))
        window = tuple(n - (o - 1) * s for n, o, s in zip(sizes, self.out, stride))
        return window, stride


_ADAPTIVE_DOC = """
    Arguments: `out`, the spatial output size: one int per spatial axis, e.g. (5, 5).{extra}
    Inputs: x of shape (batch, channels, spatial...) with len(out) spatial axes, each at least out.
    Returns: (batch, channels, *out) and the unchanged state.
    """


@layer
class AdaptiveMaxPool(_AdaptivePool):
    def __call__(self, x, ps, st):
        window, stride = self._window_and_stride(x)
        return nn.max_pool(x, window, stride=stride), st


@layer
class AdaptiveMeanPool(_AdaptivePool):
    def __call__(self, x, ps, st):
        window, stride = self._window_and_stride(x)
        return nn.mean_pool(x, window, stride=stride), st


@layer
class AdaptiveLPPool(_AdaptivePool):
    _: KW_ONLY
    p: float = 2

    def __post_init__(self):
        super().__post_init__()
        self._set_fields(p=_check_p("AdaptiveLPPool", self.p))

    def _extra(self) -> str:
        return _p_note(self.p)

    def __call__(self, x, ps, st):
        window, stride = self._window_and_stride(x)
        return nn.lp_pool(x, window, stride=stride, p=self.p), st


AdaptiveMaxPool.__doc__ = ("Max pooling with the window that gives the spatial output `out` (Lux's `AdaptiveMaxPool`).\n"
                           + _ADAPTIVE_DOC.format(extra=""))
AdaptiveMeanPool.__doc__ = ("Mean pooling with the window that gives the spatial output `out` (Lux's "
                            "`AdaptiveMeanPool`).\n" + _ADAPTIVE_DOC.format(extra=""))
AdaptiveLPPool.__doc__ = ("p-norm pooling with the window that gives the spatial output `out` (Lux's "
                          "`AdaptiveLPPool`).\n" + _ADAPTIVE_DOC.format(extra="\n    Keywords: `p` (default 2)."))
