"""Tracing Python functions into the regions of control-flow ops.

A branch or body is traced once into a *holder* block (inside a scratch private
function), so its result types are known before the real op is built; its ops
are then moved into the op's region, with the holder's arguments replaced by the
region's values. Values defined in a region live in a scope that closes with it.
"""

from __future__ import annotations

import contextlib
from typing import Callable, Sequence

import numpy as np
from jax import tree_util
from jaxlib.mlir import ir as mlir
from jaxlib.mlir.dialects import func

from ir import dtypes
from tracer import errors, primitives
from tracer.trace_state import Trace
from tracer.traced_array import TracedArray, is_traced

__all__ = ["Holder", "Undefined", "WEAK_TYPES", "check_leaves", "check_same_structure", "describe", "describe_tree",
           "lift_leaf", "shape_of", "signature_of", "unify_dtypes"]

WEAK_TYPES = (bool, int, float)


def shape_of(leaf) -> tuple[int, ...]:
    """Static shape of a leaf (never dispatches: a TracedArray from a closed region is still describable)."""
    return leaf.shape if is_traced(leaf) else np.shape(leaf)


def describe(leaf) -> str:
    if is_traced(leaf) or isinstance(leaf, (np.ndarray, np.generic)):
        dims = ",".join(map(str, shape_of(leaf)))
        return f"{dtypes.short_name(leaf.dtype) if dtypes.is_supported(leaf.dtype) else leaf.dtype}[{dims}]"
    return f"{type(leaf).__name__} {leaf!r}"


def describe_tree(leaves, tree) -> str:
    return str(tree_util.tree_unflatten(tree, [describe(leaf) for leaf in leaves])).replace("'", "")


def lift_leaf(leaf, dtype=None) -> TracedArray:
    """A carried or returned leaf as a TracedArray: Python numbers become 0-d arrays (NumPy's default dtype)."""
    if is_traced(leaf) or isinstance(leaf, (np.ndarray, np.generic, *WEAK_TYPES)) or hasattr(leaf, "__array__"):
        try:
            return primitives.lift(leaf, dtype)
        except OverflowError as err:
            raise errors.TracedOverflowError(f"{err} (a number returned from control flow)",
                                             fix=f"return a value that fits {dtype}, or cast the other results") from None
    raise errors.TracedTypeError(
        f"control flow can carry and return arrays and numbers only, got {type(leaf).__name__} {leaf!r}",
        fix="return arrays (or pytrees of them) from branches and loop bodies",
    )


def signature_of(leaf) -> tuple[tuple[int, ...], np.dtype]:
    return tuple(shape_of(leaf)), np.dtype(leaf.dtype) if hasattr(leaf, "dtype") else np.asarray(leaf).dtype


class Undefined:
    """The value of a variable that has none at this point (see `@tracer.trace`); any use explains why."""

    __slots__ = ("name", "reason")

    def __init__(self, name: str, reason: str):
        self.name = name
        self.reason = reason

    def _fail(self, *args, **kwargs):
        raise errors.TracerError(f"variable {self.name!r} {self.reason}",
                                 fix="assign it before the statement, or in every branch")

    __getattr__ = __call__ = __getitem__ = __iter__ = __bool__ = __array__ = __index__ = _fail
    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __truediv__ = __rtruediv__ = _fail
    __matmul__ = __rmatmul__ = __pow__ = __neg__ = __lt__ = __le__ = __gt__ = __ge__ = __float__ = __int__ = _fail

    def __repr__(self) -> str:
        return f"<undefined {self.name}: {self.reason}>"


