"""The NumPy API on TracedArray: importing this package fills the registries and installs the protocols.

Layers, each importing only those before it: `registry` (the tables; it imports nothing) and
`promotion` (NEP 50 dtypes, on `tracer.primitives`); the implementations (`indexing`, `reductions`,
`ufuncs` ...), which register themselves in the tables; `dispatch`, which reads the tables and
installs TracedArray's NumPy protocols. `tests/tracer/test_modules.py` keeps it so.
"""

from tracer.numpy_api import (  # noqa: F401
    complex_values,
    construction,
    contractions,
    created_arrays,
    creation,
    cumulative,
    dispatch,
    float_bits,
    gather_scatter,
    indexing,
    integer_bits,
    joining,
    linalg,
    linalg_decompositions,
    masked,
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
