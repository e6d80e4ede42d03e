"""`lux.Training`: TrainState, compute_gradients, apply_gradients, single_train_step, checkpoints.

The chain of one `single_train_step_`: the objective's loss and its gradient (`tracer.value_and_grad`, our
reverse-mode pass) -> the optimiser's update -> one `tracer.jit` of both, compiled once per model, objective,
optimiser and data signature, cached on the TrainState and handed on to the states it returns; the
parameter and optimiser-state buffers are donated, so the update happens in place on the device.
"""

from __future__ import annotations

import copy
import dataclasses
import inspect
import os
import sys
import warnings
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
from jax import tree_util

import runtime
import tracer
from tracer.carried_call import CarriedCall
from tracer.signature import leaf_keys
from ir.location import describe, user_frame
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


@dataclass(frozen=True, eq=False)  # (identity: `==` of array trees would have no single truth value)
class TrainState:
    """Everything a training loop carries: model, parameters, states, optimiser, optimiser state, step.

    Immutable: `apply_gradients` and `single_train_step` return a new one with `step + 1`. It is a pytree
    whose leaves are the parameters, states, optimiser state and step (model and optimiser are static);
    rebuilding one from its leaves (`tree_map`, `lux.cpu_device()(ts)`) keeps them as they are.

    Arguments:
        model: a lux layer.
        parameters, states: the trees `lux.setup(rng, model)` returns (NumPy arrays are moved to the device).
        optimizer: a rule from `lux.optimisers`, e.g. `Adam(1e-3)`.
        optimizer_state: None (the default) for `optimizer.init(parameters)`.
    """

    model: Any
    parameters: Any
    states: Any
    optimizer: Any
    optimizer_state: Any = None
    step: int = 0
    # Compiled programs by (kind, objective, options): shared by the states a loop derives from this one.
    cache: dict = field(default_factory=dict, compare=False, repr=False)
    # `file:line` of the in-place step (`single_train_step_`, `apply_gradients_`) that took this state's
    # parameter and optimiser-state buffers; None while they are live.
    donated_at: str | None = field(default=None, init=False, compare=False, repr=False)

    def __post_init__(self):
        from lux import optimisers

        if not isinstance(self.optimizer, optimisers.AbstractRule):
            raise TrainingError(f"the optimizer is {self.optimizer!r}, not a lux.optimisers rule",
                                fix="pass a rule from lux.optimisers, e.g. lux.optimisers.Adam(1e-3)")
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

    def __deepcopy__(self, memo) -> "TrainState":
        # The arrays are copied (on the device); model, optimiser and the compiled steps are shared, as the
        # states a loop derives share them (a compiled program holds locks and executables, not copyable).
        trees = copy.deepcopy((self.parameters, self.states, self.optimizer_state, self.step), memo)
        return _successor(self, **dict(zip((*_STATE_TREES, "step"), trees)))

    def __getattr__(self, name):
        # Called only for an attribute the instance lacks: the trees of a state an in-place step returned,
        # which hold its carried buffers (`_Carried`) until they are first read.
        carried = self.__dict__.get("_carried")
        if carried is None or name not in _STATE_TREES:
            raise AttributeError(f"'TrainState' object has no attribute '{name}'")
        for tree_name, tree in zip(_STATE_TREES, carried.trees(self.donated_at)):
            object.__setattr__(self, tree_name, tree)
        return self.__dict__[name]


# The trees a step carries to the next one, in the order the step function takes them.
_STATE_TREES = ("parameters", "states", "optimizer_state")
# (The default lives in the generated __init__; without the class attribute an unset `optimizer_state` reaches
# `__getattr__`, as the other two trees do.)
del TrainState.optimizer_state


def _train_state_children(ts: TrainState):
    return (((tree_util.GetAttrKey("parameters"), ts.parameters), (tree_util.GetAttrKey("states"), ts.states),
             (tree_util.GetAttrKey("optimizer_state"), ts.optimizer_state), (tree_util.GetAttrKey("step"), ts.step)),
            (ts.model, ts.optimizer))


