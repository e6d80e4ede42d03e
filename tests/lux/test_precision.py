"""lux.precision: f16/f32/f64/bf16 on parameter trees (eager and traced) and match_eltype's modes."""

from __future__ import annotations

import collections
import warnings

import ml_dtypes
import numpy as np
import pytest

import lux
import tracer
from lux import precision
from lux.precision import EltypeMismatchError, match_eltype, set_eltype_mismatch_handling

BF16 = np.dtype(ml_dtypes.bfloat16)
Pair = collections.namedtuple("Pair", "a b")


def tree():
    return {
        "weight": np.arange(6, dtype=np.float32).reshape(2, 3) / 4,
        "layers": [np.ones(2, np.float64), (np.array([1, 2], np.int32), np.array([True, False]))],
        "pair": Pair(np.float16([0.5]), np.complex128([1 + 2j])),
        "scalars": (3.0, np.float64(2.5), 7),
        "other": "text",
        "model": lux.Dense(2, 3),
    }


@pytest.mark.parametrize("convert, dtype", [(lux.f16, np.float16), (lux.f32, np.float32), (lux.f64, np.float64),
                                            (lux.bf16, BF16)])
def test_float_array_leaves_convert_and_nothing_else_does(convert, dtype):
    original = tree()
    if dtype in (np.float16, BF16):  # NumPy has no complex of these: the complex leaf must go first
        original["pair"] = Pair(original["pair"].a, None)
    out = convert(original)
    assert out["weight"].dtype == dtype and out["layers"][0].dtype == dtype and out["pair"].a.dtype == dtype
    np.testing.assert_array_equal(out["weight"].astype(np.float64), original["weight"].astype(np.float64))
    assert out["layers"][1][0].dtype == np.int32 and out["layers"][1][1].dtype == np.bool_
    assert isinstance(out["layers"], list) and isinstance(out["layers"][1], tuple) and isinstance(out["pair"], Pair)
    assert out["scalars"] == (3.0, 2.5, 7) and type(out["scalars"][1]) is np.float64  # numbers untouched, as Lux
    assert out["other"] == "text" and out["model"] is original["model"]


def test_complex_leaves_keep_their_kind():
    assert lux.f32({"z": np.complex128([1j])})["z"].dtype == np.complex64
    assert lux.f64([np.complex64([1j])])[0].dtype == np.complex128
    with pytest.raises(TypeError, match="no such type"):
        lux.f16([np.complex64([1j])])


def test_matching_dtype_leaves_are_not_copied():
    w = np.ones(3, np.float32)
    assert lux.f32({"w": w})["w"] is w and lux.f64({"w": w})["w"] is not w


def test_convert_inside_jit_and_on_concrete_arrays():
    ps = {"w": np.linspace(0, 1, 5, dtype=np.float32), "n": np.arange(3)}
    out = tracer.jit(lambda ps: lux.f64(ps))(ps)
    assert np.asarray(out["w"]).dtype == np.float64 and np.asarray(out["n"]).dtype == ps["n"].dtype
    np.testing.assert_array_equal(np.asarray(out["w"]), ps["w"].astype(np.float64))
    back = lux.f32(out)  # ConcreteArray leaves (jit results) convert on the host
    assert back["w"].dtype == np.float32 and isinstance(back["w"], np.ndarray)
    np.testing.assert_array_equal(back["w"], ps["w"])


def test_f32_then_apply_runs_in_the_new_precision():
    model = lux.Dense(3, 2, lux.tanh)
    ps, st = lux.setup(np.random.default_rng(0), model)
    x = np.random.default_rng(1).standard_normal((4, 3))
    y64, _ = lux.apply(model, x, lux.f64(ps), st)
    assert y64.dtype == np.float64
    np.testing.assert_allclose(y64, np.tanh(x @ ps["weight"].astype(np.float64) + ps["bias"]), rtol=1e-12)


# -- match_eltype --------------------------------------------------------------------------------

@pytest.fixture
def mode():
    """Set a mode for one test and restore the previous one afterwards."""
    previous = precision.eltype_mismatch_handling()
    yield set_eltype_mismatch_handling
    set_eltype_mismatch_handling(previous)


def dense_setup(dtype=np.float32):
    model = lux.Dense(3, 2)
    ps, st = lux.setup(np.random.default_rng(0), model)
    return model, {k: v.astype(dtype) for k, v in ps.items()}, st


def test_none_is_the_default_and_returns_inputs_unchanged(mode):
    mode("none")
    model, ps, st = dense_setup()
    x, other = np.ones((2, 3)), np.ones((2, 3), np.int64)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert match_eltype(model, ps, st, x) is x
        assert match_eltype(model, ps, st, x, other) == (x, other)


