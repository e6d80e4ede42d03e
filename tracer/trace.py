"""The active trace: the function being built while user code runs on TracedArrays."""

from __future__ import annotations

import contextlib
import threading
from typing import Iterator

from jaxlib.mlir import ir as mlir

import ir
from ir.location import mlir_location, user_frame

_state = threading.local()


class Trace:
    """One function under construction: a `FunctionBuilder` plus bookkeeping.

    Ops are emitted with the context and insertion point entered by `active()`;
    each NumPy-level call sets the location to the user's line (`at_user_line`).
    """

    def __init__(self, name: str, arg_types, *, module_name: str):
        self.builder = ir.FunctionBuilder(name, arg_types, module_name=module_name)
        self.finished = False

    @contextlib.contextmanager
    def active(self) -> Iterator["Trace"]:
        previous = getattr(_state, "trace", None)
        _state.trace = self
        try:
            with self.builder.context, mlir.Location.unknown(), mlir.InsertionPoint(self.builder.block):
                yield self
        finally:
            _state.trace = previous

    def finish(self, results) -> mlir.Module:
        self.finished = True
        return self.builder.finish(results)


def current_trace() -> Trace | None:
    return getattr(_state, "trace", None)


@contextlib.contextmanager
def at_user_line() -> Iterator[None]:
    """Emit the ops of one NumPy-level call at the user's source line."""
    with mlir_location(user_frame()):
        yield
