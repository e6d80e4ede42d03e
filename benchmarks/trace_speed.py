"""Tracing speed: NumPy code to a StableHLO module, ours vs `jax.jit(f).lower(...)`, same process.

The program is a deep MLP unrolled in Python, h <- tanh(h @ W[l] + b[l]) for L layers, with the
weights stacked in two arguments. Each side traces a fresh function object every round (so no
trace cache helps either) and builds its module: ours is `tracer.jit(f).lower(...)` (trace, verify),
JAX's is `jax.jit(f).lower(...)` (jaxpr, then StableHLO). Reported per program size: the number
of ops in our module, the time per op of each, and the ratio ours / jax (goal <= 1.0, flat per-op
cost from 500 to 50,000 ops). Median of alternating rounds.

    python benchmarks/trace_speed.py [--quick]
"""

from __future__ import annotations

import gc
import statistics
import sys
from pathlib import Path

if not __package__:  # run as a file: its folder would come first on sys.path and shadow the `runtime` package
    sys.path[0] = str(Path(__file__).resolve().parent.parent)
import time


import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402  (the rival: allowed in benchmarks)
import numpy as np  # noqa: E402

import passes  # noqa: E402
import tracer  # noqa: E402

WIDTH, BATCH = 16, 8


def make_mlp(xp, layers: int):
    """A fresh function object (no tracing cache can recognise it) for NumPy (`np`) or `jnp`."""

    def mlp(x, w, b):
        h = x
        for layer in range(layers):
            h = xp.tanh(h @ w[layer] + b[layer])
        return h.sum()

    return mlp


def inputs(layers: int):
    rng = np.random.default_rng(0)
    return (rng.standard_normal((BATCH, WIDTH), np.float32), rng.standard_normal((layers, WIDTH, WIDTH), np.float32),
            rng.standard_normal((layers, WIDTH), np.float32))


def count_ops(module) -> int:
    return passes.count_ops(module) - 2  # func.func and func.return are not the program's ops


def time_once(lower) -> float:
    gc.collect()
    start = time.perf_counter()
    lower()
    return time.perf_counter() - start


def measure(layers: int, rounds: int):
    args = inputs(layers)
    specs = [tracer.ArraySpec(a.shape, a.dtype) for a in args]
    abstract = [jax.ShapeDtypeStruct(a.shape, a.dtype) for a in args]

    def ours():
        return tracer.jit(make_mlp(np, layers)).lower(*specs)

    def theirs():
        return jax.jit(make_mlp(jnp, layers)).lower(*abstract)

    ops = count_ops(ours())
    theirs()  # warm-up: imports and first-use caches on both sides
    samples = {ours: [], theirs: []}
    for _ in range(rounds):
        for fn in (ours, theirs):
            samples[fn].append(time_once(fn))
    return ops, statistics.median(samples[ours]), statistics.median(samples[theirs])


def main() -> None:
    quick = "--quick" in sys.argv
    sizes = (60, 600) if quick else (60, 600, 6000)
    print(f"{'layers':>7} {'ops':>7} {'ours/op':>9} {'jax/op':>9} {'ours/jax':>9}")
    for layers in sizes:
        ops, ours, theirs = measure(layers, rounds=3 if layers >= 6000 else 7)
        print(f"{layers:>7} {ops:>7} {ours / ops * 1e6:>7.1f}us {theirs / ops * 1e6:>7.1f}us {ours / theirs:>9.2f}")


if __name__ == "__main__":
    main()
