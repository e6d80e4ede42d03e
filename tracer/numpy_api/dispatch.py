"""Entry points of NumPy's override protocols: find the rule, run it at the user's line.

TracedArray's `__array_ufunc__`, `__array_function__`, `__getitem__` and `__setitem__` are installed
from here: they run NumPy implementations that build TracedArrays, a layer above `traced_array.py`,
so that module imports nothing of this package (as `jax/_src/numpy/array_methods.py` sets the
methods of JAX's arrays). Implementations reach this module only through the registry's tables.
"""

from __future__ import annotations

import contextlib
import difflib

import numpy as np

from ir import dtypes, ops
from tracer import errors, primitives
from tracer.numpy_api import complex_values, created_arrays, indexing, promotion
from tracer.numpy_api.created_arrays import CreatedArray
from tracer.numpy_api.masked import MaskedSelection
from tracer.numpy_api.registry import (HANDLED_FUNCTIONS, REFUSED, UFUNC_METHODS, UFUNC_RULES, WRITES_INTO, public_name,
                                       supported_names)
from tracer.trace_state import at_user_line, current_trace
from tracer.traced_array import TracedArray, check_alive, check_writable, is_traced, rebind

__all__ = ["function", "run", "ufunc"]


@contextlib.contextmanager
def _user_errors():
    """Spec violations caught by the op builders are the user's shape/type mistakes: say so at their line."""
    try:
        yield
    except (ops.OpBuildError, dtypes.ArrayTooLargeError) as err:
        raise errors.TracedShapeError(err.message, fix=err.fix) from None


def _check_traces(values) -> None:
    for value in values:
        if is_traced(value):
            check_alive(value)


def run(impl, *args, **kwargs):
    """Run one of our implementations at the user's line. While it runs, the `numpy` names replaced during
    tracing (`tracer/numpy_namespace.py`) are NumPy's own for it (`Trace.library_depth`)."""
    trace = current_trace()
    trace.library_depth += 1
    try:
        with at_user_line(), _user_errors():
            return impl(*args, **kwargs)
    finally:
        trace.library_depth -= 1


def _call_at_user_line(impl, *args):
    """Run a TracedArray method's implementation (e.g. indexing) as NumPy calls are run."""
    if created_arrays.needs_resolving(args):
        args = tuple(map(created_arrays.resolve, args))
    _check_traces(args)
    return run(impl, *args)


def function(func, args, kwargs):
    """`__array_function__`: the registered implementation of `func`, or an error that says what to use.
    NotImplemented when an argument is x[mask] (a `MaskedSelection`): its own protocol answers."""
    if created_arrays.needs_resolving(args) or created_arrays.needs_resolving(kwargs.values()):
        if _holds_selection(args) or _holds_selection(kwargs.values()):
            return NotImplemented
        args, kwargs = _resolve_arguments(func, args, kwargs)
    _check_traces(args)
    _check_traces(kwargs.values())
    if complex_values.holds_complex(args) or complex_values.holds_complex(kwargs.values()):
        with at_user_line():
            impl = complex_values.implementation(func)
        return run(impl, *args, **kwargs)
    impl = HANDLED_FUNCTIONS.get(func)
    if impl is None:
        if func in REFUSED:
            why, fix = REFUSED[func]
            with at_user_line():
                raise errors.UnsupportedNumPyError(f"{public_name(func)} {why}", fix=fix)
        raise _unsupported(public_name(func))
    return run(impl, *args, **kwargs)


def _holds_selection(values) -> bool:
    for value in values:
        if type(value) is MaskedSelection or (type(value) in (list, tuple) and _holds_selection(value)):
            return True
    return False


def _resolve_arguments(func, args, kwargs):
    """Arrays created while tracing (`created_arrays`) as their traced values, or plain NumPy arrays; the
    one `func` writes into (np.copyto's dst) promoted first."""
    position, name = WRITES_INTO.get(func, (None, None))
    args = tuple(created_arrays.resolve(a, write=i == position) for i, a in enumerate(args))
    kwargs = {k: created_arrays.resolve(v, write=k == name) for k, v in kwargs.items()}
    return args, kwargs


