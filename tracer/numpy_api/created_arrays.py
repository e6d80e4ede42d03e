"""Arrays that NumPy creates inside a traced function, and traced values written into them.

`out = np.zeros((n, d)); out[i] = h @ w` is how NumPy programs fill buffers. While a function is
traced, NumPy's creation functions (`np.zeros`, `np.array`, ...: `tracer/numpy_namespace.py`) return a
`CreatedArray`, an `np.ndarray` subclass that is an ordinary NumPy array (its shape, `int(...)` of its
elements and Python `if`s on them all work as in NumPy) until a traced value is written into it:
`out[i] = traced`, `out += traced`, `np.add.at(out, idx, traced)`, `np.copyto(out, traced)`,
`ufunc(..., out=out)`, `out.fill(traced)`. That write *promotes* the memory the array owns: a TracedArray
(a constant of the elements so far, then the write) stands for it from then on, and every CreatedArray over
that memory (the array and its views) hands each NumPy call, method and operator to its traced value.

Memory, not an array object, is promoted, because views share it: after `row = out[0]`, a traced write
through `out` or `row` shows in both, as NumPy's shared memory would. `Trace.created_memory` holds, per
array owning memory made while the function ran, where it was made (its control-flow scope) and its
traced value once promoted; a view reads and writes its elements at their positions in that memory
(`make_view`, a gather and a scatter; the array owning the memory is its traced value itself).

Reading a CreatedArray together with traced values (`created * traced`, `created[traced_index]`) does not
promote it: NumPy reads its elements as they are then (a constant), and it stays a host array. Indexing it
with traced scalar positions does promote it, since NumPy returns a view that later writes go through.

Limits: a NumPy array made before tracing began (a global, a closure's array) or by a function NumPy does
not let us replace (`from numpy import zeros` at import time) is not a CreatedArray: a traced write into it
raises `ConcretizationError`, as it must (NumPy would change memory the compiled function cannot reach).
A promoted array read by code that bypasses NumPy's protocols (the buffer protocol, `memoryview`, a
C extension) sees its host elements from before the first traced write.
"""

from __future__ import annotations

import math

import numpy as np

from tracer import errors
from tracer import primitives as P
from tracer.numpy_api import advanced_indexing as adv
from tracer.numpy_api.masked import MaskedSelection
from tracer.trace_state import current_trace
from tracer.traced_array import TracedArray, check_alive, make_view

__all__ = ["CreatedArray", "Memory", "adopt", "foreign_owners", "involves_traced", "needs_resolving", "plain",
           "plain_items", "promote", "resolve", "traced_of"]


class Memory:
    """One array's memory, made by a NumPy call while a function was traced: where (`scope`), and the
    traced value standing for all its elements once a traced value was written into it (else None)."""

    __slots__ = ("owner", "scope", "traced")

    def __init__(self, owner: np.ndarray, scope):
        self.owner, self.scope, self.traced = owner, scope, None


class CreatedArray(np.ndarray):
    """An array NumPy made while a function was traced; see the module docstring.

    Until a traced value is written into its memory it is the NumPy array it looks like; afterwards
    it stands for that memory's traced value. Its NumPy protocols (`__array_ufunc__`,
    `__array_function__`) are installed by `tracer/numpy_api/dispatch.py`.
    """

    def __array_finalize__(self, obj):
        trace = getattr(obj, "_trace", None) or current_trace()
        self._trace = trace
        self._traced = None  # this array's view of its memory's traced value, once looked up
        if trace is not None and _BASE(self) is None:  # memory of its own (a copy, astype): made here
            trace.created_memory.setdefault(id(self), Memory(self, trace.scope))


_BASE = np.ndarray.base.__get__


def _owner(array: np.ndarray) -> np.ndarray:
    """The array that owns `array`'s memory (itself, or the end of its chain of bases)."""
    while True:
        base = _BASE(array)
        if not isinstance(base, np.ndarray):
            return array
        array = base


def plain(value):
    """A CreatedArray as the plain ndarray over the same memory; anything else as it is."""
    return value.view(np.ndarray) if type(value) is CreatedArray else value


