"""Functions NumPy lacks that models lean on, each one StableHLO op when traced: `tracer.logistic`.

Written with NumPy operations they would lower to a chain of ops whose derivative keeps several
intermediate arrays alive; the single op keeps only its result (the derivative reads it) and lets XLA
evaluate it its own stable way.
"""

from __future__ import annotations

import numpy as np

from ir import ops
from ir.dtypes import is_floating
from tracer import primitives as P
from tracer.traced_array import TracedArray

__all__ = ["logistic"]


def logistic(x):
    """The logistic sigmoid 1 / (1 + exp(-x)) (SciPy's `expit`), without overflow in either tail.

    Works on NumPy arrays (eagerly, computed from exp(-|x|)) and on traced arrays (one
    `stablehlo.logistic`). Integers and bools compute in float64, as `np.exp` does.
    """
    if type(x) is not TracedArray:
        x = np.asarray(x)
        if not is_floating(x.dtype):
            x = x.astype(np.float64)
        t = np.exp(-np.abs(x))
        return np.where(x >= 0, 1 / (1 + t), t / (1 + t)).astype(x.dtype)
    if not is_floating(x.dtype):
        x = P.convert(x, np.float64)
    return P.elementwise(ops.logistic, x)
