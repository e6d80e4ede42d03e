"""Meshes and shardings, and their Shardy (`sdy`) spelling in a module.

We do not distribute programs ourselves: a module's arguments, results and
`sdy.sharding_constraint`s carry Shardy annotations over one `sdy.mesh`, and
XLA's SPMD partitioner splits the program across the mesh's devices.

`Mesh`, `PartitionSpec` and `NamedSharding` are JAX's own classes (public
`jax.sharding`), so our device buffers (`jax.Array`s) carry them unchanged and
JAX code can consume our arrays.
"""

from __future__ import annotations

import math

import numpy as np
from jax import tree_util
from jax.sharding import Mesh, NamedSharding, PartitionSpec, Sharding

from runtime.devices import devices as _devices
from runtime.errors import ShardingError

__all__ = ["MESH_SYMBOL", "Mesh", "NamedSharding", "PartitionSpec", "broadcast_prefix", "check_fits", "make_mesh",
           "same_mesh_devices", "sdy_mesh_text", "sdy_sharding_text"]

# The one mesh symbol a module declares; every annotation refers to it.
MESH_SYMBOL = "mesh"


def make_mesh(shape: tuple[int, ...], axis_names: tuple[str, ...], devices=None) -> Mesh:
    """A `Mesh` of `shape` over the first `prod(shape)` devices (default: the default platform's)."""
    shape, axis_names = tuple(shape), tuple(axis_names)
    available = list(devices) if devices is not None else _devices()
    needed = math.prod(shape)
    if len(shape) != len(axis_names):
        raise ShardingError(f"mesh shape {shape} has {len(shape)} axes but {len(axis_names)} names {axis_names}",
                            fix="give one name per mesh axis")
    if needed > len(available):
        raise ShardingError(
            f"a mesh of shape {shape} needs {needed} devices; only {len(available)} are available",
            fix="use a smaller mesh, or on CPU set XLA_FLAGS=--xla_force_host_platform_device_count=N "
                "before the first import of jax/runtime")
    return Mesh(np.array(available[:needed], dtype=object).reshape(shape), axis_names)


def _is_prefix_leaf(value) -> bool:
    return value is None or isinstance(value, Sharding)


def broadcast_prefix(prefix, tree, *, what: str, is_leaf=None) -> list:
    """One entry of `prefix` (a sharding or None, or a pytree of them that is a prefix of `tree`)
    per leaf of `tree`, in `tree_util` leaf order."""
    prefix_leaves, prefix_def = tree_util.tree_flatten(prefix, is_leaf=_is_prefix_leaf)
    try:
        subtrees = prefix_def.flatten_up_to(tree)
    except (ValueError, TypeError) as err:
        raise ShardingError(f"{what} does not match the structure of the values it shards: {err}",
                            fix="give one sharding for everything, or a tuple/dict with the values' structure "
                                "(None where a value is replicated)") from None
    result = []
    for sharding, subtree in zip(prefix_leaves, subtrees):
        result.extend([sharding] * len(tree_util.tree_leaves(subtree, is_leaf=is_leaf)))
    return result


def check_fits(sharding: NamedSharding, shape: tuple[int, ...], what: str, where: str | None = None) -> None:
    """Raise `ShardingError` unless `sharding` can split an array of `shape` evenly."""
    if not isinstance(sharding, NamedSharding):
        raise ShardingError(f"{what}: expected a runtime.NamedSharding, got {type(sharding).__name__}",
                            fix="build one with runtime.NamedSharding(mesh, runtime.PartitionSpec(...))", where=where)
    spec, mesh = sharding.spec, sharding.mesh
    if len(spec) > len(shape):
        raise ShardingError(f"{what}: {spec} names {len(spec)} dimensions but the array has shape {shape}",
                            fix="give at most one PartitionSpec entry per array dimension", where=where)
    for dim, entry in enumerate(spec):
        for axis in _axes(entry):
            if axis not in mesh.shape:
                raise ShardingError(f"{what}: {spec} uses mesh axis {axis!r}; the mesh has {tuple(mesh.axis_names)}",
                                    fix="use one of the mesh's axis names", where=where)
        parts = math.prod(mesh.shape[a] for a in _axes(entry))
        if shape[dim] % parts:
            raise ShardingError(
                f"{what}: dimension {dim} of shape {shape} has size {shape[dim]}, which does not split evenly "
                f"into {parts} parts along {entry!r}",
                fix="pad the array, or shard that dimension over fewer devices", where=where)


def _axes(entry) -> tuple[str, ...]:
    if entry is None:
        return ()
    return tuple(entry) if isinstance(entry, (tuple, list)) else (entry,)


def sdy_mesh_text(mesh: Mesh) -> str:
    """`<["data"=4, "model"=2]>`: the mesh's axes; devices are the compile's device assignment, in order."""
    return "<[" + ", ".join(f'"{name}"={size}' for name, size in mesh.shape.items()) + "]>"


def sdy_sharding_text(spec: PartitionSpec, rank: int) -> str:
    """`#sdy.sharding<@mesh, [{"data"}, {}]>`; dimensions past the spec are replicated. Closed
    dimensions (no `?`): the partitioner must keep exactly this layout, as the user asked."""
    dims = [_axes(spec[d]) if d < len(spec) else () for d in range(rank)]
    body = ", ".join("{" + ", ".join(f'"{a}"' for a in axes) + "}" for axes in dims)
    return f"#sdy.sharding<@{MESH_SYMBOL}, [{body}]>"


def same_mesh_devices(a: Mesh, b: Mesh) -> bool:
    return a.shape == b.shape and tuple(a.devices.flat) == tuple(b.devices.flat)
