"""Exceptions raised while tracing or calling compiled code.

Every message starts with the user's `file.py:line` and ends with what to do,
because the traceback of a traced function is mostly our code, not theirs.
"""

from __future__ import annotations

from ir.errors import PyreactantError

__all__ = ["ArrayConversionError", "ConcretizationError", "DonatedArgumentError", "EscapedTracerError", "SignatureMismatchError",
           "TracedAxisError", "TracedIndexError", "TracedOverflowError", "TracedShapeError", "TracedTypeError",
           "RandomStateError", "TracerError", "UnsupportedMethodError", "UnsupportedNumPyError"]


class TracerError(PyreactantError):
    """Base of pyreactant's tracing errors; `where` is the user's `file.py:line` (see `ir.errors`)."""


class ConcretizationError(TracerError, TypeError):
    """A traced value was asked for a Python value (bool, int, float, NumPy array)."""


class ArrayConversionError(ConcretizationError):
    """A traced value that NumPy tried to turn into a NumPy array (`__array__`); `tracer/numpy_namespace.py`
    retries such calls with the lists holding traced values built as traced arrays."""


class TracedShapeError(TracerError, ValueError):
    """Operands whose shapes do not fit the operation (NumPy would raise ValueError too)."""


class TracedTypeError(TracerError, TypeError):
    """Operands whose dtypes do not fit the operation (NumPy would raise TypeError too)."""


class TracedIndexError(TracerError, IndexError):
    """An index out of bounds, or of a kind tracing does not support."""


class TracedOverflowError(TracerError, OverflowError):
    """A Python integer that does not fit the dtype NumPy's rules give it (NumPy raises OverflowError)."""


class TracedAxisError(TracerError, ValueError, IndexError):
    """An axis out of range (NumPy's AxisError is also both a ValueError and an IndexError)."""


class UnsupportedNumPyError(TracerError, NotImplementedError):
    """A NumPy function, ufunc method or argument the tracer does not implement."""


class UnsupportedMethodError(UnsupportedNumPyError, AttributeError):
    """An ndarray method or attribute the tracer does not implement (an AttributeError too, so `hasattr` is False)."""


class RandomStateError(TracerError, RuntimeError):
    """NumPy random numbers drawn while a function is traced (they would be constants of the compiled program)."""


class EscapedTracerError(TracerError, RuntimeError):
    """A traced value used after the function that created it finished tracing."""


class DonatedArgumentError(TracerError, RuntimeError):
    """An argument whose buffer was given to an earlier call through donate_argnums."""


class SignatureMismatchError(TracerError, TypeError):
    """A `Compiled` called with arguments of another structure, shape or dtype."""
