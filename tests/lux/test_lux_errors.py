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
