"""`inline`: replace `func.call`s to single-block functions in the module by the callee's body.

MLIR's own `inline` pass needs the func dialect's inliner extension, which jaxlib's
bindings do not register, so with them it leaves every call in place. Calls are
inlined innermost-first until none is left (a recursive call is an error, since
StableHLO has no recursion); then MLIR's `symbol-dce` drops the private callees left
without callers. A module of one function (every traced module) has nothing to inline
and is not walked: a lone function could only call itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from jaxlib.mlir import ir, passmanager
from jaxlib.mlir._mlir_libs import _jax_mlir_ext

from ir import query
from passes.registry import register_pass

__all__ = ["Inline"]


@register_pass
@dataclass(frozen=True)
class Inline:
    name: ClassVar[str] = "inline"
    max_depth: int = 64  # nesting of calls inlined before giving up (recursion never terminates)

    def apply(self, module: ir.Module) -> bool:
        functions = {query.string_attr(op, "sym_name"): op.operation for op in query.functions(module)}
        if len(functions) <= 1:
            return False
        for depth in range(self.max_depth):
            calls = [op for op in query.walk(module) if op.name == "func.call"]
            if not calls:
                if depth:  # something was inlined: drop the callees nobody calls any more
                    passmanager.PassManager.parse("builtin.module(symbol-dce)", context=module.context).run(module.operation)
                return depth > 0
            with module.context:
                for call in calls:
                    callee = functions[query.symbol_attr(call, "callee")]
                    if len(callee.regions[0].blocks) != 1:
                        continue  # a declaration or multi-block body: nothing StableHLO emits
                    with ir.InsertionPoint(call), call.location:
                        results = _jax_mlir_ext.inlined_func_call(callee, list(call.operands), call.location)
                    for old, new in zip(call.results, results):
                        old.replace_all_uses_with(new)
                    call.erase()
        raise RuntimeError(f"inline: calls still nested {self.max_depth} deep; is a function recursive?")
