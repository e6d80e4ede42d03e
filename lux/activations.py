"""Activation functions (NNlib's), written with NumPy functions so they run eagerly and traced.

Every function takes an array (NumPy or `tracer.TracedArray`) and keeps its floating dtype: the
constants are Python floats, which NumPy's rules (NEP 50) never let widen a float32 array.
Integer inputs become floats where NNlib's do (`sigmoid(1) == 0.73...`), and stay integers where
NNlib's do (`relu`, `relu6`).

NNlib's names and definitions, with two notes:
- `gelu` is NNlib's `gelu`, the tanh approximation (`gelu is gelu_tanh`); the exact form
  `x * Phi(x)` is `gelu_erf`.
- `softmax`/`logsoftmax` reduce over NNlib's `dims=1`, the feature axis, which is our LAST axis:
  `axis=-1` by default.

NumPy has no `erf`: `gelu_erf` uses `erf`/`erfc` below, a Taylor series for |z| < 2 and a
continued fraction for the tail, both in the input's dtype (within a few ulps of `math.erf`).
"""

from __future__ import annotations

import math

import numpy as np

import tracer

__all__ = [
    "celu", "elu", "erf", "erfc", "gelu", "gelu_erf", "gelu_tanh", "hardsigmoid", "identity", "leakyrelu",
    "logsigmoid", "logsoftmax", "mish", "relu", "relu6", "selu", "sigmoid", "softmax", "softplus", "softsign",
    "swish", "tanh",
]


def identity(x):
    return x


# -- rectifiers ----------------------------------------------------------------------------------

def relu(x):
    """max(x, 0); NaN stays NaN, integers stay integers.

    Its derivative is JAX's relu's, select(x > 0, dy, 0): 0 at x = 0, where np.maximum's splits the tie
    (1/2). Traced, `tracer.nn.relu` emits a maximum marked with that derivative (see there why not a select)."""
    return tracer.nn.relu(x)


def relu6(x):
    """min(max(x, 0), 6)."""
    return np.clip(x, 0, 6)


def leakyrelu(x, a=0.01):
    """x for x > 0, else a * x (NNlib's default slope 0.01)."""
    return np.where(x > 0, x, x * a)


def elu(x, alpha=1.0):
    """x for x >= 0, else alpha * (exp(x) - 1)."""
    # expm1 of min(x, 0): the branch np.where discards cannot overflow for large positive x.
    return np.where(x >= 0, x, alpha * np.expm1(np.minimum(x, 0)))


def celu(x, alpha=1.0):
    """x for x >= 0, else alpha * (exp(x / alpha) - 1)."""
    return np.where(x >= 0, x, alpha * np.expm1(np.minimum(x, 0) / alpha))


SELU_ALPHA, SELU_SCALE = 1.6732632423543772, 1.0507009873554805


def selu(x):
    """scale * (x for x > 0, else alpha * (exp(x) - 1)), with the self-normalising constants."""
    return SELU_SCALE * np.where(x > 0, x, SELU_ALPHA * np.expm1(np.minimum(x, 0)))


# -- sigmoids and smooth rectifiers --------------------------------------------------------------

def sigmoid(x):
    """1 / (1 + exp(-x)), without overflow (`tracer.logistic`: one op when traced, whose derivative reads
    only its result; written with NumPy ops it kept five arrays alive for the backward pass)."""
    return tracer.logistic(x)


def hardsigmoid(x):
    """NNlib's hardsigmoid: clamp((x + 3) / 6, 0, 1)."""
    return np.clip((x + 3) / 6, 0, 1)


def tanh(x):
    return np.tanh(x)


def softplus(x):
    """log(1 + exp(x)) as log1p(exp(-|x|)) + max(x, 0): exact in both tails, never overflows."""
    return np.log1p(np.exp(-np.abs(x))) + np.maximum(x, 0)


def logsigmoid(x):
    """log(sigmoid(x)) = -softplus(-x), stable for large |x|."""
    return -softplus(-x)


def softsign(x):
    """x / (1 + |x|)."""
    return x / (1 + np.abs(x))


def swish(x):
    """x * sigmoid(x)."""
    return x * sigmoid(x)


def mish(x):
    """x * tanh(softplus(x))."""
    return x * np.tanh(softplus(x))


GELU_LAMBDA = math.sqrt(2 / math.pi)


def gelu_tanh(x):
    """NNlib's gelu: x/2 * (1 + tanh(sqrt(2/pi) * (x + 0.044715 x^3))).

    Computed as x * sigmoid(2 * sqrt(2/pi) * (x + 0.044715 x^3)), the same function: 1 + tanh(t)
    cancels to 0 for t below about -19 (float64), where the sigmoid keeps the tiny true value.
    """
    return x * sigmoid(2 * GELU_LAMBDA * (x + 0.044715 * (x * x * x)))


