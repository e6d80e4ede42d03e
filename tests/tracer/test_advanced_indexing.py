"""Indexing with arrays, masks and traced positions, traced vs NumPy eager.

Indices mix ints, slices, None, Ellipsis, integer arrays (NumPy constants of the traced function,
or traced arguments) and boolean masks, in every arrangement NumPy gives a meaning to: adjacent
and separated array indices (where the batch dims land), broadcasting index arrays, negative
positions. Writes compare the whole array after `x[idx] = v`, including repeated positions
(NumPy's last write wins), and `np.add.at`-style accumulation.
"""

from __future__ import annotations

import re

import ml_dtypes
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tracer
from helpers import ALL_DTYPES, Case, check_cases, exact_values, run_both, assert_trees_match, xla_settings


class Traced:
    """A placeholder in an index template: the array at `slot` of the traced function's arguments."""

    def __init__(self, slot):
        self.slot = slot


def fill(template, arrays):
    items = tuple(arrays[item.slot] if isinstance(item, Traced) else item for item in template)
    return items[0] if len(items) == 1 else items


@st.composite
def advanced_indices(draw, shape):
    """(template, traced arrays): an index of `shape` with at least one array or mask in it."""
    ndim = len(shape)
    batch = draw(hnp.array_shapes(min_dims=0, max_dims=2, min_side=1, max_side=3))
    items, arrays = [], []
    dim = 0
    while dim < ndim:
        size = shape[dim]
        kind = draw(st.sampled_from(["slice", "int", "array", "array", "mask", "none", "stop"]))
        if kind == "stop":
            break
        if kind == "none":
            items.append(None)
            continue
        if kind == "slice":
            items.append(slice(draw(st.none() | st.integers(-size, size)), None, draw(st.sampled_from([None, 1, -1, 2]))))
        elif kind == "int":
            items.append(draw(st.integers(-size, size - 1)))
        elif kind == "mask":
            width = draw(st.integers(1, ndim - dim))
            items.append(draw(hnp.arrays(np.bool_, shape[dim:dim + width])))
            dim += width
            continue
        else:
            sub = batch[draw(st.integers(0, len(batch))):]  # a suffix of the batch shape: broadcasts
            positions = draw(hnp.arrays(np.int32, sub, elements=st.integers(-size, size - 1)))
            if draw(st.booleans()):
                arrays.append(positions)
                items.append(Traced(len(arrays) - 1))
            else:
                items.append(positions)
        dim += 1
    if not any(isinstance(item, (np.ndarray, Traced)) for item in items):
        items.append(np.array([0, -1], np.int32) if dim < ndim else None)
    if draw(st.booleans()):  # anywhere if it stands for no dims, else last (so the drawn positions keep their dims)
        items.insert(draw(st.integers(0, len(items))) if dim == ndim else len(items), Ellipsis)
    return tuple(items), arrays


@st.composite
def getitem_cases(draw):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4))
    dtype = draw(st.sampled_from(ALL_DTYPES))
    x = draw(hnp.arrays(dtype, shape, elements=exact_values(dtype, uint_max=9, int_bound=9, float_bound=3)))
    template, arrays = draw(advanced_indices(shape))
    return x, template, arrays


@xla_settings(max_examples=60)
@given(st.lists(getitem_cases(), min_size=1, max_size=6))
def test_array_indexing_matches_numpy(drawn):
    cases = {}
    for n, (x, template, arrays) in enumerate(drawn):
        cases[f"{n}: x{x.shape}[{template}]"] = Case(lambda x, *arrays, t=template: x[fill(t, arrays)], (x, *arrays))
    check_cases(cases)


def _writer(template):
    def fn(x, value, *arrays):
        alias = x
        x[fill(template, arrays)] = value
        return x, alias

    return fn


@xla_settings(max_examples=60)
@given(st.lists(getitem_cases(), min_size=1, max_size=6), st.data())
def test_array_assignment_matches_numpy(drawn, data):
    cases = {}
    for n, (x, template, arrays) in enumerate(drawn):
        try:
            read_shape = x[fill(template, arrays)].shape
        except IndexError:
            read_shape = ()  # an invalid index: both must raise NumPy's IndexError
        value_shape = data.draw(st.sampled_from([(), read_shape, read_shape[1:], (1,) + read_shape]))
        value = data.draw(hnp.arrays(x.dtype, value_shape, elements=exact_values(x.dtype, uint_max=9, int_bound=9, float_bound=3)))
        cases[f"{n}: x{x.shape}[{template}] = v{value_shape}"] = Case(_writer(template), (x, value, *arrays))
    check_cases(cases)


