"""`simplify`: algebraic, shape, slicing, dot, reduction and zero-extent identities applied to a fixed
point (see `algebra`, `shape`, `slicing`, `dot`, `reduce`, `zero_extent`).

`no-nan` (default off) lets rewrites assume no value is nan or inf (`dot(x, 0)` -> 0); without it
every rewrite is exact, bit for bit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from jaxlib.mlir import ir

from passes.registry import register_pass
from passes.rewrite import apply_patterns
from passes.simplify import algebra, dot, reduce, shape, slicing, zero_extent


@register_pass
@dataclass(frozen=True)
class Simplify:
    name: ClassVar[str] = "simplify"
    max_iterations: int = 10
    no_nan: bool = False

    def apply(self, module: ir.Module) -> None:
        apply_patterns(module, [*zero_extent.patterns(), *algebra.patterns(self.no_nan), *shape.patterns(), *slicing.patterns(),
                                *dot.patterns(self.no_nan), *reduce.patterns()], self.max_iterations)
