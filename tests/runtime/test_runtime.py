"""The runtime: host<->device transfers, ConcreteArray, compiling hand-written StableHLO, devices.

NumPy is the oracle for every value; `jax.devices` for the device list.
"""

from __future__ import annotations

import json
import operator

import jax
import ml_dtypes
import numpy as np
import pytest

import ir
import runtime
from ir.errors import PyreactantError

rng = np.random.default_rng(2)


def sample(dtype) -> np.ndarray:
    """A 2x3 array of `dtype` that uses its range: extremes, signs, values that 32 bits cannot hold."""
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return np.array([[True, False, True], [False, True, True]])
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        return np.array([[info.min, 0, 1], [info.max, info.max - 1, 3]], dtype)
    if dtype == ml_dtypes.bfloat16:
        return np.array([[-1.5, 0.0, 3.0], [2.0**100, -(2.0**-100), 0.0078125]], dtype)
    finfo = np.finfo(dtype)
    return np.array([[finfo.min, -0.0, finfo.tiny], [finfo.max, 1 / 3, -np.inf]], dtype)


ALL_DTYPES = [np.dtype(d) for d in ir.dtypes.SUPPORTED_DTYPES]


# --------------------------------------------------------------------------- transfers


@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=lambda d: d.name)
def test_round_trip_every_supported_dtype(dtype):
    host = sample(dtype)
    device = runtime.to_device(host)
    assert isinstance(device, runtime.ConcreteArray)
    assert device.shape == (2, 3) and device.dtype == dtype
    back = runtime.to_host(device)
    assert isinstance(back, np.ndarray)
    assert back.dtype == dtype
    np.testing.assert_array_equal(back, host, strict=True)
    if dtype.kind == "f" or dtype == ml_dtypes.bfloat16:
        np.testing.assert_array_equal(np.signbit(back.astype(np.float64)), np.signbit(host.astype(np.float64)))


@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=lambda d: d.name)
def test_numpy_scalar_round_trip(dtype):
    scalar = sample(dtype).reshape(-1)[3]  # a NumPy scalar (np.generic), the dtype's max for ints
    assert isinstance(scalar, np.generic)
    device = runtime.to_device(scalar)
    assert device.shape == () and device.dtype == dtype and device.ndim == 0 and device.size == 1
    np.testing.assert_array_equal(np.asarray(device), np.asarray(scalar), strict=True)


def test_pytree_round_trip_keeps_structure_and_non_array_leaves():
    tree = {
        "w": rng.standard_normal((3, 2)).astype(np.float32),
        "layers": [np.arange(4, dtype=np.int64), (np.float16(1.5), None)],
        "name": "dense",
        "step": 3,
        "lr": 0.1,
        "bf": np.array([1.0, 2.5], ml_dtypes.bfloat16),
    }
    on_device = runtime.to_device(tree)
    assert isinstance(on_device["w"], runtime.ConcreteArray)
    assert isinstance(on_device["layers"][0], runtime.ConcreteArray)
    assert isinstance(on_device["layers"][1][0], runtime.ConcreteArray)
    assert on_device["layers"][1][1] is None
    assert (on_device["name"], on_device["step"], on_device["lr"]) == ("dense", 3, 0.1)
    assert isinstance(on_device["layers"], list) and isinstance(on_device["layers"][1], tuple)

    back = runtime.to_host(on_device)
    assert jax.tree_util.tree_structure(back) == jax.tree_util.tree_structure(tree)
    for got, want in zip(jax.tree_util.tree_leaves(back), jax.tree_util.tree_leaves(tree)):
        if isinstance(want, (np.ndarray, np.generic)):
            assert isinstance(got, np.ndarray)
            np.testing.assert_array_equal(got, np.asarray(want), strict=True)
        else:
            assert got == want and type(got) is type(want)


