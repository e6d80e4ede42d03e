"""Training steps: `lux.Training.single_train_step_` vs the same step in JAX + optax, same process.

Three models, each trained with Adam:
- the seed quickstart MLP (lux-introduction.md): 128 -> 256 (tanh) -> 256 (tanh) -> 10, batch 256, MSE;
- a small CNN: Conv 3x3 (3 => 16, relu), MaxPool 2, Conv 3x3 (16 => 32, relu), MaxPool 2, Dense (2048 => 10),
  on 64 images 3x32x32, cross entropy on logits;
- 100 x Dense(4 => 4, tanh), batch 8: nearly no arithmetic, 600 arrays of parameters and moments; it shows
  the cost per array of the state around the program (Python, checks, donation), not the program.
Ours is the TrainState step (trace, our reverse-mode pass, our Adam, one `tracer.jit` donating parameters and
optimiser state); the rival is `jax.jit(step, donate_argnums=(0, 1))` of `jax.value_and_grad` + `optax.adam`.
Both start from the same parameters; their losses over the first steps are checked to agree before timing.

Reported, as ratios ours / jax (lower is better; goals: step <= 0.9, first step <= 0.8):
- step: median time of one training step (batch already on the device, waiting for the loss; ours with
  `return_gradients=False`, as the rival returns none), alternating rounds whose order swaps each round;
  beside it ("cpu") the ratio of this process's CPU time per step, steadier than wall time on a shared machine;
- first step: building the state and running the first step, which traces, differentiates and compiles
  (median of fresh runs, alternating: a new TrainState / a new jitted function each time; no persistent
  cache; XLA's compilation is most of it on both sides);
- the MLP step's achieved GFLOP/s (its matmuls counted by hand) as a share of XLA's own float32 matmul peak
  on this machine, measured here with a large `jax.jit` matmul (goal >= 60%).

    python -m benchmarks.training [--quick]
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

if not __package__:  # run as a file: its folder would come first on sys.path and shadow the `runtime` package
    sys.path[0] = str(Path(__file__).resolve().parent.parent)
os.environ.pop("PYREACTANT_CACHE_DIR", None)  # first-step times: compiled here, not read from a disk cache

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402  (the rival: allowed in benchmarks)
import numpy as np  # noqa: E402
import optax  # noqa: E402

import lux  # noqa: E402

jax.config.update("jax_enable_x64", False)
AD = lux.AutoEnzyme()
LEARNING_RATE = 1e-3


# -- the models, ours and theirs ----------------------------------------------------------------------------

def mlp_case(rng):
    model = lux.Chain(lux.Dense(128, 256, np.tanh), lux.Chain(lux.Dense(256, 256, np.tanh), lux.Dense(256, 10)))
    x = rng.random((256, 128), dtype=np.float32)
    y = rng.random((256, 10), dtype=np.float32)

    def jax_loss(ps, x, y):
        h = jnp.tanh(x @ ps["layer_1"]["weight"] + ps["layer_1"]["bias"])
        inner = ps["layer_2"]
        h = jnp.tanh(h @ inner["layer_1"]["weight"] + inner["layer_1"]["bias"])
        return jnp.mean((h @ inner["layer_2"]["weight"] + inner["layer_2"]["bias"] - y) ** 2)

    return model, lux.MSELoss(), jax_loss, x, y


def mlp_matmul_flops(batch: int = 256, widths=(128, 256, 256, 10)) -> int:
    """Multiply-adds x 2 of the MLP step's matmuls: forward (x @ W), weight gradients (h.T @ dy) and input
    gradients (dy @ W.T) of every layer but the first (the data needs none)."""
    layers = list(zip(widths[:-1], widths[1:]))
    products = sum(n_in * n_out for n_in, n_out in layers)
    return 2 * batch * (2 * products + sum(n_in * n_out for n_in, n_out in layers[1:]))


def cnn_case(rng):
    model = lux.Chain(lux.Conv((3, 3), 3, 16, lux.relu, pad=1), lux.MaxPool((2, 2)),
                      lux.Conv((3, 3), 16, 32, lux.relu, pad=1), lux.MaxPool((2, 2)),
                      lux.FlattenLayer(), lux.Dense(32 * 8 * 8, 10))
    x = rng.standard_normal((64, 3, 32, 32), dtype=np.float32)
    y = np.eye(10, dtype=np.float32)[rng.integers(0, 10, 64)]

    def conv(x, p):
        # lux.Conv is Lux's: a true convolution (the kernel flipped), NCHW images, OIHW weights.
        w = p["weight"][:, :, ::-1, ::-1]
        y = jax.lax.conv_general_dilated(x, w, (1, 1), ((1, 1), (1, 1)), dimension_numbers=("NCHW", "OIHW", "NCHW"))
        return jax.nn.relu(y + p["bias"][None, :, None, None])

    def pool(x):
        return jax.lax.reduce_window(x, -jnp.inf, jax.lax.max, (1, 1, 2, 2), (1, 1, 2, 2), "VALID")

    def jax_loss(ps, x, y):
        h = pool(conv(pool(conv(x, ps["layer_1"])), ps["layer_3"]))
        logits = h.reshape(h.shape[0], -1) @ ps["layer_6"]["weight"] + ps["layer_6"]["bias"]
        return jnp.mean(-jnp.sum(y * jax.nn.log_softmax(logits, axis=-1), axis=-1))

    return model, lux.CrossEntropyLoss(logits=True), jax_loss, x, y


def deep_case(rng, layers: int = 100):
    """100 x Dense(4 => 4, tanh) on 8 samples: almost no arithmetic, 200 parameter arrays and 400 Adam
    moments: what a step costs per array of the state, apart from the program."""
    model = lux.Chain(*[lux.Dense(4, 4, np.tanh) for _ in range(layers)])
    x = rng.random((8, 4), dtype=np.float32)
    y = rng.random((8, 4), dtype=np.float32)

    def jax_loss(ps, x, y):
        h = x
        for i in range(layers):
            h = jnp.tanh(h @ ps[f"layer_{i + 1}"]["weight"] + ps[f"layer_{i + 1}"]["bias"])
        return jnp.mean((h - y) ** 2)

    return model, lux.MSELoss(), jax_loss, x, y


# -- the two steps ------------------------------------------------------------------------------------------

class Ours:
    """The TrainState loop: one `single_train_step_` per call."""

    def __init__(self, model, loss, ps, st, x, y):
        self.loss, self.data = loss, lux.reactant_device()((x, y))
        self.state = lux.Training.TrainState(model, ps, st, lux.optimisers.Adam(LEARNING_RATE))

    def step(self):
        _, loss, _, self.state = lux.Training.single_train_step_(AD, self.loss, self.data, self.state,
                                                                 return_gradients=False)
        return loss.block_until_ready()


class Theirs:
    """`jax.jit` of value_and_grad + optax.adam, parameters and optimiser state donated."""

    def __init__(self, jax_loss, ps, x, y):
        optimizer = optax.adam(LEARNING_RATE)

        def train_step(params, opt_state, x, y):  # a new function each time: no cache of JAX's is reused
            loss, grads = jax.value_and_grad(jax_loss)(params, x, y)
            updates, opt_state = optimizer.update(grads, opt_state, params)
            return optax.apply_updates(params, updates), opt_state, loss

        self.train_step = jax.jit(train_step, donate_argnums=(0, 1))
        self.params = jax.device_put(ps)
        self.opt_state = optimizer.init(self.params)
        self.data = jax.device_put((x, y))

    def step(self):
        self.params, self.opt_state, loss = self.train_step(self.params, self.opt_state, *self.data)
        return loss.block_until_ready()


def compare(ours, theirs, *, calls: int, repeats: int) -> tuple[float, float, float, float]:
    """Median per-step seconds of `ours` and `theirs` over `repeats` alternating rounds of `calls` steps
    (as benchmarks/_timing.py), with the order swapped every round and one untimed step first in each:
    the first step after the other side's is slower (its data left the caches), by about 10% for the CNN
    here, which would otherwise count against whichever side runs first. Returned: wall time of ours and
    theirs, then CPU time of this process (all threads) per step, ours and theirs: on a shared machine the
    CPU time follows the work a step does, the wall time also other jobs' load."""
    samples: dict = {ours: [], theirs: []}
    cpu: dict = {ours: [], theirs: []}
    for round_ in range(repeats):
        for fn in ((ours, theirs) if round_ % 2 == 0 else (theirs, ours)):
            fn()
            start, start_cpu = time.perf_counter(), time.process_time()
            for _ in range(calls):
                fn()
            samples[fn].append((time.perf_counter() - start) / calls)
            cpu[fn].append((time.process_time() - start_cpu) / calls)
    median = statistics.median
    return median(samples[ours]), median(samples[theirs]), median(cpu[ours]), median(cpu[theirs])


