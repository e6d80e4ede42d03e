"""Steady-state dispatch cost: a compiled function of 20 small array arguments, ours vs jax.jit.

Both compute the same thing (sum of the arguments, each scaled); both are compiled before timing,
so the numbers are per-call overhead plus a tiny XLA program. Prints ours / jax (goal: <= 1.0) for
device-resident inputs (ConcreteArray vs jax.Array) and for NumPy inputs (transfer included).

    python benchmarks/dispatch.py
"""

from __future__ import annotations

import sys
from pathlib import Path

if not __package__:  # run as a file: its folder would come first on sys.path and shadow the `runtime` package
    sys.path[0] = str(Path(__file__).resolve().parent.parent)


import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402  (the rival, in a benchmark: allowed)
import numpy as np  # noqa: E402
from benchmarks._timing import compare  # noqa: E402

import runtime  # noqa: E402
import tracer  # noqa: E402

__all__ = ["N_ARGS", "main", "rival_weighted_sum", "weighted_sum"]

N_ARGS = 20


def weighted_sum(*xs):
    total = xs[0]
    for i, x in enumerate(xs[1:], start=1):
        total = total + x * float(i)
    return total


def rival_weighted_sum(*xs):
    total = xs[0]
    for i, x in enumerate(xs[1:], start=1):
        total = total + x * jnp.float32(i)
    return total


def main() -> None:
    host_args = [np.full((4,), i, np.float32) for i in range(N_ARGS)]
    ours = tracer.jit(weighted_sum)
    rival = jax.jit(rival_weighted_sum)

    expected = weighted_sum(*host_args)
    np.testing.assert_allclose(np.asarray(ours(*host_args)), expected, rtol=1e-6)
    np.testing.assert_allclose(np.asarray(rival(*host_args)), expected, rtol=1e-6)

    device_ours = [runtime.array_to_device(a) for a in host_args]
    device_rival = [jax.device_put(a) for a in host_args]

    rows = []
    for label, run_ours, run_rival in (
        ("device-resident args", lambda: ours(*device_ours), lambda: rival(*device_rival)),
        ("NumPy args (transfer included)", lambda: ours(*host_args), lambda: rival(*host_args)),
    ):
        t_ours, t_rival = compare(run_ours, run_rival)
        rows.append((label, t_ours, t_rival))

    print(f"dispatch of a compiled function with {N_ARGS} small array arguments "
          "(median of 9 alternating rounds x 2000 calls)")
    for label, t_ours, t_rival in rows:
        print(f"  {label:<32} ours {t_ours * 1e6:7.2f} us   jax.jit {t_rival * 1e6:7.2f} us   ratio ours/jax = {t_ours / t_rival:.2f}")


if __name__ == "__main__":
    main()
