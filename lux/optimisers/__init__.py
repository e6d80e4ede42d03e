"""Optimisers.jl's rules for lux, written with NumPy and `tracer` only: they run eagerly on NumPy arrays and
traced inside `tracer.jit`, with hyperparameters as 0-d arrays in the state (a schedule never recompiles).

    opt = lux.optimisers.OptimiserChain(lux.optimisers.ClipNorm(1.0), lux.optimisers.Adam(1e-3))
    state = opt.init(ps)
    state, ps = opt.update(state, ps, grads)                # or tracer.jit(opt.update)(state, ps, grads)
    state = lux.optimisers.adjust(state, eta=1e-4)          # same compiled update, new learning rate

Modules: `_core` (the protocol, trees, errors, `adjust`), `_sgd` (Descent, Momentum, Nesterov), `_adaptive`
(RMSProp ... Lion), `_transforms` (OptimiserChain, ClipGrad, ClipNorm, WeightDecay, SignDecay).
"""

from lux.optimisers._adaptive import (
    AMSGrad,
    AdaBelief,
    AdaDelta,
    AdaGrad,
    AdaMax,
    Adam,
    AdamW,
    Lion,
    NAdam,
    RAdam,
    RMSProp,
)
from lux.optimisers._core import (
    AbstractRule,
    HyperparameterError,
    NonFiniteGradientError,
    OptimiserError,
    ParameterTypeError,
    TreeMismatchError,
    adjust,
    hyperparameters,
)
from lux.optimisers._sgd import Descent, Momentum, Nesterov
from lux.optimisers._transforms import ClipGrad, ClipNorm, OptimiserChain, SignDecay, WeightDecay

__all__ = [
    # the protocol
    "AbstractRule", "adjust", "hyperparameters",
    # rules
    "Descent", "Momentum", "Nesterov",
    "RMSProp", "Adam", "AdamW", "RAdam", "AdaMax", "NAdam", "AMSGrad", "AdaGrad", "AdaDelta", "AdaBelief", "Lion",
    # composition
    "OptimiserChain", "ClipGrad", "ClipNorm", "WeightDecay", "SignDecay",
    # errors
    "OptimiserError", "TreeMismatchError", "ParameterTypeError", "HyperparameterError", "NonFiniteGradientError",
]
