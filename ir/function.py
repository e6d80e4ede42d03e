"""Building a module that holds one public function, as traced code becomes."""

from __future__ import annotations

from typing import Sequence

from jaxlib.mlir import ir
from jaxlib.mlir.dialects import func

from ir import dtypes, query
from ir.context import make_context, parse_module

__all__ = ["FunctionBuilder", "main_signatures"]


class FunctionBuilder:
    """A module with one `func.func public @<name>`; ops go into its entry block.

    Usage: enter `builder.context` and an insertion point at `builder.block`,
    emit ops, then `builder.finish(results)`.
    """

    def __init__(self, name: str, arg_types: Sequence[tuple[tuple[int, ...], object]], *, module_name: str | None = None):
        self.context = make_context()
        with self.context, ir.Location.unknown():
            self.module = ir.Module.create()
            if module_name:
                self.module.operation.attributes["sym_name"] = ir.StringAttr.get(module_name)
            inputs = [dtypes.tensor_type(shape, dtype) for shape, dtype in arg_types]
            with ir.InsertionPoint(self.module.body):
                self.func = func.FuncOp(name, ir.FunctionType.get(inputs, []))
            self.func.attributes["sym_visibility"] = ir.StringAttr.get("public")
            self.block = self.func.add_entry_block()

    @property
    def arguments(self) -> list[ir.Value]:
        return list(self.block.arguments)

    def set_argument_attribute(self, index: int, name: str, value: ir.Attribute) -> None:
        """Attach `{name = value}` to argument `index` (e.g. `jax.buffer_donor`)."""
        with self.context:
            current = self.func.arg_attrs[index] if "arg_attrs" in self.func.attributes else None
            entries = {named.name: named.attr for named in ir.DictAttr(current)} if current else {}
            entries[name] = value
            all_attrs = list(self.func.arg_attrs) if "arg_attrs" in self.func.attributes else [ir.DictAttr.get({})] * len(self.arguments)
            all_attrs[index] = ir.DictAttr.get(entries)
            self.func.arg_attrs = ir.ArrayAttr.get(all_attrs)

    def set_argument_attributes(self, attributes: dict[int, dict[str, ir.Attribute]]) -> None:
        """`set_argument_attribute` for many arguments at once: {index: {name: value}} (one rewrite of the
        function's argument attributes, where one call per argument would rewrite them per argument)."""
        if not attributes:
            return
        with self.context:
            current = list(self.func.arg_attrs) if "arg_attrs" in self.func.attributes else [ir.DictAttr.get({})] * len(self.arguments)
            for index, named in attributes.items():
                entries = {entry.name: entry.attr for entry in ir.DictAttr(current[index])}
                entries.update(named)
                current[index] = ir.DictAttr.get(entries)
            self.func.arg_attrs = ir.ArrayAttr.get(current)

    def finish(self, results: Sequence[ir.Value], location: ir.Location | None = None) -> ir.Module:
        """Return `results` from the function, fix its type, and hand back the module."""
        with self.context, location or ir.Location.unknown():
            with ir.InsertionPoint(self.block):
                func.ReturnOp(list(results))
            inputs = [arg.type for arg in self.block.arguments]
            self.func.attributes["function_type"] = ir.TypeAttr.get(ir.FunctionType.get(inputs, [r.type for r in results]))
        return self.module


def main_signatures(module_text: str) -> tuple[list[tuple], list[tuple]]:
    """((shape, dtype) of each argument, of each result) of `@main` in a module's text; KeyError without one."""
    module = parse_module(module_text)
    with module.context:
        inputs, results = query.function_type(query.main_function(module))
        return _signatures(inputs), _signatures(results)


def _signatures(types) -> list[tuple]:
    return [(query.shape(t), query.dtype(t)) for t in types]
