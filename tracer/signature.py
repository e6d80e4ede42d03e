"""Arguments -> (array leaves, static rest) and the cache key of one call signature.

Array leaves (NumPy arrays and scalars, ConcreteArray, jax.Array, ArraySpec)
become traced arguments and enter the key by shape and dtype (and, for a ConcreteArray
split over several devices, its sharding); every other leaf
is static and enters the key by type and value, so it must be hashable.
"""

from __future__ import annotations

import inspect
import math
import operator
from dataclasses import dataclass
from typing import Any

import jax
import numpy as np
from jax import tree_util

from ir import dtypes
from runtime import ConcreteArray
from tracer import errors

__all__ = ["ArraySpec", "describe_call", "flatten", "is_array_leaf", "is_placed", "leaf_key", "leaf_keys", "merge_static",
           "refuse_array_subclass", "refuse_array_type", "split_static", "without_placement"]


@dataclass(frozen=True, init=False)
class ArraySpec:
    """Shape and dtype of an array argument without data: enough to trace and compile (like jax.ShapeDtypeStruct)."""

    shape: tuple[int, ...]
    dtype: Any

    def __init__(self, shape, dtype):
        # (written out, not generated: a dataclass's generated __init__ is a `<string>` frame, which an
        # error's search for the user's line would take for the user's code)
        object.__setattr__(self, "shape", tuple(int(d) for d in shape))
        object.__setattr__(self, "dtype", np.dtype(dtype))
        if any(d < 0 for d in self.shape):
            raise errors.TracedShapeError(f"ArraySpec shape {self.shape} has a negative dimension",
                                          fix="give sizes >= 0 (0 for an empty axis)")
        too_big = dtypes.describe_bytes(self.shape, self.dtype)
        if too_big:
            raise errors.TracedShapeError(f"ArraySpec: {too_big}", fix="give a smaller shape")

    def __repr__(self) -> str:
        return f"ArraySpec({dtypes.short_name(self.dtype)}[{','.join(map(str, self.shape))}])"


def _array_key(leaf):
    return (leaf.shape, leaf.dtype)


def _structural(value):
    """A hashable key that tells apart values `==` would confuse: 1 / 1.0 / True, 0.0 / -0.0,
    (2,) / (2.0,) (they trace to different dtypes or results)."""
    kind = type(value)
    if kind is float:
        return (kind, value, math.copysign(1.0, value)) if value == value else (kind, "nan")
    if kind in (tuple, list, frozenset):
        return (kind, tuple(_structural(v) for v in value))
    if kind is dict:
        return (kind, tuple((k, _structural(v)) for k, v in sorted(value.items(), key=lambda kv: repr(kv[0]))))
    return (kind, value)


def _static_key(leaf):
    try:
        hash(leaf)
    except TypeError:
        raise errors.TracedTypeError(
            f"an argument leaf of type {type(leaf).__name__} is neither an array nor hashable, "
            "so it can be neither traced nor used as a static (cache-key) value",
            fix="pass arrays as NumPy arrays, or make the value hashable (a tuple, a frozen dataclass)",
        ) from None
    return _structural(leaf)


# type -> key function; a registry so the hot path is one dict lookup per leaf.
_LEAF_KEY = {
    ConcreteArray: operator.attrgetter("signature"),
    np.ndarray: _array_key,
    ArraySpec: _array_key,
}
_ARRAY_TYPES = (np.ndarray, np.generic, ConcreteArray, ArraySpec, jax.Array)


def leaf_key(leaf):
    key_fn = _LEAF_KEY.get(type(leaf))
    if key_fn is not None:
        return key_fn(leaf)
    if isinstance(leaf, _ARRAY_TYPES):
        refuse_array_subclass(leaf)
        return (tuple(leaf.shape), np.dtype(leaf.dtype))
    return _static_key(leaf)


def leaf_keys(leaves) -> tuple:
    """`leaf_key` of each leaf; a device array's key is read inline (a training step's state has hundreds)."""
    return tuple([leaf.signature if type(leaf) is ConcreteArray else leaf_key(leaf) for leaf in leaves])


