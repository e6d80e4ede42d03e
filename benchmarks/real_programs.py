"""The corpus of real-style NumPy programs (tests/tracer/corpus/), compiled as written, vs eager NumPy and vs
jax.jit of the same source run with `numpy` bound to `jax.numpy`, same process.

For each program at its "bench" size: the median time of a call eagerly in NumPy, compiled by us
(`tracer.jit`, NumPy arrays in and out as the program is called), and compiled by `jax.jit` where JAX runs
the program's source unchanged (`import numpy as np` given `jax.numpy`; most of the corpus writes into
arrays, which JAX's arrays refuse: those rows say why). Each jax.jit result is checked against NumPy first.
Columns: NumPy / ours (the speed-up of compiling) and ours / jax (goal <= 1.0), timed in alternating rounds;
plus the seconds our first call took (tracing, our passes and XLA).

Then linear algebra against jax.jit (np.linalg calls LAPACK on CPU, as JAX does): a Kalman-filter step
(predict, then update through np.linalg.inv, at a small and a larger state), batched np.linalg.solve, and
np.linalg.eig/eigvals (spectral radii; eig's order-free parts), each written once over a NumPy-like namespace
and run with NumPy, ours and jax.numpy (goal: ours/jax <= 1.0); and the gradient of a loss through
np.linalg.qr, tracer.grad vs jax.grad (NumPy has no gradient: that row's NumPy columns are empty).

These programs compile to the same XLA executables as JAX's (the same LAPACK calls, fusions and dots; timed
alone on one call path the two agree within noise, 2026-12): what ours/jax still shows beyond noise is the
call path, mostly the transfer of NumPy arguments (packing small ones into one transfer, `tracer/compiled.py`).

    python -m benchmarks.real_programs [name-substring ...]     (e.g. "linalg" for the linear algebra only)
"""

from __future__ import annotations

import builtins
import copy
import importlib
import statistics
import sys
import time
import warnings
from pathlib import Path

if not __package__:  # run as a file: its folder would come first on sys.path and shadow the `runtime` package
    sys.path[0] = str(Path(__file__).resolve().parent.parent)
_CORPUS_PARENT = str(Path(__file__).resolve().parent.parent / "tests" / "tracer")
if _CORPUS_PARENT not in sys.path:
    sys.path.append(_CORPUS_PARENT)

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402  (the rival: allowed in benchmarks)
import numpy as np  # noqa: E402
from jax import tree_util  # noqa: E402

import tracer  # noqa: E402
from benchmarks._timing import per_call_seconds  # noqa: E402
from corpus import MODULES  # noqa: E402

jax.config.update("jax_enable_x64", True)  # the corpus computes in float64, as NumPy does by default


def _as_numpy(tree):
    return tree_util.tree_map(lambda leaf: np.asarray(leaf) if hasattr(leaf, "shape") else leaf, tree)


def _close(a, b, rtol=1e-6) -> bool:
    a_leaves, a_tree = tree_util.tree_flatten(_as_numpy(a))
    b_leaves, b_tree = tree_util.tree_flatten(_as_numpy(b))
    return a_tree == b_tree and all(np.allclose(x, y, rtol=rtol, atol=1e-6, equal_nan=True)
                                    for x, y in zip(a_leaves, b_leaves))


def _under_jax(module_name: str):
    """The corpus module's source run with `import numpy` giving jax.numpy (nothing else changed)."""
    module = importlib.import_module(f"corpus.{module_name}")
    real_import = builtins.__import__

    def import_(name, *args, **kwargs):
        return jnp if name == "numpy" else real_import(name, *args, **kwargs)

    namespace = {"__name__": f"jax_{module_name}", "__builtins__": {**vars(builtins), "__import__": import_}}
    exec(compile(Path(module.__file__).read_text(), module.__file__, "exec"), namespace)
    return namespace


def _median_seconds(fn, *, budget: float = 0.25, repeats: int = 7) -> float:
    fn()
    start = time.perf_counter()
    fn()
    once = max(time.perf_counter() - start, 1e-6)
    return per_call_seconds(fn, calls=max(1, int(budget / once)), repeats=repeats)


def _alternating(fns: dict, *, budget: float = 0.25, repeats: int = 7) -> dict:
    """Median seconds per call of each of `fns`, timed in alternating rounds (load drifts hit all alike)."""
    calls = {}
    for name, fn in fns.items():
        fn()
        start = time.perf_counter()
        fn()
        calls[name] = max(1, int(budget / max(time.perf_counter() - start, 1e-6)))
    samples = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            start = time.perf_counter()
            for _ in range(calls[name]):
                fn()
            samples[name].append((time.perf_counter() - start) / calls[name])
    return {name: statistics.median(values) for name, values in samples.items()}


