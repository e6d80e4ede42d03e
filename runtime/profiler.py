"""`runtime.profile(path)`: record what XLA and PJRT do into a trace for TensorBoard or Perfetto.

jaxlib's profiler (through the public `jax.profiler`) collects host and device activity, our
compiled calls included, and writes `plugins/profile/<run>/*.xplane.pb` under `path`
(open with TensorBoard's profile plugin, or `create_perfetto_link=True` prints a Perfetto link).
"""

from __future__ import annotations

import contextlib
import os
from typing import Iterator

import jax

__all__ = ["profile"]


@contextlib.contextmanager
def profile(path: str | os.PathLike, *, create_perfetto_trace: bool = True) -> Iterator[str]:
    """Profile the block: `with runtime.profile("/tmp/trace"): step(params, batch)`.

    Results are synchronised before the trace closes, so asynchronous work started inside is recorded.
    With `create_perfetto_trace`, a `*.trace.json.gz` that ui.perfetto.dev opens is written too.
    """
    path = os.fspath(path)
    os.makedirs(path, exist_ok=True)
    jax.profiler.start_trace(path, create_perfetto_trace=create_perfetto_trace)
    try:
        yield path
    finally:
        jax.effects_barrier()  # (wait for queued device work so the trace holds it)
        jax.profiler.stop_trace()
