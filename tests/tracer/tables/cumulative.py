"""Cumulative ops: cumsum/cumprod (and nan-ignoring forms) along a drawn axis or flattened; diff, ediff1d, trapezoid."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from tables.entry import Entry, one_array
from tables.reductions import array_and_axis
from tables.shape import with_axes


def _along(**options):
    """(x, axis) with axis None or an int (maybe negative)."""
    return lambda dtype: array_and_axis(tuple_axes=False, **options)(dtype).map(lambda args: args[:2])


def _order_and_axis(draw, shape):
    n = len(shape)
    return draw(st.integers(0, 3)), draw(st.integers(-n, n - 1)) if n else 0


def _scan(name, fn, **options):
    return Entry(f"numpy.{name}", lambda x, axis: fn(x, axis=axis), inputs=_along(**options))


ENTRIES = [
    _scan("cumsum", np.cumsum),
    _scan("cumprod", np.cumprod, high=2, low=-2),
    _scan("nancumsum", np.nancumsum),
    _scan("nancumprod", np.nancumprod, high=2, low=-2),
    Entry("numpy.cumsum", lambda x, axis: np.cumsum(x, axis=axis, dtype=np.int8), inputs=_along(specials=False),
          tags=("dtype=int8",)),
    Entry("numpy.diff", lambda x, static: np.diff(x, n=static[0], axis=static[1]), inputs=with_axes(_order_and_axis)),
    Entry("numpy.diff", lambda x, static: np.diff(x, axis=static[1], prepend=0, append=1),
          inputs=with_axes(_order_and_axis, min_dims=1), tags=("prepend,append",)),
    Entry("numpy.ediff1d", lambda x: np.ediff1d(x, to_begin=0), inputs=one_array()),
    Entry("numpy.trapezoid", lambda x, axis: np.trapezoid(x, axis=-1 if axis is None else axis),
          inputs=_along(min_dims=1), rtol=2e-3),
]
