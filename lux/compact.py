"""`lux.compact` (Lux's `@compact`): a layer written as one function, its pieces declared as keywords.

    @lux.compact(w1=lux.Dense(1, 32), w2=[lux.Dense(32, 32) for _ in range(3)], w3=lux.Dense(32, 1), act=lux.relu)
    def mlp(x, *, w1, w2, w3, act):
        embed = act(w1(x))
        for w in w2:
            embed = act(w(embed))
        return w3(embed)

    ps, st = lux.setup(rng, mlp)
    y, st = mlp(x, ps, st)          # also lux.apply and tracer.jit(lux.apply)

What each keyword becomes (Lux's rules):
- a layer, or a list/tuple/dict of layers: a sub-layer; inside the function it is called as `w1(x)`
  (bound to its parameters and state; its new state is collected into the returned state). A list
  or tuple is named "1", "2", ... in the trees (`ps['w2']['1']`) and arrives as a tuple.
- a NumPy array (or a list/tuple of arrays): a parameter, given to the function as an array.
- `lux.non_trainable(value)`: a state entry, given as is.
- `lux.init_fn(fn, kind="parameter"|"state")`: a parameter or state entry drawn as `fn(rng)` at setup.
- anything else (a function, a number, ...): kept in the state, as Lux does, and given as is. That
  is why the seed's MLP has "plus 1 states": `act = relu` is its one state entry (LuxCore counts a
  non-array state leaf as 1). Under `tracer.jit` such values are static (hashable; lists become tuples).

If the function takes two positional arguments, the second receives the whole parameter tree
(Lux's `do x, p`). The keyword `name` is reserved: with it the layer prints as that name on one line.
"""

from __future__ import annotations

import ast
import dataclasses
import hashlib
import inspect
import textwrap
from collections.abc import Callable
from typing import Any

import numpy as np

from lux import display
from lux.core import AbstractContainerLayer, AbstractLayer, layer, parameterlength, statelength
from lux.errors import LayerInputError, LuxTypeError, LuxValueError, child_tree
from lux.stateful import StatefulLayer

__all__ = ["CompactLayer", "compact", "init_fn", "non_trainable"]


# -- markers ------------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class NonTrainable:
    """`lux.non_trainable(value)`: store `value` in the state instead of the parameters."""

    value: Any


@dataclasses.dataclass(frozen=True)
class InitFn:
    """`lux.init_fn(fn, kind)`: a parameter or state entry initialised as `fn(rng)` at setup."""

    fn: Callable
    kind: str = "parameter"


def non_trainable(value) -> NonTrainable:
    """Mark a `compact` keyword as state (Lux's `@non_trainable`): it is not trained, and kept as is."""
    return NonTrainable(_freeze(value))


def init_fn(fn: Callable, kind: str = "parameter") -> InitFn:
    """A `compact` keyword initialised lazily as `fn(rng)` (Lux's `@init_fn`); `kind` is "parameter" or "state"."""
    if kind not in ("parameter", "state"):
        raise LuxValueError(f"init_fn's kind is 'parameter' or 'state', got {kind!r}",
                            fix="pass kind='parameter' or kind='state'")
    if not callable(fn):
        raise LuxTypeError(f"init_fn takes a function of rng, got a {type(fn).__name__}",
                           fix="pass a function of the generator, e.g. lux.init_fn(lambda rng: rng.standard_normal(3))")
    return InitFn(fn, kind)


# -- hashable storage of values -----------------------------------------------------------------

class _ArrayValue:
    """An array kept in a (hashable) layer: hashed and compared by content, handed out as a copy."""

    def __init__(self, array: np.ndarray):
        self.array = np.array(array)
        self.array.flags.writeable = False
        self._hash = hash((self.array.shape, self.array.dtype.str, hashlib.sha1(self.array.tobytes()).hexdigest()))

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other) -> bool:
        return (isinstance(other, _ArrayValue) and self.array.shape == other.array.shape
                and self.array.dtype == other.array.dtype and np.array_equal(self.array, other.array, equal_nan=True))

    def thaw(self) -> np.ndarray:
        return self.array.copy()


class _FrozenDict(tuple):
    """A dict kept in a layer: its items as a tuple (hashable)."""


