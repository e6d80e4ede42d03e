"""StatefulLayer (LuxCore's StatefulLuxLayer): a layer with its parameters and state held for it.

    s = lux.StatefulLayer(model, ps, st)
    y = s(x)            # = model(x, s.ps, s.st)[0]; s.st is now the new state
    y = s(x, other_ps)  # with other parameters (e.g. the ones being differentiated)

It is not a layer (it has no (x, ps, st) call): it is the convenience wrapper Lux uses inside
`@compact` and for code that wants `f(x)` instead of `f(x, ps, st)`. It is a pytree (parameters and
state are its leaves, the model is static), so it can be passed into and returned from `tracer.jit`;
there, `s.st` changes on the traced copy only, so return `s` (or `s.st`) to get the new state out.
"""

from __future__ import annotations

from jax import tree_util

from lux import display
from lux.core import AbstractLayer, parameterlength, statelength
from lux.errors import LuxTypeError

__all__ = ["StatefulLayer"]


@tree_util.register_pytree_node_class
class StatefulLayer:
    """`model` with its parameters `ps` and state `st` bound: `y = s(x)`.

    Arguments: `model` (a lux layer), `ps` (its parameters, or None to give them at each call),
    `st` (its state).
    Inputs: `x`, and optionally `ps` to use instead of the stored ones.
    Returns: the model's output `y`; the new state is kept in `s.st`.
    """

    def __init__(self, model: AbstractLayer, ps, st):
        if not isinstance(model, AbstractLayer):
            raise LuxTypeError(f"StatefulLayer wraps a lux layer, got a {type(model).__name__}",
                               fix="StatefulLayer(model, ps, st) with model a lux layer, e.g. lux.Dense(3, 2)")
        self.model, self.ps, self.st = model, ps, st

    def __call__(self, x, ps=None):
        ps = self.ps if ps is None else ps
        if ps is None:
            raise LuxTypeError(f"StatefulLayer({self.model.summary()}) was built without parameters",
                               fix="call it as s(x, ps), or build it with StatefulLayer(model, ps, st)")
        y, self.st = self.model(x, ps, self.st)
        return y

    def apply(self, x, ps=None):
        """Lux's `apply(s, x, ps)`: the same as `s(x, ps)`."""
        return self(x, ps)

    def parameterlength(self) -> int:
        return self.model.parameterlength() if self.ps is None else parameterlength(self.ps)

    def statelength(self) -> int:
        return statelength(self.st)

    # -- pytree: ps and st are the leaves' containers, the model is static ---------------------------

    def tree_flatten(self):
        return (self.ps, self.st), self.model

    @classmethod
    def tree_unflatten(cls, model, children):
        ps, st = children
        return cls(model, ps, st)

    def __repr__(self) -> str:
        lines = ["StatefulLayer("] + display.layer_lines(self.model, "", "    ") + [")"]
        return display.with_totals(lines, self.parameterlength(), self.statelength())