gelu = gelu_tanh  # NNlib: `const gelu = gelu_tanh` (so it also prints as gelu_tanh)


def gelu_erf(x):
    """The exact GELU, x * Phi(x) = x/2 * erfc(-x / sqrt(2)) (erfc keeps the negative tail accurate)."""
    return x / 2 * erfc(-x * math.sqrt(0.5))


# -- softmax -------------------------------------------------------------------------------------

def softmax(x, axis=-1):
    """exp(x) / sum(exp(x)) along `axis` (default: the last, NNlib's dims=1), shifted by the maximum.

    As NNlib: entries of -inf give 0; a slice whose maximum is +inf gives 1 at its +inf entries
    (shared) and 0 elsewhere; a slice of only -inf gives NaN.
    """
    # The shift does not change the result, so no derivative flows through it (as in JAX): the max's own
    # derivative (a mask of the ties) would cost a pass over x and cancel out exactly.
    top = tracer.stop_gradient(np.max(x, axis=axis, keepdims=True))
    with np.errstate(invalid="ignore"):  # inf - inf, only in slices replaced just below
        shifted = x - top
    # A slice whose maximum is +inf: exponents 0 at its +inf entries, -inf elsewhere, so that exp gives the
    # 1s and 0s shared below. Fixing the exponent (not exp's result) keeps exp(z) / sum(exp(z)) whole, which
    # reverse mode differentiates as one softmax and stores only its result (`passes/autodiff/rules/softmax.py`).
    at_inf = np.where(np.equal(x, np.inf), np.zeros_like(shifted), np.full_like(shifted, -np.inf))
    e = np.exp(np.where(top == np.inf, at_inf, shifted))
    return e / np.sum(e, axis=axis, keepdims=True)


def logsoftmax(x, axis=-1):
    """log(softmax(x)) along `axis`, computed as (x - max) - log(sum(exp(x - max))): never overflows.

    Infinities as NNlib's: a slice whose maximum is +inf gives 0 at its +inf entries and -inf elsewhere.
    """
    top = tracer.stop_gradient(np.max(x, axis=axis, keepdims=True))  # (see softmax)
    with np.errstate(invalid="ignore"):
        shifted = x - top
    at_inf = np.where(np.equal(x, np.inf), np.zeros_like(shifted), np.full_like(shifted, -np.inf))
    shifted = np.where(top == np.inf, at_inf, shifted)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


# -- the error function (NumPy has none) ---------------------------------------------------------

# Below the split: erf's Taylor series; above it: erfc's continued fraction. 1 - erf(z) loses
# relative accuracy as erfc(z) shrinks, so float32 and narrower switch earlier, at |z| = 1, where
# the fraction's 60 terms still reach 3e-9 (and 2e-16 at |z| = 2, the float64 split).
ERF_SPLIT = {8: 2.0, 4: 1.0, 2: 1.0}
# erf(z) = 2/sqrt(pi) * z * sum_n (-z^2)^n / (n! (2n + 1)); 30 terms reach 4e-16 at |z| = 2.
TAYLOR = tuple((-1) ** n / (math.factorial(n) * (2 * n + 1)) for n in range(30))
FRACTION_TERMS = 60


def _erf_small(z):
    """erf(z) for |z| at most the split (z clipped there by the caller)."""
    z2 = z * z
    total = TAYLOR[-1] + 0 * z2
    for coefficient in reversed(TAYLOR[:-1]):
        total = total * z2 + coefficient
    return (2 / math.sqrt(math.pi)) * z * total


def _erfc_large(z):
    """erfc(z) for z at least the split, relative accuracy kept deep in the tail:
    erfc(z) = exp(-z^2) / sqrt(pi) / (z + (1/2)/(z + 1/(z + (3/2)/(z + ...)))), evaluated bottom-up."""
    fraction = z
    for n in range(FRACTION_TERMS, 0, -1):
        fraction = z + (n / 2) / fraction
    return np.exp(-z * z) / (math.sqrt(math.pi) * fraction)


def _erf_branches(z):
    split = ERF_SPLIT.get(np.dtype(getattr(z, "dtype", np.float64)).itemsize, 2.0)
    small = np.abs(z) < split
    series = _erf_small(np.clip(z, -split, split))
    tail = _erfc_large(np.maximum(np.abs(z), split))  # erfc(|z|) where |z| >= split
    return small, series, tail


def erf(z):
    """The error function, elementwise (NumPy has none); floats keep their dtype."""
    small, series, tail = _erf_branches(z)
    return np.where(small, series, np.sign(z) * (1 - tail))


def erfc(z):
    """1 - erf(z), accurate (relatively) for large positive z where 1 - erf(z) would round to 0."""
    small, series, tail = _erf_branches(z)
    return np.where(small, 1 - series, np.where(z > 0, tail, 2 - tail))
