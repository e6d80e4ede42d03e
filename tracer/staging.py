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
    # Results that are arguments as given, returned by the call itself (not module results, not donated):
    # (position among the result leaves, module argument index). Only with `trace(forward_arguments=True)`.
    forwarded: tuple[tuple[int, int], ...] = ()


def trace(fn: Callable, leaves: list, treedef, static_key: tuple, *, donated: frozenset[int] | str = frozenset(),
          name: str | None = None, mutate_arguments: bool = True, platform: str | None = None,
          forward_arguments: bool = False) -> TracedProgram:
    """Trace `fn` on the call given by `leaves`/`treedef` (see `signature`) into a module.

    `donated` holds indices of array leaves whose buffers the caller gives up, or "auto": every
    array leaf that a result of the same shape and dtype can take the place of.
    `mutate_arguments`: an array argument the function writes into (an ndarray or ConcreteArray leaf)
    gets its new value as an extra result, and its buffer is donated (`TracedProgram.mutations`).
    `platform`: what the module is compiled for (None: the default device's platform).
    `forward_arguments`: a result that is an argument unchanged is no module result (`TracedProgram.forwarded`).
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
        out_template, array_results = [], []  # array_results: (position, traced value, (shape, dtype))
        for position, leaf in enumerate(out_leaves):
            if type(leaf) is MaskedSelection:
                raise packed_shape_error("returning x[mask] from the traced function")
            if is_traced(leaf) or signature.is_array_leaf(leaf):
                traced = check_alive(leaf) if is_traced(leaf) else primitives.lift(leaf)
                out_template.append(None)
                array_results.append((position, traced._value, (traced.shape, traced.dtype)))
            else:
                if type(leaf) is Undefined:  # a variable @tracer.trace could not give a value
                    leaf._fail()
                out_template.append(leaf)  # Python numbers, strings ... returned as they are
        written = [k for k, i in enumerate(array_positions)
                   if tracers[i]._value != session.builder.arguments[k] and _holds_its_memory(leaves[i])]
        forwarded = _forwarded_results(array_results, session.builder.arguments, written) if forward_arguments else ()
        forwarded_positions = {position for position, _ in forwarded}
        out_positions, values, out_signatures = [], [], []
        for position, value, signature_ in array_results:
            if position not in forwarded_positions:
                out_positions.append(position)
                values.append(value)
                out_signatures.append(signature_)
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
    # A written argument's buffer may be reused for its new value (input/output aliasing); a forwarded one is
    # handed back as it is, so it is not given up (donating it would cost a copy into a new buffer).
    donated = (frozenset(donated) - {array_positions[k] for _, k in forwarded}) | {array_positions[k] for k, _ in mutations}
    argument_of_leaf = {leaf: k for k, leaf in enumerate(array_positions)}
    donated_arguments = tuple(sorted(argument_of_leaf[i] for i in donated))
    session.builder.set_argument_attributes(_donation_attributes(donated_arguments, arg_types, out_signatures,
                                                                 mutations, session.builder.context))
    module = session.finish(values)
    ir.verify(module)
    return TracedProgram(module, array_positions, out_tree, out_template, tuple(out_positions),
                         tuple(arg_types), donated_arguments, tuple(out_signatures),
                         sharding.trace_mesh(session), tuple(mutations), lost_writes, forwarded)


def _donation_attributes(donated: tuple[int, ...], arg_types, out_signatures, mutations, context) -> dict:
    """Per donated module argument, the attribute that gives up its buffer: `tf.aliasing_output = r` where a
    result r of the same shape and dtype takes it (its own new value for a written argument, else the first
    result of that signature not yet taken, in order, as JAX pairs them: a training step's parameters and
    moments with their new values), `jax.buffer_donor` where none does. Left to XLA, donors paired with results
    by size (a float32 loss took the int32 step count's buffer), and the values displaced cost copies."""
    results: dict = {}
    for r, (shape, dtype) in enumerate(out_signatures):
        results.setdefault((tuple(shape), np.dtype(dtype)), []).append(r)
    taken = {r for _, r in mutations}
    paired = dict(mutations)
    for k in donated:
        if k not in paired:
            queue = results.get(arg_types[k], ())
            r = next((r for r in queue if r not in taken), None)
            if r is not None:
                paired[k] = r
                taken.add(r)
    i32 = mlir.IntegerType.get_signless(32, context=context)
    true = mlir.BoolAttr.get(True, context=context)
    return {k: ({"tf.aliasing_output": mlir.IntegerAttr.get(i32, paired[k])} if k in paired
                else {"jax.buffer_donor": true}) for k in donated}


def _forwarded_results(array_results, arguments, written) -> tuple[tuple[int, int], ...]:
    """(result position, module argument index) of each array result that is an argument as it was given (an
    optimiser's hyperparameters, a state passed through): the call hands that argument back instead of the
    program copying it into a result buffer. Not for an argument the function wrote into: its new value is a
    result of its own."""
    index = {argument: k for k, argument in enumerate(arguments)}
    excluded = set(written)
    found = []
    for position, value, _ in array_results:
        k = index.get(value)
        if k is not None and k not in excluded:
            found.append((position, k))
    return tuple(found)


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
