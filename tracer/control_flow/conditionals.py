"""`tracer.cond` and `tracer.switch`: data-dependent branches as `stablehlo.if` / `stablehlo.case`.

With a Python (or NumPy) selector, or outside any trace, the chosen branch simply
runs in Python: the same code works eagerly on NumPy and compiled.
"""

from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
from jax import tree_util

from ir import ops
from tracer import errors, primitives
from tracer.control_flow._regions import Holder, Undefined, check_same_structure, lift_leaf, unify_dtypes
from tracer.trace_state import at_user_line, current_trace
from tracer.traced_array import TracedArray, check_alive, is_traced

__all__ = ["cond", "switch"]


def _selector(value, dtype, what: str) -> TracedArray:
    check_alive(value)
    if value.shape != ():
        raise errors.TracedShapeError(f"{what} must be a scalar (0-d), got shape {value.shape}",
                                      fix="reduce it first, e.g. with .any(), .all() or indexing")
    return primitives.convert(value, dtype)


def _fresh(operands):
    """Each branch gets its own copies (made inside its scope) of every array in the operand pytrees:
    an in-place write stays in that branch."""
    def copy(x):
        if is_traced(x):
            check_alive(x)
            return primitives.wrap(x._value, x.shape, x.dtype)
        return np.array(x, copy=True) if isinstance(x, np.ndarray) else x

    return tree_util.tree_map(copy, list(operands))


def _branches(kind: str, selector_value, branches: Sequence[Callable], operands, names):
    """Trace every branch into a holder, reconcile their results, build the op, return the results tree."""
    trace = current_trace()
    traced = []
    try:
        for branch, name in zip(branches, names):
            holder = Holder(trace, [], f"the {name} of tracer.{kind}")
            traced.append((holder, None, None))  # erased in `finally` even if the branch raises
            traced[-1] = (holder, *holder.run(lambda fn=branch: fn(*_fresh(operands))))
        # A result some branch leaves without a value (`@tracer.trace`: e.g. a traced inner loop's
        # index) is undefined after the op; a placeholder 0 keeps the branches' results aligned.
        undefined = {}
        for _, leaves, _ in traced:
            for position, leaf in enumerate(leaves):
                if type(leaf) is Undefined:
                    undefined.setdefault(position, leaf)
        for _, leaves, _ in traced:
            for position in undefined:
                if position < len(leaves):
                    leaves[position] = 0
        first_leaves, first_tree = traced[0][1], traced[0][2]
        for (_, leaves, tree), name in zip(traced[1:], names[1:]):
            check_same_structure(f"tracer.{kind}", (first_leaves, first_tree), (leaves, tree), (names[0], name))
        result_dtypes = unify_dtypes(f"tracer.{kind}", [leaves for _, leaves, _ in traced], names)
        results = []
        for holder, leaves, _ in traced:
            with holder.more():
                results.append([lift_leaf(leaf, dtype)._value for leaf, dtype in zip(leaves, result_dtypes)])
        result_types = [value.type for value in results[0]]
        if kind == "cond":
            op, *blocks = ops.if_(selector_value, result_types)
        else:
            op, blocks = ops.case(selector_value, result_types, len(branches))
        for (holder, _, _), block, values in zip(traced, blocks, results):
            holder.splice_into(block, [])
            with trace.region(block, "a branch"):
                ops.return_(values)
        out = [undefined[position] if position in undefined else primitives.wrap(value)
               for position, value in enumerate(op.results)]
        return tree_util.tree_unflatten(first_tree, out)
    finally:
        for holder, _, _ in traced:
            holder.__exit__()


def cond(pred, true_fn: Callable, false_fn: Callable, *operands):
    """`true_fn(*operands)` if `pred` else `false_fn(*operands)`, as one `stablehlo.if` when `pred` is traced.

    Both branches must return the same pytree structure with the same shapes and dtypes
    (Python numbers adapt to the other branch's dtype). Branches may use values from
    the enclosing function (closures); operands are passed as fresh arrays, so an
    in-place update inside a branch changes only that branch's copy.
    """
    if not is_traced(pred):
        return true_fn(*operands) if bool(np.asarray(pred)) else false_fn(*operands)
    with at_user_line():
        selector = _selector(pred, np.bool_, "tracer.cond's predicate")._value
        return _branches("cond", selector, (true_fn, false_fn), operands, ("true branch", "false branch"))


def switch(index, branches: Sequence[Callable], *operands):
    """`branches[index](*operands)` as one `stablehlo.case`; `index` is clamped into range (as JAX's lax.switch does)."""
    branches = list(branches)
    if not branches:
        raise errors.TracedShapeError("tracer.switch needs at least one branch")
    if not is_traced(index):
        return branches[int(np.clip(np.asarray(index), 0, len(branches) - 1))](*operands)
    with at_user_line():
        check_alive(index)
        if index.shape != ():
            raise errors.TracedShapeError(f"tracer.switch's index must be a scalar (0-d), got shape {index.shape}",
                                          fix="reduce it first, or index it")
        if not np.issubdtype(index.dtype, np.integer):
            raise errors.TracedTypeError(f"tracer.switch's index must be an integer, got {index.dtype}")
        # Clamp in the index's own dtype: narrowing first would wrap large indices around.
        low, high = primitives.full((), 0, index.dtype), primitives.full((), len(branches) - 1, index.dtype)
        clamped = primitives.wrap(ops.clamp(low._value, index._value, high._value), (), index.dtype)
        clamped = _selector(clamped, np.int32, "tracer.switch's index")._value
        names = tuple(f"branch {i}" for i in range(len(branches)))
        return _branches("switch", clamped, branches, operands, names)
