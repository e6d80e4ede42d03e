"""Weight initialisers (WeightInitializers.jl), drawing from an explicit `numpy.random.Generator`.

Every initialiser is `init(rng, *dims, dtype=np.float32)` with dims in our (reversed) order:
a Dense weight is `(in, out)`, a conv kernel `(out, in, k...)`. Fan-in and fan-out are Lux's,
computed on the Julia order of the same dims (their reverse).
"""

from __future__ import annotations

import math

import numpy as np


def fan_in_and_out(*dims: int) -> tuple[int, int]:
    """Lux's `_nfan` on the Julia order (reversed dims): 2-d (out, in); N-d (k..., in, out)."""
    julia = tuple(reversed(dims))
    if len(julia) == 0:
        return 1, 1
    if len(julia) == 1:
        return julia[0], julia[0]
    if len(julia) == 2:
        return julia[1], julia[0]
    receptive = math.prod(julia[:-2])
    return receptive * julia[-2], receptive * julia[-1]


def calculate_gain(activation, parameter=None) -> float:
    """Lux's gain for an activation (used by the Dense/Conv default init); 1 for anything unknown."""
    from lux import activations

    gains = {activations.relu: 2.0, activations.tanh: 5.0 / 3.0, np.tanh: 5.0 / 3.0, activations.selu: 3.0 / 4.0}
    if activation is activations.leakyrelu:
        slope = 0.1 if parameter is None else parameter
        return math.sqrt(2.0 / (1.0 + slope**2))
    return gains.get(activation, 1.0)


def uniform(rng, low: float, high: float, dims, dtype=np.float32) -> np.ndarray:
    return rng.uniform(low, high, size=dims).astype(dtype)


def kaiming_uniform(rng, *dims, gain: float = math.sqrt(2.0), dtype=np.float32) -> np.ndarray:
    bound = math.sqrt(3.0) * gain / math.sqrt(fan_in_and_out(*dims)[0])
    return uniform(rng, -bound, bound, dims, dtype)


def glorot_uniform(rng, *dims, gain: float = 1.0, dtype=np.float32) -> np.ndarray:
    fan_in, fan_out = fan_in_and_out(*dims)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform(rng, -bound, bound, dims, dtype)


def zeros32(rng, *dims) -> np.ndarray:
    return np.zeros(dims, np.float32)


def ones32(rng, *dims) -> np.ndarray:
    return np.ones(dims, np.float32)


def linear_bias(rng, fan_in: int, out: int, dtype=np.float32) -> np.ndarray:
    """Lux's default Dense/Conv bias: uniform in +-1/sqrt(fan_in)."""
    bound = 1.0 / math.sqrt(fan_in) if fan_in else 0.0
    return uniform(rng, -bound, bound, (out,), dtype)
