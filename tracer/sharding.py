"""Sharding in traced code: `with_sharding_constraint`, and the plan that annotates a compiled module.

The chain: shardings given to `jit` (in_shardings/out_shardings), carried by ConcreteArray
arguments, or asked for inside the function (`with_sharding_constraint`) -> one mesh per program ->
Shardy annotations (`sdy.mesh`, `sdy.sharding` on @main's arguments and results,
`sdy.sharding_constraint` ops) -> XLA's SPMD partitioner splits the program over the mesh.
"""

from __future__ import annotations

import dataclasses
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from jax import tree_util
from jaxlib.mlir import ir as mlir

import runtime
from ir import ops, query
from ir.location import describe, user_frame
from runtime import ShardingError
from runtime.sharding import (MESH_SYMBOL, Mesh, NamedSharding, PartitionSpec, broadcast_prefix, check_fits,
                              same_mesh_devices, sdy_mesh_text, sdy_sharding_text)
from tracer import primitives
from tracer.trace_state import at_user_line, current_trace
from tracer.traced_array import is_traced

if TYPE_CHECKING:
    from tracer.staging import TracedProgram

__all__ = ["ShardingPlan", "ShardingRequest", "ensure_mesh_op", "plan", "trace_mesh", "with_sharding_constraint"]

# The mesh each trace's constraints refer to (one per program: XLA partitions over one device assignment).
_trace_meshes: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def with_sharding_constraint(x, sharding: NamedSharding):
    """Ask XLA to lay `x` out as `sharding` at this point of the program (an `sdy.sharding_constraint`).

    The values are unchanged; only where they live. Outside `tracer.jit`, a NumPy array is returned
    as it is (there is one device) and a ConcreteArray is moved to `sharding`.
    """
    where = describe(user_frame())
    check_fits(sharding, tuple(np.shape(x)), "with_sharding_constraint", where=where)
    trace = current_trace()
    if trace is None or not is_traced(x):
        if isinstance(x, runtime.ConcreteArray):
            return runtime.to_device(x, sharding=sharding)
        return x
    _declare_mesh(trace, sharding.mesh, where)
    x = primitives.lift(x)
    with at_user_line():
        value = ops.sharding_constraint(x._value, sdy_sharding_text(sharding.spec, len(x.shape)))
    return primitives.wrap(value, x.shape, x.dtype)


def _declare_mesh(trace, mesh: Mesh, where: str) -> None:
    known = _trace_meshes.get(trace)
    if known is None:
        _trace_meshes[trace] = mesh
        ensure_mesh_op(trace.builder.module, mesh)
    elif not same_mesh_devices(known, mesh):
        raise ShardingError(f"this function already shards over the mesh {dict(known.shape)} of devices "
                            f"{[d.id for d in known.devices.flat]}; a second mesh {dict(mesh.shape)} cannot join it",
                            fix="use one mesh for every sharding of a compiled function", where=where)


def trace_mesh(trace) -> Mesh | None:
    """The mesh that `with_sharding_constraint` calls in `trace` used, if any."""
    return _trace_meshes.get(trace)


def ensure_mesh_op(module: mlir.Module, mesh: Mesh) -> None:
    """Declare `sdy.mesh @mesh` at the top of `module` unless it is there."""
    ops.declare_mesh(module, MESH_SYMBOL, sdy_mesh_text(mesh))


@dataclass(frozen=True)
class ShardingRequest:
    """What one call asks about placement: the jit function's `in_shardings` and `out_shardings` (see
    `tracer.jit`), and the call's own arguments, whose ConcreteArrays may be placed with a sharding."""

    in_shardings: Any = None
    out_shardings: Any = None
    dyn_args: tuple = ()  # the positional arguments, static ones taken out (what a tuple of in_shardings matches)
    leaves: tuple = ()  # every dynamic argument leaf, in `signature.flatten` order
    where: str | None = None  # the user's line, for errors


