"""Loops under tracing: `while_loop`, `fori_loop` and `scan`, all as one `stablehlo.while`.

Outside a trace (plain NumPy values), each runs as the Python loop it describes, so
code written with them works eagerly and compiled alike. Carried values may be
pytrees of arrays and Python numbers; a number becomes a 0-d array of NumPy's
default dtype, promoted (once, by retracing) if the body makes it wider.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
from jax import tree_util
from jaxlib.mlir import ir as mlir

from ir import ops
from tracer import errors, primitives
from tracer.control_flow._regions import (WEAK_TYPES, Holder, check_leaves, check_same_structure, describe,
                                          lift_leaf, signature_of)
from tracer.trace_state import at_user_line, current_trace
from tracer.traced_array import TracedArray, check_alive, is_traced

__all__ = ["CHECKPOINT_ATTRIBUTE", "MAX_ITERATIONS_ATTRIBUTE", "TRIP_COUNT_ATTRIBUTE", "checkpoint", "fori_loop", "scan",
           "weak_index", "while_loop"]

# Discardable attributes on a loop's stablehlo.while: its trip count when known at trace time, or the bound a
# user gave (`while_loop(..., max_iterations=n)`). Reverse-mode differentiation needs one of them.
TRIP_COUNT_ATTRIBUTE = "pyreactant.trip_count"
MAX_ITERATIONS_ATTRIBUTE = "pyreactant.max_iterations"
# On a one-trip loop that `checkpoint` made: the backward pass recomputes its body instead of keeping its values.
CHECKPOINT_ATTRIBUTE = "pyreactant.checkpoint"


def _set_count(op, name: str, count: int) -> None:
    op.attributes[name] = mlir.IntegerAttr.get(mlir.IntegerType.get_signless(64), count)


def _any_traced(*trees) -> bool:
    return any(is_traced(leaf) for tree in trees for leaf in tree_util.tree_leaves(tree))


def _predicate(leaves, what: str) -> TracedArray:
    if len(leaves) != 1:
        raise errors.TracedTypeError(f"{what} must return one boolean scalar, got {len(leaves)} values")
    (leaf,) = leaves
    if not is_traced(leaf):  # a Python/NumPy bool: the loop condition does not depend on the carry
        leaf = primitives.lift(np.asarray(leaf, dtype=np.bool_))
    check_alive(leaf)
    if leaf.shape != ():
        raise errors.TracedShapeError(f"{what} must return a scalar (0-d), got shape {leaf.shape}",
                                      fix="reduce it, e.g. with .any() or .all()")
    return primitives.convert(leaf, np.bool_)


def _build_while(cond_fn: Callable, body_fn: Callable, init, what: str):
    """(results pytree, the stablehlo.while op) for a traced loop over `init`."""
    trace = current_trace()
    leaves, tree = tree_util.tree_flatten(init)
    weak = [isinstance(leaf, WEAK_TYPES) for leaf in leaves]
    carried_dtypes = [signature_of(leaf)[1] if not w else np.result_type(leaf) for leaf, w in zip(leaves, weak)]
    for _attempt in range(2):  # a second pass only when a Python-number carry takes the body's dtype
        carried = [lift_leaf(leaf, dtype) for leaf, dtype in zip(leaves, carried_dtypes)]
        signatures = [(c.shape, c.dtype) for c in carried]
        with Holder(trace, signatures, f"the body of {what}") as body:
            _mark_weak(body.arguments, weak)
            out_leaves, out_tree = body.run(lambda *xs: body_fn(tree_util.tree_unflatten(tree, xs)), *body.arguments)
            check_leaves(what, out_leaves)
            check_same_structure(what, (carried, tree), (out_leaves, out_tree), ("the initial carry", "the body"))
            widened = _widen(what, carried, out_leaves, weak)
            if widened is not None:
                carried_dtypes = widened
                continue
            with body.more():
                next_values = [lift_leaf(leaf, c.dtype)._value for leaf, c in zip(out_leaves, carried)]
            with Holder(trace, signatures, f"the condition of {what}") as condition:
                _mark_weak(condition.arguments, weak)
                pred_leaves, _ = condition.run(lambda *xs: cond_fn(tree_util.tree_unflatten(tree, xs)),
                                               *condition.arguments)
                with condition.more():
                    pred = _predicate(pred_leaves, f"the condition of {what}")._value
                op, cond_block, body_block = ops.while_([c._value for c in carried])
                (pred,) = condition.splice_into(cond_block, list(cond_block.arguments), [pred])
                with trace.region(cond_block, f"the condition of {what}"):
                    ops.return_([pred])
            next_values = body.splice_into(body_block, list(body_block.arguments), next_values)
            with trace.region(body_block, f"the body of {what}"):
                ops.return_(next_values)
        results = [primitives.wrap(value, c.shape, c.dtype) for value, c in zip(op.results, carried)]
        return tree_util.tree_unflatten(tree, results), op
    raise AssertionError("unreachable: widening happens at most once per carried leaf")


def _mark_weak(arguments, weak) -> None:
    """Inside the loop a carried Python number stays a Python number for promotion (NEP 50):
    `acc + x.sum()` with `acc = 0.0` has x's dtype, as it would in a Python loop."""
    for argument, is_weak in zip(arguments, weak):
        argument._weak = is_weak


