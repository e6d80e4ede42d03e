"""The one place that creates MLIR contexts for pyreactant.

Every module we build or parse lives in a context made here, so the set of
loaded dialects (jaxlib's upstream registry plus stablehlo, chlo and sdy) is
the same everywhere: a module traced by `tracer`, parsed by the CLI or
rewritten by `passes` can always be printed, verified and handed to XLA.
"""

from __future__ import annotations

import functools
import re

import numpy as np
from jaxlib.mlir import ir
from jaxlib.mlir._mlir_libs import _jax_mlir_ext
from jaxlib.mlir.dialects import chlo, sdy, stablehlo

from ir.errors import PyreactantError

__all__ = ["MAX_NESTING", "MLIRParseError", "MLIRVerificationError", "check_nesting", "make_context", "nesting_depth",
           "parse_file", "parse_module", "print_module", "verify"]


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
    """Parse MLIR text into a module, raising `MLIRParseError` with MLIR's diagnostics.

    Text nested deeper than `MAX_NESTING` is refused before MLIR's parser sees it (`check_nesting`).
    """
    check_nesting(text)
    context = context or make_context()
    try:
        return ir.Module.parse(text, context=context)
    except ir.MLIRError as err:
        raise MLIRParseError(_diagnostics(err), where="") from None


def parse_file(path, context: ir.Context | None = None) -> ir.Module:
    """Parse an MLIR file: like `parse_module`, and its ops' locations and MLIR's diagnostics name the file
    (`loc("model.mlir":3:28)`, where parsed text says `loc("-":3:28)`). A file that is not UTF-8 text
    raises `MLIRParseError` too."""
    path = str(path)
    with open(path, "rb") as file:
        data = file.read()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise MLIRParseError(f"{path} is not MLIR text: byte {err.start} is not UTF-8 ({data[err.start:err.start + 1]!r})",
                             fix="give the textual form of the module (MLIR bytecode and other binary files are not "
                                 "read)", where="") from None
    check_nesting(text)
    context = context or make_context()
    try:
        return ir.Module.parseFile(path, context=context)
    except ir.MLIRError as err:
        raise MLIRParseError(_diagnostics(err), where="") from None


# MLIR's parser (and the verifier and printer after it) recurse once per level of nesting: text nested
# some thousands of levels deep (`tuple<tuple<...>>`, regions in regions) overflows the C++ stack and
# the process dies of SIGSEGV. A traced module nests tens of levels; 1000 leaves a wide margin below
# the ~8000 levels of bracket nesting at which the parser crashed on an 8 MiB stack.
MAX_NESTING = 1000
_STRING_LITERAL = re.compile(r'"(?:[^"\\\n]|\\.)*"')
_CLOSING = {"(": ")", "[": "]", "{": "}", "<": ">"}


def nesting_depth(text: str, opening: str = "([{<") -> int:
    """How deep the brackets of MLIR text nest: those of `opening` (default all four kinds; "{" counts
    regions and dictionaries) against their closing ones, outside string literals, not counting the `>`
    of `->` (nor `<=`, `>=`). A count of characters, not a parse: linear and fast on any text."""
    plain = _STRING_LITERAL.sub('""', text).replace("->", "").replace("<=", "").replace(">=", "")
    kept = opening + "".join(_CLOSING[c] for c in opening)
    brackets = plain.encode("utf-8", "replace").translate(None, bytes(b for b in range(256) if chr(b) not in kept))
    if not brackets:
        return 0
    codes = np.frombuffer(brackets, np.uint8)
    steps = np.where(np.isin(codes, np.frombuffer(opening.encode(), np.uint8)), 1, -1).astype(np.int32)
    return int(np.cumsum(steps).max())


def check_nesting(text: str) -> None:
    """Raise `MLIRParseError` when `text` nests deeper than `MAX_NESTING` (see there)."""
    depth = nesting_depth(text)
    if depth > MAX_NESTING:
        raise MLIRParseError(f"the MLIR text nests {depth} levels deep (brackets, types, regions); pyreactant reads at "
                             f"most {MAX_NESTING} (MLIR's recursive parser would overflow the stack and crash)",
                             fix="nest less deeply: move inner regions into functions and call them, or flatten "
                                 "nested tuples", where="")


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
