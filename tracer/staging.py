"""Running a Python function on TracedArrays to produce a StableHLO module."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
from jax import tree_util
from jaxlib.mlir import ir as mlir

import ir
from tracer import errors, numpy_namespace, numpy_random_guard, primitives, sharding, signature
from runtime import ConcreteArray
from tracer.control_flow._regions import Undefined
from tracer.numpy_api.masked import MaskedSelection, packed_shape_error
from tracer.trace_state import Trace
from tracer.traced_array import TracedArray, check_alive, is_traced

__all__ = ["TracedProgram", "trace"]


@dataclass
class TracedProgram:
    """A traced module and how to map Python values onto it and back."""

    module: mlir.Module
    array_positions: tuple[int, ...]  # which input leaves are arrays (module arguments, in order)
    out_tree: Any  # PyTreeDef of the result
    out_template: list  # result leaves: None where a module result goes, the static value otherwise
    out_positions: tuple[int, ...]  # where module results go in out_template
    in_signatures: tuple[tuple, ...]  # (shape, dtype) of each module argument
    donated_arguments: tuple[int, ...]  # module argument indices marked as buffer donors
    out_signatures: tuple[tuple, ...]  # (shape, dtype) of each module result
    constraint_mesh: Any = None  # the mesh `with_sharding_constraint` used while tracing, if any
    # Arguments the function wrote into (`x[...] = v`, `x += v`): (module argument index, module result index
    # holding its new value). Those results follow the function's own (`out_positions`), unless one of
    # those is the same value.
    mutations: tuple[tuple[int, int], ...] = ()
    # Module argument indices written into while `mutate_arguments=False`: the writes are not returned.
    lost_writes: tuple[int, ...] = ()


def trace(fn: Callable, leaves: list, treedef, static_key: tuple, *, donated: frozenset[int] | str = frozenset(),
          name: str | None = None, mutate_arguments: bool = True, platform: str | None = None) -> TracedProgram:
    """Trace `fn` on the call given by `leaves`/`treedef` (see `signature`) into a module.

    `donated` holds indices of array leaves whose buffers the caller gives up, or "auto": every
    array leaf that a result of the same shape and dtype can take the place of.
    `mutate_arguments`: an array argument the function writes into (an ndarray or ConcreteArray leaf)
    gets its new value as an extra result, and its buffer is donated (`TracedProgram.mutations`).
    `platform`: what the module is compiled for (None: the default device's platform).
    """
    array_positions = tuple(i for i, leaf in enumerate(leaves) if signature.is_array_leaf(leaf))
    arg_types = []
    for i in array_positions:
        leaf = leaves[i]
        dtype = np.dtype(leaf.dtype)
        if not ir.dtypes.is_supported(dtype):
            raise errors.TracedTypeError(
                f"argument leaf {i} has dtype {dtype}, which cannot be traced",
                fix="convert it to one of " + ", ".join(str(d) for d in ir.dtypes.SUPPORTED_DTYPES),
            )
        arg_types.append((tuple(np.shape(leaf)), dtype))
    fn_name = name or getattr(fn, "__name__", "fn")
    session = Trace("main", arg_types, module_name=f"jit_{fn_name}", platform=platform)
    with session.active():
        tracers = list(leaves)
        for argument, i, (shape, dtype) in zip(session.builder.arguments, array_positions, arg_types):
            tracers[i] = TracedArray(argument, session, shape, dtype)
        dyn_args, dyn_kwargs = tree_util.tree_unflatten(treedef, tracers)
        args, kwargs = signature.merge_static(dyn_args, dyn_kwargs, static_key)
        with numpy_namespace.intercepting(), numpy_random_guard.watching(fn, [entry[-1] for entry in static_key]):
            result = fn(*args, **kwargs)
        out_leaves, out_tree = tree_util.tree_flatten(result)
        out_template, out_positions, values, out_signatures = [], [], [], []
        for position, leaf in enumerate(out_leaves):
            if type(leaf) is MaskedSelection:
                raise packed_shape_error("returning x[mask] from the traced function")
            if is_traced(leaf) or signature.is_array_leaf(leaf):
                traced = check_alive(leaf) if is_traced(leaf) else primitives.lift(leaf)
                out_template.append(None)
                out_positions.append(position)
                values.append(traced._value)
                out_signatures.append((traced.shape, traced.dtype))
            else:
                if type(leaf) is Undefined:  # a variable @tracer.trace could not give a value
                    leaf._fail()
                out_template.append(leaf)  # Python numbers, strings ... returned as they are
        written = [k for k, i in enumerate(array_positions)
                   if tracers[i]._value != session.builder.arguments[k] and _holds_its_memory(leaves[i])]
        mutations, lost_writes = [], ()
        if mutate_arguments:
            for k in written:
                value = tracers[array_positions[k]]._value
                if value not in values:
                    values.append(value)
                    out_signatures.append(arg_types[k])
                mutations.append((k, values.index(value)))
        else:
            lost_writes = tuple(written)
    if donated == "auto":
        donated = _reusable_arguments(leaves, array_positions, arg_types, out_signatures)
    # A written argument's buffer may be reused for its new value (input/output aliasing).
    donated = frozenset(donated) | {array_positions[k] for k, _ in mutations}
    for index in donated:
        # XLA may reuse a donor's buffer for an output of the same shape (input/output aliasing).
        session.builder.set_argument_attribute(array_positions.index(index), "jax.buffer_donor",
                                               mlir.BoolAttr.get(True, context=session.builder.context))
    module = session.finish(values)
    ir.verify(module)
    donated_arguments = tuple(sorted(array_positions.index(i) for i in donated))
    return TracedProgram(module, array_positions, out_tree, out_template, tuple(out_positions),
                         tuple(arg_types), donated_arguments, tuple(out_signatures),
                         sharding.trace_mesh(session), tuple(mutations), lost_writes)


def _holds_its_memory(leaf) -> bool:
    """Whether a write into the argument can reach the caller: NumPy arrays and ConcreteArrays (and ArraySpecs,
    which stand for either); NumPy scalars and jax.Arrays are immutable."""
    return isinstance(leaf, (np.ndarray, ConcreteArray, signature.ArraySpec))


def _reusable_arguments(leaves, array_positions, arg_types, out_signatures) -> frozenset[int]:
    """donate="auto": pair arguments with results of the same (shape, dtype), first come first served;
    an argument nobody can reuse stays (donating it would only delete the caller's array)."""
    wanted: dict = {}
    for shape, dtype in out_signatures:
        wanted[(tuple(shape), np.dtype(dtype))] = wanted.get((tuple(shape), np.dtype(dtype)), 0) + 1
    chosen = set()
    for index, signature_ in zip(array_positions, arg_types):
        if wanted.get(signature_, 0) > 0:
            wanted[signature_] -= 1
            chosen.add(index)
    return frozenset(chosen)
