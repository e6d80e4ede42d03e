"""Sharding checks that need 8 devices; run by test_sharding.py in a fresh process.

XLA's CPU client makes its devices once, when jax initialises, so the 8 virtual devices
(`--xla_force_host_platform_device_count=8`) need a process of their own. Each check compares
a sharded run with NumPy or with the same function on one device; the script prints one JSON
object mapping check names to "ok" or the failure's traceback.
"""

from __future__ import annotations

import os

os.environ["XLA_FLAGS"] = "--xla_force_host_platform_device_count=8"

import json  # noqa: E402
import runpy  # noqa: E402
import sys  # noqa: E402
import traceback  # noqa: E402

import numpy as np  # noqa: E402

import runtime  # noqa: E402
import tracer  # noqa: E402
from runtime import NamedSharding, PartitionSpec as P  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
rng = np.random.default_rng(0)
CHECKS = {}


def check(fn):
    CHECKS[fn.__name__] = fn
    return fn


def mesh_4x2():
    return runtime.make_mesh((4, 2), ("data", "model"))


def close(actual, expected, tol=1e-5):
    np.testing.assert_allclose(np.asarray(actual), expected, rtol=tol, atol=tol)


@check
def eight_devices():
    assert len(runtime.devices()) == 8, runtime.devices()


@check
def lapack_calls_on_a_batch_split_over_devices():
    """A custom call has no sharding rule XLA knows: the partitioner must still give the right answer."""
    mesh = mesh_4x2()
    a = rng.standard_normal((8, 3, 3)) + 3 * np.eye(3)
    b = rng.standard_normal((8, 3, 2))
    split = NamedSharding(mesh, P("data"))
    f = tracer.jit(lambda a, b: (np.linalg.solve(a, b), np.linalg.eigvalsh(a @ np.swapaxes(a, -1, -2))))
    placed = runtime.to_device(a, sharding=split), runtime.to_device(b, sharding=split)
    x, w = f(*placed)
    close(x, np.linalg.solve(a, b), 1e-10)
    close(w, np.linalg.eigvalsh(a @ np.swapaxes(a, -1, -2)), 1e-10)
    # Each call's sdy.sharding_rule names its batch dims (as JAX's does): each device solves its own 2 of the
    # 8 matrices, with no all-gather of the batch (without the rule: 10 all-gathers, all 8 on every device).
    hlo = tracer.compile(f, *placed).as_text("hlo")
    assert "all-gather" not in hlo and "f64[2,3,3]" in hlo and "f64[8,3,3]" not in hlo, hlo


@check
def placement_splits_the_array_over_the_mesh():
    mesh = mesh_4x2()
    x = np.arange(8 * 6, dtype=np.int64).reshape(8, 6)  # 64-bit stays 64-bit
    placed = runtime.to_device(x, sharding=NamedSharding(mesh, P("data", "model")))
    assert placed.dtype == np.int64 and placed.shape == (8, 6)
    assert len(placed.devices()) == 8 and placed.sharding.spec == P("data", "model")
    for shard in placed.buffer.addressable_shards:
        np.testing.assert_array_equal(np.asarray(shard.data), x[shard.index])
        assert shard.data.shape == (2, 3)
    np.testing.assert_array_equal(np.asarray(placed), x)
    x[:] = -1  # the device copy was taken at the call
    assert np.asarray(placed)[0, 0] == 0
    try:
        placed.device
    except ValueError as err:
        assert ".sharding" in str(err)
    else:
        raise AssertionError("a split array has no single device")


@check
def elementwise_matches_numpy_and_one_device():
    mesh = mesh_4x2()
    x, y = rng.standard_normal((8, 6), dtype=np.float32), rng.standard_normal((8, 6), dtype=np.float32)
    f = tracer.jit(lambda x, y: np.tanh(x) * y + 1.0)
    one_device = f(x, y)
    split = NamedSharding(mesh, P("data", "model"))
    sharded = f(runtime.to_device(x, sharding=split), runtime.to_device(y, sharding=split))
    close(sharded, np.tanh(x) * y + 1.0)
    close(sharded, np.asarray(one_device), 1e-6)  # (tanh's vector code may differ in the last bit per tile size)
    assert len(one_device.devices()) == 1
    assert len(sharded.devices()) == 8 and sharded.sharding.spec == P("data", "model")  # XLA kept the layout