def _blocking(fn):
    """A call that waits for its results (compiled calls return before the device finishes)."""
    def call():
        return jax.block_until_ready(tree_util.tree_map(
            lambda leaf: leaf.block_until_ready() if hasattr(leaf, "block_until_ready") else leaf, fn()))
    return call


def bench_program(module_name: str, name: str, program) -> dict:
    inputs = program.inputs("bench")
    row = {"program": f"{module_name}.{name}"}
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = _as_numpy(program.fn(*copy.deepcopy(inputs)))
    ours = tracer.jit(program.fn, static_argnums=program.static)
    start = time.perf_counter()
    result = ours(*copy.deepcopy(inputs))
    jax.block_until_ready(tree_util.tree_leaves(_as_numpy(result)))
    row["first call s"] = time.perf_counter() - start
    row["matches NumPy"] = _close(result, expected, rtol=max(program.rtol, 1e-5))
    # The same inputs every call: programs that change their arguments go on from where they are.
    numpy_args, our_args = copy.deepcopy(inputs), copy.deepcopy(inputs)
    contenders = {"numpy": lambda: program.fn(*numpy_args), "ours": _blocking(lambda: ours(*our_args))}
    try:
        jax_fn = jax.jit(_under_jax(module_name)[program.fn.__name__], static_argnums=program.static)
        jax_args = copy.deepcopy(inputs)
        jax_result = jax_fn(*jax_args)
        if not _close(jax_result, expected, rtol=max(program.rtol, 1e-5)):
            row["jax"] = "n/a: differs from NumPy"
        else:
            contenders["jax"] = _blocking(lambda: jax_fn(*jax_args))
    except Exception as err:  # noqa: BLE001  (why JAX cannot run it is the row's point)
        row["jax"] = f"n/a: {type(err).__name__}"
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        times = _alternating(contenders)
    row.update({f"{k} ms": v * 1e3 for k, v in times.items()})
    row["numpy/ours"] = times["numpy"] / times["ours"]
    if "jax" in times:
        row["ours/jax"] = times["ours"] / times["jax"]
    return row


# -- linear algebra ---------------------------------------------------------------------------------------

def kalman_step(xp, x, P, z, F, H, Q, R):
    """One predict/update step of a linear Kalman filter, as textbooks write it (with the inverse)."""
    x = F @ x
    P = F @ P @ F.T + Q
    S = H @ P @ H.T + R
    K = P @ H.T @ xp.linalg.inv(S)
    x = x + K @ (z - H @ x)
    P = (xp.eye(P.shape[0]) - K @ H) @ P
    return x, P


def batched_solve(xp, a, b):
    return xp.linalg.solve(a, b)


def spectral_radius(xp, a):
    """The largest eigenvalue modulus of each matrix (is a linear recurrence stable?): np.linalg.eigvals."""
    return xp.max(xp.abs(xp.linalg.eigvals(a)), axis=-1)


def sorted_eigenvalue_parts(xp, a):
    """eig's eigenvalues as sorted real and imaginary parts, and its vectors' lengths (all order-free)."""
    w, v = xp.linalg.eig(a)
    return xp.sort(w.real, axis=-1), xp.sort(w.imag, axis=-1), xp.sum(xp.abs(v) ** 2, axis=-2)


def qr_loss(xp, a, weights):
    """A loss through both QR factors (its gradient: QR's formula, geqrf and orgqr differentiated as one op)."""
    q, r = xp.linalg.qr(a)
    return xp.sum(weights * q) + xp.sum(r * r)


def _kalman_inputs(n: int, m: int):
    rng = np.random.default_rng(0)
    F = np.eye(n) + 0.01 * rng.standard_normal((n, n))
    H = rng.standard_normal((m, n))
    return (rng.standard_normal(n), np.eye(n), rng.standard_normal(m), F, H, 1e-3 * np.eye(n), 0.05 * np.eye(m))


def _solve_inputs(batch: int, n: int, k: int):
    rng = np.random.default_rng(1)
    return rng.standard_normal((batch, n, n)) + n * np.eye(n), rng.standard_normal((batch, n, k))


def _general_inputs(batch: int, n: int):
    return (np.random.default_rng(2).standard_normal((batch, n, n)),)


def _tall_inputs(batch: int, m: int, n: int):
    rng = np.random.default_rng(3)
    return rng.standard_normal((batch, m, n)), rng.standard_normal((batch, m, n))


