"""`lux.Training`: TrainState, compute_gradients, apply_gradients, single_train_step, checkpoints.

The chain of one `single_train_step_`: the objective's loss and its gradient (`tracer.value_and_grad`, our
reverse-mode pass) -> the optimiser's update -> one `tracer.jit` of both, compiled once per model, objective,
optimiser and data signature, cached on the TrainState and handed on to the states it returns; the
parameter and optimiser-state buffers are donated, so the update happens in place on the device.
"""

from __future__ import annotations

import dataclasses
import os
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
from jax import tree_util

import runtime
import tracer
from lux.errors import LuxValueError

__all__ = [
    "AutoEnzyme", "TrainState", "TrainingError", "adjust", "apply_gradients", "apply_gradients_",
    "compile_step", "compute_gradients", "load", "save", "single_train_step", "single_train_step_",
]

# After this many data signatures compiled for one step, a new one warns: a batch of another shape each
# step (often the last, smaller batch) recompiles every time.
_SIGNATURES_BEFORE_WARNING = 3


class TrainingError(LuxValueError):
    """Misuse of the training API: a wrong objective, mismatched trees, a checkpoint of another model."""


@dataclass(frozen=True)
class AutoEnzyme:
    """Selects our compiler-level reverse mode (`passes.autodiff`), under the name Lux users know."""


@dataclass(frozen=True)
class TrainState:
    """Everything a training loop carries: model, parameters, states, optimiser, optimiser state, step.

    Immutable: `apply_gradients` and `single_train_step` return a new one with `step + 1`. It is a pytree
    whose leaves are the parameters, states, optimiser state and step (model and optimiser are static).
    """

    model: Any
    parameters: Any
    states: Any
    optimizer: Any
    optimizer_state: Any = None
    step: int = 0
    # Compiled steps by (kind, objective, return_gradients): shared by the states a loop derives from this one.
    cache: dict = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self):
        if self.optimizer_state is None:
            object.__setattr__(self, "optimizer_state", self.optimizer.init(self.parameters))
        # The trees live on the device from the start: a step's first call then compiles the same program as
        # every later one (host arrays would select the runtime's packed-transfer variant once, then not).
        for name in ("parameters", "states", "optimizer_state"):
            tree = getattr(self, name)
            if any(isinstance(leaf, (np.ndarray, np.generic)) for leaf in tree_util.tree_leaves(tree)):
                object.__setattr__(self, name, runtime.to_device(tree))

    def replace(self, **changes) -> "TrainState":
        return dataclasses.replace(self, **changes)


tree_util.register_pytree_with_keys(
    TrainState,
    lambda ts: (((tree_util.GetAttrKey("parameters"), ts.parameters), (tree_util.GetAttrKey("states"), ts.states),
                 (tree_util.GetAttrKey("optimizer_state"), ts.optimizer_state), (tree_util.GetAttrKey("step"), ts.step)),
                (ts.model, ts.optimizer)),
    lambda aux, children: TrainState(aux[0], children[0], children[1], aux[1], children[2], children[3]),
)


def _check_ad(ad) -> None:
    if not isinstance(ad, AutoEnzyme):
        raise TrainingError(f"{type(ad).__name__} is not an AD backend pyreactant has",
                            fix="pass lux.AutoEnzyme() (our reverse mode)")


def _objective_value(objective: Callable, model, ps, st, data):
    out = objective(model, ps, st, data)
    if not isinstance(out, tuple) or len(out) != 3:
        got = f"a tuple of {len(out)}" if isinstance(out, tuple) else type(out).__name__
        raise TrainingError(f"the objective must return (loss, states, stats), got {got}",
                            fix="return (loss, st, {}) from the objective, or use a lux loss such as lux.MSELoss()")
    return out


def _gradients(objective, model, ps, st, data):
    def loss(ps_):
        value, st_new, stats = _objective_value(objective, model, ps_, st, data)
        return value, (st_new, stats)

    (value, (st_new, stats)), grads = tracer.value_and_grad(loss, has_aux=True)(ps)
    return grads, value, stats, st_new


def _apply_step(optimizer, opt_state, ps, grads):
    return optimizer.update(opt_state, ps, grads)


def _train_step(objective, model, optimizer, ps, st, opt_state, data, return_gradients):
    grads, value, stats, st_new = _gradients(objective, model, ps, st, data)
    opt_state, ps = optimizer.update(opt_state, ps, grads)
    return (grads if return_gradients else None), value, stats, ps, st_new, opt_state


