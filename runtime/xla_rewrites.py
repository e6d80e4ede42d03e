"""Rewrites of a module's text that XLA needs before it compiles it.

Each `OpRewrite` replaces ops XLA would mishandle (crash on, or compute wrongly) by ops computing what
the StableHLO spec says. They run on every module `runtime.compile_stablehlo` compiles, whoever wrote
it (its `REWRITES_BEFORE_XLA` lists them), so each first tests the text cheaply and a module without such
an op comes back unchanged (the same string) without being parsed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

from jaxlib.mlir import ir as mlir

import ir
from ir import query

__all__ = ["OpRewrite", "rewrite_for_xla"]


@dataclass(frozen=True)
class OpRewrite:
    name: str
    may_apply: Callable[[str], bool]  # the text may hold such an op (cheap; the IR decides)
    applies_to: Callable[[mlir.Operation], bool]
    rewrite: Callable[[mlir.Operation], None]  # replaces the op's uses and erases it

    def __call__(self, module_text: str) -> str:
        """`module_text` with this rewrite alone applied."""
        return rewrite_for_xla(module_text, (self,))


def rewrite_for_xla(module_text: str, rewrites: Sequence[OpRewrite]) -> str:
    """`module_text` with `rewrites` applied in order, parsed and printed once; the same string when
    none applies."""
    candidates = [r for r in rewrites if r.may_apply(module_text)]
    if not candidates:
        return module_text
    try:
        module = ir.parse_module(module_text)
    except ir.MLIRParseError:
        return module_text  # (XLA's parser reports it, as for any text it cannot read)
    changed = False
    for rewrite in candidates:
        targets = [op for op in query.walk(module) if rewrite.applies_to(op)]
        for op in targets:
            rewrite.rewrite(op)
        changed = changed or bool(targets)
    if not changed:
        return module_text
    ir.verify(module)
    return ir.print_module(module, debug_info=True)

