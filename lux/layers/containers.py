"""Chain: layers applied in sequence, named layer_1, layer_2, ... (or by keyword)."""

from __future__ import annotations

from lux.core import AbstractContainerLayer, AbstractLayer, layer
from lux.errors import LayerInputError, child_tree


def call_child(container, name: str, child: AbstractLayer, x, ps, st):
    """child(x, ps[name], st[name]), with errors naming the child's path in the model."""
    child_ps, child_st = child_tree(ps, name, "parameters", container), child_tree(st, name, "states", container)
    try:
        return child(x, child_ps, child_st)
    except LayerInputError as err:
        raise err.inside(name) from None


def named_layers(layers, named: dict) -> tuple[tuple[str, AbstractLayer], ...]:
    """Positional layers are layer_1, layer_2, ...; keyword layers keep their names."""
    if layers and named:
        raise TypeError("give a container's layers either positionally or by name, not both")
    items = tuple((f"layer_{i + 1}", l) for i, l in enumerate(layers)) if layers else tuple(named.items())
    for name, value in items:
        if not isinstance(value, AbstractLayer):
            raise TypeError(f"{name} is a {type(value).__name__}, not a layer; fix: wrap a function f as "
                            f"lux.WrappedFunction(f)")
    return items


@layer
class Chain(AbstractContainerLayer):
    """Apply `layers` in order: `Chain(Dense(2, 4, relu), Dense(4, 1))` or `Chain(enc=..., dec=...)`.

    Parameters and states nest under each layer's name: `ps['layer_1']['weight']`.
    """

    layers: tuple

    def __init__(self, *layers, **named):
        object.__setattr__(self, "layers", named_layers(layers, named))

    def children(self) -> dict:
        return dict(self.layers)

    def __call__(self, x, ps, st):
        new_states = {}
        for name, child in self.layers:
            x, new_states[name] = call_child(self, name, child, x, ps, st)
        return x, new_states
