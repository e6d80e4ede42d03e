"""Run-time half of `@tracer.trace`: each rewritten statement calls one function here.

A condition or range that is a Python value runs the statement as plain Python;
a traced one turns it into `tracer.cond` / a while loop over the statement's state.
"""

from __future__ import annotations

import numpy as np

from tracer import errors
from tracer.control_flow._regions import WEAK_TYPES, Undefined
from tracer.control_flow.conditionals import cond
from tracer.control_flow.loops import weak_index, while_loop
from tracer.traced_array import check_writable, is_traced, rebind

__all__ = ["check_defined", "for_range", "if_stmt", "snapshot", "static_condition", "static_range", "while_stmt"]


def check_defined(result) -> None:
    """Returning a variable that has no value is an error, as it is in Python."""
    from jax import tree_util

    for leaf in tree_util.tree_leaves(result):
        if type(leaf) is Undefined:
            leaf._fail()


_NOT_YET = "is not defined yet (it is assigned later)"


def snapshot(namespace: dict, names: tuple) -> tuple:
    return tuple(namespace.get(name, Undefined(name, _NOT_YET)) for name in names)


def _is_defined(value) -> bool:
    return type(value) is not Undefined


def _check_carriable(names, values, statement: str, line: int) -> None:
    for name, value in zip(names, values):
        if type(value) is Undefined:  # e.g. the index of a traced inner loop: fine unless used later
            continue
        if not (is_traced(value) or isinstance(value, (np.ndarray, np.generic, *WEAK_TYPES)) or _is_pytree_of_arrays(value)):
            raise errors.TracedTypeError(
                f"variable {name!r} holds a {type(value).__name__} after the `{statement}` at line {line}, whose "
                "condition is traced: variables assigned there must hold arrays or numbers",
                fix="keep Python objects out of traced branches and loops, or make the condition static",
            )


def _is_pytree_of_arrays(value) -> bool:
    from jax import tree_util

    leaves = tree_util.tree_leaves(value)
    return isinstance(value, (tuple, list, dict)) and all(
        is_traced(leaf) or isinstance(leaf, (np.ndarray, np.generic, *WEAK_TYPES)) for leaf in leaves)


class _InPlace:
    """Which carried variables a traced statement's body only wrote into (`x[i] = v`, `x += v`): the name still
    holds the array the body was given. NumPy changes that array in place, so after the statement the array
    the name held before takes the final value (an argument written in a loop changes the caller's array)."""

    def __init__(self):
        self.kept: dict[int, bool] = {}

    def note(self, position: int, given, returned) -> None:
        self.kept[position] = self.kept.get(position, True) and returned is given

    def write_back(self, state, out: list) -> None:
        for position, kept in self.kept.items():
            before = state[position]
            if kept and is_traced(before) and is_traced(out[position]) and out[position] is not before:
                rebind(check_writable(before), out[position]._value)
                out[position] = before


def if_stmt(test, true_fn, false_fn, state: tuple, names: tuple, true_assigns: tuple, false_assigns: tuple, line: int):
    if not is_traced(test):
        return (true_fn if bool(np.asarray(test)) else false_fn)(*state)
    # A variable with no value before the `if` that only one branch assigns has no value after it.
    carried = [i for i, (name, value) in enumerate(zip(names, state))
               if _is_defined(value) or (name in true_assigns and name in false_assigns)]
    in_place = _InPlace()

    def branch(fn):
        def run(*values):
            full = list(state)
            for position, value in zip(carried, values):
                full[position] = value
            out = fn(*full)
            for position in carried:
                in_place.note(position, full[position], out[position])
            picked = [out[i] for i in carried]
            _check_carriable([names[i] for i in carried], picked, "if", line)
            return tuple(picked)

        return run

    results = cond(test, branch(true_fn), branch(false_fn), *[state[i] for i in carried])
    out = [Undefined(name, f"is assigned in only one branch of the `if` at line {line}, whose condition is traced")
           for name in names]
    for position, value in zip(carried, results):
        out[position] = value
    in_place.write_back(state, out)
    return tuple(out)


def _range_is_static(args) -> bool:
    return not any(is_traced(a) for a in args)


def static_range(args: tuple, line: int):
    if _range_is_static(args):
        return range(*args)
    raise errors.ConcretizationError(
        f"the `for` loop at line {line} has traced range bounds but contains break, continue or return, "
        "which cannot depend on a traced value",
        fix="remove the jump (e.g. keep a flag in the carried state and np.where on it), or make the bounds static",
    )


def static_condition(test, statement: str, line: int):
    if not is_traced(test):
        return test
    raise errors.ConcretizationError(
        f"the `{statement}` at line {line} has a traced condition but contains break, continue or return "
        "(or an else clause), which cannot depend on a traced value",
        fix="compute both outcomes and select with np.where, or restructure the code without the jump",
    )


def for_range(args: tuple, body_fn, state: tuple, names: tuple, index_name: str, index_before: tuple, line: int):
    if _range_is_static(args):
        (index,) = index_before  # a loop that runs zero times leaves its index as it was
        for index in range(*args):
            state = body_fn(index, *state)
        return (index, *state)
    start, stop, step = (0, args[0], 1) if len(args) == 1 else (*args, 1)[:3]
    if is_traced(step) or int(step) == 0:
        raise errors.TracedTypeError(f"the `for` loop at line {line} needs a nonzero Python int step",
                                     fix="give range() a constant step")
    step = int(step)
    carried = [i for i, value in enumerate(state) if _is_defined(value)]
    in_place = _InPlace()

    def condition(carry):
        return carry[0] < stop if step > 0 else carry[0] > stop

    def body(carry):
        index, values = carry
        full = list(state)
        for position, value in zip(carried, values):
            full[position] = value
        out = body_fn(weak_index(index), *full)
        for position in carried:
            in_place.note(position, full[position], out[position])
        picked = tuple(out[i] for i in carried)
        _check_carriable([names[i] for i in carried], picked, "for", line)
        return index + step, picked

    first = start if is_traced(start) else np.asarray(start, dtype=np.result_type(
        *(a.dtype if is_traced(a) else np.asarray(a).dtype for a in (start, stop))))
    _, results = while_loop(condition, body, (first, tuple(state[i] for i in carried)))
    out = [Undefined(name, f"is assigned only inside the traced `for` loop at line {line}") for name in names]
    for position, value in zip(carried, results):
        out[position] = value
    in_place.write_back(state, out)
    index = Undefined(index_name, f"is the index of the traced `for` loop at line {line}, not available after it")
    return (index, *out)


def while_stmt(cond_fn, body_fn, state: tuple, names: tuple, line: int):
    while True:
        test = cond_fn(*state)
        if is_traced(test):
            break
        if not bool(np.asarray(test)):
            return state
        state = body_fn(*state)
    carried = [i for i, value in enumerate(state) if _is_defined(value)]
    in_place = _InPlace()

    def expand(values):
        full = list(state)
        for position, value in zip(carried, values):
            full[position] = value
        return full

    def body(values):
        full = expand(values)
        out = body_fn(*full)
        for position in carried:
            in_place.note(position, full[position], out[position])
        picked = tuple(out[i] for i in carried)
        _check_carriable([names[i] for i in carried], picked, "while", line)
        return picked

    results = while_loop(lambda values: cond_fn(*expand(values)), body, tuple(state[i] for i in carried))
    out = [Undefined(name, f"is assigned only inside the traced `while` loop at line {line}") for name in names]
    for position, value in zip(carried, results):
        out[position] = value
    in_place.write_back(state, out)
    return tuple(out)
