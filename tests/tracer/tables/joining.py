"""Joining, splitting and padding: operands whose shapes agree off the joined axis; static arguments from the shape."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tables.entry import Entry, arrays
from tables.shape import with_axes


def joinable(count: int, *, min_dims: int = 1):
    """(axis, a0, a1, ...): `count` arrays of one rank that may differ in size along `axis` only."""

    def strategy(dtype):
        @st.composite
        def draw_args(draw):
            shape = draw(hnp.array_shapes(min_dims=min_dims, max_dims=3, min_side=0, max_side=3))
            axis = draw(st.integers(-len(shape), len(shape) - 1))
            sizes = draw(st.lists(st.integers(0, 3), min_size=count, max_size=count))
            shapes = [tuple(k if d == axis % len(shape) else n for d, n in enumerate(shape)) for k in sizes]
            return (axis,) + tuple(draw(arrays(dtype, s)) for s in shapes)

        return draw_args()

    return strategy


def same_shape(count: int, *, min_dims: int = 0):
    def strategy(dtype):
        shapes = hnp.array_shapes(min_dims=min_dims, max_dims=3, min_side=0, max_side=3)
        return shapes.flatmap(lambda s: st.tuples(*(arrays(dtype, s) for _ in range(count))))

    return strategy


def _sections(draw, shape):
    """(axis, sections): a count that divides the axis, or a list of split points."""
    axis = draw(st.integers(0, len(shape) - 1))
    n = shape[axis]
    divisors = [d for d in range(1, n + 1) if n % d == 0] or [1, 2]
    points = st.lists(st.integers(-4, 4), max_size=3)
    return axis, draw(st.one_of(st.sampled_from(divisors), points))


def _any_sections(draw, shape):
    return draw(st.integers(0, len(shape) - 1)), draw(st.one_of(st.integers(1, 4), st.lists(st.integers(-4, 4), max_size=3)))


def _pad_spec(draw, shape):
    """(pad_width, mode): widths as an int, a pair, or a pair per axis; a mode NumPy can apply to the shape."""
    width = st.integers(0, 4)
    pad_width = draw(st.one_of(width, st.tuples(width, width),
                               st.lists(st.tuples(width, width), min_size=len(shape), max_size=len(shape)).map(tuple)))
    modes = ["constant", "edge", "reflect", "symmetric", "wrap", "maximum", "minimum", "mean", "linear_ramp"]
    return pad_width, draw(st.sampled_from(modes))


def _positions(draw, shape):
    n = shape[0]
    single = st.integers(-n, n - 1) if n else st.just(0)
    return draw(st.one_of(single, st.lists(st.integers(0, max(n - 1, 0)), max_size=3, unique=True)))


ENTRIES = [
    Entry("numpy.concatenate", lambda axis, a, b: np.concatenate([a, b], axis=axis), inputs=joinable(2)),
    Entry("numpy.concatenate", lambda a, b: np.concatenate((a, np.ones_like(b), b), axis=None), arity=2,
          inputs=same_shape(2), tags=("axis=None, with a NumPy operand",)),
    Entry("numpy.stack", lambda a, b: np.stack([a, b], axis=-1), inputs=same_shape(2)),
    Entry("numpy.hstack", lambda a, b: np.hstack([a, b]), inputs=same_shape(2)),
    Entry("numpy.vstack", lambda a, b: np.vstack([a, b]), inputs=same_shape(2, min_dims=1)),
    Entry("numpy.dstack", lambda a, b: np.dstack([a, b]), inputs=same_shape(2)),
    Entry("numpy.column_stack", lambda a, b: np.column_stack([a, b]), inputs=same_shape(2, min_dims=1)),
    Entry("numpy.block", lambda a, b: (np.block([[a, b], [b, a]]), np.block([a, 1, b]), np.block([[a], [b]])),
          inputs=same_shape(2, min_dims=1)),
    Entry("numpy.append", lambda axis, a, b: np.append(a, b, axis=axis), inputs=joinable(2)),
    Entry("numpy.split", lambda x, s: np.split(x, s[1], axis=s[0]), inputs=with_axes(_sections, min_dims=1)),
    Entry("numpy.array_split", lambda x, s: np.array_split(x, s[1], axis=s[0]), inputs=with_axes(_any_sections, min_dims=1)),
    Entry("numpy.hsplit", lambda x, s: np.hsplit(x, s[1]), inputs=with_axes(_any_sections, min_dims=1)),
    Entry("numpy.vsplit", lambda x, s: np.vsplit(x, s[1]), inputs=with_axes(_any_sections, min_dims=1)),
    Entry("numpy.dsplit", lambda x, s: np.dsplit(x, s[1]), inputs=with_axes(_any_sections, min_dims=1)),
    Entry("numpy.pad", lambda x, s: np.pad(x, s[0], mode=s[1]), inputs=with_axes(_pad_spec), rtol=2e-3),
    Entry("numpy.delete", lambda x, obj: np.delete(x, obj, axis=0), inputs=with_axes(_positions, min_dims=1)),
    Entry("numpy.insert", lambda x, obj: np.insert(x, obj, x[:1] if np.ndim(obj) == 0 else 1, axis=0),
          inputs=with_axes(_positions, min_dims=1, min_side=1)),
]