def plain_items(values) -> list:
    """`values` with each CreatedArray among them (in lists and tuples too) as the plain ndarray over its memory."""
    items = []
    for value in values:
        kind = type(value)
        if kind is CreatedArray:
            value = value.view(np.ndarray)
        elif (kind is list or kind is tuple) and any(type(v) is CreatedArray or type(v) in (list, tuple) for v in value):
            value = kind(plain_items(value))
        items.append(value)
    return items


def traced_of(array: CreatedArray) -> TracedArray | None:
    """The traced value `array` stands for, or None while its memory holds host values only."""
    traced = array._traced
    if traced is not None:
        return traced
    trace = array._trace
    if trace is None:
        return None
    owner = _owner(array)
    memory = trace.created_memory.get(id(owner))
    if memory is None or memory.traced is None:
        return None
    traced = _element_view(memory.traced, array, owner)
    array._traced = traced
    return traced


def promote(array: CreatedArray) -> TracedArray:
    """`array`'s traced value, promoting its memory first if it holds host values: a traced value is
    about to be written into it."""
    traced = traced_of(array)
    if traced is not None:
        return check_alive(traced)
    trace = current_trace()
    if array._trace is not trace:
        raise errors.ConcretizationError(
            "a traced value cannot be written into a NumPy array made by an earlier traced function",
            fix="make the array inside the function that writes into it")
    owner = _owner(array)
    memory = trace.created_memory.get(id(owner))
    if memory is None:  # (memory of an array NumPy made without a creation function: a view's owner)
        memory = trace.created_memory[id(owner)] = Memory(owner, trace.scope)
    if memory.scope is not trace.scope:
        raise errors.TracerError(
            f"a traced value written inside {trace.scope.description} would change a NumPy array made outside "
            f"it, in {memory.scope.description}",
            fix="make the array inside the branch or loop body, or carry it as a value (return it from the body, "
                "or use @tracer.trace, which carries such variables)")
    trace.library_depth += 1
    try:
        memory.traced = P.constant(np.ascontiguousarray(owner.view(np.ndarray)))
        trace.promoted_memory += 1
        return traced_of(array)
    finally:
        trace.library_depth -= 1


def _element_view(whole: TracedArray, array: CreatedArray, owner: np.ndarray) -> TracedArray:
    """The traced elements of `array`, a view of `owner`'s memory whose traced value is `whole`,
    linked to it so that a write through either side shows in the other."""
    start = array.__array_interface__["data"][0] - owner.__array_interface__["data"][0]
    if array.shape == owner.shape and array.strides == owner.strides and start == 0 and array.dtype == owner.dtype:
        return whole
    trace = whole._trace
    trace.library_depth += 1
    try:
        positions = _positions(array, owner, start)
        flat = lambda parent: P.reshape(parent, (parent.size,))  # noqa: E731
        read = lambda parent: adv.gather(flat(parent), [0], [adv.Advanced(positions)])  # noqa: E731
        write = lambda parent, view: adv.scatter_flat(parent, positions, view)  # noqa: E731
        return make_view(whole, read(whole), read, write)
    finally:
        trace.library_depth -= 1