def _train_state_from_children(aux, children) -> TrainState:
    # Not through `__init__`: a pytree rebuilt from its leaves holds exactly those leaves (no optimiser
    # init, no move to the device), whatever they are (host arrays, shapes, tracers).
    ts = object.__new__(TrainState)
    values = dict(zip(("parameters", "states", "optimizer_state", "step"), children),
                  model=aux[0], optimizer=aux[1], cache={}, donated_at=None)
    for name, value in values.items():
        object.__setattr__(ts, name, value)
    return ts


tree_util.register_pytree_with_keys(TrainState, _train_state_children, _train_state_from_children)


def _successor(ts: TrainState, **changes) -> TrainState:
    """`ts.replace(**changes)` for what a compiled step returned (device arrays of the same trees): without
    `__post_init__`'s walk over every leaf, which costs as much as the rest of a small model's step."""
    if "_carried" in ts.__dict__:
        ts.parameters  # noqa: B018  (wraps the carried trees: the ones not changed are handed on)
    new = object.__new__(TrainState)
    new.__dict__.update(ts.__dict__, donated_at=None, **changes)
    new.__dict__.pop("_carried", None)
    return new


def _check_ad(ad) -> None:
    if not isinstance(ad, AutoEnzyme):
        raise TrainingError(f"{type(ad).__name__} is not an AD backend pyreactant has",
                            fix="pass lux.AutoEnzyme() (our reverse mode)")


def _objective_value(objective: Callable, model, ps, st, data):
    _check_objective_signature(objective)
    out = objective(model, ps, st, data)
    if not isinstance(out, tuple) or len(out) != 3:
        got = f"a tuple of {len(out)}" if isinstance(out, tuple) else type(out).__name__
        raise TrainingError(f"the objective {_name(objective)} must return (loss, states, stats), got {got}",
                            fix="return (loss, st, {}) from the objective, or use a lux loss such as lux.MSELoss()")
    return out


def _check_objective_signature(objective: Callable) -> None:
    """A clear error, instead of Python's bare TypeError from deep inside the trace, when the objective
    cannot be called as `objective(model, ps, st, data)`."""
    try:
        signature = inspect.signature(objective)
    except (TypeError, ValueError):  # no signature to read (a builtin): let the call say what it says
        return
    try:
        signature.bind(None, None, None, None)
    except TypeError:
        raise TrainingError(f"the objective {_name(objective)}{signature} cannot be called as "
                            "objective(model, ps, st, data)",
                            fix="define it as def objective(model, ps, st, data): ... return loss, st, stats "
                                "(data is what you pass to the step, e.g. (x, y))") from None


def _name(objective: Callable) -> str:
    return getattr(objective, "__name__", None) or type(objective).__name__


def _gradients(objective, model, ps, st, data):
    static = []

    def loss(ps_):
        value, st_new, stats = _objective_value(objective, model, ps_, st, data)
        arrays, statics = _split_static((st_new, stats))
        static.append(statics)
        return value, arrays

    (value, arrays), grads = tracer.value_and_grad(loss, has_aux=True)(ps)
    st_new, stats = _merge_static(arrays, static[-1])
    return grads, value, stats, st_new


# The states and stats an objective returns hold arrays and Python values: a layer's `training` flag, a
# count in the stats. `tracer.value_and_grad` would turn those Python values into arrays (a traced bool
# where BatchNorm and Dropout need `st["training"]` to be a Python bool, the next step failing); they are
# constants of the traced program, so they go around it instead and come back as they were.
_ARRAY_TYPES = (tracer.TracedArray, runtime.ConcreteArray, np.ndarray, np.generic)


def _split_static(tree):
    leaves, treedef = tree_util.tree_flatten(tree)
    arrays = [leaf if isinstance(leaf, _ARRAY_TYPES) else None for leaf in leaves]
    return arrays, (treedef, [None if isinstance(leaf, _ARRAY_TYPES) else leaf for leaf in leaves])


def _merge_static(arrays, statics):
    treedef, values = statics
    return tree_util.tree_unflatten(treedef, [a if v is None else v for a, v in zip(arrays, values)])


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
        kind, objective = key[0], key[1] if len(key) > 1 else None
        objectives = {k[1] for k in ts.cache if k[0] == kind} | {objective} if objective is not None else set()
        if len(objectives) == _SIGNATURES_BEFORE_WARNING + 1:
            _warn(f"lux.Training: {len(objectives)} different objectives have been compiled for this training "
                  f"loop; the newest is {_name(objective)}. An objective made anew for each step (a lambda or "
                  "closure written inside the loop) is traced and compiled again every time",
                  fix="define the objective once, before the loop, and pass that same function each step")
        jitted = ts.cache[key] = tracer.jit(fn, **options)
    return jitted


