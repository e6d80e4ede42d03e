"""`dce`: erase ops without side effects whose results nobody uses."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from jaxlib.mlir import ir

from passes.registry import register_pass
from passes.rewrite import erase_dead_ops

__all__ = ["DeadCodeElimination"]


@register_pass
@dataclass(frozen=True)
class DeadCodeElimination:
    name: ClassVar[str] = "dce"

    def apply(self, module: ir.Module) -> bool:
        return erase_dead_ops(module)
