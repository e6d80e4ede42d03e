"""`@tracer.trace`: Python `if`, `for ... in range(...)` and `while` on traced values become
`tracer.cond`, `fori_loop`-style and `while_loop` control flow, by rewriting the function's AST.

Each statement is rewritten into nested functions over the variables it assigns
(its *state*) and one call into `tracer.control_flow._autograph_runtime`, which at
run time decides: a Python-valued condition or range runs as ordinary Python; a
traced one becomes structured control flow. Rewritten code keeps the original
file and line numbers, so errors and IR locations point at the user's lines.

Statements that jump out (`return`, `break`, `continue`) stay Python statements;
if their condition turns out to be traced, a clear error says so.
"""

from __future__ import annotations

import ast
import functools
import inspect
import itertools
import textwrap
import types
from typing import Callable

from tracer import errors
from tracer.control_flow import _autograph_runtime

__all__ = ["assigned_names", "trace"]

_RUNTIME = "__pyreactant_ag"
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


class _Assigned(ast.NodeVisitor):
    """Names a block of statements (re)binds, not looking into nested functions, classes or comprehensions."""

    def __init__(self):
        self.names: list[str] = []

    def _add(self, name: str) -> None:
        if name not in self.names:
            self.names.append(name)

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Store):
            self._add(node.id)

    def visit_Subscript(self, node: ast.Subscript) -> None:
        # x[i] = v rebinds x's traced value (value semantics): x is state.
        base = node.value
        while isinstance(base, ast.Subscript):
            base = base.value
        if isinstance(node.ctx, ast.Store) and isinstance(base, ast.Name):
            self._add(base.id)
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        target = node.target.value if isinstance(node.target, ast.Subscript) else node.target
        if isinstance(target, ast.Name):
            self._add(target.id)
        self.generic_visit(node)

    def visit_FunctionDef(self, node) -> None:  # a nested def binds a function, which is not state
        pass

    visit_AsyncFunctionDef = visit_ClassDef = visit_Lambda = visit_FunctionDef
    visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = visit_FunctionDef


def assigned_names(statements) -> list[str]:
    visitor = _Assigned()
    for statement in statements:
        visitor.visit(statement)
    return [name for name in visitor.names if not name.startswith("__pyr_")]


def _jumps_out(statements) -> bool:
    """True if a return/yield/global/nonlocal, or a break/continue of *this* level, is among `statements`."""
    for statement in statements:
        if isinstance(statement, _SCOPES):
            continue
        for node in _walk_same_scope(statement, loops_hide_jumps=True):
            if isinstance(node, (ast.Return, ast.Yield, ast.YieldFrom, ast.Global, ast.Nonlocal)):
                return True
            if isinstance(node, (ast.Break, ast.Continue)):
                return True
    return False


def _walk_same_scope(node, *, loops_hide_jumps: bool):
    """Walk `node` without entering nested scopes; break/continue inside inner loops are not reported."""
    stack = [(node, False)]
    while stack:
        current, inside_inner_loop = stack.pop()
        if not (inside_inner_loop and isinstance(current, (ast.Break, ast.Continue))):
            yield current
        for child in ast.iter_child_nodes(current):
            if isinstance(child, _SCOPES):
                continue
            inner = inside_inner_loop or (loops_hide_jumps and isinstance(current, (ast.For, ast.While))
                                          and child not in (current.orelse or []))
            stack.append((child, inner))


def _call(function: str, *args: ast.expr) -> ast.Call:
    return ast.Call(func=ast.Attribute(value=ast.Name(_RUNTIME, ast.Load()), attr=function, ctx=ast.Load()),
                    args=list(args), keywords=[])


def _names_tuple(names, ctx) -> ast.Tuple:
    return ast.Tuple([ast.Name(name, ctx()) for name in names], ctx())


def _strings(names) -> ast.Tuple:
    return ast.Tuple([ast.Constant(name) for name in names], ast.Load())


