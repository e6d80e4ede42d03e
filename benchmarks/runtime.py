"""Runtime benchmarks, each a ratio against its rival measured in the same run:

1. dispatch overhead of a compiled function of 1, 20 and 200 small device-resident arguments,
   and of 200 of which it reads 2 (both drop the 198 others: an unused argument costs nothing),
   ours vs jax.jit (goal: ratio <= 1.0);
2. start-up of a fresh process whose compile comes from the persistent cache (warm) vs one that
   compiles (cold) (goal: warm <= 10% of cold), for a small MLP and the ResNet-style CNN of
   benchmarks/layers.py, with jax.jit's persistent compilation cache measured the same way beside;
3. a data-parallel MLP training step on 8 virtual CPU devices vs the same step on 1 (scaling;
   on a CPU with fewer cores than 8 this measures partitioning overhead more than speed-up);
4. peak memory of a training step on large parameters with donation, ours (donate_argnums and
   donate="auto") vs jax.jit(donate_argnums=...) (goal: ratio <= 1.0), each in a fresh process:
   XLA's own estimate for the compiled step, and the measured rise of the process's resident memory
   (VmHWM after resetting it, minus VmRSS before the steps: CPU "device" memory is host memory);
5. process memory over 1,000 distinct compilations of a jit function with a bounded cache (its
   executables, MLIR contexts and modules released), ours vs jax.jit (whose cache is unbounded: it
   is cleared every 8 signatures, as ours is bounded to 8).

    python benchmarks/runtime.py                  # every section
    python benchmarks/runtime.py 1 2              # only these sections
"""

from __future__ import annotations

import json
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

__all__ = ["cache_rows", "compilation_rows", "dispatch_rows", "main", "memory_rows", "reads_two"]


def reads_two(*xs):
    """A function of many arguments that reads only the first two (as ours and jax.jit both run it)."""
    return xs[0] * 2.0 + xs[1]


def dispatch_rows():
    rows = []
    for label, count, fn, rival_fn in (("N=1", 1, weighted_sum, rival_weighted_sum),
                                       ("N=20", 20, weighted_sum, rival_weighted_sum),
                                       ("N=200", 200, weighted_sum, rival_weighted_sum),
                                       ("N=200, reads 2", 200, reads_two, reads_two)):
        host = [np.full((4,), i, np.float32) for i in range(count)]
        ours, rival = tracer.jit(fn), jax.jit(rival_fn)
        mine = [runtime.array_to_device(a) for a in host]
        theirs = [jax.device_put(a) for a in host]
        np.testing.assert_allclose(np.asarray(ours(*mine)), np.asarray(rival(*theirs)), rtol=1e-5)
        calls = 2000 if count < 200 else 300
        t_ours, t_rival = compare(lambda: ours(*mine), lambda: rival(*theirs), calls=calls, repeats=7)
        rows.append((label, t_ours, t_rival))
    return rows


# A fresh process's first call (trace + compile or persistent-cache load + run), timed after imports and
# setup; argv: which (ours | jax), workload (mlp | cnn), cache directory.
CACHE_CHILD = """
import sys, time
which, workload, directory = sys.argv[1:4]
import numpy as np
if which == "jax":
    import jax, jax.numpy as jnp
    jax.config.update("jax_compilation_cache_dir", directory)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
else:
    import os; os.environ["PYREACTANT_CACHE_DIR"] = directory
    import runtime, tracer
if workload == "mlp":
    xp = jnp if which == "jax" else np
    def f(x, *ws):
        for w in ws:
            x = xp.tanh(x @ w) + x.mean()
        return x.sum()
    args = (np.ones((16, 64), np.float32), *[np.full((64, 64), 0.01, np.float32) for _ in range(24)])
else:  # the ResNet-style CNN forward of benchmarks/layers.py
    from benchmarks import layers
    import lux
    model = layers.cnn()
    ps, st = lux.setup(np.random.default_rng(0), model)
    x = np.random.default_rng(1).standard_normal((32, 3, 32, 32), dtype=np.float32)
    if which == "jax":
        f, args = layers.jax_cnn, (ps, x)
    else:
        f, args = (lambda ps, x: lux.apply(model, x, ps, lux.testmode(st))[0]), (ps, x)
if which == "jax":
    args = jax.device_put(args)
    t0 = time.perf_counter()
    compiled = jax.jit(f).lower(*args).compile()
else:
    args = runtime.to_device(args)
    t0 = time.perf_counter()
    compiled = tracer.compile(f, *args)
t1 = time.perf_counter()
compiled(*args).block_until_ready()
print("COMPILE", t1 - t0, "FIRST_CALL", time.perf_counter() - t0)
"""


def child(code: str, env_extra: dict, *argv: str) -> str:
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""), **env_extra)
    if "PYREACTANT_CACHE_DIR" not in env_extra:
        env.pop("PYREACTANT_CACHE_DIR", None)  # only section 2 measures the persistent cache
    return subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True, env=env, cwd=ROOT,
                          check=True).stdout


