"""A 1,000-step loop compiled as one `fori_loop`: ours vs `jax.lax.fori_loop`, same process.

The loop body is an RNN cell, h <- tanh(h @ W + x @ U + b). Reports compile time (trace +
optimise + XLA compile until a call can run, caches cleared each time) and run time (device-resident inputs),
each as ours / jax (goal: both <= 1.0), median of several runs.

    python benchmarks/control_flow.py
"""

from __future__ import annotations

import statistics
import sys
from pathlib import Path

if not __package__:  # run as a file: its folder would come first on sys.path and shadow the `runtime` package
    sys.path[0] = str(Path(__file__).resolve().parent.parent)
import time


import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402  (the rival: allowed in benchmarks)
import numpy as np  # noqa: E402
from benchmarks._timing import compare  # noqa: E402

import runtime  # noqa: E402
import tracer  # noqa: E402

STEPS, HIDDEN, FEATURES = 1000, 64, 32


def ours_rnn(h, x, w, u, b):
    drive = x @ u + b
    return tracer.fori_loop(0, STEPS, lambda i, state: np.tanh(state @ w + drive), h)


def jax_rnn(h, x, w, u, b):
    drive = x @ u + b
    return jax.lax.fori_loop(0, STEPS, lambda i, state: jnp.tanh(state @ w + drive), h)


def numpy_rnn(h, x, w, u, b):
    drive = x @ u + b
    for _ in range(STEPS):
        h = np.tanh(h @ w + drive)
    return h


def compile_seconds(ours, rival, repeats: int = 9) -> tuple[float, float]:
    """Median wall time of each compile, in alternating rounds; background work settles untimed."""
    samples = {ours: [], rival: []}
    for _ in range(repeats):
        for fn in (ours, rival):
            start = time.perf_counter()
            result = fn()
            samples[fn].append(time.perf_counter() - start)
            if fn is ours:
                _finish_background_compile(result)
    return statistics.median(samples[ours]), statistics.median(samples[rival])


def _finish_background_compile(compiled) -> None:
    # tracer.compile returns once a call can run; a faster variant for NumPy arguments compiles in the
    # background. Wait for it untimed, so it does not slow down the rival's measurement.
    if compiled._packed_future is not None:
        compiled._packed_future.result()


def main() -> None:
    rng = np.random.default_rng(0)
    args = (
        rng.standard_normal((8, HIDDEN), dtype=np.float32),
        rng.standard_normal((8, FEATURES), dtype=np.float32),
        (rng.standard_normal((HIDDEN, HIDDEN)) / np.sqrt(HIDDEN)).astype(np.float32),
        (rng.standard_normal((FEATURES, HIDDEN)) / np.sqrt(FEATURES)).astype(np.float32),
        np.zeros(HIDDEN, np.float32),
    )
    expected = numpy_rnn(*args)

    def compile_ours():
        return tracer.compile(tracer.jit(ours_rnn), *args)

    def compile_jax():
        jax.clear_caches()
        return jax.jit(jax_rnn).lower(*args).compile()

    ours, rival = compile_ours(), compile_jax()
    np.testing.assert_allclose(np.asarray(ours(*args)), expected, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(np.asarray(rival(*args)), expected, rtol=1e-4, atol=1e-4)
    assert "stablehlo.while" in ours.as_text("optimized")

    compile_ours_s, compile_jax_s = compile_seconds(compile_ours, compile_jax)
    compile_ratio = compile_ours_s / compile_jax_s
    device_ours = runtime.to_device(args)
    device_jax = [jax.device_put(a) for a in args]
    run_ours, run_jax = compare(lambda: ours(*device_ours).block_until_ready(),
                                lambda: rival(*device_jax).block_until_ready(), calls=20, repeats=7)

    print(f"{STEPS}-step RNN cell as one fori_loop (hidden {HIDDEN}, batch 8)")
    print(f"  compile time  ours {compile_ours_s * 1e3:.1f} ms   jax {compile_jax_s * 1e3:.1f} ms   "
          f"ratio ours/jax = {compile_ratio:.2f}")
    print(f"  run time      ours {run_ours * 1e3:.3f} ms   jax {run_jax * 1e3:.3f} ms   ratio ours/jax = {run_ours / run_jax:.2f}")


if __name__ == "__main__":
    main()