def test_to_device_copies_host_memory_now():
    host = np.arange(5, dtype=np.float32)
    device = runtime.to_device(host)
    host[:] = -1  # mutating the source afterwards must not change the device copy
    np.testing.assert_array_equal(np.asarray(device), np.arange(5, dtype=np.float32))


def test_to_device_on_an_explicit_device():
    target = runtime.devices()[-1]
    device = runtime.to_device(np.ones(3, np.int32), target)
    assert device.device == target
    np.testing.assert_array_equal(np.asarray(device), np.ones(3, np.int32))


def test_non_contiguous_input():
    host = np.arange(24, dtype=np.float64).reshape(4, 6)[::2, ::-3]
    assert not host.flags.c_contiguous
    np.testing.assert_array_equal(np.asarray(runtime.to_device(host)), host, strict=True)


@pytest.mark.parametrize("dtype", [np.complex64, np.complex128, object, np.str_])
def test_unsupported_dtypes_are_refused(dtype):
    bad = np.zeros(2, dtype=dtype)
    with pytest.raises(TypeError, match=np.dtype(dtype).name if dtype is not np.str_ else "dtype"):
        runtime.to_device(bad)
    with pytest.raises(TypeError):
        runtime.array_to_device(bad)


def test_python_numbers_are_not_transferred():
    tree = runtime.to_device([1, 2.0, True])
    assert tree == [1, 2.0, True]
    # array_to_device turns anything array-like into an array (NumPy's dtype rules).
    arr = runtime.array_to_device([[1, 2], [3, 4]])
    assert arr.dtype == np.asarray([[1, 2], [3, 4]]).dtype
    np.testing.assert_array_equal(np.asarray(arr), [[1, 2], [3, 4]])


def test_synchronize_returns_the_tree():
    tree = runtime.to_device({"a": np.ones(2, np.float32), "b": "tag"})
    assert runtime.synchronize(tree) is tree
    np.testing.assert_array_equal(np.asarray(tree["a"]), np.ones(2, np.float32))


# --------------------------------------------------------------------------- ConcreteArray


@pytest.fixture
def pair():
    a = rng.standard_normal((2, 3)).astype(np.float32)
    b = rng.uniform(0.5, 2.0, (2, 3)).astype(np.float32)
    return a, b, runtime.to_device(a), runtime.to_device(b)


def test_concrete_array_attributes(pair):
    a, _, ca, _ = pair
    assert ca.shape == a.shape and ca.dtype == a.dtype
    assert ca.ndim == 2 and ca.size == 6 and len(ca) == 2
    assert ca.device == runtime.default_device()
    assert ca.block_until_ready() is ca
    assert not ca.is_deleted()
    assert repr(ca) == f"ConcreteArray({a!r})"
    np.testing.assert_array_equal(np.asarray(ca), a)
    np.testing.assert_array_equal(ca.to_numpy(), a)
    assert np.asarray(ca, dtype=np.float64).dtype == np.float64
    np.testing.assert_array_equal(np.asarray(ca, dtype=np.float64), a.astype(np.float64))
    np.testing.assert_array_equal(ca[1], a[1])
    np.testing.assert_array_equal(ca[:, ::2], a[:, ::2])


def test_scalar_conversions():
    assert float(runtime.to_device(np.float32(2.5))) == 2.5
    assert int(runtime.to_device(np.int64(-7))) == -7
    assert bool(runtime.to_device(np.bool_(True))) is True
    assert bool(runtime.to_device(np.float32(0.0))) is False


def test_concrete_array_is_unhashable_like_ndarray():
    with pytest.raises(TypeError):
        hash(runtime.to_device(np.ones(2)))


BINARY_OPERATORS = [operator.add, operator.sub, operator.mul, operator.truediv, operator.floordiv,
                    operator.mod, operator.pow, operator.lt, operator.le, operator.gt, operator.ge,
                    operator.eq, operator.ne]


