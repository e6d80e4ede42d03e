"""The reduce, dot, shape and sign rewrites of `simplify` against the StableHLO reference interpreter:
each small module, run on random inputs before and after the pass, gives the same bits.

Inputs mix ordinary values with -0.0, +0.0, infinities and nan, where the rewrite must keep them
exactly. Rewrites that change a sum's order (merging sums, sums as dots) get small integers, zeros
of both signs, infinities and nan: every order of summing those gives the same value, so equality
may be bitwise even though the order is implementation-defined. Each case also checks that the
rewrite happened, so that it tests something.
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers import interpret

import ir
import passes

SPECIALS = np.array([0.0, -0.0, np.inf, -np.inf, np.nan])

CASES = {
    "nested sums from +0.0 merge": ("exact_sums", """
func.func @main(%a: tensor<2x3x4xf32>) -> tensor<3xf32> {
  %z = stablehlo.constant dense<0.0> : tensor<f32>
  %0 = stablehlo.reduce(%a init: %z) applies stablehlo.add across dimensions = [2] : (tensor<2x3x4xf32>, tensor<f32>) -> tensor<2x3xf32>
  %1 = stablehlo.reduce(%0 init: %z) applies stablehlo.add across dimensions = [0] : (tensor<2x3xf32>, tensor<f32>) -> tensor<3xf32>
  return %1 : tensor<3xf32>
}""", lambda text: text.count("stablehlo.reduce") == 1),
    "sums of products are dots": ("exact_sums", """
func.func @main(%a: tensor<2x3x4xf32>, %b: tensor<2x3x4xf32>, %c: tensor<3x5xf64>) -> (tensor<2x4xf32>, tensor<3xf32>, tensor<3xf64>) {
  %z = stablehlo.constant dense<0.0> : tensor<f32>
  %z64 = stablehlo.constant dense<0.0> : tensor<f64>
  %0 = stablehlo.multiply %a, %b : tensor<2x3x4xf32>
  %1 = stablehlo.reduce(%0 init: %z) applies stablehlo.add across dimensions = [1] : (tensor<2x3x4xf32>, tensor<f32>) -> tensor<2x4xf32>
  %2 = stablehlo.multiply %a, %a : tensor<2x3x4xf32>
  %3 = stablehlo.reduce(%2 init: %z) applies stablehlo.add across dimensions = [2] : (tensor<2x3x4xf32>, tensor<f32>) -> tensor<2x3xf32>
  %4 = stablehlo.reduce(%3 init: %z) applies stablehlo.add across dimensions = [0] : (tensor<2x3xf32>, tensor<f32>) -> tensor<3xf32>
  %5 = stablehlo.multiply %c, %c : tensor<3x5xf64>
  %6 = stablehlo.reduce(%5 init: %z64) applies stablehlo.add across dimensions = [1] : (tensor<3x5xf64>, tensor<f64>) -> tensor<3xf64>
  return %1, %4, %6 : tensor<2x4xf32>, tensor<3xf32>, tensor<3xf64>
}""", lambda text: "stablehlo.reduce" not in text and text.count("stablehlo.dot_general") == 3),
    "a sum over a dot's batch dim is a contraction": ("exact_sums", """
func.func @main(%p: tensor<5x2x3xf32>, %q: tensor<5x2x7x3xf32>) -> tensor<2x7xf32> {
  %z = stablehlo.constant dense<0.0> : tensor<f32>
  %0 = stablehlo.dot_general %p, %q, batching_dims = [0, 1] x [0, 1], contracting_dims = [2] x [3] : (tensor<5x2x3xf32>, tensor<5x2x7x3xf32>) -> tensor<5x2x7xf32>
  %1 = stablehlo.reduce(%0 init: %z) applies stablehlo.add across dimensions = [0] : (tensor<5x2x7xf32>, tensor<f32>) -> tensor<2x7xf32>
  return %1 : tensor<2x7xf32>
}""", lambda text: "stablehlo.reduce" not in text),
    "+0.0 added to a sum from +0.0": ("floats", """
