"""Reading and writing at computed positions: take, take_along_axis, put, choose, select, compress."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tables.entry import Entry, arrays


def array_positions_axis(*, spill: int = 0):
    """(x, positions, axis): int32 positions for x's axis (in range, or `spill` beyond it for wrap/clip)."""

    def strategy(dtype):
        @st.composite
        def draw_args(draw):
            shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4))
            axis = draw(st.integers(-len(shape), len(shape) - 1))
            size = shape[axis]
            positions = draw(hnp.arrays(np.int32, draw(hnp.array_shapes(min_dims=0, max_dims=2, min_side=0, max_side=3)),
                                        elements=st.integers(-size - spill, size - 1 + spill)))
            return draw(arrays(dtype, shape)), positions, axis

        return draw_args()

    return strategy


def array_and_along_positions(dtype):
    @st.composite
    def draw_args(draw):
        shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4))
        axis = draw(st.integers(0, len(shape) - 1))
        index_shape = tuple(draw(st.integers(0, 3)) if d == axis else draw(st.sampled_from([1, n])) for d, n in enumerate(shape))
        positions = draw(hnp.arrays(np.int64, index_shape, elements=st.integers(-shape[axis], shape[axis] - 1)))
        values = draw(arrays(dtype, draw(st.sampled_from([(), index_shape]))))
        return draw(arrays(dtype, shape)), positions, values, axis

    return draw_args()


def _put_along(x, positions, values, axis):
    x = x.copy()
    np.put_along_axis(x, positions, values, axis)
    return x


def _put(x, positions, values, axis):
    x = x.copy()
    np.put(x, positions, values)
    return x


def choose_args(dtype):
    @st.composite
    def draw_args(draw):
        shape = draw(hnp.array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=3))
        count = draw(st.integers(1, 3))
        selector = draw(hnp.arrays(np.int32, shape, elements=st.integers(0, count - 1)))
        return (selector,) + tuple(draw(arrays(dtype, shape)) for _ in range(count))

    return draw_args()


def select_args(dtype):
    @st.composite
    def draw_args(draw):
        shape = draw(hnp.array_shapes(min_dims=0, max_dims=2, min_side=0, max_side=3))
        conditions = tuple(draw(hnp.arrays(np.bool_, shape)) for _ in range(2))
        choices = tuple(draw(arrays(dtype, shape)) for _ in range(2))
        return conditions + choices

    return draw_args()


def compress_args(dtype):
    @st.composite
    def draw_args(draw):
        shape = draw(hnp.array_shapes(min_dims=1, max_dims=2, min_side=1, max_side=4))
        axis = draw(st.integers(0, len(shape) - 1))
        # the condition as a tuple of Python bools: a static argument (a traced one has no static result shape)
        return draw(arrays(dtype, shape)), tuple(draw(st.lists(st.booleans(), min_size=shape[axis], max_size=shape[axis]))), axis

    return draw_args()


ENTRIES = [
    Entry("numpy.take", lambda x, p, axis: np.take(x, p, axis=axis), inputs=array_positions_axis()),
    Entry("numpy.take", lambda x, p, axis: (np.take(x, p, axis=axis, mode="wrap"), np.take(x, p, axis=axis, mode="clip")),
          inputs=array_positions_axis(spill=5), tags=("modes",)),
    Entry("numpy.take", lambda x, p, axis: np.take(x, p), inputs=array_positions_axis(), tags=("flat",)),
    Entry("numpy.take_along_axis", lambda x, p, v, axis: np.take_along_axis(x, p, axis), inputs=array_and_along_positions),
    Entry("numpy.put_along_axis", _put_along, inputs=array_and_along_positions),
    Entry("numpy.put", _put, inputs=array_and_along_positions),
    Entry("numpy.choose", lambda selector, *choices: np.choose(selector, choices), inputs=choose_args),
    Entry("numpy.select", lambda c1, c2, x, y: np.select([c1, c2], [x, y], default=2), inputs=select_args),
    Entry("numpy.compress", lambda x, c, axis: np.compress(c, x, axis=axis), inputs=compress_args),
    Entry("numpy.extract", lambda x, c, axis: np.extract(np.resize(c, x.shape), x), inputs=compress_args),
]
