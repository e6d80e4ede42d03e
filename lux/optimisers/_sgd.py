"""Gradient descent with and without momentum: Descent, Momentum, Nesterov (Optimisers.jl's names and defaults).

Formulas per parameter array `x` with gradient `dx`; each rule returns the step `Δ` and `x ← x - Δ`.
"""

from __future__ import annotations

import dataclasses

from lux.optimisers._core import AbstractRule

__all__ = ["Descent", "Momentum", "Nesterov"]


@dataclasses.dataclass(frozen=True)
class Descent(AbstractRule):
    """Plain gradient descent.

    Arguments: `eta` (η, learning rate, default 0.1).
    Formula: `Δ = η dx`.
    optax: `optax.sgd(η)`, the same.
    State: no accumulators.
    """

    eta: float = 0.1

    def apply(self, s, moments, x, dx):
        return {}, s["eta"] * dx


@dataclasses.dataclass(frozen=True)
class Momentum(AbstractRule):
    """Gradient descent with (heavy-ball) momentum.

    Arguments: `eta` (η, learning rate, default 0.01), `rho` (ρ, momentum, default 0.9).
    Formula: `v ← ρ v + η dx`, `Δ = v` (v starts at 0).
    optax: `optax.sgd(η, momentum=ρ)` keeps `t ← ρ t + dx` and steps `η t`: the same while η is constant;
    after a change of η ours keeps the velocity already scaled by the old η, as Optimisers.jl does.
    State: `velocity`.
    """

    eta: float = 0.01
    rho: float = 0.9

    def moment_names(self):
        return ("velocity",)

    def apply(self, s, moments, x, dx):
        velocity = s["rho"] * moments["velocity"] + s["eta"] * dx
        return {"velocity": velocity}, velocity


@dataclasses.dataclass(frozen=True)
class Nesterov(AbstractRule):
    """Gradient descent with Nesterov momentum.

    Arguments: `eta` (η, learning rate, default 0.001), `rho` (ρ, momentum, default 0.9).
    Formula: `Δ = (1 + ρ) η dx - ρ² v`, then `v ← ρ v - η dx` (v starts at 0).
    optax: `optax.sgd(η, momentum=ρ, nesterov=True)` keeps `t ← ρ t + dx` and steps `η (dx + ρ t)`; with
    `v = -η t` that is the same step (while η is constant).
    State: `velocity`.
    """

    eta: float = 0.001
    rho: float = 0.9

    def moment_names(self):
        return ("velocity",)

    def scalars(self, hyper, step):
        eta, rho = hyper["eta"], hyper["rho"]
        return {**hyper, "(1+rho)*eta": (1 + rho) * eta, "rho^2": rho * rho}

    def apply(self, s, moments, x, dx):
        velocity = moments["velocity"]
        step = s["(1+rho)*eta"] * dx - s["rho^2"] * velocity  # from the old velocity
        return {"velocity": s["rho"] * velocity - s["eta"] * dx}, step
