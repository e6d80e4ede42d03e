"""`TracedArray`: the stand-in for a NumPy array while a function is traced.

It records every NumPy call made on it as StableHLO ops in the active trace.
Python operators route through the NumPy ufuncs (`x + y` is `np.add(x, y)`),
so there is exactly one implementation of each operation: the registry in
`tracer/numpy_api/`. A TracedArray never turns into a Python or NumPy value:
`bool`, `int`, `float` and `np.asarray` on it raise `ConcretizationError`.

Value semantics: `x[i] = v` and `x += y` rebind the array's traced value, so
every Python reference to this TracedArray sees the update, as with NumPy.

Views: where NumPy returns a view (basic slicing, transposes...), the result
remembers its parent and how it was derived. A write into either side is
replayed on the other (`rebind`), so `row = x[0]; row[:] = 1` changes x and
`x[0] = 1` changes `row`, exactly as NumPy's shared memory would.
"""

from __future__ import annotations

import builtins
import math
import weakref

import numpy as np

from ir import dtypes
from tracer import errors
from tracer.signature import refuse_array_type
from tracer.trace_state import at_user_line, current_trace

__all__ = ["TracedArray", "View", "check_alive", "check_writable", "is_traced", "make_view", "rebind"]


class TracedArray:
    __slots__ = ("_value", "_trace", "_scope", "_weak", "_element", "shape", "dtype", "_base", "_views", "__weakref__")
    __hash__ = None  # like np.ndarray: mutable, so unhashable

    def __init__(self, value, trace, shape=None, dtype=None):
        if shape is None or dtype is None:
            shape, dtype = dtypes.shape_and_dtype(value)
        self._value = value
        self._trace = trace
        self._scope = trace.scope if trace is not None else None
        # A loop index stands for a Python int: weak in NumPy's promotion (NEP 50), so `i * x` keeps x's dtype.
        self._weak = False
        # An element read with an int per dim (`v = y[0]`) stands for a NumPy scalar: a copy, not a view, whose
        # in-place operators rebind the name (`v += 1` is `v = v + 1`, NumPy's promotion) instead of writing.
        self._element = False
        self._base: View | None = None  # set on views: how this array reads and writes its parent
        self._views: list | None = None  # weak references to the views taken of this array
        self.shape: tuple[int, ...] = tuple(shape)
        self.dtype: np.dtype = np.dtype(dtype)

    # -- array attributes -------------------------------------------------
    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    @property
    def T(self) -> "TracedArray":
        return np.transpose(self)

    @property
    def mT(self) -> "TracedArray":
        return np.swapaxes(self, -1, -2)

    def __len__(self) -> int:
        if not self.shape:
            raise errors.TracedTypeError("len() of a 0-d traced array", fix="use .shape or .size")
        return self.shape[0]

    def __iter__(self):
        if not self.shape:
            raise errors.TracedTypeError("iteration over a 0-d traced array")
        return (self[i] for i in range(self.shape[0]))

    def __repr__(self) -> str:
        dims = ",".join(str(d) for d in self.shape)
        return f"TracedArray<{dtypes.short_name(self.dtype)}[{dims}]>"

    # -- NumPy protocols: everything funnels into the registry -------------
    # `__array_ufunc__`, `__array_function__`, `__getitem__` and `__setitem__` are installed by
    # `tracer/numpy_api/dispatch.py`: they run the NumPy implementations, which build TracedArrays
    # and so sit above this module (importing `tracer` installs them).

    def __array__(self, dtype=None, copy=None):
        raise errors.ArrayConversionError(
            f"a traced value ({self!r}) cannot become a NumPy array while its function is being traced",
            fix="use NumPy functions on it directly (they are traced); to write it into an array, make that array "
                "inside the traced function (np.zeros, np.empty, np.array(...): a NumPy array from outside, a global "
                "or a closure's, cannot change); or return it from the jit function and convert the result",
        )

    # -- no escape to Python values ----------------------------------------
    def _refuse(self, what: str, fix: str):
        raise errors.ConcretizationError(
            f"{what} of a traced value ({self!r}): its value is only known when the compiled code runs",
            fix=fix,
        )

    def __bool__(self):
        if self.size != 1:  # (known while tracing: NumPy's own error, whatever the values)
            with at_user_line():
                raise errors.TracedShapeError(_AMBIGUOUS_TRUTH_EMPTY if self.size == 0 else _AMBIGUOUS_TRUTH_MANY,
                                              fix="reduce it first: x.any() or x.all() (x.size > 0 for emptiness)")
        self._refuse(
            "Python `if`/`while`/`and`/`or`/bool()",
            "select values with np.where(cond, a, b); branch with tracer.cond / loop with tracer.while_loop, "
            "or decorate the function with @tracer.trace to keep Python if/for/while; mark the argument "
            "static (static_argnums) if it is configuration",
        )

    def __int__(self):
        self._refuse("int()", "keep it an array (x.astype(np.int64)), or make the argument static")

    def __float__(self):
        self._refuse("float()", "keep it an array (x.astype(np.float64)), or make the argument static")

    def __complex__(self):
        self._refuse("complex()", "keep it an array")

    def __index__(self):
        self._refuse("use as a Python index", "use a Python int or a static argument as the index")

    # -- methods that mirror np.ndarray's ------------------------------------
    def astype(self, dtype, copy=True):
        return np.astype(self, dtype)

    def reshape(self, *shape, order="C"):
        shape = shape[0] if len(shape) == 1 and not isinstance(shape[0], int) else shape
        return np.reshape(self, shape, order=order)

    def transpose(self, *axes):
        axes = axes[0] if len(axes) == 1 and not isinstance(axes[0], int) else (axes or None)
        return np.transpose(self, axes)

    def ravel(self, order="C"):
        return np.ravel(self, order=order)

    def flatten(self, order="C"):
        return np.ravel(self, order=order)

    def squeeze(self, axis=None):
        return np.squeeze(self, axis=axis)

    def swapaxes(self, axis1, axis2):
        return np.swapaxes(self, axis1, axis2)

    def dot(self, other, out=None):
        return np.dot(self, other, out)

    def copy(self, order="C"):
        return np.copy(self)

    def __copy__(self):
        return np.copy(self)

    def __deepcopy__(self, memo):
        return np.copy(self)

    # (sum, mean, var, argmax, cumsum, clip, take ...: `_forwarded` below, NumPy's functions of the array)

    def sort(self, axis=-1, kind=None, order=None, *, stable=None):
        """In place, as ndarray.sort: the array takes its sorted value."""
        rebind(check_writable(self), np.sort(self, axis=axis, kind=kind, order=order, stable=stable)._value)

    def fill(self, value):
        """In place, as ndarray.fill: every element takes `value` (cast to the array's dtype)."""
        rebind(check_writable(self), np.full_like(self, value)._value)

    def conj(self):
        """np.conjugate of the array: the array itself when it is real."""
        return self if self.dtype.kind != "c" else np.conjugate(self)

    conjugate = conj

    @property
    def real(self) -> "TracedArray":
        return np.real(self)

    @property
    def imag(self) -> "TracedArray":
        return np.imag(self)

    @property
    def itemsize(self) -> int:
        return self.dtype.itemsize

    @property
    def nbytes(self) -> int:
        return self.size * self.dtype.itemsize

    def item(self, *args):
        self._refuse("item()", "keep it an array (index it: x[i] or x[()]), or return it from the jit function "
                               "and call .item() on the result")

    def tolist(self):
        self._refuse("tolist()", "keep it an array (it is traced), or return it from the jit function and call "
                                 ".tolist() on the result")

    def __getattr__(self, name):
        # Only for names found nowhere else: an ndarray attribute we do not trace gets an error naming the line.
        if not name.startswith("__") and hasattr(np.ndarray, name):
            raise self._unsupported(name)
        raise AttributeError(f"'TracedArray' object has no attribute '{name}'")

    def view(self, dtype=None, type=None):
        """Not supported, but a view as np.matrix or a masked array (np.ma.masked_where makes its result so)
        says that those cannot be traced, rather than that `view` is missing."""
        for cls in (dtype, type):
            if isinstance(cls, builtins.type) and issubclass(cls, np.ndarray):
                refuse_array_type(cls, made_from_traced=True)
        raise self._unsupported("view")

    def _unsupported(self, name: str) -> errors.UnsupportedMethodError:
        return errors.UnsupportedMethodError(
            f"ndarray.{name} is not supported under tracing ({self!r})",
            fix="see tracer.numpy_coverage() for the NumPy functions that trace, and use one of them")