def _widen(what: str, carried, out_leaves, weak) -> list | None:
    """New carry dtypes if the body gave a Python-number carry another dtype; an error if it changed an array's."""
    widened, changed = [], False
    for position, (c, out, is_weak) in enumerate(zip(carried, out_leaves, weak)):
        out_dtype = c.dtype if isinstance(out, WEAK_TYPES) else np.dtype(out.dtype)
        if out_dtype == c.dtype:
            widened.append(c.dtype)
        elif is_weak:
            widened.append(out_dtype)
            changed = True
        else:
            raise errors.TracedTypeError(
                f"{what}: carried value {position} enters the body as {describe(c)} but leaves it as {describe(out)}",
                fix=f"cast it back in the body (.astype({c.dtype})) or start from the dtype the body produces",
            )
    return widened if changed else None


def while_loop(cond_fn: Callable, body_fn: Callable, init, *, max_iterations: int | None = None):
    """`while cond_fn(v): v = body_fn(v)`, returning v; one `stablehlo.while` when traced.

    `max_iterations` bounds how often the loop runs, which reverse-mode differentiation needs (it stores
    each iteration's carry). A loop that runs longer still computes its value; its gradient is NaN.
    """
    if max_iterations is not None and (not isinstance(max_iterations, int) or max_iterations < 0):
        raise errors.TracedTypeError(f"tracer.while_loop: max_iterations={max_iterations!r} must be an int >= 0",
                                     fix="give the most iterations the loop can run, as a Python int")
    if current_trace() is None:
        value = init
        while bool(np.asarray(cond_fn(value))):
            value = body_fn(value)
        return value
    with at_user_line():
        result, op = _build_while(cond_fn, body_fn, init, "tracer.while_loop")
        if max_iterations is not None:
            _set_count(op, MAX_ITERATIONS_ATTRIBUTE, max_iterations)
        return result


def weak_index(i: TracedArray) -> TracedArray:
    """The loop index as the body sees it: a Python-int-like (weak) array, so `i * x` keeps x's dtype."""
    index = primitives.wrap(i._value, i.shape, i.dtype)
    index._weak = True
    return index


