"""What the tracer implements of NumPy: tables filled by `implements`, `ufunc_rule` and `ufunc_method`.

`HANDLED_FUNCTIONS[np.sum] = impl` serves `__array_function__`;
`UFUNC_RULES[np.add] = rule` serves `__array_ufunc__` for a call `np.add(x, y)`, and
`UFUNC_METHODS["reduce"] = impl` its other methods (`np.add.reduce(x)`). Nothing dispatches on names.
This module imports nothing of the tracer: every implementation registers itself here, and
`dispatch.py` reads the tables, so neither imports the other.
"""

from __future__ import annotations

from typing import Callable

__all__ = [
    "COMPLEX_FUNCTIONS", "HANDLED_FUNCTIONS", "REFUSED", "UFUNC_METHODS", "UFUNC_RULES", "WRITES_INTO",
    "implements", "implements_complex", "public_name", "refuse", "supported_names", "ufunc_method", "ufunc_rule",
]

HANDLED_FUNCTIONS: dict[Callable, Callable] = {}
UFUNC_RULES: dict = {}
# Methods of ufuncs other than a call ("reduce", "at"): `impl(ufunc, inputs, kwargs)` serves every ufunc.
UFUNC_METHODS: dict[str, Callable] = {}
# Functions that cannot trace, with what to write instead (e.g. shapes that depend on values).
REFUSED: dict[Callable, tuple[str, str]] = {}
# Functions that write into an argument (np.copyto's dst): its (position, keyword name).
WRITES_INTO: dict[Callable, tuple[int, str]] = {}
# What a complex traced array (np.linalg.eig's results) may go through, functions and ufuncs alike:
# `impl(*args, **kwargs)`. Everything else refuses it, since the other rules are written for real numbers.
COMPLEX_FUNCTIONS: dict[Callable, Callable] = {}


def refuse(numpy_function: Callable, why: str, fix: str) -> None:
    """Register a tailored explanation for a NumPy function that cannot be traced."""
    REFUSED[numpy_function] = (why, fix)


def _register_in(table: dict, keys):
    """A decorator putting the decorated function into `table` under each of `keys`."""

    def register(impl: Callable) -> Callable:
        for key in keys:
            table[key] = impl
        return impl

    return register


def implements_complex(*numpy_functions: Callable):
    """Register the decorated function as what `numpy_functions` (functions or ufuncs) do to complex arrays."""
    return _register_in(COMPLEX_FUNCTIONS, numpy_functions)


def implements(*numpy_functions: Callable, writes_into: tuple[int, str] | None = None):
    """Register the decorated function as the traced implementation of `numpy_functions`; `writes_into`:
    the (position, keyword name) of the argument they write into, if any (np.copyto's `(0, "dst")`)."""

    def register(impl: Callable) -> Callable:
        for numpy_function in numpy_functions:
            HANDLED_FUNCTIONS[numpy_function] = impl
            if writes_into is not None:
                WRITES_INTO[numpy_function] = writes_into
        return impl

    return register


def ufunc_rule(*ufuncs):
    """Register a rule for ufuncs: `rule(*traced_operands)` after NumPy's dtype resolution and broadcasting."""
    return _register_in(UFUNC_RULES, ufuncs)


def ufunc_method(*methods: str):
    """Register `impl(ufunc, inputs, kwargs)` as the ufunc methods `methods` (`"reduce"`: `np.add.reduce(x)`)."""
    return _register_in(UFUNC_METHODS, methods)


def public_name(func) -> str:
    """`numpy.sum`, `numpy.linalg.solve`, `numpy.fft.fft`: where users find the function."""
    module = getattr(func, "__module__", None) or "numpy"
    module = "numpy" if module.startswith("numpy._") or module == "numpy" else module
    return f"{module}.{func.__name__}"


def supported_names() -> list[str]:
    """Sorted public names of every supported function and ufunc."""
    return sorted({public_name(f) for f in HANDLED_FUNCTIONS} | {f"numpy.{u.__name__}" for u in UFUNC_RULES})