# ndarray methods that are NumPy's functions of the array, with the same arguments after it.
_FORWARDED = {"sum": np.sum, "prod": np.prod, "mean": np.mean, "max": np.max, "min": np.min, "any": np.any,
              "all": np.all, "var": np.var, "std": np.std, "argmax": np.argmax, "argmin": np.argmin,
              "argsort": np.argsort, "clip": np.clip, "cumsum": np.cumsum, "cumprod": np.cumprod, "round": np.round,
              "repeat": np.repeat, "take": np.take, "trace": np.trace, "diagonal": np.diagonal, "searchsorted": np.searchsorted, "put": np.put, "nonzero": np.nonzero,
              "choose": np.choose}


def _forwarded(name, function):
    def method(self, *args, **kwargs):
        return function(self, *args, **kwargs)

    method.__name__ = name
    method.__doc__ = f"`np.{function.__name__}(x, ...)`, as ndarray.{name}."
    return method


for _name, _function in _FORWARDED.items():
    setattr(TracedArray, _name, _forwarded(_name, _function))
TracedArray.compress = lambda self, condition, axis=None, out=None: np.compress(condition, self, axis, out)
del _name, _function


def _binary(ufunc):
    return (lambda self, other: ufunc(self, other)), (lambda self, other: ufunc(other, self))


