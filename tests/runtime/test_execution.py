"""Execution semantics: donate="auto", asynchronous calls and sync, DLPack, introspection,
profiling, threads, the bounded compile cache, and memory over many calls.

Values are checked against NumPy; "deleted", "ready" and "shares memory" against the buffers themselves.
"""

from __future__ import annotations

import gc
import json
import os
import threading
import time

import jax
import numpy as np
import pytest

import runtime
import tracer

rng = np.random.default_rng(3)


def rand(*shape):
    return rng.standard_normal(shape).astype(np.float32)


# --------------------------------------------------------------------------- donate="auto"


def sgd(params, grads):
    return {k: params[k] - 0.1 * grads[k] for k in params}, grads["w"].sum()


def test_donate_auto_reuses_every_argument_a_result_can_take():
    params = {"w": rand(64, 32), "b": rand(32)}
    grads = {"w": rand(64, 32), "b": rand(32)}
    step = tracer.jit(sgd, donate="auto")
    on_device, grads_on_device = runtime.to_device(params), runtime.to_device(grads)
    new_params, total = step(on_device, grads_on_device)
    for k in params:
        np.testing.assert_allclose(np.asarray(new_params[k]), params[k] - 0.1 * grads[k], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(float(total), grads["w"].sum(), rtol=1e-4)
    # Two results of the params' shapes: the params (first in order) are donated, the grads are not.
    assert on_device["w"].is_deleted() and on_device["b"].is_deleted()
    assert not grads_on_device["w"].is_deleted() and not grads_on_device["b"].is_deleted()
    with pytest.raises(runtime.DonatedArrayError, match="donated"):
        np.asarray(on_device["w"])
    with pytest.raises(tracer.DonatedArgumentError, match="test_execution.py"):
        step(on_device, grads_on_device)
    compiled = tracer.compile(sgd, new_params, grads_on_device, donate="auto")
    assert compiled.memory_stats()["alias_size_in_bytes"] == (64 * 32 + 32) * 4  # XLA writes in place


def test_donate_auto_leaves_arguments_no_result_matches():
    f = tracer.jit(lambda x, y: (x @ y).sum(axis=0), donate="auto")
    x, y = runtime.to_device(rand(8, 4)), runtime.to_device(rand(4, 3))
    np.testing.assert_allclose(np.asarray(f(x, y)), (np.asarray(x) @ np.asarray(y)).sum(axis=0), rtol=1e-5)
    assert not x.is_deleted() and not y.is_deleted()


def test_donate_option_misuse():
    with pytest.raises(ValueError, match="donate='auto'"):
        tracer.jit(lambda x: x, donate="all")
    with pytest.raises(ValueError, match="not both"):
        tracer.jit(lambda x: x, donate="auto", donate_argnums=0)


# --------------------------------------------------------------------------- async / sync


def heavy(x):
    return tracer.fori_loop(0, 60, lambda i, a: np.tanh(a @ x), x)


def test_calls_are_asynchronous_and_block_until_ready_waits():
    x = rand(384, 384) / 20
    f = tracer.jit(heavy)
    f(x).block_until_ready()  # compiled
    results = [f(x) for _ in range(3)]
    # Three calls of ~60 matmuls each were queued without waiting for any of them.
    assert not results[-1].is_ready()
    assert runtime.synchronize(results) is results
    assert all(r.is_ready() for r in results)
    expected = x
    for _ in range(60):
        expected = np.tanh(expected @ x)
    np.testing.assert_allclose(np.asarray(results[-1]), expected, rtol=2e-4, atol=2e-5)


def test_sync_true_returns_computed_results():
    x = rand(384, 384) / 20
    compiled = tracer.compile(heavy, x, sync=True)
    for _ in range(3):
        assert compiled(x).is_ready()
    assert tracer.jit(heavy, sync=True)(x).is_ready()


# --------------------------------------------------------------------------- DLPack


_OUT_OF_MEMORY_CHILD = """
import json, numpy as np, runtime, tracer
n = 1 << 23  # a (n, n) float32 result is 256 TiB: more than any machine's address space, so no allocation succeeds
grow = lambda x: np.broadcast_to(x, (n, n)) + 1
result = tracer.jit(grow)(np.ones(n, np.float32))
reads = {"np.asarray": np.asarray, "float(a[0, 0])": lambda a: float(a[0, 0]), "repr": repr,
         "to_numpy": lambda a: a.to_numpy(), "block_until_ready": lambda a: a.block_until_ready(),
         "np.from_dlpack": np.from_dlpack, "jit(sync=True)": lambda a: tracer.jit(grow, sync=True)(np.ones(n, np.float32))}
errors = {}
for name, read in reads.items():
    try:
        read(result)
        errors[name] = "no error"
    except runtime.ExecutionError as err:
        errors[name] = str(err)
print(json.dumps(errors))
"""


def test_reading_a_result_whose_computation_ran_out_of_memory_raises():
    """Reading the memory of a failed result aborted the process (`Check failed: buffer_.IsConcrete()`);
    every read now waits for the computation first and raises its status as `runtime.ExecutionError`."""
    from helpers import exit_status, run_isolated

    child = run_isolated(_OUT_OF_MEMORY_CHILD)
    assert child.returncode == 0, exit_status(child)
    errors = json.loads(child.stdout.splitlines()[-1])
    assert len(errors) == 7
    for name, message in errors.items():
        assert "array failed: RESOURCE_EXHAUSTED" in message, (name, message)
        assert "fix: the program needs more device memory than is free" in message, (name, message)


def test_dlpack_to_numpy_and_jax_shares_the_buffer():
    x = rand(5, 7)
    on_device = tracer.jit(lambda x: x * 2.0)(x)
    pointer = on_device.buffer.unsafe_buffer_pointer()
    host = np.from_dlpack(on_device)
    np.testing.assert_array_equal(host, x * 2.0)
    assert host.ctypes.data == pointer  # zero-copy
    as_jax = jax.dlpack.from_dlpack(on_device)
    assert as_jax.unsafe_buffer_pointer() == pointer
    np.testing.assert_array_equal(np.asarray(as_jax), x * 2.0)
    assert on_device.__dlpack_device__() == host.__dlpack_device__()


def test_dlpack_of_a_donated_array_raises():
    f = tracer.jit(lambda x: x + 1, donate_argnums=0)
    x = runtime.to_device(rand(3))
    f(x)
    with pytest.raises(runtime.DonatedArrayError):
        np.from_dlpack(x)


# --------------------------------------------------------------------------- introspection


def test_cost_analysis_counts_the_matmul_flops():
    compiled = tracer.compile(lambda a, b: np.tanh(a @ b), rand(32, 16), rand(16, 8))
    cost = compiled.cost_analysis()
    assert cost["flops"] >= 2 * 32 * 16 * 8  # the matmul, plus tanh's and little else
    assert cost["flops"] <= 2 * 32 * 16 * 8 + 50 * 32 * 8
    assert cost["transcendentals"] == 32 * 8


def test_memory_stats_count_argument_and_output_bytes():
    stats = tracer.compile(lambda a, b: a @ b, rand(32, 16), rand(16, 8)).memory_stats()
    assert stats["argument_size_in_bytes"] == (32 * 16 + 16 * 8) * 4
    assert stats["output_size_in_bytes"] == 32 * 8 * 4
    assert stats["alias_size_in_bytes"] == 0


def test_profile_writes_a_trace(tmp_path):
    f = tracer.jit(lambda x: np.sin(x) @ x.T)
    x = rand(16, 16)
    with runtime.profile(tmp_path) as path:
        for _ in range(3):
            f(x)
    written = [os.path.join(root, name) for root, _, names in os.walk(path) for name in names]
    assert any(name.endswith(".xplane.pb") for name in written), written  # TensorBoard
    assert any(name.endswith(".trace.json.gz") for name in written), written  # Perfetto / chrome://tracing
    assert all(os.path.getsize(name) > 0 for name in written)


# --------------------------------------------------------------------------- threads and bounds


def test_eight_threads_share_one_jit_function():
    traces = []

    @tracer.jit
    def f(x, y):
        traces.append(x.shape)
        return np.tanh(x) * y - x.sum()

    shapes = [(4, 3), (4, 3), (4, 3), (4, 3), (2, 5), (6,), (2, 5), (6,)]  # same and different signatures
    failures, barrier = [], threading.Barrier(len(shapes))

    def worker(shape, seed):
        local = np.random.default_rng(seed)
        barrier.wait()  # all threads reach the first (compiling) call together
        for _ in range(30):
            x, y = local.standard_normal(shape).astype(np.float32), local.standard_normal(shape).astype(np.float32)
            for args in ((x, y), (runtime.to_device(x), runtime.to_device(y))):
                got = np.asarray(f(*args))
                if not np.allclose(got, np.tanh(x) * y - x.sum(), rtol=1e-5, atol=1e-5):
                    failures.append((shape, got))

    threads = [threading.Thread(target=worker, args=(s, i)) for i, s in enumerate(shapes)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures
    assert sorted(traces) == sorted({(4, 3), (2, 5), (6,)})  # each signature traced exactly once


def test_compile_cache_evicts_the_least_recently_used_signature():
    traced = []
    f = tracer.jit(lambda x: traced.append(x.shape) or x + 1, cache_size=2)
    a, b, c = rand(1), rand(2), rand(3)
    for x in (a, b, a, c):  # c evicts b, used longer ago than a
        np.testing.assert_array_equal(np.asarray(f(x)), x + 1)
    assert f.cache_info == {"size": 2, "max_size": 2}
    f(a)
    assert traced == [(1,), (2,), (3,)]
    f(b)
    assert traced == [(1,), (2,), (3,), (2,)]
    with pytest.raises(ValueError, match="cache_size"):
        tracer.jit(lambda x: x, cache_size=0)


def rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="reads Linux's /proc")
def test_device_memory_stays_flat_over_thousands_of_calls():
    # 64 KiB arguments and results: one result buffer kept per call would be 125 MiB over 2,000 calls.
    f = tracer.jit(lambda x, y: x * y + 1.0)
    x, y = rand(128, 128), rand(128, 128)
    dx, dy = runtime.to_device(x), runtime.to_device(y)
    for _ in range(100):  # warm up allocator pools and caches
        f(x, y), f(dx, dy)
    before = rss_bytes()
    for _ in range(1000):
        f(x, y)
        f(dx, dy).block_until_ready()
    growth = rss_bytes() - before
    assert growth < 16 * 2**20, f"RSS grew by {growth / 2**20:.1f} MiB"


def test_python_memory_stays_flat_over_ten_thousand_calls():
    # Every call path (NumPy arguments, device arrays, a pytree); one small object kept per call
    # (>= 48 bytes) would be 480 KB over 10,000 calls.
    import tracemalloc

    f = tracer.jit(lambda x, y: x * y + 1.0)
    g = tracer.jit(lambda tree: {"s": tree["a"] + tree["b"][0]})
    x, y = rand(8), rand(8)
    dx, dy = runtime.to_device(x), runtime.to_device(y)
    calls = (lambda: f(x, y), lambda: f(dx, dy), lambda: g({"a": dx, "b": [dy]}), lambda: f(dx, y))
    for call in calls:  # compile, warm up caches (the packed executable for NumPy arguments too)
        for _ in range(50):
            call()
    runtime.synchronize(f(x, y))
    time.sleep(0.5)  # (let a background compile finish)
    gc.collect()
    tracemalloc.start()
    try:
        for call in calls:
            call()
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(2500):
            for call in calls:
                call()
        runtime.synchronize(f(dx, dy))
        time.sleep(0.3)  # PJRT lets go of finished calls' objects from its own threads, a moment later
        gc.collect()
        growth = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert growth < 128 * 1024, f"Python memory grew by {growth / 1024:.0f} KiB over 10,000 calls"


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="reads Linux's /proc")
def test_memory_stays_bounded_over_many_compilations():
    """Evicted signatures release their executables: PJRT's own count of live executables stays at the
    cache's bound (a leak keeps all 70: the RSS bound alone could not tell, 50 executables of this size
    take ~13 MiB), and RSS stays flat."""
    client = runtime.client()
    gc.collect()
    executables_before = len(client.live_executables())
    f = tracer.jit(lambda x: np.tanh(x) * 2.0, cache_size=8)
    for n in range(1, 21):
        f(np.ones(n, np.float32))
    before = rss_bytes()
    for n in range(21, 71):  # 50 new signatures, each traced and compiled, all but 8 evicted
        np.testing.assert_allclose(np.asarray(f(np.ones(n, np.float32))), np.tanh(np.ones(n)) * 2.0, rtol=1e-6)
    assert f.cache_info["size"] == 8
    gc.collect()
    live = len(client.live_executables()) - executables_before
    assert live <= 8, f"{live} executables alive for 8 cached signatures after 70 compilations"
    growth = rss_bytes() - before
    assert growth < 64 * 2**20, f"RSS grew by {growth / 2**20:.1f} MiB over 50 compilations"
    del f
    gc.collect()
    assert len(client.live_executables()) <= executables_before  # and the function's own go with it
