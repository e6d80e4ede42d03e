"""Dense: y = activation(x @ weight + bias), weight (in, out) (Lux's (out, in), reversed)."""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from lux import activations, init
from lux.core import AbstractLayer, layer
from lux.errors import check_input_features


def activation_name(activation) -> str:
    return getattr(activation, "__name__", repr(activation))


@layer
class Dense(AbstractLayer):
    """A fully connected layer.

    Arguments: `in_dims`, `out_dims`, `activation` (default identity).
    Keywords: `use_bias`, `init_weight(rng, in, out)` (default: Lux's kaiming_uniform with the
    activation's gain for sqrt(5)), `init_bias(rng, out)` (default: uniform in +-1/sqrt(in)).
    Inputs: `x` of shape (..., in_dims). Returns (..., out_dims) and the unchanged state.
    Parameters: `weight` (in_dims, out_dims), `bias` (out_dims,).
    """

    in_dims: int
    out_dims: int
    activation: Callable = activations.identity
    use_bias: bool = True
    init_weight: Callable | None = None
    init_bias: Callable | None = None

    def __init__(self, in_dims: int, out_dims: int, activation: Callable = activations.identity, *,
                 use_bias: bool = True, init_weight=None, init_bias=None):
        for name, value in (("in_dims", in_dims), ("out_dims", out_dims), ("activation", activation),
                            ("use_bias", bool(use_bias)), ("init_weight", init_weight), ("init_bias", init_bias)):
            object.__setattr__(self, name, value)

    def initialparameters(self, rng) -> dict:
        if self.init_weight is None:
            gain = init.calculate_gain(self.activation, math.sqrt(5.0))
            weight = init.kaiming_uniform(rng, self.in_dims, self.out_dims, gain=gain)
        else:
            weight = self.init_weight(rng, self.in_dims, self.out_dims)
        if not self.use_bias:
            return {"weight": weight}
        bias = init.linear_bias(rng, self.in_dims, self.out_dims) if self.init_bias is None else self.init_bias(rng, self.out_dims)
        return {"weight": weight, "bias": bias}

    def parameterlength(self) -> int:
        return self.in_dims * self.out_dims + self.use_bias * self.out_dims

    def statelength(self) -> int:
        return 0

    def summary(self) -> str:
        text = f"Dense({self.in_dims} => {self.out_dims}"
        if self.activation is not activations.identity:
            text += f", {activation_name(self.activation)}"
        if not self.use_bias:
            text += ", use_bias=false"
        return text + ")"

    def __call__(self, x, ps, st):
        check_input_features(self, x, self.in_dims)
        y = x @ ps["weight"]
        if self.use_bias:
            y = y + ps["bias"]
        return self.activation(y), st
