"""From a traced program to the module XLA compiles: our pass pipeline, @main's unused arguments dropped,
the sharding plan written in; or, where that is exact, all of it read back from the persistent cache.

Unused arguments go as in JAX (jit's default `keep_unused=False`): an argument the optimised program
does not read costs no transfer and no buffer handed to PJRT per call; the caller maps the call's
arrays onto the arguments kept (`OptimizedModule.kept_arguments`). A donated argument stays, read or not:
XLA may write a result into its buffer (the memory its caller gave up), and deletes it when it does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from jaxlib.mlir import ir as mlir

import ir
import passes
from ir import query
from tracer import module_cache
from tracer.sharding import ShardingPlan

if TYPE_CHECKING:
    from tracer.staging import TracedProgram

__all__ = ["OptimizedModule", "drop_unused_arguments", "optimize"]


@dataclass(frozen=True)
class OptimizedModule:
    """The module of one traced call, as traced and as XLA gets it."""

    traced_text: str  # as traced (`as_text("traced")`)
    text: str  # after our passes, unused arguments dropped and shardings written in (`as_text("optimized")`)
    debug_text: str  # `text` with source locations: XLA compiles it, so its HLO metadata names the user's lines
    kept_arguments: tuple[int, ...]  # the traced arguments @main still takes, in order (indices among all)
    plan: ShardingPlan | None  # the sharding plan of the arguments kept, or None (one device)


def optimize(program: TracedProgram, *, pipeline: str | None, pass_options: dict | None,
             plan: ShardingPlan | None) -> OptimizedModule:
    """Prepare `program.module` for XLA (changing it): from the persistent cache when exact, else by
    `run_passes`. `plan`: the sharding plan of every traced argument, or None."""
    traced_text = ir.print_module(program.module)
    key = module_cache.entry_key(program.module, pipeline, pass_options, plan)
    prepared = module_cache.load(key) if key is not None else None
    if prepared is None:
        prepared = run_passes(program, traced_text, pipeline=pipeline, pass_options=pass_options, plan=plan)
        if key is not None:
            module_cache.store(key, *prepared)
    text, debug_text, kept = prepared
    return OptimizedModule(traced_text, text, debug_text, kept, plan.for_arguments(kept) if plan is not None else None)


def run_passes(program: TracedProgram, traced_text: str, *, pipeline: str | None, pass_options: dict | None,
               plan: ShardingPlan | None) -> tuple[str, str, tuple[int, ...]]:
    """Our pipeline on `program.module`, then unused arguments dropped, then the sharding plan written in
    (after the passes, which need not know Shardy's attributes). Returns (text, debug text, kept arguments)."""
    module = program.module
    if pipeline:
        passes.run(module, pipeline, **(pass_options or {}))
    kept = drop_unused_arguments(module)
    changed = bool(pipeline) or len(kept) < len(program.in_signatures)
    if plan is not None:
        plan.for_arguments(kept).annotate(module, [program.in_signatures[i] for i in kept], program.out_signatures)
        changed = True
    text = ir.print_module(module) if changed else traced_text
    return text, ir.print_module(module, debug_info=True), kept


def drop_unused_arguments(module: mlir.Module) -> tuple[int, ...]:
    """Erase the arguments of `@main` that nothing reads and that are not donated (`jax.buffer_donor`, or
    `tf.aliasing_output`: paired with a result); returns the indices of the arguments kept."""
    main = query.main_function(module)
    block = main.regions[0].blocks[0]
    arguments = list(block.arguments)
    argument_attributes = list(mlir.ArrayAttr(main.attributes["arg_attrs"])) if "arg_attrs" in main.attributes else None
    kept = tuple(i for i, argument in enumerate(arguments) if next(iter(argument.uses), None) is not None
                 or (argument_attributes is not None and _donated(mlir.DictAttr(argument_attributes[i]))))
    if len(kept) == len(arguments):
        return kept
    with module.context:
        inputs = [argument.type for argument in arguments]
        results = mlir.FunctionType(mlir.TypeAttr(main.attributes["function_type"]).value).results
        for index in reversed(range(len(arguments))):
            if index not in kept:
                block.erase_argument(index)
        main.attributes["function_type"] = mlir.TypeAttr.get(mlir.FunctionType.get([inputs[i] for i in kept], results))
        if argument_attributes is not None:
            main.attributes["arg_attrs"] = mlir.ArrayAttr.get([argument_attributes[i] for i in kept])
    return kept


def _donated(attributes) -> bool:
    return "jax.buffer_donor" in attributes or "tf.aliasing_output" in attributes
