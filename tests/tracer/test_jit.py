"""`tracer.jit` and `tracer.compile`: caching, pytrees, static arguments, donation, options.

Every value is checked against NumPy computing the same thing on the host.
"""

from __future__ import annotations

import os
from pathlib import Path

import jax
import ml_dtypes
import numpy as np
import pytest

import ir
import passes
import runtime
import tracer

THIS_FILE = os.path.basename(__file__)
rng = np.random.default_rng(0)


def rand(*shape, dtype=np.float32):
    return rng.standard_normal(shape).astype(dtype)


def line_of(marker: str) -> int:
    """The line number in this file of the line ending with `# <marker>`."""
    for number, text in enumerate(Path(__file__).read_text().splitlines(), 1):
        if text.rstrip().endswith(f"# {marker}"):
            return number
    raise LookupError(marker)


def assert_close(actual, expected, **tol):
    actual = np.asarray(actual)
    expected = np.asarray(expected)
    assert actual.shape == expected.shape
    assert actual.dtype == expected.dtype
    np.testing.assert_allclose(actual, expected, **({"rtol": 1e-5, "atol": 1e-6} | tol))


class Counter:
    """Counts Python-side executions of a function body (= traces)."""

    def __init__(self):
        self.n = 0

    def __call__(self):
        self.n += 1


# --------------------------------------------------------------------------- caching


def test_same_signature_traces_once():
    count = Counter()

    @tracer.jit
    def f(x, y):
        count()
        return np.tanh(x) * y + 1.0

    x, y = rand(4, 3), rand(4, 3)
    for _ in range(3):
        assert_close(f(x, y), np.tanh(x) * y + 1.0)
    # New data, same shapes and dtypes: no retrace, new values.
    x2, y2 = rand(4, 3), rand(4, 3)
    assert_close(f(x2, y2), np.tanh(x2) * y2 + 1.0)
    assert count.n == 1


def test_new_shape_or_dtype_retraces_and_old_entries_stay_cached():
    count = Counter()

    @tracer.jit
    def f(x):
        count()
        return x * 2 + 1

    a = rand(3)
    b = rand(5)
    c = np.arange(3, dtype=np.int32)
    d = rand(1, 3)
    for x in (a, b, c, d):
        assert_close(f(x), x * 2 + 1)
    assert count.n == 4
    for x in (a, b, c, d):  # all four signatures are cached
        assert_close(f(x), x * 2 + 1)
    assert count.n == 4


def test_tree_structure_is_part_of_the_key():
    count = Counter()

    @tracer.jit
    def f(xs):
        count()
        return xs[0] - xs[1]

    a, b = rand(3), rand(3)
    assert_close(f((a, b)), a - b)
    assert_close(f([a, b]), a - b)  # list vs tuple: another tree structure
    assert count.n == 2
    assert_close(f((b, a)), b - a)
    assert_close(f([b, a]), b - a)
    assert count.n == 2


def test_dict_key_order_does_not_retrace():
    count = Counter()

    @tracer.jit
    def f(d):
        count()
        return d["a"] * 10 + d["b"]

    a, b = rand(2), rand(2)
    assert_close(f({"a": a, "b": b}), a * 10 + b)
    assert_close(f({"b": b, "a": a}), a * 10 + b)
    assert count.n == 1


@pytest.mark.parametrize("values", [(1, True, 1.0), (0, False, 0.0)])
def test_python_scalars_of_different_types_do_not_share_a_cache_entry(values):
    count = Counter()
    seen = []

    @tracer.jit
    def f(x, s):
        count()
        seen.append(type(s))
        return x * s

    x = np.arange(3, dtype=np.int32)
    results = [f(x, s) for s in values]
    assert count.n == 3
    assert seen == [int, bool, float]
    for s, result in zip(values, results):
        assert_close(result, x * s)  # NEP 50 dtypes: int32, int32, float64
    # Each value hits its own entry again.
    for s in values:
        f(x, s)
    assert count.n == 3


