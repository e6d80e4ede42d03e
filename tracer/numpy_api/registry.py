"""What the tracer implements of NumPy: two tables, filled by `implements`/`ufunc_rule`.

`HANDLED_FUNCTIONS[np.sum] = impl` serves `__array_function__`;
`UFUNC_RULES[np.add] = rule` serves `__array_ufunc__`. Nothing dispatches on names.
"""

from __future__ import annotations

from typing import Callable

HANDLED_FUNCTIONS: dict[Callable, Callable] = {}
UFUNC_RULES: dict = {}


def implements(*numpy_functions: Callable):
    """Register the decorated function as the traced implementation of `numpy_functions`."""

    def register(impl: Callable) -> Callable:
        for numpy_function in numpy_functions:
            HANDLED_FUNCTIONS[numpy_function] = impl
        return impl

    return register


def ufunc_rule(*ufuncs):
    """Register a rule for ufuncs: `rule(*traced_operands)` after NumPy's dtype resolution and broadcasting."""

    def register(rule: Callable) -> Callable:
        for ufunc in ufuncs:
            UFUNC_RULES[ufunc] = rule
        return rule

    return register


def supported_names() -> list[str]:
    """Sorted `numpy.<name>` of every supported function and ufunc."""
    names = {f"numpy.{getattr(f, '__name__', repr(f))}" for f in HANDLED_FUNCTIONS}
    names |= {f"numpy.{u.__name__}" for u in UFUNC_RULES}
    return sorted(names)
