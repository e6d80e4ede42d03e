"""x[mask] with a traced boolean mask: computed on, reduced and assigned back as in NumPy
(`tracer/numpy_api/masked.py`); what needs the packed shape raises, naming the line and np.where."""

from __future__ import annotations

import numpy as np
import pytest

import tracer
from helpers import Case, check_cases

X = np.array([[-1.5, 2.0, 0.5, -3.0], [4.0, -0.25, 1.0, 2.5], [0.0, -2.0, 3.5, -1.0]], np.float32)
ROW = np.array([1.0, -2.0, 0.5, 3.0], np.float32)
I = np.array([[3, -1, 0], [2, 5, -4]], np.int32)


def scale_positive(x):
    x = x.copy()
    x[x > 0] *= 2.5
    return x


def inverse_power(a):
    a = a.copy()
    a[a > 0] = a[a > 0] ** -1.5  # the mask computed twice
    return a


def exp_where_positive(x):
    z = np.zeros_like(x)
    pos = x >= 0
    z[pos] = np.exp(-x[pos])
    return z


def relu_backward(x):
    dx = np.ones_like(x)
    dx[x < 0] = 0
    return dx


def selections_combined(x):
    m = np.abs(x) > 1
    y = x.copy()
    y[m] = np.sign(x[m]) * np.sqrt(np.abs(x[m])) + x[m] / 2 - 1
    return y


def rows_selected(x, row):
    keep = x[:, 0] > -1  # a mask over the leading dim: whole rows
    y = x.copy()
    y[keep] -= y[keep].mean(axis=0)
    y[keep] *= row           # a row-shaped operand
    totals = np.zeros(3, np.float32)
    totals[keep] = x[keep].sum(axis=1)  # reduced over the rows' axis: still a selection
    return y, totals


def reductions(x):
    m = x > 0
    s = x[m]
    return (s.sum(), s.prod(), s.max(), s.min(), s.mean(), s.any(), s.all(), s.var(), s.std(ddof=1),
            np.sum(s * 2), np.mean(s), np.max(s), np.count_nonzero(s > 1), (s > 1).sum(), s.sum(keepdims=True))


def row_reductions(x):
    rows = x[x.sum(axis=1) > 0]
    return rows.sum(axis=0), rows.max(axis=0), rows.mean(axis=0, keepdims=True), rows.min(), np.std(rows, axis=0)


def integer_selection(i):
    j = i.copy()
    j[j < 0] //= 2
    j[j > 2] += j[j > 2] % 3
    return j, i[i != 0].sum(), i[i > 0].max(), (i[i > 0] > 2).any()


def clip_and_cast(x):
    y = np.zeros_like(x)
    m = x < 3
    y[m] = np.clip(x[m], -1, 1)
    z = np.zeros(x.shape, np.int32)
    z[m] = x[m].astype(np.int32)
    return y, z


def empty_selection(x):
    s = x[x > 100]
    return s.sum(), s.prod(), s.any(), s.all(), np.count_nonzero(s)


CASES = {name: Case(fn, args) for name, fn, args in [
    ("x[x > 0] *= a", scale_positive, (X,)),
    ("a[m] = a[m] ** -1.5", inverse_power, (X,)),
    ("z[pos] = np.exp(-x[pos])", exp_where_positive, (X,)),
    ("dx[x < 0] = 0", relu_backward, (X,)),
    ("selections combined", selections_combined, (X,)),
    ("rows selected", rows_selected, (X, ROW)),
    ("reductions", reductions, (X,)),
    ("row reductions", row_reductions, (X,)),
    ("integers", integer_selection, (I,)),
    ("clip and cast", clip_and_cast, (X,)),
    ("nothing selected", empty_selection, (X,)),
]}


def test_selections_compute_reduce_and_assign_back_as_numpy_does():
    check_cases(CASES)


def test_max_of_nothing_selected_is_the_identity():
    """NumPy raises for the max of an empty selection; a traced mask's count is known only when the code runs."""
    result = tracer.jit(lambda x: (x[x > 100].max(), x[x > 100].min()))(X)
    assert [float(np.asarray(r)) for r in result] == [-np.inf, np.inf]


def test_a_selection_in_a_jit_gradient():
    def loss(x):
        y = x.copy()
        y[y > 0] = y[y > 0] ** 2
        return y.sum()

    grad = np.asarray(tracer.jit(tracer.grad(loss))(X))
    np.testing.assert_allclose(grad, np.where(X > 0, 2 * X, 1))


# -- what needs the packed shape raises ----------------------------------------------------------------------

PACKED = {
    "shape": lambda x: x[x > 0].shape,
    "len": lambda x: len(x[x > 0]),
    "returned": lambda x: x[x > 0],
    "reshape": lambda x: x[x > 0].reshape(-1, 1),
    "sort": lambda x: np.sort(x[x > 0]),
    "concatenate": lambda x: np.concatenate([x[x > 0], x[0]]),
    "indexing into": lambda x: x[x > 0][0],
    "two masks": lambda x: x[x > 0] + x[x < 1],
    "full-shaped operand": lambda x: x[x > 0] * x,
    "assigned through another mask": lambda x: x.__setitem__(x < 1, x[x > 0]),
    "matmul": lambda x: x[x[:, 0] > 0] @ np.ones((4, 2), np.float32),
    "np.asarray": lambda x: np.asarray(x[x > 0]) + 1,
}


@pytest.mark.parametrize("name", PACKED)
def test_what_needs_the_packed_shape_says_np_where(name):
    with pytest.raises(tracer.TracedIndexError, match="np.where") as info:
        tracer.jit(PACKED[name])(X)
    assert "test_masked.py" in str(info.value)


@pytest.mark.parametrize("read", [lambda x: x[x > 0].argsort(), lambda x: x[x > 0].T, lambda x: x[x > 0].tolist()],
                         ids=["argsort", "T", "tolist"])
def test_other_ndarray_methods_of_a_selection_say_np_where(read):
    """They raised a bare AttributeError naming no line; still AttributeErrors, so hasattr() is False."""
    with pytest.raises(tracer.UnsupportedMethodError, match=r"test_masked.py:\d+: x\[mask\]\.\w+ needs the selection "
                                                            r"x\[mask\] packed(.|\n)*fix: .*np.where\(mask, x, fill\)"):
        tracer.jit(read)(X)


def test_a_name_ndarray_lacks_is_a_plain_attribute_error():
    with pytest.raises(AttributeError, match="'MaskedSelection' object has no attribute 'nonexistent'"):
        tracer.jit(lambda x: x[x > 0].nonexistent)(X)


def test_a_mask_over_later_axes_still_says_np_where():
    with pytest.raises(tracer.TracedIndexError, match="np.where"):
        tracer.jit(lambda x: x[:, x[0] > 0].sum())(X)
