"""The active trace: the function being built while user code runs on TracedArrays."""

from __future__ import annotations

import contextlib
import threading
from typing import Iterator

from jaxlib.mlir import ir as mlir

import ir
from ir.location import mlir_location, user_frame

__all__ = ["Scope", "Trace", "at_user_line", "current_trace", "user_trace"]


class _State(threading.local):
    trace = None  # (a class default: a thread that never traced reads None without an AttributeError)


_state = _State()


class Scope:
    """Where values are defined: the function body, or a region of control flow inside it.

    A value from a closed scope (a cond branch or loop body that finished tracing)
    is not visible outside it; `closed` lets every use check that cheaply.
    """

    __slots__ = ("description", "closed")

    def __init__(self, description: str):
        self.description = description
        self.closed = False


class Trace:
    """One function under construction: a `FunctionBuilder` plus bookkeeping.

    Ops are emitted with the context and insertion point entered by `active()`;
    each NumPy-level call sets the location to the user's line (`at_user_line`).
    """

    def __init__(self, name: str, arg_types, *, module_name: str, platform: str | None = None):
        self.builder = ir.FunctionBuilder(name, arg_types, module_name=module_name)
        # The platform the module will be compiled for (None: the default device's), for lowerings that
        # differ by platform: np.linalg calls LAPACK on CPU only (`tracer/numpy_api/linalg_lapack.py`).
        self.platform = platform
        self.scope = Scope(f"the traced function {name}")
        # How deep the tracer's own NumPy implementations run (`numpy_api.dispatch`): while they do, the
        # `numpy` names replaced during tracing (`tracer/numpy_namespace.py`) behave exactly as NumPy's.
        self.library_depth = 0
        # Memory that NumPy calls made while this function ran (`np.zeros(...)`), keyed by the id of the
        # array owning it: `tracer/numpy_api/created_arrays.py`'s record of where it was made and, once a
        # traced value was written into it, the traced value standing for it.
        self.created_memory: dict = {}
        self.promoted_memory = 0  # how many of them hold traced values

    @contextlib.contextmanager
    def active(self) -> Iterator["Trace"]:
        previous = _state.trace
        _state.trace = self
        try:
            with self.builder.context, mlir.Location.unknown(), mlir.InsertionPoint(self.builder.block):
                yield self
        finally:
            _state.trace = previous

    @contextlib.contextmanager
    def region(self, block: mlir.Block, description: str) -> Iterator[Scope]:
        """Emit into `block` (a region of control flow) in a new scope, closed on exit."""
        outer, scope = self.scope, Scope(description)
        self.scope = scope
        try:
            with mlir.InsertionPoint(block):
                yield scope
        finally:
            scope.closed = True
            self.scope = outer

    def finish(self, results) -> mlir.Module:
        return self.builder.finish(results)


def current_trace() -> Trace | None:
    return _state.trace


def user_trace() -> Trace | None:
    """The active trace while the traced function's own code runs (not one of the tracer's NumPy
    implementations, see `Trace.library_depth`), else None."""
    trace = _state.trace
    return trace if trace is not None and not trace.library_depth else None


@contextlib.contextmanager
def at_user_line() -> Iterator[None]:
    """Emit the ops of one NumPy-level call at the user's source line."""
    with mlir_location(user_frame()):
        yield