@pytest.mark.parametrize("op", BINARY_OPERATORS, ids=lambda op: op.__name__)
def test_host_arithmetic_matches_numpy(op, pair):
    a, b, ca, cb = pair
    a[0, 0] = -0.75  # a negative base: pow gives NaN, which must match too
    ca = runtime.to_device(a)
    with np.errstate(invalid="ignore", divide="ignore"):
        check_operator(op, a, b, ca, cb)


def check_operator(op, a, b, ca, cb):
    for left, right, expected in [
        (ca, cb, op(a, b)),
        (ca, b, op(a, b)),  # with a NumPy array on either side
        (a, cb, op(a, b)),
        (ca, 2, op(a, 2)),  # and Python scalars (NEP 50: float32 stays float32)
        (3, cb, op(3, b)),
    ]:
        result = op(left, right)
        assert isinstance(result, np.ndarray), type(result)
        assert result.dtype == expected.dtype
        np.testing.assert_array_equal(result, expected)


def test_host_matmul_negation_and_ufuncs(pair):
    a, b, ca, cb = pair
    np.testing.assert_allclose(ca @ np.asarray(cb).T, a @ b.T, rtol=1e-6)
    np.testing.assert_allclose(a @ np.asarray(cb).T, ca @ b.T, rtol=1e-6)
    np.testing.assert_array_equal(-ca, -a)
    np.testing.assert_array_equal(np.sin(ca), np.sin(a))
    np.testing.assert_array_equal(np.add(ca, cb), a + b)
    np.testing.assert_array_equal(np.maximum.reduce(ca, axis=0), np.maximum.reduce(a, axis=0))
    assert float(np.sum(ca)) == pytest.approx(float(np.sum(a)), rel=1e-6)


def test_host_abs(pair):
    a, _, ca, _ = pair
    np.testing.assert_array_equal(abs(ca), np.abs(a))


# --------------------------------------------------------------------------- compile_stablehlo

AFFINE = """
func.func public @main(%x: tensor<2x3xf32>, %b: tensor<3xf32>) -> (tensor<2x3xf32>, tensor<f32>, tensor<2x3xi1>) {
  %0 = stablehlo.broadcast_in_dim %b, dims = [1] : (tensor<3xf32>) -> tensor<2x3xf32>
  %1 = stablehlo.multiply %x, %0 : tensor<2x3xf32>
  %zero = stablehlo.constant dense<0.0> : tensor<f32>
  %2 = stablehlo.reduce(%1 init: %zero) applies stablehlo.add across dimensions = [0, 1] : (tensor<2x3xf32>, tensor<f32>) -> tensor<f32>
  %zeros = stablehlo.broadcast_in_dim %zero, dims = [] : (tensor<f32>) -> tensor<2x3xf32>
  %3 = stablehlo.compare GT, %1, %zeros, FLOAT : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xi1>
  return %1, %2, %3 : tensor<2x3xf32>, tensor<f32>, tensor<2x3xi1>
}
"""


def _run(executable, *arrays):
    # Executable.execute takes device buffers (jax.Array). jax.device_put would turn 64-bit arrays
    # into 32-bit ones (JAX's x64 switch is off), so the buffers come from runtime.to_device.
    buffers = [runtime.to_device(np.asarray(a), executable.device).buffer for a in arrays]
    return [np.asarray(out) for out in executable.execute(buffers)]


def test_compile_and_execute_hand_written_stablehlo():
    executable = runtime.compile_stablehlo(AFFINE)
    assert isinstance(executable, runtime.Executable)
    assert executable.device == runtime.default_device()
    x = rng.standard_normal((2, 3)).astype(np.float32)
    b = rng.standard_normal(3).astype(np.float32)
    scaled, total, positive = _run(executable, x, b)
    np.testing.assert_allclose(scaled, x * b, rtol=1e-6)
    np.testing.assert_allclose(total, (x * b).sum(), rtol=1e-5)
    assert total.shape == () and total.dtype == np.float32
    np.testing.assert_array_equal(positive, x * b > 0)
    assert positive.dtype == np.bool_
    hlo = executable.hlo_text()
    assert "HloModule" in hlo and "f32[2,3]" in hlo and "pred[2,3]" in hlo


