"""The optimiser protocol every rule follows, the tree plumbing they share, and `adjust`.

    opt = Adam(1e-3)                          # a frozen, hashable dataclass of hyperparameters
    state = opt.init(ps)                      # a tree of arrays only
    state, ps = opt.update(state, ps, grads)  # pure: new trees out, the inputs untouched
    state = adjust(state, eta=1e-4)           # a schedule step: new values, same shapes and dtypes

The state is a plain tree of arrays, so `tracer.jit(opt.update)` traces every leaf of it:

    {"step": int32[],                                      # updates done so far (bias correction)
     "hyper": {"eta": f[], "beta": (f[], f[]), ...},       # the rule's hyperparameters as 0-d arrays
     "moments": {"mt": <shaped like ps>, ...}}             # per-parameter accumulators
    OptimiserChain: {"chain": (state of rule 1, state of rule 2, ...)}

Because the hyperparameters are traced values and not Python numbers, `adjust` (a learning-rate schedule)
gives the compiled update new inputs of the same signature: no retrace, no recompilation. What changes the
computation itself (which rule, RMSProp's `centred`, ClipNorm's `p`) stays on the dataclass, a static
argument.

Precision. The elementwise update of a parameter runs in that parameter's dtype (float16, bfloat16,
float32, float64), as optax does, and the new parameter keeps it. The hyperparameters are stored, and the
step-dependent scalars (bias corrections 1 - β^t, RAdam's rectification) computed, in float64 when some
parameter is float64 and in float32 otherwise, then cast to each parameter's dtype. (Optimisers.jl keeps
β^t as a running product in the parameter's type; for float16 ours is the more precise. In bfloat16, β2 =
0.999 itself rounds to 1, in optax too; 1 - β2, computed before the cast, stays 0.001.) For float16
parameters epsilon is at least 1e-7 unless it is 0, as Optimisers.jl's `_eps` does: 1e-8 would round to
zero and 0/0 would give NaN where a gradient is zero.

A rule defines, per parameter array, `moment_names()` / `init_moment(name, x)` (its accumulators),
`scalars(hyper, step)` (hyperparameter-derived scalars, in the hyperparameters' dtype) and
`apply(s, moments, x, dx) -> (moments, dx)` (Optimisers.jl's `apply!`: the scalars `s` already cast to
`x`'s dtype); the new parameter is `x - dx`.
"""

from __future__ import annotations

import dataclasses

import ml_dtypes
import numpy as np
from jax import tree_util

from ir.errors import PyreactantError
from ir.location import describe, user_frame

__all__ = [
    "AbstractRule", "HyperparameterError", "NonFiniteGradientError", "OptimiserError", "ParameterTypeError",
    "TreeMismatchError", "adjust", "hyperparameters",
]

_BFLOAT16 = np.dtype(ml_dtypes.bfloat16)
_FLOAT16 = np.dtype(np.float16)
_FLOAT64 = np.dtype(np.float64)
# Optimisers.jl's `_eps(Float16, e)`: the smallest epsilon a float16 update uses (unless epsilon is 0).
_FLOAT16_MIN_EPSILON = 1e-7
_FIX_REBUILD = "build the state for these parameters with state = opt.init(ps), with the rule you update with"


class OptimiserError(PyreactantError):
    """Base of the optimisers' errors (`file:line: what happened` / `fix: what to do`)."""


class TreeMismatchError(OptimiserError, ValueError):
    """Gradients, parameters and optimiser state whose trees (entries, shapes) do not match."""


class ParameterTypeError(OptimiserError, TypeError):
    """A parameter or gradient that is not a floating-point array (integers cannot be trained)."""


class HyperparameterError(OptimiserError, ValueError):
    """A hyperparameter name the rule does not have, or a value that is not a real number."""


class NonFiniteGradientError(OptimiserError, ValueError):
    """ClipNorm(throw=True) met a gradient whose norm is inf or NaN."""


def static(default, *, kw_only: bool = True):
    """A dataclass field that shapes the computation (`centred`, `p`): part of the rule, never of the state."""
    return dataclasses.field(default=default, kw_only=kw_only, metadata={"static": True})


