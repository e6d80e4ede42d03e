"""The NumPy API on TracedArray: importing this package fills the registries."""

from tracer.numpy_api import (  # noqa: F401
    contractions,
    creation,
    float_bits,
    cumulative,
    gather_scatter,
    indexing,
    integer_bits,
    joining,
    linalg,
    math_functions,
    order_statistics,
    products,
    reductions,
    selection,
    shape_ops,
    sorting,
    statistics,
    ufuncs,
)
from tracer.numpy_api.registry import HANDLED_FUNCTIONS, UFUNC_RULES, implements, supported_names, ufunc_rule

__all__ = ["HANDLED_FUNCTIONS", "UFUNC_RULES", "implements", "supported_names", "ufunc_rule"]
