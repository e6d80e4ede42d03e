"""`simplify`: constant folding, the algebraic, shape, slicing, dot, reduction, window and zero-extent
identities, and the loop rewrites of `licm` and `while-simplify` (see `passes.fold`, `algebra`,
`shape`, `slicing`, `dot`, `reduce`, `window`, `zero_extent`, `passes.licm`, `passes.while_simplify`), applied
together by one worklist driver to a fixed point, with dead ops erased as they appear.

They run together because each exposes the others: a folded constant lets an identity match
(`x * broadcast(1)`), an identity leaves constants to fold, a hoisted op meets the ops outside
the loop. One driver also visits each op once rather than once per pass. `fold=false` leaves
constants alone; `unroll-threshold` is `while-simplify`'s.

`no-nan` (default off) lets rewrites assume no value is nan or inf (`dot(x, 0)` -> 0); without it
every rewrite is exact, bit for bit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from jaxlib.mlir import ir

from passes import fold as folding
from passes import licm, while_simplify
from passes.registry import register_pass
from passes.rewrite import Pattern, apply_patterns
from passes.simplify import algebra, dot, reduce, shape, sign, slicing, window, zero_extent

__all__ = ["Simplify", "patterns"]


def patterns(*, no_nan: bool = False, fold: bool = True, unroll_threshold: int = 0) -> list[Pattern]:
    """Every simplify pattern, in the order they are offered an op (folding first)."""
    return [*(folding.patterns() if fold else ()), *zero_extent.patterns(), *algebra.patterns(no_nan),
            *shape.patterns(), *slicing.patterns(), *dot.patterns(no_nan), *reduce.patterns(), *window.patterns(), *sign.patterns(),
            *while_simplify.patterns(unroll_threshold), *licm.patterns()]


@register_pass
@dataclass(frozen=True)
class Simplify:
    name: ClassVar[str] = "simplify"
    max_iterations: int = 10
    no_nan: bool = False
    fold: bool = True
    unroll_threshold: int = 0

    def apply(self, module: ir.Module) -> bool:
        return apply_patterns(module, patterns(no_nan=self.no_nan, fold=self.fold, unroll_threshold=self.unroll_threshold),
                       self.max_iterations)
