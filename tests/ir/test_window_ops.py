"""`ir.ops.convolution` and `ir.ops.reduce_window`: printed IR, values and the spec's checks.

Values come from the StableHLO reference interpreter (`stablehlo.eval_module`) and are compared
with direct NumPy loops over the spec's definitions written here (dilate, pad, slide a window).
Every case below runs in the interpreter: none of them aborts it.
"""

from __future__ import annotations

import itertools
import re
import sys
from pathlib import Path

import numpy as np
import pytest
from helpers_filecheck import filecheck

import ir
from ir import ops

sys.path.insert(0, str(Path(__file__).parent))
from helpers import interpret
from test_ops import build, build_fails, check_values, text

rng = np.random.default_rng(7)
NCHW = ops.ConvDimensions.channels_first


# --------------------------------------------------------------------------- NumPy references


def _dilate_and_pad(x: np.ndarray, axes, dilation, padding, fill) -> np.ndarray:
    """x with (d - 1) fills between elements along `axes`, then padded (negative crops)."""
    for axis, d, (low, high) in zip(axes, dilation, padding):
        n = x.shape[axis]
        shape = list(x.shape)
        shape[axis] = (n - 1) * d + 1 if n else 0
        dilated = np.full(shape, fill, x.dtype)
        index = [slice(None)] * x.ndim
        index[axis] = slice(None, None, d)
        dilated[tuple(index)] = x
        pads = [(0, 0)] * x.ndim
        pads[axis] = (max(low, 0), max(high, 0))
        x = np.pad(dilated, pads, constant_values=fill)
        index = [slice(None)] * x.ndim
        index[axis] = slice(-min(low, 0), x.shape[axis] + min(high, 0))
        x = x[tuple(index)]
    return x