def fori_loop(lower, upper, body_fn: Callable, init, *, checkpoint_every: int | None = None):
    """`for i in range(lower, upper): v = body_fn(i, v)`, returning v; one `stablehlo.while` when traced.

    With Python-int bounds the trip count is recorded on the loop (attribute
    `pyreactant.trip_count`) for later passes. `i` behaves like a Python int in
    NumPy's dtype promotion.

    `checkpoint_every=k` (Python-int bounds): when differentiated in reverse mode, store the carry of every
    k-th iteration only and recompute the k iterations between two of them in the backward pass: a loop
    of n steps keeps about n/k + k carries instead of n. The loop becomes a loop of n // k blocks of k.
    """
    if checkpoint_every is not None and not _any_traced(lower, upper):
        every = int(checkpoint_every)
        if every < 1:
            raise errors.TracedTypeError(f"tracer.fori_loop: checkpoint_every={checkpoint_every} must be >= 1",
                                         fix="store every k-th carry with k >= 1")
        if current_trace() is not None and 1 < every < int(upper) - int(lower):
            return _checkpointed_fori_loop(int(lower), int(upper), body_fn, init, every)
    elif checkpoint_every is not None:
        raise errors.TracedTypeError("tracer.fori_loop: checkpoint_every needs Python-int bounds",
                                     fix="give lower and upper as Python ints, or drop checkpoint_every")
    if current_trace() is None and not _any_traced(lower, upper):
        value = init
        for i in range(int(lower), int(upper)):
            value = body_fn(i, value)
        return value
    with at_user_line():
        index_dtype = np.result_type(*(b.dtype if is_traced(b) else np.asarray(b).dtype for b in (lower, upper)))
        body_index_dtype = index_dtype
        if not _any_traced(lower, upper) and all(-2**31 <= int(b) < 2**31 for b in (lower, upper)):
            # Count in int32 (as XLA's own loops do); the body still sees a 64-bit Python-int-like index.
            index_dtype = np.dtype(np.int32)
        if not np.issubdtype(index_dtype, np.integer):
            raise errors.TracedTypeError(f"tracer.fori_loop bounds must be integers, got {index_dtype}")
        start = primitives.lift(lower, index_dtype)
        stop = primitives.lift(upper, index_dtype)
        for bound, name in ((start, "lower"), (stop, "upper")):
            if bound.shape != ():
                raise errors.TracedShapeError(f"tracer.fori_loop's {name} bound must be a scalar, got shape {bound.shape}")

        def cond(carry):
            return carry[0] < stop

        def body(carry):
            i, value = carry
            return i + 1, body_fn(weak_index(primitives.convert(i, body_index_dtype)), value)

        (_, result), op = _build_while(cond, body, (start, init), "tracer.fori_loop")
        if not _any_traced(lower, upper):
            _set_count(op, TRIP_COUNT_ATTRIBUTE, max(0, int(upper) - int(lower)))
        return result


def _checkpointed_fori_loop(lower: int, upper: int, body_fn: Callable, init, every: int):
    """n steps as n // every blocks of `every` steps (an outer loop whose body is an inner loop), then the
    remainder: reversing the outer loop stores one carry per block and recomputes each block's inner loop,
    whose own reversal stores `every` carries at a time."""
    blocks, remainder = divmod(upper - lower, every)

    def block(j, value):
        start = j * every + lower
        return fori_loop(0, every, lambda t, v: body_fn(weak_index(start + t), v), value)

    value = fori_loop(0, blocks, block, init)
    tail = lower + blocks * every
    return fori_loop(tail, tail + remainder, body_fn, value) if remainder else value


def scan(fn: Callable, init, xs=None, length: int | None = None, reverse: bool = False):
    """`carry, y = fn(carry, x)` over the leading axis of `xs`; returns (carry, ys stacked on axis 0).

    `xs` may be a pytree of arrays (all with the same leading length) or None with `length`.
    """
    x_leaves, x_tree = tree_util.tree_flatten(xs)
    lengths = {_leading_length(leaf) for leaf in x_leaves}
    if None in lengths:
        raise errors.TracedShapeError("tracer.scan: every leaf of xs needs a leading axis to scan over")
    if length is not None:
        lengths.add(int(length))
    if len(lengths) != 1:
        raise errors.TracedShapeError(
            f"tracer.scan: xs leaves and length disagree on the number of steps: {sorted(lengths)}" if lengths
            else "tracer.scan: give xs or length",
            fix="give every xs leaf the same leading dimension (and a matching length=)",
        )
    (steps,) = lengths
    if current_trace() is None and not _any_traced(init, xs):
        return _scan_eagerly(fn, init, x_leaves, x_tree, steps, reverse)
    with at_user_line():
        return _scan_traced(fn, init, x_leaves, x_tree, steps, reverse)


def _leading_length(leaf) -> int | None:
    shape = leaf.shape if is_traced(leaf) else np.shape(leaf)
    return shape[0] if shape else None


