"""What tracing changes in the `numpy` namespace: only while a function is traced, and only for its thread.

NumPy's protocols reach the tracer when an argument is a traced array. Three things real programs do
give NumPy no such argument, so `intercepting()` (entered by `tracer.staging.trace` around the call of
the traced function) puts wrappers in place of these `numpy` names:

- creation functions (`np.zeros`, `np.ones`, `np.empty`, `np.full`, `np.eye`, `np.arange`, ...): their
  results become `CreatedArray`s, NumPy arrays that a traced value can later be written into
  (`tracer/numpy_api/created_arrays.py`);
- `np.array`, `np.asarray`, `np.asanyarray`, `np.ascontiguousarray`, `np.asfortranarray` (and the `array`
  that `np.c_`/`np.r_` call): of a traced value, or of lists mixing traced values with numbers and arrays,
  they build a traced array (`tracer/numpy_api/construction.py`);
- every function the tracer implements (`np.sum`, `np.mean`, `np.dot`, `np.linalg.norm` ...): given a list
  holding traced values (`np.sum([a, b])`), which NumPy converts without asking us, the call is retried
  with that list built as a traced array, innermost lists first (so `np.concatenate([[a, b], [c]])` keeps
  its list of arrays). Their NumPy results become CreatedArrays like those of the creation functions;
- the constructors of `np.matrix` and `np.ma.MaskedArray` (behind `np.asmatrix`, `np.ma.array`, `np.ma.sum`
  ...): made from traced values they raise `TracedTypeError` at the user's line, as those arrays do when
  passed in (`tracer.signature.refuse_array_type`), instead of NumPy's bare TypeError from `ndarray.view`.

Each wrapper does exactly what NumPy's function does unless the calling thread is tracing and the caller
is the traced program (not one of the tracer's own implementations: `Trace.library_depth`). Outside
tracing the `numpy` names are NumPy's own objects: the wrappers are installed when a first thread starts
tracing and removed when the last one finishes. Code that took a name before (`from numpy import zeros`
at import time) keeps NumPy's function: its arrays are plain NumPy arrays (a traced write into one raises).
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import threading

import numpy as np
import numpy.lib._index_tricks_impl as _index_tricks  # np.c_ and np.r_ call its module-level `array`

from tracer import errors, numpy_random_guard
from tracer.numpy_api import created_arrays, dispatch
from tracer.numpy_api.construction import array_from, holds_traced
from tracer.numpy_api.created_arrays import CreatedArray
from tracer.numpy_api.registry import HANDLED_FUNCTIONS
from tracer.signature import refuse_array_type
from tracer.trace_state import user_trace

__all__ = ["intercepting", "replaced_names"]

# Functions that make a new array from no array at all (the `*_like` ones and np.copy from a host array).
_CREATION = ("zeros", "ones", "empty", "eye", "identity", "arange", "linspace", "logspace", "geomspace", "tri",
             "indices", "fromfunction", "fromiter", "zeros_like", "ones_like", "empty_like", "full_like", "copy",
             "tril", "triu", "diag", "meshgrid", "vander")


# -- the wrappers ------------------------------------------------------------------------------------------

def _in_lists_resolved(trace, values):
    """Promoted CreatedArrays inside lists (`np.sum([out, b])`) as their traced values: NumPy reads lists'
    arrays through their memory, which after promotion holds old values."""
    if not trace.promoted_memory:
        return values
    return tuple(created_arrays.resolve(v) if type(v) in (list, tuple) else v for v in values)


def _innermost_built(value):
    """(value with its innermost lists that hold traced values built as traced arrays, whether any was)."""
    if type(value) not in (list, tuple) or not holds_traced(value):
        return value, False
    if any(type(v) in (list, tuple) and holds_traced(v) for v in value):
        return type(value)(_innermost_built(v)[0] for v in value), True
    return dispatch.run(array_from, value), True


def _accepting_lists(original):
    """A function the tracer implements, also given lists holding traced values; its NumPy results created here."""

    @functools.wraps(original)
    def call(*args, **kwargs):
        trace = user_trace()
        if trace is None:
            return original(*args, **kwargs)
        given = args, kwargs
        if not (created_arrays.involves_traced(args) or created_arrays.involves_traced(kwargs.values())):
            # Nothing traced: NumPy's own function on plain arrays, with NumPy's own names inside it
            # (`Trace.library_depth`), as `CreatedArray.__array_function__` runs it: np.percentile(2.0, 0)
            # writes into what its inner calls make, which must be plain arrays (fuzz seed 2525, program 2253).
            plain = created_arrays.plain_items
            trace.library_depth += 1
            try:
                result = original(*plain(args), **dict(zip(kwargs, plain(kwargs.values()))))
            finally:
                trace.library_depth -= 1
            return _created(result, given)
        args = _in_lists_resolved(trace, args)
        for _ in range(8):  # (one retry per level of list nesting)
            try:
                result = original(*args, **kwargs)
                break
            except errors.ArrayConversionError:
                built = [_innermost_built(a) for a in args] + [_innermost_built(v) for v in kwargs.values()]
                if not any(changed for _, changed in built):
                    raise
                args = tuple(value for value, _ in built[:len(args)])
                kwargs = dict(zip(kwargs, (value for value, _ in built[len(args):])))
        else:
            raise errors.TracedShapeError("lists nested too deeply to build from traced values")
        return _created(result, given)

    return call


def _created(result, given):
    """NumPy arrays in `result` as CreatedArrays, unless their memory came with the arguments `given`."""
    if type(result) in (np.ndarray, tuple, list):
        args, kwargs = given
        foreign = created_arrays.foreign_owners(args) | created_arrays.foreign_owners(kwargs.values())
        return created_arrays.adopt(result, foreign)
    return result


def _array_maker(original, *, copy: bool | None, ndmin: int = 0):
    """np.array and friends: `copy` is the function's default (np.array copies, np.asarray only if needed);
    `ndmin` the least number of dims of its result (np.ascontiguousarray makes 0-d arrays 1-d)."""

    @functools.wraps(original)
    def make(obj, *args, **kwargs):
        trace = user_trace()
        if trace is None:
            return original(obj, *args, **kwargs)
        if type(obj) is CreatedArray:
            traced = created_arrays.traced_of(obj)
            obj = obj if traced is None else traced
        elif trace.promoted_memory and type(obj) in (list, tuple):
            obj = created_arrays.resolve(obj)
        if not holds_traced(obj):
            try:
                return _created(original(obj, *args, **kwargs), ((obj,), {}))
            except errors.ArrayConversionError:
                pass  # a traced value deeper inside (a tuple in a list ...): built below
        dtype = kwargs.get("dtype", args[0] if args else None)
        return dispatch.run(array_from, obj, dtype, copy=kwargs.get("copy", copy),
                            ndmin=max(kwargs.get("ndmin", 0), ndmin), numpy_array=_NUMPY_ARRAY)

    return make


def _full(original):
    @functools.wraps(original)
    def full(shape, fill_value, dtype=None, order="C", **kwargs):
        trace = user_trace()
        if trace is None or not holds_traced(created_arrays.resolve(fill_value)):
            return _created(original(shape, fill_value, dtype, order, **kwargs), ((), {}))
        shape = (shape,) if isinstance(shape, int) else tuple(shape)
        fill = dispatch.run(array_from, created_arrays.resolve(fill_value), dtype, copy=None, numpy_array=_NUMPY_ARRAY)
        return np.copy(np.broadcast_to(fill, shape))

    return full


def _refusing_traced(cls):
    """`cls.__new__` that raises (`refuse_array_type`) when made from traced values: NumPy's constructor would
    fail in `ndarray.view` with a TypeError that names no line of the user's."""
    original = cls.__new__

    def new(subtype, *args, **kwargs):
        if user_trace() is not None and any(holds_traced(created_arrays.resolve(v)) for v in (*args, *kwargs.values())):
            refuse_array_type(subtype, made_from_traced=True)
        return original(subtype, *args, **kwargs)

    return staticmethod(functools.wraps(original)(new))  # (as Python stores every __new__)


