"""Floating-point precision of parameter/state trees (Lux's f16/f32/f64/bf16) and `match_eltype`.

    ps64 = lux.f64(ps)                         # every floating array leaf as float64
    x = lux.match_eltype(model, ps, st, x)     # inside a layer: see "Element type matching" below

`f16`, `f32`, `f64` and `bf16` walk dicts, lists and tuples (named tuples keep their type) and
convert every floating-point array leaf: NumPy arrays, `tracer.TracedArray`s (inside `tracer.jit`)
and `runtime.ConcreteArray`s (which come back as NumPy arrays, converted on the host). Complex
arrays keep their complex kind (`f32` turns complex128 into complex64). Integer and bool arrays,
Python and NumPy scalars, strings, layers and every other leaf are returned as they are, as Lux's
`f32(ps)` leaves numbers alone. A leaf already of the target dtype is returned unchanged (no copy).

Element type matching (Lux's `match_eltype` and its `eltype_mismatch_handling` preference)
-----------------------------------------------------------------------------------------
`match_eltype(layer, ps, st, x, *args)` compares the floating type of each array in `x` (and
`args`) with that of the layer's parameters and states, and acts on these mismatches only:

    parameters/states   input                       "convert" gives
    float64             integer (or bool)           float64
    float32             float64 or integer          float32
    float16             float64, float32, integer   float16

What happens is set for the whole process, in place of Lux's Preferences.jl setting:

    lux.precision.set_eltype_mismatch_handling("warn")    # returns the previous mode

- "none" (the default): nothing; `x` is returned as given.
- "warn": a `UserWarning` (`warnings.warn`), once per (layer type, parameter type, input type);
  `x` unchanged.
- "convert": the same warning, and the input converted to the parameters' type.
- "error": raises `EltypeMismatchError` (a TypeError).

The starting mode can also come from the environment variable LUX_ELTYPE_MISMATCH_HANDLING, read
when `lux` is imported. Under `tracer.jit` the check runs while tracing (dtypes are static), so a
compiled function warns when it is traced, not on every call.

The element type of `(ps, st)` follows Julia's promotion, as Lux's `recursive_eltype`: the widest
floating type among the leaves (integers and bools do not widen it: Float32 and Int promote to
Float32); without floating leaves there is nothing to match.
"""

from __future__ import annotations

import os
import warnings

import ml_dtypes
import numpy as np

from lux.errors import LuxError, LuxTypeError, LuxValueError

__all__ = [
    "EltypeMismatchError", "bf16", "eltype_mismatch_handling", "f16", "f32", "f64", "match_eltype",
    "set_eltype_mismatch_handling",
]

BFLOAT16 = np.dtype(ml_dtypes.bfloat16)
MODES = ("none", "warn", "convert", "error")
ENV_VARIABLE = "LUX_ELTYPE_MISMATCH_HANDLING"


class EltypeMismatchError(LuxError, TypeError):
    """An input's floating type differs from the layer's parameters while the mode is "error"."""


# -- f16 / f32 / f64 / bf16 ----------------------------------------------------------------------

def f16(tree):
    """`tree` with every floating-point array leaf converted to float16."""
    return _convert_tree(tree, np.dtype(np.float16))


def f32(tree):
    """`tree` with every floating-point array leaf converted to float32."""
    return _convert_tree(tree, np.dtype(np.float32))


def f64(tree):
    """`tree` with every floating-point array leaf converted to float64."""
    return _convert_tree(tree, np.dtype(np.float64))


def bf16(tree):
    """`tree` with every floating-point array leaf converted to bfloat16 (`ml_dtypes.bfloat16`)."""
    return _convert_tree(tree, BFLOAT16)


def _map_arrays(fn, tree):
    """`fn` applied to every array leaf of dicts/lists/tuples; other leaves returned as they are."""
    if isinstance(tree, dict):
        return type(tree)((k, _map_arrays(fn, v)) for k, v in tree.items())
    if isinstance(tree, tuple) and hasattr(tree, "_fields"):  # a named tuple
        return type(tree)(*(_map_arrays(fn, v) for v in tree))
    if isinstance(tree, (list, tuple)):
        return type(tree)(_map_arrays(fn, v) for v in tree)
    return fn(tree) if _is_array(tree) else tree


def _is_array(x) -> bool:
    # np.generic (NumPy scalars) are numbers here, as in Lux; arrays of every kind have shape, dtype, astype.
    return not isinstance(x, np.generic) and all(hasattr(x, a) for a in ("shape", "dtype", "astype"))


def _is_float(dtype: np.dtype) -> bool:
    return dtype.kind == "f" or dtype == BFLOAT16


