"""Compiling StableHLO text with XLA and running the result through PJRT."""

from __future__ import annotations

from jaxlib.mlir import ir as mlir

import ir
from runtime import _jaxlib
from runtime.devices import client, default_device


class CompileError(RuntimeError):
    """XLA rejected a module; the message carries XLA's diagnostics."""


class Executable:
    """A loaded XLA executable for one device; `execute(buffers)` returns the result buffers."""

    __slots__ = ("_loaded", "device", "_handlers", "_execute_sharded")

    def __init__(self, loaded, device, result_signatures):
        self._loaded = loaded
        self.device = device
        self._handlers = _jaxlib.result_handlers(result_signatures, device)
        self._execute_sharded = loaded.execute_sharded  # bound once: the hot path does no lookups

    def execute(self, buffers: list) -> list:
        """Run on device buffers (jax.Array) in argument order; returns one buffer per result."""
        return self._execute_sharded(buffers).consume_with_handlers(self._handlers)

    def hlo_text(self) -> str:
        """XLA's optimised HLO of the compiled program."""
        return "\n\n".join(module.to_string() for module in self._loaded.hlo_modules())


def compile_stablehlo(module_text: str, device=None, result_signatures=None) -> Executable:
    """Compile a StableHLO module (text) for `device` (default: the default device).

    `result_signatures` lists (shape, dtype) of @main's results; read from the text when omitted.
    """
    device = device or default_device()
    pjrt = client(device.platform)
    try:
        loaded = pjrt.compile_and_load(module_text, _jaxlib.DeviceList((device,)), _jaxlib.compile_options())
    except _jaxlib.JaxRuntimeError as err:
        raise CompileError(f"XLA could not compile the module: {err}") from None
    if result_signatures is None:
        result_signatures = _main_result_signatures(module_text)
    return Executable(loaded, device, result_signatures)


def _main_result_signatures(module_text: str) -> list[tuple]:
    module = ir.parse_module(module_text)
    with module.context:
        for op in module.body.operations:
            if op.operation.name == "func.func" and mlir.StringAttr(op.attributes["sym_name"]).value == "main":
                results = mlir.FunctionType(mlir.TypeAttr(op.attributes["function_type"]).value).results
                return [(tuple(mlir.RankedTensorType(t).shape), ir.dtypes.from_mlir(mlir.RankedTensorType(t).element_type))
                        for t in results]
    raise CompileError("the module has no func.func @main")
