"""Trace NumPy code into StableHLO and run it compiled: `tracer.jit`, `tracer.compile`.

    @tracer.jit
    def predict(x, w, b):
        return np.tanh(x @ w + b).mean(axis=0)
"""

from tracer import numpy_api as _numpy_api  # noqa: F401  (fills the NumPy registries)
from tracer import nn, random
from tracer.compiled import Compiled
from tracer.differentiation import grad, jvp, stop_gradient, value_and_grad, vjp
from tracer.control_flow import checkpoint, cond, fori_loop, scan, switch, trace, while_loop
from tracer.errors import (
    ConcretizationError,
    DonatedArgumentError,
    EscapedTracerError,
    RandomStateError,
    SignatureMismatchError,
    TracedAxisError,
    TracedIndexError,
    TracedOverflowError,
    TracedShapeError,
    TracedTypeError,
    TracerError,
    UnsupportedMethodError,
    UnsupportedNumPyError,
)
from tracer.jit_function import JitFunction, LostWriteWarning, compile, jit
from tracer.numpy_random_guard import RandomStateWarning, numpy_random
from tracer.numpy_api.special import logistic
from tracer.numpy_api.statistics import logsumexp
from tracer.sharding import with_sharding_constraint
from tracer.signature import ArraySpec
from tracer.traced_array import TracedArray


def numpy_coverage() -> list[str]:
    """Names of the NumPy functions and ufuncs that trace (`numpy.add`, `numpy.sum`, ...)."""
    return _numpy_api.supported_names()


__all__ = [
    "ArraySpec",
    "Compiled",
    "ConcretizationError",
    "DonatedArgumentError",
    "EscapedTracerError",
    "JitFunction",
    "LostWriteWarning",
    "RandomStateError",
    "RandomStateWarning",
    "SignatureMismatchError",
    "TracedArray",
    "TracedAxisError",
    "TracedIndexError",
    "TracedOverflowError",
    "TracedShapeError",
    "TracedTypeError",
    "TracerError",
    "UnsupportedMethodError",
    "UnsupportedNumPyError",
    "compile",
    "checkpoint",
    "cond",
    "fori_loop",
    "grad",
    "jvp",
    "jit",
    "logistic",
    "logsumexp",
    "nn",
    "numpy_coverage",
    "numpy_random",
    "random",
    "scan",
    "stop_gradient",
    "switch",
    "trace",
    "value_and_grad",
    "vjp",
    "while_loop",
    "with_sharding_constraint",
]