LINALG = {
    "linalg.kalman_step n=4 m=2": (kalman_step, lambda: _kalman_inputs(4, 2)),
    "linalg.kalman_step n=16 m=8": (kalman_step, lambda: _kalman_inputs(16, 8)),
    "linalg.batched_solve 256x8x8": (batched_solve, lambda: _solve_inputs(256, 8, 1)),
    "linalg.batched_solve 32x64x64": (batched_solve, lambda: _solve_inputs(32, 64, 4)),
    "linalg.spectral_radius 256x8x8": (spectral_radius, lambda: _general_inputs(256, 8)),
    "linalg.eig parts 16x32x32": (sorted_eigenvalue_parts, lambda: _general_inputs(16, 32)),
}
# Gradients: ours (tracer.grad) vs jax.grad, each jitted; NumPy has none.
LINALG_GRADIENTS = {
    "linalg.grad qr_loss 64x8x4": (qr_loss, lambda: _tall_inputs(64, 8, 4)),
    "linalg.grad qr_loss 4x64x32": (qr_loss, lambda: _tall_inputs(4, 64, 32)),
}


def bench_linalg(name: str, fn, make_inputs) -> dict:
    inputs = make_inputs()
    row = {"program": name}
    expected = fn(np, *inputs)
    ours = tracer.jit(lambda *args: fn(np, *args))
    theirs = jax.jit(lambda *args: fn(jnp, *args))
    start = time.perf_counter()
    result = ours(*inputs)
    jax.block_until_ready(tree_util.tree_leaves(_as_numpy(result)))
    row["first call s"] = time.perf_counter() - start
    row["matches NumPy"] = _close(result, expected, rtol=1e-8) and _close(theirs(*inputs), expected, rtol=1e-8)
    times = _alternating({"numpy": lambda: fn(np, *inputs), "ours": _blocking(lambda: ours(*inputs)),
                          "jax": _blocking(lambda: theirs(*inputs))})
    row.update({f"{k} ms": v * 1e3 for k, v in times.items()})
    row["numpy/ours"] = times["numpy"] / times["ours"]
    row["ours/jax"] = times["ours"] / times["jax"]
    return row


def bench_gradient(name: str, loss, make_inputs) -> dict:
    """The gradient of loss(xp, *inputs) with respect to the first input: tracer.grad vs jax.grad."""
    inputs = make_inputs()
    row = {"program": name}
    ours = tracer.jit(tracer.grad(lambda *args: loss(np, *args)))
    theirs = jax.jit(jax.grad(lambda *args: loss(jnp, *args)))
    start = time.perf_counter()
    result = ours(*inputs)
    jax.block_until_ready(tree_util.tree_leaves(_as_numpy(result)))
    row["first call s"] = time.perf_counter() - start
    row["matches NumPy"] = _close(result, theirs(*inputs), rtol=1e-8)  # (JAX is the reference: NumPy has no grad)
    times = _alternating({"ours": _blocking(lambda: ours(*inputs)), "jax": _blocking(lambda: theirs(*inputs))})
    row.update({f"{k} ms": v * 1e3 for k, v in times.items()})
    row["ours/jax"] = times["ours"] / times["jax"]
    return row


def main(filters=()):
    rows = []
    for module_name in MODULES:
        for name, program in importlib.import_module(f"corpus.{module_name}").PROGRAMS.items():
            if filters and not any(f in f"{module_name}.{name}" for f in filters):
                continue
            rows.append(bench_program(module_name, name, program))
            print(_format(rows[-1]), flush=True)
    for name, (fn, make_inputs) in LINALG.items():
        if filters and not any(f in name for f in filters):
            continue
        rows.append(bench_linalg(name, fn, make_inputs))
        print(_format(rows[-1]), flush=True)
    for name, (loss, make_inputs) in LINALG_GRADIENTS.items():
        if filters and not any(f in name for f in filters):
            continue
        rows.append(bench_gradient(name, loss, make_inputs))
        print(_format(rows[-1]), flush=True)
    print()
    print("| program | NumPy ms | ours ms | NumPy/ours | jax.jit ms | ours/jax | first call s |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        jax_ms = f"{row['jax ms']:.3f}" if "jax ms" in row else row.get("jax", "")
        ratio = f"{row['ours/jax']:.2f}" if "ours/jax" in row else ""
        flag = "" if row["matches NumPy"] else " (DIFFERS)"
        numpy_ms, speedup = ((f"{row['numpy ms']:.3f}", f"{row['numpy/ours']:.1f}x") if "numpy ms" in row
                             else ("n/a (no gradient)", ""))
        print(f"| {row['program']}{flag} | {numpy_ms} | {row['ours ms']:.3f} | {speedup} "
              f"| {jax_ms} | {ratio} | {row['first call s']:.1f} |")


def _format(row) -> str:
    return ", ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in row.items())


if __name__ == "__main__":
    main(tuple(sys.argv[1:]))