def _compiled(ts: TrainState, key: tuple, fn: Callable, **options):
    """The `tracer.jit` of `fn` cached under `key` on the TrainState (and every state derived from it)."""
    jitted = ts.cache.get(key)
    if jitted is None:
        jitted = ts.cache[key] = tracer.jit(fn, **options)
    return jitted


def _warn_on_recompiles(jitted, what: str) -> None:
    size = jitted.cache_info["size"]
    if size > _SIGNATURES_BEFORE_WARNING and not getattr(jitted, "_lux_warned", False):
        jitted._lux_warned = True
        warnings.warn(f"lux.Training.{what} has compiled {size} versions of the step, one per shape of the data: "
                      "batches of varying shape recompile every time (fix: give every batch one shape, e.g. drop "
                      "or pad the last one)", stacklevel=3)


def compute_gradients(ad, objective: Callable, data, ts: TrainState):
    """`(grads, loss, stats, ts)`: the objective's gradient with respect to the parameters; `ts` carries the
    states the objective returned. `objective(model, ps, st, data) -> (loss, st, stats)` (a lux loss works)."""
    _check_ad(ad)
    jitted = _compiled(ts, ("compute", objective), _gradients)
    grads, value, stats, st = jitted(objective, ts.model, ts.parameters, ts.states, data)
    _warn_on_recompiles(jitted, "compute_gradients")
    return grads, value, stats, ts.replace(states=st)


def _apply(ts: TrainState, grads, *, donate: bool) -> TrainState:
    _check_trees("gradients", ts.parameters, grads)
    key = ("apply_", ) if donate else ("apply",)
    jitted = _compiled(ts, key, _apply_step, donate_argnums=(1, 2) if donate else ())
    opt_state, ps = jitted(ts.optimizer, ts.optimizer_state, ts.parameters, grads)
    return ts.replace(parameters=ps, optimizer_state=opt_state, step=ts.step + 1)


def apply_gradients(ts: TrainState, grads) -> TrainState:
    """A new TrainState with the optimiser's update of the parameters for `grads`, and `step + 1`."""
    return _apply(ts, grads, donate=False)


def apply_gradients_(ts: TrainState, grads) -> TrainState:
    """As `apply_gradients`, updating the parameter and optimiser-state buffers in place (they are donated:
    use the returned TrainState, not `ts`, afterwards)."""
    return _apply(ts, grads, donate=True)


def _step_function(objective, ts: TrainState, *, return_gradients: bool, sync: bool, donate: bool):
    key = ("step_" if donate else "step", objective, return_gradients, sync)
    return _compiled(ts, key, _train_step, static_argnums=(7,), donate_argnums=(3, 5) if donate else (), sync=sync)


def _step_arguments(objective, data, ts: TrainState, return_gradients: bool) -> tuple:
    return (objective, ts.model, ts.optimizer, ts.parameters, ts.states, ts.optimizer_state, data, return_gradients)


def compile_step(ad, objective: Callable, data, ts: TrainState, *, return_gradients: bool = True) -> tracer.Compiled:
    """The compiled program `single_train_step_` runs for this data signature (a `tracer.Compiled`):
    `.as_text("optimized")` shows the step's StableHLO after our passes, `.memory_stats()` its footprint."""
    _check_ad(ad)
    jitted = _step_function(objective, ts, return_gradients=return_gradients, sync=False, donate=True)
    return jitted.compile(*_step_arguments(objective, data, ts, return_gradients))


def _step(ad, objective, data, ts: TrainState, *, return_gradients: bool, sync: bool, donate: bool):
    _check_ad(ad)
    jitted = _step_function(objective, ts, return_gradients=return_gradients, sync=sync, donate=donate)
    grads, value, stats, ps, st, opt_state = jitted(*_step_arguments(objective, data, ts, return_gradients))
    _warn_on_recompiles(jitted, "single_train_step")
    return grads, value, stats, ts.replace(parameters=ps, states=st, optimizer_state=opt_state, step=ts.step + 1)