class AbstractRule:
    """Base of every rule: `init(ps)` and `update(state, ps, grads)`; subclasses are frozen dataclasses."""

    def __post_init__(self):
        where = describe(user_frame())  # (the line that built the rule: generated dataclass code is skipped)
        for name in self.hyperparameter_names():
            value = getattr(self, name)
            if isinstance(value, list):  # a list would make the rule unhashable: keep it as a tuple
                value = tuple(value)
                object.__setattr__(self, name, value)
            if not all(_is_real_number(v) for v in (value if isinstance(value, tuple) else (value,))):
                raise HyperparameterError(f"{type(self).__name__}: {name}={value!r} is not a real number",
                                          fix=f"give {name} as a Python float, e.g. {type(self).__name__}({name}=0.1)",
                                          where=where)
            if name == "beta" and not (isinstance(value, tuple) and len(value) == 2):
                raise HyperparameterError(f"{type(self).__name__}: beta={value!r} must be a pair (β1, β2)",
                                          fix="give both decays, e.g. beta=(0.9, 0.999)", where=where)

    # -- what a rule defines -------------------------------------------------------------------

    def moment_names(self) -> tuple[str, ...]:
        """Names of the per-parameter accumulators (each a tree shaped like the parameters)."""
        return ()

    def init_moment(self, name: str, x):
        return np.zeros(x.shape, x.dtype)

    def scalars(self, hyper: dict, step) -> dict:
        """The 0-d values `apply` reads, from the hyperparameters and the (new, 1-based) step count."""
        return dict(hyper)

    def apply(self, s: dict, moments: dict, x, dx):
        raise NotImplementedError

    # -- the protocol ----------------------------------------------------------------------------

    @classmethod
    def hyperparameter_names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in dataclasses.fields(cls) if not f.metadata.get("static"))

    def init(self, ps) -> dict:
        """The optimiser state for the parameter tree `ps` (nested dicts, lists, tuples of float arrays)."""
        xs, treedef = _parameter_leaves(ps)
        return self._init(xs, treedef, _hyper_dtype(xs))

    def update(self, state, ps, grads):
        """One step: returns `(new state, new parameters)`; `state`, `ps` and `grads` are not modified.

        Gradients in another dtype are converted to their parameter's dtype first."""
        xs, treedef = _parameter_leaves(ps)
        dxs = _gradient_leaves(grads, ps, xs, treedef)
        self._check_state(state, ps, xs, treedef)
        try:
            state, dxs = self._transform(state, xs, dxs, treedef)
        except _LeafFailure as failure:
            raise failure.error(f"{failure.message} {_describe_path(_paths(treedef)[failure.index])}",
                                fix=failure.fix) from None
        return state, treedef.unflatten([_array(x - dx) for x, dx in zip(xs, dxs)])

    # -- the machinery (OptimiserChain overrides these three) --------------------------------------

    def _init(self, xs, treedef, dtype) -> dict:
        hyper = {name: _hyper_array(getattr(self, name), dtype) for name in self.hyperparameter_names()}
        moments = {name: treedef.unflatten([self.init_moment(name, x) for x in xs]) for name in self.moment_names()}
        return {"step": np.zeros((), np.int32), "hyper": hyper, "moments": moments}

    def _check_state(self, state, ps, xs, treedef) -> None:
        rule = type(self).__name__
        if not (isinstance(state, dict) and set(state) == {"step", "hyper", "moments"}):
            raise TreeMismatchError(f"{rule}.update was given {_describe_state(state)}, not a state of {rule}",
                                    fix=_FIX_REBUILD)
        expected = self.hyperparameter_names()
        if not isinstance(state["hyper"], dict) or set(state["hyper"]) != set(expected):
            have = ", ".join(state["hyper"]) if isinstance(state["hyper"], dict) else "none"
            raise TreeMismatchError(f"this optimiser state was built by another rule: it has hyperparameters "
                                    f"({have}) where {rule} has ({', '.join(expected)})", fix=_FIX_REBUILD)
        if not isinstance(state["moments"], dict) or set(state["moments"]) != set(self.moment_names()):
            have = sorted(state["moments"]) if isinstance(state["moments"], dict) else state["moments"]
            raise TreeMismatchError(f"this optimiser state has the accumulators {have} where "
                                    f"{self!r} keeps {sorted(self.moment_names())}", fix=_FIX_REBUILD)
        for name, tree in state["moments"].items():
            leaves, moment_def = tree_util.tree_flatten(tree)
            if moment_def != treedef:
                raise TreeMismatchError(f"the optimiser state does not match the parameters: "
                                        f"{_first_difference(ps, tree, 'parameters', 'state')}", fix=_FIX_REBUILD)
            for index, (x, m) in enumerate(zip(xs, leaves)):
                if tuple(m.shape) != tuple(x.shape) or m.dtype != x.dtype:
                    # (Another dtype would silently change the moments' dtype, and retrace every compiled step.)
                    raise TreeMismatchError(f"the optimiser state's {name!r} is {_describe_array(m)} where the "
                                            f"parameter is {_describe_array(x)}, {_describe_path(_paths(treedef)[index])}",
                                            fix=_FIX_REBUILD + " (again after converting ps, e.g. with lux.f64)")

    def _transform(self, state, xs, dxs, treedef):
        """The rule on flat lists of parameters and gradients: `(new state, transformed gradients)`."""
        step = state["step"] + 1
        scalars = self.scalars(state["hyper"], step)
        names = self.moment_names()
        moments = {name: tree_util.tree_leaves(state["moments"][name]) for name in names}
        new_moments = {name: [] for name in names}
        by_dtype, out = {}, []
        for index, (x, dx) in enumerate(zip(xs, dxs)):
            s = by_dtype.get(x.dtype)
            if s is None:
                s = by_dtype[x.dtype] = _cast_scalars(scalars, x.dtype)
            try:
                leaf_moments, dx = self.apply(s, {name: moments[name][index] for name in names}, x, dx)
            except _LeafFailure as failure:
                failure.index = index
                raise
            for name in names:
                new_moments[name].append(_array(leaf_moments[name]))
            out.append(dx)
        moments = {name: treedef.unflatten(new_moments[name]) for name in names}
        return {"step": _array(step), "hyper": state["hyper"], "moments": moments}, out


