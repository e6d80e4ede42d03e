"""Adaptive rules: RMSProp, Adam, AdamW, RAdam, AdaMax, NAdam, AMSGrad, AdaGrad, AdaDelta, AdaBelief, Lion.

Optimisers.jl's names, defaults and update formulas (per parameter array `x` with gradient `dx`; each rule
returns the step `Δ` and `x ← x - Δ`; `t` counts steps from 1; `²`, `√`, `/`, `max` are elementwise).
Each docstring says where optax computes something else and how the tests configure optax to agree.
Scalars built from hyperparameters (1 - β, the bias corrections `c1 = 1 - β1^t`, `c2 = 1 - β2^t`) are computed
in the hyperparameters' dtype, then cast to the parameter's (see `_core`).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from lux.optimisers._core import AbstractRule, static

__all__ = ["AMSGrad", "AdaBelief", "AdaDelta", "AdaGrad", "AdaMax", "Adam", "AdamW", "Lion", "NAdam", "RAdam",
           "RMSProp"]


def _decays(hyper: dict, step=None) -> dict:
    """`hyper` with β1, β2 and 1 - β1, 1 - β2 as separate scalars, and with the new step count `t` the bias
    corrections `c1 = 1 - β1^t`, `c2 = 1 - β2^t`. All in the hyperparameters' dtype: cast to bfloat16 first,
    β2 = 0.999 would be 1 and 1 - β2 zero."""
    b1, b2 = hyper["beta"]
    s = {**hyper, "b1": b1, "b2": b2, "1-b1": 1 - b1, "1-b2": 1 - b2}
    if step is not None:
        t = step.astype(b1.dtype)
        s.update(c1=1 - b1 ** t, c2=1 - b2 ** t)
    del s["beta"]
    return s


def _moments(s, moments, dx):
    """Adam's exponential averages of the gradient and of its square."""
    return s["b1"] * moments["mt"] + s["1-b1"] * dx, s["b2"] * moments["vt"] + s["1-b2"] * (dx * dx)


@dataclasses.dataclass(frozen=True)
class RMSProp(AbstractRule):
    """RMSProp, and with `centred=True` centred RMSProp (normalising by an estimate of the variance).

    Arguments: `eta` (η, default 0.001), `rho` (ρ, default 0.9), `epsilon` (ϵ, default 1e-8);
    keyword `centred` (default False).
    Formula: `q ← ρ q + (1-ρ) dx²`; centred: `l ← ρ l + (1-ρ) dx`, else `l = 0`; `Δ = η dx / (√(q - l²) + ϵ)`.
    optax: `optax.rmsprop` puts ϵ inside the square root by default; `eps_in_sqrt=False` (and
    `centered=centred`) gives this rule.
    State: `quad`, and `lin` when centred.
    """

    eta: float = 0.001
    rho: float = 0.9
    epsilon: float = 1e-8
    centred: bool = static(False)

    def moment_names(self):
        return ("quad", "lin") if self.centred else ("quad",)

    def scalars(self, hyper, step):
        return {**hyper, "1-rho": 1 - hyper["rho"]}

    def apply(self, s, moments, x, dx):
        rho = s["rho"]
        quad = rho * moments["quad"] + s["1-rho"] * (dx * dx)
        if not self.centred:
            return {"quad": quad}, dx * s["eta"] / (np.sqrt(quad) + s["epsilon"])
        lin = rho * moments["lin"] + s["1-rho"] * dx
        return {"quad": quad, "lin": lin}, dx * s["eta"] / (np.sqrt(quad - lin * lin) + s["epsilon"])


@dataclasses.dataclass(frozen=True)
class Adam(AbstractRule):
    """Adam.

    Arguments: `eta` (η, default 0.001), `beta` ((β1, β2), default (0.9, 0.999)), `epsilon` (ϵ, default 1e-8).
    Formula: `m ← β1 m + (1-β1) dx`, `v ← β2 v + (1-β2) dx²`, `Δ = η (m / c1) / (√(v / c2) + ϵ)`.
    optax: `optax.adam(η, b1, b2, eps)`, the same.
    State: `mt`, `vt` (and the step count for `c1`, `c2`).
    """

    eta: float = 0.001
    beta: tuple[float, float] = (0.9, 0.999)
    epsilon: float = 1e-8

    def moment_names(self):
        return ("mt", "vt")

    def scalars(self, hyper, step):
        return _decays(hyper, step)

    def apply(self, s, moments, x, dx):
        mt, vt = _moments(s, moments, dx)
        return {"mt": mt, "vt": vt}, mt / s["c1"] / (np.sqrt(vt / s["c2"]) + s["epsilon"]) * s["eta"]


