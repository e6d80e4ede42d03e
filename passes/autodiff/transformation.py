"""The entry points: `reverse` and `forward` over a module (or its text), and the `autodiff` pass."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Sequence

from jaxlib.mlir import ir

import ir as pyreactant_ir
from ir import query
from passes.autodiff.errors import AutodiffError
from passes.autodiff.forward_mode import forward_function
from passes.autodiff.function import DifferentiableFunction
from passes.autodiff.registry import FUSIONS
from passes.autodiff.reverse_mode import reverse_function
from passes.registry import register_pass

__all__ = ["Autodiff", "forward", "reverse"]


def _prepared(module_or_text, function: str, description: str | None) -> tuple[ir.Module, DifferentiableFunction]:
    module = pyreactant_ir.parse_module(module_or_text) if isinstance(module_or_text, str) else module_or_text
    if any(op.name == "func.call" for op in query.walk(module)):
        from passes.inline import Inline  # (only modules with calls pay for the import)

        Inline().apply(module)
    return module, DifferentiableFunction(module, function, description)


def _differentiate(mode_function, fn: DifferentiableFunction, wrt: Sequence[int]) -> None:
    """`mode_function` between the registry's fusions: merged before, split back after."""
    for merge, _ in FUSIONS:
        merge(fn.op)
    mode_function(fn, wrt)
    for _, split in FUSIONS:
        split(fn.op)


def reverse(module_or_text, wrt: Sequence[int] = (0,), *, function: str = "main",
            description: str | None = None) -> ir.Module:
    """Reverse mode: `@function(args..., out_cotangents...) -> (outs..., cotangents of the args in wrt)`.

    `description` names the function in errors (the tracer passes the user's, e.g. `tracer.grad(loss)`)."""
    module, fn = _prepared(module_or_text, function, description)
    with module.context:
        _differentiate(reverse_function, fn, fn.check_wrt(wrt))
    pyreactant_ir.verify(module)
    return module


def forward(module_or_text, wrt: Sequence[int] = (0,), *, function: str = "main",
            description: str | None = None) -> ir.Module:
    """Forward mode: `@function(args..., tangents of the args in wrt...) -> (outs..., out_tangents...)`."""
    module, fn = _prepared(module_or_text, function, description)
    with module.context:
        _differentiate(forward_function, fn, fn.check_wrt(wrt))
    pyreactant_ir.verify(module)
    return module


@register_pass
@dataclass(frozen=True)
class Autodiff:
    """`autodiff{mode=reverse wrt=0,1 function=main}`: differentiate one function of the module in place."""

    name: ClassVar[str] = "autodiff"
    mode: str = "reverse"
    wrt: str = "0"
    function: str = "main"

    def apply(self, module: ir.Module) -> bool:
        modes = {"reverse": reverse, "forward": forward}
        if self.mode not in modes:
            raise AutodiffError(f"autodiff mode {self.mode!r} is not one of {sorted(modes)}", where="",
                                fix="write autodiff{mode=reverse} or autodiff{mode=forward}")
        try:
            wrt = tuple(int(index) for index in self.wrt.replace(";", ",").split(",") if index.strip())
        except ValueError:
            raise AutodiffError(f"autodiff wrt={self.wrt!r} is not a list of argument indices", where="",
                                fix="write wrt=0 or wrt=0,1") from None
        modes[self.mode](module, wrt, function=self.function)
        return True
