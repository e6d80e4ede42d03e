"""bfloat16 through the NumPy surface. NumPy does not count ml_dtypes' bfloat16 as np.floating, so
every float-only rule must ask `ir.dtypes.is_floating`; these cases would take an integer path
(floor returning x, sign without -0.0 handling, compare as SIGNED integers...) otherwise.
NumPy with ml_dtypes computes each op in float32 and rounds to bfloat16: the oracle."""

from __future__ import annotations

import ml_dtypes
import numpy as np

from helpers import Case, check_cases

BF16 = np.dtype(ml_dtypes.bfloat16)
X = np.array([[-2.5, -0.0, 0.0, 0.75], [1.5, 3.0, -7.25, np.nan], [np.inf, -np.inf, 0.5, 2.0]], BF16)
Y = np.array([[1.0, 2.0, -3.0, 0.5], [4.0, -1.5, 2.0, 1.0], [0.25, 8.0, -2.0, 3.0]], BF16)

CASES = {
    "arithmetic": lambda x, y: (x + y, x - y, x * y, x / y, -x),
    "floor ceil rint": lambda x, y: (np.floor(x), np.ceil(x), np.rint(x)),
    "sign and abs": lambda x, y: (np.sign(y), np.abs(x)),  # (ml_dtypes' sign(-0.0) is -0.0, NumPy's floats' +0.0)
    "compare": lambda x, y: (x < y, x <= y, x == y, x > 0),
    "max and min": lambda x, y: (np.maximum(x, y), np.minimum(x, y), np.max(y, axis=0), np.min(y, axis=1)),
    "transcendental": lambda x, y: (np.exp(y), np.tanh(y), np.log(np.abs(y))),
    "reductions": lambda x, y: (np.sum(y, axis=1), np.mean(y, axis=0)),
    "isnan isinf isfinite": lambda x, y: (np.isnan(x), np.isinf(x), np.isfinite(x)),
    # ml_dtypes has no clip loop for bfloat16: with both bounds NumPy answers in float32, with one it is maximum/minimum
    "clip": lambda x, y: (np.clip(x, -1, y), np.clip(x, 2, np.uint8(5)), np.clip(x, None, y), np.clip(x, min=0.5)),
    "where": lambda x, y: np.where(x > y, x, y),
    "floor_divide and remainder": lambda x, y: (np.floor_divide(y, 0.75), np.remainder(y, 0.75)),
    "sort": lambda x, y: (np.sort(x, axis=1), np.argsort(y, axis=1, kind="stable")),
    "cumsum": lambda x, y: np.cumsum(y, axis=1),
}


def test_bfloat16_matches_numpy_with_ml_dtypes():
    check_cases({name: Case(fn, (X, Y), rtol=1e-2, signed_zeros=True) for name, fn in CASES.items()})


def test_each_16_bit_result_is_rounded_before_the_next_op():
    """XLA computes 16-bit floats in float32 and by default keeps the excess precision between ops (its
    xla_allow_excess_precision): 127 + bf16(127 * 112) came out 14351. We compile without it, so every
    intermediate is rounded as NumPy (ml_dtypes) rounds it: exact agreement, not a tolerance."""
    rng = np.random.default_rng(16)
    chain = lambda a, b: (a.astype(np.float32) + a * b, (a * b + a) * b - a / np.float32(1.0).astype(a.dtype),  # noqa: E731
                          np.square(a) * b + b)
    check_cases({"the fuzzer's 127, 112": Case(chain, (np.array([127.0], BF16), np.array([112.0], BF16))),
                 **{f"random {dtype.__name__}": Case(chain, (rng.uniform(-300, 300, 4096).astype(dtype),
                                                             rng.uniform(-300, 300, 4096).astype(dtype)))
                    for dtype in (ml_dtypes.bfloat16, np.float16)}})
