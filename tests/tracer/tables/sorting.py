"""Sorting and searching: NaN sorts last, -0.0 equals 0.0; argsort with kind="stable" (NumPy's
default quicksort orders ties arbitrarily, ours is always stable)."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tables.entry import Entry, arrays


def array_and_sort_axis(dtype):
    @st.composite
    def draw_args(draw):
        shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=4))
        x = draw(arrays(dtype, shape, low=-3, high=3))
        return x, draw(st.one_of(st.none(), st.integers(-len(shape), len(shape) - 1)))

    return draw_args()


def lexsort_keys(dtype):
    @st.composite
    def draw_args(draw):
        n = draw(st.integers(0, 6))
        return tuple(draw(arrays(dtype, (n,), low=-2, high=2)) for _ in range(draw(st.integers(1, 3))))

    return draw_args()


def haystack_and_needles(dtype):
    @st.composite
    def draw_args(draw):
        haystack = np.sort(draw(arrays(dtype, (draw(st.integers(0, 9)),), low=-4, high=4)))
        needles = draw(arrays(dtype, draw(hnp.array_shapes(min_dims=0, max_dims=2, max_side=4)), low=-5, high=5))
        return haystack, needles

    return draw_args()


def _sorter_case(dtype):
    return haystack_and_needles(dtype).map(lambda args: (args[0][::-1].copy(), args[1]))


ENTRIES = [
    Entry("numpy.sort", lambda x, axis: np.sort(x, axis=axis), inputs=array_and_sort_axis, signed_zeros=False),
    Entry("numpy.argsort", lambda x, axis: np.argsort(x, axis=axis, kind="stable"), inputs=array_and_sort_axis),
    Entry("numpy.lexsort", lambda *keys: np.lexsort(keys), inputs=lexsort_keys),
    Entry("numpy.searchsorted", lambda a, v: (np.searchsorted(a, v), np.searchsorted(a, v, side="right")),
          inputs=haystack_and_needles),
    Entry("numpy.searchsorted", lambda a, v: np.searchsorted(a, v, sorter=np.argsort(a, kind="stable")),
          inputs=_sorter_case, tags=("sorter",)),
]