func.func @main(%a: tensor<3x4xf32>, %b: tensor<3x4xf32>) -> (tensor<4xf32>, tensor<1x4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %z = stablehlo.constant dense<0.0> : tensor<f32>
  %z4 = stablehlo.constant dense<0.0> : tensor<4xf32>
  %z14 = stablehlo.constant dense<0.0> : tensor<1x4xf32>
  %0 = stablehlo.reduce(%a init: %z) applies stablehlo.add across dimensions = [0] : (tensor<3x4xf32>, tensor<f32>) -> tensor<4xf32>
  %1 = stablehlo.add %0, %z4 : tensor<4xf32>
  %r = stablehlo.reshape %0 : (tensor<4xf32>) -> tensor<1x4xf32>
  %2 = stablehlo.add %z14, %r : tensor<1x4xf32>
  %3 = stablehlo.reduce(%r init: %z) applies stablehlo.add across dimensions = [0] : (tensor<1x4xf32>, tensor<f32>) -> tensor<4xf32>
  %m = stablehlo.multiply %a, %b : tensor<3x4xf32>
  %4 = stablehlo.reduce(%m init: %z) applies stablehlo.add across dimensions = [0] : (tensor<3x4xf32>, tensor<f32>) -> tensor<4xf32>
  %5 = stablehlo.add %4, %z4 : tensor<4xf32>
  return %1, %2, %3, %5 : tensor<4xf32>, tensor<1x4xf32>, tensor<4xf32>, tensor<4xf32>
}""", lambda text: "stablehlo.add %" not in text),
    "an idempotent reduce's init combined again": ("floats", """
func.func @main(%a: tensor<2x4xf32>, %i: tensor<2x4xi32>) -> (tensor<2xf32>, tensor<2xi32>) {
  %ninf = stablehlo.constant dense<0xFF800000> : tensor<f32>
  %seven = stablehlo.constant dense<7> : tensor<i32>
  %0 = stablehlo.reduce(%a init: %ninf) applies stablehlo.maximum across dimensions = [1] : (tensor<2x4xf32>, tensor<f32>) -> tensor<2xf32>
  %c = stablehlo.constant dense<0xFF800000> : tensor<2xf32>
  %1 = stablehlo.maximum %c, %0 : tensor<2xf32>
  %2 = stablehlo.reduce(%i init: %seven) applies stablehlo.minimum across dimensions = [1] : (tensor<2x4xi32>, tensor<i32>) -> tensor<2xi32>
  %c7 = stablehlo.constant dense<7> : tensor<2xi32>
  %3 = stablehlo.minimum %2, %c7 : tensor<2xi32>
  return %1, %3 : tensor<2xf32>, tensor<2xi32>
}""", lambda text: "stablehlo.maximum %" not in text and "stablehlo.minimum %" not in text),
    "broadcasts that are reshapes, reshapes folded into broadcasts": ("floats", """
func.func @main(%a: tensor<2x3xf32>, %w: tensor<1x3xf32>, %m: tensor<2x4xf32>) -> (tensor<2x1x3xf32>, tensor<2x4x3xf32>, tensor<2x4x3xf32>) {
  %0 = stablehlo.broadcast_in_dim %a, dims = [0, 2] : (tensor<2x3xf32>) -> tensor<2x1x3xf32>
  %r = stablehlo.reshape %w : (tensor<1x3xf32>) -> tensor<3xf32>
  %1 = stablehlo.broadcast_in_dim %r, dims = [2] : (tensor<3xf32>) -> tensor<2x4x3xf32>
  %s = stablehlo.reshape %m : (tensor<2x4xf32>) -> tensor<2x4x1xf32>
  %2 = stablehlo.broadcast_in_dim %s, dims = [0, 1, 2] : (tensor<2x4x1xf32>) -> tensor<2x4x3xf32>
  return %0, %1, %2 : tensor<2x1x3xf32>, tensor<2x4x3xf32>, tensor<2x4x3xf32>
}""", lambda text: text.count("stablehlo.reshape") == 1),
    "reshapes moved below elementwise ops": ("floats", """
func.func @main(%a: tensor<2x6xf32>, %b: tensor<2x6xf32>) -> (tensor<2x6x5xf32>, tensor<2x6xf32>) {
  %ra = stablehlo.reshape %a : (tensor<2x6xf32>) -> tensor<2x3x2xf32>
  %rb = stablehlo.reshape %b : (tensor<2x6xf32>) -> tensor<2x3x2xf32>
  %c = stablehlo.constant dense<3.0> : tensor<2x3x2xf32>
  %0 = stablehlo.divide %ra, %c : tensor<2x3x2xf32>
  %1 = stablehlo.compare GT, %ra, %rb, FLOAT : (tensor<2x3x2xf32>, tensor<2x3x2xf32>) -> tensor<2x3x2xi1>
  %2 = stablehlo.select %1, %0, %rb : tensor<2x3x2xi1>, tensor<2x3x2xf32>
  %3 = stablehlo.exponential %2 : tensor<2x3x2xf32>
  %4 = stablehlo.reshape %3 : (tensor<2x3x2xf32>) -> tensor<2x6xf32>
  %5 = stablehlo.broadcast_in_dim %4, dims = [0, 1] : (tensor<2x6xf32>) -> tensor<2x6x5xf32>
  %6 = stablehlo.reshape %2 : (tensor<2x3x2xf32>) -> tensor<2x6xf32>
  return %5, %6 : tensor<2x6x5xf32>, tensor<2x6xf32>
}""", lambda text: "stablehlo.reshape" not in text),
    "negations folded into constant factors": ("floats", """
