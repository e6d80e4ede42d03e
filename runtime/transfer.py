"""Moving pytrees of arrays between host (NumPy) and device (ConcreteArray), and the unchecked
per-call transfers that compiled calls use (`host_transfer`, `host_to_device_owned`,
`host_to_sharding`, `reshard`: device buffers in and out, shapes and dtypes known to the caller)."""

from __future__ import annotations

import jax
import numpy as np
from jax import tree_util

from ir import dtypes
from ir.location import describe, user_frame
from runtime import _jaxlib
from runtime.concrete_array import ConcreteArray
from runtime.devices import default_device
from runtime.errors import PlacementError, UnsupportedDtypeError
from runtime.sharding import broadcast_prefix, check_fits

__all__ = ["array_to_device", "copy_buffer", "host_to_device_owned", "host_to_sharding", "host_transfer", "reshard", "synchronize",
           "to_device", "to_host"]

# The compiled-call fast path's transfers: jaxlib's functions themselves (no wrapper frame per call).
# host_transfer(shape, dtype, device) -> a function copying NumPy arrays of that shape and dtype to `device`.
host_transfer = _jaxlib.host_transfer
# host_to_device_owned(array, device): a buffer for a NumPy array nobody else holds, its memory used in place.
host_to_device_owned = _jaxlib.host_to_device_owned
# host_to_sharding(array, sharding): a buffer split over `sharding`'s devices.
host_to_sharding = _jaxlib.host_to_sharding
# reshard(buffer, sharding_or_device): the same buffer when it is laid out so already, else a moved copy.
reshard = _jaxlib.reshard


def copy_buffer(buffer):
    """A new device buffer with `buffer`'s value, where it is (for a call that may consume the copy)."""
    return jax.device_put(buffer, may_alias=False)


def _is_host_array(x) -> bool:
    return isinstance(x, (np.ndarray, np.generic))


def array_to_device(x, device=None, sharding=None) -> ConcreteArray:
    """`x` as a ConcreteArray on `device`, or split over a mesh's devices by `sharding` (a NamedSharding)."""
    if isinstance(x, np.ma.MaskedArray):
        # np.asarray drops the mask, and a compiled sum would then count the masked elements (JAX refuses too).
        raise UnsupportedDtypeError("cannot put a masked array (np.ma) on a device: its mask would be dropped",
                                    fix="put the data and the mask as two arrays (np.ma.getdata(a), "
                                        "np.ma.getmaskarray(a)), or a.filled(value) where a fill value is meant")
    array = np.asarray(x)
    if not dtypes.is_supported(array.dtype):
        raise UnsupportedDtypeError(f"cannot put an array of dtype {array.dtype} on a device",
                                    fix="convert it to one of " + ", ".join(str(d) for d in dtypes.SUPPORTED_DTYPES))
    if sharding is not None:
        if device is not None:
            raise PlacementError("give a device or a sharding, not both", fix="a sharding names its devices (its mesh)")
        check_fits(sharding, array.shape, "to_device(sharding=...)", where=describe(user_frame()))
        return ConcreteArray(_jaxlib.host_to_sharding(array, sharding))
    return ConcreteArray(_jaxlib.host_to_device(array, device or default_device()))


def to_device(tree, device=None, sharding=None):
    """Every NumPy array (and NumPy scalar) leaf of `tree` copied to `device`; other leaves unchanged.

    `sharding`: a `runtime.NamedSharding` for every array leaf, or a pytree of them (None: the default
    device) that is a prefix of `tree`, e.g. `{"w": model_parallel, "b": None}`. Each device gets its piece.
    A ConcreteArray leaf stays where it is unless a device or sharding is given: then it moves there.
    """
    if sharding is None:
        target = device or default_device()
        return tree_util.tree_map(lambda x: _place(x, target, None, moving=device is not None), tree)
    leaves, treedef = tree_util.tree_flatten(tree)
    shardings = broadcast_prefix(sharding, tree, what="to_device's sharding")
    placed = [_place(x, device, s, moving=True) for x, s in zip(leaves, shardings)]
    return tree_util.tree_unflatten(treedef, placed)


def _place(x, device, sharding, *, moving: bool):
    if _is_host_array(x):
        return array_to_device(x, device, sharding)
    if not (moving and isinstance(x, ConcreteArray)):
        return x
    if sharding is not None:
        if device is not None:
            raise PlacementError("give a device or a sharding, not both", fix="a sharding names its devices (its mesh)")
        check_fits(sharding, x.shape, "to_device(sharding=...)", where=describe(user_frame()))
    target = sharding if sharding is not None else device or default_device()
    buffer = x._live_buffer()  # (a donated or deleted array: the clear error saying where)
    moved = _jaxlib.reshard(buffer, target)
    return x if moved is buffer else ConcreteArray(moved)


def to_host(tree):
    """Every ConcreteArray leaf of `tree` as a NumPy array; other leaves unchanged."""
    return tree_util.tree_map(lambda x: np.asarray(x) if isinstance(x, ConcreteArray) else x, tree)


def synchronize(tree):
    """Block until every ConcreteArray in `tree` is computed; returns `tree`.

    Compiled calls are asynchronous: they return as soon as the work is queued on the device.
    Use this before timing, or before handing the results to code that reads device memory directly.
    """
    for leaf in tree_util.tree_leaves(tree):
        if isinstance(leaf, ConcreteArray):
            leaf.block_until_ready()
    return tree
