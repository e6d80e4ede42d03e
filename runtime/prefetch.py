"""Loading a cached executable while its function is still being traced.

A warm process spends most of its start-up in two steps that need not wait for each other: tracing
the function (Python) and deserializing its executable (PJRT, which releases the GIL while it works).
But the executable's cache key is the optimised module, known only once tracing is done. So a small
hint entry remembers, per call site (the function, its argument signature, the pipeline, the device),
the key its executable had last time: `start` loads that executable in the background before tracing,
and `Prefetch.take(key)` hands it over only if the traced module's key is the same. A wrong guess (the
function changed, a hint went stale) costs one background load and nothing else: the key decides.
"""

from __future__ import annotations

import concurrent.futures

from runtime import _jaxlib, persistent_cache

__all__ = ["Prefetch", "start"]

# One worker: a process starts one compilation at a time per thread, and a guess must not crowd out
# real work on a machine with few cores.
_LOADER = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="pyreactant-prefetch")


class Prefetch:
    """The background load of one call site's last executable, if its hint named one."""

    __slots__ = ("_hint", "_guess", "_future")

    def __init__(self, hint: str, guess: str | None, future):
        self._hint, self._guess, self._future = hint, guess, future

    def take(self, key: str):
        """The loaded executable if the guess was `key` and it loaded; otherwise None (without waiting)."""
        if self._future is None or key != self._guess:
            return None
        loaded = self._future.result()
        if loaded is not None:
            persistent_cache.stats["hits"] += 1
            persistent_cache.stats["prefetched"] += 1
        return loaded

    def remember(self, key: str) -> None:
        """Record `key` as this call site's executable for the next process (when the hint differs)."""
        if key != self._guess:
            persistent_cache.store_hint(self._hint, key)


def start(hint: str, device) -> Prefetch | None:
    """Begin loading the executable the hint entry `hint` names for `device` (one device, default
    compile options: what `runtime.compile_stablehlo` uses without a mesh); None with no disk cache."""
    if persistent_cache.cache_directory() is None:
        return None
    guess = persistent_cache.load_hint(hint)
    future = None
    if guess is not None:
        device_list, options = _jaxlib.DeviceList((device,)), _jaxlib.compile_options()
        future = _LOADER.submit(persistent_cache.load, guess, device.client, device_list, options,
                              speculative=True)
    return Prefetch(hint, guess, future)
