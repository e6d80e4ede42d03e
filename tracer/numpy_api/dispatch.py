"""Entry points of NumPy's override protocols: find the rule, run it at the user's line."""

from __future__ import annotations

import contextlib
import difflib

import numpy as np

from ir import dtypes as ir_dtypes
from ir import ops
from tracer import errors, primitives
from tracer.numpy_api.registry import HANDLED_FUNCTIONS, REFUSED, UFUNC_RULES, public_name, supported_names
from tracer.trace_state import at_user_line
from tracer.traced_array import TracedArray, check_alive, check_writable, is_traced, rebind


@contextlib.contextmanager
def _user_errors():
    """Spec violations caught by the op builders are the user's shape/type mistakes: say so at their line."""
    try:
        yield
    except ops.OpBuildError as err:
        raise errors.TracedShapeError(str(err)) from None


def _check_traces(values) -> None:
    for value in values:
        if is_traced(value):
            check_alive(value)


def call_at_user_line(impl, *args):
    """Run a TracedArray method's implementation (e.g. indexing) as NumPy calls are run."""
    _check_traces(args)
    with at_user_line(), _user_errors():
        return impl(*args)


def function(func, args, kwargs):
    _check_traces(args)
    _check_traces(kwargs.values())
    impl = HANDLED_FUNCTIONS.get(func)
    if impl is None:
        if func in REFUSED:
            why, fix = REFUSED[func]
            with at_user_line():
                raise errors.UnsupportedNumPyError(f"{public_name(func)} {why}", fix=fix)
        raise _unsupported(public_name(func))
    with at_user_line(), _user_errors():
        return impl(*args, **kwargs)


def ufunc(ufunc, method, inputs, kwargs):
    _check_traces(inputs)
    if method == "reduce":
        from tracer.numpy_api import reductions

        with at_user_line(), _user_errors():
            return reductions.ufunc_reduce(ufunc, inputs, kwargs)
    if method == "at":  # np.add.at(x, indices, v): an unbuffered in-place scatter
        from tracer.numpy_api import gather_scatter

        with at_user_line(), _user_errors():
            return gather_scatter.ufunc_at(ufunc, inputs, kwargs)
    if method != "__call__":
        raise _unsupported(f"numpy.{ufunc.__name__}.{method}")
    rule = UFUNC_RULES.get(ufunc)
    if rule is None:
        raise _unsupported(f"numpy.{ufunc.__name__}")
    with at_user_line(), _user_errors():
        return _call_ufunc(ufunc, rule, inputs, dict(kwargs))


def _unsupported(name: str) -> errors.UnsupportedNumPyError:
    close = difflib.get_close_matches(name, supported_names(), n=3)
    fix = ("supported functions with similar names: " + ", ".join(close)) if close else "see tracer.numpy_coverage() for what is supported"
    return errors.UnsupportedNumPyError(f"{name} is not supported under tracing", fix=fix)


_WEAK_PYTHON_TYPE = {"b": bool, "i": int, "u": int, "f": float}


def _is_weak(x) -> bool:
    return type(x) in (int, float, complex) or (type(x) is TracedArray and x._weak)


def _resolution_dtype(x):
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


def _call_ufunc(ufunc, rule, inputs, kwargs):
    out = kwargs.pop("out", None)
    dtype = kwargs.pop("dtype", None)
    kwargs.pop("casting", None)
    where = kwargs.pop("where", True)
    if where is not True or kwargs:
        unsupported = ["where"] * (where is not True) + list(kwargs)
        raise errors.UnsupportedNumPyError(
            f"numpy.{ufunc.__name__}: argument(s) {', '.join(unsupported)} are not supported under tracing",
            fix="use np.where(mask, np.<ufunc>(...), fallback) instead of where=",
        )
    all_weak = all(map(_is_weak, inputs))
    # Among weak operands only, the traced ones stand for their own dtype (NumPy would see Python numbers).
    in_dtypes = tuple(x.dtype if all_weak and type(x) is TracedArray else _resolution_dtype(x) for x in inputs) \
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
    operands = [_lift_operand(x, dt) for x, dt in zip(inputs, loop[: ufunc.nin])]
    if ufunc.signature is None:  # elementwise: NumPy broadcasting first
        shape = primitives.broadcast_shapes(*(x.shape for x in operands))
        operands = [primitives.broadcast_to(x, shape) for x in operands]
    # A rule returns one TracedArray, or a tuple of `nout` of them (divmod, modf, frexp).
    def _weak_copy(r):
        if r.dtype.kind not in "iuf":
            return r
        r = primitives.wrap(r._value, r.shape, r.dtype)
        r._weak = True
        return r

    results = rule(*operands) if ufunc.nout > 1 else (rule(*operands),)
    results = tuple(primitives.convert(r, loop_dtype) for r, loop_dtype in zip(results, loop[ufunc.nin:]))
    if all_weak and dtype is None:
        # Python numbers in, a Python number out (`i + 1` of a loop index stays weak), as in NumPy.
        results = tuple(map(_weak_copy, results))
    if out is not None:
        # NumPy hands __array_ufunc__ a tuple with one slot per output; None slots are not written.
        targets = out if isinstance(out, tuple) else (out,)
        results = tuple(r if t is None else _write_out(ufunc, t, r) for t, r in zip(targets, results))
    return results if ufunc.nout > 1 else results[0]


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
