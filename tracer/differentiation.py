"""`tracer.grad`, `value_and_grad`, `vjp` and `jvp`: differentiation by our StableHLO pass.

The chain, inside a trace (Reactant's order: optimise, differentiate, optimise again):
    trace f into a private function of the module being built (closed-over traced values become extra
    arguments) -> copy it, with the functions it calls, into a module of its own -> our default pipeline
    -> `passes.autodiff.reverse` / `forward` -> the differentiated function goes back into the module as a
    private function, called with `func.call` -> the enclosing pipeline inlines and simplifies it.
Outside a trace each of these compiles and runs like `tracer.jit` (one compilation per signature, cached).
"""

from __future__ import annotations

import functools
import itertools
import weakref
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np
from jax import tree_util
from jaxlib.mlir import ir as mlir
from jaxlib.mlir.dialects import func

import ir
import passes
from ir import dtypes, query
from passes import autodiff
from tracer import errors, primitives
from tracer.control_flow._regions import Holder
from tracer.jit_function import jit
from tracer.trace_state import at_user_line, current_trace
from tracer.traced_array import TracedArray, is_traced

__all__ = ["grad", "jvp", "stop_gradient", "value_and_grad", "vjp"]

_names = itertools.count()


@dataclass
class _Staged:
    """`f` traced into a module of its own: `@main(array leaves of args..., captured values...) -> out leaves`."""

    text: str
    captured: list  # outer TracedArrays the function reads, passed after the argument leaves
    out_tree: Any
    out_template: list  # per output leaf: None where an array result goes, else the (static) value returned
    out_signatures: list  # (shape, dtype) per array output
    description: str

    def rebuild(self, values: Sequence) -> Any:
        """The output pytree with `values` (one per array output) in the array positions."""
        values = iter(values)
        return tree_util.tree_unflatten(self.out_tree, [next(values) if slot is None else slot
                                                        for slot in self.out_template])


def _is_array(leaf) -> bool:
    return is_traced(leaf) or isinstance(leaf, (np.ndarray, np.generic))


def _as_array(leaf):
    """A Python float differentiates as a 0-d float64 array (NumPy's dtype for it)."""
    return np.asarray(leaf) if isinstance(leaf, float) else leaf


def _stage(fn: Callable, args: tuple, what: str) -> tuple[_Staged, list, list[int]]:
    """Trace `fn(*args)` into a module of its own. Returns it, the array leaves of args (the module's first
    arguments, in order) and their positions among all leaves."""
    trace = current_trace()
    leaves, in_tree = tree_util.tree_flatten(args)
    leaves = [_as_array(leaf) for leaf in leaves]
    positions = [i for i, leaf in enumerate(leaves) if _is_array(leaf)]
    signatures = [(tuple(np.shape(leaves[i])), np.dtype(leaves[i].dtype)) for i in positions]
    for shape, dtype in signatures:
        if not dtypes.is_supported(dtype):
            raise errors.TracedTypeError(f"{what}: an argument of dtype {dtype} cannot be traced",
                                         fix="use arrays of a supported dtype")
    description = f"{what}({getattr(fn, '__name__', 'f')})"
    with Holder(trace, signatures, f"the function given to {description}") as holder:

        def call(*arrays):
            full = list(leaves)
            for position, array in zip(positions, arrays):
                full[position] = array
            return fn(*tree_util.tree_unflatten(in_tree, full))

        out_leaves, out_tree = holder.run(call, *holder.arguments)
        with holder.more():
            outs, template = [], []
            for leaf in out_leaves:
                # Arrays and numbers are results; anything else (a function, a string in a state tree) is static.
                is_result = is_traced(leaf) or isinstance(leaf, (np.ndarray, np.generic, bool, int, float))
                template.append(None if is_result else leaf)
                if is_result:
                    outs.append(primitives.lift(leaf))
        captured = _close_over(holder, [out._value for out in outs])
        text = _module_text(trace.builder.module, holder)
    staged = _Staged(text, captured, out_tree, template, [(out.shape, out.dtype) for out in outs], description)
    return staged, [leaves[i] for i in positions], positions


def _close_over(holder: Holder, results: Sequence[mlir.Value]) -> list[TracedArray]:
    """Make the holder a function: outer values it reads become arguments after its own, and it returns
    `results`. Returns the outer values (as TracedArrays) in argument order."""
    block = holder.block
    inside = set(block.arguments)
    outer: dict = {}
    ops_inside = query.walk(holder._func)
    for op in ops_inside:
        for region in op.regions:
            for nested_block in region.blocks:
                inside.update(nested_block.arguments)
        inside.update(op.results)
    with mlir.InsertionPoint(block), mlir.Location.unknown():
        func.ReturnOp(list(results))
    for op in query.walk(holder._func):
        for index, operand in enumerate(op.operands):
            if operand not in inside:
                if operand not in outer:
                    outer[operand] = block.add_argument(operand.type, mlir.Location.unknown())
                op.operands[index] = outer[operand]
    holder._func.attributes["function_type"] = mlir.TypeAttr.get(mlir.FunctionType.get(
        [argument.type for argument in block.arguments], [value.type for value in results]))
    return [primitives.wrap(value) for value in outer]


