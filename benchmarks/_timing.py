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


def compare_wall_and_cpu(ours, rival, *, calls: int = 2000, repeats: int = 9) -> dict[str, tuple[float, float]]:
    """As `compare`, and also the median CPU time per call of this process (all its threads: XLA's
    workers too), ours and the rival's: {"wall": (ours, rival), "cpu": (ours, rival)} in seconds.

    CPU time counts the work a call does rather than how long it waited for a core: on a machine
    shared with other jobs the wall-time ratio swings by tens of percent from run to run, the CPU-time
    ratio by a few (and it is what a change to the compiled program moves)."""
    for fn in (ours, rival):
        for _ in range(min(calls, 100)):
            fn()
    wall: dict = {ours: [], rival: []}
    cpu: dict = {ours: [], rival: []}
    for round_ in range(repeats):
        for fn in ((ours, rival) if round_ % 2 == 0 else (rival, ours)):
            start, start_cpu = time.perf_counter(), time.process_time()
            for _ in range(calls):
                fn()
            wall[fn].append((time.perf_counter() - start) / calls)
            cpu[fn].append((time.process_time() - start_cpu) / calls)
    median = statistics.median
    return {"wall": (median(wall[ours]), median(wall[rival])), "cpu": (median(cpu[ours]), median(cpu[rival]))}
