"""Elementwise math functions that are not ufuncs (tracer/numpy_api/math_functions.py)."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from helpers import ALL_DTYPES
from tables.entry import Entry, arrays, one_array

NON_BOOL = tuple(d for d in ALL_DTYPES if d != np.bool_)


def _interp_inputs(dtype):
    """(x, xp, fp): xp sorted (repeats allowed), fp with inf/nan among its values, x anywhere."""

    @st.composite
    def draw_args(draw):
        n = draw(st.integers(1, 5))
        xp = np.sort(draw(arrays(dtype, (n,), specials=False)))
        fp = draw(arrays(np.float64, (n,)))
        x = draw(arrays(dtype, draw(hnp.array_shapes(min_dims=0, max_dims=2, min_side=0, max_side=3))))
        return x, xp, fp

    return draw_args()


def _polyval_inputs(dtype):
    return st.tuples(arrays(dtype, (3,), low=-3, high=3, specials=False),
                     hnp.array_shapes(min_dims=0, max_dims=2, max_side=3).flatmap(lambda s: arrays(dtype, s, low=-3, high=3)))


ENTRIES = [
    # Rounding a float16 computes x * 10**d in float16, as NumPy does; ints with d < 0 go through float64.
    Entry("numpy.round", lambda x: np.round(x, 1), inputs=one_array(), signed_zeros=True, dtypes=NON_BOOL),
    Entry("numpy.round", lambda x: np.round(x, -1), inputs=one_array(low=-100, high=100), signed_zeros=True,
          dtypes=NON_BOOL, tags=("negative decimals",)),
    Entry("numpy.round", np.round, inputs=one_array(), signed_zeros=True, tags=("decimals=0",)),
    Entry("numpy.around", lambda x: np.around(x, 2), inputs=one_array(), signed_zeros=True, dtypes=NON_BOOL),
    Entry("numpy.fix", np.fix, inputs=one_array(), signed_zeros=True),
    Entry("numpy.nan_to_num", np.nan_to_num, inputs=one_array(), signed_zeros=True),
    Entry("numpy.nan_to_num", lambda x: np.nan_to_num(x, nan=-1.0, posinf=7.0, neginf=-7.0), inputs=one_array(),
          tags=("replacements",)),
    Entry("numpy.isclose", np.isclose, arity=2),
    Entry("numpy.isclose", lambda a, b: np.isclose(a, b, rtol=0.25, atol=0.5, equal_nan=True), arity=2,
          tags=("equal_nan",)),
    Entry("numpy.allclose", np.allclose, arity=2),
    Entry("numpy.array_equal", np.array_equal, arity=2),
    Entry("numpy.array_equal", lambda a, b: np.array_equal(a, b, equal_nan=True), arity=2, tags=("equal_nan",)),
    Entry("numpy.real", np.real, inputs=one_array(), signed_zeros=True),
    Entry("numpy.imag", np.imag, inputs=one_array()),
    Entry("numpy.isreal", np.isreal, inputs=one_array()),
    Entry("numpy.iscomplex", np.iscomplex, inputs=one_array()),
    Entry("numpy.isposinf", np.isposinf, inputs=one_array()),
    Entry("numpy.isneginf", np.isneginf, inputs=one_array()),
    Entry("numpy.sinc", np.sinc, inputs=one_array(), rtol=None, atol=1e-6),
    Entry("numpy.angle", np.angle, inputs=one_array(), rtol=4e-6),
    Entry("numpy.angle", lambda z: np.angle(z, deg=True), inputs=one_array(), rtol=4e-6, tags=("deg",)),
    Entry("numpy.polyval", np.polyval, arity=2, inputs=_polyval_inputs),
    Entry("numpy.interp", np.interp, arity=3, inputs=_interp_inputs, dtypes=NON_BOOL),
    Entry("numpy.interp", lambda x, xp, fp: np.interp(x, xp, fp, left=-9.0, right=9.0), arity=3, inputs=_interp_inputs,
          dtypes=NON_BOOL, tags=("left/right",)),
]