def test_static_leaf_values_are_part_of_the_key_and_visible_to_python():
    count = Counter()

    @tracer.jit
    def f(x, config):
        count()
        assert isinstance(config["power"], int)  # a real Python int, not a traced value
        y = x
        for _ in range(config["power"] - 1):
            y = y * x
        return y if config["mode"] == "plain" else -y

    x = rand(3)
    assert_close(f(x, {"power": 3, "mode": "plain"}), x**3)
    assert_close(f(x, {"power": 2, "mode": "plain"}), x**2)
    assert_close(f(x, {"power": 2, "mode": "neg"}), -(x**2))
    assert count.n == 3
    assert_close(f(x, {"power": 3, "mode": "plain"}), x**3)
    assert count.n == 3


def test_jit_repr_counts_signatures_and_clear_cache_retraces():
    count = Counter()

    @tracer.jit
    def f(x):
        count()
        return x + 1

    x = rand(2)
    f(x)
    f(rand(3))
    assert "test_jit_repr_counts_signatures_and_clear_cache_retraces.<locals>.f" in repr(f)
    assert "2 compiled signature" in repr(f)
    f.clear_cache()
    assert_close(f(x), x + 1)
    assert count.n == 3


def test_numpy_concrete_and_jax_inputs_share_one_signature():
    count = Counter()

    @tracer.jit
    def f(x):
        count()
        return np.sin(x)

    x = rand(2, 2)
    assert_close(f(x), np.sin(x))
    assert_close(f(runtime.to_device(x)), np.sin(x))
    assert_close(f(jax.device_put(x)), np.sin(x))
    assert count.n == 1


# --------------------------------------------------------------------------- pytrees


def test_nested_pytree_arguments_and_results():
    @tracer.jit
    def f(params, batch):
        w, b = params["layer"]
        h = batch[0] @ w + b
        return {"out": (h, [h.sum(), None]), "aux": {"label": "dense", "scale": 2}}

    w, b, x = rand(3, 2), rand(2), rand(4, 3)
    result = f({"layer": (w, b)}, [x, None])
    expected_h = x @ w + b
    assert set(result) == {"out", "aux"}
    h, (total, none) = result["out"]
    assert isinstance(result["out"], tuple) and isinstance(result["out"][1], list)
    assert_close(h, expected_h)
    assert_close(total, expected_h.sum(), rtol=1e-5)
    assert none is None
    assert result["aux"] == {"label": "dense", "scale": 2}


def test_none_leaves_in_arguments():
    count = Counter()

    @tracer.jit
    def f(x, maybe_bias):
        count()
        return x * 2 if maybe_bias is None else x * 2 + maybe_bias

    x, bias = rand(3), rand(3)
    assert_close(f(x, None), x * 2)
    assert_close(f(x, bias), x * 2 + bias)
    assert count.n == 2


def test_numpy_scalars_are_traced_not_static():
    count = Counter()

    @tracer.jit
    def f(x, s):
        count()
        return x * s

    x = rand(3)
    assert_close(f(x, np.float32(2.0)), x * np.float32(2.0))
    assert_close(f(x, np.float32(-3.5)), x * np.float32(-3.5))
    assert count.n == 1  # same (shape (), float32) signature


def test_string_static_leaf_selects_a_branch():
    @tracer.jit
    def activation(x, name):
        return {"relu": lambda v: np.maximum(v, 0), "tanh": np.tanh}[name](x)

    x = rand(5)
    assert_close(activation(x, "relu"), np.maximum(x, 0))
    assert_close(activation(x, "tanh"), np.tanh(x))


# --------------------------------------------------------------------------- static arguments and kwargs


def test_static_argnums_values_drive_python_control_flow():
    count = Counter()

    @tracer.jit(static_argnums=(1,))
    def f(x, n):
        count()
        total = x
        for _ in range(n):  # needs a Python int
            total = total + x
        return total

    x = rand(3)
    assert_close(f(x, 0), x)
    assert_close(f(x, 3), x * 4)
    assert_close(f(x, 3), x * 4)
    assert count.n == 2


def test_static_argnums_accepts_hashable_non_array_objects():
    @tracer.jit(static_argnums=0)
    def f(shape, x):
        return np.reshape(x, shape)

    x = rand(6)
    assert_close(f((2, 3), x), x.reshape(2, 3))
    assert_close(f((3, 2), x), x.reshape(3, 2))