@dataclass(frozen=True)
class ShardingPlan:
    """Where a compiled program's arguments and results live: one mesh, a sharding per module argument,
    and per result a sharding or None (XLA chooses)."""

    mesh: Mesh
    arguments: tuple[NamedSharding, ...]
    results: tuple[NamedSharding | None, ...]
    explicit_inputs: bool  # in_shardings given: argument shardings do not select the executable

    def for_arguments(self, kept: tuple[int, ...]) -> "ShardingPlan":
        """The plan of the module with only the arguments `kept` (their indices among the traced ones)."""
        return dataclasses.replace(self, arguments=tuple(self.arguments[i] for i in kept))

    def annotate(self, module: mlir.Module, in_signatures, out_signatures) -> None:
        """Put the plan into `module`: the mesh, `sdy.sharding` on @main's arguments and results."""
        ensure_mesh_op(module, self.mesh)
        with module.context:
            main = query.main_function(module)
            main.arg_attrs = mlir.ArrayAttr.get([
                _with_entry(main.arg_attrs[i] if "arg_attrs" in main.attributes else None,
                            "sdy.sharding", sdy_sharding_text(s.spec, len(shape)))
                for i, (s, (shape, _)) in enumerate(zip(self.arguments, in_signatures))])
            main.res_attrs = mlir.ArrayAttr.get([
                _with_entry(main.res_attrs[i] if "res_attrs" in main.attributes else None, "sdy.sharding",
                            None if s is None else sdy_sharding_text(s.spec, len(shape)))
                for i, (s, (shape, _)) in enumerate(zip(self.results, out_signatures))])
            size = mlir.IntegerAttr.get(mlir.IntegerType.get_signless(32), self.mesh.size)
            module.operation.attributes["mhlo.num_partitions"] = size
            module.operation.attributes["mhlo.num_replicas"] = mlir.IntegerAttr.get(mlir.IntegerType.get_signless(32), 1)


def _with_entry(current, name: str, text: str | None) -> mlir.DictAttr:
    entries = {named.name: named.attr for named in mlir.DictAttr(current)} if current is not None else {}
    if text is not None:
        entries[name] = mlir.Attribute.parse(text)
    return mlir.DictAttr.get(entries)


def _replicated(mesh: Mesh) -> NamedSharding:
    return NamedSharding(mesh, PartitionSpec())


def plan(program: TracedProgram, request: ShardingRequest) -> ShardingPlan | None:
    """The sharding plan of one traced call, or None when nothing asks for more than one device.

    Argument shardings come from `in_shardings` (one sharding for all, or a tuple with one entry per
    positional argument, each a sharding, None = replicated, or a pytree prefix of that argument;
    keyword arguments are replicated), else from ConcreteArray arguments placed with a NamedSharding.
    """
    in_shardings, out_shardings, leaves, where = request.in_shardings, request.out_shardings, request.leaves, request.where
    constraint_mesh = program.constraint_mesh
    if in_shardings is None and out_shardings is None and constraint_mesh is None and not any(
            type(leaf) is runtime.ConcreteArray and leaf.is_sharded for leaf in leaves):
        return None  # the common case: one device, nothing to plan
    explicit = in_shardings is not None
    if explicit:
        if isinstance(in_shardings, (tuple, list)):
            per_leaf = broadcast_prefix(tuple(in_shardings), tuple(request.dyn_args), what="in_shardings")
            per_leaf += [None] * (len(leaves) - len(per_leaf))  # keyword arguments
        else:
            per_leaf = [in_shardings] * len(leaves)
        arguments = [per_leaf[i] for i in program.array_positions]
    else:
        arguments = [_own_sharding(leaves[i]) for i in program.array_positions]
    results = [None] * len(program.out_positions)
    if out_shardings is not None:
        placeholders = tree_util.tree_unflatten(program.out_tree, [0] * len(program.out_template))
        per_out = broadcast_prefix(out_shardings, placeholders, what="out_shardings")
        results = [per_out[p] for p in program.out_positions]
    meshes = [s.mesh for s in (*arguments, *results) if s is not None] + [constraint_mesh] * (constraint_mesh is not None)
    if not meshes:
        return None
    mesh = meshes[0]
    for other in meshes[1:]:
        if not same_mesh_devices(mesh, other):
            raise ShardingError(f"the shardings of this call use two meshes, {dict(mesh.shape)} and {dict(other.shape)} "
                                "(or the same axes over other devices)",
                                fix="use one mesh for every argument, result and constraint of a compiled function",
                                where=where)
    arguments = [s if s is not None else _replicated(mesh) for s in arguments]
    for number, (s, (shape, _)) in enumerate(zip(arguments, program.in_signatures)):
        check_fits(s, shape, f"the sharding of array argument {number}", where=where)
    for number, (s, (shape, _)) in enumerate(zip(results, program.out_signatures)):
        if s is not None:
            check_fits(s, shape, f"the sharding of result {number}", where=where)
    return ShardingPlan(mesh, tuple(arguments), tuple(results), explicit)


def _own_sharding(leaf) -> NamedSharding | None:
    if isinstance(leaf, runtime.ConcreteArray) and leaf.is_sharded:
        sharding = leaf.signature[2]  # (not `leaf.sharding`, which fails on a donated array: the call says so)
        if not isinstance(sharding, NamedSharding):
            raise ShardingError(f"an argument is laid out as {sharding}, which is not a NamedSharding",
                                fix="place it with runtime.to_device(x, sharding=runtime.NamedSharding(mesh, spec))")
        return sharding
    return None