def test_warn_once_per_layer_type_and_mismatch(mode):
    mode("warn")
    model, ps, st = dense_setup()
    x = np.ones((2, 3))
    with pytest.warns(UserWarning, match=r"Dense\(3 => 2\): layer with `Float32` parameters and states "
                                         r"received `Float64` input \(float64\[2, 3\]\)\.$"):
        assert match_eltype(model, ps, st, x) is x
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        match_eltype(lux.Dense(3, 2), ps, st, x)  # the same layer type and mismatch: no second warning
    with pytest.warns(UserWarning, match="received `Integer` input"):
        match_eltype(model, ps, st, np.ones((2, 3), np.int32))  # another mismatch warns once more
    with pytest.warns(UserWarning, match="Chain"):
        match_eltype(lux.Chain(model), ps, st, x)  # another layer type


@pytest.mark.parametrize("params, given, converted", [
    (np.float64, np.int32, np.float64), (np.float32, np.float64, np.float32), (np.float32, np.int64, np.float32),
    (np.float32, np.bool_, np.float32), (np.float16, np.float64, np.float16), (np.float16, np.float32, np.float16),
    (np.float16, np.uint8, np.float16),
])
def test_convert_follows_luxs_table(mode, params, given, converted):
    mode("convert")
    model, ps, st = dense_setup(params)
    x = np.arange(6).reshape(2, 3).astype(given)
    with pytest.warns(UserWarning, match="Converting to"):
        out, extra = match_eltype(model, ps, st, x, [x])
    assert out.dtype == converted and extra[0].dtype == converted
    np.testing.assert_array_equal(out, x.astype(converted))


@pytest.mark.parametrize("params, given", [(np.float64, np.float32), (np.float32, np.float16), (np.float32, np.float32),
                                           (np.float64, np.float64), (np.int32, np.float64)])
def test_pairs_outside_the_table_pass_unchanged(mode, params, given):
    mode("convert")
    model = lux.Dense(3, 2)
    ps = {"weight": np.ones((3, 2), params)}
    x = np.ones((2, 3), given)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert match_eltype(model, ps, {}, x) is x


def test_parameter_type_is_the_widest_float_ignoring_integers(mode):
    mode("convert")
    model = lux.Dense(3, 2)
    ps = {"weight": np.ones((3, 2), np.float16), "bias": np.ones(2, np.float32)}
    st = {"count": np.array(3, np.int64), "training": False}  # integers do not widen (Julia: Float32 + Int = Float32)
    with pytest.warns(UserWarning):
        assert match_eltype(model, ps, st, np.ones(3)).dtype == np.float32


def test_error_mode_raises(mode):
    mode("error")
    model, ps, st = dense_setup()
    with pytest.raises(EltypeMismatchError, match=r"Dense\(3 => 2\).*`Float32` parameters.*`Float64` input.*\n  fix:"):
        match_eltype(model, ps, st, np.ones((2, 3)))
    assert issubclass(EltypeMismatchError, TypeError)
    same = np.ones((2, 3), np.float32)
    assert match_eltype(model, ps, st, same) is same


def test_match_eltype_traced(mode):
    mode("convert")
    model, ps, st = dense_setup()

    def forward(x, ps, st):
        x = match_eltype(model, ps, st, x)
        return model(x, ps, st)[0]

    x = np.ones((2, 3), np.float64)
    with pytest.warns(UserWarning, match="Converting to `Float32`"):
        y = tracer.jit(forward)(x, ps, st)
    assert np.asarray(y).dtype == np.float32
    np.testing.assert_allclose(np.asarray(y), np.ones((2, 3), np.float32) @ ps["weight"] + ps["bias"], rtol=1e-6)


def test_mode_setting(mode, monkeypatch):
    assert mode("warn") in precision.MODES and precision.eltype_mismatch_handling() == "warn"
    with pytest.raises(ValueError, match="one of"):
        set_eltype_mismatch_handling("loud")
    monkeypatch.setattr(precision, "_mode", {"value": None})
    monkeypatch.setenv("LUX_ELTYPE_MISMATCH_HANDLING", "error")
    assert precision.eltype_mismatch_handling() == "error"  # the environment gives the starting mode
    monkeypatch.setattr(precision, "_mode", {"value": None})
    monkeypatch.setenv("LUX_ELTYPE_MISMATCH_HANDLING", "sometimes")
    with pytest.raises(ValueError, match="LUX_ELTYPE_MISMATCH_HANDLING='sometimes'"):
        precision.eltype_mismatch_handling()
    monkeypatch.setattr(precision, "_mode", {"value": "none"})