def test_static_argnums_numpy_scalar_is_static():
    @tracer.jit(static_argnums=1)
    def f(x, k):
        if k > 1:  # only legal because k is static
            return x * k
        return x

    x = rand(3)
    assert_close(f(x, np.int32(3)), x * np.int32(3))
    assert_close(f(x, np.int32(1)), x)


def test_static_argnames_by_keyword():
    count = Counter()

    @tracer.jit(static_argnames="axis")
    def f(x, *, axis):
        count()
        return x.sum(axis=axis) if axis >= 0 else x.sum()

    x = rand(2, 3)
    assert_close(f(x, axis=0), x.sum(axis=0))
    assert_close(f(x, axis=1), x.sum(axis=1))
    assert_close(f(x, axis=-1), np.asarray(x.sum(), np.float32))
    assert count.n == 3


def test_static_argnames_applies_to_an_argument_passed_positionally():
    # static_argnames names a parameter; which way it is passed should not matter (as in jax.jit).
    @tracer.jit(static_argnames="k")
    def f(x, k):
        if k > 1:
            return x * k
        return x

    x = rand(3)
    assert_close(f(x, k=np.int32(3)), x * np.int32(3))
    assert_close(f(x, np.int32(3)), x * np.int32(3))


def test_keyword_arguments_are_traced():
    count = Counter()

    @tracer.jit
    def f(x, y=None, *, scale):
        count()
        out = x * scale
        return out if y is None else out - y

    x, y = rand(3), rand(3)
    assert_close(f(x, scale=2.0), x * 2.0)
    assert_close(f(x, y=y, scale=2.0), x * 2.0 - y)
    assert_close(f(x, y, scale=2.0), x * 2.0 - y)  # positional y: another tree, same answer
    assert_close(f(x, scale=np.float32(3.0)), x * np.float32(3.0))
    assert count.n == 4


# --------------------------------------------------------------------------- constants and closures


def test_returning_python_and_numpy_constants():
    @tracer.jit
    def f(x):
        return x + 1, 3, 2.5, "tag", None, np.arange(4, dtype=np.int32), np.float32(7.0)

    x = rand(2)
    y, i, fl, s, none, arange, scalar = f(x)
    assert_close(y, x + 1)
    assert (i, fl, s, none) == (3, 2.5, "tag", None)
    assert type(i) is int and type(fl) is float
    assert_close(arange, np.arange(4, dtype=np.int32))
    assert_close(scalar, np.float32(7.0))


def test_closure_over_numpy_arrays_is_a_constant():
    table = rand(3, 3)
    offset = np.arange(3, dtype=np.float32)

    @tracer.jit
    def f(x):
        return x @ table + offset

    x = rand(2, 3)
    assert_close(f(x), x @ table + offset)
    compiled = f.compile(x)
    assert "stablehlo.constant" in compiled.as_text("traced")


def test_results_of_one_jit_feed_another():
    @tracer.jit
    def first(x):
        return x * 2, x.sum()

    @tracer.jit
    def second(y, s):
        return y - s

    x = rand(4)
    y, s = first(x)
    assert isinstance(y, runtime.ConcreteArray) and isinstance(s, runtime.ConcreteArray)
    assert_close(second(y, s), (x * 2) - x.sum(), rtol=1e-5)
    assert_close(second(y, s), second(np.asarray(y), np.asarray(s)))


def test_jax_array_inputs():
    @tracer.jit
    def f(x, y):
        return x @ y

    x, y = rand(2, 3), rand(3, 2)
    assert_close(f(jax.device_put(x), jax.device_put(y)), x @ y)
    assert_close(f(jax.device_put(x), y), x @ y)


def test_float64_and_int64_arguments_keep_their_precision():
    @tracer.jit
    def f(x, i):
        return x * 3, i + 1

    x = np.array([1 / 3, 1 + 1e-12], np.float64)
    i = np.array([2**40 + 1, -(2**35)], np.int64)
    y, j = f(x, i)
    assert_close(y, x * 3, rtol=0, atol=0)
    assert_close(j, i + 1, rtol=0, atol=0)


