"""ndarray methods on traced arrays (`x.var()`, `x.sort()` ...), each named after the NumPy function it is.

A method is NumPy's function of the array (`x.cumsum(axis)` is `np.cumsum(x, axis)`); these rows call
the method form, so a method that is missing or passes its arguments wrongly fails here. In-place
methods (`sort`) are called on a copy and the copy returned.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tables.entry import Entry, arrays, one_array
from tables.gather_scatter import array_positions_axis
from tables.reductions import array_and_axis
from tables.sorting import array_and_sort_axis
from tables.statistics import VARIANCE_TOLERANCE


def _sorted_in_place(x, axis):
    y = x.copy()
    y.sort(axis=-1 if axis is None else axis)
    return y


def _matrix_and_offset(dtype):
    @st.composite
    def draw_args(draw):
        shape = draw(hnp.array_shapes(min_dims=2, max_dims=3, min_side=1, max_side=4))
        return draw(arrays(dtype, shape)), draw(st.integers(-2, 2))

    return draw_args()


def _method(name, call, **options):
    return Entry(f"numpy.{name}", call, tags=("method",) + options.pop("tags", ()), **options)


ENTRIES = [
    _method("var", lambda x, axis, keepdims: x.var(axis=axis, keepdims=keepdims), inputs=array_and_axis(),
            **VARIANCE_TOLERANCE),
    _method("std", lambda x, axis, keepdims: x.std(axis, None, None, 1, keepdims), inputs=array_and_axis(),
            tags=("positional, ddof=1",), **VARIANCE_TOLERANCE),
    _method("argmax", lambda x, axis, keepdims: x.argmax(axis=axis, keepdims=keepdims),
            inputs=array_and_axis(tuple_axes=False, min_side=1)),
    _method("argmin", lambda x, axis, keepdims: x.argmin(axis), inputs=array_and_axis(tuple_axes=False, min_side=1)),
    _method("argsort", lambda x, axis: x.argsort(axis=-1 if axis is None else axis, kind="stable"),
            inputs=array_and_sort_axis),
    _method("sort", _sorted_in_place, inputs=array_and_sort_axis, tags=("in place",)),
    _method("clip", lambda x: (x.clip(-1, 2), x.clip(max=1), x.clip(min=0)), inputs=one_array()),
    _method("cumsum", lambda x, axis, keepdims: x.cumsum(axis), inputs=array_and_axis(tuple_axes=False)),
    _method("cumprod", lambda x, axis, keepdims: x.cumprod(axis=axis),
            inputs=array_and_axis(tuple_axes=False, low=-2, high=2)),
    _method("round", lambda x: (x.round(), x.round(1)), inputs=one_array(), dtypes=(np.float32, np.float64)),
    _method("repeat", lambda x, axis, keepdims: x.repeat(2, axis=axis), inputs=array_and_axis(tuple_axes=False)),
    _method("take", lambda x, p, axis: x.take(p, axis=axis), inputs=array_positions_axis()),
    _method("trace", lambda x, k: x.trace(k), inputs=_matrix_and_offset),
    _method("diagonal", lambda x, k: x.diagonal(k, 0, 1), inputs=_matrix_and_offset),
    _method("conjugate", lambda x: (x.conj(), x.conjugate()), inputs=one_array()),
    _method("real", lambda x: x.real, inputs=one_array()),
    _method("imag", lambda x: x.imag, inputs=one_array()),
    _method("sum", lambda x, axis, keepdims: x.sum(axis, None, None, keepdims, where=x != 0), inputs=array_and_axis(),
            tags=("where",)),
    _method("max", lambda x, axis, keepdims: x.max(axis, None, keepdims, 0, where=x != 0), inputs=array_and_axis(),
            dtypes=tuple(d for d in map(np.dtype, (np.int8, np.int32, np.uint8, np.float32, np.float64))),
            tags=("initial, where",)),
]