def _module_text(module: mlir.Module, holder: Holder) -> str:
    """The holder as `@main` of a module of its own, with the private functions it calls (inner `grad`s)."""
    functions = {query.string_attr(op, "sym_name"): op for op in query.functions(module)}
    needed, pending = [], [holder._func]
    while pending:
        for op in query.walk(pending.pop()):
            if op.name == "func.call":
                name = query.symbol_attr(op, "callee")
                if name in functions and functions[name] not in needed:
                    needed.append(functions[name])
                    pending.append(functions[name])
    holder._func.attributes["sym_name"] = mlir.StringAttr.get("main")
    holder._func.attributes["sym_visibility"] = mlir.StringAttr.get("public")
    body = "\n".join(op.operation.get_asm(enable_debug_info=True) for op in [holder._func, *needed])
    return f"module {{\n{body}\n}}"


def _differentiated(staged: _Staged, mode: str, wrt: Sequence[int]) -> mlir.Module:
    module = ir.parse_module(staged.text)
    passes.run(module, passes.DEFAULT_PIPELINE)
    try:
        return (autodiff.reverse if mode == "reverse" else autodiff.forward)(module, wrt, description=staged.description)
    except autodiff.AutodiffError as err:
        if err.where:
            raise
        raise errors.TracedTypeError(f"{staged.description}: {err.message}", fix=err.fix) from None


def _call(module: mlir.Module, operands: Sequence, what: str) -> list[TracedArray]:
    """Put `@main` of `module` into the module being traced as a private function and call it."""
    trace = current_trace()
    target = trace.builder.module
    text = ir.print_module(module, debug_info=True)
    copied = mlir.Module.parse(text, context=trace.builder.context)
    name = f"__pyreactant_{what}_{next(_names)}"
    new_functions = []
    for op in list(copied.body.operations):
        op = op.operation
        if op.name == "func.func" and query.string_attr(op, "sym_name") == "main":
            op.attributes["sym_name"] = mlir.StringAttr.get(name)
            op.attributes["sym_visibility"] = mlir.StringAttr.get("private")
        new_functions.append(op)
    callee = query.find_function(copied, name)
    _, result_types = query.function_type(callee)
    _rename_private(copied, target)
    point = mlir.InsertionPoint(target.body)
    for op in new_functions:
        op.detach_from_parent()
        point.insert(op)
    values = [primitives.lift(operand)._value for operand in operands]
    with at_user_line():
        call = func.CallOp(result_types, mlir.FlatSymbolRefAttr.get(name), values)
    return [primitives.wrap(result) for result in call.results]


def _rename_private(copied: mlir.Module, target: mlir.Module) -> None:
    """Private functions copied along (inner derivatives) get fresh names, so no two clash in the target."""
    taken = {query.string_attr(op, "sym_name") for op in query.functions(target)}
    for op in copied.body.operations:
        op = op.operation
        old = query.string_attr(op, "sym_name")
        if old in taken:
            new = f"{old}_{next(_names)}"
            op.attributes["sym_name"] = mlir.StringAttr.get(new)
            for user in query.walk(copied):
                if user.name == "func.call" and query.symbol_attr(user, "callee") == old:
                    user.attributes["callee"] = mlir.FlatSymbolRefAttr.get(new)


# -- the user API ---------------------------------------------------------------------------------------
def _argnums(argnums, count: int) -> tuple[int, ...]:
    numbers = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    for number in numbers:
        if not -count <= number < count:
            raise errors.TracedIndexError(f"argnums={number} is out of range for {count} positional argument(s)",
                                          fix=f"pick argnums in range({count})")
    return tuple(number % count for number in numbers)


def _wrt_positions(args: tuple, numbers: tuple[int, ...], positions: list[int]) -> tuple[list[int], list]:
    """The module-argument indices of the array leaves of args[numbers], and per argnum its leaf count."""
    counts = [len(tree_util.tree_leaves(args[n])) for n in range(len(args))]
    starts = list(itertools.accumulate([0] + counts))
    wrt, trees = [], []
    for n in numbers:
        leaf_range = range(starts[n], starts[n + 1])
        for leaf_index in leaf_range:
            if leaf_index not in positions:
                raise errors.TracedTypeError(f"argument {n} holds a {type(tree_util.tree_leaves(args[n])[0]).__name__}, "
                                             "which has no derivative", fix="differentiate with respect to float arrays")
            wrt.append(positions.index(leaf_index))
        trees.append(tree_util.tree_structure(args[n]))
    return wrt, trees


