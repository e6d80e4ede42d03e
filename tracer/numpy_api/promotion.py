"""NumPy 2's dtype promotion (NEP 50) for traced operands: which dtype NumPy would see for each.

NEP 50 makes Python numbers "weak": `x_float32 + 1.0` stays float32. A TracedArray is weak when it
stands for a Python number (a `fori_loop` index, or `i + 1` of one), so it promotes as that Python
type would; everything else promotes by its dtype. NumPy itself then picks the result
(`ufunc.resolve_dtypes`, `np.result_type`), so no promotion table is kept here.
"""

from __future__ import annotations

import numpy as np

from ir import dtypes as ir_dtypes
from tracer import errors
from tracer import primitives as P
from tracer.traced_array import TracedArray

__all__ = ["as_weak", "comparison_beyond_range", "is_weak", "resolution_dtype", "result_type_of_arrays",
           "result_type_operand", "ufunc_loop_dtypes"]

_WEAK_PYTHON_TYPE = {"b": bool, "i": int, "u": int, "f": float}


def is_weak(x) -> bool:
    """A Python number, or a TracedArray that stands for one."""
    return type(x) in (int, float, complex) or (type(x) is TracedArray and x._weak)


def resolution_dtype(x):
    """What `ufunc.resolve_dtypes` needs: a dtype, or the Python type of a weak scalar (NEP 50)."""
    if type(x) is TracedArray:
        return _WEAK_PYTHON_TYPE[x.dtype.kind] if x._weak else x.dtype
    if isinstance(x, (np.ndarray, np.generic)):
        return x.dtype
    if type(x) in (int, float, complex):
        return type(x)
    if type(x) is bool:
        return np.dtype(np.bool_)
    if hasattr(x, "dtype") and hasattr(x, "shape"):  # ConcreteArray, jax.Array
        return np.dtype(x.dtype)
    return np.asarray(x).dtype


def result_type_operand(x):
    """What `np.result_type` needs for NEP 50: Python numbers as themselves, arrays as their dtype."""
    return x if type(x) in (int, float, complex) else resolution_dtype(x)


def result_type_of_arrays(*operands) -> np.dtype:
    """np.result_type as NumPy's own functions call it (np.where converts its operands to arrays first): Python
    numbers (and traced values standing for them) as Python numbers, weak by NEP 50, everything else as an
    array of its dtype. Arrays, not dtypes: ml_dtypes' types promote differently with the two
    (np.result_type(-3.69, <bfloat16 array>) is float32, np.result_type(-3.69, bfloat16) bfloat16)."""
    def operand(x):
        kind = resolution_dtype(x)
        if kind is int or kind is float or kind is complex:  # (not `in`: np.dtype("int64") == int)
            return x if type(x) is kind else kind(0)  # (NEP 50 reads a weak scalar's type, not its value)
        return np.empty(0, kind)

    return np.result_type(*map(operand, operands))


def ufunc_loop_dtypes(ufunc, inputs, dtype=None) -> tuple[np.dtype, ...]:
    """The dtypes NumPy's loop for `ufunc(*inputs, dtype=dtype)` takes and gives (inputs, then outputs)."""
    all_weak = all(map(is_weak, inputs))
    # Among weak operands only, the traced ones stand for their own dtype (NumPy would see Python numbers).
    in_dtypes = tuple(x.dtype if all_weak and type(x) is TracedArray else resolution_dtype(x) for x in inputs) \
        + (None,) * ufunc.nout
    # dtype= fixes the loop's output dtype (NumPy's `signature`), which then picks the input dtypes.
    forced = None if dtype is None else (None,) * ufunc.nin + (np.dtype(dtype),) * ufunc.nout
    try:
        loop = ufunc.resolve_dtypes(in_dtypes) if forced is None else ufunc.resolve_dtypes(in_dtypes, signature=forced)
    except TypeError as err:
        raise errors.TracedTypeError(str(err), fix="cast the operands with .astype(...) to dtypes this ufunc accepts") from None
    for loop_dtype in loop:
        if not ir_dtypes.is_supported(loop_dtype):
            raise errors.TracedTypeError(
                f"numpy.{ufunc.__name__} would compute in {loop_dtype}, which cannot be traced",
                fix="convert the operands to one of " + ", ".join(str(d) for d in ir_dtypes.SUPPORTED_DTYPES),
            )
    return loop


# Whether `left OP right` holds when left > right, and when left < right.
_COMPARISON_OUTCOMES = {np.less: (False, True), np.less_equal: (False, True), np.greater: (True, False),
                        np.greater_equal: (True, False), np.equal: (False, False), np.not_equal: (True, True)}


def comparison_beyond_range(ufunc, inputs, loop_dtype) -> bool | None:
    """NumPy 2 compares an integer array with a Python int its dtype cannot hold by the values (`int16 > -2**32` is
    all True), where the int cannot become a constant of the loop's dtype: the same answer for every element."""
    outcomes = _COMPARISON_OUTCOMES.get(ufunc)
    if outcomes is None or np.dtype(loop_dtype).kind not in "iu":
        return None
    info = np.iinfo(loop_dtype)
    for position, x in enumerate(inputs):
        other = resolution_dtype(inputs[1 - position])
        if other is int or other is bool or np.dtype(other).kind not in "iu":  # (a bool array: NumPy's OverflowError)
            continue
        if type(x) is int and not info.min <= x <= info.max:
            left_is_greater = (x > info.max) == (position == 0)
            return outcomes[0] if left_is_greater else outcomes[1]
    return None


def as_weak(x: TracedArray) -> TracedArray:
    """A copy of a numeric `x` that promotes as a Python number (bools and complex stay as they are)."""
    if x.dtype.kind not in "iuf":
        return x
    x = P.wrap(x._value, x.shape, x.dtype)
    x._weak = True
    return x