@dataclasses.dataclass(frozen=True)
class AdamW(AbstractRule):
    """Adam with weight decay (Optimisers.jl 0.4's AdamW, like PyTorch's by default).

    Arguments: `eta` (η, default 0.001), `beta` (default (0.9, 0.999)), `lambda_` (λ, weight decay, default 0),
    `epsilon` (ϵ, default 1e-8); keyword `couple` (default True).
    Formula: with `a = (m / c1) / (√(v / c2) + ϵ)` Adam's step at learning rate 1,
    `Δ = η (a + λ x)` when `couple`, else `Δ = η a + λ x` (decay not scaled by η, as in the AdamW paper).
    optax: `optax.adamw(η, b1, b2, eps, weight_decay=λ)` is the coupled form; the decoupled one is
    `chain(scale_by_adam(), scale(η), add_decayed_weights(λ))` then the descent.
    Difference from Optimisers.jl: for float16 parameters ϵ gets the same 1e-7 floor as the other rules
    (Optimisers.jl's AdamW alone skips it).
    State: `mt`, `vt`.
    """

    eta: float = 0.001
    beta: tuple[float, float] = (0.9, 0.999)
    lambda_: float = 0.0
    epsilon: float = 1e-8
    couple: bool = static(True)

    def moment_names(self):
        return ("mt", "vt")

    def scalars(self, hyper, step):
        return _decays(hyper, step)

    def apply(self, s, moments, x, dx):
        mt, vt = _moments(s, moments, dx)
        adam = mt / s["c1"] / (np.sqrt(vt / s["c2"]) + s["epsilon"])
        eta, decay = s["eta"], s["lambda_"]
        step = eta * (adam + decay * x) if self.couple else eta * adam + decay * x
        return {"mt": mt, "vt": vt}, step


@dataclasses.dataclass(frozen=True)
class RAdam(AbstractRule):
    """Rectified Adam: plain momentum steps until the variance estimate is tractable.

    Arguments: `eta` (η, default 0.001), `beta` (default (0.9, 0.999)), `epsilon` (ϵ, default 1e-8).
    Formula: Adam's `m`, `v`; `ρ∞ = 2/(1-β2) - 1`, `ρ = ρ∞ - 2t β2^t / (1 - β2^t)`; when `ρ > 4`,
    `r = √((ρ-4)(ρ-2)ρ∞ / ((ρ∞-4)(ρ∞-2)ρ))` and `Δ = η r (m / c1) / (√(v / c2) + ϵ)`, else `Δ = η m / c1`.
    optax: `optax.radam` switches at `ρ ≥ threshold` with threshold 5 by default; `threshold=4` gives this
    rule (they differ only when ρ is exactly 4). The switch is a select on a 0-d value, so it traces.
    State: `mt`, `vt`.
    """

    eta: float = 0.001
    beta: tuple[float, float] = (0.9, 0.999)
    epsilon: float = 1e-8

    def moment_names(self):
        return ("mt", "vt")

    def scalars(self, hyper, step):
        s = _decays(hyper, step)
        b2 = hyper["beta"][1]
        t = step.astype(b2.dtype)
        b2t = b2 ** t
        rho_inf = 2 / (1 - b2) - 1
        rho = rho_inf - 2 * t * b2t / (1 - b2t)
        # Below ρ = 4 the product is negative (and unused): clamp it so the square root stays quiet.
        ratio = np.maximum((rho - 4) * (rho - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho), 0)
        return {**s, "r": np.sqrt(ratio), "rectify": rho > 4}

    def apply(self, s, moments, x, dx):
        mt, vt = _moments(s, moments, dx)
        m_hat = mt / s["c1"]
        rectified = m_hat / (np.sqrt(vt / s["c2"]) + s["epsilon"]) * s["eta"] * s["r"]
        return {"mt": mt, "vt": vt}, np.where(s["rectify"], rectified, m_hat * s["eta"])


