"""The function being differentiated: its one block, its return, and the checks every mode makes first."""

from __future__ import annotations

from typing import Sequence

import numpy as np
from jaxlib.mlir import ir

from ir import dtypes, query
from passes.autodiff.errors import AutodiffError

__all__ = ["DifferentiableFunction"]


class DifferentiableFunction:
    """A `func.func` of one block, ready for a mode to rewrite in place."""

    def __init__(self, module: ir.Module, name: str = "main", description: str | None = None):
        fn = query.find_function(module, name)
        if fn is None:
            raise AutodiffError(f"the module has no func.func @{name} to differentiate", where="",
                                fix="name the function to differentiate (function=...)")
        self.op = fn.operation
        self.name = name
        self.description = description or f"the function @{name}"
        region = self.op.regions[0]
        blocks = list(region.blocks)
        if len(blocks) != 1:
            raise AutodiffError(f"@{name} has {len(blocks)} blocks; only single-block functions are differentiated",
                                where="", fix="express branches with stablehlo.if/case, not block branches")
        self.block = blocks[0]
        for op in query.walk(self.op):
            if op.name == "func.call":
                raise AutodiffError(f"@{name} calls another function; inline calls before differentiating", op=op,
                                    fix="run the `inline` pass first (autodiff.reverse and the tracer do)")

    @property
    def terminator(self) -> ir.Operation:
        return list(self.block.operations)[-1].operation

    @property
    def location(self) -> ir.Location:
        return self.op.location

    def check_wrt(self, wrt: Sequence[int]) -> tuple[int, ...]:
        arguments = list(self.block.arguments)
        checked = []
        for index in wrt:
            if not -len(arguments) <= index < len(arguments):
                raise AutodiffError(f"wrt={index} is out of range: @{self.name} has {len(arguments)} arguments",
                                    where="", fix=f"pick argument indices in range({len(arguments)})")
            index %= len(arguments)
            element = query.element_type(arguments[index])
            if isinstance(element, ir.ComplexType) or str(element).startswith("complex"):
                raise AutodiffError(f"argument {index} of @{self.name} is complex ({arguments[index].type}); "
                                    "complex differentiation is not supported yet", where="",
                                    fix="differentiate the real and imaginary parts as separate float arguments")
            dtype = dtypes.from_mlir(element)
            if not dtypes.is_floating(dtype):
                raise AutodiffError(f"argument {index} of @{self.name} has dtype {np.dtype(dtype)}: only float "
                                    "arguments have derivatives", where="",
                                    fix="differentiate with respect to float arguments (cast integers to float first)")
            checked.append(index)
        return tuple(checked)

    def update_type(self) -> None:
        """Make the function's type agree with its block arguments and return, after a mode rewrote them."""
        inputs = [argument.type for argument in self.block.arguments]
        outputs = [value.type for value in self.terminator.operands]
        with self.op.context:
            self.op.attributes["function_type"] = ir.TypeAttr.get(ir.FunctionType.get(inputs, outputs))
            # Per-argument and per-result attributes (donation, sharding) stay with their values; new ones get none.
            for name, count in (("arg_attrs", len(inputs)), ("res_attrs", len(outputs))):
                if name in self.op.attributes:
                    kept = list(ir.ArrayAttr(self.op.attributes[name]))[:count]
                    kept += [ir.DictAttr.get({})] * (count - len(kept))
                    self.op.attributes[name] = ir.ArrayAttr.get(kept)
