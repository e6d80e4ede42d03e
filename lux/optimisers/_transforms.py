"""Rules that transform the gradient for the next rule of an OptimiserChain: ClipGrad, ClipNorm, WeightDecay,
SignDecay, and OptimiserChain itself (Optimisers.jl's names, defaults and formulas).

Alone each of them is also a rule (the step is the transformed gradient, at learning rate 1), as in
Optimisers.jl: `OptimiserChain(ClipNorm(1.0), WeightDecay(1e-4), Adam(1e-3))` clips, adds the decay, then
runs Adam on the result.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from lux.optimisers._core import (
    _FIX_REBUILD,
    AbstractRule,
    HyperparameterError,
    NonFiniteGradientError,
    TreeMismatchError,
    _describe_state,
    _LeafFailure,
    static,
)

__all__ = ["ClipGrad", "ClipNorm", "OptimiserChain", "SignDecay", "WeightDecay"]


@dataclasses.dataclass(frozen=True)
class ClipGrad(AbstractRule):
    """Clamps every gradient entry into `[-δ, δ]`.

    Arguments: `delta` (δ, default 10).
    Formula: `dx ← clamp(dx, -δ, δ)`.
    optax: `optax.clip(δ)`, the same.
    """

    delta: float = 10.0

    def apply(self, s, moments, x, dx):
        delta = s["delta"]
        return {}, np.clip(dx, -delta, delta)


@dataclasses.dataclass(frozen=True)
class ClipNorm(AbstractRule):
    """Rescales each gradient array whose p-norm exceeds ω down to norm ω.

    Arguments: `omega` (ω, default 10), `p` (default 2; also 1, 0, ±inf or any other real); keyword `throw`
    (default True).
    Formula: per parameter array, `n = ‖dx‖_p`, `dx ← dx · min(ω / n, 1)`. For float16 and bfloat16 `n` is
    computed in float32, where the sum of squares does not overflow.
    `throw=True` raises `NonFiniteGradientError` naming the parameter when `n` is inf or NaN. That check needs
    the value, so it runs on NumPy (eager) updates only: under `tracer.jit`, as with `throw=False`, an inf norm
    scales by 0 (finite entries take no step, inf ones become NaN: inf · 0) and a NaN norm gives NaN.
    optax: `optax.clip_by_global_norm(ω)` takes one norm over the whole tree, this rule one per array (as
    Optimisers.jl); for a tree of one array they agree, and the tests compare each array with optax on its own.
    """

    omega: float = 10.0
    p: float = static(2.0, kw_only=False)
    throw: bool = static(True)

    def apply(self, s, moments, x, dx):
        norm = _norm(dx, self.p)
        if self.throw and isinstance(norm, (np.ndarray, np.generic)) and not np.isfinite(norm):
            raise _LeafFailure(NonFiniteGradientError, f"ClipNorm: the gradient has {self.p:g}-norm {float(norm)}",
                               "find where the loss or its gradient overflows, or use ClipNorm(..., throw=False)")
        omega = s["omega"].astype(norm.dtype)
        # min(ω/n, 1) without dividing by zero: n ≤ ω gives ω/ω = 1 exactly, and ω = 0 gives 0.
        scale = omega / np.maximum(np.maximum(norm, omega), np.finfo(norm.dtype).tiny)
        return {}, dx * scale.astype(dx.dtype)


def _norm(dx, p: float):
    """`‖dx‖_p` as a 0-d array, at least in float32."""
    if dx.dtype.itemsize < 4:
        dx = dx.astype(np.float32)
    if p == 2:
        return np.sqrt(np.sum(dx * dx))
    if p == 1:
        return np.sum(np.abs(dx))
    if p == math.inf:
        return np.max(np.abs(dx))
    if p == -math.inf:
        return np.min(np.abs(dx))
    if p == 0:
        return np.sum(dx != 0).astype(dx.dtype)
    return np.sum(np.abs(dx) ** p) ** (1 / p)


@dataclasses.dataclass(frozen=True)
class WeightDecay(AbstractRule):
    """L2 regularisation: adds `λ x` to the gradient (first in an OptimiserChain, for L2 on the loss).

    Arguments: `lambda_` (λ, default 5e-4; Python spells Optimisers.jl's `lambda` with an underscore).
    Formula: `dx ← dx + λ x`.
    optax: `optax.add_decayed_weights(λ)`, the same.
    """

    lambda_: float = 5e-4

    def apply(self, s, moments, x, dx):
        return {}, dx + s["lambda_"] * x


@dataclasses.dataclass(frozen=True)
class SignDecay(AbstractRule):
    """L1 regularisation: adds `λ sign(x)` to the gradient.

    Arguments: `lambda_` (λ, default 1e-3).
    Formula: `dx ← dx + λ sign(x)`.
    optax: no equivalent; the tests compare with a NumPy reference.
    """

    lambda_: float = 1e-3

    def apply(self, s, moments, x, dx):
        return {}, dx + s["lambda_"] * np.sign(x)


@dataclasses.dataclass(frozen=True, init=False)
class OptimiserChain(AbstractRule):
    """Rules applied in order, each to the gradient the previous one returned: `OptimiserChain(*opts)`.

    `OptimiserChain()` is the identity (a step of the whole gradient, like `Descent(1)`).
    optax: `optax.chain(...)` of the equivalent transformations (optax's rules end with the `-η` scaling,
    which ours apply as part of the step).
    State: `{"chain": (state of opts[0], state of opts[1], ...)}`; `adjust` changes every rule that has the
    hyperparameter.
    """

    opts: tuple

    def __init__(self, *opts):
        for opt in opts:
            if not isinstance(opt, AbstractRule):
                raise HyperparameterError(f"OptimiserChain takes rules, and was given {opt!r}",
                                          fix="pass rule objects, e.g. OptimiserChain(ClipGrad(1.0), Adam(1e-3))")
        object.__setattr__(self, "opts", tuple(opts))

    def __repr__(self):
        return f"OptimiserChain({', '.join(map(repr, self.opts))})"

    @classmethod
    def hyperparameter_names(cls):
        return ()

    def _init(self, xs, treedef, dtype):
        return {"chain": tuple(opt._init(xs, treedef, dtype) for opt in self.opts)}

    def _check_state(self, state, ps, xs, treedef):
        if not (isinstance(state, dict) and set(state) == {"chain"} and isinstance(state["chain"], tuple)
                and len(state["chain"]) == len(self.opts)):
            have = (f"a chain of {len(state['chain'])} states" if isinstance(state, dict) and "chain" in state
                    else _describe_state(state))
            raise TreeMismatchError(f"{self!r}.update was given {have}, not a state of this chain of "
                                    f"{len(self.opts)} rules", fix=_FIX_REBUILD)
        for opt, sub in zip(self.opts, state["chain"]):
            opt._check_state(sub, ps, xs, treedef)

    def _transform(self, state, xs, dxs, treedef):
        states = []
        for opt, sub in zip(self.opts, state["chain"]):
            sub, dxs = opt._transform(sub, xs, dxs, treedef)
            states.append(sub)
        return {"chain": tuple(states)}, dxs
