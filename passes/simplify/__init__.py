"""`simplify`: algebraic, shape and slicing identities applied to a fixed point (see `algebra`, `shape`,
`slicing`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from jaxlib.mlir import ir

from passes.registry import register_pass
from passes.rewrite import apply_patterns
from passes.simplify import algebra, shape, slicing


@register_pass
@dataclass(frozen=True)
class Simplify:
    name: ClassVar[str] = "simplify"
    max_iterations: int = 10

    def apply(self, module: ir.Module) -> None:
        apply_patterns(module, [*algebra.patterns(), *shape.patterns(), *slicing.patterns()], self.max_iterations)
