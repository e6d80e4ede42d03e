"""The derivative rules, one module per op family (mirroring `ir/ops/`); importing this fills the tables."""

from passes.autodiff.rules import barriers, elementwise, linalg, reduction, shape, softmax  # noqa: F401
from passes.autodiff.rules import convolution, indexing, lapack, lapack_qr, lapack_qr_pair, linalg_solvers, sort, window  # noqa: F401

__all__: list[str] = []