def _check_float(leaves, what: str):
    for leaf in leaves:
        if not dtypes.is_floating(np.dtype(leaf.dtype)):
            raise errors.TracedTypeError(
                f"{what}: an argument to differentiate has dtype {np.dtype(leaf.dtype)}; only float arrays have "
                "derivatives", fix="cast it to a float dtype (x.astype(np.float32)), or leave it out of argnums")


def _eager_or_traced(traced_fn: Callable) -> Callable:
    """Run `traced_fn` inside the current trace, or, outside any, compiled through `tracer.jit`."""
    jitted = None

    @functools.wraps(traced_fn)
    def run(*args, **kwargs):
        nonlocal jitted
        if current_trace() is not None:
            return traced_fn(*args, **kwargs)
        if jitted is None:
            jitted = jit(traced_fn)
        return jitted(*args, **kwargs)

    return run


def _value_and_grad_traced(fn, args, argnums, has_aux, what):
    numbers = _argnums(argnums, len(args))
    staged, arrays, positions = _stage(fn, args, what)
    wrt, trees = _wrt_positions(args, numbers, positions)
    _check_float([arrays[i] for i in wrt], what)
    out_leaves_count = len(staged.out_signatures)
    if has_aux:
        value_count = _aux_split(staged, what)
    else:
        value_count = out_leaves_count
    if (value_count != 1 or staged.out_template[0] is not None or staged.out_signatures[0][0] != ()
            or not dtypes.is_floating(staged.out_signatures[0][1])):
        shape, dtype = staged.out_signatures[0] if staged.out_signatures else ((), None)
        raise errors.TracedShapeError(
            f"{what} needs a function that returns one float scalar{' (and aux)' if has_aux else ''}; it returned "
            f"{_describe_outputs(staged)}",
            fix="reduce the output to a scalar (e.g. .sum() or .mean()), or use tracer.vjp for other outputs"
                + ("" if has_aux else "; return (loss, aux) with has_aux=True to carry other values"))
    module = _differentiated(staged, "reverse", wrt)
    cotangents = [np.ones((), staged.out_signatures[0][1])] + [np.zeros(shape, dtype)
                                                               for shape, dtype in staged.out_signatures[1:]]
    results = _call(module, [*arrays, *staged.captured, *cotangents], "grad")
    outs, grads = results[:out_leaves_count], results[out_leaves_count:]
    out = staged.rebuild(outs)
    grouped, offset = [], 0
    for n, tree in zip(numbers, trees):
        grouped.append(tree_util.tree_unflatten(tree, grads[offset:offset + tree.num_leaves]))
        offset += tree.num_leaves
    gradient = grouped[0] if isinstance(argnums, int) else tuple(grouped)
    return out, gradient


def _aux_split(staged: _Staged, what: str) -> int:
    """With has_aux, the output is (value, aux): how many leaves the value has."""
    children = [] if tree_util.treedef_is_leaf(staged.out_tree) else staged.out_tree.children()
    if len(children) != 2:
        raise errors.TracedTypeError(f"{what}(has_aux=True) needs a function returning a pair (value, aux), "
                                     f"got {_describe_outputs(staged)}", fix="return (loss, aux)")
    return children[0].num_leaves


def _describe_outputs(staged: _Staged) -> str:
    shown = [f"{dtypes.short_name(dtype)}[{','.join(map(str, shape))}]" for shape, dtype in staged.out_signatures]
    return str(staged.rebuild(shown)).replace("'", "")


def value_and_grad(fn: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False) -> Callable:
    """`fn`'s value and its gradient with respect to the arguments `argnums` (pytrees give pytrees).

    `fn` returns a float scalar, or `(scalar, aux)` with `has_aux=True` (then the result is
    `((value, aux), grads)`). Works eagerly (compiled and cached like `tracer.jit`) and inside traced code.
    """

    def traced(*args):
        return _value_and_grad_traced(fn, args, argnums, has_aux, "tracer.value_and_grad")

    return _eager_or_traced(functools.wraps(fn)(traced))


def grad(fn: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False) -> Callable:
    """The gradient of a float-scalar function with respect to the arguments `argnums` (see `value_and_grad`).
    With `has_aux=True` it returns `(grads, aux)`."""

    def traced(*args):
        out, gradient = _value_and_grad_traced(fn, args, argnums, has_aux, "tracer.grad")
        return (gradient, out[1]) if has_aux else gradient

    return _eager_or_traced(functools.wraps(fn)(traced))


