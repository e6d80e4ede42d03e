"""Containers (Lux's containers.jl): Chain, Parallel, BranchLayer, PairwiseFusion, SkipConnection, Maxout.

Positional layers are named layer_1, layer_2, ... (keyword layers keep their names), and the
parameter and state trees follow those names. Like Lux's wrapper layers, a container whose extra
piece (Parallel's `connection`, BranchLayer's `fusion`, SkipConnection's `connection`) is a plain
function keeps its layers' trees at the top (`ps['layer_1']`; SkipConnection: the layer's own tree),
and one whose extra piece is a layer nests them: `{'layers': {...}, 'connection': {...}}`.

`children()` is what Lux prints (its `printable_children`): the layers, plus the connection or
fusion, a function shown on its own line (`connection = add,`). Containers whose trees differ from
`{name: child's tree}` build their trees themselves.

Layers given positionally or by keyword (`Chain(a, b)`, `Chain(enc=a, dec=b)`) are not what a
dataclass `__init__` takes, so those containers write their own and set their fields with `_set_fields`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import KW_ONLY

import numpy as np

from lux import display
from lux.core import AbstractContainerLayer, AbstractLayer, call_checked, layer
from lux.errors import LayerInputError, LuxTypeError, child_tree
from lux.layers.basic import NoOpLayer, WrappedFunction

__all__ = ["BranchLayer", "Chain", "Maxout", "PairwiseFusion", "Parallel", "SkipConnection"]


def call_child(container, name: str, child: AbstractLayer, x, ps, st):
    """child(x, ps[name], st[name]), with errors naming the child's path in the model."""
    child_ps, child_st = child_tree(ps, name, "parameters", container), child_tree(st, name, "states", container)
    try:
        return call_checked(child, x, child_ps, child_st)
    except LayerInputError as err:
        raise err.inside(name) from err.__cause__


def named_layers(layers, named: dict) -> tuple[tuple[str, AbstractLayer], ...]:
    """Positional layers are layer_1, layer_2, ...; keyword layers keep their names."""
    if layers and named:
        raise LuxTypeError("give a container's layers either positionally or by name, not both",
                           fix="pass all the layers positionally (layer_1, layer_2, ...) or all by keyword")
    items = tuple((f"layer_{i + 1}", l) for i, l in enumerate(layers)) if layers else tuple(named.items())
    for name, value in items:
        if not isinstance(value, AbstractLayer):
            raise LuxTypeError(f"{name} is a {type(value).__name__}, not a layer",
                               fix="wrap a function f as lux.WrappedFunction(f)")
    return items


def _shown(name: str, piece) -> dict:
    """The display child for a connection/fusion: a layer as is, a function as a line, None not at all."""
    if piece is None:
        return {}
    return {name: piece if isinstance(piece, AbstractLayer) else display.Line(display.function_name(piece))}


def _check_piece(owner: str, what: str, piece, *, allow_none: bool, allow_layer: bool = True) -> None:
    if piece is None and allow_none:
        return
    if isinstance(piece, AbstractLayer) and allow_layer:
        return
    if callable(piece) and not isinstance(piece, AbstractLayer):
        return
    kinds = "a function" + (" or a layer" if allow_layer else "") + (" or None" if allow_none else "")
    raise LuxTypeError(f"{owner}'s {what} must be {kinds}, got {piece!r}",
                       fix="pass a function such as np.add" + (" or a lux layer" if allow_layer else ""))


def _some_layers(owner: str, layers, named: dict) -> tuple[tuple[str, AbstractLayer], ...]:
    """`named_layers`, of which a container other than Chain needs at least one."""
    items = named_layers(layers, named)
    if not items:
        raise LuxTypeError(f"{owner} needs at least one layer", fix=f"give {owner} one or more layers")
    return items


def _run_layers(container, items, inputs, ps, st):
    """Each (name, child) on its input: the outputs and the new states {name: state}."""
    ys, new_states = [], {}
    for (name, child), x in zip(items, inputs):
        y, new_states[name] = call_child(container, name, child, x, ps, st)
        ys.append(y)
    return ys, new_states