def ufunc(ufunc, method, inputs, kwargs):
    """`__array_ufunc__`: a call runs the ufunc's rule, a method (`reduce`, `at`) its registered implementation.
    With `out=`, the arrays given are returned, as NumPy does."""
    out = kwargs.get("out")
    if out is not None or method == "at" or created_arrays.needs_resolving(inputs):
        if _holds_selection(inputs) or _holds_selection(out or ()):
            return NotImplemented
        inputs = tuple(created_arrays.resolve(x, write=method == "at" and i == 0) for i, x in enumerate(inputs))
        if out is not None:
            kwargs = dict(kwargs, out=tuple(created_arrays.resolve(t, write=True) for t in
                                            (out if isinstance(out, tuple) else (out,))))
    _check_traces(inputs)
    if complex_values.holds_complex(inputs):
        with at_user_line():
            impl = complex_values.implementation(ufunc, ufunc_method=method, kwargs=kwargs)
        return run(impl, *inputs)
    if method != "__call__":
        impl = UFUNC_METHODS.get(method)
        if impl is None:
            raise _unsupported(f"numpy.{ufunc.__name__}.{method}")
        return run(impl, ufunc, inputs, kwargs)
    rule = UFUNC_RULES.get(ufunc)
    if rule is None:
        raise _unsupported(f"numpy.{ufunc.__name__}")
    results = run(_call_ufunc, ufunc, rule, inputs, dict(kwargs))
    if out is not None and any(type(t) is CreatedArray for t in (out if isinstance(out, tuple) else (out,))):
        targets = out if isinstance(out, tuple) else (out,)
        returned = results if ufunc.nout > 1 else (results,)
        results = tuple(r if t is None else t for t, r in zip(targets, returned))
        return results if ufunc.nout > 1 else results[0]
    return results


def _unsupported(name: str) -> errors.UnsupportedNumPyError:
    close = difflib.get_close_matches(name, supported_names(), n=3)
    fix = ("supported functions with similar names: " + ", ".join(close)) if close else "see tracer.numpy_coverage() for what is supported"
    return errors.UnsupportedNumPyError(f"{name} is not supported under tracing", fix=fix)


def _call_ufunc(ufunc, rule, inputs, kwargs):
    out = kwargs.pop("out", None)
    dtype = kwargs.pop("dtype", None)
    kwargs.pop("casting", None)
    where = kwargs.pop("where", True)
    if ufunc is np.matmul and kwargs.get("axes") == _MATMUL_AXES:
        del kwargs["axes"]  # (what ndarray's `a @= b` passes: NumPy's default)
    if where is not True or kwargs:
        unsupported = ["where"] * (where is not True) + list(kwargs)
        raise errors.UnsupportedNumPyError(
            f"numpy.{ufunc.__name__}: argument(s) {', '.join(unsupported)} are not supported under tracing",
            fix="use np.where(mask, np.<ufunc>(...), fallback) instead of where=",
        )
    loop = promotion.ufunc_loop_dtypes(ufunc, inputs, dtype)
    outcome = promotion.comparison_beyond_range(ufunc, inputs, loop[0])
    if outcome is not None:  # (`x > -2**32` of an int16 x: every element compares alike)
        shape = primitives.broadcast_shapes(*(x.shape if is_traced(x) else np.shape(x) for x in inputs))
        results = (primitives.full(shape, outcome, np.bool_),)
    else:
        operands = [_lift_operand(x, dt) for x, dt in zip(inputs, loop[: ufunc.nin])]
        if ufunc.signature is None:  # elementwise: NumPy broadcasting first
            shape = primitives.broadcast_shapes(*(x.shape for x in operands))
            operands = [primitives.broadcast_to(x, shape) for x in operands]
        # A rule returns one TracedArray, or a tuple of `nout` of them (divmod, modf, frexp).
        results = rule(*operands) if ufunc.nout > 1 else (rule(*operands),)
    results = tuple(primitives.convert(r, loop_dtype) for r, loop_dtype in zip(results, loop[ufunc.nin:]))
    if dtype is None and all(map(promotion.is_weak, inputs)):
        # Python numbers in, a Python number out (`i + 1` of a loop index stays weak), as in NumPy.
        results = tuple(map(promotion.as_weak, results))
    if out is not None:
        # NumPy hands __array_ufunc__ a tuple with one slot per output; None slots are not written.
        targets = out if isinstance(out, tuple) else (out,)
        results = tuple(r if t is None else _write_out(ufunc, t, r) for t, r in zip(targets, results))
    return results if ufunc.nout > 1 else results[0]


