"""How the tracer's modules fit together: names that say one thing, imports in one direction,
`__all__` as the list of what other modules may use.

The import checks read the source (`ast`) or import a module alone in a fresh interpreter, so a
cycle shows here even while `import tracer`, which imports everything in one fixed order, works.
"""

from __future__ import annotations

import ast
import importlib
import os
import subprocess
import sys
import types
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

import tracer

ROOT = Path(__file__).resolve().parents[2]
SHADOWED_FOR_NOW: set[str] = set()  # (tracer/jit.py, hidden by the tracer.jit function, is jit_function.py now)


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(path): path for path in sorted((ROOT / "tracer").rglob("*.py"))}
PACKAGES = sorted(name for name, path in MODULES.items() if path.name == "__init__.py")
NUMPY_API = sorted(name for name in MODULES if name.startswith("tracer.numpy_api."))


def _imports(tree: ast.AST):
    """(module, name, bound as) for each `import tracer.m [as a]` and `from tracer.m import name [as a]`
    in `tree`; name is None where the import binds a module."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "tracer":
                    yield alias.name, None, alias.asname or "tracer"
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").split(".")[0] == "tracer":
            for alias in node.names:
                submodule = f"{node.module}.{alias.name}"
                if submodule in MODULES:
                    yield submodule, None, alias.asname or alias.name
                else:
                    yield node.module, alias.name, alias.asname or alias.name


def _module_level_graph() -> dict[str, set[str]]:
    """module -> the modules that importing it runs: what it imports at the top, and their packages'
    `__init__`s, except packages it is inside (Python has those under way already)."""
    graph = {}
    for module, path in MODULES.items():
        top = [node for node in ast.parse(path.read_text()).body if isinstance(node, (ast.Import, ast.ImportFrom))]
        runs = set()
        for node in top:
            for imported, _, _ in _imports(node):
                parts = imported.split(".")
                runs |= {".".join(parts[:i]) for i in range(2, len(parts) + 1)}
        graph[module] = {m for m in runs if m in MODULES and m != module and not module.startswith(m + ".")}
    return graph


def test_the_trace_decorator_and_the_trace_state_module_are_distinct():
    import tracer.trace_state

    assert isinstance(tracer.trace_state, types.ModuleType) and tracer.trace_state.current_trace() is None
    assert isinstance(tracer.trace, types.FunctionType) and tracer.trace.__module__ == "tracer.control_flow.autograph"


@pytest.mark.parametrize("package", PACKAGES)
def test_no_module_is_named_like_a_function_its_package_exports(package):
    module = importlib.import_module(package)
    submodules = {name.rpartition(".")[2] for name in MODULES if name.rpartition(".")[0] == package}
    shadowed = [name for name in module.__all__ if name in submodules and f"{package}.{name}" not in SHADOWED_FOR_NOW
                and not isinstance(getattr(module, name), types.ModuleType)]
    assert not shadowed, f"{package} exports non-modules named like its submodules: {shadowed}"


def test_module_imports_form_no_cycle():
    graph, state, cycles = _module_level_graph(), {}, []

    def visit(module, path):
        state[module] = "open"
        for imported in sorted(graph[module]):
            if state.get(imported) == "open":
                cycles.append(path[path.index(imported):] + [imported])
            elif imported not in state:
                visit(imported, path + [imported])
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(cycle) for cycle in cycles)


def test_no_import_of_the_tracer_hides_inside_a_function():
    """A function-level import is how a cycle hides from the checks above."""
    hidden = []
    for module, path in MODULES.items():
        for function in ast.walk(ast.parse(path.read_text())):
            if isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                hidden += [f"{module}.{function.name} imports {imported}" for imported, _, _ in _imports(function)]
    assert not hidden


_IMPORT_ALONE = """
import importlib, sys, types
for name in ("tracer", "tracer.numpy_api", "tracer.control_flow"):  # the packages, without their __init__
    sys.modules[name] = package = types.ModuleType(name)
    package.__path__ = [{root!r} + "/" + name.replace(".", "/")]
importlib.import_module({module!r})
"""


def test_each_numpy_api_module_imports_alone_in_a_fresh_interpreter():
    """Each module with only what it imports itself (the package `__init__`s, which import everything,
    do not run): a module that needs another imported first, as a cycle does, fails here."""

    def import_alone(module):
        script = _IMPORT_ALONE.format(root=str(ROOT), module=module)
        result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300, cwd=ROOT)
        return module, result.returncode, result.stderr.strip().splitlines()[-1:]

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        failed = [(module, error) for module, code, error in pool.map(import_alone, NUMPY_API) if code != 0]
    assert not failed, "\n".join(f"{module}: {error}" for module, error in failed)


@pytest.mark.parametrize("module", sorted(MODULES))
def test_every_module_lists_its_names_in_all(module):
    imported = importlib.import_module(module)
    assert isinstance(getattr(imported, "__all__", None), list), f"{module} has no explicit __all__"
    missing = [name for name in imported.__all__ if not hasattr(imported, name)]
    assert not missing, f"{module}.__all__ lists names it does not have: {missing}"


def _uses_of_tracer_names():
    """(file, module, name) for each `from tracer.m import name`, and each `m.name` / `tracer.m.name`
    where m is a module of the tracer, in the project's Python files; private names left out."""
    for path in (p for folder in ("tracer", "lux", "tests", "benchmarks", "examples") for p in (ROOT / folder).rglob("*.py")):
        tree, user = ast.parse(path.read_text()), str(path.relative_to(ROOT))
        bound = {}
        for module, name, alias in _imports(tree):
            if name is not None:
                if not name.startswith("_"):
                    yield user, module, name
            else:
                bound[alias] = module if alias != "tracer" else "tracer"
        for node in ast.walk(tree):
            chain = []
            while isinstance(node, ast.Attribute):
                chain.insert(0, node.attr)
                node = node.value
            if chain and isinstance(node, ast.Name) and node.id in bound:
                module = bound[node.id]
                while chain and f"{module}.{chain[0]}" in MODULES:  # tracer.numpy_api.coverage.START
                    module = f"{module}.{chain.pop(0)}"
                if chain and not chain[0].startswith("_"):
                    yield user, module, chain[0]


def test_what_other_modules_use_is_in_all():
    """`__all__` is the contract: a public name used from outside its module is listed in it."""
    unlisted = set()
    for user, module, name in _uses_of_tracer_names():
        if name not in importlib.import_module(module).__all__:
            unlisted.add(f"{user} uses {module}.{name}")
    assert not unlisted, "\n".join(sorted(unlisted))