def first_step_seconds(make_ours, make_theirs, repeats: int) -> tuple[float, float]:
    """Median seconds from building a fresh state to its first step's loss, ours and theirs alternating."""
    samples: dict = {make_ours: [], make_theirs: []}
    for round_ in range(repeats):
        for make in ((make_ours, make_theirs) if round_ % 2 == 0 else (make_theirs, make_ours)):
            start = time.perf_counter()
            make().step()
            samples[make].append(time.perf_counter() - start)
    return statistics.median(samples[make_ours]), statistics.median(samples[make_theirs])


def measure(name, case, *, calls: int, repeats: int, first_repeats: int) -> dict:
    model, loss, jax_loss, x, y = case(np.random.default_rng(0))
    ps, st = lux.setup(np.random.default_rng(1), model)
    make_ours = lambda: Ours(model, loss, ps, st, x, y)  # noqa: E731
    make_theirs = lambda: Theirs(jax_loss, ps, x, y)  # noqa: E731
    ours, theirs = make_ours(), make_theirs()
    ours_losses = [float(np.asarray(ours.step())) for _ in range(5)]
    theirs_losses = [float(np.asarray(theirs.step())) for _ in range(5)]
    np.testing.assert_allclose(ours_losses, theirs_losses, rtol=2e-3)  # the same training on both sides

    t_ours, t_jax, c_ours, c_jax = compare(ours.step, theirs.step, calls=calls, repeats=repeats)
    f_ours, f_jax = first_step_seconds(make_ours, make_theirs, first_repeats)
    row = {"name": name, "ours": t_ours, "jax": t_jax, "first_ours": f_ours, "first_jax": f_jax}
    print(f"{name:<34} {t_ours * 1e3:9.3f} {t_jax * 1e3:9.3f} {t_ours / t_jax:6.2f} {c_ours / c_jax:6.2f}   "
          f"{f_ours:8.2f} {f_jax:8.2f} {f_ours / f_jax:6.2f}", flush=True)
    return row


