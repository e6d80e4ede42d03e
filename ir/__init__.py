"""The MLIR layer: contexts, dtypes, op builders, module text in and out.

Everything above this package (`tracer`, `passes`, `runtime`) reaches MLIR
through here, so there is one place that knows jaxlib's binding details.
"""

from jaxlib.mlir import ir as mlir

from ir import dtypes, ops
from ir.context import MLIRParseError, MLIRVerificationError, make_context, parse_module, print_module, verify
from ir.function import FunctionBuilder
from ir.location import user_frame

__all__ = [
    "FunctionBuilder",
    "MLIRParseError",
    "MLIRVerificationError",
    "dtypes",
    "make_context",
    "mlir",
    "ops",
    "parse_module",
    "print_module",
    "user_frame",
    "verify",
]
