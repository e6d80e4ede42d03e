"""Compiling StableHLO text with XLA and running the result through PJRT."""

from __future__ import annotations

from runtime import _jaxlib
from runtime.devices import client, default_device


class CompileError(RuntimeError):
    """XLA rejected a module; the message carries XLA's diagnostics."""


class Executable:
    """A loaded XLA executable for one device; `execute` takes and returns device buffers."""

    __slots__ = ("_loaded", "device", "execute")

    def __init__(self, loaded, device):
        self._loaded = loaded
        self.device = device
        # Bound once: the call path does no attribute lookups beyond this.
        self.execute = loaded.execute

    def hlo_text(self) -> str:
        """XLA's optimised HLO of the compiled program."""
        return "\n\n".join(module.to_string() for module in self._loaded.hlo_modules())


def compile_stablehlo(module_text: str, device=None) -> Executable:
    """Compile a StableHLO module (text) for `device` (default: the default device)."""
    device = device or default_device()
    pjrt = client(device.platform)
    try:
        loaded = pjrt.compile_and_load(module_text, _jaxlib.DeviceList((device,)), _jaxlib.compile_options())
    except _jaxlib.JaxRuntimeError as err:
        raise CompileError(f"XLA could not compile the module: {err}") from None
    return Executable(loaded, device)