def _freeze(value):
    """A hashable stand-in for `value` (arrays by content, lists as tuples, dicts as item tuples)."""
    if isinstance(value, np.ndarray):
        return _ArrayValue(value)
    if isinstance(value, (list, tuple)) and not isinstance(value, _FrozenDict):
        return tuple(_freeze(v) for v in value)
    if isinstance(value, dict):
        return _FrozenDict((k, _freeze(v)) for k, v in value.items())
    return value


def _thaw(value):
    """The value the trees hold for a frozen one (arrays copied, dicts rebuilt; lists stay tuples)."""
    if isinstance(value, _ArrayValue):
        return value.thaw()
    if isinstance(value, _FrozenDict):
        return {k: _thaw(v) for k, v in value}
    if isinstance(value, tuple):
        return tuple(_thaw(v) for v in value)
    return value


# -- sub-layers ---------------------------------------------------------------------------------

@layer
class _LayerGroup(AbstractContainerLayer):
    """A list, tuple or dict of layers given to `compact`: Lux turns it into a NamedTuple of layers
    (keys "1", "2", ... for a sequence), printed as `NamedTuple(` with runs of equal layers grouped."""

    layers: tuple
    is_dict: bool = False
    group_repeats = True

    def children(self) -> dict:
        return dict(self.layers)

    def display_name(self) -> str:
        return "NamedTuple"

    def __call__(self, x, ps, st):
        raise LuxTypeError("a group of layers given to lux.compact is not a layer itself: call its members",
                           fix="call each member on its input, e.g. for w in ws: x = w(x)")


def _contains_layer(value) -> bool:
    if isinstance(value, AbstractLayer):
        return True
    if isinstance(value, (list, tuple)):
        return any(_contains_layer(v) for v in value)
    if isinstance(value, dict):
        return any(_contains_layer(v) for v in value.values())
    return False


def _as_layer(name: str, value):
    """A layer, or a _LayerGroup for a (nested) list/tuple/dict made only of layers."""
    if isinstance(value, AbstractLayer):
        return value
    if isinstance(value, dict):
        items, is_dict = tuple((str(k), _as_layer(f"{name}.{k}", v)) for k, v in value.items()), True
    elif isinstance(value, (list, tuple)):
        items, is_dict = tuple((str(i + 1), _as_layer(f"{name}.{i + 1}", v)) for i, v in enumerate(value)), False
    else:
        raise LuxTypeError(f"compact keyword {name.split('.')[0]} mixes lux layers with other values ({name} is a "
                           f"{type(value).__name__})", fix="give the layers and the other values separate keywords")
    return _LayerGroup(items, is_dict)


class _BoundLayer(StatefulLayer):
    """A sub-layer as the compact function sees it: `w(x)`; errors name its path (`w2.1`)."""

    def __init__(self, model, ps, st, path: tuple[str, ...]):
        super().__init__(model, ps, st)
        self.path = path

    def __call__(self, x, ps=None):
        try:
            return super().__call__(x, ps)
        except LayerInputError as err:
            for name in reversed(self.path):
                err = err.inside(name)
            raise err from None


def _bind(owner, value, ps, st, path: tuple[str, ...]):
    """The callable view of a sub-layer (or a tuple/dict of them for a group)."""
    if not isinstance(value, _LayerGroup):
        return _BoundLayer(value, ps, st, path)
    bound = {key: _bind(owner, child, child_tree(ps, key, "parameters", owner), child_tree(st, key, "states", owner),
                        path + (key,)) for key, child in value.layers}
    return bound if value.is_dict else tuple(bound.values())


def _collect(value, bound):
    """The new state of a bound sub-layer (or group), after the function ran."""
    if not isinstance(value, _LayerGroup):
        return bound.st
    members = bound.values() if value.is_dict else bound
    return {key: _collect(child, b) for (key, child), b in zip(value.layers, members)}


# -- what the layer prints -----------------------------------------------------------------------

