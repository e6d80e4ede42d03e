"""Runtime: PJRT clients and devices, device arrays, compiling and executing with XLA."""

from runtime.concrete_array import ConcreteArray, DonatedArrayError
from runtime.devices import client, default_device, devices, set_default_backend
from runtime.executable import CompileError, Executable, compile_stablehlo
from runtime.transfer import array_to_device, synchronize, to_device, to_host

__all__ = [
    "CompileError",
    "ConcreteArray",
    "DonatedArrayError",
    "Executable",
    "array_to_device",
    "client",
    "compile_stablehlo",
    "default_device",
    "devices",
    "set_default_backend",
    "synchronize",
    "to_device",
    "to_host",
]