def _snapshot(names) -> ast.Call:
    locals_call = ast.Call(func=ast.Name("locals", ast.Load()), args=[], keywords=[])
    return _call("snapshot", locals_call, _strings(names))


def _function(name: str, params, body, returns) -> ast.FunctionDef:
    body = list(body) + [ast.Return(_names_tuple(returns, ast.Load))]
    arguments = ast.arguments(posonlyargs=[], args=[ast.arg(p) for p in params], vararg=None, kwonlyargs=[],
                              kw_defaults=[], kwarg=None, defaults=[])
    return ast.FunctionDef(name=name, args=arguments, body=body, decorator_list=[], returns=None, type_params=[])


class _ControlFlow(ast.NodeTransformer):
    def __init__(self):
        self._ids = itertools.count()

    def _fresh(self, kind: str) -> str:
        return f"__pyr_{kind}_{next(self._ids)}"

    def visit_FunctionDef(self, node):  # nested functions keep Python semantics
        return node

    visit_AsyncFunctionDef = visit_ClassDef = visit_Lambda = visit_FunctionDef

    def _place(self, node, statements):
        """Generated nodes sit on the statement's first line (the `if`/`for`/`while` line), so the
        IR locations and error messages of the control flow op name that line."""
        for statement in statements:
            for child in ast.walk(statement):
                if getattr(child, "lineno", None) is None or child is statement:
                    child.lineno = child.end_lineno = node.lineno
                    child.col_offset, child.end_col_offset = node.col_offset, node.col_offset
        return statements

    def visit_If(self, node: ast.If):
        self.generic_visit(node)
        if _jumps_out(node.body + node.orelse):
            node.test = self._located(node.test, _call("static_condition", node.test, ast.Constant("if"),
                                                       ast.Constant(node.lineno)))
            return node
        names = assigned_names(node.body + node.orelse)
        true_name, false_name = self._fresh("if_true"), self._fresh("if_false")
        true_fn = _function(true_name, names, node.body, names)
        false_fn = _function(false_name, names, node.orelse or [ast.Pass()], names)
        call = _call("if_stmt", node.test, ast.Name(true_name, ast.Load()), ast.Name(false_name, ast.Load()),
                     _snapshot(names), _strings(names), _strings(assigned_names(node.body)),
                     _strings(assigned_names(node.orelse)), ast.Constant(node.lineno))
        return self._place(node, [true_fn, false_fn, self._assign(names, call)])

    @staticmethod
    def _located(original: ast.expr, replacement: ast.expr) -> ast.expr:
        """`replacement` at `original`'s source position (its new nodes too), for tracebacks and IR locations."""
        for child in ast.walk(replacement):
            if getattr(child, "lineno", None) is None:
                ast.copy_location(child, original)
        return ast.copy_location(replacement, original)

    def _assign(self, names, call):
        if not names:
            return ast.Expr(call)
        return ast.Assign(targets=[_names_tuple(names, ast.Store)], value=call)

    def visit_For(self, node: ast.For):
        self.generic_visit(node)
        is_range = (isinstance(node.iter, ast.Call) and isinstance(node.iter.func, ast.Name)
                    and node.iter.func.id == "range" and not node.iter.keywords and 1 <= len(node.iter.args) <= 3)
        if not is_range or not isinstance(node.target, ast.Name) or node.orelse:
            return node  # iteration over Python objects: ordinary Python
        range_args = ast.Tuple(list(node.iter.args), ast.Load())
        if _jumps_out(node.body):
            node.iter = self._located(node.iter, _call("static_range", range_args, ast.Constant(node.lineno)))
            return node
        index = node.target.id
        names = [name for name in assigned_names(node.body) if name != index]
        body_name = self._fresh("for_body")
        body_fn = _function(body_name, [index, *names], node.body, names)
        call = _call("for_range", range_args, ast.Name(body_name, ast.Load()), _snapshot(names), _strings(names),
                     ast.Constant(index), _snapshot([index]), ast.Constant(node.lineno))
        return self._place(node, [body_fn, self._assign([index, *names], call)])

    def visit_While(self, node: ast.While):
        self.generic_visit(node)
        if _jumps_out(node.body) or node.orelse:
            node.test = self._located(node.test, _call("static_condition", node.test, ast.Constant("while"),
                                                       ast.Constant(node.lineno)))
            return node
        names = assigned_names(node.body)
        cond_name, body_name = self._fresh("while_cond"), self._fresh("while_body")
        cond_fn = _function(cond_name, names, [], [])
        cond_fn.body = [ast.Return(node.test)]
        body_fn = _function(body_name, names, node.body, names)
        call = _call("while_stmt", ast.Name(cond_name, ast.Load()), ast.Name(body_name, ast.Load()),
                     _snapshot(names), _strings(names), ast.Constant(node.lineno))
        return self._place(node, [cond_fn, body_fn, self._assign(names, call)])