def _descriptor(value) -> str:
    """How a non-layer keyword prints (Lux's `kwarg_descriptor`)."""
    if isinstance(value, NonTrainable):
        return f"@non_trainable({_descriptor(value.value)})"
    if isinstance(value, InitFn):
        return f"@init_fn({_descriptor(value.fn)}, {value.kind})"
    if isinstance(value, _ArrayValue):
        shape = value.array.shape
        size = f"{shape[0]}-element" if len(shape) == 1 else ("0-dimensional" if not shape else "×".join(map(str, shape)))
        return f"{size} ndarray{{{value.array.dtype}}}"
    if isinstance(value, _FrozenDict):
        shown = [f"{k} = {_descriptor(v)}" for k, v in value[:3]]
        return "{" + ", ".join(shown) + (", ..." if len(value) > 3 else "") + "}"
    if isinstance(value, tuple):
        return "(" + ", ".join(_descriptor(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    if isinstance(value, (bool, int, float, complex, str, np.generic)) or value is None:
        return repr(value) if isinstance(value, str) else str(value)
    if callable(value):
        return display.function_name(value)
    return f"{type(value).__name__}(...)"


def _function_text(f: Callable) -> tuple[str, str]:
    """(input names, body lines) of the compact function for printing; ("x", "") when no source is found."""
    try:
        parameters = inspect.signature(f).parameters.values()
        inputs = ", ".join(p.name for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD))
    except (TypeError, ValueError):
        inputs = "x"
    try:
        source = textwrap.dedent(inspect.getsource(f))
        tree = ast.parse(source)
    except (OSError, TypeError, SyntaxError):
        return inputs, ""
    node = next((n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.Lambda))), None)
    if isinstance(node, ast.Lambda):
        return inputs, "    return " + ast.unparse(node.body)
    if node is None:
        return inputs, ""
    body = node.body
    if len(body) > 1 and isinstance(body[0], ast.Expr) and isinstance(getattr(body[0], "value", None), ast.Constant) \
            and isinstance(body[0].value.value, str):
        body = body[1:]  # the docstring
    lines = source.splitlines()[body[0].lineno - 1:node.end_lineno]
    return inputs, textwrap.indent(textwrap.dedent("\n".join(lines)), "    ")


# -- the layer -----------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class _Entry:
    """One keyword of `compact`: its name, what it is ("layer", "parameter", "state") and its value."""

    name: str
    kind: str
    value: Any


def _entry(name: str, value) -> _Entry:
    """Sort a keyword the way Lux's CompactLuxLayer / ValueStorage do."""
    if _contains_layer(value):
        return _Entry(name, "layer", _as_layer(name, value))
    if isinstance(value, NonTrainable):
        return _Entry(name, "state", value)
    if isinstance(value, InitFn):
        return _Entry(name, value.kind, value)
    if isinstance(value, np.ndarray):
        return _Entry(name, "parameter" if value.dtype.kind in "biufc" else "state", _ArrayValue(value))
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, np.ndarray) for v in value):
        return _Entry(name, "parameter", _freeze(value))
    return _Entry(name, "state", _freeze(value))


def _initial(entry: _Entry, rng):
    value = entry.value
    if isinstance(value, InitFn):
        return value.fn(rng)
    if isinstance(value, NonTrainable):
        return _thaw(value.value)
    return _thaw(value)