def _inplace(ufunc):
    def method(self, other):
        if self._element:  # A NumPy scalar has no in-place operators: Python's `v = v + w` may change the dtype.
            return ufunc(self, other)
        _refuse_unsafe_cast(ufunc, self, other)
        return ufunc(self, other, out=self)

    return method


# Python numbers promote by kind (NEP 50): NumPy's resolve_dtypes takes their types as weak operands (bool is
# no weak kind there: it is the bool dtype).
_WEAK_TYPES = {"b": np.dtype(bool), "i": int, "u": int, "f": float, "c": complex}


# NumPy's messages for bool() of an array that is not one element.
_AMBIGUOUS_TRUTH_EMPTY = ("The truth value of an empty array is ambiguous. Use `array.size > 0` to check that an "
                          "array is not empty.")
_AMBIGUOUS_TRUTH_MANY = ("The truth value of an array with more than one element is ambiguous. Use a.any() or "
                         "a.all()")


def _refuse_unsafe_cast(ufunc, target: TracedArray, other) -> None:
    """`x += y` is `ufunc(x, y, out=x)`, and NumPy resolves the loop's dtypes, output casting included, before it
    broadcasts: a result it cannot write into x (`uint8 += float64`) is its UFuncTypeError whatever the shapes."""
    if type(other) is TracedArray:
        operand = _WEAK_TYPES.get(other.dtype.kind, other.dtype) if other._weak else other.dtype
    elif type(other) in (int, float, complex):
        operand = type(other)
    elif type(other) is bool:
        operand = np.dtype(bool)
    else:
        try:
            operand = np.asarray(other).dtype
        except Exception:  # noqa: BLE001  (not an array: the ufunc's own path says what is wrong with it)
            return
    try:
        result = ufunc.resolve_dtypes((target.dtype, operand, None))[-1]
    except (TypeError, ValueError):  # (no loop for these dtypes: the ufunc's path raises its own error)
        return
    if not np.can_cast(result, target.dtype, casting="same_kind"):
        with at_user_line():
            raise errors.TracedTypeError(
                f"Cannot cast ufunc '{ufunc.__name__}' output from {result!r} to {target.dtype!r} with casting rule "
                "'same_kind'", fix=f"write `x = x.astype({result})` first, or compute out of place")


# Operators are the NumPy ufuncs: one implementation, NumPy's dtype rules.
for _name, _ufunc in {
    "add": np.add, "sub": np.subtract, "mul": np.multiply, "truediv": np.true_divide,
    "floordiv": np.floor_divide, "mod": np.remainder, "pow": np.power, "matmul": np.matmul,
    "and": np.bitwise_and, "or": np.bitwise_or, "xor": np.bitwise_xor,
    "lshift": np.left_shift, "rshift": np.right_shift, "divmod": np.divmod,
}.items():
    _forward, _reflected = _binary(_ufunc)
    setattr(TracedArray, f"__{_name}__", _forward)
    setattr(TracedArray, f"__r{_name}__", _reflected)
    if _ufunc.nout == 1:  # (Python has no in-place divmod)
        setattr(TracedArray, f"__i{_name}__", _inplace(_ufunc))

