"""The error the transformation raises: it names the op, the user's line that produced it and the function."""

from __future__ import annotations

import re

from jaxlib.mlir import ir

from ir.errors import PyreactantError

__all__ = ["AutodiffError", "user_line"]

_FILE_LINE = re.compile(r'loc\("([^"]+)":(\d+):\d+\)')


def user_line(op: ir.Operation) -> str:
    """`file.py:12` from an op's source location (the tracer puts the user's line there), else ''."""
    match = _FILE_LINE.search(str(op.location))
    return f"{match.group(1)}:{match.group(2)}" if match else ""


class AutodiffError(PyreactantError, ValueError):
    """A module the transformation cannot differentiate: an op without a rule, an unbounded loop,
    an integer or complex argument asked for a derivative."""

    def __init__(self, message: str, *, fix: str | None = None, op: ir.Operation | None = None,
                 where: str | None = None):
        if where is None:
            where = user_line(op) if op is not None else ""
        super().__init__(message, fix=fix, where=where)
