"""Shape functions: operands drawn of any shape; the static arguments derived from that shape."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from tables.entry import Entry, arrays, one_array


def with_axes(draw_static, *, min_dims: int = 0, max_dims: int = 3, min_side: int = 0):
    """`inputs` for (x, static): `draw_static(draw, shape)` draws the static argument for x's shape."""

    def strategy(dtype):
        @st.composite
        def draw_args(draw):
            shape = draw(hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=3))
            return draw(arrays(dtype, shape)), draw_static(draw, shape)

        return draw_args()

    return strategy


def _permutation(draw, shape):
    return tuple(draw(st.permutations(range(len(shape)))))


def _two_axes(draw, shape):
    n = len(shape)
    return draw(st.integers(-n, n - 1)), draw(st.integers(-n, n - 1))


def _reshape_target(draw, shape):
    size = int(np.prod(shape))
    divisors = [d for d in range(1, size + 1) if size % d == 0] or [1]
    first = draw(st.sampled_from(divisors))
    return draw(st.sampled_from([(size,), (first, -1), (-1, first), (first, size // first, 1)] if size else [(0,), (0, 3), (3, 0, -1)]))


def _squeezable(draw, shape):
    ones = [d for d, n in enumerate(shape) if n == 1]
    return draw(st.one_of(st.none(), st.lists(st.sampled_from(ones), unique=True).map(tuple))) if ones else None


def _new_axis(draw, shape):
    n = len(shape) + 1
    return draw(st.integers(-n, n - 1))


def _broadcast_target(draw, shape):
    lead = tuple(draw(st.lists(st.integers(0, 3), max_size=2)))
    return lead + tuple(draw(st.sampled_from([n, 2])) if n == 1 else n for n in shape)


def _source_destination(draw, shape):
    n = len(shape)
    source = draw(st.lists(st.integers(0, n - 1), unique=True, max_size=n)) if n else []
    destination = draw(st.permutations(range(n)))[: len(source)] if n else []
    return tuple(source), tuple(destination)


def _axis_and_start(draw, shape):
    n = len(shape)
    return draw(st.integers(-n, n - 1)), draw(st.integers(-n, n))


def _flip_axes(draw, shape):
    n = len(shape)
    if not n:
        return draw(st.sampled_from([None, ()]))
    return draw(st.one_of(st.none(), st.integers(-n, n - 1), st.lists(st.integers(0, n - 1), unique=True).map(tuple)))


def _shifts(draw, shape):
    n = len(shape)
    shift = st.integers(-7, 7)
    if not n:
        return draw(shift), None
    return draw(st.one_of(st.tuples(shift, st.none()), st.tuples(shift, st.integers(-n, n - 1)),
                          st.lists(st.tuples(shift, st.integers(0, n - 1)), min_size=1, max_size=3)
                          .map(lambda pairs: (tuple(p[0] for p in pairs), tuple(p[1] for p in pairs)))))


def _rotation(draw, shape):
    n = len(shape)
    first, second = draw(st.permutations(range(n)))[:2]
    return draw(st.integers(-5, 5)), (first, second)


def _reps(draw, shape):
    return draw(st.one_of(st.integers(0, 3), st.lists(st.integers(0, 3), max_size=4).map(tuple)))


def _repeats(draw, shape):
    if not shape:
        return draw(st.integers(0, 3)), None
    axis = draw(st.integers(-len(shape), len(shape) - 1))
    per_element = st.lists(st.integers(0, 3), min_size=shape[axis], max_size=shape[axis])
    return draw(st.one_of(st.integers(0, 3), per_element)), draw(st.one_of(st.none(), st.just(axis)))


def _new_size(draw, shape):
    return draw(st.one_of(st.integers(0, 7), st.lists(st.integers(0, 3), max_size=3).map(tuple)))


ENTRIES = [
    Entry("numpy.moveaxis", lambda x, s: np.moveaxis(x, *s), inputs=with_axes(_source_destination)),
    Entry("numpy.rollaxis", lambda x, s: np.rollaxis(x, *s), inputs=with_axes(_axis_and_start, min_dims=1)),
    Entry("numpy.flip", lambda x, ax: np.flip(x, ax), inputs=with_axes(_flip_axes)),
    Entry("numpy.fliplr", np.fliplr, inputs=one_array()),
    Entry("numpy.flipud", np.flipud, inputs=one_array()),
    Entry("numpy.roll", lambda x, s: np.roll(x, *s), inputs=with_axes(_shifts)),
    Entry("numpy.rot90", lambda x, s: np.rot90(x, *s), inputs=with_axes(_rotation, min_dims=2)),
    Entry("numpy.atleast_1d", np.atleast_1d, inputs=one_array()),
    Entry("numpy.atleast_2d", lambda x, y: np.atleast_2d(x, y), arity=2),
    Entry("numpy.atleast_3d", lambda x, y: np.atleast_3d(x, y), arity=2),
    Entry("numpy.broadcast_arrays", np.broadcast_arrays, arity=3),
    Entry("numpy.tile", lambda x, reps: np.tile(x, reps), inputs=with_axes(_reps)),
    Entry("numpy.repeat", lambda x, s: np.repeat(x, *s), inputs=with_axes(_repeats)),
    Entry("numpy.resize", lambda x, size: np.resize(x, size), inputs=with_axes(_new_size)),
    Entry("numpy.reshape", lambda x, s: np.reshape(x, s), inputs=with_axes(_reshape_target)),
    Entry("numpy.ravel", np.ravel, inputs=one_array()),
    Entry("numpy.transpose", lambda x, p: np.transpose(x, p), inputs=with_axes(_permutation)),
    Entry("numpy.swapaxes", lambda x, ax: np.swapaxes(x, *ax), inputs=with_axes(_two_axes, min_dims=1)),
    Entry("numpy.broadcast_to", lambda x, s: np.broadcast_to(x, s), inputs=with_axes(_broadcast_target)),
    Entry("numpy.squeeze", lambda x, ax: np.squeeze(x, ax), inputs=with_axes(_squeezable)),
    Entry("numpy.expand_dims", lambda x, ax: np.expand_dims(x, ax), inputs=with_axes(_new_axis)),
    Entry("numpy.astype", lambda x: np.astype(x, np.float32), inputs=one_array(specials=False)),
    Entry("numpy.copy", np.copy, inputs=one_array()),
    Entry("numpy.shape", lambda x: np.zeros(np.shape(x)), inputs=one_array()),
    Entry("numpy.ndim", lambda x: np.full(np.ndim(x), 1.0), inputs=one_array()),
    Entry("numpy.size", lambda x: np.arange(np.size(x)), inputs=one_array()),
    Entry("numpy.result_type", lambda x, y: (x + y).astype(np.result_type(x, y)), arity=2),
]
