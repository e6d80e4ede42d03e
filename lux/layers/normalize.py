"""Normalisation layers (Lux's normalize.jl / LuxLib): BatchNorm, GroupNorm, InstanceNorm, LayerNorm, WeightNorm.

Layout: Lux's channel dimension is Julia's N-1 of (..., C, N); reversed, that is our axis 1 of
(N, C, ...): the features of a (batch, features) input, the C of an NCHW image.

Every normaliser computes Lux's `affine_normalize`: with the (biased) mean and variance of the
reduced axes, scale' = scale / sqrt(var + epsilon), bias' = bias - mean * scale', and
y = activation(x * scale' + bias') (or, where scale' would be as large as x, the same arithmetic as
activation((x - mean) / sqrt(var + epsilon) * scale + bias): see `_affine_normalize`). Running statistics follow LuxLib: with m elements per statistic,

    running_mean = (1 - momentum) * running_mean + momentum * mean
    running_var  = (1 - momentum) * running_var  + momentum * m / (m - 1) * var

(the unbiased variance goes into the running estimate, the biased one normalises the batch).
"""

from __future__ import annotations

import math
from collections.abc import Callable

from dataclasses import KW_ONLY

import numpy as np

from lux import activations, display, init
from lux.core import AbstractLayer, layer
from lux.errors import LayerInputError, LuxTypeError, LuxValueError

__all__ = ["BatchNorm", "GroupNorm", "InstanceNorm", "LayerNorm", "WeightNorm"]


# --------------------------------------------------------------------------- shared pieces


def training_flag(layer, st) -> bool:
    """st['training'] as a Python bool (static under jit), or a clear error."""
    if not isinstance(st, dict) or "training" not in st:
        raise LayerInputError(f"{layer.summary()} needs a state with a 'training' entry, got {st!r}",
                              fix="build the state with ps, st = lux.setup(rng, model)")
    training = st["training"]
    if not isinstance(training, (bool, np.bool_)):
        raise LayerInputError(f"{layer.summary()} needs st['training'] to be a Python bool, got "
                              f"{type(training).__name__}",
                              fix="switch modes with lux.testmode(st) / lux.trainmode(st)")
    return bool(training)


def _check_channels(layer, x, channels: int, *, min_ndim: int = 2) -> None:
    shape = tuple(np.shape(x))
    if len(shape) < min_ndim or shape[1] != channels:
        layout = "(batch, channels, spatial...)" if min_ndim > 2 else "(batch, channels, ...)"
        raise LayerInputError(f"{layer.summary()} expects an input {layout} with {channels} channels on axis 1 and "
                              f"at least {min_ndim} dimensions, got shape {shape}",
                              fix=f"give x the shape (batch, {channels}{', H, W' if min_ndim > 2 else ''}) or change "
                                  "the layer's channels")


def _channel_shape(ndim: int, channels: int) -> tuple[int, ...]:
    """(1, C, 1, ...): per-channel vectors broadcast against an (N, C, ...) input."""
    return (1, channels) + (1,) * (ndim - 2)


def _moments(x, axes: tuple[int, ...]):
    """Mean and biased variance over `axes`, kept as size-1 axes (LuxLib's mean_var, corrected=false)."""
    mean = np.mean(x, axis=axes, keepdims=True)
    return mean, np.mean(np.square(x - mean), axis=axes, keepdims=True)