def _scan_eagerly(fn, init, x_leaves, x_tree, steps, reverse):
    if steps == 0:
        raise errors.TracedShapeError("tracer.scan over zero steps outside jit cannot tell the shape of ys",
                                      fix="run it inside tracer.jit, where tracing the step gives the shape of ys")
    carry, ys = init, []
    order = range(steps - 1, -1, -1) if reverse else range(steps)
    for i in order:
        carry, y = fn(carry, tree_util.tree_unflatten(x_tree, [np.asarray(leaf)[i] for leaf in x_leaves]))
        ys.append(y)
    if reverse:
        ys.reverse()
    return carry, tree_util.tree_map(lambda *parts: np.stack(parts), *ys)


def _scan_traced(fn, init, x_leaves, x_tree, steps, reverse):
    trace = current_trace()
    xs = [primitives.lift(leaf) for leaf in x_leaves]
    x_signatures = [(x.shape[1:], x.dtype) for x in xs]
    carry_leaves, carry_tree = tree_util.tree_flatten(init)
    weak = [isinstance(leaf, WEAK_TYPES) for leaf in carry_leaves]
    carry_signatures = [((), np.result_type(leaf)) if w else signature_of(leaf) for leaf, w in zip(carry_leaves, weak)]
    # First pass: learn the per-step outputs' shapes and dtypes (the ys buffers need them up front),
    # again if a Python-number carry widens, since ys may depend on the carry's dtype.
    for _attempt in range(2):
        y_leaves, y_tree, widened = _probe_scan(trace, fn, carry_tree, carry_signatures, weak, x_tree, x_signatures)
        if widened is None:
            break
        carry_signatures = widened
    y_signatures = [((), np.result_type(leaf)) if isinstance(leaf, WEAK_TYPES) else (leaf.shape, leaf.dtype)
                    for leaf in y_leaves]
    # The real pass gets `init` as given: Python numbers stay weak there too, and settle on the dtype the probe found.
    index_dtype = np.dtype(np.int64)
    buffers = [primitives.full((steps, *shape), 0, dtype) for shape, dtype in y_signatures]
    if steps == 0:  # nothing to run: the carry as given (in the dtypes a step would give it) and empty ys
        carry = [lift_leaf(leaf, dtype) for leaf, (_, dtype) in zip(carry_leaves, carry_signatures)]
        return tree_util.tree_unflatten(carry_tree, carry), tree_util.tree_unflatten(y_tree, buffers)

    def cond(state):
        return state[0] < steps

    def body(state):
        i, carry, ys = state
        position = (steps - 1 - i) if reverse else i
        x = [_row(leaf, position) for leaf in xs]
        new_carry, y = fn(carry, tree_util.tree_unflatten(x_tree, x))
        new_y_leaves, new_y_tree = tree_util.tree_flatten(y)
        if new_y_tree != y_tree:
            raise errors.TracedTypeError("tracer.scan: fn returned ys of another structure on the real pass")
        ys = [_write_row(buffer, lift_leaf(leaf, buffer.dtype), position) for buffer, leaf in zip(ys, new_y_leaves)]
        return i + 1, new_carry, ys

    start = primitives.full((), 0, index_dtype)
    (_, carry, ys), op = _build_while(cond, body, (start, init, buffers), "tracer.scan")
    op.attributes[TRIP_COUNT_ATTRIBUTE] = mlir.IntegerAttr.get(mlir.IntegerType.get_signless(64), steps)
    return carry, tree_util.tree_unflatten(y_tree, ys)


def _probe_scan(trace, fn, carry_tree, carry_signatures, weak, x_tree, x_signatures):
    """(y leaves, y tree, widened carry signatures or None) from tracing fn once into a scratch block."""
    n_carry = len(carry_signatures)
    with Holder(trace, list(carry_signatures) + list(x_signatures), "the body of tracer.scan") as probe:
        _mark_weak(probe.arguments, weak)
        out_leaves, out_tree = probe.run(
            lambda *a: fn(tree_util.tree_unflatten(carry_tree, a[:n_carry]), tree_util.tree_unflatten(x_tree, a[n_carry:])),
            *probe.arguments)
        result = tree_util.tree_unflatten(out_tree, out_leaves)
        if not (isinstance(result, (tuple, list)) and len(result) == 2):
            raise errors.TracedTypeError("tracer.scan: fn must return a pair (new_carry, y)",
                                         fix="end fn with `return carry, y` (y may be None)")
        new_carry, y = result
        carry_out, carry_out_tree = tree_util.tree_flatten(new_carry)
        y_leaves, y_tree = tree_util.tree_flatten(y)
        check_leaves("tracer.scan", carry_out + y_leaves)
        carried = probe.arguments[:n_carry]
        check_same_structure("tracer.scan", (carried, carry_tree), (carry_out, carry_out_tree),
                             ("the initial carry", "fn's new carry"))
        widened = _widen("tracer.scan", carried, carry_out, weak)
        widened = None if widened is None else [(sig[0], dtype) for sig, dtype in zip(carry_signatures, widened)]
        # y leaves are read for shape and dtype only; as the probe goes away, keep plain descriptions.
        return [_Spec(*signature_of(leaf)) if not isinstance(leaf, WEAK_TYPES) else leaf for leaf in y_leaves], \
            y_tree, widened