def _run_nested_layers(container, items, inputs, ps, st):
    """`_run_layers` on ps['layers'] / st['layers'], errors naming `layers.<child>`."""
    layer_ps = child_tree(ps, "layers", "parameters", container)
    layer_st = child_tree(st, "layers", "states", container)
    try:
        return _run_layers(container, items, inputs, layer_ps, layer_st)
    except LayerInputError as err:
        raise err.inside("layers") from None


def _trees(items, piece_name: str, piece, rng, kind: str) -> dict:
    """The parameter or state tree (`kind`) of layers plus an optional connection/fusion: flat when the
    piece is a function, `{'layers': ..., piece_name: ...}` when it is a layer (layers drawn first, as Lux)."""
    layers_tree = {name: getattr(child, kind)(rng) for name, child in items}
    if isinstance(piece, AbstractLayer):
        return {"layers": layers_tree, piece_name: getattr(piece, kind)(rng)}
    return layers_tree


def _flatten_chain(layers) -> list[AbstractLayer]:
    """Lux's Chain arguments: nested tuples/lists are spliced in, functions become WrappedFunction."""
    out = []
    for value in layers:
        if isinstance(value, (tuple, list)):
            out.extend(_flatten_chain(value))
        else:
            out.append(_as_chain_layer(value))
    return out


def _as_chain_layer(value):
    if isinstance(value, AbstractLayer):
        return value
    if callable(value):
        return WrappedFunction(value)
    raise LuxTypeError(f"Chain takes layers or functions, got a {type(value).__name__}",
                       fix="pass a lux layer, or a function f (it becomes lux.WrappedFunction(f))")


@layer
class Chain(AbstractContainerLayer):
    """Apply `layers` in order: `Chain(Dense(2, 4, relu), Dense(4, 1))` or `Chain(enc=..., dec=...)`.

    Arguments: layers (positional: layer_1, layer_2, ...; or by keyword). Functions become
    `WrappedFunction`s, nested tuples/lists of layers are spliced in, and `Chain()` is `Chain(NoOpLayer())`,
    as in Lux.
    Keywords: `name`, shown instead of `Chain` when printing.
    Inputs: `x`, given to the first layer. Returns the last layer's output and the new states.
    Parameters and states nest under each layer's name: `ps['layer_1']['weight']`.
    `chain[i]` is the i-th layer (0-based), `chain[1:]` a Chain of the others (names kept), `chain.layer_1` by name.
    """

    layers: tuple
    name: str | None = None

    def __init__(self, *layers, name: str | None = None, **named):
        layers = _flatten_chain(layers)
        named = {key: _as_chain_layer(value) for key, value in named.items()}
        if not layers and not named:
            layers = [NoOpLayer()]
        self._set_fields(layers=named_layers(layers, named), name=name)

    def children(self) -> dict:
        return dict(self.layers)

    def display_name(self) -> str:
        return self.name or "Chain"

    def __call__(self, x, ps, st):
        new_states = {}
        for name, child in self.layers:
            x, new_states[name] = call_child(self, name, child, x, ps, st)
        return x, new_states

    def __len__(self) -> int:
        return len(self.layers)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return Chain(name=self.name, **dict(self.layers[index]))
        return self.layers[index][1]

    def __getattr__(self, attribute):
        # Only reached for names that are not fields: a layer's name (`chain.layer_1`).
        if not attribute.startswith("__"):
            for name, child in self.__dict__.get("layers", ()):
                if name == attribute:
                    return child
        raise AttributeError(f"{type(self).__name__} has no field or layer {attribute!r}")


