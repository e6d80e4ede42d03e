"""lux's errors: pyreactant's one shape (`file:line: what happened` / `  fix: what to do`), the built-in
kind a Python user expects, and the failing layer's path in the model at the start of the message."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import lux
import tracer
from ir.errors import PyreactantError


def _line() -> str:
    """`this_file.py:N` of the caller's line."""
    frame = inspect.currentframe().f_back
    return f"{frame.f_code.co_filename}:{frame.f_lineno}"


def test_a_layer_input_error_names_the_users_line_the_path_and_the_fix():
    model = lux.Chain(lux.Dense(3, 4), lux.Chain(lux.Dense(5, 2)))
    ps, st = lux.setup(0, model)
    with pytest.raises(lux.LayerInputError) as info:
        where = _line(); lux.apply(model, np.ones((2, 3), np.float32), ps, st)  # noqa: E702
    err = info.value
    assert isinstance(err, PyreactantError) and isinstance(err, ValueError)
    assert err.where == where and err.path == ("layer_2", "layer_1")
    assert str(err) == (f"{where}: layer_2.layer_1: Dense(5 => 2) expects 5 input features on axis -1, got an input "
                        f"of shape (2, 4)\n  fix: reshape x to (..., 5) or change the layer's input size")


def test_compiled_calls_name_the_users_line_too():
    model = lux.Chain(lux.Dense(3, 4))
    ps, st = lux.setup(0, model)
    with pytest.raises(lux.LayerInputError) as info:
        where = _line(); tracer.jit(lux.apply)(model, np.ones((2, 5), np.float32), ps, st)  # noqa: E702
    assert str(info.value).startswith(f"{where}: layer_1: Dense(3 => 4) expects 3")


@pytest.mark.parametrize("build, kind", [
    (lambda: lux.Chain(lux.Dense(1, 2), 3), TypeError),
    (lambda: lux.Dropout(2.0), ValueError),  # checked in __post_init__, below the __init__ dataclasses generate
    (lambda: lux.MaxPool((2, 2), stride=(1, 2, 3)), ValueError),
    (lambda: lux.init.glorot_uniform(np.random.default_rng(0), (3, 4)), TypeError),
    (lambda: lux.multigate(np.ones((2, 3)), 2), ValueError),
])
def test_argument_errors_are_the_builtin_kind_and_say_what_to_do(build, kind):
    with pytest.raises(kind) as info:
        build()
    err = info.value
    assert isinstance(err, lux.LuxError) and err.fix
    assert str(err) == f"{err.where}: {err.message}\n  fix: {err.fix}" and err.where.startswith(__file__)


MODEL = lux.Chain(lux.Dense(4, 8, np.tanh), lux.Chain(lux.Dense(8, 8), lux.Dense(8, 2)))
PS, ST = lux.setup(0, MODEL)
X = np.ones((3, 4), np.float32)
APPLY = {"eager": lux.apply, "compiled": tracer.jit(lux.apply)}


@pytest.mark.parametrize("run", APPLY, ids=str)
def test_swapped_parameter_trees_name_the_layer_and_what_differs(run):
    """A layer given another layer's tree raised a bare KeyError: 'weight'."""
    swapped = {"layer_1": PS["layer_2"], "layer_2": PS["layer_1"]}
    with pytest.raises(lux.LayerInputError) as info:
        where = _line(); APPLY[run](MODEL, X, swapped, ST)  # noqa: E702
    assert str(info.value).startswith(
        f"{where}: layer_1: the parameters given to Dense(4 => 8, tanh) have entries ['layer_1', 'layer_2'], where it "
        "expects ['bias', 'weight']")
    assert "another layer's tree?" in str(info.value) and "fix: pass this layer the trees lux.setup" in str(info.value)


@pytest.mark.parametrize("run", APPLY, ids=str)
def test_a_wrong_shaped_weight_names_the_layer_path(run):
    inner = {**PS["layer_2"]["layer_1"], "weight": np.ones((7, 8), np.float32)}
    bad = {**PS, "layer_2": {**PS["layer_2"], "layer_1": inner}}
    with pytest.raises(lux.LayerInputError) as info:
        APPLY[run](MODEL, X, bad, ST)
    assert info.value.path == ("layer_2", "layer_1")
    assert "the parameters given to Dense(8 => 8) have weight of shape (7, 8), where it expects (8, 8)" in str(info.value)


def test_a_missing_parameter_of_a_lone_layer_says_which():
    dense = lux.Dense(3, 2)
    ps, st = lux.setup(0, dense)
    with pytest.raises(lux.LayerInputError, match=r"have entries \['weight'\], where it expects \['bias', 'weight'\]: "
                                                  r"\['bias'\] missing"):
        lux.apply(dense, np.ones((1, 3), np.float32), {"weight": ps["weight"]}, st)


def test_an_error_the_trees_do_not_explain_is_left_as_it_was():
    model = lux.Chain(lux.WrappedFunction(lambda x: x["no such key"]))
    ps, st = lux.setup(0, model)
    with pytest.raises(KeyError, match="no such key") as info:
        lux.apply(model, {"a": 1}, ps, st)
    assert not isinstance(info.value, lux.LayerInputError)


@pytest.mark.parametrize("args, kind, message", [
    ((-3, 0), ValueError, "Dense's in_dims must be an int >= 0, got -3"),
    ((3, -1), ValueError, "Dense's out_dims must be an int >= 0, got -1"),
    ((2.5, 3), TypeError, "Dense's in_dims must be an int >= 0, got 2.5"),
    ((0, 3), ValueError, r"Dense\(0 => ...\) has no inputs"),
])
def test_dense_with_impossible_sizes_says_which_and_how_to_write_it(args, kind, message):
    """Dense(-3, 0) failed in setup, suggesting `kaiming_uniform(rng, 3, 4), not kaiming_uniform(rng, (3, 4))`."""
    with pytest.raises(kind, match=message) as info:
        where = _line(); lux.Dense(*args)  # noqa: E702
    assert str(info.value).startswith(where) and "kaiming" not in str(info.value)
