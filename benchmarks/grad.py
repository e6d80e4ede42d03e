"""Gradients by our reverse-mode pass vs `jax.jit(jax.grad(...))`, same process, same losses.

Four losses, each written once with `lux`/NumPy (differentiated by `tracer.value_and_grad`) and once with
`jax.numpy` reading the same parameter trees:
- an MLP (128 -> 256 -> 256 -> 10, batch 256, tanh, mean squared error);
- the ResNet-style CNN of `benchmarks.layers` (mean squared error on its 10 outputs);
- the transformer block of `benchmarks.layers` (mean of squares of its output);
- a 100-step RNN (tanh cell of width 64, batch 32, `tracer.scan` / `jax.lax.scan`).
The gradients are checked to agree first. Reported per loss, as ratios ours / jax (goal: each <= 1.0, run
time <= 0.9): run time of one gradient (device-resident inputs, median of alternating rounds), trace-to-
executable compile time (median of 3 fresh compilations), op count of the optimised module, and peak
memory from XLA's compiled memory statistics (temporaries + outputs). Run and compile time are also given as
CPU-time ratios (this process, XLA's threads included): on a shared machine the wall-time ratio swings by
tens of percent from run to run, the CPU-time ratio much less.

    python -m benchmarks.grad [--quick]
"""

from __future__ import annotations

import re
import statistics
import sys
import time
from pathlib import Path

if not __package__:  # run as a file: its folder would come first on sys.path and shadow the `runtime` package
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402  (the rival: allowed in benchmarks)
import numpy as np  # noqa: E402

import lux  # noqa: E402
import runtime  # noqa: E402
import tracer  # noqa: E402
from benchmarks._timing import compare_wall_and_cpu  # noqa: E402
from benchmarks.layers import WIDTH, cnn, jax_cnn, jax_transformer, transformer_block  # noqa: E402

jax.config.update("jax_enable_x64", False)


# -- the losses, ours and theirs ----------------------------------------------------------------------
def mlp_case(rng):
    model = lux.Chain(lux.Dense(128, 256, np.tanh), lux.Dense(256, 256, np.tanh), lux.Dense(256, 10))
    x = rng.standard_normal((256, 128), dtype=np.float32)
    y = rng.standard_normal((256, 10), dtype=np.float32)

    def jax_forward(ps, x):
        for name in ("layer_1", "layer_2"):
            x = jnp.tanh(x @ ps[name]["weight"] + ps[name]["bias"])
        return x @ ps["layer_3"]["weight"] + ps["layer_3"]["bias"]

    return model, jax_forward, x, y


def cnn_case(rng):
    x = rng.standard_normal((32, 3, 32, 32), dtype=np.float32)
    return cnn(), jax_cnn, x, rng.standard_normal((32, 10), dtype=np.float32)


def transformer_case(rng):
    x = rng.standard_normal((8, 64, WIDTH), dtype=np.float32)
    return transformer_block, jax_transformer, x, np.zeros((8, 64, WIDTH), np.float32)


def lux_loss(model, st):
    def loss(ps, x, y):
        return np.mean((lux.apply(model, x, ps, st)[0] - y) ** 2)

    return loss


def jax_loss(forward):
    def loss(ps, x, y):
        return jnp.mean((forward(ps, x) - y) ** 2)

    return loss


RNN_WIDTH, RNN_STEPS, RNN_BATCH = 64, 100, 32


def rnn_loss(ps, xs, y):
    def cell(h, x):
        h = np.tanh(x @ ps["wx"] + h @ ps["wh"] + ps["b"])
        return h, None

    h, _ = tracer.scan(cell, np.zeros((RNN_BATCH, RNN_WIDTH), np.float32), xs)
    return np.mean((h - y) ** 2)


def jax_rnn_loss(ps, xs, y):
    def cell(h, x):
        return jnp.tanh(x @ ps["wx"] + h @ ps["wh"] + ps["b"]), None

    h, _ = jax.lax.scan(cell, jnp.zeros((RNN_BATCH, RNN_WIDTH), jnp.float32), xs)
    return jnp.mean((h - y) ** 2)


def rnn_case(rng):
    ps = {"wx": rng.standard_normal((RNN_WIDTH, RNN_WIDTH), dtype=np.float32) * 0.1,
          "wh": rng.standard_normal((RNN_WIDTH, RNN_WIDTH), dtype=np.float32) * 0.1,
          "b": np.zeros(RNN_WIDTH, np.float32)}
    xs = rng.standard_normal((RNN_STEPS, RNN_BATCH, RNN_WIDTH), dtype=np.float32)
    y = rng.standard_normal((RNN_BATCH, RNN_WIDTH), dtype=np.float32)
    return ps, rnn_loss, jax_rnn_loss, xs, y