@layer
class Parallel(AbstractContainerLayer):
    """Give the input to every layer, then combine the outputs with `connection`.

    Arguments: `connection` (None: return the tuple of outputs; a function called as
    `connection(y_1, ..., y_N)`; or a layer applied to the tuple `(y_1, ..., y_N)`), then the layers
    (positional: layer_1, ...; or by keyword).
    Keywords: `name`, shown instead of `Parallel` when printing.
    Inputs: one input `x` for every layer, or a tuple of N inputs, one per layer.
    Returns the combined output and the new states.
    Parameters / States: `{layer_1: ..., layer_N: ...}`; with a layer connection
    `{'layers': {layer_1: ...}, 'connection': ...}`.
    """

    connection: Callable | AbstractLayer | None
    layers: tuple
    name: str | None = None

    def __init__(self, connection, *layers, name: str | None = None, **named):
        _check_piece("Parallel", "connection", connection, allow_none=True)
        self._set_fields(connection=connection, layers=_some_layers("Parallel", layers, named), name=name)

    def children(self) -> dict:
        return {**_shown("connection", self.connection), **dict(self.layers)}

    def display_name(self) -> str:
        return self.name or "Parallel"

    def initialparameters(self, rng) -> dict:
        return _trees(self.layers, "connection", self.connection, rng, "initialparameters")

    def initialstates(self, rng) -> dict:
        return _trees(self.layers, "connection", self.connection, rng, "initialstates")

    def __call__(self, x, ps, st):
        inputs = _branch_inputs(self, x, len(self.layers))
        if not isinstance(self.connection, AbstractLayer):
            ys, new_states = _run_layers(self, self.layers, inputs, ps, st)
            return (tuple(ys) if self.connection is None else self.connection(*ys)), new_states
        ys, layer_states = _run_nested_layers(self, self.layers, inputs, ps, st)
        y, connection_state = call_child(self, "connection", self.connection, tuple(ys), ps, st)
        return y, {"layers": layer_states, "connection": connection_state}


def _branch_inputs(container, x, n: int) -> list:
    """Parallel's inputs: a tuple gives one element per layer, anything else goes to all of them."""
    if not isinstance(x, tuple):
        return [x] * n
    if len(x) != n:
        raise LayerInputError(f"{container.display_name()} has {n} layers but got a tuple of {len(x)} inputs",
                              fix=f"pass {n} inputs (one per layer) or one array for all of them")
    return list(x)


@layer
class BranchLayer(AbstractContainerLayer):
    """Give one input to every layer and return the tuple of their outputs (optionally fused).

    Arguments: the layers (positional: layer_1, ...; or by keyword).
    Keywords: `fusion` (None: the tuple; a function called as `fusion(y_1, ..., y_N)`; or a layer
    applied to the tuple), `name`.
    Inputs: `x`, given to every layer (a tuple is not split: see Parallel for that).
    Returns the tuple (or the fused output) and the new states.
    Parameters / States: `{layer_1: ..., layer_N: ...}`; with a layer fusion `{'layers': ..., 'fusion': ...}`.
    """

    layers: tuple
    fusion: Callable | AbstractLayer | None = None
    name: str | None = None

    def __init__(self, *layers, fusion=None, name: str | None = None, **named):
        _check_piece("BranchLayer", "fusion", fusion, allow_none=True)
        self._set_fields(layers=_some_layers("BranchLayer", layers, named), fusion=fusion, name=name)

    def children(self) -> dict:
        return {**dict(self.layers), **_shown("fusion", self.fusion)}

    def display_name(self) -> str:
        return self.name or "BranchLayer"

    def initialparameters(self, rng) -> dict:
        return _trees(self.layers, "fusion", self.fusion, rng, "initialparameters")

    def initialstates(self, rng) -> dict:
        return _trees(self.layers, "fusion", self.fusion, rng, "initialstates")

    def __call__(self, x, ps, st):
        inputs = [x] * len(self.layers)
        if not isinstance(self.fusion, AbstractLayer):
            ys, new_states = _run_layers(self, self.layers, inputs, ps, st)
            return (tuple(ys) if self.fusion is None else self.fusion(*ys)), new_states
        ys, layer_states = _run_nested_layers(self, self.layers, inputs, ps, st)
        y, fusion_state = call_child(self, "fusion", self.fusion, tuple(ys), ps, st)
        return y, {"layers": layer_states, "fusion": fusion_state}