def _warn_on_recompiles(jitted, what: str) -> None:
    size = jitted.cache_info["size"]
    if size > _SIGNATURES_BEFORE_WARNING and size > getattr(jitted, "_lux_warned_at", 0):
        jitted._lux_warned_at = size
        _warn(f"lux.Training.{what} has compiled {size} versions of the step, one per signature of the data "
              "(shapes and dtypes): batches that change shape are traced and compiled again each time",
              fix="give every batch one shape, e.g. drop or pad the last, smaller one")


def _warn(message: str, *, fix: str) -> None:
    """A UserWarning attributed to the user's line (the call into lux.Training), not to ours."""
    target, frame, level = user_frame(), sys._getframe(1), 2
    while frame is not None and frame is not target:
        frame, level = frame.f_back, level + 1
    warnings.warn(f"{message}\n  fix: {fix}", stacklevel=level if frame is not None else 2)


def _check_live(ts: TrainState) -> None:
    if ts.donated_at is not None:
        raise TrainingError(f"this TrainState's parameter and optimiser-state buffers were donated to the in-place "
                            f"step at {ts.donated_at}, which updated them on the device and returned the new state",
                            fix="use the TrainState that call returned (_, loss, _, ts = "
                                "lux.Training.single_train_step_(...)), or the non-donating single_train_step / "
                                "apply_gradients to keep this one")


def _mark_donated(ts: TrainState) -> None:
    object.__setattr__(ts, "donated_at", describe(user_frame()))


def _state_leaves(ts: TrainState) -> list:
    return tree_util.tree_leaves((ts.parameters, ts.states, ts.optimizer_state))


def compute_gradients(ad, objective: Callable, data, ts: TrainState, *, sync: bool = False):
    """The objective's gradient with respect to the parameters, compiled (Lux's `compute_gradients`).

    Arguments:
        ad: `lux.AutoEnzyme()` (our reverse mode).
        objective: `objective(model, ps, st, data) -> (loss, st, stats)`; a lux loss such as `MSELoss()` is one.
        data: what the objective gets as `data`, e.g. `(x, y)`; any pytree of arrays.
        ts: the TrainState.
        sync: True to return only after the device has computed the results.
    Returns:
        `(grads, loss, stats, ts)`: grads shaped like `ts.parameters`, and `ts` with the states the objective
        returned (the parameters and step unchanged).
    """
    _check_ad(ad)
    _check_live(ts)
    jitted = _compiled(ts, ("compute", objective, sync), _gradients, sync=sync)
    grads, value, stats, st = jitted(objective, ts.model, ts.parameters, ts.states, data)
    _warn_on_recompiles(jitted, "compute_gradients")
    return grads, value, stats, _successor(ts, states=st)


def _apply(ts: TrainState, grads, *, donate: bool) -> TrainState:
    _check_live(ts)
    _check_trees("gradients", ts.parameters, grads)
    key = ("apply_", ) if donate else ("apply",)
    jitted = _compiled(ts, key, _apply_step, donate_argnums=(1, 2) if donate else ())
    opt_state, ps = jitted(ts.optimizer, ts.optimizer_state, ts.parameters, grads)
    if donate:
        _mark_donated(ts)
    return _successor(ts, parameters=ps, optimizer_state=opt_state, step=ts.step + 1)


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
    _check_live(ts)
    jitted = _step_function(objective, ts, return_gradients=return_gradients, sync=False, donate=True)
    return jitted.compile(*_step_arguments(objective, data, ts, return_gradients))