for _name, _ufunc in {"lt": np.less, "le": np.less_equal, "gt": np.greater, "ge": np.greater_equal,
                      "eq": np.equal, "ne": np.not_equal}.items():
    setattr(TracedArray, f"__{_name}__", _binary(_ufunc)[0])

for _name, _ufunc in {"neg": np.negative, "pos": np.positive, "abs": np.absolute, "invert": np.invert}.items():
    setattr(TracedArray, f"__{_name}__", lambda self, _u=_ufunc: _u(self))

def _power(self, other):
    # NumPy's array power takes a fast path for a Python 2: np.square (bool ** 2 is int8, not int64).
    return np.square(self) if type(other) is int and other == 2 else np.power(self, other)


TracedArray.__pow__ = _power

del _name, _ufunc, _forward, _reflected


def is_traced(x) -> bool:
    return type(x) is TracedArray


def check_alive(x: TracedArray) -> TracedArray:
    """Refuse a TracedArray from a finished trace, or from a closed control-flow region."""
    if x._trace is not current_trace():
        raise errors.EscapedTracerError(
            f"{x!r} belongs to a trace that has already finished (it leaked out of a traced function, "
            "e.g. through a global, a closure or a list)",
            fix="return traced values from the jit function, and pass arrays in as arguments",
        )
    if x._scope.closed:
        raise errors.EscapedTracerError(
            f"{x!r} was computed inside {x._scope.description} and is used outside it",
            fix="return it from the branch or loop body (or use @tracer.trace, which carries such variables)",
        )
    return x


def check_writable(x: TracedArray) -> TracedArray:
    """Refuse an in-place write inside a control-flow region to an array defined outside it."""
    check_alive(x)
    scope = x._trace.scope
    if x._scope is not scope:
        raise errors.TracerError(
            f"an in-place update inside {scope.description} would change {x!r}, "
            f"which was defined outside it in {x._scope.description}",
            fix="return the new value from the branch or loop body instead (or use @tracer.trace, "
                "which turns such variables into carried values)",
        )
    return x


class View:
    """How a view relates to its parent: `read(parent)` derives the view's value, and
    `write(parent, view)` gives the parent's value with the view's elements written back."""

    __slots__ = ("parent", "read", "write")

    def __init__(self, parent: TracedArray, read, write):
        self.parent, self.read, self.write = parent, read, write


def make_view(parent: TracedArray, view: TracedArray, read, write) -> TracedArray:
    """Mark `view` (already computed as `read(parent)`) as sharing `parent`'s elements."""
    if view is parent:  # (no-op shape functions return their argument: already the same array)
        return view
    view._base = View(parent, read, write)
    if parent._views is None:
        parent._views = []
    else:  # drop references to views that no longer exist, so the list stays short in long traces
        parent._views = [ref for ref in parent._views if ref() is not None]
    parent._views.append(weakref.ref(view))
    return view


def rebind(x: TracedArray, value) -> None:
    """Give x a new traced value (an in-place write), and replay it on every array sharing x's elements."""
    if x._base is not None and x._base.write is None:
        raise errors.TracedShapeError(
            "assignment destination is read-only (in NumPy this array is a read-only view: a broadcast or a diagonal)",
            fix="write into a copy: y = x.copy()",
        )
    x._value = value
    _refresh_views(x, skip=None)
    child = x
    while child._base is not None:
        parent = child._base.parent
        check_writable(parent)  # (a view taken inside a loop body of an array from outside it)
        parent._value = child._base.write(parent, child)._value
        _refresh_views(parent, skip=child)
        child = parent


def _refresh_views(x: TracedArray, skip) -> None:
    if not x._views:
        return
    for ref in x._views:
        view = ref()
        if view is None or view is skip or view._scope.closed:
            continue
        view._value = view._base.read(x)._value
        _refresh_views(view, skip=None)