def _positions(array: np.ndarray, owner: np.ndarray, start: int) -> np.ndarray:
    """Each element of `array` as the C-order position of the same element of `owner`."""
    itemsize = owner.itemsize
    if array.dtype != owner.dtype or start % itemsize or any(s % itemsize for s in array.strides):
        raise errors.UnsupportedNumPyError(
            f"a view of an array as another dtype ({owner.dtype} viewed as {array.dtype}) cannot hold traced values",
            fix="convert with .astype(...) instead of .view(...)")
    if math.prod(array.shape) == 0:
        return np.zeros(array.shape, np.intp)
    if any(s < 0 for s in owner.strides) or not (owner.flags.c_contiguous or owner.flags.f_contiguous):
        raise errors.UnsupportedNumPyError(
            "a traced value cannot be written into an array whose memory is not contiguous",
            fix="make a contiguous copy first: np.ascontiguousarray(x)")
    # The owner's memory, element by element, holding each element's C-order position.
    in_memory = np.empty(owner.size, np.intp)
    step = in_memory.itemsize
    np.lib.stride_tricks.as_strided(in_memory, owner.shape, [s // itemsize * step for s in owner.strides])[...] = (
        np.arange(owner.size).reshape(owner.shape))
    return np.lib.stride_tricks.as_strided(in_memory[start // itemsize:], array.shape,
                                           [s // itemsize * step for s in array.strides]).copy()


def adopt(value, foreign: frozenset = frozenset()):
    """A NumPy call's result, made while tracing, with each ndarray in it as a CreatedArray, unless its
    memory is `foreign` (ids of arrays owning memory made before: a view of a global stays a plain view)."""
    kind = type(value)
    if kind is np.ndarray or kind is CreatedArray:
        trace = current_trace()
        owner = _owner(value)
        if id(owner) in foreign or trace is None:
            return value
        if id(owner) not in trace.created_memory:
            trace.created_memory[id(owner)] = Memory(owner, trace.scope)
        return value if kind is CreatedArray else value.view(CreatedArray)
    if kind is tuple or kind is list:
        return kind(adopt(v, foreign) for v in value)
    return value


def foreign_owners(values) -> frozenset:
    """Ids of the arrays owning the memory of the plain (not created) ndarrays among `values`, in lists too."""
    found = set()
    for value in values:
        kind = type(value)
        if kind is np.ndarray:
            found.add(id(_owner(value)))
        elif kind is list or kind is tuple:
            found |= foreign_owners(value)
        elif kind is dict:
            found |= foreign_owners(value.values())
    return frozenset(found)


# Types that stand for traced values.
TRACED_KINDS = frozenset({TracedArray, MaskedSelection})


def involves_traced(values) -> bool:
    """Whether `values` (in lists, tuples and dicts too) hold a traced value or a promoted CreatedArray."""
    for value in values:
        kind = type(value)
        if kind in TRACED_KINDS:
            return True
        if kind is CreatedArray:
            if traced_of(value) is not None:
                return True
        elif kind is list or kind is tuple:
            if involves_traced(value):
                return True
        elif kind is dict:
            if involves_traced(value.values()):
                return True
    return False


# What needs no resolving: traced values and the Python values that are arguments of NumPy calls.
_AS_THEY_ARE = frozenset({TracedArray, int, float, bool, complex, str, slice, type(None), type(Ellipsis), np.dtype})


def needs_resolving(values) -> bool:
    """Whether any of `values` may hold a created array or a selection (a fast test of types only)."""
    for value in values:
        if type(value) not in _AS_THEY_ARE:
            return True
    return False


def resolve(value, *, write: bool = False):
    """`value` for the tracer's implementations: a CreatedArray becomes its traced value (promoted first
    when `write`: the call writes into it) or, holding host values, the plain ndarray over its memory;
    lists and tuples are resolved item by item (rebuilt only if something changed)."""
    kind = type(value)
    if kind is CreatedArray:
        if write:
            return promote(value)
        traced = traced_of(value)
        return value.view(np.ndarray) if traced is None else traced
    if (kind is list or kind is tuple) and needs_resolving(value):
        items = [resolve(v) for v in value]
        if any(a is not b for a, b in zip(items, value)):
            return kind(items)
    return value


# -- ndarray's methods and attributes, handed to the traced value once promoted ------------------------

# Methods that write into the array: given a traced value, they promote it first.
_WRITING = {"__setitem__", "fill", "put", "sort", "partition", "itemset", "resize", "setfield", "byteswap"}
# Neither forwarded nor wrapped: NumPy's protocols (installed by dispatch), class machinery, and what the
# operators do (they call ufuncs, so `__array_ufunc__` sees them).
_KEEP = {"__array_finalize__", "__array_function__", "__array_ufunc__", "__array_wrap__", "__class_getitem__",
         "__init_subclass__", "__new__", "__subclasshook__", "__len__", "__sizeof__", "__setstate__", "__doc__",
         "__hash__", "__array_priority__", "__array_interface__", "__array_struct__"}
_FORWARDED_SPECIAL = {"__getitem__", "__setitem__", "__delitem__", "__iter__", "__bool__", "__int__", "__float__",
                      "__complex__", "__index__", "__contains__", "__repr__", "__str__", "__format__", "__copy__",
                      "__deepcopy__", "__reduce__", "__reduce_ex__", "__array__", "__dlpack__", "__dlpack_device__",
                      "__array_namespace__"}
# Properties whose values promotion changes (the rest, shape, dtype, strides ..., describe the same array).
_FORWARDED_PROPERTIES = {"T", "mT", "real", "imag", "flat", "data", "ctypes", "device"}


def _traced_attribute(traced: TracedArray, name: str):
    try:
        return getattr(traced, name)
    except AttributeError:
        raise errors.UnsupportedNumPyError(
            f"ndarray.{name.strip('_')} of an array holding traced values is not supported under tracing",
            fix="see tracer.numpy_coverage() for the NumPy functions that trace") from None


def _makes_view(index) -> bool:
    """Whether indexing with `index` (holding a traced value) returns a view in NumPy: traced scalar positions
    among basic items (ints, slices, None, ...), not arrays."""
    items = index if type(index) is tuple else (index,)
    return all(type(i) is not TracedArray or (i.ndim == 0 and i.dtype != np.bool_) for i in items) and not any(
        isinstance(i, (list, np.ndarray)) for i in items)


def _forwarding_method(name: str, host):
    writes = name in _WRITING

    def method(self, *args, **kwargs):
        traced = traced_of(self)
        if traced is None:
            if not involves_traced(args) and not involves_traced(kwargs.values()):
                return _host_call(name, host, self, args, kwargs)
            if writes or (name == "__getitem__" and _makes_view(args[0])):
                traced = promote(self)
            else:  # a read with traced arguments: of the elements as they are now, as NumPy reads them
                traced = P.lift(np.ascontiguousarray(self.view(np.ndarray)))
        args = tuple(resolve(a) for a in args)
        kwargs = {k: resolve(v) for k, v in kwargs.items()}
        return _traced_attribute(check_alive(traced), name)(*args, **kwargs)

    method.__name__ = name
    method.__doc__ = host.__doc__
    return method


def _host_call(name, host, self, args, kwargs):
    if name in ("__repr__", "__reduce__", "__reduce_ex__"):  # as NumPy shows and pickles a plain array
        return host(self.view(np.ndarray), *args, **kwargs)
    return host(self, *args, **kwargs)


def _forwarding_property(name: str, descriptor):
    def get(self):
        traced = traced_of(self)
        if traced is None:
            return descriptor.__get__(self)
        return _traced_attribute(check_alive(traced), name)

    def set_(self, value):
        if traced_of(self) is None and not involves_traced((value,)):
            descriptor.__set__(self, value)
            return
        raise errors.UnsupportedNumPyError(f"setting ndarray.{name} of an array holding traced values is not "
                                           "supported under tracing", fix="compute a new array instead")

    return property(get, set_, doc=descriptor.__doc__)


def _set_shape(self, value):
    if traced_of(self) is not None:
        raise errors.UnsupportedNumPyError("setting .shape of an array holding traced values is not supported under "
                                           "tracing", fix="x = x.reshape(new_shape)")
    _SHAPE.__set__(self, value)


_SHAPE = np.ndarray.__dict__["shape"]
for _name, _attribute in vars(np.ndarray).items():
    if _name in _KEEP:
        continue
    if _name in _FORWARDED_PROPERTIES:
        setattr(CreatedArray, _name, _forwarding_property(_name, _attribute))
    elif callable(_attribute) and (not _name.startswith("__") or _name in _FORWARDED_SPECIAL):
        setattr(CreatedArray, _name, _forwarding_method(_name, _attribute))
CreatedArray.shape = property(_SHAPE.__get__, _set_shape, doc=_SHAPE.__doc__)
del _name, _attribute
P.TRACED_VALUE_OF[CreatedArray] = traced_of