def hyperparameters(state) -> dict:
    """The hyperparameters an optimiser state holds, as Python floats (tuples for `beta`); a chain's are
    merged, the first rule that has a name giving its value."""
    found: dict = {}
    for hyper in _hyper_dicts(state):
        for name, value in hyper.items():
            found.setdefault(name, tuple(float(v) for v in value) if isinstance(value, tuple) else float(value))
    return found


def adjust(state, eta=None, /, **changes):
    """A new optimiser state with hyperparameters changed, as Optimisers.jl's `adjust`.

    `adjust(state, 1e-4)` sets the learning rate `eta`; `adjust(state, beta=(0.8, 0.99), epsilon=1e-6)`
    others, by Optimisers.jl's names (`eta`, `beta`, `epsilon`, `rho`, `lambda_`, `delta`, `omega`). In an
    OptimiserChain every rule that has the name is changed. The values keep the state's dtype and 0-d shape,
    so under `tracer.jit` the next update is the same compiled program with new inputs. Values may be
    Python or NumPy numbers, or 0-d traced arrays inside a traced function.

    Raises `HyperparameterError` for a name no rule in the state has. The step count and accumulators are
    kept (Optimisers.jl's accumulated β^t are not: our bias corrections use the new β from here on).
    """
    if eta is not None:
        if "eta" in changes:
            raise HyperparameterError("adjust was given eta twice, by position and by name", fix="give it once")
        changes["eta"] = eta
    if not changes:
        raise HyperparameterError("adjust was given nothing to change",
                                  fix="name the hyperparameters, e.g. adjust(state, eta=1e-4)")
    found: set = set()
    new_state = _adjust(state, changes, found)
    unknown = [name for name in changes if name not in found]
    if unknown:
        have = list(dict.fromkeys(name for hyper in _hyper_dicts(state) for name in hyper))
        hint = " (Python spells λ lambda_)" if "lambda" in unknown else ""
        raise HyperparameterError(
            f"the optimiser has no hyperparameter {', '.join(map(repr, unknown))}{hint}; its hyperparameters are "
            f"{', '.join(have) if have else 'none'}",
            fix=f"adjust one of {', '.join(have)}" if have else "this rule has nothing to adjust")
    return new_state