@check
def matmul_with_a_sharded_contraction_dimension():
    mesh = runtime.make_mesh((8,), ("k",))
    x, w = rng.standard_normal((4, 32), dtype=np.float32), rng.standard_normal((32, 5), dtype=np.float32)
    f = tracer.jit(lambda x, w: x @ w, in_shardings=(NamedSharding(mesh, P(None, "k")), NamedSharding(mesh, P("k"))),
                   out_shardings=NamedSharding(mesh, P()))
    out = f(x, w)
    close(out, x @ w)
    close(out, tracer.jit(lambda x, w: x @ w)(x, w))
    hlo = f.compile(x, w).as_text("hlo")
    assert "all-reduce" in hlo and "num_partitions=8" in hlo, hlo  # partial sums combined across devices
    assert out.sharding.spec == P() and len(out.devices()) == 8


@check
def sharding_constraint_inside_traced_code():
    mesh = mesh_4x2()
    layout = NamedSharding(mesh, P("data", "model"))

    def f(x, w):
        return tracer.with_sharding_constraint(x @ w, layout).sum(axis=1)

    x, w = rng.standard_normal((8, 4), dtype=np.float32), rng.standard_normal((4, 6), dtype=np.float32)
    compiled = tracer.compile(f, x, w)
    assert "sdy.sharding_constraint" in compiled.as_text("optimized")
    assert "sdy.mesh @mesh = <[\"data\"=4, \"model\"=2]>" in compiled.as_text("optimized")
    close(compiled(x, w), (x @ w).sum(axis=1))
    close(f(x, w), (x @ w).sum(axis=1))  # eagerly on NumPy: a no-op


@check
def arguments_elsewhere_are_moved_to_in_shardings():
    mesh = mesh_4x2()
    x = rng.standard_normal((8, 4), dtype=np.float32)
    f = tracer.jit(lambda x: x * 2.0, in_shardings=NamedSharding(mesh, P("data")))
    compiled = f.compile(x)  # compiled for NumPy arguments ...
    for given in (x, runtime.to_device(x), runtime.to_device(x, sharding=NamedSharding(mesh, P(None, "model"))),
                  runtime.to_device(x, sharding=NamedSharding(mesh, P("data")))):
        close(compiled(given), x * 2.0)  # ... runs on any placement of the same shape
        close(f(given), x * 2.0)


@check
def device_arrays_move_to_the_sharding_or_device_asked_for():
    mesh = mesh_4x2()
    rows, cols, full = (NamedSharding(mesh, spec) for spec in (P("data"), P(None, "model"), P()))
    cases = [np.arange(8 * 6).reshape(8, 6).astype(dtype) for dtype in (np.float32, np.int32)]
    cases.append(np.arange(8 * 6).reshape(8, 6) % 3 == 0)
    cases.append(np.arange(8 * 6, dtype=np.int64).reshape(8, 6) + 2**40)  # high bits kept (the host path)
    cases.append(rng.standard_normal((8, 6)))  # float64
    for x in cases:
        placed = runtime.to_device(x)
        for sharding in (rows, cols, full, rows):  # from one device, then from each layout to the next
            moved = runtime.to_device(placed, sharding=sharding)
            assert moved.sharding.spec == sharding.spec and moved.dtype == x.dtype
            np.testing.assert_array_equal(np.asarray(moved), x)
            placed = moved
        assert runtime.to_device(placed, sharding=rows) is placed  # already there: not copied
        back = runtime.to_device(placed, device=runtime.devices()[5])
        assert back.device == runtime.devices()[5]
        np.testing.assert_array_equal(np.asarray(back), x)
        constrained = tracer.with_sharding_constraint(back, cols)  # eagerly: moved as well
        assert constrained.sharding.spec == P(None, "model")
        np.testing.assert_array_equal(np.asarray(constrained), x)