# Eager runners of vjp's and jvp's programs, per function: called again on the same signature, they reuse
# the compiled program as `tracer.jit` does (a weak key: the cache goes when the function does).
_RUNNERS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _runner(fn: Callable, kind: str, make: Callable) -> Callable:
    try:
        runners = _RUNNERS.setdefault(fn, {})
    except TypeError:  # a callable that takes no weak references: no cache
        return make()
    if kind not in runners:
        runners[kind] = make()
    return runners[kind]


def vjp(fn: Callable, *primals, has_aux: bool = False):
    """`(fn(*primals), pullback)`; `pullback(cotangent)` gives one cotangent per primal (a tuple).
    With `has_aux=True`, fn returns `(out, aux)` and vjp returns `(out, pullback, aux)`."""
    out = _runner(fn, "value", lambda: _eager_or_traced(fn))(*primals)
    value, aux = (out[0], out[1]) if has_aux else (out, None)

    def value_only(*args):
        result = fn(*args)
        return result[0] if has_aux else result

    def pullback_traced(primals_, cotangent):
        staged, arrays, positions = _stage(value_only, tuple(primals_), "tracer.vjp")
        wrt, trees = _wrt_positions(tuple(primals_), tuple(range(len(primals_))), positions)
        _check_float([arrays[i] for i in wrt], "tracer.vjp")
        ct_leaves, ct_tree = tree_util.tree_flatten(cotangent)
        ct_leaves = [c for c, slot in zip(ct_leaves, staged.out_template) if slot is None]  # (none for static outputs)
        if ct_tree != staged.out_tree or [tuple(np.shape(c)) for c in ct_leaves] != [s for s, _ in staged.out_signatures]:
            raise errors.TracedShapeError(
                f"tracer.vjp: the cotangent must match the output ({_describe_outputs(staged)}), got "
                f"{tree_util.tree_unflatten(ct_tree, [np.shape(c) for c in ct_leaves])}",
                fix="pass a cotangent of the output's structure, shapes and dtypes")
        ct_leaves = [primitives.lift(c, dtype) for c, (_, dtype) in zip(ct_leaves, staged.out_signatures)]
        module = _differentiated(staged, "reverse", wrt)
        results = _call(module, [*arrays, *staged.captured, *ct_leaves], "vjp")
        grads = results[len(staged.out_signatures):]
        grouped, offset = [], 0
        for tree in trees:
            grouped.append(tree_util.tree_unflatten(tree, grads[offset:offset + tree.num_leaves]))
            offset += tree.num_leaves
        return tuple(grouped)

    pullback_run = _runner(fn, f"pullback{has_aux}", lambda: _eager_or_traced(pullback_traced))

    def pullback(cotangent):
        return pullback_run(tuple(primals), cotangent)

    return (value, pullback, aux) if has_aux else (value, pullback)


def jvp(fn: Callable, primals: Sequence, tangents: Sequence):
    """`(fn(*primals), tangent of the output)` for the input tangents `tangents` (one per primal, same structure)."""

    def traced(primals_, tangents_):
        primals_, tangents_ = tuple(primals_), tuple(tangents_)
        if len(primals_) != len(tangents_):
            raise errors.TracedTypeError(f"tracer.jvp: {len(primals_)} primals but {len(tangents_)} tangents",
                                         fix="give one tangent per primal, of the same structure")
        staged, arrays, positions = _stage(fn, primals_, "tracer.jvp")
        wrt, _ = _wrt_positions(primals_, tuple(range(len(primals_))), positions)
        tangent_leaves = tree_util.tree_leaves(tangents_)
        if len(tangent_leaves) != len(wrt):
            raise errors.TracedTypeError("tracer.jvp: the tangents do not have the primals' structure",
                                         fix="give one tangent per primal, of the same structure")
        _check_float([arrays[i] for i in wrt], "tracer.jvp")
        tangent_leaves = [primitives.lift(_as_array(t), arrays[i].dtype) for t, i in zip(tangent_leaves, wrt)]
        module = _differentiated(staged, "forward", wrt)
        results = _call(module, [*arrays, *staged.captured, *tangent_leaves], "jvp")
        count = len(staged.out_signatures)
        return staged.rebuild(results[:count]), staged.rebuild(results[count:])

    return _runner(fn, "jvp", lambda: _eager_or_traced(traced))(tuple(primals), tuple(tangents))



def stop_gradient(x):
    """`x`, held fixed by differentiation: no derivative flows through the result (JAX's `lax.stop_gradient`).

    Eagerly (a NumPy value) it is `x`. Traced, it is a `stablehlo.reduce_precision` to x's own widths (the
    identity) marked `pyreactant.stop_gradient`, which `passes.autodiff` treats as constant.
    """
    if not is_traced(x):
        return x
    with at_user_line():
        return primitives.stop_gradient(x)