def test_many_numpy_arguments_of_mixed_dtypes():
    args = (
        rand(2, 3),
        np.arange(4, dtype=np.int64) * (2**40),
        np.array([True, False, True]),
        rand(3, dtype=np.float16),
        np.array([1.5, -2.0], ml_dtypes.bfloat16),
        np.array(7, np.uint64),
        np.zeros((0, 3), np.float32),
        np.arange(12, dtype=np.int32).reshape(3, 4)[:, ::2],  # not contiguous
        rand(3, 2),  # a second float32 argument
    )

    def f(a, i, m, h, bf, u, empty, strided, b):
        return (a @ b, i + 1, ~m, h * 2, bf + bf, u + 1, empty * 2, strided.T, np.where(m, a[0], -a[1]))

    expected = f(*args)
    for _ in range(2):  # the second call runs the cached executable
        for got, want in zip(tracer.jit(f)(*args), expected):
            assert_close(got, want, rtol=1e-3 if want.dtype == np.float16 else 1e-5)


def test_large_numpy_arguments():
    x = rand(600, 512)  # over a megabyte
    w = rand(512)
    f = tracer.jit(lambda a, v: a @ v)
    assert_close(f(x, w), x @ w, rtol=1e-4, atol=1e-4)
    assert_close(f(x, w), x @ w, rtol=1e-4, atol=1e-4)


# --------------------------------------------------------------------------- compile / Compiled


def test_compile_returns_compiled_with_text_stages():
    x, w = rand(2, 3), rand(3, 4)
    compiled = tracer.compile(lambda a, b: np.tanh(a @ b), x, w)
    assert isinstance(compiled, tracer.Compiled)
    traced = compiled.as_text("traced")
    optimized = compiled.as_text("optimized")
    hlo = compiled.as_text("hlo")
    assert "stablehlo.dot_general" in traced and "stablehlo.tanh" in traced
    assert "func.func public @main(%arg0: tensor<2x3xf32>, %arg1: tensor<3x4xf32>) -> tensor<2x4xf32>" in traced
    assert "stablehlo.dot_general" in optimized
    assert "HloModule" in hlo and "f32[2,4]" in hlo
    assert compiled.as_text() == optimized
    assert_close(compiled(x, w), np.tanh(x @ w))
    with pytest.raises(ValueError, match="unknown stage"):
        compiled.as_text("llvm")


def test_compile_of_a_jit_function_shares_its_cache():
    count = Counter()

    @tracer.jit
    def f(x):
        count()
        return x - 1

    x = rand(3)
    compiled = tracer.compile(f, x)
    assert count.n == 1
    assert_close(f(x), x - 1)  # served by the entry tracer.compile made
    assert count.n == 1
    assert_close(compiled(x), x - 1)


def test_compile_with_array_specs_then_call_with_arrays():
    spec_x = tracer.ArraySpec((2, 3), np.float32)
    spec_w = tracer.ArraySpec([3, 2], "float32")
    assert spec_w.shape == (3, 2) and spec_w.dtype == np.dtype(np.float32)
    compiled = tracer.compile(lambda x, w: x @ w + 1, spec_x, spec_w)
    assert "tensor<2x3xf32>" in compiled.as_text("traced")
    x, w = rand(2, 3), rand(3, 2)
    assert_close(compiled(x, w), x @ w + 1)
    with pytest.raises(tracer.TracerError, match="has no data"):
        compiled(spec_x, w)
    with pytest.raises(tracer.TracerError, match="has no data"):
        compiled(spec_x, spec_w)


def test_compiled_rejects_another_signature():
    compiled = tracer.compile(lambda x: x + 1, rand(3))
    with pytest.raises(tracer.SignatureMismatchError) as info:
        compiled(rand(4))
    assert "f32[3]" in str(info.value) and "f32[4]" in str(info.value)
    assert_close(compiled(np.zeros(3, np.float32)), np.ones(3, np.float32))


def test_compile_with_static_argnums_of_a_jit_function():
    @tracer.jit(static_argnums=1)
    def f(x, n):
        return x**n

    x = rand(3)
    compiled = tracer.compile(f, x, 3)
    assert_close(compiled(x, 3), x**3, rtol=1e-5)
    with pytest.raises(tracer.SignatureMismatchError):
        compiled(x, 2)


