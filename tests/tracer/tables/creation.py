"""Creation from traced values: linspace & co with traced ends, triangles, grids, Vandermonde, empty_like, copyto."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from tables.entry import Entry, arrays, broadcast_operands, one_array
from tables.shape import with_axes

FLOATS = tuple(np.dtype(d) for d in (np.float16, np.float32, np.float64))
NUMBERS = tuple(np.dtype(d) for d in (np.int8, np.int32, np.uint8, np.float32, np.float64))


def _count_and_flag(draw, shape):
    return draw(st.integers(0, 6)), draw(st.booleans())


def _diagonal(draw, shape):
    return draw(st.integers(-3, 3))


def _vectors(count):
    def strategy(dtype):
        return st.tuples(*(arrays(dtype, (n,)) for n in range(1, count + 1))).flatmap(
            lambda fixed: st.permutations(fixed).map(tuple))

    return strategy


def _copy_into(x, y):
    out = np.zeros_like(x)
    np.copyto(out, y, casting="unsafe")
    return out


def _positive(dtype):
    return one_array(max_dims=1, specials=False, low=1, high=8)(dtype)


ENTRIES = [
    Entry("numpy.linspace", lambda x, y: np.linspace(x, y, 5), arity=2, dtypes=NUMBERS,
          inputs=broadcast_operands(2, specials=False), rtol=2e-3, atol=1e-6),
    Entry("numpy.linspace", lambda x, s: np.linspace(x, 4, s[0], endpoint=s[1], retstep=True),
          dtypes=NUMBERS, inputs=with_axes(_count_and_flag, max_dims=2), rtol=2e-3, atol=1e-6, tags=("num,endpoint",)),
    # (float16: NumPy's linspace rounds its step to float16 before scaling; a one-ulp different exponent
    # moves 2**y by up to 2.5 float16 ulps at |y| <= 4)
    Entry("numpy.logspace", lambda x, y: np.logspace(x, y, 4, base=2.0), arity=2, dtypes=FLOATS,
          inputs=broadcast_operands(2, specials=False, low=-4, high=4), rtol=4e-3),
    Entry("numpy.geomspace", lambda x: np.geomspace(x, 64.0, 4), dtypes=FLOATS, inputs=_positive, rtol=2e-3),
    Entry("numpy.tril", lambda x, k: np.tril(x, k), inputs=with_axes(_diagonal, min_dims=1)),
    Entry("numpy.triu", lambda x, k: np.triu(x, k), inputs=with_axes(_diagonal, min_dims=1)),
    Entry("numpy.meshgrid", lambda a, b, c: np.meshgrid(a, b, c), inputs=_vectors(3)),
    Entry("numpy.meshgrid", lambda a, b: np.meshgrid(a, b, indexing="ij", sparse=True), inputs=_vectors(2),
          tags=("ij,sparse",)),
    Entry("numpy.vander", lambda x, s: np.vander(x, s[0], increasing=s[1]), inputs=with_axes(_count_and_flag, min_dims=1, max_dims=1),
          dtypes=tuple(np.dtype(d) for d in (np.bool_, np.int8, np.int32, np.uint8, np.float32, np.float64)), rtol=1e-5),
    Entry("numpy.empty_like", lambda x: np.zeros(np.empty_like(x).shape, np.empty_like(x).dtype), inputs=one_array()),
    Entry("numpy.copyto", _copy_into, arity=2,
          inputs=lambda dtype: broadcast_operands(2)(dtype).filter(lambda a: np.broadcast_shapes(a[0].shape, a[1].shape) == a[0].shape)),
]
