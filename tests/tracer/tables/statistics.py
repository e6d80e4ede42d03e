"""Statistics: argmax/argmin, var/std, ptp, average, count_nonzero and the nan-ignoring reductions.

Arrays come with -0.0, inf and nan among their values (nanargmax/nanargmin excepted: NumPy raises
on an all-nan slice, which a traced function cannot, so their nans are in test_statistics.py).
"""

from __future__ import annotations

import numpy as np

from helpers import BFLOAT16
from tables.entry import TABLE_DTYPES, Entry
from tables.reductions import array_and_axis

# Variances subtract a mean: the result of a different summation order is off by an absolute, not
# relative, rounding error (and float16 accumulates differently in NumPy and XLA). bfloat16: NumPy rounds the
# mean and every squared deviation to bfloat16, where ours accumulates in float32 (issue 16, item 8), so
# NumPy's answer is itself a few of bfloat16's epsilons (2**-7) off: var([[1, 5.5], [-8, 1]], ddof=1) is
# 32.0625, NumPy 32.25, ours 32.0.
_BFLOAT16_VARIANCE = 4 * 2.0 ** -7
VARIANCE_TOLERANCE = {"rtol": {d: 2e-3 for d in TABLE_DTYPES} | {BFLOAT16: _BFLOAT16_VARIANCE},
                      "atol": {d: 2e-3 for d in TABLE_DTYPES} | {BFLOAT16: _BFLOAT16_VARIANCE}}


def _axis_keepdims(name, fn, *, tuple_axes=True, **options):
    tolerance = options.pop("tolerance", {})
    return Entry(f"numpy.{name}", lambda x, axis, keepdims: fn(x, axis=axis, keepdims=keepdims),
                 inputs=array_and_axis(tuple_axes=tuple_axes, **options), **tolerance)


def _weights(x):
    """Positive static weights of x's shape (the sum is never zero)."""
    return np.arange(x.size).reshape(x.shape) % 3 + 1


ENTRIES = [
    _axis_keepdims("argmax", np.argmax, tuple_axes=False),
    _axis_keepdims("argmin", np.argmin, tuple_axes=False),
    _axis_keepdims("nanargmax", np.nanargmax, tuple_axes=False, specials=False),
    _axis_keepdims("nanargmin", np.nanargmin, tuple_axes=False, specials=False),
    _axis_keepdims("var", np.var, tolerance=VARIANCE_TOLERANCE),
    _axis_keepdims("std", np.std, tolerance=VARIANCE_TOLERANCE),
    Entry("numpy.var", lambda x, axis, keepdims: np.var(x, axis=axis, ddof=1, keepdims=keepdims),
          inputs=array_and_axis(), tags=("ddof=1",), **VARIANCE_TOLERANCE),
    Entry("numpy.var", lambda x, axis, keepdims: np.var(x, axis=axis, keepdims=keepdims, where=x > 0),
          inputs=array_and_axis(), tags=("where",), **VARIANCE_TOLERANCE),
    Entry("numpy.std", lambda x, axis, keepdims: np.std(x, axis=axis, ddof=1, keepdims=keepdims, where=x != 0),
          inputs=array_and_axis(), tags=("where, ddof=1",), **VARIANCE_TOLERANCE),
    _axis_keepdims("ptp", np.ptp, min_side=1),
    _axis_keepdims("average", np.average, min_side=1, tolerance={"rtol": 2e-3}),
    Entry("numpy.average", lambda x: np.average(x, weights=_weights(x), returned=True),
          inputs=lambda dtype: array_and_axis(min_side=1)(dtype).map(lambda args: args[:1]),
          rtol=2e-3, tags=("weights",)),
    _axis_keepdims("count_nonzero", np.count_nonzero),
    _axis_keepdims("nansum", np.nansum, high=4, low=-4),
    _axis_keepdims("nanprod", np.nanprod, high=2, low=-2),
    _axis_keepdims("nanmean", np.nanmean, tolerance={"rtol": 2e-3}),
    _axis_keepdims("nanmax", np.nanmax, min_side=1),
    _axis_keepdims("nanmin", np.nanmin, min_side=1),
    _axis_keepdims("nanvar", np.nanvar, tolerance=VARIANCE_TOLERANCE),
    _axis_keepdims("nanstd", np.nanstd, tolerance=VARIANCE_TOLERANCE),
]
