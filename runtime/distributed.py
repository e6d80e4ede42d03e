"""Several processes (hosts) as one runtime: jax's distributed client connects them.

    runtime.distributed.initialize("10.0.0.1:1234", num_processes=4, process_id=rank)

Call it in every process before anything touches a device. Afterwards `runtime.devices()` lists
every process's devices (a mesh spans them all) and `runtime.default_device()` is one of this
process's own. This is jax's distributed runtime plumbing (the coordination service PJRT uses),
not jax's tracing; on a cluster jax can also detect the arguments (SLURM, Cloud TPU, MPI).
"""

from __future__ import annotations

import jax

from runtime.errors import DistributedError

__all__ = ["DistributedError", "initialize", "process_count", "process_index", "shutdown"]


def initialize(coordinator_address: str | None = None, num_processes: int | None = None, process_id: int | None = None,
               *, local_device_ids=None, timeout_seconds: int = 300) -> None:
    """Join this process to the others: `coordinator_address` is process 0's "host:port"."""
    try:
        jax.distributed.initialize(coordinator_address=coordinator_address, num_processes=num_processes,
                                   process_id=process_id, local_device_ids=local_device_ids,
                                   initialization_timeout=timeout_seconds)
    except RuntimeError as err:
        raise DistributedError(
            f"runtime.distributed.initialize failed: {err}",
            fix="call it first thing in every process, before any array is placed on a device or any function is "
                "compiled, with the same coordinator address and number of processes everywhere and a distinct "
                "process_id in 0..num_processes-1") from None


def shutdown() -> None:
    jax.distributed.shutdown()


def process_index() -> int:
    return jax.process_index()


def process_count() -> int:
    return jax.process_count()