func.func @main(%x: tensor<8xf32>, %s: tensor<f32>) -> (tensor<8xf32>, tensor<8xf32>, tensor<f32>, tensor<8xf32>, tensor<8xf32>) {
  %two = stablehlo.constant dense<2.5> : tensor<8xf32>
  %m3 = stablehlo.constant dense<-3.0> : tensor<8xf32>
  %c32 = stablehlo.constant dense<32.0> : tensor<f32>
  %0 = stablehlo.multiply %x, %two : tensor<8xf32>
  %1 = stablehlo.negate %0 : tensor<8xf32>
  %n = stablehlo.negate %x : tensor<8xf32>
  %2 = stablehlo.multiply %two, %n : tensor<8xf32>
  %3 = stablehlo.divide %s, %c32 : tensor<f32>
  %4 = stablehlo.negate %3 : tensor<f32>
  %n2 = stablehlo.negate %x : tensor<8xf32>
  %5 = stablehlo.divide %n2, %m3 : tensor<8xf32>
  %n3 = stablehlo.negate %x : tensor<8xf32>
  %6 = stablehlo.divide %m3, %n3 : tensor<8xf32>
  return %1, %2, %4, %5, %6 : tensor<8xf32>, tensor<8xf32>, tensor<f32>, tensor<8xf32>, tensor<8xf32>
}""", lambda text: "stablehlo.negate" not in text),
    "small sum windows are sums of strided slices": ("exact_sums", """
func.func @main(%x: tensor<2x3x4x4xf32>, %v: tensor<7xf32>) -> (tensor<2x3x2x2xf32>, tensor<3xf32>) {
  %z = stablehlo.constant dense<0.0> : tensor<f32>
  %m0 = stablehlo.constant dense<-0.0> : tensor<f32>
  %0 = "stablehlo.reduce_window"(%x, %z) <{window_dimensions = array<i64: 1, 1, 2, 2>, window_strides = array<i64: 1, 1, 2, 2>}> ({
  ^bb0(%a: tensor<f32>, %b: tensor<f32>):
    %s = stablehlo.add %a, %b : tensor<f32>
    stablehlo.return %s : tensor<f32>
  }) : (tensor<2x3x4x4xf32>, tensor<f32>) -> tensor<2x3x2x2xf32>
  %1 = "stablehlo.reduce_window"(%v, %m0) <{window_dimensions = array<i64: 3>, window_strides = array<i64: 2>}> ({
  ^bb0(%a: tensor<f32>, %b: tensor<f32>):
    %s = stablehlo.add %a, %b : tensor<f32>
    stablehlo.return %s : tensor<f32>
  }) : (tensor<7xf32>, tensor<f32>) -> tensor<3xf32>
  return %0, %1 : tensor<2x3x2x2xf32>, tensor<3xf32>
}""", lambda text: "reduce_window" not in text),
    "interleaved pads that tile their result are a broadcast": ("floats", """
func.func @main(%g: tensor<2x3x2x2xf32>, %h: tensor<3xi32>) -> (tensor<2x3x4x4xf32>, tensor<6xi32>) {
  %z = stablehlo.constant dense<0.0> : tensor<f32>
  %zi = stablehlo.constant dense<0> : tensor<i32>
  %0 = stablehlo.pad %g, %z, low = [0, 0, 1, 1], high = [0, 0, 0, 0], interior = [0, 0, 1, 1] : (tensor<2x3x2x2xf32>, tensor<f32>) -> tensor<2x3x4x4xf32>
  %1 = stablehlo.pad %g, %z, low = [0, 0, 1, 0], high = [0, 0, 0, 1], interior = [0, 0, 1, 1] : (tensor<2x3x2x2xf32>, tensor<f32>) -> tensor<2x3x4x4xf32>
  %2 = stablehlo.add %0, %1 : tensor<2x3x4x4xf32>
  %3 = stablehlo.pad %g, %z, low = [0, 0, 0, 1], high = [0, 0, 1, 0], interior = [0, 0, 1, 1] : (tensor<2x3x2x2xf32>, tensor<f32>) -> tensor<2x3x4x4xf32>
  %4 = stablehlo.add %2, %3 : tensor<2x3x4x4xf32>
  %5 = stablehlo.pad %g, %z, low = [0, 0, 0, 0], high = [0, 0, 1, 1], interior = [0, 0, 1, 1] : (tensor<2x3x2x2xf32>, tensor<f32>) -> tensor<2x3x4x4xf32>
  %6 = stablehlo.add %4, %5 : tensor<2x3x4x4xf32>
  %7 = stablehlo.pad %h, %zi, low = [1], high = [0], interior = [1] : (tensor<3xi32>, tensor<i32>) -> tensor<6xi32>
  %8 = stablehlo.pad %h, %zi, low = [0], high = [1], interior = [1] : (tensor<3xi32>, tensor<i32>) -> tensor<6xi32>
  %9 = stablehlo.add %7, %8 : tensor<6xi32>
  return %6, %9 : tensor<2x3x4x4xf32>, tensor<6xi32>
}""", lambda text: "stablehlo.pad" not in text),
    "selects between ops sharing an operand": ("floats", """