def cache_rows(which: str, workload: str, rounds: int = 3) -> dict[str, tuple[float, float]]:
    """{"COMPILE" | "FIRST_CALL": (cold, warm) seconds}, medians over `rounds` pairs of fresh processes
    on an empty cache."""
    samples = {name: ([], []) for name in ("COMPILE", "FIRST_CALL")}
    for _ in range(rounds):
        with tempfile.TemporaryDirectory() as directory:
            for index in (0, 1):  # the first process fills the empty cache, the second reads it
                out = child(CACHE_CHILD, {}, which, workload, directory).split()
                for name, (cold, warm) in samples.items():
                    (cold, warm)[index].append(float(out[out.index(name) + 1]))
    return {name: (statistics.median(cold), statistics.median(warm)) for name, (cold, warm) in samples.items()}


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


MEMORY_CHILD = """
import gc, json, sys, numpy as np
WHICH = sys.argv[1]
LAYERS, WIDTH, BATCH = 8, 2048, 32  # parameters: 8 x 16 MiB

def status(field):  # kB -> bytes, from Linux's /proc
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024

def make_step(xp):
    def step(params, x, y):
        # MSE of a deep tanh MLP and one SGD step, gradients written out (as examples/data_parallel.py)
        hs = [x]
        for w in params:
            hs.append(xp.tanh(hs[-1] @ w))
        error = hs[-1] - y
        d = error * (2.0 / (BATCH * WIDTH))
        new = [None] * len(params)
        for i in reversed(range(len(params))):
            d = d * (1.0 - hs[i + 1] * hs[i + 1])
            grad = hs[i].T @ d
            if i:
                d = d @ params[i].T
            new[i] = params[i] - 0.01 * grad
        return new, (error * error).mean()
    return step

rng = np.random.default_rng(0)
host = [rng.standard_normal((WIDTH, WIDTH), dtype=np.float32) / WIDTH ** 0.5 for _ in range(LAYERS)]
x = rng.standard_normal((BATCH, WIDTH), dtype=np.float32); y = rng.standard_normal((BATCH, WIDTH), dtype=np.float32)
if WHICH == "jax":
    import jax, jax.numpy as jnp
    step = jax.jit(make_step(jnp), donate_argnums=0)
    params, x, y = jax.device_put((host, x, y))
    analysis = step.lower(params, x, y).compile().memory_analysis()
    stats = {name: getattr(analysis, name) for name in dir(analysis) if name.endswith("_in_bytes")}
    block = jax.block_until_ready
else:
    import runtime, tracer
    options = {"donate_argnums": {"donate_argnums": 0}, "donate_auto": {"donate": "auto"}, "none": {}}[WHICH]
    step = tracer.jit(make_step(np), **options)
    params, x, y = runtime.to_device((host, x, y))
    stats = step.compile(params, x, y).memory_stats()
    block = runtime.synchronize
# XLA's peak for one call (arguments + outputs - aliased + temporaries), from its buffer assignment
estimate = stats["peak_memory_in_bytes"] or (stats["argument_size_in_bytes"] + stats["output_size_in_bytes"]
                                            - stats["alias_size_in_bytes"] + stats["temp_size_in_bytes"])
del host
params, loss = step(params, x, y)  # compiled, allocator warmed
block((params, loss))
gc.collect()
open("/proc/self/clear_refs", "w").write("5")  # VmHWM := VmRSS
before = status("VmRSS")
for _ in range(3):
    params, loss = step(params, x, y)
    block((params, loss))
print("MEMORY " + json.dumps({"rise": status("VmHWM") - before, "estimate": estimate, "alias": stats["alias_size_in_bytes"],
                              "params": LAYERS * WIDTH * WIDTH * 4, "loss": float(loss)}))
"""


def memory_rows(rounds: int = 3) -> dict:
    """Per variant: the median over `rounds` fresh processes of each measured number."""
    samples: dict = {}
    for _ in range(rounds):
        for which in ("donate_argnums", "donate_auto", "jax", "none"):
            out = child(MEMORY_CHILD, {}, which)
            line = next(l for l in out.splitlines() if l.startswith("MEMORY "))
            samples.setdefault(which, []).append(json.loads(line[len("MEMORY "):]))
    losses = [run["loss"] for runs in samples.values() for run in runs]
    assert np.allclose(losses, losses[0], rtol=1e-4), losses  # every variant trained the same model
    return {which: {name: statistics.median(s[name] for s in runs) for name in runs[0]} for which, runs in samples.items()}


COMPILATIONS_CHILD = """
import json, sys, numpy as np
COUNT = int(sys.argv[2])

def rss():
    for line in open("/proc/self/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024

if sys.argv[1] == "jax":  # jax.jit's cache is unbounded: cleared every 8 signatures, as ours is bounded to 8
    import jax, jax.numpy as jnp
    f = jax.jit(lambda x: jnp.tanh(x) * 2.0 + x.sum())
    bound = lambda n: n % 8 == 0 and jax.clear_caches()
else:
    import tracer
    f = tracer.jit(lambda x: np.tanh(x) * 2.0 + x.sum(), cache_size=8)
    bound = lambda n: None
marks = {}
for n in range(1, COUNT + 1):  # a new shape each time: a new trace, module and executable
    np.asarray(f(np.ones(n, np.float32)))
    bound(n)
    if n % (COUNT // 10) == 0:
        marks[n] = rss()
print("RSS " + json.dumps(marks))
"""


