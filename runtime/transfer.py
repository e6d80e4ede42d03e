"""Moving pytrees of arrays between host (NumPy) and device (ConcreteArray)."""

from __future__ import annotations

import numpy as np
from jax import tree_util

from ir import dtypes
from runtime import _jaxlib
from runtime.concrete_array import ConcreteArray
from runtime.devices import default_device


def _is_host_array(x) -> bool:
    return isinstance(x, (np.ndarray, np.generic))


def array_to_device(x, device=None) -> ConcreteArray:
    array = np.asarray(x)
    if not dtypes.is_supported(array.dtype):
        raise TypeError(f"cannot put an array of dtype {array.dtype} on a device; supported: "
                        + ", ".join(str(d) for d in dtypes.SUPPORTED_DTYPES))
    return ConcreteArray(_jaxlib.host_to_device(array, device or default_device()))


def to_device(tree, device=None):
    """Every NumPy array (and NumPy scalar) leaf of `tree` copied to `device`; other leaves unchanged."""
    device = device or default_device()
    return tree_util.tree_map(lambda x: array_to_device(x, device) if _is_host_array(x) else x, tree)


def to_host(tree):
    """Every ConcreteArray leaf of `tree` as a NumPy array; other leaves unchanged."""
    return tree_util.tree_map(lambda x: np.asarray(x) if isinstance(x, ConcreteArray) else x, tree)


def synchronize(tree):
    """Block until every ConcreteArray in `tree` is computed; returns `tree`."""
    for leaf in tree_util.tree_leaves(tree):
        if isinstance(leaf, ConcreteArray):
            leaf.block_until_ready()
    return tree
