"""Our Python passes by kebab-case name, imported lazily when a pipeline names them.

A pass is a frozen dataclass with `name: ClassVar[str]`, options as fields
(`max-iterations` -> `max_iterations`), and `apply(self, module)`; it leaves
valid IR and is safe to run twice. `apply` may return whether it changed the module
(False spares the manager verifying it again; None means it may have). Names not found here are MLIR's own passes.
"""

from __future__ import annotations

import dataclasses
import importlib
from typing import Callable

from passes.pipeline import PassSpec, PipelineError

__all__ = ["instantiate", "lookup", "python_pass_names", "register_lazy", "register_pass"]

# name -> "module:Class", resolved on first use so importing `passes` stays cheap.
_LAZY: dict[str, str] = {
    "inline": "passes.inline:Inline",
    "dce": "passes.dce:DeadCodeElimination",
    "fold": "passes.fold:Fold",
    "licm": "passes.licm:LoopInvariantCodeMotion",
    "while-simplify": "passes.while_simplify:WhileSimplify",
    "simplify": "passes.simplify:Simplify",
    "autodiff": "passes.autodiff:Autodiff",
}
_LOADED: dict[str, type] = {}


def register_pass(cls: type) -> type:
    """Class decorator: make a pass available to pipelines under `cls.name`."""
    _LOADED[cls.name] = cls
    return cls


def register_lazy(name: str, target: str) -> None:
    """Make `name` resolve to `"package.module:Class"`, imported when first used."""
    _LAZY[name] = target


def python_pass_names() -> list[str]:
    return sorted(set(_LAZY) | set(_LOADED))


def lookup(name: str) -> type | None:
    if name in _LOADED:
        return _LOADED[name]
    if name in _LAZY:
        module_name, _, class_name = _LAZY[name].partition(":")
        cls = getattr(importlib.import_module(module_name), class_name)
        _LOADED[name] = cls
        return cls
    return None


def instantiate(cls: type, spec: PassSpec):
    """The pass object for `spec`, converting option strings to the fields' types."""
    fields = {f.name: f for f in dataclasses.fields(cls)}
    kwargs = {}
    for key, text in spec.options.items():
        field_name = key.replace("-", "_")
        if field_name not in fields:
            raise PipelineError(f"pass {spec.name!r} has no option {key!r}; options: "
                                + ", ".join(n.replace("_", "-") for n in fields), where="")
        kwargs[field_name] = _parse_option(fields[field_name].type, text, spec.name, key)
    return cls(**kwargs)


_OPTION_PARSERS: dict[str, Callable[[str], object]] = {
    "int": int,
    "float": float,
    "str": str,
    "bool": lambda text: {"true": True, "false": False, "1": True, "0": False}[text.casefold()],
}


def _parse_option(annotation, text: str, pass_name: str, key: str):
    type_name = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", "str")
    try:
        return _OPTION_PARSERS.get(type_name, str)(text)
    except (ValueError, KeyError):
        raise PipelineError(f"option {key}={text!r} of pass {pass_name!r} is not a valid {type_name}",
                            where="") from None
