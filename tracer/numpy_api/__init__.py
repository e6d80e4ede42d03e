"""The NumPy API on TracedArray: importing this package fills the registries."""

from tracer.numpy_api import indexing, linalg, reductions, selection, shape_ops, ufuncs  # noqa: F401
from tracer.numpy_api.registry import HANDLED_FUNCTIONS, UFUNC_RULES, implements, supported_names, ufunc_rule

__all__ = ["HANDLED_FUNCTIONS", "UFUNC_RULES", "implements", "supported_names", "ufunc_rule"]
