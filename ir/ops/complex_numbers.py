"""Complex numbers from and to their real parts: `stablehlo.complex`, `real`, `imag` and `abs`.

Complex values are computed inside a trace only (np.linalg.eig's results: LAPACK's geev gives the eigenvalues
as real and imaginary parts), never taken as arguments or constants (`ir/dtypes.py`), so these builders are
the way in (complex) and out (real, imag, magnitude) for them.
"""

from __future__ import annotations

import numpy as np
from jaxlib.mlir import ir
from jaxlib.mlir.dialects import stablehlo

from ir.ops._common import check, check_same_types, dtype_of

__all__ = ["complex_", "imag", "magnitude", "real"]

_COMPLEX_OF = {np.dtype(np.float32): np.dtype(np.complex64), np.dtype(np.float64): np.dtype(np.complex128)}
_PART_OF = {complex_dtype: real for real, complex_dtype in _COMPLEX_OF.items()}


def complex_(real: ir.Value, imaginary: ir.Value) -> ir.Value:
    """`stablehlo.complex`: real + i imaginary, of two float32 (float64) tensors of one type."""
    check_same_types("complex", real, imaginary)
    check(dtype_of(real) in _COMPLEX_OF, "complex", f"parts must be float32 or float64, got {dtype_of(real)}")
    return stablehlo.ComplexOp(real, imaginary).result  # (the result type is inferred: complex<f32/f64>)


def _part(op_class, name: str):
    def build(operand: ir.Value) -> ir.Value:
        check(dtype_of(operand) in _PART_OF, name, f"needs a complex operand, got {dtype_of(operand)}")
        return op_class(operand).result  # (the result type is inferred: the parts' f32/f64)

    build.__name__ = name
    build.__doc__ = f"`stablehlo.{name}` of a complex tensor: a float tensor of its shape."
    return build


real = _part(stablehlo.RealOp, "real")
imag = _part(stablehlo.ImagOp, "imag")
magnitude = _part(stablehlo.AbsOp, "abs")  # (abs of a complex tensor is real: not `abs`, which keeps the type)