# --------------------------------------------------------------------------- options


def test_optimize_false_skips_our_passes():
    def f(x):
        a = np.exp(x)
        b = np.exp(x)  # cse would merge these
        return a + b

    x = rand(3)
    unoptimized = tracer.compile(f, x, optimize=False)
    assert unoptimized.as_text("optimized") == unoptimized.as_text("traced")
    assert unoptimized.as_text("traced").count("stablehlo.exponential") == 2
    assert_close(unoptimized(x), np.exp(x) * 2)

    optimized = tracer.compile(f, x)
    assert optimized.as_text("optimized").count("stablehlo.exponential") == 1
    assert_close(optimized(x), np.exp(x) * 2)

    jitted = tracer.jit(f, optimize=False)
    assert jitted.compile(x).as_text("optimized").count("stablehlo.exponential") == 2
    assert_close(jitted(x), np.exp(x) * 2)


def test_option_errors_name_the_line_and_the_fix():
    for options in ({"donate": "all"}, {"donate": "auto", "donate_argnums": 0}, {"cache_size": 0},
                    {"static_argnums": 3}):
        with pytest.raises(ValueError) as info:
            tracer.jit(lambda x: x, **options)  # option-line
        assert isinstance(info.value, tracer.TracerError)
        assert str(info.value).startswith(f"{__file__}:{line_of('option-line')}: ") and "\n  fix: " in str(info.value)


def test_pipeline_option_runs_that_pipeline():
    def f(x):
        return np.sin(x) * np.sin(x)

    x = rand(4)
    cse_only = tracer.jit(f, pipeline="cse")
    text = cse_only.compile(x).as_text("optimized")
    assert text.count("stablehlo.sine") == 1
    assert_close(cse_only(x), np.sin(x) ** 2)

    nothing_merged = tracer.compile(f, x, pipeline="canonicalize")
    assert nothing_merged.as_text("optimized").count("stablehlo.sine") == 2
    assert_close(nothing_merged(x), np.sin(x) ** 2)

    with pytest.raises(passes.PipelineError, match="no-such-pass"):
        tracer.compile(f, x, pipeline="cse,no-such-pass")


# --------------------------------------------------------------------------- unused arguments


def main_argument_count(module_text: str) -> int:
    """How many arguments `@main` of a printed module takes."""
    signature = module_text[module_text.index("@main("):module_text.index(") ->", module_text.index("@main("))]
    return signature.count("%arg")


def test_arguments_the_program_does_not_read_are_dropped():
    def f(a, b, c, d):
        return a * 2.0 + c  # b and d are not read

    hosts = [rand(3) for _ in range(4)]
    expected = hosts[0] * 2.0 + hosts[2]
    compiled = tracer.compile(f, *hosts)
    assert main_argument_count(compiled.as_text("traced")) == 4
    assert main_argument_count(compiled.as_text("optimized")) == 2
    assert compiled.memory_stats()["argument_size_in_bytes"] == 2 * 3 * 4  # XLA gets two arguments
    jitted = tracer.jit(f)
    devices = [runtime.to_device(h) for h in hosts]
    mixed = [hosts[0], devices[1], devices[2], hosts[3]]
    for args in (hosts, devices, mixed):  # packed NumPy arguments, the device-resident hot path, one each
        for _ in range(3):  # the first call compiles, later ones take the cached paths
            assert_close(jitted(*args), expected)
        assert_close(compiled(*args), expected)
    assert jitted.cache_info["size"] == 1
    trees = tracer.jit(lambda t, *, scale: t["a"] * scale)  # pytree and keyword leaves
    assert_close(trees({"a": devices[0], "b": devices[1]}, scale=hosts[3]), hosts[0] * hosts[3])


@pytest.mark.parametrize("used", [(0,), (7,), (2, 5), ()])
def test_the_hot_path_passes_only_the_arguments_read(used):
    hosts = [np.full(4, i, np.float32) for i in range(8)]
    f = tracer.jit(lambda *xs: sum((xs[i] for i in used), np.float32(1.0)) * np.ones(4, np.float32))
    devices = [runtime.to_device(h) for h in hosts]
    expected = sum((hosts[i] for i in used), np.float32(1.0)) * np.ones(4, np.float32)
    for _ in range(3):
        assert_close(f(*devices), expected)
    assert main_argument_count(f.compile(*devices).as_text("optimized")) == len(used)


