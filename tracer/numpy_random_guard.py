"""NumPy's random numbers while a function is traced: an error that points to `tracer.random`.

A traced function runs once, to be recorded. Numbers drawn from NumPy's generators while it runs become
constants of the compiled program: every call returns the same "random" numbers, where NumPy draws new
ones each call. So, while tracing:
- the functions of `np.random` that draw from its global state (`np.random.rand`, `randn`, `normal`,
  `choice`, `shuffle` ...) raise `RandomStateError` naming the line;
- `np.random.default_rng()` without a seed gives a generator whose draws raise (seeded, `default_rng(0)`,
  it draws the same numbers on every call in NumPy too, so the constants are NumPy's answer);
- a generator the function reaches through its closure, its module's globals or a static argument, whose
  state changed while it was traced, raises the same error once tracing ends (naming the generator and
  the function: its draw is not seen when it happens).
`with tracer.numpy_random("warn"):` around the call that traces turns the errors into warnings (the
numbers then stay the constants drawn while tracing).
"""

from __future__ import annotations

import contextlib
import threading
import types
import warnings

import numpy as np

from tracer import errors
from tracer.trace_state import user_trace

__all__ = ["RandomStateWarning", "install", "numpy_random", "uninstall", "watching"]

_FIX = ("draw from an explicit key with tracer.random (key = tracer.random.key(seed); x = "
        "tracer.random.normal(key, shape)), passing the key in as an argument; or draw with NumPy outside the "
        "traced function and pass the numbers in")


class RandomStateWarning(UserWarning):
    """NumPy random numbers drawn while tracing under `tracer.numpy_random("warn")`: they are constants."""


class _Policy(threading.local):
    mode = "error"


_policy = _Policy()


@contextlib.contextmanager
def numpy_random(mode: str):
    """`with tracer.numpy_random("warn"):` NumPy random numbers drawn while a function is traced (in this
    thread, in the body) warn instead of raising: the compiled function keeps the numbers drawn then."""
    if mode not in ("error", "warn"):
        raise ValueError(f"numpy_random({mode!r}): give 'error' or 'warn'")
    previous, _policy.mode = _policy.mode, mode
    try:
        yield
    finally:
        _policy.mode = previous


def _drawn(what: str) -> None:
    message = (f"{what} while the function is traced: the numbers would be drawn once, at tracing, and every "
               "call of the compiled function would return the same ones")
    if _policy.mode == "warn":
        warnings.warn(errors.RandomStateError(message, fix=_FIX).args[0], RandomStateWarning, stacklevel=3)
    else:
        raise errors.RandomStateError(message, fix=_FIX)


# -- np.random's global-state functions and unseeded default_rng() ----------------------------------------

def _global_draw(name: str, original):
    def draw(*args, **kwargs):
        if user_trace() is not None:
            _drawn(f"np.random.{name} draws from NumPy's global random state")
        return original(*args, **kwargs)

    draw.__name__, draw.__doc__ = name, original.__doc__
    return draw


_GENERATOR_DRAWS = [name for name in dir(np.random.Generator) if not name.startswith("_")
                    and name not in ("bit_generator", "spawn")]


class _UnseededGenerator(np.random.Generator):
    """What `np.random.default_rng()` gives while tracing: its draws raise while a function is traced."""


def _unseeded_draw(name: str):
    original = getattr(np.random.Generator, name)

    def draw(self, *args, **kwargs):
        if user_trace() is not None:
            _drawn(f"Generator.{name} of np.random.default_rng() without a seed draws new numbers on every call")
        return original(self, *args, **kwargs)

    draw.__name__, draw.__doc__ = name, original.__doc__
    return draw


for _name in _GENERATOR_DRAWS:
    setattr(_UnseededGenerator, _name, _unseeded_draw(_name))
del _name


def _default_rng(original):
    def default_rng(seed=None):
        if seed is None and user_trace() is not None:
            return _UnseededGenerator(np.random.PCG64())
        return original(seed)

    default_rng.__doc__ = original.__doc__
    return default_rng


def _replacements() -> list[tuple[str, object]]:
    legacy = np.random.mtrand._rand
    found = [("default_rng", _default_rng(np.random.default_rng))]
    for name in np.random.__all__:
        function = getattr(np.random, name, None)
        if getattr(function, "__self__", None) is legacy and name not in ("get_state", "set_state", "seed"):
            found.append((name, _global_draw(name, function)))
    return found


_REPLACEMENTS = _replacements()
_installed: list[tuple[str, object, object]] = []


def install() -> None:
    """Replace np.random's names (under `tracer.numpy_namespace`'s lock, when a first thread starts tracing)."""
    for name, wrapper in _REPLACEMENTS:
        _installed.append((name, getattr(np.random, name), wrapper))
        setattr(np.random, name, wrapper)


def uninstall() -> None:
    for name, original, wrapper in reversed(_installed):
        if getattr(np.random, name) is wrapper:
            setattr(np.random, name, original)
    _installed.clear()


# -- generators made before tracing ----------------------------------------------------------------------------

_GENERATOR_TYPES = (np.random.Generator, np.random.RandomState)


def _reachable_generators(fn, static_values) -> dict[str, object]:
    """Generators `fn` may draw from that it did not make: in its closure, the globals its code names, the
    static arguments. (By the name `fn` knows them under.)"""
    found = {}
    seen_code = set()

    def visit_code(code, globals_):
        if id(code) in seen_code:
            return
        seen_code.add(id(code))
        for name in code.co_names:
            value = globals_.get(name)
            if isinstance(value, _GENERATOR_TYPES):
                found[name] = value
        for constant in code.co_consts:
            if isinstance(constant, types.CodeType):
                visit_code(constant, globals_)

    function = getattr(fn, "__wrapped__", fn)
    code, globals_ = getattr(function, "__code__", None), getattr(function, "__globals__", {})
    if code is not None:
        visit_code(code, globals_)
        for name, cell in zip(code.co_freevars, getattr(function, "__closure__", None) or ()):
            try:
                value = cell.cell_contents
            except ValueError:  # (an empty cell)
                continue
            if isinstance(value, _GENERATOR_TYPES):
                found[name] = value
    for number, value in enumerate(static_values):
        if isinstance(value, _GENERATOR_TYPES):
            found[f"static argument {number}"] = value
    return found


def _state(generator):
    return repr(generator.bit_generator.state if isinstance(generator, np.random.Generator) else generator.get_state())


@contextlib.contextmanager
def watching(fn, static_values):
    """Around the traced call of `fn`: a generator it reaches whose state changed means numbers were drawn."""
    generators = _reachable_generators(fn, static_values)
    before = {name: _state(g) for name, g in generators.items()}
    yield
    for name, generator in generators.items():
        if _state(generator) != before[name]:
            _drawn(f"numbers were drawn from the NumPy generator `{name}` of "
                   f"{getattr(fn, '__qualname__', fn)}")
