"""The one place that creates MLIR contexts for pyreactant.

Every module we build or parse lives in a context made here, so the set of
loaded dialects (jaxlib's upstream registry plus stablehlo, chlo and sdy) is
the same everywhere: a module traced by `tracer`, parsed by the CLI or
rewritten by `passes` can always be printed, verified and handed to XLA.
"""

from __future__ import annotations

import functools

from jaxlib.mlir import ir
from jaxlib.mlir._mlir_libs import _jax_mlir_ext
from jaxlib.mlir.dialects import chlo, sdy, stablehlo

from ir.errors import PyreactantError

__all__ = ["MLIRParseError", "MLIRVerificationError", "make_context", "parse_module", "print_module", "verify"]


@functools.cache
def _upstream_registry() -> ir.DialectRegistry:
    # func, arith, ... : the upstream dialects jaxlib was built with.
    registry = ir.DialectRegistry()
    _jax_mlir_ext.register_dialects(registry)
    return registry


def make_context() -> ir.Context:
    """A fresh MLIR context with every dialect pyreactant emits loaded, and the others it accepts registered.

    The upstream dialects load when first met (the parser and MLIR's passes load what they need):
    loading all of them up front took 1.7 of the 2 ms a context cost, paid on every trace. `func`,
    whose ops we build, is loaded now.
    """
    context = ir.Context()
    context.append_dialect_registry(_upstream_registry())
    stablehlo.register_dialect(context)
    chlo.register_dialect(context)
    sdy.register_dialect(context)
    context.dialects["func"]  # (looking a dialect up loads it)
    return context


def parse_module(text: str, context: ir.Context | None = None) -> ir.Module:
    """Parse MLIR text into a module, raising `MLIRParseError` with MLIR's diagnostics."""
    context = context or make_context()
    try:
        return ir.Module.parse(text, context=context)
    except ir.MLIRError as err:
        raise MLIRParseError(_diagnostics(err), where="") from None


def verify(module: ir.Module) -> None:
    """Raise `MLIRVerificationError` carrying MLIR's diagnostics when `module` is invalid."""
    try:
        module.operation.verify()
    except ir.MLIRError as err:
        raise MLIRVerificationError(_diagnostics(err), where="") from None


def print_module(module: ir.Module, *, debug_info: bool = False) -> str:
    """The module as text; `debug_info=True` keeps the `loc(...)` source locations."""
    return module.operation.get_asm(enable_debug_info=debug_info)


def _diagnostics(err: ir.MLIRError) -> str:
    lines = [err.message]
    for diag in err.error_diagnostics:
        lines.append(f"  {diag.location}: {diag.message}")
        lines.extend(f"    note: {note.location}: {note.message}" for note in diag.notes)
    return "\n".join(lines)


class MLIRParseError(PyreactantError, ValueError):
    """MLIR text that does not parse (MLIR's diagnostics carry the text's own line:column)."""


class MLIRVerificationError(PyreactantError, ValueError):
    """A module that parses or was built, but breaks an op's or dialect's invariants."""
