"""The NumPy coverage table in README.md, generated from the registries so it cannot drift.

    python -m tracer.numpy_api.coverage README.md     # rewrite the table between its markers

`tests/tracer/test_coverage_doc.py` fails when the README's table differs from `markdown_table()`.
"""

from __future__ import annotations

import sys
from collections import defaultdict

from tracer.numpy_api.registry import HANDLED_FUNCTIONS, UFUNC_RULES, public_name

__all__ = ["END", "START", "markdown_table", "names_by_area", "rewrite"]

START, END = "<!-- numpy-coverage:start -->", "<!-- numpy-coverage:end -->"


def _area(impl) -> str:
    """The registry module an implementation lives in (`tracer.numpy_api.sorting` -> "sorting")."""
    return getattr(impl, "__module__", "").rsplit(".", 1)[-1].replace("_", " ") or "other"


def names_by_area() -> dict[str, list[str]]:
    areas: dict[str, set[str]] = defaultdict(set)
    for ufunc, rule in UFUNC_RULES.items():
        areas["ufuncs" if _area(rule) in ("ufuncs", "float bits", "integer bits") else _area(rule)].add(f"numpy.{ufunc.__name__}")
    for function, impl in HANDLED_FUNCTIONS.items():
        areas[_area(impl)].add(public_name(function))
    return {area: sorted(names) for area, names in sorted(areas.items())}


def markdown_table() -> str:
    areas = names_by_area()
    total = sum(len(names) for names in areas.values())
    rows = [f"{total} NumPy names trace (`tracer.numpy_coverage()`):", "", "| area | functions |", "|---|---|"]
    for area, names in areas.items():
        shown = ", ".join(f"`{name.removeprefix('numpy.')}`" for name in names)
        rows.append(f"| {area} ({len(names)}) | {shown} |")
    return "\n".join(rows)


def rewrite(path: str) -> None:
    text = open(path, encoding="utf-8").read()
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    with open(path, "w", encoding="utf-8") as out:
        out.write(f"{head}{START}\n{markdown_table()}\n{END}{tail}")


if __name__ == "__main__":
    import tracer  # noqa: F401  (fills the registries)

    rewrite(sys.argv[1])
