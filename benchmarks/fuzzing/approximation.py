"""Whether a loop's or branch's difference is NumPy's answer with its approximated functions a few ulps off.

Op by op, an approximation's few ulps are within its tolerance (compare.APPROXIMATE), and the ops after it
are given the compiled value (evaluate._localize), so they cannot turn those ulps into more. Inside a loop or
branch body the intermediate values are not seen: a discontinuous op after an approximation (a conversion to
integers, floor, a comparison) makes any difference of a few ulps. float64 tanh(19.0) is 1.0 in NumPy and
1 - 7.8e-16 in XLA; `.astype(np.int32)` makes those 1 and 0, and a scan carries that on (fuzz seed 2020,
program 6464). So an op with a body whose result differs is run again by NumPy with every approximated
function's results moved a few ulps, one direction at a time: if one of those runs gives the compiled
result, the difference is the approximations', not a bug.
"""

from __future__ import annotations

import numpy as np

from benchmarks.fuzzing.compare import APPROXIMATE, calls_of, differ
from benchmarks.fuzzing.program import run_op

__all__ = ["explained_by_approximations"]

# How far each approximated result is moved (ulps): XLA's are within a few dozen (compare.op_tolerance allows 64).
NUDGES = (2, 8, 32)
_NUDGEABLE = (np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64))


def _nudged(result, ulps: int):
    array = np.asarray(result)
    if array.dtype not in _NUDGEABLE:
        return result
    with np.errstate(all="ignore"):
        moved = (array + ulps * np.spacing(np.abs(array))).astype(array.dtype)
    moved = np.where(np.isfinite(array), moved, array)
    return moved if isinstance(result, np.ndarray) else moved[()]


class _NumPyWithNudgedApproximations:
    """`np` for an op's text, but each function compare.APPROXIMATE names gives its result moved by `ulps`."""

    def __init__(self, ulps: int):
        self._ulps = ulps

    def __getattr__(self, name):
        function = getattr(np, name)
        if name not in APPROXIMATE or not callable(function):
            return function

        def nudged(*args, **kwargs):
            result = function(*args, **kwargs)
            return tuple(_nudged(r, self._ulps) for r in result) if isinstance(result, tuple) else _nudged(result, self._ulps)

        return nudged


def explained_by_approximations(op, inputs: dict, actual, rtol: float, atol: float, signed_zeros: bool) -> bool:
    """Whether NumPy's run of `op` (which has a body calling approximated functions) on `inputs`, with those
    functions' results moved a few ulps in one direction, gives `actual` within (rtol, atol)."""
    if not op.blocks or not calls_of(op) & {name for name in APPROXIMATE if "." not in name}:
        return False
    for ulps in NUDGES:
        for direction in (-1, 1):
            try:
                expected, _ = run_op(op, inputs, numpy=_NumPyWithNudgedApproximations(direction * ulps))
            except Exception:  # noqa: BLE001  (nudged values may take NumPy where it raises: no explanation)
                continue
            if differ(expected, actual, rtol, atol, signed_zeros=signed_zeros) is None:
                return True
    return False
