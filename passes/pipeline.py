"""Textual pass pipelines: `"canonicalize,simplify{max-iterations=8},cse"` <-> a list of PassSpec."""

from __future__ import annotations

from dataclasses import dataclass, field

from ir.errors import PyreactantError

__all__ = ["PassSpec", "PipelineError", "parse_pipeline"]


class PipelineError(PyreactantError, ValueError):
    """A pipeline string that does not parse, names an unknown pass, or gives a bad option."""


@dataclass(frozen=True)
class PassSpec:
    name: str
    options: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        if not self.options:
            return self.name
        return self.name + "{" + " ".join(f"{key}={value}" for key, value in self.options.items()) + "}"


def _split_top_level(text: str, separator: str) -> list[str]:
    parts, depth, current = [], 0, []
    for char in text:
        if char in "{(":
            depth += 1
        elif char in "})":
            depth -= 1
            if depth < 0:
                raise PipelineError(f"unbalanced '{char}' in pipeline {text!r}", where="")
        if char == separator and depth == 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    if depth != 0:
        raise PipelineError(f"unbalanced braces in pipeline {text!r}", where="")
    parts.append("".join(current))
    return parts


def parse_pipeline(text: str) -> list[PassSpec]:
    """Split a pipeline into passes with their `{key=value ...}` options (space- or comma-separated)."""
    specs = []
    for item in _split_top_level(text.strip(), ","):
        item = item.strip()
        if not item:
            raise PipelineError(f"empty pass name in pipeline {text!r}", where="")
        if "(" in item and ("{" not in item or item.index("(") < item.index("{")):
            # A nested MLIR pipeline such as func.func(cse,canonicalize{...}): passed to MLIR whole.
            if not item.endswith(")"):
                raise PipelineError(f"nested pipeline {item!r} must end with ')'", where="")
            specs.append(PassSpec(item))
            continue
        name, _, rest = item.partition("{")
        options = {}
        if rest:
            if not rest.endswith("}"):
                raise PipelineError(f"options of {name!r} must end with '}}': {item!r}", where="")
            key = None
            for option in rest[:-1].split():
                for part in option.split(","):
                    if not part:
                        continue
                    new_key, equals, value = part.partition("=")
                    if equals:
                        key = new_key
                        options[key] = value
                    elif key is not None and "," in option:  # a list value: wrt=0,1
                        options[key] += "," + part
                    else:
                        raise PipelineError(f"option {part!r} of pass {name!r} must be key=value", where="")
        specs.append(PassSpec(name.strip(), options))
    return specs