def test_repeated_positions_last_write_wins():
    x = np.zeros(5, np.float32)
    positions = np.array([1, 3, 1, -4, 0, 3], np.int32)
    values = np.arange(6, dtype=np.float32) + 10

    def static(x, v):
        x[np.array([1, 3, 1, -4, 0, 3])] = v
        return x

    def traced(x, v, p):
        x[p] = v
        return x

    def increment(x, p):
        x[p] += 1  # NumPy: one increment per distinct position
        return x

    check_cases({"static": Case(static, (x, values)), "traced": Case(traced, (x, values, positions)),
                 "traced 2-d": Case(traced, (np.zeros((4, 2), np.int32), np.arange(12, dtype=np.int32).reshape(6, 2), positions)),
                 "x[p] += 1": Case(increment, (x, positions))})


def test_traced_scalar_positions_read_and_write_rows():
    x = np.arange(20, dtype=np.float64).reshape(4, 5)

    def fn(x, i, j):
        row, col, element = x[i], x[:, j], x[i, j]
        y = x.copy()
        y[i] = -1.0
        z = x.copy()
        z[i, :, ...] = np.arange(5.0)
        w = x.copy()
        w[:, j] = col * 2
        return row, col, element, y, z, w

    for i, j in [(0, 0), (3, 4), (-1, -5), (-4, 2)]:
        check_cases({f"i={i} j={j}": Case(fn, (x, np.int32(i), np.int64(j)))})


def test_traced_index_inside_fori_loop_writes_each_row():
    def fn(x):
        def body(i, acc):
            acc[i] = acc[i - 1] * 2 + i
            return acc

        return tracer.fori_loop(1, x.shape[0], body, x)

    def eager(x):
        x = x.copy()
        for i in range(1, x.shape[0]):
            x[i] = x[i - 1] * 2 + i
        return x

    x = np.ones((5, 3), np.float32)
    np.testing.assert_array_equal(np.asarray(tracer.jit(fn)(x)), eager(x))


def test_ufunc_at_accumulates_repeated_positions():
    x = np.arange(6, dtype=np.int32)
    positions = np.array([0, 2, 0, 5, 0], np.int32)
    values = np.array([1, 2, 3, 4, 5], np.int32)

    def at(ufunc):
        def fn(x, p, v):
            ufunc.at(x, p, v)
            return x

        return fn

    cases = {f"np.{u.__name__}.at": Case(at(u), (x, positions, values)) for u in
             (np.add, np.subtract, np.multiply, np.maximum, np.minimum, np.bitwise_or, np.bitwise_xor)}
    cases["float add.at, 2-d rows"] = Case(at(np.add), (np.ones((3, 2), np.float32), np.array([2, 2, 0]), np.ones((3, 2), np.float32)))
    cases["add.at, tuple index"] = Case(lambda x, v: (np.add.at(x, (np.array([0, 0, 1]), np.array([1, 1, 0])), v), x)[1],
                                        (np.zeros((2, 2), np.float64), np.array([1.0, 2.0, 4.0])))
    cases["add.at, scalar value"] = Case(at(np.add), (x, positions, np.int32(7)))
    check_cases(cases)


def test_ufunc_at_casts_unsafely_like_numpy():
    """ufunc.at computes in the loop's dtype and casts the result into the target unsafely (no same_kind check);
    elements it does not hit keep their exact values (an int64 beyond 2**53 too)."""
    def at(ufunc, values):
        def fn(x):
            ufunc.at(x, np.array([0, 2]), values)
            return x

        return fn

    small = np.array([-2, 1, 4, 7])
    cases = {
        "uint32 maximum.at bfloat16": Case(at(np.maximum, np.array(2.5, ml_dtypes.bfloat16)), (small.astype(np.uint32),)),
        "int8 add.at float32": Case(at(np.add, np.float32(3.7)), (small.astype(np.int8),)),
        "int8 subtract.at float64": Case(at(np.subtract, np.array([0.5, 1.5])), (small.astype(np.int8),)),
        "int16 multiply.at float64": Case(at(np.multiply, np.array(-1.5)), (small.astype(np.int16),)),
        "bool add.at float64": Case(at(np.add, np.array(2.5)), (small > 0,)),
        "int64 add.at float64, big": Case(at(np.add, np.array(0.5)), (small.astype(np.int64) + 2 ** 60,)),
    }
    check_cases(cases)


