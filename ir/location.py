"""Finding the user's line of Python, so ops and error messages point at user code."""

from __future__ import annotations

import contextlib
import importlib.util
import functools
import os
import sys
import types

import numpy
from jaxlib.mlir import ir

__all__ = ["describe", "mlir_location", "user_frame"]

_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Frames in these directories are library code: ours, NumPy's dispatch and JAX's plumbing.
_LIBRARY_DIRS = tuple(
    os.path.join(path, "")
    for path in (
        *(os.path.join(_ROOT, pkg) for pkg in ("ir", "tracer", "passes", "runtime", "lux")),
        os.path.dirname(numpy.__file__),
        os.path.dirname(os.path.dirname(ir.__file__)),  # jaxlib
        os.path.dirname(importlib.util.find_spec("jax").origin),  # jax (tree_util calls back into us)
    )
)
# Standard-library helpers whose frames sit between our context managers/wrappers and the user.
_LIBRARY_FILES = frozenset({contextlib.__file__, functools.__file__})


def _is_library(filename: str) -> bool:
    return filename.startswith(_LIBRARY_DIRS) or filename in _LIBRARY_FILES or filename.startswith("<frozen")


# Methods `dataclasses` generates (a frozen layer's or loss's `__init__`, which calls `__post_init__`'s
# checks) are compiled from a string: they have no file, and the line that built the object is the caller's.
_GENERATED_METHODS = frozenset({"__init__", "__setattr__", "__delattr__", "__eq__", "__hash__", "__repr__"})


def _is_generated(code: types.CodeType) -> bool:
    return code.co_filename == "<string>" and code.co_name in _GENERATED_METHODS


def user_frame() -> types.FrameType | None:
    """The innermost frame of the call stack that is not library code (nor a generated dataclass method), or None."""
    frame = sys._getframe(1)
    while frame is not None and (_is_library(frame.f_code.co_filename) or _is_generated(frame.f_code)):
        frame = frame.f_back
    return frame


def describe(frame: types.FrameType | None) -> str:
    """`file.py:12` for messages; '<unknown>' when no user frame exists."""
    if frame is None:
        return "<unknown location>"
    return f"{frame.f_code.co_filename}:{frame.f_lineno}"


def mlir_location(frame: types.FrameType | None) -> ir.Location:
    """`loc("file.py":12:0)` for the frame (needs an active context)."""
    if frame is None:
        return ir.Location.unknown()
    return ir.Location.file(frame.f_code.co_filename, frame.f_lineno, 0)