func.func @main(%x: tensor<8xf32>, %t: tensor<8xf32>, %i: tensor<8xi32>, %j: tensor<8xi32>) -> (tensor<8xf32>, tensor<8xf32>, tensor<8xi32>) {
  %zero = stablehlo.constant dense<0.0> : tensor<8xf32>
  %one = stablehlo.constant dense<1.0> : tensor<8xf32>
  %p = stablehlo.compare GE, %x, %zero, FLOAT : (tensor<8xf32>, tensor<8xf32>) -> tensor<8xi1>
  %den = stablehlo.add %t, %one : tensor<8xf32>
  %0 = stablehlo.divide %one, %den : tensor<8xf32>
  %1 = stablehlo.divide %t, %den : tensor<8xf32>
  %2 = stablehlo.select %p, %0, %1 : tensor<8xi1>, tensor<8xf32>
  %3 = stablehlo.subtract %x, %t : tensor<8xf32>
  %4 = stablehlo.subtract %x, %one : tensor<8xf32>
  %5 = stablehlo.select %p, %3, %4 : tensor<8xi1>, tensor<8xf32>
  %6 = stablehlo.xor %i, %j : tensor<8xi32>
  %7 = stablehlo.xor %j, %j : tensor<8xi32>
  %8 = stablehlo.select %p, %6, %7 : tensor<8xi1>, tensor<8xi32>
  return %2, %5, %8 : tensor<8xf32>, tensor<8xf32>, tensor<8xi32>
}""", lambda text: text.count("stablehlo.divide") == 1 and text.count("stablehlo.subtract") == 1),
}


def _draw(kind: str, shape, dtype, rng) -> np.ndarray:
    size = int(np.prod(shape))
    if np.issubdtype(dtype, np.integer):
        values = rng.integers(-50, 50, size)
    elif kind == "exact_sums":
        values = np.where(rng.random(size) < 0.25, rng.choice(SPECIALS, size), rng.integers(-3, 4, size).astype(float))
    else:
        values = np.where(rng.random(size) < 0.25, rng.choice(SPECIALS, size), rng.standard_normal(size) * 10.0)
    return values.astype(dtype).reshape(shape)


def _same_bits(actual: np.ndarray, expected: np.ndarray) -> bool:
    """Bit for bit, except that any nan matches any nan (a nan's sign and payload carry no value)."""
    if actual.shape != expected.shape or actual.dtype != expected.dtype:
        return False
    if actual.dtype.kind != "f":
        return np.array_equal(actual, expected)
    nan = np.isnan(expected)
    return bool(np.array_equal(np.isnan(actual), nan) and actual[~nan].tobytes() == expected[~nan].tobytes())


@pytest.mark.parametrize("name", sorted(CASES))
def test_rewrite_keeps_every_bit(name):
    kind, text, rewritten = CASES[name]
    optimized = passes.run(text, "simplify")
    assert rewritten(str(optimized)), f"{name}: the rewrite did not happen:\n{optimized}"
    signature = ir.main_signatures(text)[0]
    rng = np.random.default_rng(sum(map(ord, name)))
    for _ in range(5):
        arrays = [_draw(kind, shape, dtype, rng) for shape, dtype in signature]
        expected = interpret(text, *arrays)
        actual = interpret(optimized, *arrays)
        for index, (a, e) in enumerate(zip(actual, expected, strict=True)):
            assert _same_bits(a, e), f"{name}: result {index} differs\nexpected {e}\nactual   {a}\ninputs {arrays}"