def test_ufunc_at_takes_python_numbers_as_arrays():
    """NumPy's ufunc.at makes an array of its values first: a Python number takes part with its array dtype (int64,
    uint64, float64), not as a weak scalar. np.add.at(uint64, i, -2) computes in float64 (fuzz seed 2020, program
    6949: traced, -2 could not become a uint64 constant); np.maximum.at(uint8, i, 200) in int64."""
    def at(ufunc, values):
        def fn(x):
            x = np.copy(x)
            ufunc.at(x, np.array([0, 2]), values)  # (once each: NumPy casts back after every update)
            return x

        return fn

    small = np.array([2, 1, 4, 7])
    cases = {f"{dtype.__name__} {ufunc.__name__}.at {value!r}": Case(at(ufunc, value), (small.astype(dtype),))
             for dtype, ufunc, value in [
                 (np.uint64, np.add, -2), (np.uint8, np.add, 300), (np.int8, np.add, -1000), (np.uint32, np.add, -2),
                 (np.int32, np.add, 2 ** 40), (np.uint8, np.maximum, 200), (np.int8, np.maximum, 200),
                 (np.uint8, np.multiply, -2), (np.uint8, np.bitwise_xor, -2), (np.uint8, np.subtract, -2),
                 (np.bool_, np.add, -1), (np.float32, np.add, 1.5), (np.uint64, np.add, 2 ** 64)]}
    # Added in float64, rounded once: 1 + (2**-11 + 1e-12) is 1.001 in float16, 1.0 added in float16.
    cases["float16 add.at a float64 sum"] = Case(lambda x: (np.add.at(x, np.array([0]), 2.0 ** -11 + 1e-12), x)[1],
                                                 (np.ones(2, np.float16),))
    check_cases(cases)


def test_traced_mask_assignment_of_one_value():
    x = np.arange(12, dtype=np.float32).reshape(3, 4) - 5

    def fn(x):
        y = x.copy()
        y[y < 0] = 0
        z = x.copy()
        z[x[:, 0] > -4] = np.arange(4, dtype=np.float32)  # whole rows, one value for each selected row
        w = x.copy()
        w[x > 0, ...] = -x.sum()
        return y, z, w

    expected, actual = run_both(fn, x)
    assert_trees_match(actual, expected)


_MADE_BEFORE = np.zeros(3)
ERRORS = {
    # (x[mask] can be computed on, reduced and assigned back: tests/tracer/test_masked.py; not returned)
    "traced mask read": (lambda x: x[x > 0], "x[mask] packed as NumPy packs it", "np.where"),
    "traced mask on a later axis": (lambda x: x[:, x[0] > 0], "traced boolean mask", "np.where"),
    "one value per selected element": (lambda x: x.__setitem__(x > 0, np.arange(12.0)) , "only known when the code runs", "np.where"),
    "float index array": (lambda x: x[np.array([0.0])], "integer (or boolean) type", None),
    "traced float index": (lambda x: x[x[0]], "integer (or boolean) type", "astype"),
    "out of bounds": (lambda x: x[np.array([0, 3])], "index 3 is out of bounds for axis 0 with size 3", None),
    "mask of the wrong size": (lambda x: x[np.array([True, False])], "boolean index did not match", None),
    "value shape": (lambda x: x.__setitem__(np.array([0, 1]), np.ones(3)), "could not be broadcast", None),
    # (an array made before tracing: one made inside the function takes traced writes, tests/tracer/test_created_arrays.py)
    "numpy target for add.at": (lambda x: np.add.at(_MADE_BEFORE, np.array([0]), x[0, 0]), "NumPy array", None),
    "unsupported ufunc.at": (lambda x: np.divide.at(x, np.array([0]), 2.0), "numpy.divide.at", None),
}