def test_an_array_spec_for_an_unused_argument_still_cannot_run():
    compiled = tracer.compile(lambda x, y: y + 1.0, rand(3), rand(3))
    assert main_argument_count(compiled.as_text("optimized")) == 1
    with pytest.raises(tracer.TracerError, match="has no data"):
        compiled(tracer.ArraySpec((3,), np.float32), rand(3))


def test_a_donated_argument_stays_though_unused_and_its_buffer_is_reused():
    step = tracer.jit(lambda state, x: x * 2.0, donate_argnums=0)  # state is given up, not read
    state, x = runtime.to_device(rand(3)), rand(3)
    text = step.compile(state, x).as_text("optimized")
    assert main_argument_count(text) == 2 and "tf.aliasing_output = 0" in text  # paired with the result
    assert_close(step(state, x), x * 2.0)
    assert state.is_deleted()  # XLA wrote the result into its buffer
    with pytest.raises(tracer.DonatedArgumentError, match="donate"):
        step(state, x)


# --------------------------------------------------------------------------- donation


def test_donated_concrete_array_is_consumed_when_an_output_can_reuse_it():
    @tracer.jit(donate_argnums=0)
    def step(state, delta):
        return state + delta

    host = rand(4)
    delta = rand(4)
    state = runtime.to_device(host)
    compiled = step.compile(state, delta)
    assert "tf.aliasing_output = 0" in compiled.as_text("traced")  # paired with the result of its shape
    assert "input_output_alias" in compiled.as_text("hlo")  # XLA aliases it, on CPU too

    new_state = step(state, delta)
    assert_close(new_state, host + delta)
    assert state.is_deleted()
    assert not new_state.is_deleted()
    with pytest.raises(tracer.TracerError, match="donate"):
        step(state, delta)
    with pytest.raises(runtime.DonatedArrayError, match="donate"):
        np.asarray(state)  # host reads fail in Python too, instead of reading freed memory
    # The result can be passed (and donated) again.
    newer = step(new_state, delta)
    assert_close(newer, host + 2 * delta)


def test_donation_leaves_numpy_inputs_and_undonated_arguments_alone():
    @tracer.jit(donate_argnums=(0,))
    def f(a, b):
        return a + b, b * 2

    a, b = rand(3), rand(3)
    a_copy = a.copy()
    out1, out2 = f(a, b)
    assert_close(out1, a_copy + b)
    assert_close(out2, b * 2)
    np.testing.assert_array_equal(a, a_copy)  # the host array is untouched

    da, db = runtime.to_device(a), runtime.to_device(b)
    f(da, db)
    assert da.is_deleted()
    assert not db.is_deleted()
    assert_close(db, b)


def test_a_result_that_is_an_argument_is_handed_back_not_copied_nor_donated():
    step = tracer.jit(lambda state, rate, x: ((state - rate * x), rate), donate_argnums=(0, 1))
    state, rate, x = runtime.to_device(rand(3)), runtime.to_device(np.float32(0.5)), rand(3)
    expected = np.asarray(state) - 0.5 * x
    compiled = step.compile(state, rate, x)
    _, results = ir.main_signatures(compiled.as_text("optimized"))
    assert results == [((3,), np.float32)]  # the rate is no result of the program ...
    new_state, same_rate = step(state, rate, x)
    assert same_rate is rate and not rate.is_deleted()  # ... the call hands the argument itself back, kept
    assert state.is_deleted()  # (the other donated argument was given up as asked)
    assert_close(new_state, expected)
    # NumPy and jax.Array arguments come back as device arrays of their own (the caller's stay the caller's).
    host_rate, jax_rate = np.float32(0.25), jax.device_put(np.float32(0.125))
    for given in (host_rate, jax_rate):
        _, back = step(runtime.to_device(rand(3)), given, x)
        assert type(back) is runtime.ConcreteArray and float(np.asarray(back)) == float(given)
    jax_rate.block_until_ready()  # still the caller's, alive
    # An array donated before and handed in again fails the call, naming the donation, before anything is
    # consumed (it is no argument of the program, which does not read it: the call checks it).
    passing = tracer.jit(lambda s, r: (s * 2, r), donate_argnums=0)
    fresh = runtime.to_device(rand(3))
    with pytest.raises(tracer.DonatedArgumentError, match="donate"):
        passing(fresh, state)
    assert not fresh.is_deleted()