class Holder:
    """A scratch block to trace into before the real op exists. Use as a context manager: it is erased on exit."""

    def __init__(self, trace: Trace, arg_signatures: Sequence[tuple], description: str):
        self.trace = trace
        self.description = description
        builder = trace.builder
        types = [dtypes.tensor_type(shape, dtype) for shape, dtype in arg_signatures]
        with mlir.InsertionPoint(builder.module.body):
            self._func = func.FuncOp("__pyreactant_holder", mlir.FunctionType.get(types, []))
        self._func.attributes["sym_visibility"] = mlir.StringAttr.get("private")
        self.block = self._func.add_entry_block()
        self.arguments = [TracedArray(arg, trace, shape, dtype) for arg, (shape, dtype)
                          in zip(self.block.arguments, arg_signatures)]
        self.scope = None

    def __enter__(self) -> "Holder":
        return self

    def __exit__(self, *exc) -> None:
        self._func.operation.erase()

    def run(self, fn: Callable, *args):
        """Call fn(*args) with its ops going into the holder block; returns (flat outputs, tree)."""
        with self.trace.region(self.block, self.description) as scope:
            self.scope = scope
            for argument in self.arguments:
                argument._scope = scope
            leaves, tree = tree_util.tree_flatten(fn(*args))
            return [_traced_value_of(leaf) for leaf in leaves], tree

    @contextlib.contextmanager
    def more(self):
        """Emit more ops at the end of the holder block, in its (reopened) scope."""
        trace, outer = self.trace, self.trace.scope
        self.scope.closed = False
        trace.scope = self.scope
        try:
            with mlir.InsertionPoint(self.block):
                yield
        finally:
            self.scope.closed = True
            trace.scope = outer

    def splice_into(self, target: mlir.Block, replacements: Sequence[mlir.Value],
                    values: Sequence[mlir.Value] = ()) -> list[mlir.Value]:
        """Move the holder's ops to the end of `target`, its arguments replaced by `replacements`.

        Returns `values` (results computed in the holder) with holder arguments among them
        replaced too: a body that hands an input straight back must return the region's argument.
        """
        arguments = list(self.block.arguments)
        for argument, replacement in zip(arguments, replacements):
            argument.replace_all_uses_with(replacement)
        point = mlir.InsertionPoint(target)
        for op in list(self.block.operations):
            op.detach_from_parent()
            point.insert(op)
        remapped = []
        for value in values:
            match = next((i for i, argument in enumerate(arguments) if value == argument), None)
            remapped.append(replacements[match] if match is not None else value)
        return remapped


def _traced_value_of(leaf):
    """A NumPy array made in the region that took traced writes (`out = np.zeros(3); out[0] = x`) as its
    traced value, read while the region's scope is still open: once it closes, the value is out of reach
    and any use of the array (even its shape) would be an escaped tracer. Other leaves as they are."""
    if isinstance(leaf, np.ndarray) and type(leaf) is not np.ndarray:
        traced_value = primitives.TRACED_VALUE_OF.get(type(leaf))
        traced = traced_value(leaf) if traced_value is not None else None
        return leaf if traced is None else traced
    return leaf


def check_same_structure(what: str, first: tuple, second: tuple, names: tuple[str, str]) -> None:
    """Both (leaves, tree) pairs must have one structure and per-leaf shapes; dtypes are reconciled by callers."""
    (leaves_a, tree_a), (leaves_b, tree_b) = first, second
    if tree_a != tree_b or any(shape_of(a) != shape_of(b) for a, b in zip(leaves_a, leaves_b)):
        raise errors.TracedTypeError(
            f"{what}: {names[0]} gives {describe_tree(leaves_a, tree_a)} but {names[1]} gives "
            f"{describe_tree(leaves_b, tree_b)}; they must have the same structure and shapes",
            fix="make both return the same pytree of arrays with the same shapes (and dtypes)",
        )


def check_leaves(what: str, leaves) -> None:
    for leaf in leaves:
        if not (is_traced(leaf) or isinstance(leaf, (np.ndarray, np.generic, *WEAK_TYPES))):
            raise errors.TracedTypeError(
                f"{what}: control flow can carry and return arrays and numbers only, got {type(leaf).__name__} {leaf!r}",
                fix="return arrays (or pytrees of them) from branches and loop bodies",
            )


def unify_dtypes(what: str, leaf_sets: Sequence[Sequence], names: Sequence[str]) -> list[np.dtype]:
    """Per leaf, the dtype all sets agree on: arrays must agree; Python numbers (weak) join in by NEP 50."""
    for leaves in leaf_sets:
        check_leaves(what, leaves)
    result = []
    for position, leaves in enumerate(zip(*leaf_sets)):
        strong = {np.dtype(leaf.dtype) for leaf in leaves if not isinstance(leaf, WEAK_TYPES)}
        if len(strong) > 1:
            shown = ", ".join(f"{name}: {describe(leaf)}" for name, leaf in zip(names, leaves))
            raise errors.TracedTypeError(
                f"{what}: result {position} has different dtypes ({shown})",
                fix="cast with .astype(...) so every branch returns the same dtype",
            )
        weak = [leaf for leaf in leaves if isinstance(leaf, WEAK_TYPES)]
        result.append(np.result_type(*strong, *weak))
    return result