@pytest.mark.parametrize("name", ERRORS)
def test_index_errors_are_clear(name):
    fn, message, fix = ERRORS[name]
    with pytest.raises(tracer.TracerError, match=re.escape(message)) as info:
        tracer.jit(fn)(np.arange(12.0).reshape(3, 4))
    assert "test_advanced_indexing.py" in str(info.value)  # the user's line leads the message
    if fix:
        assert fix in str(info.value)


# -- any sequence of ints is an index, as in NumPy ----------------------------------------------------------

SEQ = np.arange(24, dtype=np.float32).reshape(4, 6)


def _rewritten(index, value):
    def write(x):
        x = x.copy()
        x[index] = value
        return x
    return write


def test_sequences_of_ints_index_as_in_numpy():
    n = 3
    check_cases({
        "range": Case(lambda x: x[range(n)], (SEQ,)),
        "range on a later axis": Case(lambda x: x[:, range(1, 6, 2)], (SEQ,)),
        "range of positions past a slice": Case(lambda x: x[1:, range(2)], (SEQ,)),
        "empty range": Case(lambda x: x[range(0)], (SEQ,)),
        "list": Case(lambda x: x[[0, 3, 3]], (SEQ,)),
        "tuples in a list": Case(lambda x: x[[(0, 1), (2, 3)]], (SEQ,)),
        "tuple inside the index": Case(lambda x: x[(0, 2), :], (SEQ,)),
        "nested lists": Case(lambda x: x[[[0, 1], [3, 2]], [[5], [0]]], (SEQ,)),
        "NumPy ints in a list": Case(lambda x: x[[np.int64(1), np.int32(-1)]], (SEQ,)),
        "traced int in a list": Case(lambda x: x[[0, (x[0, 1] > 0).astype(np.int64)]], (SEQ,)),
        "traced ints in nested lists": Case(lambda x: x[[[x[0, 2].astype(np.int32), 1]]], (SEQ,)),
        "write through a range": Case(_rewritten(range(1, 3), -1.0), (SEQ,)),
        "write through tuples in a list": Case(_rewritten(([0, 1], (2, 3)), 7.0), (SEQ,)),
        "embedding rows by range": Case(lambda x: x[range(2)] + x[[3, 2]], (SEQ,)),
    })


def test_a_range_out_of_bounds_raises_as_in_numpy():
    with pytest.raises(IndexError, match="out of bounds"):
        tracer.jit(lambda x: x[range(5)])(SEQ)


def test_assignment_with_index_arrays_reshapes_a_value_of_more_dims_as_numpy():
    """Indexing with arrays, NumPy reshapes a value with more dims than x[index] to its trailing dims: leading unit
    dims drop, and any leading dims of an empty value (x[[]] = np.zeros((3, 0)): fuzz seed 2424, program 1088);
    other values fail with its shape-mismatch ValueError. Basic indexes only drop leading unit dims."""
    def assign(index, value_shape):
        def fn(x):
            x = np.copy(x)
            x[index] = np.zeros(value_shape, x.dtype) + x.sum()
            return x

        return fn

    cases = {f"{name}: {value_shape}": Case(assign(index, value_shape), (x,)) for name, x, index, value_shape in [
        ("empty x[[]]", np.zeros(0, np.int32), [], (3, 0)),
        ("empty x[array([], int)]", np.zeros(0, np.int32), np.array([], int), (2, 1, 0)),
        ("x[array([], int)] of 3", np.arange(3.0), np.array([], int), (3, 0)),
        ("rows x[[0, 1], :] of (3, 0)", np.zeros((3, 0)), ([0, 1], slice(None)), (7, 2, 0)),
        ("x[0, []] of (3, 0)", np.zeros((3, 0)), (0, np.array([], int)), (7, 1, 0)),
        ("leading unit dims", np.arange(3.0), np.array([0, 1]), (1, 1, 2)),
        ("leading dims of a non-empty value", np.arange(3.0), np.array([], int), (3, 1)),
        ("too many rows", np.arange(3.0), np.array([0, 1]), (3, 2)),
        ("basic slice of an empty value", np.arange(3.0), slice(0, 0), (3, 0)),
    ]}
    check_cases(cases)