def test_execute_takes_jax_arrays():
    executable = runtime.compile_stablehlo(AFFINE)
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    b = np.array([1.0, -1.0, 2.0], np.float32)
    outputs = executable.execute([jax.device_put(x), jax.device_put(b)])
    np.testing.assert_array_equal(np.asarray(outputs[0]), x * b)
    assert float(np.asarray(outputs[1])) == pytest.approx(float((x * b).sum()))


SUBTRACT = """
func.func public @main(%a: tensor<3xf32>, %b: tensor<3xf32>) -> tensor<3xf32> {
  %0 = stablehlo.subtract %a, %b : tensor<3xf32>
  return %0 : tensor<3xf32>
}
"""


def test_fast_call_runs_on_buffers_and_wraps_the_result():
    executable = runtime.compile_stablehlo(SUBTRACT)
    a, b = np.arange(3, dtype=np.float32), np.full(3, 0.5, np.float32)
    da, db, other = runtime.to_device(a), runtime.to_device(b), runtime.to_device(np.zeros(5))
    result = executable.fast_call()([da.buffer, db.buffer])
    assert type(result) is runtime.ConcreteArray and not result.is_sharded
    assert result.signature == executable.result_signatures[0] == ((3,), np.dtype(np.float32))
    np.testing.assert_array_equal(np.asarray(result), a - b)
    # `positions` picks the executable's arguments out of a longer list (arguments a program does not read)
    np.testing.assert_array_equal(np.asarray(executable.fast_call((2, 0))([db.buffer, other.buffer, da.buffer])), a - b)
    np.testing.assert_array_equal(np.asarray(executable.fast_call((1, 1))([other.buffer, db.buffer])), b - b)
    again = runtime.ConcreteArray.wrap(result.buffer, result.signature)
    assert again.shape == (3,) and again.dtype == np.float32 and again.signature == result.signature
    np.testing.assert_array_equal(np.asarray(again), a - b)


@pytest.mark.parametrize("dtype", [np.int8, np.int64, np.uint32, np.uint64, np.float16, np.float64])
def test_compiled_integer_and_float_widths(dtype):
    spelling = ir.dtypes._mlir_spelling(ir.dtypes.short_name(dtype))
    source = f"""
    func.func public @main(%a: tensor<4x{spelling}>, %b: tensor<4x{spelling}>) -> tensor<4x{spelling}> {{
      %0 = stablehlo.add %a, %b : tensor<4x{spelling}>
      return %0 : tensor<4x{spelling}>
    }}
    """
    executable = runtime.compile_stablehlo(source)
    a = sample(dtype).reshape(-1)[2:]
    b = np.ones(4, dtype)
    with np.errstate(over="ignore"):
        expected = a + b
    (out,) = _run(executable, a, b)
    assert out.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize(("source", "diagnostic"), [
    ("this is not mlir", "this"),
    ("""func.func public @main(%a: tensor<2xf32>) -> tensor<3xf32> {
          return %a : tensor<2xf32>
        }""", "tensor<3xf32>"),
    ("""func.func public @main() -> tensor<2xf32> {
          %0 = stablehlo.custom_call @no_such_target_anywhere() : () -> tensor<2xf32>
          return %0 : tensor<2xf32>
        }""", "no_such_target_anywhere"),
])
def test_compile_errors(source, diagnostic):
    with pytest.raises(runtime.CompileError) as info:
        runtime.compile_stablehlo(source)
    assert isinstance(info.value, RuntimeError)
    assert diagnostic in str(info.value)


# --------------------------------------------------------------------------- errors