def test_donation_marks_the_given_arrays_on_every_call_not_only_the_first():
    # After a call has seen PJRT take every donated buffer, later calls mark the arrays without asking
    # each buffer: every call's donated arrays still say where they went.
    step = tracer.jit(lambda state, x: (state + x, x.sum()), donate_argnums=0)
    state, x = runtime.to_device(rand(3)), rand(3)
    expected = np.asarray(state).copy()
    for _ in range(4):
        old = state
        state, _ = step(state, x)  # the donating line
        expected = expected + x
        assert old.is_deleted() and not state.is_deleted()
        with pytest.raises(runtime.DonatedArrayError, match=r"donated .* at .*test_jit\.py:\d+"):
            np.asarray(old)
    assert_close(state, expected)
    host_state = rand(3)  # a NumPy argument is copied to the device: nothing of the caller's is marked
    step(host_state, x)
    assert isinstance(host_state, np.ndarray)


def test_donated_arguments_are_paired_with_results_of_their_own_shape_and_dtype():
    # The int32 count and the float32 loss have the same size: XLA, left to pair donors by size, gave the
    # count's buffer to the loss and copied the count. Ours pairs the count with its new value.
    @tracer.jit(donate_argnums=(0, 1))
    def step(count, w, x):
        return np.sum((w * x) ** 2), w - 0.1 * x, count + 1

    text = step.compile(runtime.to_device(np.int32(0)), runtime.to_device(rand(3)), rand(3)).as_text("optimized")
    assert "%arg0: tensor<i32> {tf.aliasing_output = 2 : i32}" in text
    assert "%arg1: tensor<3xf32> {tf.aliasing_output = 1 : i32}" in text
    assert "jax.buffer_donor" not in text
    # A donated argument no result can take is still given up (XLA may reuse it for temporaries).
    text = tracer.compile(tracer.jit(lambda a, b: (a * b).sum(), donate_argnums=0), rand(3), rand(3)).as_text("optimized")
    assert "%arg0: tensor<3xf32> {jax.buffer_donor = true}" in text


# --------------------------------------------------------------------------- source locations


def test_hlo_metadata_names_the_user_line():
    def f(x, w):
        return x @ w  # hlo-loc

    compiled = tracer.compile(f, rand(2, 3), rand(3, 2))
    hlo = compiled.as_text("hlo")
    assert f'{THIS_FILE}" source_line={line_of("hlo-loc")}' in hlo, hlo



def test_cached_jit_function_called_inside_a_trace_is_inlined():
    inner = tracer.jit(lambda a: np.tanh(a) * 2)
    constant = np.linspace(-1, 1, 4)
    inner(constant)  # fills inner's fast-path cache for NumPy arguments of this signature
    seen = []

    def outer(x):
        y = inner(constant)
        seen.append(type(y))
        return x + y

    result = tracer.jit(outer)(np.ones(4))
    # Inlined: the inner function runs as Python on its NumPy argument (a constant of the outer trace),
    # not as a separate compiled computation returning a device array.
    assert seen == [np.ndarray]
    np.testing.assert_allclose(np.asarray(result), 1 + np.tanh(constant) * 2)


def test_lower_returns_the_traced_module_without_compiling():
    f = tracer.jit(lambda x, w: np.tanh(x @ w))
    module = f.lower(tracer.ArraySpec((2, 3), np.float32), np.ones((3, 4), np.float32))
    text = ir.print_module(module)
    assert "stablehlo.dot_general" in text and "stablehlo.tanh" in text
    assert "tensor<2x3xf32>" in text and "tensor<3x4xf32>" in text
    assert repr(f).endswith("0 compiled signature(s)>")


# --------------------------------------------------------------------------- the device-resident hot path


