"""NumPy's views under tracing: writes through a slice reach its parent, writes to the parent
reach its slices, exactly as NumPy's shared memory behaves. Each function below runs in NumPy
(the oracle) and traced, and returns every array involved."""

from __future__ import annotations

import numpy as np
import pytest

import tracer
from helpers import Case, check_cases


def write_through_row(x):
    row = x[0]
    row[:] = 1
    return x, row


def augmented_slice(x):
    y = x[1:3]
    y += 1
    return x, y


def parent_write_reaches_view(x):
    y = x[:, ::2]
    x[0] = 5
    return x, y


def nested_views(x):
    y = x[1:]
    z = y[0]
    z[...] = 9
    return x, y, z


def sibling_views(x):
    a = x[0]
    b = x[:, 0]
    a[0] = 7
    return x, a, b


def reversed_view(x):
    y = x[::-1, 1]
    y[0] = -3
    return x, y


def out_argument_on_a_view(x):
    np.multiply(x[1], 10, out=x[1])
    return x


def setitem_through_index_form(x):
    x[1:3] *= 2  # Python: tmp = x[1:3]; tmp *= 2; x[1:3] = tmp
    x[:, -1] -= x[:, 0]
    return x


def ellipsis_is_a_view(x):
    y = x[...]
    y[0, 0] = 100
    return x


def rebinding_is_not_a_write(x):
    y = x[0]
    y = y + 1  # a new array: x stays as it was
    return x, y


def advanced_index_is_a_copy(x):
    y = x[[0, 1]]
    y[0] = 0
    return x, y


def view_of_a_fresh_array(x):
    z = x * 2
    col = z[:, 1]
    col += 100
    return z


def transpose_view(x):
    t = x.T
    t[0] = -1  # column 0 of x
    x[1, 1] = 50  # and back: t[1, 1] sees it
    return x, t


def reshape_of_a_fresh_array(x):
    flat = x.reshape(-1)
    flat[::5] = 0
    return x, flat


def squeeze_expand_and_moveaxis(x):
    e = np.expand_dims(x, 0)
    e[0, 0, 0] = 11
    m = np.moveaxis(x, 0, 1)
    m[2] += 1
    s = np.squeeze(x[None])
    s[-1, -1] = -11
    return x, e, m, s


def flip_view(x):
    f = np.flip(x, axis=0)
    f[0] = 3  # x's last row
    return x, f


def broadcast_sees_parent_writes(x):
    b = np.broadcast_to(x[0], (2, 3))
    x[0, 0] = 77
    return x, b


def diagonal_sees_parent_writes(x):
    d = np.diagonal(x)
    x[1, 1] = -9
    return x, d


def element_is_a_copy(x):
    # x[i, j] (an int per dim) is a NumPy scalar: `e += 1` rebinds e, and a later write to x leaves e alone.
    e = x[1, 2]
    e += 1
    x[1, 2] = -1
    f = x[-1][0]
    f *= 3
    return x, e, f


def augmented_element_promotes_then_casts(x):
    # `y[0] -= w` is `y[0] = y[0] - w`: the scalar promotes to int32, the setitem casts back (NumPy's unsafe cast).
    y = (x % 200).astype(np.uint8)
    y[0, 0] -= np.int32(128)
    y[1, 1, ...] += np.uint8(1)  # (a 0-d view, with `...`: in place)
    return y


VIEW_PATTERNS = [element_is_a_copy, augmented_element_promotes_then_casts, transpose_view, reshape_of_a_fresh_array, squeeze_expand_and_moveaxis, flip_view,
                 broadcast_sees_parent_writes, diagonal_sees_parent_writes, write_through_row, augmented_slice, parent_write_reaches_view, nested_views, sibling_views,
                 reversed_view, out_argument_on_a_view, setitem_through_index_form, ellipsis_is_a_view,
                 rebinding_is_not_a_write, advanced_index_is_a_copy, view_of_a_fresh_array]


def test_views_share_elements_like_numpy():
    x = np.arange(12, dtype=np.float32).reshape(4, 3)
    check_cases({fn.__name__: Case(fn, (x,)) for fn in VIEW_PATTERNS})


def test_traced_scalar_position_gives_a_view():
    def fn(x, i):
        row = x[i]
        row *= 2
        return x, row

    x = np.arange(6, dtype=np.int32).reshape(3, 2)
    for i in (0, 2, -1):
        check_cases({f"i={i}": Case(fn, (x, np.int32(i)))})


def test_traced_scalar_position_for_every_dim_gives_a_copy():
    def fn(x, i):
        e = x[i, 1]
        e += 10
        return x, e

    x = np.arange(6, dtype=np.int32).reshape(3, 2)
    check_cases({"i=1": Case(fn, (x, np.int32(1)))})


def test_writing_into_an_element_is_refused_like_numpy():
    def fn(x):
        e = x[0]
        e[...] = 1
        return x

    with pytest.raises(TypeError):
        fn(np.zeros(2))
    with pytest.raises(tracer.TracerError, match="does not support item assignment"):
        tracer.jit(fn)(np.zeros(2))


def test_view_written_inside_a_loop_body_of_an_outer_array_is_refused():
    def fn(x):
        def body(i, total):
            row = x[0]
            row[0] = total  # would write x, which lives outside the loop
            return total + 1

        return tracer.fori_loop(0, 3, body, 0.0)

    with pytest.raises(tracer.TracerError, match="in-place update inside"):
        tracer.jit(fn)(np.zeros((2, 2)))


@pytest.mark.parametrize("make_view", [lambda x: np.broadcast_to(x, (2, 4, 3)), np.diagonal],
                         ids=["broadcast_to", "diagonal"])
def test_read_only_views_refuse_writes_like_numpy(make_view):
    def fn(x):
        view = make_view(x)
        view[...] = 0
        return view

    x = np.zeros((4, 3))
    with pytest.raises(ValueError, match="read-only"):
        fn(x.copy())  # NumPy
    with pytest.raises(tracer.TracerError, match="read-only") as info:
        tracer.jit(fn)(x)
    assert isinstance(info.value, ValueError) and "x.copy()" in str(info.value)


def test_broadcast_arrays_results_are_read_only():
    """NumPy still lets these be written, with a DeprecationWarning that they will become read-only (a write
    to one element lands in every element sharing its memory); the tracer refuses already."""

    def fn(x):
        _, wide = np.broadcast_arrays(x, x[:1])
        wide[0] = 1
        return wide

    with pytest.raises(tracer.TracerError, match="read-only"):
        tracer.jit(fn)(np.zeros((4, 3)))
