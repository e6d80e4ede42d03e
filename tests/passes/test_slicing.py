"""Gathers and scatters at constant positions, rewritten by `simplify` into slices and dynamic
updates, against the StableHLO reference interpreter: on drawn shapes, dimension numbers and
positions (in and out of bounds), the simplified module computes what the original does."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import interpret
from hypothesis import event, given, settings
from hypothesis import strategies as st
from jaxlib.mlir import ir as mlir

import ir
import passes


def _type(shape, element: str = "f32") -> str:
    return f"tensor<{''.join(f'{n}x' for n in shape)}{element}>"


def _op_names(module: mlir.Module) -> set[str]:
    return {op.name for op in ir.query.walk(module)}


def _simplify_and_compare(text: str, *arrays: np.ndarray) -> set[str]:
    """Run `simplify` on text; its results must equal the original's bit for bit. Returns the ops left."""
    before = interpret(ir.parse_module(text), *arrays)
    simplified = passes.run(text, "simplify")
    after = interpret(simplified, *arrays)
    for a, b in zip(before, after, strict=True):
        assert a.shape == b.shape and a.tobytes() == b.tobytes(), (text, a, b)
    return _op_names(simplified)


def _indices_literal(vector: list[int], batch_rank: int, index_vector_dim: int,
                     implicit: bool) -> tuple[str, tuple[int, ...]]:
    """One index vector laid out along index_vector_dim among batch_rank size-1 dims.

    implicit (a one-number vector, index_vector_dim == batch_rank): no dim holds the vector.
    """
    if implicit:
        shape = (1,) * batch_rank
    else:
        shape = tuple(len(vector) if d == index_vector_dim else 1 for d in range(batch_rank + 1))
    array = np.array(vector, np.int32).reshape(shape)
    return f"dense<{array.tolist()}> : {_type(shape, 'i32')}", shape


@st.composite
def windows(draw):
    """An operand shape, indexed dims with positions (some out of bounds), a window (some empty), the
    window's size-1 dims to drop, and how many size-1 batch dims the one index vector has, and where."""
    shape = tuple(draw(st.lists(st.integers(1, 4), min_size=1, max_size=3)))
    rank = len(shape)
    indexed = list(draw(st.permutations(range(rank))))[:draw(st.integers(1, rank))]
    empty = draw(st.integers(0, 7)) == 0
    sizes = [draw(st.integers(0 if empty else 1, n)) for n in shape]
    positions = [draw(st.integers(0, shape[d] - sizes[d]) | st.integers(-3, 3 + shape[d] - sizes[d])) for d in indexed]
    dropped = sorted(d for d in range(rank) if sizes[d] == 1 and draw(st.booleans()))
    batch_rank = draw(st.integers(0, 2))
    index_vector_dim = draw(st.integers(0, batch_rank))
    implicit = len(indexed) == 1 and index_vector_dim == batch_rank and draw(st.booleans())
    return shape, indexed, sizes, positions, dropped, batch_rank, index_vector_dim, implicit


def _window_dims(draw, batch_rank: int, window_rank: int) -> list[int]:
    """Where the window's dims sit among the result's (or updates') dims: a sorted choice."""
    return sorted(draw(st.permutations(range(batch_rank + window_rank)))[:window_rank])


@given(case=windows(), data=st.data())
@settings(max_examples=80, deadline=None)
def test_gather_at_constant_position_is_a_slice(case, data):
    shape, indexed, sizes, positions, collapsed, batch_rank, index_vector_dim, implicit = case
    indices, index_shape = _indices_literal(positions, batch_rank, index_vector_dim, implicit)
    kept = [sizes[d] for d in range(len(shape)) if d not in collapsed]
    offset_dims = _window_dims(data.draw, batch_rank, len(kept))
    result_shape, window = [], iter(kept)
    for d in range(batch_rank + len(kept)):
        result_shape.append(next(window) if d in offset_dims else 1)
    numbers = (f"#stablehlo.gather<offset_dims = {offset_dims}, collapsed_slice_dims = {collapsed}, "
               f"start_index_map = {indexed}, index_vector_dim = {index_vector_dim}>")
    text = (f"func.func @main(%x: {_type(shape)}) -> {_type(result_shape)} {{\n"
            f"  %i = stablehlo.constant {indices}\n"
            f"  %g = \"stablehlo.gather\"(%x, %i) {{dimension_numbers = {numbers}, slice_sizes = array<i64: "
            f"{', '.join(map(str, sizes))}>, indices_are_sorted = false}} : ({_type(shape)}, {_type(index_shape, 'i32')}) "
            f"-> {_type(result_shape)}\n"
            f"  return %g : {_type(result_shape)}\n}}")
    x = np.arange(np.prod(shape), dtype=np.float32).reshape(shape) - 5.5
    left = _simplify_and_compare(text, x)
    assert "stablehlo.gather" not in left  # (clamped positions included: gather clamps like slice bounds here)