def matmul_peak_gflops(n: int, repeats: int) -> float:
    """XLA's own float32 matmul rate on this machine: a jitted n x n x n product, the best of `repeats`
    (a peak: the fastest the machine managed, whatever else ran meanwhile)."""
    rng = np.random.default_rng(0)
    a, b = (jax.device_put(rng.standard_normal((n, n), dtype=np.float32)) for _ in range(2))
    product = jax.jit(jnp.matmul)
    product(a, b).block_until_ready()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        product(a, b).block_until_ready()
        samples.append(time.perf_counter() - start)
    return 2 * n ** 3 / min(samples) / 1e9


def main(argv=None) -> None:
    quick = "--quick" in (argv if argv is not None else sys.argv[1:])
    calls, repeats, first_repeats = (5, 3, 1) if quick else (30, 9, 5)
    print(f"devices: {jax.devices()[0].platform}, {os.cpu_count()} cpu cores")
    print(f"{'training step (Adam)':<34} {'ours ms':>9} {'jax ms':>9} {'ratio':>6} {'cpu':>6}   "
          f"{'1st ours s':>8} {'1st jax s':>8} {'ratio':>6}")
    mlp = measure("MLP 128-256-256-10, batch 256", mlp_case, calls=calls, repeats=repeats, first_repeats=first_repeats)
    measure("small CNN, 64 x 3x32x32", cnn_case, calls=max(calls // 3, 2), repeats=repeats,
            first_repeats=first_repeats)
    measure("100 x Dense(4 => 4), batch 8", deep_case, calls=calls, repeats=repeats, first_repeats=1)
    n = 1024 if quick else 2048
    peak = matmul_peak_gflops(n, 3 if quick else 7)
    flops = mlp_matmul_flops()
    ours, theirs = flops / mlp["ours"] / 1e9, flops / mlp["jax"] / 1e9
    print(f"MLP step: {flops / 1e6:.1f} MFLOP of matmuls; XLA's f32 matmul peak ({n}^3, jax.jit): {peak:.1f} GFLOP/s")
    print(f"  ours {ours:.1f} GFLOP/s = {ours / peak:.0%} of peak; jax + optax {theirs:.1f} GFLOP/s = "
          f"{theirs / peak:.0%} of peak")


if __name__ == "__main__":
    main()