@layer
class PairwiseFusion(AbstractContainerLayer):
    """Alternate layers and a two-argument `connection`, feeding one more input at each step:

        y = x_0;  for i in 1..N:  y = connection(layer_i(y), x_i)

    With a single (non-tuple) input x, every x_i is x.

    Arguments: `connection(layer_output, next_input)` (a function), then the layers (positional or by keyword).
    Keywords: `name`.
    Inputs: a tuple of N + 1 inputs, or one input used at every step. Returns y and the new states.
    Parameters / States: `{layer_1: ..., layer_N: ...}`.
    """

    connection: Callable
    layers: tuple
    name: str | None = None

    def __init__(self, connection, *layers, name: str | None = None, **named):
        _check_piece("PairwiseFusion", "connection", connection, allow_none=False, allow_layer=False)
        self._set_fields(connection=connection, layers=_some_layers("PairwiseFusion", layers, named), name=name)

    def children(self) -> dict:
        return {**_shown("connection", self.connection), **dict(self.layers)}

    def display_name(self) -> str:
        return self.name or "PairwiseFusion"

    def initialparameters(self, rng) -> dict:
        return {name: child.initialparameters(rng) for name, child in self.layers}

    def initialstates(self, rng) -> dict:
        return {name: child.initialstates(rng) for name, child in self.layers}

    def __call__(self, x, ps, st):
        n = len(self.layers)
        if isinstance(x, tuple) and len(x) != n + 1:
            raise LayerInputError(f"{self.display_name()} has {n} layers and takes a tuple of {n + 1} inputs, got "
                                  f"{len(x)}", fix=f"pass {n + 1} inputs (the first goes to layer_1) or one array")
        inputs = list(x) if isinstance(x, tuple) else [x] * (n + 1)
        y, new_states = inputs[0], {}
        for (name, child), x_next in zip(self.layers, inputs[1:]):
            out, new_states[name] = call_child(self, name, child, y, ps, st)
            y = self.connection(out, x_next)
        return y, new_states


@layer
class SkipConnection(AbstractContainerLayer):
    """`connection(layers(x), x)`: a residual block is `SkipConnection(block, np.add)`.

    Arguments: `layers` (a layer, e.g. a Chain), `connection` (a function of (layer output, input), or a
    layer applied to the pair).
    Keywords: `name`.
    Inputs: `x`. Returns the connection's output and the new states.
    Parameters / States: those of `layers` itself (not nested) when `connection` is a function;
    `{'layers': ..., 'connection': ...}` when it is a layer.
    """

    layers: AbstractLayer
    connection: Callable | AbstractLayer
    _: KW_ONLY
    name: str | None = None

    def __post_init__(self):
        if not isinstance(self.layers, AbstractLayer):
            raise LuxTypeError(f"SkipConnection's layers must be a layer, got a {type(self.layers).__name__}",
                               fix="wrap a function f as lux.WrappedFunction(f)")
        _check_piece("SkipConnection", "connection", self.connection, allow_none=False)

    def children(self) -> dict:
        return {**_shown("connection", self.connection), "layers": self.layers}

    def display_name(self) -> str:
        return self.name or "SkipConnection"

    def initialparameters(self, rng) -> dict:
        if not isinstance(self.connection, AbstractLayer):
            return self.layers.initialparameters(rng)
        return {"layers": self.layers.initialparameters(rng), "connection": self.connection.initialparameters(rng)}

    def initialstates(self, rng) -> dict:
        if not isinstance(self.connection, AbstractLayer):
            return self.layers.initialstates(rng)
        return {"layers": self.layers.initialstates(rng), "connection": self.connection.initialstates(rng)}

    def __call__(self, x, ps, st):
        if not isinstance(self.connection, AbstractLayer):
            y, new_state = self.layers(x, ps, st)
            return self.connection(y, x), new_state
        y, layer_state = call_child(self, "layers", self.layers, x, ps, st)
        out, connection_state = call_child(self, "connection", self.connection, (y, x), ps, st)
        return out, {"layers": layer_state, "connection": connection_state}


@layer
class Maxout(AbstractContainerLayer):
    """The elementwise maximum of several layers' outputs on the same input.

    Arguments: the layers (positional: layer_1, ...; or by keyword), or `Maxout(f, n_alts)`: `f()` (called
    once, as Lux does) repeated `n_alts` times, each copy with its own parameters.
    Inputs: `x`, given to every layer. Returns the elementwise max and the new states.
    Parameters / States: `{layer_1: ..., layer_N: ...}`.
    """

    layers: tuple

    def __init__(self, *layers, **named):
        if (len(layers) == 2 and callable(layers[0]) and not isinstance(layers[0], AbstractLayer)
                and isinstance(layers[1], (int, np.integer))):
            layers = (layers[0](),) * int(layers[1])
        self._set_fields(layers=_some_layers("Maxout", layers, named))

    def children(self) -> dict:
        return dict(self.layers)

    def __call__(self, x, ps, st):
        ys, new_states = _run_layers(self, self.layers, [x] * len(self.layers), ps, st)
        return functools.reduce(np.maximum, ys), new_states