def test_errors_name_the_callers_line_and_the_fix():
    mesh = runtime.make_mesh((1,), ("i",))
    whole = runtime.NamedSharding(mesh, runtime.PartitionSpec())
    donated = runtime.to_device(np.ones(2, np.float32))
    donated.mark_donated("step.py:7")
    cases = [  # (the call, our error, the built-in one callers catch)
        (lambda: runtime.to_device(np.ones(2), runtime.default_device(), whole), runtime.PlacementError, ValueError),
        (lambda: runtime.to_device(np.zeros(2, np.complex64)), runtime.UnsupportedDtypeError, TypeError),
        (lambda: runtime.make_mesh((1,), ("a", "b")), runtime.ShardingError, ValueError),
        (lambda: runtime.compile_stablehlo("this is not mlir"), runtime.CompileError, RuntimeError),
        (lambda: np.asarray(donated), runtime.DonatedArrayError, RuntimeError),
    ]
    for call, error, builtin in cases:
        with pytest.raises(error) as info:
            call()
        assert isinstance(info.value, builtin) and isinstance(info.value, PyreactantError)
        happened, fix = str(info.value).split("\n  fix: ")
        assert happened.startswith(f"{__file__}:") and fix, str(info.value)
    assert "step.py:7" in str(info.value)  # a donated array names where it was donated


# --------------------------------------------------------------------------- devices


def test_devices_match_jax():
    # The default platform is JAX's default (the best installed; CPU on a machine with no accelerator).
    assert runtime.devices() == jax.devices()
    assert runtime.devices("cpu") == jax.devices("cpu")
    assert runtime.default_device() == runtime.devices()[0] == jax.devices()[0]
    assert runtime.client().platform == jax.default_backend()


def test_unknown_backend_is_refused_and_default_kept():
    before = runtime.default_device()
    with pytest.raises(RuntimeError):
        runtime.set_default_backend("no-such-platform")
    assert runtime.default_device() == before


# --------------------------------------------------------------------------- text XLA cannot take

_NESTING_CHILD = """
import json, sys
import runtime
results = {}
for name, path in json.loads(sys.argv[1]).items():
    try:
        runtime.compile_stablehlo(open(path).read())
        results[name] = "compiled"
    except runtime.CompileError as err:
        results[name] = str(err)
print(json.dumps(results))
"""


def test_modules_nested_too_deeply_for_xla_are_a_compile_error_not_a_crash(tmp_path):
    """XLA lowers nested regions and tuple types by recursion in its worker threads: 250 nested ifs, or a
    tuple type 1000 deep, killed the process (SIGSEGV) though MLIR's own parser reads them."""
    from helpers import exit_status, nested_ifs, run_isolated

    texts = {"ifs": nested_ifs(250),
             "tuples": "func.func @main(%a: " + "tuple<" * 1000 + "tensor<f32>" + ">" * 1000 + ") -> tensor<f32> {\n"
                       "  %c = stablehlo.constant dense<1.0> : tensor<f32>\n  return %c : tensor<f32>\n}"}
    paths = {}
    for name, text in texts.items():
        paths[name] = str(tmp_path / f"{name}.mlir")
        (tmp_path / f"{name}.mlir").write_text(text)
    child = run_isolated(_NESTING_CHILD, json.dumps(paths))
    assert child.returncode == 0, exit_status(child)
    results = json.loads(child.stdout.splitlines()[-1])
    assert "nests regions (or attribute dictionaries) 251 levels deep; XLA compiles at most 100" in results["ifs"]
    assert "nests brackets (types, regions, attributes) 1002 levels deep" in results["tuples"]


def test_control_flow_nested_within_the_limit_compiles():
    from helpers import nested_ifs

    executable = runtime.compile_stablehlo(nested_ifs(40))
    (result,) = executable.execute([runtime.to_device(np.array(True)).buffer])
    assert np.asarray(result) == 1.0