# -- measuring ----------------------------------------------------------------------------------------
def _op_count(text: str) -> int:
    """Ops in a module's text: lines that define values or return (`%x = ...`, `stablehlo.return`, `return`)."""
    return sum(1 for line in text.splitlines() if re.match(r"\s*(%\S+ = |stablehlo\.|func\.return|return )", line))


def _compile_seconds(build, repeats: int) -> tuple[float, float]:
    """Median wall and CPU seconds (this process, XLA's compile threads included) of `build()`."""
    wall, cpu = [], []
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        build()
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(wall), statistics.median(cpu)


def _peak_bytes(stats: dict) -> int:
    return int(stats.get("temp_size_in_bytes", 0) + stats.get("output_size_in_bytes", 0))


def measure(name: str, ours_fn, theirs_fn, args, *, calls: int, compile_repeats: int) -> dict:
    ours = tracer.jit(tracer.grad(ours_fn))
    theirs = jax.jit(jax.grad(theirs_fn))
    ours_args = runtime.to_device(args)
    jax_args = jax.device_put(args)
    expected = jax.tree_util.tree_map(np.asarray, theirs(*jax_args))
    actual = jax.tree_util.tree_map(np.asarray, ours(*ours_args))
    for got, want in zip(jax.tree_util.tree_leaves(actual), jax.tree_util.tree_leaves(expected)):
        np.testing.assert_allclose(got, want, rtol=2e-3, atol=2e-4)  # the same gradient on both sides

    def run_ours():
        jax.tree_util.tree_leaves(ours(*ours_args))[0].block_until_ready()

    def run_theirs():
        jax.tree_util.tree_leaves(theirs(*jax_args))[0].block_until_ready()

    times = compare_wall_and_cpu(run_ours, run_theirs, calls=calls, repeats=7)
    (t_ours, t_jax), (cpu_ours, cpu_jax) = times["wall"], times["cpu"]
    (c_ours, cc_ours), (c_jax, cc_jax) = (
        _compile_seconds(lambda: tracer.compile(tracer.grad(ours_fn), *args), compile_repeats),
        _compile_seconds(lambda: jax.jit(jax.grad(theirs_fn)).lower(*args).compile(), compile_repeats))
    compiled = tracer.compile(tracer.grad(ours_fn), *args)
    jax_compiled = jax.jit(jax.grad(theirs_fn)).lower(*args).compile()
    ops_ours = _op_count(compiled.as_text("optimized"))
    ops_jax = _op_count(jax.jit(jax.grad(theirs_fn)).lower(*args).as_text())
    analysis = jax_compiled.memory_analysis()
    mem_ours = _peak_bytes(compiled.memory_stats())
    mem_jax = int(analysis.temp_size_in_bytes + analysis.output_size_in_bytes)
    row = {"name": name, "run": t_ours / t_jax, "compile": c_ours / c_jax, "ops": ops_ours / ops_jax,
           "memory": mem_ours / max(mem_jax, 1), "run cpu": cpu_ours / cpu_jax, "compile cpu": cc_ours / cc_jax}
    print(f"{name:<18} run {t_ours * 1e3:8.3f} / {t_jax * 1e3:8.3f} ms = {row['run']:.2f} (cpu {row['run cpu']:.2f})   "
          f"compile {c_ours:6.2f} / {c_jax:6.2f} s = {row['compile']:.2f} (cpu {row['compile cpu']:.2f})   "
          f"ops {ops_ours:5d} / {ops_jax:5d} = {row['ops']:.2f}   "
          f"memory {mem_ours / 2**20:7.2f} / {mem_jax / 2**20:7.2f} MiB = {row['memory']:.2f}")
    return row


def main(argv=None) -> None:
    quick = "--quick" in (argv if argv is not None else sys.argv[1:])
    calls, compile_repeats = (3, 1) if quick else (10, 3)
    rng = np.random.default_rng(0)
    print("gradient of each loss w.r.t. the parameters: ours (tracer.grad) / jax.jit(jax.grad); ratios, lower is better")
    rows = []
    for name, case in (("MLP", mlp_case), ("ResNet-style CNN", cnn_case), ("transformer block", transformer_case)):
        model, jax_forward, x, y = case(rng)
        ps, st = lux.setup(np.random.default_rng(1), model)
        st = lux.testmode(st)
        rows.append(measure(name, lux_loss(model, st), jax_loss(jax_forward), (ps, x, y), calls=calls,
                            compile_repeats=compile_repeats))
    ps, ours_rnn, jax_rnn, xs, y = rnn_case(rng)
    rows.append(measure(f"RNN, {RNN_STEPS} steps", ours_rnn, jax_rnn, (ps, xs, y), calls=calls,
                        compile_repeats=compile_repeats))
    keys = ("run", "run cpu", "compile", "compile cpu", "ops", "memory")
    worst = {key: max(row[key] for row in rows) for key in keys}
    print("worst ratios: " + ", ".join(f"{key} {value:.2f}" for key, value in worst.items()))


if __name__ == "__main__":
    main()