_MATMUL_AXES = [(-2, -1), (-2, -1), (-2, -1)]


def _lift_operand(x, dtype):
    try:
        return primitives.lift(x, dtype)
    except OverflowError as err:
        raise errors.TracedOverflowError(str(err), fix=f"use a value that fits {dtype}, or cast the array first") from None


def _write_out(ufunc, out, result: TracedArray) -> TracedArray:
    (target,) = out if isinstance(out, tuple) else (out,)
    if not is_traced(target):
        raise errors.UnsupportedNumPyError(
            f"numpy.{ufunc.__name__}: a traced result cannot be written into a NumPy array (out=)",
            fix="assign the result to a name instead of passing out=",
        )
    check_writable(target)
    if not np.can_cast(result.dtype, target.dtype, casting="same_kind"):
        raise errors.TracedTypeError(
            f"Cannot cast ufunc '{ufunc.__name__}' output from {result.dtype!r} to {target.dtype!r} with casting rule 'same_kind'",
            fix=f"write `x = x.astype({result.dtype})` first, or compute out of place",
        )
    if result.shape != target.shape:
        raise errors.TracedShapeError(
            f"non-broadcastable output operand with shape {target.shape} doesn't match the broadcast shape {result.shape}"
        )
    rebind(target, primitives.convert(result, target.dtype)._value)
    return target


# -- TracedArray's side of the protocols ----------------------------------------------------------

def _array_ufunc(self, numpy_ufunc, method, *inputs, **kwargs):
    return ufunc(numpy_ufunc, method, inputs, kwargs)


def _array_function(self, func, types, args, kwargs):
    return function(func, args, kwargs)


def _getitem(self, index):
    return _call_at_user_line(indexing.getitem, self, index)


def _setitem(self, index, value):
    _call_at_user_line(indexing.setitem, self, index, value)


TracedArray.__array_ufunc__ = _array_ufunc
TracedArray.__array_function__ = _array_function
TracedArray.__getitem__ = _getitem
TracedArray.__setitem__ = _setitem


# -- CreatedArray's side: NumPy's own work until traced values are involved --------------------------

def _created_array_ufunc(self, numpy_ufunc, method, *inputs, **kwargs):
    out = kwargs.get("out", ())
    if created_arrays.involves_traced(inputs) or created_arrays.involves_traced(out):
        return ufunc(numpy_ufunc, method, inputs, kwargs)
    plain = created_arrays.plain
    # Every array NumPy is handed back must be plain (`out=`, and `where=` too: NumPy's own quantile passes a
    # created mask there), or NumPy would hand the call to this method again, without end.
    kwargs = {name: tuple(map(plain, value)) if name == "out" else plain(value) for name, value in kwargs.items()}
    result = getattr(numpy_ufunc, method)(*map(plain, inputs), **kwargs)
    if out:  # NumPy returns the arrays written into
        return out[0] if len(out) == 1 else out
    return created_arrays.adopt(result)


def _created_array_function(self, func, types, args, kwargs):
    if created_arrays.involves_traced(args) or created_arrays.involves_traced(kwargs.values()):
        return function(func, args, kwargs)
    # NumPy's implementation; what it makes is created here too, unless it views memory made before. It runs
    # as it does without us: on plain arrays over the same memory, with NumPy's own names (`Trace.library_depth`),
    # so no array inside it is a CreatedArray (a subclass's __array_ufunc__ never sees `out=...`: np.percentile's
    # floor(..., out=...) gave a scalar it then indexed).
    foreign = created_arrays.foreign_owners(args) | created_arrays.foreign_owners(kwargs.values())
    plain = created_arrays.plain_items
    trace = current_trace()
    if trace is not None:
        trace.library_depth += 1
    try:
        result = func._implementation(*plain(args), **dict(zip(kwargs, plain(kwargs.values()))))
    finally:
        if trace is not None:
            trace.library_depth -= 1
    return created_arrays.adopt(result, foreign)


CreatedArray.__array_ufunc__ = _created_array_ufunc
CreatedArray.__array_function__ = _created_array_function