def _convert_tree(tree, target: np.dtype):
    return _map_arrays(lambda x: _convert_array(x, target), tree)


def _convert_array(x, target: np.dtype):
    dtype = np.dtype(x.dtype)
    if _is_float(dtype):
        return x if dtype == target else x.astype(target)
    if dtype.kind == "c":
        if target.itemsize < 4:
            raise LuxTypeError(f"cannot convert a {dtype} array to complex {target}: NumPy has no such type",
                               fix="convert the complex leaves with f32 or f64, or take their real part first")
        complex_target = np.dtype(np.complex64 if target == np.float32 else np.complex128)
        return x if dtype == complex_target else x.astype(complex_target)
    return x


# -- match_eltype --------------------------------------------------------------------------------

_mode = {"value": None}  # None: not read yet from the environment
_warned: set[tuple] = set()


def set_eltype_mismatch_handling(mode: str) -> str:
    """Set what `match_eltype` does: "none", "warn", "convert" or "error". Returns the previous mode.

    Setting a mode also forgets which mismatches were already warned about.
    """
    if mode not in MODES:
        raise LuxValueError(f"eltype_mismatch_handling must be one of {MODES}, got {mode!r}",
                            fix=f"pass one of {MODES}")
    previous = eltype_mismatch_handling()
    _mode["value"] = mode
    _warned.clear()
    return previous


def eltype_mismatch_handling() -> str:
    """The current mode (initially $LUX_ELTYPE_MISMATCH_HANDLING, or "none")."""
    if _mode["value"] is None:
        mode = os.environ.get(ENV_VARIABLE, "none")
        if mode not in MODES:
            raise LuxValueError(f"{ENV_VARIABLE}={mode!r} is not a valid eltype_mismatch_handling",
                                fix=f"set it to one of {MODES}")
        _mode["value"] = mode
    return _mode["value"]


def match_eltype(layer, ps, st, x, *args):
    """Maybe match the floating type of `x` (and `args`) to the layer's parameters and states.

    Arguments: `layer` (named in messages), `ps`, `st` (their leaves give the expected type), `x`
    and any further inputs (arrays or trees of arrays).
    Returns: `x` when no `args` are given, else the tuple `(x, *args)`; converted or checked as the
    current mode says (see the module docstring).
    """
    mode = eltype_mismatch_handling()
    if mode == "none":
        return (x, *args) if args else x
    expected = _tree_float_type((ps, st))
    fixed = [_map_arrays(lambda a: _match_array(layer, expected, a, mode), value) for value in (x, *args)]
    return tuple(fixed) if args else fixed[0]


def _tree_float_type(tree) -> np.dtype | None:
    """The widest floating dtype among the array leaves (Julia: Float32 and Int promote to Float32)."""
    found: list[np.dtype] = []
    _map_arrays(lambda a: found.append(np.dtype(a.dtype)), tree)
    floats = [d for d in found if _is_float(d)]
    return max(floats, key=lambda d: d.itemsize) if floats else None


def _julia_name(dtype: np.dtype) -> str:
    if dtype.kind in "iub":
        return "Integer"
    return {2: "Float16", 4: "Float32", 8: "Float64"}[dtype.itemsize]


# (parameters' type, input's type) pairs Lux acts on; everything else passes unchanged.
MISMATCHES = {("Float64", "Integer"), ("Float32", "Float64"), ("Float32", "Integer"),
              ("Float16", "Float64"), ("Float16", "Float32"), ("Float16", "Integer")}


def _match_array(layer, expected: np.dtype | None, x, mode: str):
    actual = np.dtype(x.dtype)
    if expected is None or expected == BFLOAT16 or actual == BFLOAT16 or actual.kind not in "fiub":
        return x
    pair = (_julia_name(expected), _julia_name(actual))
    if pair not in MISMATCHES:
        return x
    summary = layer.summary() if hasattr(layer, "summary") else type(layer).__name__
    message = f"{summary}: layer with `{pair[0]}` parameters and states received `{pair[1]}` input ({actual}{list(x.shape)})."
    if mode == "error":
        raise EltypeMismatchError(f"{message} This is not allowed because eltype_mismatch_handling is \"error\"",
                                  fix=f"convert the input first, x.astype(np.{expected}), or let lux do it with "
                                  "lux.precision.set_eltype_mismatch_handling(\"convert\")")
    if mode == "convert":
        message += f" Converting to `{pair[0]}`."
    key = (type(layer), pair)
    if key not in _warned:
        _warned.add(key)
        warnings.warn(message, stacklevel=5)  # the layer that called match_eltype
    return x.astype(expected) if mode == "convert" else x