_NUMPY_ARRAY = np.array


def _replacements() -> list[tuple[object, str, object]]:
    """(module, name, wrapper) for every name replaced while tracing."""
    found = [(np, "array", _array_maker(np.array, copy=True)),
             (_index_tricks, "array", _array_maker(_index_tricks.array, copy=True)),
             (np, "asarray", _array_maker(np.asarray, copy=None)),
             (np, "asanyarray", _array_maker(np.asanyarray, copy=None)),
             (np, "ascontiguousarray", _array_maker(np.ascontiguousarray, copy=None, ndmin=1)),
             (np, "asfortranarray", _array_maker(np.asfortranarray, copy=None, ndmin=1)),
             (np, "full", _full(np.full)),
             (np.matrix, "__new__", _refusing_traced(np.matrix)),
             (np.ma.MaskedArray, "__new__", _refusing_traced(np.ma.MaskedArray))]
    taken = {id(getattr(module, name)) for module, name, _ in found}
    functions = [getattr(np, name) for name in _CREATION] + list(HANDLED_FUNCTIONS)
    for function in functions:
        module = np.linalg if getattr(function, "__module__", "") == "numpy.linalg" else np
        name = getattr(function, "__name__", None)
        if name and id(function) not in taken and getattr(module, name, None) is function:
            taken.add(id(function))
            found.append((module, name, _accepting_lists(function)))
    return found


# -- installing them -----------------------------------------------------------------------------------------

_lock = threading.Lock()
_tracing_threads = 0
_installed: list[tuple[object, str, object, object]] = []  # (module, name, NumPy's object, wrapper)
_REPLACEMENTS: list | None = None


def replaced_names() -> list[str]:
    """The `numpy` names that behave differently while a function is traced."""
    return sorted(f"{_qualified_name(module)}.{name}" for module, name, _ in _replacements_once())


def _qualified_name(owner) -> str:
    """A module's name, or a class's with its module's (`numpy.ma.core.MaskedArray`)."""
    return f"{owner.__module__}.{owner.__qualname__}" if isinstance(owner, type) else owner.__name__


def _replacements_once():
    global _REPLACEMENTS
    if _REPLACEMENTS is None:
        _REPLACEMENTS = _replacements()
    return _REPLACEMENTS


def _stored(owner, name: str):
    """What `owner` (a module or a class) holds under `name`, as stored: a class's __new__ is a staticmethod there,
    and must be put back as one. Its own __dict__ first: inspect.getattr_static for every name cost ~4 ms a trace."""
    own = vars(owner)
    return own[name] if name in own else inspect.getattr_static(owner, name)


@contextlib.contextmanager
def intercepting():
    """While the body runs (the traced function), NumPy's names are replaced as the module docstring says."""
    global _tracing_threads
    with _lock:
        if _tracing_threads == 0:
            for module, name, wrapper in _replacements_once():
                _installed.append((module, name, _stored(module, name), wrapper))
                setattr(module, name, wrapper)
            numpy_random_guard.install()
        _tracing_threads += 1
    try:
        yield
    finally:
        with _lock:
            _tracing_threads -= 1
            if _tracing_threads == 0:
                for module, name, original, wrapper in reversed(_installed):
                    if _stored(module, name) is wrapper:  # (unless someone replaced it meanwhile)
                        setattr(module, name, original)
                _installed.clear()
                numpy_random_guard.uninstall()