def compilation_rows(count: int = 1000) -> dict:
    rows = {}
    for which in ("ours", "jax"):
        out = child(COMPILATIONS_CHILD, {}, which, str(count))
        line = next(l for l in out.splitlines() if l.startswith("RSS "))
        rows[which] = {int(n): v for n, v in json.loads(line[len("RSS "):]).items()}
    return rows


def main(sections=("1", "2", "3", "4", "5")) -> None:
    if "1" in sections:
        print("1. dispatch of a compiled function with N small device-resident arguments (median of 7 alternating rounds)")
        for label, t_ours, t_rival in dispatch_rows():
            print(f"  {label:<15} ours {t_ours * 1e6:8.2f} us   jax.jit {t_rival * 1e6:8.2f} us   "
                  f"ratio ours/jax = {t_ours / t_rival:.2f}")
    if "2" in sections:
        print("2. a fresh process's compile (trace + passes + XLA compile, or persistent-cache load: tracer.compile vs "
              "jax.jit(f).lower(...).compile()),\n   and its first call (compile + one run), median of 3; jax.jit with its "
              "persistent compilation cache beside")
        for workload, label in (("mlp", "24-layer tanh MLP"), ("cnn", "ResNet-style CNN")):
            for which in ("ours", "jax"):
                rows = cache_rows(which, workload)
                line = f"  {label:<18} {which + ':':<5}"
                for name, (cold, warm) in rows.items():
                    line += (f" {name.lower().replace('_', ' ')}: cold {cold * 1e3:6.1f} ms warm {warm * 1e3:6.1f} ms "
                             f"warm/cold = {warm / cold:.2f} ")
                print(line)
    if "3" in sections:
        out = child(SCALING_CHILD, {}).split()
        one, eight = float(out[out.index("STEP") + 1]), float(out[out.index("STEP") + 2])
        print(f"3. data-parallel MLP training step (batch 2048, 256-512-16), {os.cpu_count()} CPU cores")
        print(f"  1 device {one * 1e3:8.2f} ms   8 virtual devices {eight * 1e3:8.2f} ms   "
              f"speed-up 1-device/8-device = {one / eight:.2f}")
    if "4" in sections:
        rows = memory_rows()
        jax_row = rows["jax"]
        print(f"4. peak memory of a donated training step (8 x 2048x2048 f32 parameters = "
              f"{jax_row['params'] / 2**20:.0f} MiB), fresh process each, median of 3")
        print(f"  XLA's peak estimate per call (memory_stats / memory_analysis): jax.jit(donate_argnums=0) "
              f"{jax_row['estimate'] / 2**20:.1f} MiB (aliased {jax_row['alias'] / 2**20:.1f})")
        for which, label in (("donate_argnums", "ours donate_argnums=0"), ("donate_auto", 'ours donate="auto"   '),
                             ("none", "ours without donation")):
            row = rows[which]
            print(f"    {label} {row['estimate'] / 2**20:7.1f} MiB (aliased {row['alias'] / 2**20:5.1f})   "
                  f"ratio ours/jax = {row['estimate'] / jax_row['estimate']:.2f}")
        print(f"  measured peak rise of resident memory over 3 steps: jax.jit(donate_argnums=0) {jax_row['rise'] / 2**20:.1f} MiB")
        for which, label in (("donate_argnums", "ours donate_argnums=0"), ("donate_auto", 'ours donate="auto"   '),
                             ("none", "ours without donation")):
            row = rows[which]
            print(f"    {label} {row['rise'] / 2**20:7.1f} MiB   ratio ours/jax = {row['rise'] / max(jax_row['rise'], 1):.2f}")
    if "5" in sections:
        count = 1000
        rows = compilation_rows(count)
        print(f"5. process memory (RSS) over {count} distinct compilations (a new shape each call; ours cache_size=8, "
              "jax.clear_caches() every 8)")
        first = count // 10
        for which, label in (("ours", "ours   "), ("jax", "jax.jit")):
            marks = rows[which]
            print(f"  {label} RSS after {first}: {marks[first] / 2**20:7.1f} MiB   after {count}: "
                  f"{marks[count] / 2**20:7.1f} MiB   growth {(marks[count] - marks[first]) / 2**20:6.1f} MiB "
                  f"({(marks[count] - marks[first]) / (count - first) / 1024:.1f} KiB per compilation)")
        ours, rival = (rows[w][count] - rows[w][first] for w in ("ours", "jax"))
        print(f"  growth ratio ours/jax = {ours / rival:.2f}" if rival > 0 else "  (jax.jit's RSS did not grow)")


if __name__ == "__main__":
    main(sys.argv[1:] or ("1", "2", "3", "4", "5"))
