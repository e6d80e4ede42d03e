"""Reductions: one drawn array, reduced over a drawn axis (None, an int or a tuple), keepdims or not."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tables.entry import Entry, arrays


def array_and_axis(*, min_dims: int = 0, max_dims: int = 3, min_side: int = 0, tuple_axes: bool = True, **element_options):
    """(x, axis, keepdims) with axis None, an int (maybe negative) or a tuple of distinct axes."""

    def strategy(dtype):
        @st.composite
        def draw_args(draw):
            shape = draw(hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=3))
            x = draw(arrays(dtype, shape, **element_options))
            ndim = len(shape)
            choices = [st.none()]
            if ndim:
                choices.append(st.integers(-ndim, ndim - 1))
                if tuple_axes:
                    choices.append(st.lists(st.integers(0, ndim - 1), max_size=ndim, unique=True).map(tuple))
            return x, draw(st.one_of(*choices)), draw(st.booleans())

        return draw_args()

    return strategy


def _reduction(name, fn, **options):
    return Entry(f"numpy.{name}", lambda x, axis, keepdims: fn(x, axis=axis, keepdims=keepdims),
                 inputs=array_and_axis(**options), tags=())


def _every_other(x):
    """A static where= mask: every other element."""
    return np.arange(x.size).reshape(x.shape) % 2 == 0


def _masked(name, fn, **options):
    """fn with a static where= mask and with a traced one (x's nonzero elements); `initial` where NumPy needs it."""
    initial = {"initial": options.pop("initial")} if "initial" in options else {}
    return Entry(f"numpy.{name}", lambda x, axis, keepdims: (fn(x, axis=axis, keepdims=keepdims, where=_every_other(x), **initial),
                                                            fn(x, axis=axis, keepdims=keepdims, where=x != 0, **initial)),
                 inputs=array_and_axis(**options), tags=("where",))


ENTRIES = [
    _reduction("sum", np.sum, high=4, low=-4),
    _reduction("prod", np.prod, high=2, low=-2),
    _reduction("mean", np.mean),
    _reduction("max", np.max, min_side=1),
    Entry("numpy.amax", lambda x, axis, keepdims: np.amax(x, axis=axis, keepdims=keepdims), inputs=array_and_axis(min_side=1)),
    _reduction("min", np.min, min_side=1),
    Entry("numpy.amin", lambda x, axis, keepdims: np.amin(x, axis=axis, keepdims=keepdims), inputs=array_and_axis(min_side=1)),
    _reduction("any", np.any),
    _reduction("all", np.all),
    _masked("sum", np.sum, high=4, low=-4),
    _masked("prod", np.prod, high=2, low=-2),
    _masked("mean", np.mean),
    _masked("max", np.max, initial=1),
    _masked("min", np.min, initial=0),
    _masked("any", np.any),
    _masked("all", np.all),
    Entry("numpy.sum", lambda x, axis, keepdims: np.sum(x, axis=axis, keepdims=keepdims, initial=3),
          inputs=array_and_axis(high=4, low=-4), tags=("initial",)),
    Entry("numpy.max", lambda x, axis, keepdims: np.max(x, axis=axis, keepdims=keepdims, initial=2),
          inputs=array_and_axis(), tags=("initial",)),
]
