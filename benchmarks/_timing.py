"""Shared timing for benchmarks: median over repeats of the mean time per call."""

from __future__ import annotations

import statistics
import time


def per_call_seconds(fn, *, calls: int = 2000, repeats: int = 7) -> float:
    """Median over `repeats` of the mean wall time of `calls` calls (after a warm-up)."""
    for _ in range(min(calls, 100)):
        fn()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        samples.append((time.perf_counter() - start) / calls)
    return statistics.median(samples)


def compare(ours, rival, *, calls: int = 2000, repeats: int = 9) -> tuple[float, float]:
    """Median per-call seconds of `ours` and `rival`, timed in alternating rounds so that drift
    in machine load affects both alike."""
    for fn in (ours, rival):
        for _ in range(min(calls, 100)):
            fn()
    samples: dict = {ours: [], rival: []}
    for _ in range(repeats):
        for fn in (ours, rival):
            start = time.perf_counter()
            for _ in range(calls):
                fn()
            samples[fn].append((time.perf_counter() - start) / calls)
    return statistics.median(samples[ours]), statistics.median(samples[rival])
