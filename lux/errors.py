"""Clear errors for bad input to a layer: they name the layer's path in the model
(`layer_2.layer_1`), what it expects and the fix."""

from __future__ import annotations

import numpy as np


class LayerInputError(ValueError):
    """An input of the wrong shape or rank, or parameters/states of the wrong structure, reached a layer."""

    def __init__(self, message: str, *, path: tuple[str, ...] = ()):
        self.message, self.path = message, path
        super().__init__(f"{'.'.join(path)}: {message}" if path else message)

    def inside(self, name: str) -> "LayerInputError":
        """The same error, seen from the container that holds the failing layer as `name`."""
        return LayerInputError(self.message, path=(name,) + self.path)


def check_input_features(layer, x, expected: int, *, axis: int = -1) -> None:
    shape = np.shape(x)
    if not shape:
        raise LayerInputError(f"{layer.summary()} expects an input with {expected} features on its last axis, "
                              f"got a 0-d value; fix: give x the shape (batch, {expected})")
    if shape[axis] != expected:
        raise LayerInputError(f"{layer.summary()} expects {expected} input features on axis {axis}, got an input of "
                              f"shape {tuple(shape)}; fix: reshape x to (..., {expected}) or change the layer's input size")


def child_tree(tree, name: str, what: str, layer):
    """`tree[name]` for a container's child, or a clear error when the tree does not match the model."""
    if not isinstance(tree, dict) or name not in tree:
        have = sorted(tree) if isinstance(tree, dict) else type(tree).__name__
        raise LayerInputError(f"the {what} given to {layer.display_name()} have no entry {name!r} (they have {have}); "
                              f"fix: build them for this model with ps, st = lux.setup(rng, model)")
    return tree[name]