@dataclasses.dataclass(frozen=True)
class AdaMax(AbstractRule):
    """AdaMax, Adam with the infinity norm.

    Arguments: `eta` (η, default 0.001), `beta` (default (0.9, 0.999)), `epsilon` (ϵ, default 1e-8).
    Formula: `m ← β1 m + (1-β1) dx`, `u ← max(β2 u, |dx|)`, `Δ = (η / c1) m / (u + ϵ)`.
    optax: `optax.adamax` adds ϵ inside the max (`u ← max(β2 u, |dx| + ϵ)`, `Δ = η (m / c1) / u`); the two
    agree when ϵ = 0, which is how the tests compare them (and check ϵ ≠ 0 against a NumPy reference).
    State: `mt`, `ut`.
    """

    eta: float = 0.001
    beta: tuple[float, float] = (0.9, 0.999)
    epsilon: float = 1e-8

    def moment_names(self):
        return ("mt", "ut")

    def scalars(self, hyper, step):
        return _decays(hyper, step)

    def apply(self, s, moments, x, dx):
        mt = s["b1"] * moments["mt"] + s["1-b1"] * dx
        ut = np.maximum(s["b2"] * moments["ut"], np.abs(dx))
        return {"mt": mt, "ut": ut}, (s["eta"] / s["c1"]) * mt / (ut + s["epsilon"])


@dataclasses.dataclass(frozen=True)
class NAdam(AbstractRule):
    """NAdam, Adam with Nesterov momentum (Dozat's algorithm 2).

    Arguments: `eta` (η, default 0.001), `beta` (default (0.9, 0.999)), `epsilon` (ϵ, default 1e-8).
    Formula: Adam's `m`, `v`; `m̂ = β1 m / (1 - β1^(t+1)) + (1-β1) dx / c1`,
    `Δ = η m̂ / (√(β2 v / c2) + ϵ)`.
    optax: `optax.nadam` leaves out the factor β2 under the square root (its source says why); with ϵ = 0
    the two differ by the constant √β2, so optax at learning rate `η / √β2` matches this rule, as the tests do.
    State: `mt`, `vt`.
    """

    eta: float = 0.001
    beta: tuple[float, float] = (0.9, 0.999)
    epsilon: float = 1e-8

    def moment_names(self):
        return ("mt", "vt")

    def scalars(self, hyper, step):
        s = _decays(hyper, step)
        b1 = hyper["beta"][0]
        return {**s, "c1_next": 1 - b1 ** (step + 1).astype(b1.dtype)}

    def apply(self, s, moments, x, dx):
        mt, vt = _moments(s, moments, dx)
        m_hat = s["b1"] * mt / s["c1_next"] + s["1-b1"] * dx / s["c1"]
        return {"mt": mt, "vt": vt}, m_hat / (np.sqrt(vt * s["b2"] / s["c2"]) + s["epsilon"]) * s["eta"]


@dataclasses.dataclass(frozen=True)
class AMSGrad(AbstractRule):
    """AMSGrad, Adam with the running maximum of the second moment.

    Arguments: `eta` (η, default 0.001), `beta` (default (0.9, 0.999)), `epsilon` (ϵ, default 1e-8).
    Formula: `m`, `v`, `v̂` all start at ϵ; `m ← β1 m + (1-β1) dx`, `v ← β2 v + (1-β2) dx²`, `v̂ ← max(v̂, v)`,
    `Δ = η m / (√v̂ + ϵ)`: no bias correction, as in the AMSGrad paper.
    optax: `optax.amsgrad` starts at 0 and bias-corrects by default; with `bias_correction_mu=False,
    bias_correction_nu=False` and ϵ = 0 on both sides they agree (the tests also check ϵ ≠ 0 against NumPy).
    State: `mt`, `vt`, `vhat`.
    """

    eta: float = 0.001
    beta: tuple[float, float] = (0.9, 0.999)
    epsilon: float = 1e-8

    def moment_names(self):
        return ("mt", "vt", "vhat")

    def init_moment(self, name, x):
        return np.full(x.shape, self.epsilon, x.dtype)

    def scalars(self, hyper, step):
        return _decays(hyper)

    def apply(self, s, moments, x, dx):
        mt, vt = _moments(s, moments, dx)
        vhat = np.maximum(moments["vhat"], vt)
        return {"mt": mt, "vt": vt, "vhat": vhat}, s["eta"] * mt / (np.sqrt(vhat) + s["epsilon"])


@dataclasses.dataclass(frozen=True)
class AdaGrad(AbstractRule):
    """AdaGrad: per-entry learning rates from the sum of squared gradients.

    Arguments: `eta` (η, default 0.1), `epsilon` (ϵ, default 1e-8).
    Formula: `a` starts at ϵ; `a ← a + dx²`, `Δ = η dx / (√a + ϵ)`.
    optax: `optax.adagrad` starts at `initial_accumulator_value` (0.1) and puts its ϵ inside the square root;
    `initial_accumulator_value=0, eps=0` against ϵ = 0 here agree (the tests check ϵ ≠ 0 against NumPy).
    State: `acc`.
    """

    eta: float = 0.1
    epsilon: float = 1e-8

    def moment_names(self):
        return ("acc",)

    def init_moment(self, name, x):
        return np.full(x.shape, self.epsilon, x.dtype)

    def apply(self, s, moments, x, dx):
        acc = moments["acc"] + dx * dx
        return {"acc": acc}, dx * s["eta"] / (np.sqrt(acc) + s["epsilon"])


