"""What NumPy code can do with a complex traced array: take it apart, move it around, return it.

Complex arrays arise only inside a trace (np.linalg.eig and eigvals; `ir/dtypes.py` keeps arguments and
constants real), and every other rule of the tracer is written for real numbers (np.conj of a real array is
the array itself, promotion tables stop at float64 ...). So `dispatch.py` sends any call with a complex traced
operand here: the functions below, or an error naming the call and the way out (the real and imaginary parts).
"""

from __future__ import annotations

import numpy as np

from ir import ops
from tracer import errors
from tracer import primitives as P
from tracer.numpy_api.registry import COMPLEX_FUNCTIONS, HANDLED_FUNCTIONS, implements_complex, public_name
from tracer.traced_array import TracedArray, is_traced

__all__ = ["complex_from_parts", "holds_complex", "implementation"]


# Functions that only move elements: their real-number implementations (HANDLED_FUNCTIONS) build no value
# of the array's dtype, so they serve complex arrays as they are.
_LAYOUT = frozenset({np.transpose, np.swapaxes, np.moveaxis, np.reshape, np.ravel, np.squeeze, np.expand_dims,
                     np.atleast_1d, np.atleast_2d, np.shape, np.ndim, np.size})


def _is_complex(value) -> bool:
    return is_traced(value) and value.dtype.kind == "c"


def holds_complex(values) -> bool:
    """Whether a complex traced array is among `values`, or in a list or tuple among them (np.concatenate's;
    one level: every NumPy call pays for this look)."""
    return any(_is_complex(v) or (type(v) in (list, tuple) and any(map(_is_complex, v))) for v in values)


def implementation(func, *, ufunc_method: str = "__call__", kwargs=None):
    """The complex implementation of `func` (a function or ufunc), or the error that says what to do instead."""
    impl = None
    if ufunc_method == "__call__":
        impl = COMPLEX_FUNCTIONS.get(func) or (HANDLED_FUNCTIONS.get(func) if func in _LAYOUT else None)
    if impl is None or (kwargs and isinstance(func, np.ufunc)):
        name = public_name(func) if not isinstance(func, np.ufunc) else f"numpy.{func.__name__}"
        what = name if ufunc_method == "__call__" else f"{name}.{ufunc_method}"
        raise errors.UnsupportedNumPyError(
            f"{what} of a complex traced array is not supported: complex values come only from np.linalg.eig/"
            "eigvals, and may be taken apart (np.real, np.imag, np.abs, np.angle, np.conj), reshaped, indexed "
            "or returned",
            fix="compute on the real and imaginary parts (w.real, w.imag), or return the complex array and "
                "continue in NumPy")
    return impl


def _wrap(value) -> TracedArray:
    return P.wrap(value, tuple(ops.shape_of(value)), ops.dtype_of(value))


def complex_from_parts(real: TracedArray, imaginary: TracedArray) -> TracedArray:
    """real + 1j * imaginary (float32 parts give complex64, float64 parts complex128)."""
    return _wrap(ops.complex_(real._value, imaginary._value))


@implements_complex(np.real)
def real(val):
    return _wrap(ops.real(val._value))


@implements_complex(np.imag)
def imag(val):
    return _wrap(ops.imag(val._value))


@implements_complex(np.conjugate)
def conjugate(x):
    return complex_from_parts(real(x), -imag(x))


@implements_complex(np.absolute)
def absolute(x):
    return _wrap(ops.magnitude(x._value))


@implements_complex(np.angle)
def angle(z, deg=False):
    result = np.arctan2(imag(z), real(z))
    return np.multiply(result, 180 / np.pi) if deg else result


@implements_complex(np.iscomplex)
def iscomplex(x):
    return imag(x) != 0


@implements_complex(np.isreal)
def isreal(x):
    return imag(x) == 0