def _affine_normalize(activation, x, mean, var, scale, bias, epsilon: float):
    """activation((x - mean) / sqrt(var + eps) * scale + bias), in LuxLib's fused scale/shift form where
    that is cheaper.

    The fused form computes scale' = scale / sqrt(var + eps) and bias' = bias - mean * scale' on the
    small arrays, and then x takes one multiply and one add: cheaper when statistics and parameters
    share their shape (BatchNorm: per channel). When they broadcast to x's whole shape (LayerNorm:
    statistics per row, parameters per column), scale' and bias' are as large as x and the fused form
    costs two more elementwise ops per element than the direct one (what XLA ran for the transformer
    benchmark's layer norms, beside JAX's direct form).
    """
    if scale is None:
        scale_ = 1 / np.sqrt(var + epsilon)
        return activation(x * scale_ - mean * scale_)
    if math.prod(np.broadcast_shapes(np.shape(scale), np.shape(var))) == math.prod(np.shape(x)):
        return activation((x - mean) / np.sqrt(var + epsilon) * scale + bias)
    scale_ = scale / np.sqrt(var + epsilon)
    return activation(x * scale_ + (bias - mean * scale_))


def _running_update(st: dict, mean, var, count: int, momentum: float) -> dict:
    """The state with LuxLib's running statistics update (unbiased variance, `count` samples per statistic)."""
    correction = count / (count - 1) if count > 1 else math.inf
    return {**st,
            "running_mean": (1 - momentum) * st["running_mean"] + momentum * mean,
            "running_var": (1 - momentum) * st["running_var"] + (momentum * correction) * var}


def _affine_parameters(rng, init_scale, init_bias, channels: int) -> dict:
    # Lux draws scale first, then bias (the order matters for initialisers that use rng).
    return {"scale": init_scale(rng, channels), "bias": init_bias(rng, channels)}


def _running_states(channels: int) -> dict:
    return {"running_mean": np.zeros(channels, np.float32), "running_var": np.ones(channels, np.float32)}


def _channel_affine(ps, affine: bool, shape):
    if not affine:
        return None, None
    return np.reshape(ps["scale"], shape), np.reshape(ps["bias"], shape)


# --------------------------------------------------------------------------- BatchNorm


@layer
class _RunningStatisticsNorm(AbstractLayer):
    """What BatchNorm and InstanceNorm share: their fields, trees, counts and display."""

    channels: int
    activation: Callable = activations.identity
    _: KW_ONLY
    momentum: float = 0.1
    epsilon: float = 1e-5
    affine: bool = True
    track_stats: bool = True
    init_bias: Callable = init.zeros32
    init_scale: Callable = init.ones32

    def __post_init__(self):
        self._set_fields(channels=int(self.channels), momentum=float(self.momentum), epsilon=float(self.epsilon),
                         affine=bool(self.affine), track_stats=bool(self.track_stats))

    def initialparameters(self, rng) -> dict:
        return _affine_parameters(rng, self.init_scale, self.init_bias, self.channels) if self.affine else {}

    def initialstates(self, rng) -> dict:
        return {**(_running_states(self.channels) if self.track_stats else {}), "training": True}

    def parameterlength(self) -> int:
        return 2 * self.channels if self.affine else 0

    def statelength(self) -> int:
        return (2 * self.channels if self.track_stats else 0) + 1  # `training` counts as one state, as in Lux

    def summary(self) -> str:
        return (f"{type(self).__name__}({self.channels}{display.activation_note(self.activation)}, "
                f"affine={display.julia_bool(self.affine)}, track_stats={display.julia_bool(self.track_stats)})")

    def _normalise(self, x, ps, st, training: bool, axes: tuple[int, ...]):
        """(y, mean, var): `x` normalised with the statistics over `axes`, or in test mode with
        `track_stats` the running ones."""
        channel_shape = _channel_shape(np.ndim(x), self.channels)
        if training or not self.track_stats:
            mean, var = _moments(x, axes)
        else:
            mean, var = np.reshape(st["running_mean"], channel_shape), np.reshape(st["running_var"], channel_shape)
        scale, bias = _channel_affine(ps, self.affine, channel_shape)
        return _affine_normalize(self.activation, x, mean, var, scale, bias, self.epsilon), mean, var


