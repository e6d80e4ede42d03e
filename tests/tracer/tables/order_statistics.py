"""median, quantile, percentile and their nan* forms: drawn arrays (nan included), axes and quantiles."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tables.entry import Entry, arrays
from helpers import ALL_DTYPES

NUMERIC = tuple(d for d in ALL_DTYPES if d != np.bool_)


def array_axis_q(*, percent: bool = False, some_number: bool = False):
    """(x, axis, q, keepdims). `some_number`: x is not all NaN (then NumPy's nan* answer with an array q has
    a dtype that depends on the values, which no traced function can follow)."""

    def strategy(dtype):
        @st.composite
        def draw_args(draw):
            shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4))
            x = draw(arrays(dtype, shape, low=-6, high=6))
            ndim = len(shape)
            axis = draw(st.one_of(st.none(), st.integers(-ndim, ndim - 1),
                                  st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True).map(tuple)))
            grid = [0.0, 0.1, 0.25, 0.5, 0.6, 0.75, 1.0]
            # (an integer q, 0 or 1, keeps an integer x's dtype in NumPy's linear method: no interpolation)
            q = draw(st.one_of(st.sampled_from(grid + [0, 1]), st.lists(st.sampled_from(grid), min_size=1, max_size=3).map(np.array),
                               st.lists(st.sampled_from([0, 1]), min_size=1, max_size=2).map(np.array)))
            return x, axis, (q * 100 if percent else q), draw(st.booleans())

        drawn = draw_args()
        return drawn.filter(lambda args: not np.all(np.isnan(args[0]))) if some_number and np.dtype(dtype).kind == "f" else drawn

    return strategy


def _method_cases(fn):
    return lambda x, axis, q, keepdims: tuple(fn(x, q, axis=axis, keepdims=keepdims, method=m)
                                              for m in ("linear", "lower", "higher", "nearest", "midpoint"))


# XLA's CPU backend contracts the interpolation's a + (b - a) * t into one fused multiply-add, which
# skips NumPy's rounding of the product: results land within an ulp of the operands' scale (so near
# zero, an absolute tolerance: -1 + 5 * 0.2f is 0 in NumPy and 1.5e-8 fused).
FMA_ATOL = 2e-3

ENTRIES = [
    Entry("numpy.median", lambda x, axis, q, keepdims: np.median(x, axis=axis, keepdims=keepdims),
          inputs=array_axis_q(), dtypes=NUMERIC),
    Entry("numpy.nanmedian", lambda x, axis, q, keepdims: np.nanmedian(x, axis=axis, keepdims=keepdims),
          inputs=array_axis_q(), dtypes=NUMERIC),
    Entry("numpy.quantile", _method_cases(np.quantile), inputs=array_axis_q(), dtypes=NUMERIC, atol=FMA_ATOL),
    Entry("numpy.percentile", _method_cases(np.percentile), inputs=array_axis_q(percent=True), dtypes=NUMERIC,
          atol=FMA_ATOL),
    Entry("numpy.nanquantile", _method_cases(np.nanquantile), inputs=array_axis_q(some_number=True), dtypes=NUMERIC,
          atol=FMA_ATOL),
    Entry("numpy.nanpercentile", _method_cases(np.nanpercentile), inputs=array_axis_q(percent=True, some_number=True),
          dtypes=NUMERIC, atol=FMA_ATOL),
]
