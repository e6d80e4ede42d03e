"""The layer contract (LuxCore): a layer holds hyperparameters; parameters and state are trees.

    ps, st = lux.setup(rng, model)        # nested dicts of NumPy arrays
    y, st = lux.apply(model, x, ps, st)   # = model(x, ps, st)

A layer is a frozen dataclass, so it is hashable and can be a static argument of `tracer.jit`
(`tracer.jit(lux.apply)(model, x, ps, st)` traces `x`, `ps`, `st` and keys the cache on `model`).
Every forward pass is written against NumPy and `tracer` only: it runs eagerly on NumPy arrays and
traces unchanged. Containers name their children like Lux's NamedTuples (`layer_1`, `layer_2`, ...),
and the parameter and state trees follow those names.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from lux.errors import LayerInputError, LuxTypeError

__all__ = ["AbstractContainerLayer", "AbstractLayer", "apply", "call_checked", "initialparameters", "initialstates",
           "layer", "parameterlength", "setup", "statelength", "testmode", "trainmode", "tree_mismatch", "update_state"]


def layer(cls):
    """Declare a layer class: a frozen (hashable) dataclass that keeps the Lux-style `repr`.

    Its fields are its hyperparameters and, in order, the constructor's arguments (keyword-only ones
    after `_: KW_ONLY`); `__post_init__` checks them and stores their normalised form (a list as a
    tuple, an int as an int) with `self._set_fields(...)`."""
    cls = dataclasses.dataclass(frozen=True, repr=False)(cls)
    if "__hash__" in cls.__dict__ and cls.__hash__ is not None and cls.__hash__.__name__ == "__hash__":
        cls.__hash__ = _remembered_hash(cls.__hash__)
    return cls


def _remembered_hash(fields_hash):
    """The dataclass's hash, computed once per layer. A layer is a static argument of every compiled call
    that takes it (`tracer.jit` hashes it into the call's key): a Chain's hash walks all its layers, ~40 us
    per call for a hundred of them, each time the same (the layer is frozen)."""
    def __hash__(self) -> int:
        remembered = self.__dict__.get(_HASH)
        if remembered is None:
            remembered = fields_hash(self)
            object.__setattr__(self, _HASH, remembered)
        return remembered

    return __hash__


# Where a layer keeps its hash (not a field: equality, `repr` and `dataclasses.replace` do not see it; a copy
# of the layer made by pickling recomputes it, since the hashes of the functions it holds differ between processes).
_HASH = "_lux_hash"


class AbstractLayer:
    """A layer without children. Subclasses are declared with `@lux.layer` (a frozen dataclass) and
    define `__call__(x, ps, st) -> (y, st)` plus `initialparameters`/`initialstates` when they hold any."""

    def initialparameters(self, rng: np.random.Generator) -> dict:
        return {}

    def initialstates(self, rng: np.random.Generator) -> dict:
        return {}

    def parameterlength(self) -> int:
        """How many parameters `setup` gives this layer: 0 for a layer without any, else the count of a
        draw of its tree. A layer whose count follows from its hyperparameters overrides this, to draw nothing."""
        return _tree_length(self.initialparameters(np.random.default_rng(0)))

    def statelength(self) -> int:
        """How many states `setup` gives this layer (0 without any), counted like `parameterlength`."""
        return _tree_length(self.initialstates(np.random.default_rng(0)))

    def __getstate__(self):
        return {name: value for name, value in self.__dict__.items() if name != _HASH}

    def _set_fields(self, **values) -> None:
        """Store normalised field values: a frozen dataclass allows it only through `object.__setattr__`.
        Called from `__post_init__`, or from the `__init__` of a layer whose arguments are not its fields
        (`Chain(*layers)`, `Scale(*dims, activation)`)."""
        for name, value in values.items():
            object.__setattr__(self, name, value)

    def children(self) -> dict[str, "AbstractLayer"]:
        """Named sub-layers (containers override this); their trees nest under these names."""
        return {}

    def __call__(self, x, ps, st):
        raise NotImplementedError(f"{type(self).__name__} defines no forward pass: give it __call__(x, ps, st)")

    def display_name(self) -> str:
        return type(self).__name__

    def summary(self) -> str:
        """The one-line description Lux prints for this layer, e.g. `Dense(128 => 256, tanh)`."""
        return f"{self.display_name()}()"

    def __repr__(self) -> str:
        from lux import display  # (here: display builds on this module)

        return display.render(self)


class AbstractContainerLayer(AbstractLayer):
    """A layer made of named sub-layers: its trees are `{name: child's tree}`, plus any of its own."""

    def initialparameters(self, rng: np.random.Generator) -> dict:
        return {name: child.initialparameters(rng) for name, child in self.children().items()}

    def initialstates(self, rng: np.random.Generator) -> dict:
        return {name: child.initialstates(rng) for name, child in self.children().items()}

    def parameterlength(self) -> int:
        return sum(child.parameterlength() for child in self.children().values())

    def statelength(self) -> int:
        return sum(child.statelength() for child in self.children().values())


def _tree_length(tree) -> int:
    """LuxCore's count of a tree: the elements of every array leaf (NumPy, traced or device arrays
    alike), nothing for None, 1 for any other leaf (a flag, a seed, a function); dicts, lists and
    tuples are summed over. `lux.parameterlength(tree)` and `lux.statelength(tree)` are this."""
    if isinstance(tree, dict):
        return sum(_tree_length(v) for v in tree.values())
    if isinstance(tree, (list, tuple)):
        return sum(_tree_length(v) for v in tree)
    if tree is None:
        return 0
    return math.prod(tree.shape) if hasattr(tree, "shape") else 1


def setup(rng: np.random.Generator, model: AbstractLayer) -> tuple[dict, dict]:
    """(parameters, states) of `model`, drawn from `rng` (parameters first, as Lux does)."""
    rng = _generator(rng)
    return model.initialparameters(rng), model.initialstates(rng)


def apply(model: AbstractLayer, x, ps, st):
    """`model(x, ps, st)`: the output and the updated state."""
    return call_checked(model, x, ps, st)


def call_checked(model: AbstractLayer, x, ps, st, path: tuple[str, ...] = ()):
    """`model(x, ps, st)`; when it fails with a KeyError, IndexError, TypeError or ValueError (a missing
    `ps["weight"]`, a matmul of the wrong shapes) and the trees given do not match the ones `setup` makes
    for `model`, a `LayerInputError` saying how they differ, at `path` in the model, instead.
    (Compared only after a failure: the call itself pays nothing.)"""
    try:
        return model(x, ps, st)
    except LayerInputError:
        raise
    except (KeyError, IndexError, TypeError, ValueError) as err:
        try:
            problem = tree_mismatch(model, ps, st)
        except Exception:  # noqa: BLE001  (a diagnosis that fails itself must not hide the error)
            problem = None
        if problem is None:
            raise
        raise LayerInputError(problem, path=path, fix="pass this layer the trees lux.setup(rng, model) made for it "
                                                       "(ps[name] and st[name] of its container, in the model's "
                                                       "order)") from err


def tree_mismatch(model: AbstractLayer, ps, st) -> str | None:
    """How `ps` and `st` differ from the trees `setup` gives `model` (entries, and array shapes), or None."""
    rng = np.random.default_rng(0)
    for what, given, expected in (("parameters", ps, model.initialparameters(rng)),
                                  ("states", st, model.initialstates(rng))):
        problem = _difference(given, expected, ())
        if problem is not None:
            return f"the {what} given to {model.summary()} {problem}"
    return None


def _difference(given, expected, where: tuple[str, ...]) -> str | None:
    at = f" at {'.'.join(where)}" if where else ""
    if isinstance(expected, dict):
        if not isinstance(given, dict):
            return f"are a {type(given).__name__}{at}, where it expects entries {sorted(expected)}"
        if set(given) != set(expected):
            missing, extra = sorted(set(expected) - set(given)), sorted(set(given) - set(expected))
            swapped = " (another layer's tree?)" if missing and extra else ""
            return (f"have entries {sorted(given)}{at}, where it expects {sorted(expected)}" +
                    (f": {missing} missing" if missing else "") + (f", {extra} unexpected" if extra else "") + swapped)
        for key in expected:
            problem = _difference(given[key], expected[key], where + (str(key),))
            if problem is not None:
                return problem
        return None
    if hasattr(expected, "shape") and np.shape(given) != np.shape(expected):
        return f"have {'.'.join(where)} of shape {tuple(np.shape(given))}, where it expects {tuple(np.shape(expected))}"
    return None


def initialparameters(rng, model: AbstractLayer) -> dict:
    return model.initialparameters(_generator(rng))


def initialstates(rng, model: AbstractLayer) -> dict:
    return model.initialstates(_generator(rng))


def parameterlength(model) -> int:
    return model.parameterlength() if isinstance(model, AbstractLayer) else _tree_length(model)


def statelength(model) -> int:
    return model.statelength() if isinstance(model, AbstractLayer) else _tree_length(model)


def _generator(rng) -> np.random.Generator:
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (int, np.integer)):
        return np.random.default_rng(int(rng))
    raise LuxTypeError(f"rng must be a numpy.random.Generator (np.random.default_rng(seed)) or an int seed, "
                       f"got {type(rng).__name__}",
                       fix="pass np.random.default_rng(seed) or an int seed")


def update_state(st, key: str, value) -> dict:
    """A copy of the state tree with every `key` entry set to `value` (Lux's `update_state`)."""
    if isinstance(st, dict):
        return {k: (value if k == key else update_state(v, key, value)) for k, v in st.items()}
    return st


def testmode(st) -> dict:
    """States for inference: every layer's `training` flag False (dropout off, batch statistics frozen)."""
    return update_state(st, "training", False)


def trainmode(st) -> dict:
    return update_state(st, "training", True)
