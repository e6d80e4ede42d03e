"""The derivative rules, one module per op family (mirroring `ir/ops/`); importing this fills the tables."""

from passes.autodiff.rules import barriers, elementwise, linalg, reduction, shape  # noqa: F401

__all__: list[str] = []
