"""lux's errors, on pyreactant's one error base: `file:line: what happened` / `  fix: what to do`.

The line is the user's (the call that built or applied the layer, found on the stack past lux and
the tracer). Each class is also the built-in exception a Python user expects (`except ValueError`
and `except TypeError` keep working). Bad input to a layer names the layer's path in the model
(`layer_2.layer_1`), so the message says which layer of a large model refused it.
"""

from __future__ import annotations

import numpy as np

from ir.errors import PyreactantError

__all__ = ["LayerInputError", "LuxError", "LuxTypeError", "LuxValueError", "check_input_features", "child_tree"]


class LuxError(PyreactantError):
    """Base of lux's errors (see `ir.errors.PyreactantError`: `message`, `fix=`, `where=`)."""


class LuxTypeError(LuxError, TypeError):
    """An argument of the wrong kind: a number where a layer belongs, a layer where a function does."""


class LuxValueError(LuxError, ValueError):
    """An argument of the right kind with a value the layer or function cannot take."""


class LayerInputError(LuxError, ValueError):
    """An input of the wrong shape or rank, or parameters/states of the wrong structure, reached a layer.

    `path` names the failing layer inside the model (`('layer_2', 'layer_1')`); the message starts with it.
    """

    def __init__(self, message: str, *, fix: str | None = None, path: tuple[str, ...] = (), where: str | None = None):
        self.reason, self.path = message, tuple(path)
        super().__init__(f"{'.'.join(self.path)}: {message}" if self.path else message, fix=fix, where=where)

    def inside(self, name: str) -> "LayerInputError":
        """The same error, seen from the container that holds the failing layer as `name`."""
        return LayerInputError(self.reason, fix=self.fix, path=(name,) + self.path, where=self.where)


def check_input_features(layer, x, expected: int, *, axis: int = -1) -> None:
    shape = np.shape(x)
    if not shape:
        raise LayerInputError(f"{layer.summary()} expects an input with {expected} features on its last axis, "
                              "got a 0-d value", fix=f"give x the shape (batch, {expected})")
    if shape[axis] != expected:
        raise LayerInputError(f"{layer.summary()} expects {expected} input features on axis {axis}, got an input of "
                              f"shape {tuple(shape)}",
                              fix=f"reshape x to (..., {expected}) or change the layer's input size")


def child_tree(tree, name: str, what: str, layer):
    """`tree[name]` for a container's child, or a clear error when the tree does not match the model."""
    if not isinstance(tree, dict) or name not in tree:
        have = sorted(tree) if isinstance(tree, dict) else type(tree).__name__
        raise LayerInputError(f"the {what} given to {layer.display_name()} have no entry {name!r} (they have {have})",
                              fix="build them for this model with ps, st = lux.setup(rng, model)")
    return tree[name]