@layer
class BatchNorm(_RunningStatisticsNorm):
    """Batch normalisation: statistics per channel over the batch and spatial axes.

    Arguments: `channels` (the size of axis 1 of the input), `activation` (default identity).
    Keywords: `momentum` (0.1) and `epsilon` (1e-5); `affine` (learn per-channel `scale` and `bias`),
    `track_stats` (keep running statistics for test mode), `init_bias` (zeros32), `init_scale` (ones32).
    Inputs: `x` of shape (batch, channels, ...) with batch > 1 in training mode.
    Returns: the normalised `x` and the state, whose running statistics are updated in training mode
    when `track_stats`. In test mode (`lux.testmode`) the running statistics normalise instead
    (the batch's own when not `track_stats`).
    Parameters: `scale`, `bias` of shape (channels,) when `affine`.
    States: `running_mean`, `running_var` (channels,) when `track_stats`; `training` (a bool).
    """

    def __call__(self, x, ps, st):
        training = training_flag(self, st)
        _check_channels(self, x, self.channels)
        shape = np.shape(x)
        if training and shape[0] == 1:
            raise LayerInputError(f"{self.summary()} cannot normalise a batch of size 1 in training mode (input shape "
                                  f"{tuple(shape)})",
                                  fix="train with batches of 2 or more, or call it in lux.testmode(st)")
        axes = (0,) + tuple(range(2, len(shape)))
        y, mean, var = self._normalise(x, ps, st, training, axes)
        if training and self.track_stats:
            count = math.prod(shape[a] for a in axes)
            st = _running_update(st, np.reshape(mean, (self.channels,)), np.reshape(var, (self.channels,)),
                                 count, self.momentum)
        return y, st


# --------------------------------------------------------------------------- InstanceNorm


@layer
class InstanceNorm(_RunningStatisticsNorm):
    """Instance normalisation: statistics per sample and channel over the spatial axes.

    Arguments: `channels` (the size of axis 1 of the input), `activation` (default identity).
    Keywords: `epsilon` (1e-5), `momentum` (0.1), `affine` (default False, as in Lux),
    `track_stats` (default False), `init_bias` (zeros32), `init_scale` (ones32).
    Inputs: `x` of shape (batch, channels, spatial...) with at least one spatial axis.
    Returns: the normalised `x` and the state. With `track_stats`, training mode updates the running
    statistics with the batch average of the per-instance statistics, and test mode normalises with them.
    Parameters: `scale`, `bias` of shape (channels,) when `affine`.
    States: `running_mean`, `running_var` (channels,) when `track_stats`; `training` (a bool).
    """

    _: KW_ONLY
    affine: bool = False  # (Lux's defaults for InstanceNorm)
    track_stats: bool = False

    def __call__(self, x, ps, st):
        training = training_flag(self, st)
        _check_channels(self, x, self.channels, min_ndim=3)
        shape = np.shape(x)
        axes = tuple(range(2, len(shape)))
        y, mean, var = self._normalise(x, ps, st, training, axes)
        if training and self.track_stats:
            # LuxLib averages the per-instance statistics over the batch before the update.
            count = math.prod(shape[a] for a in axes)
            batch_mean = np.reshape(np.mean(mean, axis=0), (self.channels,))
            batch_var = np.reshape(np.mean(var, axis=0), (self.channels,))
            st = _running_update(st, batch_mean, batch_var, count, self.momentum)
        return y, st


# --------------------------------------------------------------------------- GroupNorm


