"""NumPy random numbers drawn while a function is traced raise, naming the line and pointing to tracer.random
(`tracer/numpy_random_guard.py`): they would be constants of the compiled function."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import tracer

X = np.ones(3, np.float32)
GLOBAL_RNG = np.random.default_rng(0)


def uses_the_global_generator(x):
    return x + GLOBAL_RNG.normal(size=3)


DRAWS = {
    "np.random.rand": lambda x: x + np.random.rand(3),  # draw-line
    "np.random.normal": lambda x: x * np.random.normal(size=3),  # draw-line
    "np.random.choice": lambda x: x[np.random.choice(3, 2)],  # draw-line
    "np.random.shuffle": lambda x: np.random.shuffle(np.arange(3)) or x,  # draw-line
    "default_rng() unseeded": lambda x: x + np.random.default_rng().standard_normal(3),  # draw-line
}


@pytest.mark.parametrize("name", DRAWS)
def test_draws_raise_naming_the_line_and_tracer_random(name):
    with pytest.raises(tracer.RandomStateError, match="tracer.random") as info:
        tracer.jit(DRAWS[name])(X)
    line = int(str(info.value).split(":")[1])
    assert "draw-line" in open(__file__).read().splitlines()[line - 1]


def test_a_generator_the_function_reaches_raises_naming_it():
    with pytest.raises(tracer.RandomStateError, match="`GLOBAL_RNG` of uses_the_global_generator"):
        tracer.jit(uses_the_global_generator)(X)

    def make():
        rng = np.random.default_rng(1)
        return lambda x: x - rng.random(3)

    with pytest.raises(tracer.RandomStateError, match="`rng`"):
        tracer.jit(make())(X)


def test_a_seeded_generator_made_inside_is_numpys_answer():
    """NumPy draws the same numbers on every call of this function too."""
    def f(x):
        return x + np.random.default_rng(42).normal(size=3)

    np.testing.assert_allclose(np.asarray(tracer.jit(f)(X)), f(X))


def test_warn_instead_keeps_the_drawn_constants():
    f = tracer.jit(lambda x: x + np.random.uniform(size=3))
    with tracer.numpy_random("warn"), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        first = np.asarray(f(X))
    assert [w.category for w in caught] == [tracer.RandomStateWarning]
    np.testing.assert_array_equal(np.asarray(f(X)), first)  # the same numbers each call
    with pytest.raises(ValueError):
        with tracer.numpy_random("sometimes"):
            pass


def test_outside_tracing_numpy_random_is_untouched():
    state = np.random.get_state()
    np.random.seed(3)
    a = np.random.rand(2)
    np.random.seed(3)
    np.testing.assert_array_equal(np.random.rand(2), a)
    np.random.set_state(state)
    assert type(np.random.default_rng()) is np.random.Generator
