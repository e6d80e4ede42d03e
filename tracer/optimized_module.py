"""From a traced program to the module XLA compiles: our pass pipeline, then the sharding plan written in;
or, where that is exact, both read back from the persistent cache (`tracer.module_cache`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import ir
import passes
from tracer import module_cache
from tracer.sharding import ShardingPlan

if TYPE_CHECKING:
    from tracer.tracing import TracedProgram

__all__ = ["OptimizedModule", "optimize"]


@dataclass(frozen=True)
class OptimizedModule:
    """The module of one traced call, as traced and as XLA gets it."""

    traced_text: str  # as traced (`as_text("traced")`)
    text: str  # after our passes, with the shardings written in (`as_text("optimized")`)
    debug_text: str  # `text` with source locations: XLA compiles it, so its HLO metadata names the user's lines


def optimize(program: TracedProgram, *, pipeline: str | None, pass_options: dict | None,
             plan: ShardingPlan | None) -> OptimizedModule:
    """Prepare `program.module` for XLA (changing it): from the persistent cache when exact, else by
    `run_passes`. `plan`: the sharding plan of the program, or None."""
    traced_text = ir.print_module(program.module)
    key = module_cache.entry_key(program.module, pipeline, pass_options, plan)
    prepared = module_cache.load(key) if key is not None else None
    if prepared is None:
        prepared = run_passes(program, traced_text, pipeline=pipeline, pass_options=pass_options, plan=plan)
        if key is not None:
            module_cache.store(key, *prepared)
    return OptimizedModule(traced_text, *prepared)


def run_passes(program: TracedProgram, traced_text: str, *, pipeline: str | None, pass_options: dict | None,
               plan: ShardingPlan | None) -> tuple[str, str]:
    """Our pipeline on `program.module`, then the sharding plan written in (after the passes, which need
    not know Shardy's attributes). Returns (text, text with debug info)."""
    module = program.module
    if pipeline:
        passes.run(module, pipeline, **(pass_options or {}))
    changed = bool(pipeline)
    if plan is not None:
        plan.annotate(module, program.in_signatures, program.out_signatures)
        changed = True
    text = ir.print_module(module) if changed else traced_text
    return text, ir.print_module(module, debug_info=True)