def reference_conv(x, w, *, strides, padding, lhs_dilation, rhs_dilation, feature_groups=1, batch_groups=1):
    """The spec's convolution for NC(spatial) x, OI(spatial) w, as loops over output positions."""
    spatial = x.ndim - 2
    axes = range(2, 2 + spatial)
    xp = _dilate_and_pad(x, axes, lhs_dilation, padding, 0)
    k = w.shape[2:]
    span = [(kk - 1) * d + 1 for kk, d in zip(k, rhs_dilation)]
    out_sizes = [max((n - s) // st + 1, 0) if n >= s else 0 for n, s, st in zip(xp.shape[2:], span, strides)]
    batch, out_features = x.shape[0] // batch_groups, w.shape[0]
    y = np.zeros((batch, out_features, *out_sizes), np.float64)
    per_group_in = w.shape[1]
    out_per_group = out_features // max(feature_groups, batch_groups)
    for b, o in itertools.product(range(batch), range(out_features)):
        group = o // out_per_group
        xb = group * batch + b if batch_groups > 1 else b
        c0 = group * per_group_in if feature_groups > 1 else 0
        for pos in itertools.product(*(range(n) for n in out_sizes)):
            window = tuple(slice(p * st, p * st + s, d) for p, st, s, d in zip(pos, strides, span, rhs_dilation))
            patch = xp[(xb, slice(c0, c0 + per_group_in), *window)]
            y[(b, o, *pos)] = np.sum(patch.astype(np.float64) * w[o].astype(np.float64))
    return y.astype(x.dtype)


def reference_reduce_window(x, window, combine, init, *, strides, padding, base_dilations, window_dilations):
    xp = _dilate_and_pad(x, range(x.ndim), base_dilations, padding, init)
    span = [(k - 1) * d + 1 for k, d in zip(window, window_dilations)]
    out_sizes = [(n - s) // st + 1 if n >= s else 0 for n, s, st in zip(xp.shape, span, strides)]
    y = np.empty(out_sizes, x.dtype)
    for pos in itertools.product(*(range(n) for n in out_sizes)):
        index = tuple(slice(p * st, p * st + s, d) for p, st, s, d in zip(pos, strides, span, window_dilations))
        y[pos] = combine.reduce(xp[index], axis=None, initial=init)
    return y


# --------------------------------------------------------------------------- convolution


def _conv_module(x, w, **kwargs):
    spatial = x.ndim - 2
    return build([(x.shape, x.dtype), (w.shape, w.dtype)],
                 lambda a, b: ops.convolution(a, b, NCHW(spatial), **kwargs))


def test_convolution_prints_its_attributes():
    x, w = np.zeros((1, 4, 5, 6), np.float32), np.zeros((6, 2, 3, 2), np.float32)
    module = _conv_module(x, w, window_strides=[2, 1], padding=[(1, 0), (0, 2)], rhs_dilation=[1, 2],
                          feature_group_count=2)
    filecheck(text(module), """
        CHECK: stablehlo.convolution(%arg0, %arg1) dim_numbers = [b, f, 0, 1]x[o, i, 0, 1]->[b, f, 0, 1]
        CHECK-SAME: stride = [2, 1], pad = {{\\[\\[}}1, 0], [0, 2]]
        CHECK-SAME: rhs_dilate = [1, 2]
        CHECK-SAME: feature_group_count = 2
        CHECK-SAME: -> tensor<1x6x2x6xf32>
    """)


CONV_CASES = {
    "1d plain": dict(x=(2, 3, 7), w=(4, 3, 3), strides=[1], padding=[(0, 0)], lhs_dilation=[1], rhs_dilation=[1]),
    "2d strided padded": dict(x=(2, 3, 6, 5), w=(4, 3, 3, 2), strides=[2, 1], padding=[(1, 2), (0, 1)],
                              lhs_dilation=[1, 1], rhs_dilation=[1, 1]),
    "2d rhs dilation": dict(x=(1, 2, 7, 6), w=(3, 2, 2, 3), strides=[1, 2], padding=[(1, 1), (2, 0)],
                            lhs_dilation=[1, 1], rhs_dilation=[2, 2]),
    "2d lhs dilation, negative padding": dict(x=(1, 2, 4, 3), w=(2, 2, 3, 2), strides=[1, 1], padding=[(2, -1), (1, 1)],
                                              lhs_dilation=[2, 3], rhs_dilation=[1, 1]),
    "2d feature groups": dict(x=(2, 6, 4, 4), w=(4, 3, 2, 2), strides=[1, 1], padding=[(0, 0), (1, 0)],
                              lhs_dilation=[1, 1], rhs_dilation=[1, 1], feature_groups=2),
    "2d depthwise": dict(x=(1, 3, 5, 4), w=(6, 1, 3, 3), strides=[1, 1], padding=[(1, 1), (1, 1)],
                         lhs_dilation=[1, 1], rhs_dilation=[1, 1], feature_groups=3),
    "2d batch groups": dict(x=(4, 3, 4, 4), w=(6, 3, 2, 2), strides=[1, 1], padding=[(0, 0), (0, 0)],
                            lhs_dilation=[1, 1], rhs_dilation=[1, 1], batch_groups=2),
    "3d": dict(x=(1, 2, 4, 3, 5), w=(2, 2, 2, 2, 3), strides=[1, 2, 1], padding=[(0, 1), (1, 0), (0, 0)],
               lhs_dilation=[1, 1, 1], rhs_dilation=[1, 1, 2]),
}


@pytest.mark.parametrize("name", list(CONV_CASES))
def test_convolution_matches_the_spec_definition(name):
    case = dict(CONV_CASES[name])
    x = rng.standard_normal(case.pop("x")).astype(np.float32)
    w = rng.standard_normal(case.pop("w")).astype(np.float32)
    groups, batch_groups = case.get("feature_groups", 1), case.get("batch_groups", 1)
    module = _conv_module(x, w, window_strides=case["strides"], padding=case["padding"],
                          lhs_dilation=case["lhs_dilation"], rhs_dilation=case["rhs_dilation"],
                          feature_group_count=groups, batch_group_count=batch_groups)
    check_values(module, [x, w], reference_conv(x, w, **case), rtol=1e-5, atol=1e-5)


def test_convolution_with_other_dimension_numbers():
    """NHWC input, HWIO kernel, NHWC output: the same numbers as NCHW/OIHW, transposed."""
    x = rng.standard_normal((2, 5, 4, 3)).astype(np.float32)
    w = rng.standard_normal((2, 3, 3, 4)).astype(np.float32)
    nhwc = ops.ConvDimensions(0, 3, (1, 2), 2, 3, (0, 1), 0, 3, (1, 2))
    module = build([(x.shape, x.dtype), (w.shape, w.dtype)],
                   lambda a, b: ops.convolution(a, b, nhwc, padding=[(1, 0), (0, 1)]))
    expected = reference_conv(x.transpose(0, 3, 1, 2), w.transpose(3, 2, 0, 1), strides=[1, 1], padding=[(1, 0), (0, 1)],
                              lhs_dilation=[1, 1], rhs_dilation=[1, 1])
    check_values(module, [x, w], expected.transpose(0, 2, 3, 1), rtol=1e-5, atol=1e-5)


def test_convolution_in_float64_and_with_precision():
    x, w = rng.standard_normal((1, 2, 5)), rng.standard_normal((3, 2, 2))
    module = _conv_module(x, w, precision="HIGHEST")
    assert "HIGHEST" in text(module)
    check_values(module, [x, w], reference_conv(x, w, strides=[1], padding=[(0, 0)], lhs_dilation=[1], rhs_dilation=[1]))


def test_convolution_output_shape_formula():
    assert ops.window_output_size(7, 3) == 5
    assert ops.window_output_size(7, 3, stride=2, padding=(1, 1)) == 4
    assert ops.window_output_size(4, 3, base_dilation=2) == 5        # dilated input has 7 elements
    assert ops.window_output_size(5, 3, window_dilation=3) == 0      # the window spans 7 > 5
    assert ops.window_output_size(3, 1, padding=(-3, 0)) == 0        # cropped away entirely


@pytest.mark.parametrize("kwargs, message", [
    ({"window_strides": [0, 1]}, r"window_strides must be >= 1"),
    ({"window_strides": [1]}, r"one value per spatial dimension \(2\)"),
    ({"padding": [(1, 1)]}, r"one \(low, high\) pair per spatial dimension"),
    ({"rhs_dilation": [1, 0]}, r"rhs_dilation must be >= 1"),
    ({"feature_group_count": 3}, r"input feature size 4 is not divisible by feature_group_count 3"),
    ({"feature_group_count": 2, "batch_group_count": 2}, r"cannot both be above 1"),
    ({"batch_group_count": 3}, r"input batch size 2 is not divisible by batch_group_count 3"),
    ({"precision": "FAST"}, r"precision must be one of"),
])
def test_convolution_refuses_bad_attributes(kwargs, message):
    err = build_fails([((2, 4, 5, 5), np.float32), ((6, 4, 3, 3), np.float32)],
                      lambda a, b: ops.convolution(a, b, NCHW(2), **kwargs))
    assert "stablehlo.convolution" in str(err)
    assert re.search(message, str(err)), str(err)


def test_convolution_refuses_bad_operands():
    err = build_fails([((2, 4, 5, 5), np.float32), ((6, 3, 3, 3), np.float32)],
                      lambda a, b: ops.convolution(a, b, NCHW(2)))
    assert "input features 4 must equal kernel input features 3" in str(err)
    err = build_fails([((2, 4, 5), np.float32), ((6, 4, 3, 3), np.float32)], lambda a, b: ops.convolution(a, b, NCHW(1)))
    assert "must have the same rank" in str(err)
    err = build_fails([((2, 4, 5), np.float32), ((6, 4, 3), np.float64)], lambda a, b: ops.convolution(a, b, NCHW(1)))
    assert "element types differ" in str(err)
    bad = ops.ConvDimensions(0, 1, (2,), 1, 0, (2,), 0, 0, (2,))
    err = build_fails([((2, 4, 5), np.float32), ((6, 4, 3), np.float32)], lambda a, b: ops.convolution(a, b, bad))
    assert "output dimension numbers [0, 0, 2] must be a permutation" in str(err)
    err = build_fails([((2, 6, 5), np.float32), ((8, 2, 3), np.float32)],
                      lambda a, b: ops.convolution(a, b, NCHW(1), feature_group_count=2))
    assert "input features 6 must equal kernel input features 2 x feature_group_count 2" in str(err)
    err = build_fails([((2, 6, 5), np.float32), ((8, 2, 3), np.float32)],
                      lambda a, b: ops.convolution(a, b, NCHW(1), feature_group_count=3))
    assert "kernel output features 8 are not divisible by feature_group_count 3" in str(err)


# --------------------------------------------------------------------------- reduce_window


def _window_module(x, init, combiner, window, **kwargs):
    return build([(x.shape, x.dtype)],
                 lambda a: ops.reduce_window(a, ops.constant(np.asarray(init, x.dtype)), window, combiner, **kwargs))


def test_reduce_window_prints_its_attributes():
    x = np.zeros((2, 3, 6, 5), np.float32)
    module = _window_module(x, -np.inf, ops.maximum, (1, 1, 2, 2), window_strides=(1, 1, 2, 2),
                            padding=[(0, 0), (0, 0), (0, 0), (1, 0)])
    filecheck(text(module), """
        CHECK: "stablehlo.reduce_window"(%arg0, %cst)
        CHECK-SAME: padding = dense<{{\\[\\[}}0, 0], [0, 0], [0, 0], [1, 0]]> : tensor<4x2xi64>
        CHECK-SAME: window_dimensions = array<i64: 1, 1, 2, 2>
        CHECK-SAME: window_strides = array<i64: 1, 1, 2, 2>
        CHECK: stablehlo.maximum
        CHECK: stablehlo.return
        CHECK: -> tensor<2x3x3x3xf32>
    """)


WINDOW_CASES = {
    "max pool 2x2": (np.maximum, -np.inf, ops.maximum, np.float32,
                     dict(window=(1, 1, 2, 2), strides=(1, 1, 2, 2), padding=[(0, 0)] * 4, base_dilations=(1,) * 4,
                          window_dilations=(1,) * 4)),
    "max pool padded, overlapping": (np.maximum, -np.inf, ops.maximum, np.float32,
                                     dict(window=(1, 1, 3, 2), strides=(1, 1, 2, 1),
                                          padding=[(0, 0), (0, 0), (1, 1), (0, 1)], base_dilations=(1,) * 4,
                                          window_dilations=(1,) * 4)),
    "sum with window dilation": (np.add, 0.0, ops.add, np.float64,
                                 dict(window=(1, 2, 2, 2), strides=(1, 1, 1, 2), padding=[(0, 0), (0, 0), (2, 0), (0, 0)],
                                      base_dilations=(1,) * 4, window_dilations=(1, 1, 2, 2))),
    "sum with base dilation": (np.add, 0.0, ops.add, np.float32,
                               dict(window=(1, 1, 3, 2), strides=(1, 1, 1, 1), padding=[(0, 0)] * 4,
                                    base_dilations=(1, 1, 2, 1), window_dilations=(1,) * 4)),
    "min with negative padding": (np.minimum, np.inf, ops.minimum, np.float32,
                                  dict(window=(2, 1, 2, 2), strides=(1, 1, 1, 1), padding=[(0, 0), (0, 0), (-1, 0), (0, -2)],
                                       base_dilations=(1,) * 4, window_dilations=(1,) * 4)),
}


@pytest.mark.parametrize("name", list(WINDOW_CASES))
def test_reduce_window_matches_the_spec_definition(name):
    combine, init, combiner, dtype, kw = WINDOW_CASES[name]
    x = rng.standard_normal((2, 3, 6, 5)).astype(dtype)
    module = _window_module(x, init, combiner, kw["window"], window_strides=kw["strides"], padding=kw["padding"],
                            base_dilations=kw["base_dilations"], window_dilations=kw["window_dilations"])
    expected = reference_reduce_window(x, kw["window"], combine, np.asarray(init, dtype), strides=kw["strides"],
                                       padding=kw["padding"], base_dilations=kw["base_dilations"],
                                       window_dilations=kw["window_dilations"])
    check_values(module, [x], expected, rtol=1e-6, atol=1e-6)


def test_reduce_window_any_over_booleans():
    x = rng.random((3, 7)) < 0.2
    module = _window_module(x, False, ops.or_, (1, 3), window_strides=(1, 2), padding=[(0, 0), (1, 1)])
    expected = reference_reduce_window(x, (1, 3), np.logical_or, np.False_, strides=(1, 2), padding=[(0, 0), (1, 1)],
                                       base_dilations=(1, 1), window_dilations=(1, 1))
    check_values(module, [x], expected)


def test_reduce_window_integer_sum_counts_windows():
    """Summing ones over a padded window counts the real elements in it (mean pooling's divisor)."""
    x = np.ones((4, 5), np.int32)
    module = _window_module(x, 0, ops.add, (3, 3), padding=[(1, 1), (1, 1)])
    (counts,) = interpret(module, x)
    np.testing.assert_array_equal(counts[0], [4, 6, 6, 6, 4])
    np.testing.assert_array_equal(counts[1], [6, 9, 9, 9, 6])


@pytest.mark.parametrize("kwargs, message", [
    ({"window_dimensions": (2, 0)}, r"window_dimensions must be >= 1"),
    ({"window_dimensions": (2,)}, r"window_dimensions needs one value per dimension \(2\)"),
    ({"window_strides": (1, 0)}, r"window_strides must be >= 1"),
    ({"base_dilations": (0, 1)}, r"base_dilations must be >= 1"),
    ({"window_dilations": (1, 1, 1)}, r"window_dilations needs one value per dimension"),
    ({"padding": [(0, 0)]}, r"one \(low, high\) pair per dimension"),
])
def test_reduce_window_refuses_bad_attributes(kwargs, message):
    def body(a):
        arguments = {"window_dimensions": (2, 2)} | kwargs
        window = arguments.pop("window_dimensions")
        return ops.reduce_window(a, ops.constant(np.float32(0)), window, ops.add, **arguments)

    err = build_fails([((4, 5), np.float32)], body)
    assert "stablehlo.reduce_window" in str(err)
    assert re.search(message, str(err)), str(err)


def test_reduce_window_refuses_a_bad_init_value():
    err = build_fails([((4, 5), np.float32)], lambda a: ops.reduce_window(a, ops.constant(np.float64(0)), (2, 2), ops.add))
    assert "init value must have the operand's element type float32" in str(err)
    err = build_fails([((4, 5), np.float32)],
                      lambda a: ops.reduce_window(a, ops.constant(np.zeros(2, np.float32)), (2, 2), ops.add))
    assert "init value must be a scalar" in str(err)


def test_builders_are_exported_from_ir_ops():
    for name in ("convolution", "ConvDimensions", "reduce_window", "window_output_size"):
        assert hasattr(ir.ops, name)