def _step(ad, objective, data, ts: TrainState, *, return_gradients: bool, sync: bool, donate: bool):
    _check_ad(ad)
    _check_live(ts)
    jitted = _step_function(objective, ts, return_gradients=return_gradients, sync=sync, donate=donate)
    runners = jitted.__dict__.setdefault("_lux_carried", {})  # data signature -> _CarriedStep, or _NOT_CARRIED
    if runners is not _NOT_CARRIED:
        ran = _run_carried(runners, objective, ts, data)
        if ran is not None:  # (None: not carried yet for this data signature, or another model: the call below)
            (grads, value, stats), next_carried = ran
            if donate:
                _mark_donated(ts)
                if "parameters" in ts.__dict__:  # wrapped before this step took their buffers: say so when used
                    next_carried.runner.retire(_state_leaves(ts), ts.donated_at)
            return grads, value, stats, _carried_successor(ts, next_carried)
    arguments = _step_arguments(objective, data, ts, return_gradients)
    grads, value, stats, ps, st, opt_state = jitted(*arguments)
    if donate:
        _mark_donated(ts)
    _warn_on_recompiles(jitted, "single_train_step")
    new = _successor(ts, parameters=ps, states=st, optimizer_state=opt_state, step=ts.step + 1)
    if runners is not _NOT_CARRIED:
        runner = _CarriedStep.build(jitted, arguments, (grads, value, stats), (ps, st, opt_state), _data_key(data))
        buffers = None if runner is _NOT_CARRIED else runner.carry_of(new)
        if buffers is not None:
            object.__setattr__(new, "_carried", _Carried(runner, buffers))
    return grads, value, stats, new


def _run_carried(runners: dict, objective, ts: TrainState, data):
    """The step run carried, or None: by the program that made the state's carry; else by the program of
    this data signature (a smaller last batch each epoch) if the carry fits it, or if the state holds trees
    that fit it (a state `adjust` or `replace` made)."""
    carried = ts.__dict__.get("_carried")
    if carried is not None and runners.get(carried.runner.data_key) is carried.runner:  # (of this step function)
        ran = carried.runner.run(carried, objective, ts, data)
        if ran is not None:
            return ran
    runner = runners.get(_data_key(data))
    if runner is None or (carried is not None and runner is carried.runner):
        return None
    if carried is not None and runner.call.takes_carry_of(carried.runner.call):
        return runner.run(carried, objective, ts, data)
    buffers = runner.carry_of(ts)  # (wraps a carried state's trees, if another program made them)
    return None if buffers is None else runner.run(_Carried(runner, buffers), objective, ts, data)


def _data_key(data) -> tuple:
    return leaf_keys(tree_util.tree_leaves(data))


def _carried_successor(ts: TrainState, carried: "_Carried") -> TrainState:
    new = object.__new__(TrainState)
    state = ts.__dict__
    new.__dict__.update(model=state["model"], optimizer=state["optimizer"], step=state["step"] + 1,
                        cache=state["cache"], donated_at=None, _carried=carried)
    return new


# -- the carried step: a step's state as the program's buffers ------------------------------------------------
# From its second call, an in-place step hands the parameters, states and optimiser state to the next step as
# the compiled program's flat list of device buffers (`tracer.CarriedCall`): no trees flattened, keyed, wrapped
# and rebuilt per step, and no wrapper objects for Python's garbage collector to walk (for a model of many small
# arrays those cost more than the program). The trees are wrapped only when something reads them.

_NOT_CARRIED = "not carried"  # a step whose program cannot run carried (sharded, synchronous ...): never retried
_CARRIED_SIGNATURES = 8  # data signatures whose carried runners a step function keeps (each holds its program)


@dataclass(frozen=True)
class _Carried:
    """A TrainState's three trees as the buffers of one `_CarriedStep`."""

    runner: "_CarriedStep"
    buffers: list

    def trees(self, donated_at: str | None) -> tuple:
        leaves = self.runner.call.wrap_carry(self.buffers, donated_at)
        return tuple(treedef.unflatten(leaves[part]) for treedef, part in self.runner.state_parts)


