"""`ops.gather_points`, `ops.scatter_points` and `ops.sort` against NumPy, in the reference interpreter."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import interpret
from test_ops import build, build_fails, check_values, text

from helpers_filecheck import filecheck
from ir import ops

rng = np.random.default_rng(7)


def test_gather_points_rows_and_elements():
    x = rng.standard_normal((4, 3)).astype(np.float32)
    rows = np.array([[2], [0], [2]], np.int32)
    module = build([((4, 3), np.float32), ((3, 1), np.int32)], lambda a, i: ops.gather_points(a, i, [0]))
    check_values(module, [x, rows], x[rows[:, 0]])
    points = np.array([[[3, 2], [0, 0]]], np.int64)
    module = build([((4, 3), np.float32), ((1, 2, 2), np.int64)], lambda a, i: ops.gather_points(a, i, [0, 1]))
    check_values(module, [x, points], x[points[..., 0], points[..., 1]])


def test_gather_points_of_an_inner_dim_keeps_the_others_in_order():
    x = rng.standard_normal((2, 5, 3)).astype(np.float32)
    cols = np.array([[4], [1]], np.int32)
    module = build([((2, 5, 3), np.float32), ((2, 1), np.int32)], lambda a, i: ops.gather_points(a, i, [1]))
    (result,) = interpret(module, x, cols)
    np.testing.assert_array_equal(result, np.moveaxis(x[:, cols[:, 0], :], 1, 0))
    filecheck(text(module), """
        // CHECK: stablehlo.gather
        // CHECK-SAME: collapsed_slice_dims = [1]
        // CHECK-SAME: start_index_map = [1]
        // CHECK-SAME: slice_sizes = array<i64: 2, 1, 3>
    """)


def test_scatter_points_replace_and_accumulate():
    x = np.zeros((4, 2), np.float32)
    rows = np.array([[1], [3], [1]], np.int32)
    updates = np.array([[1, 2], [3, 4], [5, 6]], np.float32)
    module = build([((4, 2), np.float32), ((3, 1), np.int32), ((3, 2), np.float32)],
                   lambda a, i, u: ops.scatter_points(a, i, u, [0], ops.add))
    expected = x.copy()
    np.add.at(expected, rows[:, 0], updates)
    check_values(module, [x, rows, updates], expected)
    unique = np.array([[2], [0]], np.int32)
    module = build([((4, 2), np.float32), ((2, 1), np.int32), ((2, 2), np.float32)],
                   lambda a, i, u: ops.scatter_points(a, i, u, [0], unique_indices=True))
    expected = x.copy()
    expected[[2, 0]] = updates[:2]
    check_values(module, [x, unique, updates[:2]], expected)


@pytest.mark.parametrize(("arg_specs", "body", "message"), [
    ([((4,), np.float32), ((2, 1), np.float32)], lambda a, i: ops.gather_points(a, i, [0]), "indices must be integers"),
    ([((4, 3), np.float32), ((2, 1), np.int32)], lambda a, i: ops.gather_points(a, i, [0, 1]), "2 coordinates"),
    ([((4, 3), np.float32), ((2, 2), np.int32)], lambda a, i: ops.gather_points(a, i, [1, 0]), "increasing"),
    ([((4, 3), np.float32), ((2, 1), np.int32)], lambda a, i: ops.scatter_points(a, i, a, [0]), "updates must have shape"),
], ids=["float indices", "coordinate count", "dim order", "update shape"])
def test_gather_scatter_refuse_bad_operands(arg_specs, body, message):
    assert message in str(build_fails(arg_specs, body))


def _less_with_nan_last(lhs, rhs):
    """NumPy's float order: NaN after everything."""
    lt = ops.compare(lhs[0], rhs[0], "LT")
    lhs_nan, rhs_nan = ops.compare(lhs[0], lhs[0], "NE"), ops.compare(rhs[0], rhs[0], "NE")
    return ops.or_(ops.and_(ops.not_(lhs_nan), rhs_nan), lt)


def test_sort_is_stable_and_carries_payloads():
    keys = np.array([[3, 1, 3, np.nan, 1, 0]], np.float32)
    payload = np.arange(6, dtype=np.int32)[None]
    module = build([((1, 6), np.float32), ((1, 6), np.int32)],
                   lambda k, p: ops.sort([k, p], 1, _less_with_nan_last))
    sorted_keys, order = interpret(module, keys, payload)
    np.testing.assert_array_equal(order, np.argsort(keys, axis=1, kind="stable"))
    np.testing.assert_array_equal(sorted_keys, np.sort(keys, axis=1))


def test_sort_refuses_mismatched_shapes():
    err = build_fails([((3,), np.float32), ((4,), np.float32)], lambda a, b: ops.sort([a, b], 0, _less_with_nan_last))
    assert "share one shape" in str(err)


def test_chlo_builders_check_operands_and_name_their_dialect():
    err = build_fails([((3,), np.int32)], lambda a: ops.asin(a))
    assert str(err).startswith("chlo.asin: needs a floating-point operand")
    err = build_fails([((3,), np.float32), ((3,), np.float64)], lambda a, b: ops.next_after(a, b))
    assert str(err).startswith("chlo.next_after: operand types differ")
    x = np.array([-0.5, 0.0, 0.75], np.float32)
    module = build([((3,), np.float32)], lambda a: ops.asin(a))
    assert "chlo.asin" in text(module)
    import tracer  # runs through XLA: the reference interpreter has no chlo
    np.testing.assert_allclose(np.asarray(tracer.jit(np.arcsin)(x)), np.arcsin(x), rtol=1e-6)