def single_train_step(ad, objective: Callable, data, ts: TrainState, *, return_gradients: bool = True,
                      sync: bool = False):
    """One compiled step, gradient and update together: `(grads, loss, stats, ts)`.

    `return_gradients=False` gives None for grads (they are not materialised); `sync=True` returns only
    after the step has run on the device.
    """
    return _step(ad, objective, data, ts, return_gradients=return_gradients, sync=sync, donate=False)


def single_train_step_(ad, objective: Callable, data, ts: TrainState, *, return_gradients: bool = True,
                       sync: bool = False):
    """`single_train_step` updating the parameter and optimiser-state buffers in place (donated: use the
    returned TrainState afterwards; the old one's arrays are gone)."""
    return _step(ad, objective, data, ts, return_gradients=return_gradients, sync=sync, donate=True)


def adjust(ts: TrainState, eta=None, **hyperparameters) -> TrainState:
    """A TrainState whose optimiser uses new hyperparameters (`adjust(ts, 1e-4)` sets the learning rate).
    They live in the optimiser state as arrays, so a compiled step is reused, not recompiled."""
    from lux import optimisers

    if eta is not None:
        hyperparameters["eta"] = eta
    return ts.replace(optimizer_state=optimisers.adjust(ts.optimizer_state, **hyperparameters))


# -- checkpoints --------------------------------------------------------------------------------------
def _flat(ts: TrainState) -> dict[str, np.ndarray]:
    paths, _ = tree_util.tree_flatten_with_path(ts)
    return {tree_util.keystr(path): np.asarray(leaf) for path, leaf in paths if leaf is not None}


def _check_trees(what: str, expected, given) -> None:
    expected_paths = [tree_util.keystr(p) for p, _ in tree_util.tree_flatten_with_path(expected)[0]]
    given_paths = [tree_util.keystr(p) for p, _ in tree_util.tree_flatten_with_path(given)[0]]
    if expected_paths != given_paths:
        first = next((a, b) for a, b in zip(expected_paths + ["<end>"], given_paths + ["<end>"]) if a != b)
        raise TrainingError(f"the {what} do not match the parameters' tree: the first difference is at "
                            f"{first[0]} (expected) vs {first[1]} (given)",
                            fix="pass a tree of the parameters' structure (as lux.setup returns it)")


def save(path: str | os.PathLike, ts: TrainState) -> None:
    """Write parameters, states, optimiser state and step to `path`: safetensors, or NumPy's `.npz` (never pickle)."""
    arrays = _flat(ts)
    path = os.fspath(path)
    if path.endswith(".npz"):
        np.savez(path, **arrays)
        return
    from safetensors.numpy import save_file

    save_file({name: np.array(array, order="C") for name, array in arrays.items()}, path)  # (0-d stays 0-d)


def load(path: str | os.PathLike, ts: TrainState) -> TrainState:
    """The TrainState `ts` with the arrays stored at `path`; the stored tree must match `ts`'s, path for path."""
    path = os.fspath(path)
    if path.endswith(".npz"):
        with np.load(path, allow_pickle=False) as stored:
            arrays = {name: stored[name] for name in stored.files}
    else:
        from safetensors.numpy import load_file

        arrays = load_file(path)
    paths, treedef = tree_util.tree_flatten_with_path(ts)
    leaves = []
    for key_path, leaf in paths:
        name = tree_util.keystr(key_path)
        if name not in arrays:
            raise TrainingError(f"the checkpoint {path} has no entry {name}: it was saved from another model or optimiser",
                                fix="load into a TrainState built like the one that was saved")
        stored = arrays.pop(name)
        if np.shape(stored) != np.shape(leaf) or stored.dtype != np.asarray(leaf).dtype:
            raise TrainingError(f"{name} in {path} is {stored.dtype}{list(np.shape(stored))}, the TrainState's is "
                                f"{np.asarray(leaf).dtype}{list(np.shape(leaf))}",
                                fix="load into a TrainState built like the one that was saved")
        leaves.append(stored if not isinstance(leaf, int) else int(stored))
    if arrays:
        raise TrainingError(f"the checkpoint {path} has entries the TrainState lacks, first {sorted(arrays)[0]}",
                            fix="load into a TrainState built like the one that was saved")
    restored = tree_util.tree_unflatten(treedef, leaves)
    device_leaves = any(isinstance(leaf, runtime.ConcreteArray) for leaf in tree_util.tree_leaves(ts))
    restored = runtime.to_device(restored) if device_leaves else restored
    return restored.replace(cache=ts.cache)
