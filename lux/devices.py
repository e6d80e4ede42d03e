"""Devices for Lux users: `reactant_device()` puts pytrees on the default PJRT device, `cpu_device()` brings
them back to NumPy, and `DeviceIterator` hands out batches already on the device."""

from __future__ import annotations

import queue
import threading
from dataclasses import dataclass
from typing import Any, Iterable, Iterator

import runtime

__all__ = ["DeviceIterator", "cpu_device", "reactant_device"]


@dataclass(frozen=True)
class _Device:
    """A callable that moves every array leaf of a pytree to `device` (None: the default device)."""

    device: Any = None

    def __call__(self, tree):
        return runtime.to_device(tree, self.device)

    def __repr__(self) -> str:
        return f"ReactantDevice({self.device or runtime.default_device()})"


@dataclass(frozen=True)
class _Host:
    """A callable that copies every device array leaf of a pytree back to NumPy."""

    def __call__(self, tree):
        return runtime.to_host(tree)

    def __repr__(self) -> str:
        return "CPUDevice()"


def reactant_device(device=None) -> _Device:
    """The default PJRT device (GPU or TPU when present, else CPU), or `device`, as a mover of pytrees."""
    return _Device(device)


def cpu_device() -> _Host:
    """A mover of pytrees back to host NumPy arrays."""
    return _Host()


_DONE = object()
# How often a producer blocked on a full queue looks whether the consumer has gone.
_POLL_SECONDS = 0.05


class DeviceIterator:
    """Iterate `iterable`, yielding each item moved by `device`; the next item is moved on a background
    thread while the caller works on the current one (a prefetch of one batch).

    Arguments:
        device: a mover such as `reactant_device()`.
        iterable: batches (pytrees of NumPy arrays), e.g. a list of (x, y) pairs or a generator.

    An exception raised by the iterable or by the move is raised to the caller, at the item where it
    happened. When the caller stops early (`break`, an exception in the loop body), the background thread
    stops too: it finishes the item it is moving and exits (it is not left blocked on a full queue).
    Each `iter()` starts a new pass over `iterable`, with its own thread.
    """

    def __init__(self, device, iterable: Iterable):
        self.device, self.iterable = device, iterable

    def __iter__(self) -> Iterator:
        ready: queue.Queue = queue.Queue(maxsize=1)
        stop = threading.Event()

        def hand_over(entry) -> bool:
            """Put `entry` for the consumer; False if the consumer stopped first."""
            while not stop.is_set():
                try:
                    ready.put(entry, timeout=_POLL_SECONDS)
                    # A put that went through because the stopping consumer drained the queue must not
                    # lead the producer to draw another item from the iterable.
                    return not stop.is_set()
                except queue.Full:
                    continue
            return False

        def produce():
            try:
                for item in self.iterable:
                    if stop.is_set() or not hand_over((self.device(item), None)):
                        return
            except BaseException as error:  # noqa: BLE001  (handed to the consumer, which raises it)
                hand_over((None, error))
                return
            hand_over((_DONE, None))

        worker = threading.Thread(target=produce, daemon=True, name="lux.DeviceIterator")
        worker.start()
        try:
            while True:
                item, error = ready.get()
                if error is not None:
                    raise error
                if item is _DONE:
                    return
                yield item
        finally:
            # The consumer is done (exhausted, stopped early, or raising): release a producer waiting on the
            # full queue, and let it see `stop` before it starts on another item.
            stop.set()
            while True:
                try:
                    ready.get_nowait()
                except queue.Empty:
                    break
            worker.join(timeout=_POLL_SECONDS * 4)

    def __len__(self) -> int:
        return len(self.iterable)  # type: ignore[arg-type]