@layer
class GroupNorm(AbstractLayer):
    """Group normalisation: statistics per sample over groups of consecutive channels (and spatial axes).

    Arguments: `channels` (the size of axis 1 of the input), `groups` (must divide `channels`),
    `activation` (default identity).
    Keywords: `epsilon` (1e-5), `affine` (learn per-channel `scale` and `bias`), `init_bias` (zeros32),
    `init_scale` (ones32).
    Inputs: `x` of shape (batch, channels, ...).
    Returns: the normalised `x` and the unchanged (empty) state: group statistics never depend on the
    batch, so training and test mode agree.
    Parameters: `scale`, `bias` of shape (channels,) when `affine`.
    """

    channels: int
    groups: int
    activation: Callable = activations.identity
    _: KW_ONLY
    epsilon: float = 1e-5
    affine: bool = True
    init_bias: Callable = init.zeros32
    init_scale: Callable = init.ones32

    def __post_init__(self):
        channels, groups = int(self.channels), int(self.groups)
        if groups < 1 or channels % groups:
            raise LuxValueError(f"GroupNorm: the number of groups ({groups}) must divide the number of channels "
                                f"({channels})", fix=f"pick groups among the divisors of {channels}")
        self._set_fields(channels=channels, groups=groups, epsilon=float(self.epsilon), affine=bool(self.affine))

    def initialparameters(self, rng) -> dict:
        return _affine_parameters(rng, self.init_scale, self.init_bias, self.channels) if self.affine else {}

    def parameterlength(self) -> int:
        return 2 * self.channels if self.affine else 0

    def summary(self) -> str:
        return (f"GroupNorm({self.channels}, {self.groups}{display.activation_note(self.activation)}, "
                f"affine={display.julia_bool(self.affine)})")

    def __call__(self, x, ps, st):
        _check_channels(self, x, self.channels)
        shape = tuple(np.shape(x))
        # (N, C, ...) -> (N, G, C/G, ...): a group is a run of consecutive channels, as Julia's
        # reshape of (..., C, N) into (..., C/G, G, N) makes it.
        grouped_shape = (shape[0], self.groups, self.channels // self.groups) + shape[2:]
        grouped = np.reshape(x, grouped_shape)
        mean, var = _moments(grouped, tuple(range(2, len(grouped_shape))))
        affine_shape = (1, self.groups, self.channels // self.groups) + (1,) * (len(shape) - 2)
        scale, bias = _channel_affine(ps, self.affine, affine_shape)
        y = _affine_normalize(self.activation, grouped, mean, var, scale, bias, self.epsilon)
        return np.reshape(y, shape), st


# --------------------------------------------------------------------------- LayerNorm


def _as_axes(dims, what: str):
    """None, an int or a tuple of ints, kept hashable (a list becomes a tuple)."""
    if dims is None or isinstance(dims, (int, np.integer)):
        return None if dims is None else int(dims)
    try:
        if isinstance(dims, str):
            raise TypeError
        return tuple(int(d) for d in dims)
    except (TypeError, ValueError):
        raise LuxTypeError(f"{what} must be None, an axis or a tuple of axes, got {dims!r}",
                           fix="pass None, an int axis or a tuple of int axes") from None


@layer
class LayerNorm(AbstractLayer):
    """Layer normalisation: y = activation((x - mean) / sqrt(var + eps) * scale + bias).

    Arguments: `shape` (an int or tuple: the input's shape without the batch axis, or a shape that
    broadcasts against it, e.g. (C, 1, 1) for per-channel parameters on NCHW images), `activation`.
    Keywords: `epsilon` (1e-5); `dims`: the axes of `x` whose mean and variance normalise it (None,
    Lux's `Colon()`, means the whole array, batch included, as in Lux); `affine` (learn `scale` and
    `bias`), `init_bias` (zeros32), `init_scale` (ones32).
    Inputs: `x` of shape (batch, *shape) (or broadcasting with (1, *shape)).
    Returns: the normalised `x` and the unchanged (empty) state.
    Parameters: `bias`, `scale` of shape (1, *shape) when `affine` (Lux's (shape..., 1), reversed).
    """

    shape: int | tuple
    activation: Callable = activations.identity
    _: KW_ONLY
    epsilon: float = 1e-5
    dims: int | tuple | None = None
    affine: bool = True
    init_bias: Callable = init.zeros32
    init_scale: Callable = init.ones32

    def __post_init__(self):
        shape = _as_axes(self.shape, "LayerNorm's shape")
        if shape is None:
            raise LuxTypeError("LayerNorm's shape must be an int or a tuple of ints",
                               fix="give the input shape without the batch axis, e.g. LayerNorm((3,))")
        self._set_fields(shape=shape, epsilon=float(self.epsilon), dims=_as_axes(self.dims, "LayerNorm's dims"),
                         affine=bool(self.affine))

    def _parameter_shape(self) -> tuple[int, ...]:
        return (1,) + ((self.shape,) if isinstance(self.shape, int) else self.shape)

    def initialparameters(self, rng) -> dict:
        if not self.affine:
            return {}
        shape = self._parameter_shape()
        # Lux draws bias first here (unlike BatchNorm), and names it first.
        return {"bias": self.init_bias(rng, *shape), "scale": self.init_scale(rng, *shape)}

    def parameterlength(self) -> int:
        return 2 * math.prod(self._parameter_shape()) if self.affine else 0

    def summary(self) -> str:
        dims = "Colon()" if self.dims is None else repr(self.dims)
        return (f"LayerNorm({self.shape!r}{display.activation_note(self.activation)}, "
                f"affine={display.julia_bool(self.affine)}, dims={dims})")

    def _check_input(self, x) -> tuple[int, ...]:
        shape = tuple(np.shape(x))
        if self.affine:
            try:
                fits = np.broadcast_shapes(self._parameter_shape(), shape) == shape
            except ValueError:
                fits = False
            if not fits:
                want = self._parameter_shape()[1:]
                raise LayerInputError(f"{self.summary()} expects an input of shape (batch, {', '.join(map(str, want))}) "
                                      f"(its parameters have shape {self._parameter_shape()}), got shape {shape}",
                                      fix=f"reshape x or build the layer with LayerNorm({shape[1:]})")
        return shape

    def _axes(self, ndim: int):
        if self.dims is None:
            return None
        axes = (self.dims,) if isinstance(self.dims, int) else self.dims
        if any(not -ndim <= a < ndim for a in axes):
            raise LayerInputError(f"{self.summary()} normalises over axes {axes}, which a {ndim}-d input does not "
                                  "have", fix=f"pass dims within range({ndim}) or an input of more dimensions")
        return tuple(a % ndim for a in axes)

    def __call__(self, x, ps, st):
        shape = self._check_input(x)
        axes = self._axes(len(shape))
        mean, var = _moments(x, axes if axes is not None else tuple(range(len(shape))))
        scale, bias = (ps["scale"], ps["bias"]) if self.affine else (None, None)
        return _affine_normalize(self.activation, x, mean, var, scale, bias, self.epsilon), st


# --------------------------------------------------------------------------- WeightNorm


def _norm_except(v, keep: tuple[int, ...]):
    """The 2-norm of `v` over every axis but `keep`, with size-1 axes kept (Lux's norm_except)."""
    ndim = len(np.shape(v))
    axes = tuple(a for a in range(ndim) if a not in keep)
    if not axes:  # the norm over no axes is |v|
        return np.sqrt(np.square(v))
    return np.sqrt(np.sum(np.square(v), axis=axes, keepdims=True))


@layer
class WeightNorm(AbstractLayer):
    """Weight normalisation of some of a layer's parameters: w = g * v / ||v||.

    Arguments: `layer` (the layer whose parameters are reparameterised), `which_params` (a tuple of
    parameter names, e.g. ('weight',)), `dims` (optional: one entry per name, the axis or axes of
    that parameter the norm keeps; by default axis 0, Lux's last Julia dimension: the norm of a Dense
    weight (in, out) is taken over `out` for each input, of a conv kernel (out, in, k...) over all
    but `out`).
    Inputs: whatever `layer` takes. Returns: `layer`'s output and its updated state.
    Parameters: `normalized` ({name}_g, the norms, and {name}_v, the directions, for each name) and
    `unnormalized` (the layer's other parameters). States: `layer`'s.
    """

    layer: AbstractLayer
    which_params: tuple
    dims: tuple | None = None

    def __post_init__(self):
        if not isinstance(self.layer, AbstractLayer):
            raise LuxTypeError(f"WeightNorm wraps a layer, got {type(self.layer).__name__}",
                               fix="WeightNorm(lux.Dense(3, 4), ('weight',))")
        which_params = (self.which_params,) if isinstance(self.which_params, str) else tuple(self.which_params)
        dims = self.dims
        if dims is not None:
            dims = tuple(d if isinstance(d, (int, np.integer)) else tuple(d) for d in dims)
            if len(dims) != len(which_params):
                raise LuxValueError(f"WeightNorm: dims has {len(dims)} entries for {len(which_params)} parameters "
                                    f"{which_params}", fix="give one axis (or tuple of axes) per parameter")
        self._set_fields(which_params=which_params, dims=dims)

    def _keep_axes(self, i: int, ndim: int) -> tuple[int, ...]:
        if self.dims is None:
            return (0,) if ndim else ()
        keep = self.dims[i]
        return tuple(int(a) % ndim for a in ((keep,) if isinstance(keep, (int, np.integer)) else keep))

    def _reparameterise(self, ps_layer: dict, *, check_zero: bool) -> dict:
        missing = [name for name in self.which_params if name not in ps_layer]
        if missing:
            raise LuxValueError(f"WeightNorm: {self.layer.summary()} has no parameter(s) {missing} (it has "
                                f"{sorted(ps_layer)})", fix="name existing parameters in which_params")
        normalized, unnormalized = {}, {}
        for name, v in ps_layer.items():
            if name not in self.which_params:
                unnormalized[name] = v
                continue
            if check_zero and not np.any(v):
                raise LuxValueError(f"WeightNorm: parameter {name!r} of {self.layer.summary()} is all zeros, so its "
                                    "norm is 0 and its gradients NaN",
                                    fix="drop it from which_params or initialise it otherwise (the layer's "
                                        f"init_{name} keyword)")
            normalized[f"{name}_g"] = _norm_except(v, self._keep_axes(self.which_params.index(name), np.ndim(v)))
            normalized[f"{name}_v"] = v
        return {"normalized": normalized, "unnormalized": unnormalized}

    def initialparameters(self, rng) -> dict:
        return self._reparameterise(self.layer.initialparameters(rng), check_zero=True)

    def initialstates(self, rng) -> dict:
        return self.layer.initialstates(rng)

    def parameterlength(self) -> int:
        # The norms' shapes depend on the parameters' shapes, which only the wrapped layer knows.
        ps = self._reparameterise(self.layer.initialparameters(np.random.default_rng(0)), check_zero=False)
        return sum(int(np.size(v)) for part in ps.values() for v in part.values())

    def statelength(self) -> int:
        return self.layer.statelength()

    def summary(self) -> str:
        dims = "nothing" if self.dims is None else repr(self.dims)
        names = ", ".join(f":{name}" for name in self.which_params) + ("," if len(self.which_params) == 1 else "")
        return f"WeightNorm({self.layer.summary()}, dims = {dims}, normalized_parameters = ({names}))"

    def __call__(self, x, ps, st):
        if not isinstance(ps, dict) or "normalized" not in ps or "unnormalized" not in ps:
            raise LayerInputError(f"{self.summary()} needs parameters {{'normalized': ..., 'unnormalized': ...}}, got "
                                  f"{sorted(ps) if isinstance(ps, dict) else type(ps).__name__}",
                                  fix="build them with ps, st = lux.setup(rng, model)")
        weights = {}
        for i, name in enumerate(self.which_params):
            v, g = ps["normalized"][f"{name}_v"], ps["normalized"][f"{name}_g"]
            norm = _norm_except(v, self._keep_axes(i, len(np.shape(v))))
            weights[name] = v * (g / (norm + np.finfo(v.dtype).eps))
        return self.layer(x, {**weights, **ps["unnormalized"]}, st)