@check
def out_shardings_pytree_prefix():
    mesh = mesh_4x2()
    rows, full = NamedSharding(mesh, P("data")), NamedSharding(mesh, P())
    f = tracer.jit(lambda d: {"a": d["a"] + 1, "b": d["b"] * 2}, out_shardings={"a": rows, "b": full})
    d = {"a": rng.standard_normal((8, 2), dtype=np.float32), "b": rng.standard_normal(3, dtype=np.float32)}
    out = f(d)
    assert out["a"].sharding.spec == P("data") and out["b"].sharding.spec == P()
    close(out["a"], d["a"] + 1)
    close(out["b"], d["b"] * 2)


@check
def data_parallel_example():
    assert runpy.run_path(os.path.join(ROOT, "examples", "data_parallel.py"))["main"](steps=2) < 1e-5


@check
def tensor_parallel_example():
    assert runpy.run_path(os.path.join(ROOT, "examples", "tensor_parallel.py"))["main"](steps=2) < 1e-5


@check
def unused_arguments_are_dropped_from_a_sharded_program():
    mesh = mesh_4x2()
    rows, cols = NamedSharding(mesh, P("data")), NamedSharding(mesh, P(None, "model"))
    x, unused, y = (rng.standard_normal((8, 6), dtype=np.float32) for _ in range(3))
    f = tracer.jit(lambda x, unused, y: x * y, in_shardings=(rows, cols, rows))
    compiled = f.compile(x, unused, y)
    text = compiled.as_text("optimized")
    main = text[text.index("@main("):text.index(") ->", text.index("@main("))]
    assert main.count("%arg") == 2 and main.count("sdy.sharding =") == 2, main  # `unused` is gone
    assert compiled.sharding_plan.arguments == (rows, rows)
    placed = [runtime.to_device(a, sharding=s) for a, s in ((x, rows), (unused, cols), (y, rows))]
    for args in ((x, unused, y), placed, placed):
        close(f(*args), x * y)
        close(compiled(*args), x * y)


def raises(kind, *fragments):
    def decorate(fn):
        def run():
            try:
                fn()
            except kind as err:
                for fragment in fragments:
                    assert fragment in str(err), (fragment, str(err))
                return
            raise AssertionError(f"{fn.__name__} did not raise {kind.__name__}")
        run.__name__ = fn.__name__
        return check(run)
    return decorate


@raises(runtime.ShardingError, "does not split evenly", "fix:", "sharded_checks.py:")
def indivisible_dimension_is_refused():
    mesh = mesh_4x2()
    tracer.jit(lambda x: x + 1, in_shardings=NamedSharding(mesh, P("data")))(np.ones((6, 2), np.float32))


@raises(ValueError, "batch", "not found in mesh")  # (JAX's NamedSharding checks this when it is built)
def unknown_axis_is_refused():
    runtime.to_device(np.ones((8, 2)), sharding=NamedSharding(mesh_4x2(), P("batch")))


@raises(runtime.ShardingError, "names 3 dimensions", "fix:")
def spec_longer_than_the_array_is_refused():
    runtime.to_device(np.ones((8, 2)), sharding=NamedSharding(mesh_4x2(), P("data", None, None)))


@raises(runtime.ShardingError, "second mesh", "sharded_checks.py:")
def two_meshes_in_one_function_are_refused():
    a, b = mesh_4x2(), runtime.make_mesh((8,), ("data",))

    def f(x):
        y = tracer.with_sharding_constraint(x, NamedSharding(a, P("data")))
        return tracer.with_sharding_constraint(y, NamedSharding(b, P("data")))

    tracer.jit(f)(np.ones((8, 2), np.float32))


@raises(runtime.ShardingError, "needs 16 devices", "xla_force_host_platform_device_count")
def mesh_larger_than_the_machine_is_refused():
    runtime.make_mesh((4, 4), ("a", "b"))


@raises(ValueError, "DLPack", "split over 8 devices")
def dlpack_of_a_split_array_is_refused():
    np.from_dlpack(runtime.to_device(np.ones((8, 2)), sharding=NamedSharding(mesh_4x2(), P("data"))))


def main() -> None:
    results = {}
    for name in sys.argv[1:] or CHECKS:
        try:
            CHECKS[name]()
            results[name] = "ok"
        except BaseException:  # noqa: BLE001  (reported to the parent test, which fails with it)
            results[name] = traceback.format_exc()
    print("RESULTS " + json.dumps(results))


if __name__ == "__main__":
    main()