@dataclass(frozen=True)
class _CarriedStep:
    """One step program run carried, with the tree structures around its flat leaves."""

    call: CarriedCall
    results_treedef: Any  # of (grads, loss, stats)
    state_parts: tuple  # (treedef, slice of the carry) of parameters, states, optimizer_state
    data_key: tuple  # the data signature it runs

    @staticmethod
    def build(jitted, arguments: tuple, results: tuple, state: tuple, data_key: tuple):
        """The carried form of the call just made (kept on the step's jit function), or _NOT_CARRIED."""
        try:
            call = jitted.carried_call(arguments, carried_arguments=(3, 4, 5), carried_results=(3, 4, 5))
        except ValueError:
            jitted._lux_carried = _NOT_CARRIED
            return _NOT_CARRIED
        parts, start = [], 0
        for tree in state:
            treedef = tree_util.tree_structure(tree)
            parts.append((treedef, slice(start, start + treedef.num_leaves)))
            start += treedef.num_leaves
        runners = jitted._lux_carried
        runners.pop(data_key, None)
        if len(runners) >= _CARRIED_SIGNATURES:
            del runners[next(iter(runners))]  # the oldest
        runner = runners[data_key] = _CarriedStep(call, tree_util.tree_structure(results), tuple(parts), data_key)
        return runner

    def carry_of(self, ts: TrainState) -> list | None:
        """The carry of a state's trees: device buffers for arrays, static values as they are; None when they
        are not what this program carries (other trees, signatures or static values; a NumPy array put in by
        hand), so it is not the program for them."""
        trees = (ts.parameters, ts.states, ts.optimizer_state)
        if any(tree_util.tree_structure(tree) != treedef for tree, (treedef, _) in zip(trees, self.state_parts)):
            return None
        buffers = []
        for leaf, key in zip(tree_util.tree_leaves(trees), self.call.carry_signatures):
            if key is None:
                buffers.append(leaf)  # (its value is checked by `takes_carry` below)
            elif type(leaf) is runtime.ConcreteArray and leaf.signature == key:
                buffers.append(leaf.buffer)
            else:
                return None
        return buffers if self.call.takes_carry(buffers) else None

    def retire(self, leaves: list, donated_at: str) -> None:
        """Mark the state's wrappers whose buffers this program took as donated at `donated_at`."""
        for slot in self.call.donated_slots:
            leaves[slot].mark_donated(donated_at)

    def run(self, carried: _Carried, objective, ts: TrainState, data):
        """((grads, loss, stats), the next _Carried), or None when this call is not the program's."""
        others = tree_util.tree_leaves((objective, ts.model, ts.optimizer, data))  # (the step's leaves but the state's)
        ran = self.call.call(carried.buffers, others, check_aliasing="parameters" in ts.__dict__)
        if ran is None:
            return None
        new_carry, results = ran
        return self.results_treedef.unflatten(results), _Carried(self, new_carry)


def single_train_step(ad, objective: Callable, data, ts: TrainState, *, return_gradients: bool = True,
                      sync: bool = False):
    """One compiled step, gradient and update together: `compute_gradients` then `apply_gradients`.

    Arguments: as `compute_gradients`; `return_gradients=False` gives None for grads (they are not kept as
    results of the program); `sync=True` returns only after the step has run on the device.
    Returns: `(grads, loss, stats, ts)`, `ts` with the updated parameters, optimiser state and states, and
    `step + 1`. The old `ts` stays usable; `single_train_step_` updates in place instead (faster, less memory).
    """
    return _step(ad, objective, data, ts, return_gradients=return_gradients, sync=sync, donate=False)


def single_train_step_(ad, objective: Callable, data, ts: TrainState, *, return_gradients: bool = True,
                       sync: bool = False):
    """`single_train_step` updating the parameter and optimiser-state buffers in place: they are donated to
    the step, so use the returned TrainState afterwards (the old one's arrays are gone, and passing it to a
    lux.Training function again raises an error that names this call's line)."""
    return _step(ad, objective, data, ts, return_gradients=return_gradients, sync=sync, donate=True)


def adjust(ts: TrainState, eta=None, **hyperparameters) -> TrainState:
    """A TrainState whose optimiser uses new hyperparameters (`adjust(ts, 1e-4)` sets the learning rate).
    They live in the optimiser state as arrays, so a compiled step is reused, not recompiled."""
    from lux import optimisers

    _check_live(ts)
    if eta is not None:
        hyperparameters["eta"] = eta
    return ts.replace(optimizer_state=optimisers.adjust(ts.optimizer_state, **hyperparameters))


# -- checkpoints --------------------------------------------------------------------------------------
# One entry per leaf of the TrainState, named by its path: `.parameters['layer_1']['weight']`,
# `.optimizer_state['moments']['mt']['layer_1']['bias']`, `.step`. Python leaves (the step, a layer's
# `training` flag) are stored as 0-d arrays and read back as the Python type the TrainState has.