def trace(fn: Callable) -> Callable:
    """Rewrite `fn` so Python `if`/`for i in range(...)`/`while` on traced values become structured control flow.

    Variables assigned in a branch or loop body become carried values; statements
    whose conditions are Python values still run as plain Python.
    """
    if not callable(fn):
        raise TypeError("tracer.trace decorates a function")
    target = inspect.unwrap(fn)
    if getattr(target, "__name__", "") == "<lambda>":
        raise errors.TracerError("@tracer.trace cannot rewrite a lambda", fix="write the function with def")
    try:
        source = textwrap.dedent(inspect.getsource(target))
        filename = inspect.getsourcefile(target) or "<unknown>"
    except (OSError, TypeError):
        raise errors.TracerError(f"@tracer.trace needs the source code of {getattr(fn, '__name__', fn)!r}",
                                 fix="define the function in a file (not a lambda or the interactive prompt)") from None
    module = ast.parse(source)
    function = module.body[0]
    if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
        raise errors.TracerError("@tracer.trace decorates `def` functions", fix="write the function with def")
    function.decorator_list = []
    ast.increment_lineno(module, target.__code__.co_firstlineno - 1)
    function.body = [stmt for node in function.body for stmt in _as_list(_ControlFlow().visit(node))]
    free = target.__code__.co_freevars
    factory = ast.FunctionDef(
        name="__pyr_factory",
        args=ast.arguments(posonlyargs=[], args=[ast.arg(_RUNTIME), *(ast.arg(name) for name in free)], vararg=None,
                           kwonlyargs=[], kw_defaults=[], kwarg=None, defaults=[]),
        body=[function, ast.Return(ast.Name(function.name, ast.Load()))],
        decorator_list=[], returns=None, type_params=[])
    wrapper = ast.Module(body=[factory], type_ignores=[])
    ast.fix_missing_locations(ast.copy_location(factory, function))
    ast.fix_missing_locations(wrapper)
    namespace: dict = {}
    exec(compile(wrapper, filename, "exec"), target.__globals__, namespace)
    # The factory only gave the compiler the free names; the function is rebuilt on the original
    # cells, so it sees its enclosing variables' values at call time, as the original does.
    code = next(c for c in namespace["__pyr_factory"].__code__.co_consts
                if isinstance(c, types.CodeType) and c.co_name == function.name)
    cells = dict(zip(free, target.__closure__ or ()))
    cells[_RUNTIME] = types.CellType(_autograph_runtime)
    rewritten = types.FunctionType(code, target.__globals__, target.__name__, target.__defaults__,
                                   tuple(cells[name] for name in code.co_freevars))
    rewritten.__kwdefaults__ = target.__kwdefaults__

    @functools.wraps(target)
    def run(*args, **kwargs):
        result = rewritten(*args, **kwargs)
        _autograph_runtime.check_defined(result)
        return result

    run.__pyreactant_source__ = ast.unparse(function)
    return run


def _as_list(result):
    return result if isinstance(result, list) else [result]