class _Spec:
    """Shape and dtype of a probed value, outliving the probe's scratch block."""

    __slots__ = ("shape", "dtype")

    def __init__(self, shape, dtype):
        self.shape, self.dtype = shape, dtype


def _row(array: TracedArray, position: TracedArray) -> TracedArray:
    zero = primitives.full((), 0, position.dtype)._value
    starts = [position._value] + [zero] * (array.ndim - 1)
    row = ops.dynamic_slice(array._value, starts, (1, *array.shape[1:]))
    return primitives.reshape(primitives.wrap(row, (1, *array.shape[1:]), array.dtype), array.shape[1:])


def _write_row(buffer: TracedArray, row: TracedArray, position: TracedArray) -> TracedArray:
    if row.shape != buffer.shape[1:]:
        raise errors.TracedShapeError(f"tracer.scan: y changed shape from {buffer.shape[1:]} to {row.shape}")
    zero = primitives.full((), 0, position.dtype)._value
    update = primitives.reshape(row, (1, *row.shape))._value
    value = ops.dynamic_update_slice(buffer._value, update, [position._value] + [zero] * (buffer.ndim - 1))
    return primitives.wrap(value, buffer.shape, buffer.dtype)


def checkpoint(fn: Callable) -> Callable:
    """`fn`, whose intermediate values reverse-mode differentiation recomputes in the backward pass instead of
    keeping them alive from the forward pass (JAX's `jax.checkpoint`): less memory, more compute.

    Traced, the call becomes a loop of one iteration carrying fn's array arguments and results; the
    derivative of a loop stores only its carries and recomputes its body. Outside a trace it is `fn`.
    """

    def run(*args):
        if current_trace() is None:
            return fn(*args)
        with at_user_line():
            return _checkpointed_call(fn, args)

    run.__name__ = getattr(fn, "__name__", "checkpointed")
    run.__doc__ = fn.__doc__
    return run


def _checkpointed_call(fn: Callable, args: tuple):
    trace = current_trace()
    leaves, tree = tree_util.tree_flatten(args)
    arrays = [i for i, leaf in enumerate(leaves) if is_traced(leaf) or isinstance(leaf, (np.ndarray, np.generic))]

    def call(*values):
        full = list(leaves)
        for position, value in zip(arrays, values):
            full[position] = value
        return fn(*tree_util.tree_unflatten(tree, full))

    inputs = [primitives.lift(leaves[i]) for i in arrays]
    with Holder(trace, [(x.shape, x.dtype) for x in inputs], "the function given to tracer.checkpoint") as probe:
        out_leaves, out_tree = probe.run(call, *probe.arguments)  # (traced once for the results' shapes)
        check_leaves("tracer.checkpoint", out_leaves)
        signatures = [signature_of(leaf) for leaf in out_leaves]
    placeholders = [primitives.full(shape, 0, dtype) for shape, dtype in signatures]

    def body(carry):
        count, xs, _ = carry
        return count + 1, xs, tree_util.tree_leaves(call(*xs))

    (_, _, outs), op = _build_while(lambda carry: carry[0] < 1, body, (np.int32(0), inputs, placeholders),
                                    "tracer.checkpoint")
    _set_count(op, TRIP_COUNT_ATTRIBUTE, 1)
    op.attributes[CHECKPOINT_ATTRIBUTE] = mlir.UnitAttr.get()
    return tree_util.tree_unflatten(out_tree, outs)