def test_cached_jit_function_called_inside_a_trace_with_device_arrays_is_inlined():
    inner = tracer.jit(lambda a: np.tanh(a) * 2)
    constant = runtime.to_device(np.linspace(-1, 1, 4))
    inner(constant)  # fills inner's hot-path cache for ConcreteArray arguments of this signature
    seen = []

    def outer(x):
        y = inner(constant)
        seen.append(isinstance(y, np.ndarray) and not isinstance(y, tracer.TracedArray))
        return x + y

    result = tracer.jit(outer)(np.ones(4))
    assert seen == [True]  # inlined (Python on a host copy, a constant of outer), not inner's executable
    np.testing.assert_allclose(np.asarray(result), 1 + np.tanh(np.asarray(constant)) * 2)


@pytest.mark.parametrize("arity", [1, 3])
def test_hot_path_results_and_errors(arity):
    f = tracer.jit(lambda *xs: sum(xs[1:], xs[0] * 2.0))
    hosts = [rand(5) for _ in range(arity)]
    arrays = [runtime.to_device(h) for h in hosts]
    for _ in range(3):  # first call compiles, later ones take the hot path
        result = f(*arrays)
        assert type(result) is runtime.ConcreteArray and result.shape == (5,) and result.dtype == np.float32
        assert_close(result, sum(hosts[1:], hosts[0] * 2.0))
    assert_close(f(*hosts), sum(hosts[1:], hosts[0] * 2.0))  # NumPy arguments: the same signature
    assert f.cache_info["size"] == 1
    # An argument donated to another function fails in Python, naming where it was donated.
    consume = tracer.jit(lambda x: x + 1.0, donate_argnums=0)
    consume(arrays[0])  # donated-here
    with pytest.raises(tracer.DonatedArgumentError, match=f"{THIS_FILE}:{line_of('donated-here')}"):
        f(*arrays)


def test_hot_path_in_a_thread_that_never_traced():
    import threading

    f = tracer.jit(lambda x: np.sqrt(x) + 1.0)
    x = runtime.to_device(np.arange(6, dtype=np.float32))
    f(x)
    results = []
    thread = threading.Thread(target=lambda: results.extend(np.asarray(f(x)) for _ in range(3)))
    thread.start()
    thread.join()
    assert len(results) == 3
    for result in results:
        assert_close(result, np.sqrt(np.arange(6, dtype=np.float32)) + 1.0)


def test_multi_result_sync_and_donating_functions_on_the_hot_path():
    x = runtime.to_device(rand(4))
    pair = tracer.jit(lambda x: (x + 1.0, {"twice": x * 2.0}))
    for _ in range(2):
        a, b = pair(x)
        assert_close(a, np.asarray(x) + 1.0)
        assert_close(b["twice"], np.asarray(x) * 2.0)
    synced = tracer.jit(lambda x: x @ x, sync=True)
    for _ in range(2):
        assert synced(x).is_ready()
    step = tracer.jit(lambda s: s * 0.5, donate_argnums=0)
    state = runtime.to_device(np.ones(4, np.float32))
    for n in range(1, 4):
        new = step(state)
        assert state.is_deleted() and not new.is_deleted()
        state = new
        assert_close(state, np.full(4, 0.5**n, np.float32))


def test_least_recently_used_eviction_with_device_arguments():
    traced = []
    f = tracer.jit(lambda x: traced.append(x.shape) or x * 3.0, cache_size=4)
    arrays = {n: runtime.to_device(np.full(n, n, np.float32)) for n in range(1, 8)}
    for n in (1, 2, 3, 4):
        f(arrays[n])
    for n in (1, 3, 2, 1):  # 4 is now the least recently used, then 3
        assert_close(f(arrays[n]), np.full(n, 3.0 * n, np.float32))
    f(arrays[5])
    f(arrays[6])
    assert traced == [(1,), (2,), (3,), (4,), (5,), (6,)]
    assert f.cache_info == {"size": 4, "max_size": 4}
    for n in (1, 2, 5, 6):  # still compiled: no new trace
        f(arrays[n])
    assert len(traced) == 6
    f(arrays[3])  # evicted: traced again
    f(arrays[4])
    assert traced[6:] == [(3,), (4,)]
