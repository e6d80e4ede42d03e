"""Runtime benchmarks, each a ratio against its rival measured in the same run:

1. dispatch overhead of a compiled function of 1, 20 and 200 small device-resident arguments,
   ours vs jax.jit (goal: ratio <= 1.0);
2. start-up of a fresh process whose compile comes from the persistent cache (warm) vs one that
   compiles (cold) (goal: warm <= 10% of cold);
3. a data-parallel MLP training step on 8 virtual CPU devices vs the same step on 1 (scaling;
   on a CPU with fewer cores than 8 this measures partitioning overhead more than speed-up).

    python benchmarks/runtime.py
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

if not __package__:  # run as a file: its folder would come first on sys.path and shadow the `runtime` package
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

ROOT = str(Path(__file__).resolve().parent.parent)

import jax  # noqa: E402
import numpy as np  # noqa: E402
from benchmarks._timing import compare  # noqa: E402
from benchmarks.dispatch import rival_weighted_sum, weighted_sum  # noqa: E402  (the same program as dispatch.py)

import runtime  # noqa: E402
import tracer  # noqa: E402


def dispatch_rows():
    rows = []
    for count in (1, 20, 200):
        host = [np.full((4,), i, np.float32) for i in range(count)]
        ours, rival = tracer.jit(weighted_sum), jax.jit(rival_weighted_sum)
        mine = [runtime.array_to_device(a) for a in host]
        theirs = [jax.device_put(a) for a in host]
        np.testing.assert_allclose(np.asarray(ours(*mine)), np.asarray(rival(*theirs)), rtol=1e-5)
        calls = 2000 if count < 200 else 300
        t_ours, t_rival = compare(lambda: ours(*mine), lambda: rival(*theirs), calls=calls, repeats=7)
        rows.append((count, t_ours, t_rival))
    return rows


CACHE_CHILD = """
import time, numpy as np
start = time.perf_counter()
import tracer
def mlp(x, *ws):
    for w in ws:
        x = np.tanh(x @ w) + x.mean()
    return x.sum()
x = np.ones((16, 64), np.float32); ws = [np.full((64, 64), 0.01, np.float32) for _ in range(24)]
t0 = time.perf_counter()
tracer.jit(mlp)(*[__import__('runtime').to_device(a) for a in (x, *ws)]).block_until_ready()
print("FIRST_CALL", time.perf_counter() - t0, "PROCESS", time.perf_counter() - start)
"""


def child(code: str, env_extra: dict) -> str:
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""), **env_extra)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=ROOT,
                          check=True).stdout


def cache_rows(rounds: int = 3):
    cold, warm = [], []
    for _ in range(rounds):
        with tempfile.TemporaryDirectory() as directory:
            for into in (cold, warm):  # the first process fills the empty cache, the second reads it
                out = child(CACHE_CHILD, {"PYREACTANT_CACHE_DIR": directory}).split()
                into.append(float(out[out.index("FIRST_CALL") + 1]))
    return statistics.median(cold), statistics.median(warm)


SCALING_CHILD = """
import os, sys, time, statistics
os.environ["XLA_FLAGS"] = "--xla_force_host_platform_device_count=8"
sys.path.insert(0, "examples")
import numpy as np, runtime, tracer
from runtime import NamedSharding, PartitionSpec as P
from data_parallel import train_step, init
rng = np.random.default_rng(0)
params = init(rng, (256, 512, 16))
x = rng.standard_normal((2048, 256), dtype=np.float32); y = rng.standard_normal((2048, 16), dtype=np.float32)
mesh = runtime.make_mesh((8,), ("data",))
batch, rep = NamedSharding(mesh, P("data")), NamedSharding(mesh, P())
sharded = tracer.jit(train_step, in_shardings=(rep, batch, batch), out_shardings=(rep, rep))
single = tracer.jit(train_step)
args8 = (runtime.to_device(params, sharding=rep), *runtime.to_device((x, y), sharding=batch))
args1 = runtime.to_device((params, x, y))
def timed(f, args):
    runtime.synchronize(f(*args))
    samples = []
    for _ in range(7):
        t = time.perf_counter()
        for _ in range(10):
            out = f(*args)
        runtime.synchronize(out)
        samples.append((time.perf_counter() - t) / 10)
    return statistics.median(samples)
rounds = [(timed(single, args1), timed(sharded, args8)) for _ in range(2)]
print("STEP", statistics.median(r[0] for r in rounds), statistics.median(r[1] for r in rounds))
"""


def main() -> None:
    print("1. dispatch of a compiled function with N small device-resident arguments (median of 7 alternating rounds)")
    for count, t_ours, t_rival in dispatch_rows():
        print(f"  N={count:<4} ours {t_ours * 1e6:8.2f} us   jax.jit {t_rival * 1e6:8.2f} us   "
              f"ratio ours/jax = {t_ours / t_rival:.2f}")
    cold, warm = cache_rows()
    print("2. first call (trace + compile or cache load + run) of a 24-layer MLP in a fresh process, median of 3")
    print(f"  cold compile {cold * 1e3:8.1f} ms   warm persistent cache {warm * 1e3:8.1f} ms   "
          f"ratio warm/cold = {warm / cold:.2f}")
    out = child(SCALING_CHILD, {}).split()
    one, eight = float(out[out.index("STEP") + 1]), float(out[out.index("STEP") + 2])
    print(f"3. data-parallel MLP training step (batch 2048, 256-512-16), {os.cpu_count()} CPU cores")
    print(f"  1 device {one * 1e3:8.2f} ms   8 virtual devices {eight * 1e3:8.2f} ms   "
          f"speed-up 1-device/8-device = {one / eight:.2f}")


if __name__ == "__main__":
    main()