@layer
class CompactLayer(AbstractContainerLayer):
    """The layer `lux.compact` makes from a function and its keywords (Lux's CompactLuxLayer).

    Arguments: `f(x, *, keywords...)` (or `f(x, p, *, ...)` to receive the parameter tree), the keywords
    (see the module docstring for what each becomes), `name` (printed instead of the code).
    Inputs: `x`, given to `f`. Returns `f`'s result and the state with each sub-layer's new state.
    Parameters: `{sub-layer name: its parameters, array name: the array}`.
    States: `{sub-layer name: its state, other keyword name: its value}`.
    """

    f: Callable
    entries: tuple
    name: str | None = None
    takes_ps: bool = False
    inputs: str = "x"
    body: str = ""

    def __init__(self, f: Callable, name: str | None = None, **kwargs):
        # The keywords become `entries`, and the source of `f` its display: no dataclass __init__.
        takes_ps = _check_function(f, kwargs)
        entries = tuple(_entry(key, value) for key, value in kwargs.items())
        inputs, body = _function_text(f)
        self._set_fields(f=f, entries=entries, name=name, takes_ps=takes_ps, inputs=inputs, body=body)

    def _of_kind(self, *kinds: str):
        return [entry for entry in self.entries if entry.kind in kinds]

    # -- trees: the sub-layers' first, then the values (Lux's layers, then ValueStorage) ---------------

    def initialparameters(self, rng) -> dict:
        ps = {e.name: e.value.initialparameters(rng) for e in self._of_kind("layer")}
        ps.update({e.name: _initial(e, rng) for e in self._of_kind("parameter")})
        return ps

    def initialstates(self, rng) -> dict:
        st = {e.name: e.value.initialstates(rng) for e in self._of_kind("layer")}
        st.update({e.name: _initial(e, rng) for e in self._of_kind("state")})
        return st

    def parameterlength(self) -> int:
        rng = np.random.default_rng(0)
        return (sum(e.value.parameterlength() for e in self._of_kind("layer"))
                + sum(parameterlength(_initial(e, rng)) for e in self._of_kind("parameter")))

    def statelength(self) -> int:
        rng = np.random.default_rng(0)
        return (sum(e.value.statelength() for e in self._of_kind("layer"))
                + sum(statelength(_initial(e, rng)) for e in self._of_kind("state")))

    # -- forward -------------------------------------------------------------------------------------

    def __call__(self, x, ps, st):
        arguments, bound = {}, {}
        for entry in self.entries:
            if entry.kind == "layer":
                entry_ps = child_tree(ps, entry.name, "parameters", self)
                entry_st = child_tree(st, entry.name, "states", self)
                arguments[entry.name] = bound[entry.name] = _bind(self, entry.value, entry_ps, entry_st, (entry.name,))
            elif entry.kind == "parameter":
                arguments[entry.name] = child_tree(ps, entry.name, "parameters", self)
            else:
                arguments[entry.name] = child_tree(st, entry.name, "states", self)
        y = self.f(x, ps, **arguments) if self.takes_ps else self.f(x, **arguments)
        new_states = dict(st)
        for entry in self._of_kind("layer"):
            new_states[entry.name] = _collect(entry.value, bound[entry.name])
        return y, new_states

    # -- display -------------------------------------------------------------------------------------

    def children(self) -> dict:
        """What Lux prints inside `@compact(...)`: each keyword, a layer or a `name = value` line."""
        if self.name:
            return {}  # a named compact prints as one line
        return {e.name: (e.value if e.kind == "layer" else display.Line(_descriptor(e.value))) for e in self.entries}

    def display_name(self) -> str:
        return self.name or "@compact"

    def summary(self) -> str:
        return self.name or "@compact(...)"

    def __repr__(self) -> str:
        if self.name:
            return display.render(self)
        lines = ["@compact("] + display.child_lines(self, "    ") + [f") do {self.inputs}"]
        lines += self.body.splitlines() if self.body else []
        return display.with_totals(lines + ["end"], self.parameterlength(), self.statelength())


def _check_function(f: Callable, kwargs: dict) -> bool:
    """Whether `f` fits the keywords; True when it also takes the parameter tree positionally."""
    if not callable(f):
        raise LuxTypeError(f"lux.compact decorates a function, got a {type(f).__name__}",
                           fix="put @lux.compact(w=lux.Dense(2, 3)) above def f(x, *, w)")
    try:
        parameters = list(inspect.signature(f).parameters.values())
    except (TypeError, ValueError):
        return False
    accepts_any = any(p.kind is p.VAR_KEYWORD for p in parameters)
    named = {p.name for p in parameters if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    unknown = [k for k in kwargs if k not in named and not accepts_any]
    if unknown:
        raise LuxTypeError(f"{getattr(f, '__name__', 'the function')} takes no keyword {unknown[0]!r} declared in "
                           "lux.compact", fix=f"add it to its signature: def f(x, *, {', '.join(kwargs)})")
    missing = [p.name for p in parameters
               if p.kind is p.KEYWORD_ONLY and p.default is p.empty and p.name not in kwargs]
    if missing:
        raise LuxTypeError(f"{getattr(f, '__name__', 'the function')} needs keyword {missing[0]!r}, which lux.compact "
                           "does not declare", fix=f"give it as lux.compact({missing[0]}=...)")
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
                  and p.name not in kwargs and p.default is p.empty]
    if len(positional) not in (1, 2):
        raise LuxTypeError(f"a lux.compact function takes the input x (and optionally the parameters p) positionally, "
                           f"{getattr(f, '__name__', 'it')} takes {len(positional)} positional argument(s)",
                           fix=f"def f(x, *, {', '.join(kwargs) or '...'})")
    return len(positional) == 2


def compact(fn: Callable | None = None, /, *, name: str | None = None, **kwargs):
    """Build a layer from a function and its pieces: `@lux.compact(w=lux.Dense(2, 3), act=lux.relu)`
    above `def f(x, *, w, act)`, or `lux.compact(f, w=..., act=...)`. See the module docstring."""
    if fn is None:
        return lambda f: CompactLayer(f, name, **kwargs)
    return CompactLayer(fn, name, **kwargs)