def _flat(ts: TrainState) -> dict[str, np.ndarray]:
    paths, _ = tree_util.tree_flatten_with_path(ts)
    return {tree_util.keystr(path): np.asarray(leaf) for path, leaf in paths}


def _check_trees(what: str, expected, given) -> None:
    expected_paths = [tree_util.keystr(p) for p, _ in tree_util.tree_flatten_with_path(expected)[0]]
    given_paths = [tree_util.keystr(p) for p, _ in tree_util.tree_flatten_with_path(given)[0]]
    if expected_paths != given_paths:
        first = next((a, b) for a, b in zip(expected_paths + ["<end>"], given_paths + ["<end>"]) if a != b)
        raise TrainingError(f"the {what} do not match the parameters' tree: the first difference is at "
                            f"{first[0]} (expected) vs {first[1]} (given)",
                            fix="pass a tree of the parameters' structure (as lux.setup returns it)")


def save(path: str | os.PathLike, ts: TrainState) -> None:
    """Write parameters, states, optimiser state and step to `path`: safetensors, or NumPy's `.npz` (never pickle).

    The model and optimiser are code, not data: `load` reads the arrays back into a TrainState built the
    same way."""
    _check_live(ts)
    arrays = _flat(ts)
    path = os.fspath(path)
    if path.endswith(".npz"):
        np.savez(path, **arrays)
        return
    from safetensors.numpy import save_file

    save_file({name: np.asarray(array, order="C") for name, array in arrays.items()}, path)  # (0-d stays 0-d)


def _read(path: str) -> dict[str, np.ndarray]:
    if path.endswith(".npz"):
        with np.load(path, allow_pickle=False) as stored:
            return {name: stored[name] for name in stored.files}
    from safetensors.numpy import load_file

    return load_file(path)


def _leaf_dtype(leaf) -> np.dtype:
    # (`.dtype` rather than np.asarray: a template whose buffers were donated still knows its dtypes.)
    return leaf.dtype if hasattr(leaf, "dtype") else np.asarray(leaf).dtype


def _restored_leaf(name: str, stored: np.ndarray, leaf, path: str):
    dtype = _leaf_dtype(leaf)
    if stored.dtype.kind == "V" and stored.dtype.itemsize == dtype.itemsize:
        stored = stored.view(dtype)  # .npz keeps ml_dtypes' bfloat16 and float8 as raw bytes
    if stored.shape != tuple(np.shape(leaf)) or stored.dtype != dtype:
        raise TrainingError(f"{name} in {path} is {stored.dtype}{list(stored.shape)}, the TrainState's is "
                            f"{dtype}{list(np.shape(leaf))}",
                            fix="load into a TrainState built like the one that was saved (same model, "
                                "optimiser and dtypes)")
    if isinstance(leaf, (bool, int, float)):
        return type(leaf)(stored.item())
    return stored


def load(path: str | os.PathLike, ts: TrainState) -> TrainState:
    """The TrainState `ts` with the arrays stored at `path` (on the device, as `ts`'s are); the stored tree
    must match `ts`'s, path for path. `ts` is a template: a TrainState built like the saved one."""
    path = os.fspath(path)
    arrays = _read(path)
    paths, treedef = tree_util.tree_flatten_with_path(ts)
    names = [tree_util.keystr(key_path) for key_path, _ in paths]
    missing = [name for name in names if name not in arrays]
    extra = [name for name in arrays if name not in set(names)]
    if missing or extra:
        first = (f"the TrainState has {missing[0]}, the checkpoint does not" if missing else
                 f"the checkpoint has {extra[0]}, the TrainState does not")
        others = f" (the checkpoint has {extra[0]} instead)" if missing and extra else ""
        raise TrainingError(f"the checkpoint {path} was saved from another model or optimiser: {first}{others}",
                            fix="load into a TrainState built like the one that was saved (same model and optimiser)")
    leaves = [_restored_leaf(name, arrays[name], leaf, path) for name, (_, leaf) in zip(names, paths)]
    restored = tree_util.tree_unflatten(treedef, leaves)
    return ts.replace(parameters=restored.parameters, states=restored.states,
                      optimizer_state=restored.optimizer_state, step=restored.step)
