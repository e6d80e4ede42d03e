"""lux.StatefulLayer (LuxCore's StatefulLuxLayer): `y = s(x)` with the parameters and latest state held.

Compared with `lux.apply` on the same model; state updates are seen through a counting layer, eagerly
and inside `tracer.jit` (where the StatefulLayer is a pytree: its ps/st are traced, its model static).
"""

from __future__ import annotations

import numpy as np
import pytest

import lux
import tracer
from lux_fixtures import Counter
from lux.layers.containers import Chain



def model_and_trees():
    model = Chain(lux.Dense(3, 2), Counter())
    ps, st = lux.setup(np.random.default_rng(0), model)
    return model, ps, st


def test_call_is_apply_and_keeps_the_latest_state():
    model, ps, st = model_and_trees()
    s = lux.StatefulLayer(model, ps, st)
    x = np.random.default_rng(1).standard_normal((4, 3)).astype(np.float32)
    expected, expected_st = lux.apply(model, x, ps, st)
    np.testing.assert_array_equal(s(x), expected)
    assert s.st == expected_st and s.st["layer_2"]["count"] == 1
    np.testing.assert_array_equal(s(x), expected + 1)  # the second call sees the new state
    assert s.st["layer_2"]["count"] == 2 and st["layer_2"]["count"] == 0  # the given state is untouched


def test_parameters_can_be_given_per_call_or_only_then():
    model, ps, st = model_and_trees()
    other = {"layer_1": {"weight": np.zeros((3, 2), np.float32), "bias": np.ones(2, np.float32)}, "layer_2": {}}
    x = np.ones((1, 3), np.float32)
    np.testing.assert_array_equal(lux.StatefulLayer(model, ps, st)(x, other), np.ones((1, 2)))
    no_ps = lux.StatefulLayer(model, None, st)
    np.testing.assert_array_equal(no_ps.apply(x, other), np.ones((1, 2)))
    with pytest.raises(TypeError, match=r"built without parameters\n  fix: call it as s\(x, ps\)"):
        no_ps(x)
    with pytest.raises(TypeError, match="wraps a lux layer"):
        lux.StatefulLayer(np.tanh, ps, st)


def test_works_inside_jit_created_there_or_passed_in():
    model, ps, st = model_and_trees()
    x = np.ones((2, 3), np.float32)

    @tracer.jit
    def twice(s, x):
        s(x)
        return s(x), s  # the second call sees the first one's state

    y, s_out = twice(lux.StatefulLayer(model, ps, st), x)
    expected, _ = lux.apply(model, x, ps, st)
    np.testing.assert_allclose(np.asarray(y), expected + 1, rtol=1e-6)
    assert isinstance(s_out, lux.StatefulLayer) and s_out.model == model
    assert float(np.asarray(s_out.st["layer_2"]["count"])) == 2

    @tracer.jit
    def inside(ps, st, x):
        s = lux.StatefulLayer(model, ps, st)
        return s(x), s.st

    y, st_out = inside(ps, st, x)
    np.testing.assert_allclose(np.asarray(y), expected, rtol=1e-6)
    assert float(np.asarray(st_out["layer_2"]["count"])) == 1


def test_counts_and_display():
    model, ps, st = model_and_trees()
    s = lux.StatefulLayer(model, ps, st)
    assert s.parameterlength() == 8 and s.statelength() == 1
    assert lux.StatefulLayer(lux.Dense(3, 2), None, {}).parameterlength() == 8
    assert repr(lux.StatefulLayer(lux.Dense(3, 2), None, {})) == """\
StatefulLayer(
    Dense(3 => 2),                                # 8 parameters
)         # Total: 8 parameters,
          #        plus 0 states."""