@given(case=windows(), data=st.data())
@settings(max_examples=80, deadline=None)
def test_scatter_of_one_window_is_a_dynamic_update_slice_when_in_bounds(case, data):
    shape, indexed, sizes, positions, inserted, batch_rank, index_vector_dim, implicit = case
    indices, index_shape = _indices_literal(positions, batch_rank, index_vector_dim, implicit)
    window = [sizes[d] for d in range(len(shape)) if d not in inserted]
    update_window_dims = _window_dims(data.draw, batch_rank, len(window))
    update_shape, sizes_left = [], iter(window)
    for d in range(batch_rank + len(window)):
        update_shape.append(next(sizes_left) if d in update_window_dims else 1)
    numbers = (f"#stablehlo.scatter<update_window_dims = {update_window_dims}, inserted_window_dims = {inserted}, "
               f"scatter_dims_to_operand_dims = {indexed}, index_vector_dim = {index_vector_dim}>")
    text = (f"func.func @main(%x: {_type(shape)}, %u: {_type(update_shape)}) -> {_type(shape)} {{\n"
            f"  %i = stablehlo.constant {indices}\n"
            f"  %s = \"stablehlo.scatter\"(%x, %i, %u) ({{\n"
            f"    ^bb0(%current: tensor<f32>, %update: tensor<f32>):\n"
            f"      stablehlo.return %update : tensor<f32>\n"
            f"  }}) {{scatter_dimension_numbers = {numbers}, indices_are_sorted = false, unique_indices = false}} : "
            f"({_type(shape)}, {_type(index_shape, 'i32')}, {_type(update_shape)}) -> {_type(shape)}\n"
            f"  return %s : {_type(shape)}\n}}")
    x = np.arange(np.prod(shape), dtype=np.float32).reshape(shape)
    u = -1.0 - np.arange(np.prod(update_shape), dtype=np.float32).reshape(update_shape)
    left = _simplify_and_compare(text, x, u)
    starts = dict(zip(indexed, positions))
    in_bounds = all(0 <= starts.get(d, 0) <= n - size for d, (n, size) in enumerate(zip(shape, sizes)))
    event("empty" if 0 in update_shape else "in bounds" if in_bounds else "out of bounds")
    if 0 in update_shape:
        assert "stablehlo.scatter" not in left and "stablehlo.dynamic_update_slice" not in left
    else:
        assert ("stablehlo.scatter" not in left) == in_bounds, text


def test_dynamic_update_of_its_own_slice_changes_nothing():
    text = """
func.func @main(%x: tensor<4x5xf32>, %i: tensor<i32>, %j: tensor<i32>) -> tensor<4x5xf32> {
  %read = stablehlo.dynamic_slice %x, %i, %j, sizes = [2, 3] : (tensor<4x5xf32>, tensor<i32>, tensor<i32>) -> tensor<2x3xf32>
  %0 = stablehlo.dynamic_update_slice %x, %read, %i, %j : (tensor<4x5xf32>, tensor<2x3xf32>, tensor<i32>, tensor<i32>) -> tensor<4x5xf32>
  return %0 : tensor<4x5xf32>
}"""
    x = np.arange(20, dtype=np.float32).reshape(4, 5)
    for i, j in [(0, 0), (3, 4), (-2, 9), (1, 2)]:  # (starts clamp alike in both)
        left = _simplify_and_compare(text, x, np.array(i, np.int32), np.array(j, np.int32))
        assert "stablehlo.dynamic_update_slice" not in left


BATCHED = {  # one index vector over size-1 batching dims: batch index 0, so a slice and a dynamic update
    "gather": ("""
func.func @main(%x: tensor<1x6xf32>, %u: tensor<1x2xf32>) -> tensor<1x3xf32> {
  %i = stablehlo.constant dense<[[4]]> : tensor<1x1xi32>
  %g = "stablehlo.gather"(%x, %i) {dimension_numbers = #stablehlo.gather<offset_dims = [1], operand_batching_dims = [0],
      start_indices_batching_dims = [0], start_index_map = [1], index_vector_dim = 1>, slice_sizes = array<i64: 1, 3>,
      indices_are_sorted = false} : (tensor<1x6xf32>, tensor<1x1xi32>) -> tensor<1x3xf32>
  return %g : tensor<1x3xf32>
}"""),
    "scatter": ("""
func.func @main(%x: tensor<2x1x6xf32>, %u: tensor<1x2x2xf32>) -> tensor<2x1x6xf32> {
  %i = stablehlo.constant dense<[[3]]> : tensor<1x1xi32>
  %s = "stablehlo.scatter"(%x, %i, %u) ({
    ^bb0(%current: tensor<f32>, %update: tensor<f32>):
      stablehlo.return %update : tensor<f32>
  }) {scatter_dimension_numbers = #stablehlo.scatter<update_window_dims = [1, 2], input_batching_dims = [1],
      scatter_indices_batching_dims = [0], scatter_dims_to_operand_dims = [2], index_vector_dim = 1>,
      indices_are_sorted = false, unique_indices = false} : (tensor<2x1x6xf32>, tensor<1x1xi32>, tensor<1x2x2xf32>) -> tensor<2x1x6xf32>
  return %s : tensor<2x1x6xf32>
}"""),
}


@pytest.mark.parametrize("name", sorted(BATCHED))
def test_one_window_with_size_one_batching_dims(name):
    text = BATCHED[name]
    x_shape = (1, 6) if name == "gather" else (2, 1, 6)
    u_shape = (1, 2) if name == "gather" else (1, 2, 2)
    x = np.arange(np.prod(x_shape), dtype=np.float32).reshape(x_shape)
    u = -1.0 - np.arange(np.prod(u_shape), dtype=np.float32).reshape(u_shape)
    left = _simplify_and_compare(text, x, u)
    assert f"stablehlo.{name}" not in left
