"""Basic indexing traced vs NumPy eager: `x[idx]` and `x[idx] = v` with ints (negative too), slices
(negative steps, out-of-range bounds), None and Ellipsis, on arrays up to rank 3, plus NumPy's errors.

`x[idx] = v` is compared with NumPy doing the same on a copy; the traced function returns x (and
another name bound to x, which must see the update too: value semantics, as the tracer documents).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from helpers import ALL_DTYPES, Case, check_cases, exact_values, xla_settings


def _elements(dtype, *, nonnegative=False):
    """Values with a defined conversion to every dtype (no negative floats when an unsigned array receives them)."""
    return exact_values(dtype, uint_max=9, int_bound=9, float_bound=3, nonnegative=nonnegative)


@st.composite
def slices(draw, size):
    bound = st.one_of(st.none(), st.integers(-size - 3, size + 3))  # out-of-range bounds are clipped by NumPy
    step = st.sampled_from([None, 1, 2, 3, -1, -2, -3])
    return slice(draw(bound), draw(bound), draw(step))


@st.composite
def basic_indices(draw, shape):
    """An index of ints, slices, None and at most one Ellipsis that is valid for `shape`."""
    ndim = len(shape)
    consumed = draw(st.integers(0, ndim))
    ellipsis_at = draw(st.one_of(st.none(), st.integers(0, consumed)))
    if ellipsis_at is None:
        dims = list(range(consumed))
    else:
        dims = list(range(ellipsis_at)) + list(range(ndim - (consumed - ellipsis_at), ndim))
    items = []
    for dim in dims:
        size = shape[dim]
        if size and draw(st.booleans()):
            items.append(draw(st.integers(-size, size - 1)))
        else:
            items.append(draw(slices(size)))
    if ellipsis_at is not None:
        items.insert(ellipsis_at, Ellipsis)
    for _ in range(draw(st.integers(0, 2))):
        items.insert(draw(st.integers(0, len(items))), None)
    if len(items) == 1 and draw(st.booleans()):
        return items[0]  # x[i] rather than x[(i,)]
    return tuple(items)


def _value_shape(draw, target_shape):
    """A shape that broadcasts to target_shape: a suffix of it with some dims set to 1, maybe a leading 1."""
    keep = draw(st.integers(0, len(target_shape)))
    suffix = [1 if draw(st.integers(0, 3)) == 0 else n for n in target_shape[len(target_shape) - keep:]]
    if draw(st.integers(0, 4)) == 0:
        suffix = [1] + suffix  # NumPy drops leading unit dims of the value
    return tuple(suffix)


def _setitem_fn(index):
    def fn(x, value):
        alias = x
        x[index] = value
        return x, alias

    return fn


def _setitem_scalar_fn(index, scalar):
    def fn(x):
        x[index] = scalar
        return x

    return fn


@st.composite
def indexing_cases(draw):
    dtype = draw(st.sampled_from(ALL_DTYPES))
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=5))
    x = draw(hnp.arrays(dtype, shape, elements=_elements(dtype)))
    cases = {}
    for i in range(3):
        index = draw(basic_indices(shape), label=f"index{i}")
        cases[f"x[{index!r}]"] = Case(lambda a, index=index: a[index], (x,), signed_zeros=True)
    for i in range(2):
        index = draw(basic_indices(shape), label=f"setitem index{i}")
        target_shape = np.empty(shape)[index].shape
        value_dtype = draw(st.sampled_from(ALL_DTYPES))
        value = draw(hnp.arrays(value_dtype, _value_shape(draw, target_shape),
                                elements=_elements(value_dtype, nonnegative=dtype.kind == "u")))
        cases[f"x[{index!r}] = {value_dtype}{list(value.shape)}"] = Case(_setitem_fn(index), (x, value), signed_zeros=True)
        scalar = draw(st.sampled_from([0, 1, 7, -3, 2.5, -0.0, True, False, 300]))
        cases[f"x[{index!r}] = {scalar!r}"] = Case(_setitem_scalar_fn(index, scalar), (x,), signed_zeros=True)
    return cases


@xla_settings(max_examples=40)
@given(indexing_cases())
def test_indexing_matches_numpy(cases):
    """Three reads and two writes (an array value and a Python scalar each) of one drawn array."""
    check_cases(cases)


# -- fixed cases -------------------------------------------------------------------------------------

X = np.arange(24, dtype=np.float32).reshape(2, 3, 4)

GETITEM = {
    "x[1]": lambda a: a[1],
    "x[-1]": lambda a: a[-1],
    "x[-2, -3, -4]": lambda a: a[-2, -3, -4],
    "x[:, 1]": lambda a: a[:, 1],
    "x[..., -1]": lambda a: a[..., -1],
    "x[::-1]": lambda a: a[::-1],
    "x[:, ::-2, 1::2]": lambda a: a[:, ::-2, 1::2],
    "x[-100:100]": lambda a: a[-100:100],
    "x[5:]": lambda a: a[5:],
    "x[:, 3:1]": lambda a: a[:, 3:1],
    "x[:, 3:1:-1]": lambda a: a[:, 3:1:-1],
    "x[None]": lambda a: a[None],
    "x[None, ..., None]": lambda a: a[None, ..., None],
    "x[1, None, ::-1, None, 2]": lambda a: a[1, None, ::-1, None, 2],
    "x[...]": lambda a: a[...],
    "x[()]": lambda a: a[()],
    "x[np.int64(1)]": lambda a: a[np.int64(1)],
    "x[0][1][2]": lambda a: a[0][1][2],
    "x[:, :, 100:-100:-1]": lambda a: a[:, :, 100:-100:-1],
}
ERRORS = {
    "x[2] (out of bounds)": lambda a: a[2],
    "x[-3] (out of bounds)": lambda a: a[-3],
    "x[0, 3]": lambda a: a[0, 3],
    "x[0, 0, 0, 0] (too many indices)": lambda a: a[0, 0, 0, 0],
    "x[..., 0, 0, 0, 0] (too many indices)": lambda a: a[..., 0, 0, 0, 0],
    "x[..., ...]": lambda a: a[..., ...],
    "x[1.5]": lambda a: a[1.5],
    "x[::0]": lambda a: a[::0],
    "x[2] = 1 (out of bounds)": lambda a: a.__setitem__(2, 1) or a,
    "x[0, 0, 0, 0] = 1 (too many indices)": lambda a: a.__setitem__((0, 0, 0, 0), 1) or a,
    "x[0] = ones(4, 3) (shape)": lambda a: a.__setitem__(0, np.ones((4, 3), np.float32)) or a,
    "x[0:0] = ones(3) (shape)": lambda a: a.__setitem__(slice(0, 0), np.ones(3, np.float32)) or a,
}


def test_getitem_fixed_cases():
    check_cases({name: Case(fn, (X,), signed_zeros=True) for name, fn in GETITEM.items()})


def test_getitem_on_0d_array():
    x = np.array(3.5, np.float32)
    check_cases({
        "x[()]": Case(lambda a: a[()], (x,)),
        "x[...]": Case(lambda a: a[...], (x,)),
        "x[None]": Case(lambda a: a[None], (x,)),
        "x[..., None]": Case(lambda a: a[..., None], (x,)),
        "x[0] (too many indices)": Case(lambda a: a[0], (x,)),
        "x[:] (too many indices)": Case(lambda a: a[:], (x,)),
    })


def test_index_errors_like_numpy():
    """Out-of-bounds ints and too many indices are IndexError; a zero step is ValueError; bad shapes ValueError."""
    check_cases({name: Case(fn, (X,)) for name, fn in ERRORS.items()})


def test_index_into_empty_axis_is_an_index_error():
    check_cases({"x[0] of shape (0, 3)": Case(lambda a: a[0], (np.zeros((0, 3), np.int32),)),
                 "x[:, 0] of shape (0, 3)": Case(lambda a: a[:, 0], (np.zeros((0, 3), np.int32),))})


@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=str)
def test_setitem_casts_like_numpy(dtype):
    """Array values are cast unsafely (float -> int truncates, -> bool is != 0); Python scalars must fit (NEP 50)."""
    x = np.zeros((3, 4), dtype)
    cases = {}
    for value_dtype in ALL_DTYPES:
        value = np.array([1.5, 0.0, 2.5, 1.0]).astype(value_dtype)
        cases[f"x[1] = {value_dtype} array"] = Case(_setitem_fn(1), (x, value), signed_zeros=True)
        cases[f"x[:, ::-2] = {value_dtype} column"] = Case(_setitem_fn((slice(None), slice(None, None, -2))),
                                                            (x, value[:3, None]), signed_zeros=True)
    for scalar in (2.75, -0.0, True, 1, 200, 300, -1, np.nan, np.inf):
        cases[f"x[0, 1:] = {scalar!r}"] = Case(_setitem_scalar_fn((0, slice(1, None)), scalar), (x,), signed_zeros=True)
    cases["x[...] = 0-d array"] = Case(_setitem_fn(Ellipsis), (x, np.array(5, dtype)))
    check_cases(cases)


def test_setitem_sequence_rebinds_every_name():
    """Several writes in a row (overlapping, negative steps), each seen through another name of the array."""

    def fn(x, v):
        y = x
        x[0] = 1
        y[:, -1] = v[0]
        x[::-1, 1:3] = v[1:3]
        x[..., None, 0] += 10  # read-modify-write through an index
        return x, y

    check_cases({"writes": Case(fn, (np.zeros((3, 4), np.int32), np.arange(4 * 3, dtype=np.int32).reshape(3, 4)[:, 0]))})


def test_setitem_value_shapes_like_numpy():
    """The value broadcasts to the indexed shape; NumPy also drops the value's leading unit dims."""
    x = np.zeros((3, 4), np.float32)
    check_cases({
        "x[0] = (4,)": Case(_setitem_fn(0), (x, np.arange(4, dtype=np.float32))),
        "x[0] = (1, 4)": Case(_setitem_fn(0), (x, np.arange(4, dtype=np.float32)[None])),
        "x[1:, 2] = (1, 1, 2)": Case(_setitem_fn((slice(1, None), 2)), (x, np.ones((1, 1, 2), np.float32))),
        "x[0, 0] = (1,)": Case(_setitem_fn((0, 0)), (x, np.array([7.0], np.float32))),
        "x[:, None] = (3, 1, 1)": Case(_setitem_fn((slice(None), None)), (x, np.ones((3, 1, 1), np.float32))),
        "x[0] = (2, 4) (error)": Case(_setitem_fn(0), (x, np.ones((2, 4), np.float32))),
        "x[0] = (3,) (error)": Case(_setitem_fn(0), (x, np.ones(3, np.float32))),
    })