def _adjust(state, changes: dict, found: set):
    if isinstance(state, dict) and set(state) == {"chain"}:
        return {"chain": tuple(_adjust(s, changes, found) for s in state["chain"])}
    if not (isinstance(state, dict) and isinstance(state.get("hyper"), dict)):
        raise HyperparameterError(f"adjust was given {_describe_state(state)}, not an optimiser state",
                                  fix="pass the state that opt.init(ps) or opt.update returned")
    hyper = dict(state["hyper"])
    for name, value in changes.items():
        if name in hyper:
            hyper[name] = _hyper_like(value, hyper[name], name)
            found.add(name)
    return {**state, "hyper": hyper}


def _hyper_dicts(state):
    if isinstance(state, dict) and set(state) == {"chain"}:
        for sub in state["chain"]:
            yield from _hyper_dicts(sub)
    elif isinstance(state, dict) and isinstance(state.get("hyper"), dict):
        yield state["hyper"]


def _hyper_like(value, old, name: str):
    """`value` as a new hyperparameter leaf of `old`'s dtype and 0-d shape (tuples elementwise)."""
    if isinstance(old, tuple):
        if not isinstance(value, (tuple, list)) or len(value) != len(old):
            raise HyperparameterError(f"{name} holds {len(old)} values; adjust was given {value!r}",
                                      fix=f"give {len(old)} numbers, e.g. {name}=(0.9, 0.999)")
        return tuple(_hyper_like(v, o, name) for v, o in zip(value, old))
    if _is_real_number(value) or isinstance(value, np.ndarray):
        array = np.asarray(value)
        if array.shape != () or not _is_real_number(array[()]):
            raise HyperparameterError(f"{name}={value!r} is not a real number",
                                      fix=f"give one number, e.g. adjust(state, {name}=0.01)")
        return array.astype(old.dtype)
    if hasattr(value, "astype") and tuple(getattr(value, "shape", (None,))) == ():
        return value.astype(old.dtype)  # a 0-d traced or device array: a schedule computed in a jitted function
    raise HyperparameterError(f"{name}={value!r} is not a real number",
                              fix=f"give one number, e.g. adjust(state, {name}=0.01)")


# -- trees -------------------------------------------------------------------------------------------


def _parameter_leaves(ps):
    """The parameter arrays of `ps` (checked to be floating point) and the tree's structure."""
    xs, treedef = tree_util.tree_flatten(ps)
    for index, x in enumerate(xs):
        dtype = getattr(x, "dtype", None)
        if dtype is None or not hasattr(x, "shape"):
            raise ParameterTypeError(f"the parameter {_describe_path(_paths(treedef)[index])} is a "
                                     f"{type(x).__name__}, not an array",
                                     fix="keep parameters as float arrays, e.g. np.asarray(value, np.float32)")
        if not _is_float(np.dtype(dtype)):
            raise ParameterTypeError(f"the parameter {_describe_path(_paths(treedef)[index])} has dtype "
                                     f"{np.dtype(dtype)}; only floating-point parameters can be trained",
                                     fix="convert it to a float dtype (lux.f32(ps)), or keep integer values in the "
                                         "layer's state st rather than in ps")
    return xs, treedef


def _gradient_leaves(grads, ps, xs, treedef):
    dxs, grads_def = tree_util.tree_flatten(grads)
    if grads_def != treedef:
        raise TreeMismatchError(f"the gradients do not match the parameters: "
                                f"{_first_difference(ps, grads, 'parameters', 'gradients')}",
                                fix="differentiate with respect to the same ps that you update")
    out = []
    for index, (x, dx) in enumerate(zip(xs, dxs)):
        if isinstance(dx, (int, float)) and not isinstance(dx, bool):
            dx = np.asarray(dx, x.dtype)
        if not hasattr(dx, "dtype") or not hasattr(dx, "shape"):
            raise ParameterTypeError(f"the gradient {_describe_path(_paths(treedef)[index])} is a {type(dx).__name__}, not an array",
                                     fix="pass the gradient tree the differentiation returned")
        if tuple(dx.shape) != tuple(x.shape):
            raise TreeMismatchError(f"the gradient {_describe_path(_paths(treedef)[index])} has shape {tuple(dx.shape)} where the "
                                    f"parameter has {tuple(x.shape)}",
                                    fix="differentiate with respect to the same ps that you update")
        out.append(dx if dx.dtype == x.dtype else dx.astype(x.dtype))
    return out


