"""The one error base every package raises through: `file:line: what happened` / `  fix: what to do`.

A traceback through traced code is mostly ours, not the user's; so every message starts with the
user's source line (found by walking the stack past library frames, or given as `where=`) and ends
with what to write instead. Packages subclass `PyreactantError` together with the built-in exception
a NumPy or Python user would expect (`TypeError`, `ValueError` ...), so `except ValueError` keeps working.
"""

from __future__ import annotations

from ir.location import describe, user_frame

__all__ = ["PyreactantError", "format_message"]


def format_message(message: str, *, fix: str | None = None, where: str | None = None) -> str:
    """`where: message` and, when a fix is known, a second line `  fix: fix`."""
    text = f"{where}: {message}" if where else message
    if fix:
        text += f"\n  fix: {fix}"
    return text


class PyreactantError(Exception):
    """Base of pyreactant's errors. `where` is the user's `file.py:line` (found on the stack unless given;
    pass `where=""` for errors that concern no line of user code, such as a damaged file), `fix` what to do."""

    def __init__(self, message: str, *, fix: str | None = None, where: str | None = None):
        self.where = describe(user_frame()) if where is None else where
        self.message = message
        self.fix = fix
        super().__init__(format_message(message, fix=fix, where=self.where))
