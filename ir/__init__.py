"""The MLIR layer: contexts, dtypes, op builders, reading IR (`query`), module text in and out.

Everything above this package (`tracer`, `passes`, `runtime`) reaches MLIR
through here, so there is one place that knows jaxlib's binding details.
"""

import os

# XLA's C++ side logs INFO lines (device counts) when a client starts; keep stderr for problems.
# Must happen before jaxlib loads; a user's own TF_CPP_MIN_LOG_LEVEL wins.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")

from jaxlib.mlir import ir as mlir  # noqa: E402

from ir import dtypes, ops, query  # noqa: E402
from ir.context import (MAX_NESTING, MLIRParseError, MLIRVerificationError, check_nesting, make_context, nesting_depth,
                        parse_file, parse_module, print_module, verify)
from ir.function import FunctionBuilder, main_signatures
from ir.location import user_frame

__all__ = [
    "MAX_NESTING",
    "FunctionBuilder",
    "MLIRParseError",
    "MLIRVerificationError",
    "dtypes",
    "check_nesting",
    "main_signatures",
    "make_context",
    "mlir",
    "nesting_depth",
    "ops",
    "parse_file",
    "parse_module",
    "print_module",
    "query",
    "user_frame",
    "verify",
]