def _paths(treedef) -> list[str]:
    """Each leaf's path in a tree of this structure, as `['layer_1']['weight']`."""
    dummy = treedef.unflatten(range(treedef.num_leaves))
    return [tree_util.keystr(path) for path, _ in tree_util.tree_flatten_with_path(dummy)[0]]


def _describe_path(path) -> str:
    text = str(path)
    return f"at {text}" if text else "at the root of the tree"


def _first_difference(a, b, a_name: str, b_name: str) -> str:
    """Where the trees `a` and `b` first differ, in words."""
    a_paths = [tree_util.keystr(p) for p, _ in tree_util.tree_flatten_with_path(a)[0]]
    b_paths = [tree_util.keystr(p) for p, _ in tree_util.tree_flatten_with_path(b)[0]]
    b_set = set(b_paths)
    for a_path, b_path in zip(a_paths, b_paths):
        if a_path != b_path:
            if a_path not in b_set:
                return f"the entry {a_path or '(root)'} is in the {a_name} but not in the {b_name}"
            return f"the entry {b_path or '(root)'} is in the {b_name} but not in the {a_name}"
    if len(a_paths) > len(b_paths):
        return f"the entry {a_paths[len(b_paths)] or '(root)'} is in the {a_name} but not in the {b_name}"
    if len(b_paths) > len(a_paths):
        return f"the entry {b_paths[len(a_paths)] or '(root)'} is in the {b_name} but not in the {a_name}"
    return (f"the {b_name} hold the same entries in other containers (a list for a tuple, or another node type): "
            f"{tree_util.tree_structure(b)} where the {a_name} are {tree_util.tree_structure(a)}")


def _describe_array(x) -> str:
    return f"{np.dtype(x.dtype)}{list(x.shape)}"


def _describe_state(state) -> str:
    if isinstance(state, dict):
        return f"a dict with keys {sorted(map(str, state))}"
    return f"a {type(state).__name__}"


# -- numbers -----------------------------------------------------------------------------------------


class _LeafFailure(Exception):
    """Raised by a rule's `apply`; `update` re-raises it as `error` naming the parameter's path."""

    def __init__(self, error: type, message: str, fix: str):
        super().__init__(message)
        self.error, self.message, self.fix, self.index = error, message, fix, None


def _is_real_number(value) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, (bool, np.bool_))


def _is_float(dtype: np.dtype) -> bool:
    return dtype.kind == "f" or dtype == _BFLOAT16


def _hyper_dtype(xs) -> np.dtype:
    """float64 when a parameter is float64, else float32: the dtype hyperparameters are kept in."""
    return _FLOAT64 if any(x.dtype == _FLOAT64 for x in xs) else np.dtype(np.float32)


def _hyper_array(value, dtype):
    if isinstance(value, tuple):
        return tuple(np.asarray(v, dtype) for v in value)
    return np.asarray(value, dtype)


def _cast_scalars(scalars: dict, dtype) -> dict:
    """The scalars in the parameter's dtype (booleans stay booleans; float16 gets a floor on epsilon)."""
    out = {}
    for name, value in scalars.items():
        if isinstance(value, tuple):
            out[name] = tuple(v.astype(dtype) for v in value)
        elif value.dtype == np.bool_:
            out[name] = value
        elif name == "epsilon" and dtype == _FLOAT16:
            out[name] = np.where(value == 0, value, np.maximum(value, _FLOAT16_MIN_EPSILON)).astype(dtype)
        else:
            out[name] = value.astype(dtype)
    return out


def _array(value):
    """NumPy turns 0-d results into scalars; the state and parameters stay arrays."""
    return np.asarray(value) if isinstance(value, np.generic) else value