# ndarray subclasses whose meaning traced code would silently drop (it follows plain ndarray semantics):
# class -> (what would be lost, fix for one passed in or read as a constant, fix for one made from traced values).
# Other subclasses pass: they keep ndarray's arithmetic.
_REFUSED_SUBCLASSES = {
    np.matrix: ("an np.matrix cannot be traced: traced code follows ndarray semantics, so its `*` and `**` would "
                "be elementwise instead of matrix products",
                "pass np.asarray(m) and write matrix products with @",
                "keep the plain array and write matrix products with @"),
    np.ma.MaskedArray: ("a masked array (np.ma) cannot be traced: its mask would be ignored (a sum would count "
                        "masked elements)",
                        "pass the data and the mask as two arrays (np.ma.getdata(a), np.ma.getmaskarray(a)) and "
                        "select with np.where(mask, fill, x)",
                        "keep the data and the mask as two arrays and select with np.where(mask, fill, x), or reduce "
                        "with where= (np.sum(x, where=~mask), np.mean(x, where=~mask))"),
}


def refuse_array_subclass(value) -> None:
    """Raise for an `np.matrix` or masked array given to traced code (`_REFUSED_SUBCLASSES` says why)."""
    refuse_array_type(type(value))


def refuse_array_type(cls: type, *, made_from_traced: bool = False) -> None:
    """Raise if arrays of class `cls` lose their meaning under tracing. `made_from_traced`: the code tried to
    make one from a traced value (np.ma.array(x, mask=m), np.asmatrix(x)), so the fix says what to keep."""
    for refused, (message, fix_given, fix_made) in _REFUSED_SUBCLASSES.items():
        if issubclass(cls, refused):
            raise errors.TracedTypeError(message, fix=fix_made if made_from_traced else fix_given)


def is_placed(key) -> bool:
    """Whether a leaf's key is a split ConcreteArray's signature, (shape, dtype, sharding) (static values'
    keys are tuples too, some of three items: `_structural`)."""
    return type(key) is tuple and len(key) == 3 and isinstance(key[2], jax.sharding.Sharding)


def without_placement(key: tuple) -> tuple:
    """A call key with the shardings of split ConcreteArrays dropped: (shape, dtype, sharding) -> (shape, dtype)."""
    treedef, static_key, leaf_keys = key
    return treedef, static_key, tuple(k[:2] if is_placed(k) else k for k in leaf_keys)


def is_array_leaf(leaf) -> bool:
    return isinstance(leaf, _ARRAY_TYPES)


def flatten(args: tuple, kwargs: dict):
    return tree_util.tree_flatten((args, kwargs))


def split_static(args: tuple, kwargs: dict, static_argnums: tuple[int, ...], static_argnames: tuple[str, ...]):
    """(dynamic args, dynamic kwargs, static key); static values are held by position/name."""
    if not static_argnums and not static_argnames:
        return args, kwargs, ()
    # A static parameter not passed positionally is given by keyword (static through its name) or defaulted.
    static = [("pos", i, _static_key(args[i]), args[i]) for i in static_argnums if i < len(args)]
    dyn_args = tuple(a for i, a in enumerate(args) if i not in static_argnums)
    dyn_kwargs = {k: v for k, v in kwargs.items() if k not in static_argnames}
    static += [("kw", k, _static_key(kwargs[k]), kwargs[k]) for k in sorted(static_argnames) if k in kwargs]
    return dyn_args, dyn_kwargs, tuple(static)


def merge_static(dyn_args: tuple, dyn_kwargs: dict, static_key: tuple) -> tuple[tuple, dict]:
    """Undo `split_static`: put static values back at their positions and names."""
    args, kwargs = list(dyn_args), dict(dyn_kwargs)
    for kind, where, _, value in static_key:
        if kind == "pos":
            args.insert(where, value)
        else:
            kwargs[where] = value
    return tuple(args), kwargs


def _describe_leaf(leaf) -> str:
    if is_array_leaf(leaf):
        return f"{dtypes.short_name(leaf.dtype) if dtypes.is_supported(leaf.dtype) else leaf.dtype}[{','.join(map(str, np.shape(leaf)))}]"
    try:
        return repr(leaf)
    except Exception:  # noqa: BLE001  (a description must not stop a compile: a static value's repr may fail)
        return f"<{type(leaf).__qualname__} object>"


def describe_call(fn, args: tuple, kwargs: dict) -> str:
    """`x: f32[32,8], w: f32[8,4], cfg['lr']: 0.1` naming leaves after fn's parameters."""
    try:
        names = list(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        names = []
    parts = []
    for path, leaf in tree_util.tree_flatten_with_path((args, kwargs))[0]:
        top, index = path[0].idx, path[1]
        if top == 0:
            position = index.idx
            head = names[position] if position < len(names) else f"args[{position}]"
        else:
            head = index.key
        parts.append(f"{head}{tree_util.keystr(path[2:])}: {_describe_leaf(leaf)}")
    return ", ".join(parts) or "(no arguments)"