@dataclasses.dataclass(frozen=True)
class AdaDelta(AbstractRule):
    """AdaDelta: AdaGrad with windowed averages and no learning rate.

    Arguments: `rho` (ρ, default 0.9), `epsilon` (ϵ, default 1e-8). There is no `eta`, as in Optimisers.jl.
    Formula: `a ← ρ a + (1-ρ) dx²`, `Δ = dx √(d + ϵ) / √(a + ϵ)` (with the old `d`), `d ← ρ d + (1-ρ) Δ²`.
    optax: `optax.adadelta(1.0, rho=ρ, eps=ϵ)`, the same (optax's default ϵ is 1e-6).
    State: `acc`, `dacc`.
    """

    rho: float = 0.9
    epsilon: float = 1e-8

    def moment_names(self):
        return ("acc", "dacc")

    def scalars(self, hyper, step):
        return {**hyper, "1-rho": 1 - hyper["rho"]}

    def apply(self, s, moments, x, dx):
        rho, eps = s["rho"], s["epsilon"]
        acc = rho * moments["acc"] + s["1-rho"] * (dx * dx)
        step = dx * np.sqrt(moments["dacc"] + eps) / np.sqrt(acc + eps)
        return {"acc": acc, "dacc": rho * moments["dacc"] + s["1-rho"] * (step * step)}, step


@dataclasses.dataclass(frozen=True)
class AdaBelief(AbstractRule):
    """AdaBelief: Adam whose second moment tracks the gradient's deviation from its average.

    Arguments: `eta` (η, default 0.001), `beta` (default (0.9, 0.999)), `epsilon` (ϵ, default 1e-16).
    Formula: `m ← β1 m + (1-β1) dx`, `s ← β2 s + (1-β2) (dx - m)² + ϵ`, `Δ = η (m / c1) / (√(s / c2) + ϵ)`.
    optax: `optax.adabelief(η, b1, b2, eps=ϵ, eps_root=ϵ)`, the same.
    State: `mt`, `st`.
    """

    eta: float = 0.001
    beta: tuple[float, float] = (0.9, 0.999)
    epsilon: float = 1e-16

    def moment_names(self):
        return ("mt", "st")

    def scalars(self, hyper, step):
        return _decays(hyper, step)

    def apply(self, s, moments, x, dx):
        eps = s["epsilon"]
        mt = s["b1"] * moments["mt"] + s["1-b1"] * dx
        deviation = dx - mt
        st = s["b2"] * moments["st"] + s["1-b2"] * (deviation * deviation) + eps
        return {"mt": mt, "st": st}, s["eta"] * mt / s["c1"] / (np.sqrt(st / s["c2"]) + eps)


@dataclasses.dataclass(frozen=True)
class Lion(AbstractRule):
    """Lion (evolved sign momentum): steps of equal size in every entry.

    Arguments: `eta` (η, default 0.001), `beta` ((β1, β2), default (0.9, 0.999)).
    Formula (the paper's): `Δ = η sign(β1 m + (1-β1) dx)`, then `m ← β2 m + (1-β2) dx`.
    optax: `optax.lion(η, b1, b2, weight_decay=0)`, the same (optax's default β2 is 0.99 and it adds a weight
    decay of 1e-3 by default).
    Difference from Optimisers.jl 0.4: its Lion updates the momentum as `m ← β2 dx + (1-β2) m`, with β2 and
    1-β2 exchanged, while its step assumes the paper's `m`; at the default β2 = 0.999 its `m` is almost the
    last gradient. We follow the paper (and optax); trajectories differ from Optimisers.jl's from step 2 on.
    State: `mt`.
    """

    eta: float = 0.001
    beta: tuple[float, float] = (0.9, 0.999)

    def moment_names(self):
        return ("mt",)

    def scalars(self, hyper, step):
        return _decays(hyper)

    def apply(self, s, moments, x, dx):
        mt = moments["mt"]
        step = s["eta"] * np.sign(s["b1"] * mt + s["1-b1"] * dx)
        return {"mt": s["b2"] * mt + s["1-b2"] * dx}, step
