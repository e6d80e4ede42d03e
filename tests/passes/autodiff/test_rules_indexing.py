"""`stablehlo.gather` and `stablehlo.scatter` derivative rules, any dimension numbers: reverse, forward and
second order against `jax.vjp`/`jax.jvp` of `lax.gather`/`lax.scatter*` and against float64 finite
differences. Rows include repeated indices (fan-in), windows, batching dims, an index vector dim in the
middle, and out-of-bounds starts (gather clamps them, scatter skips the window)."""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest
from jax import lax
from jaxlib.mlir import ir as mlir
from rule_oracles import Case, check, lower

import ir
from ir import ops
from passes import autodiff

rng = np.random.default_rng(0)
GDN, SDN, Mode = lax.GatherDimensionNumbers, lax.ScatterDimensionNumbers, lax.GatherScatterMode


def gather(operand_shape, indices, numbers, slice_sizes, *, oob=False):
    """A lax.gather row. With `oob`, the module is the raw gather (XLA clamps the starts) and the oracle
    clamps explicitly (JAX's CLIP mode), since JAX's transpose of the raw form drops what it clamped."""
    operand, indices = rng.standard_normal(operand_shape), np.asarray(indices, np.int32)

    def f(x, i, mode=Mode.CLIP):
        return lax.gather(x, i, numbers, slice_sizes, mode=mode)
    text = lower(lambda x, i: f(x, i, Mode.PROMISE_IN_BOUNDS), operand, indices) if oob else None
    return Case(f, [operand, indices], text=text)


def scatter(kind, operand_shape, indices, update_shape, numbers):
    operand, updates = rng.standard_normal(operand_shape), rng.standard_normal(update_shape)
    indices = np.asarray(indices, np.int32)
    scatter_fn = {"add": lax.scatter_add, "replace": lax.scatter}[kind]

    def f(x, i, u):  # (replace: unique indices, as the tracer guarantees and JAX's transpose needs)
        return scatter_fn(x, i, u, numbers, unique_indices=kind == "replace", mode=Mode.FILL_OR_DROP)
    return Case(f, [operand, indices, updates])


def vector_dim_in_the_middle(kind, operand_shape, indices, update_shape=None):
    """Index vectors along dim 1 of the indices (JAX always has them last): the module is built with
    ir.ops, the oracle moves that dim last."""
    operand, indices = rng.standard_normal(operand_shape), np.asarray(indices, np.int32)
    args = [operand, indices] + ([rng.standard_normal(update_shape)] if kind != "gather" else [])
    builder = ir.FunctionBuilder("main", [(a.shape, a.dtype) for a in args])
    with builder.context, mlir.Location.unknown(), mlir.InsertionPoint(builder.block):
        values = builder.arguments
        if kind == "gather":  # windows of (3, 1, 2) at coordinates of dims 1 and 2; dim 1 collapsed
            out = ops.gather(values[0], values[1], ops.GatherDimensions(offset_dims=(0, 3), collapsed_slice_dims=(1,),
                                                                        start_index_map=(1, 2), index_vector_dim=1),
                             (3, 1, 2))
        else:
            out = ops.scatter(values[0], values[1], values[2],
                              ops.ScatterDimensions(update_window_dims=(0, 3), inserted_window_dims=(1,),
                                                    scattered_dims_to_operand_dims=(1, 2), index_vector_dim=1), ops.add)
    text = ir.print_module(builder.finish([out]))

    def f(x, i, *u):
        i = jnp.moveaxis(i, 1, -1)
        if kind == "gather":
            return lax.gather(x, i, GDN(offset_dims=(0, 3), collapsed_slice_dims=(1,), start_index_map=(1, 2)),
                              (3, 1, 2), mode=Mode.CLIP)
        return lax.scatter_add(x, i, u[0], SDN(update_window_dims=(0, 3), inserted_window_dims=(1,),
                                               scatter_dims_to_operand_dims=(1, 2)), mode=Mode.FILL_OR_DROP)
    return Case(f, args, text=text)


POINTS = GDN(offset_dims=(1,), collapsed_slice_dims=(0,), start_index_map=(0,))
CASES = {
    "gather rows, repeated": lambda: gather((5, 3), [[0], [2], [0], [4], [0]], POINTS, (1, 3)),
    "gather windows": lambda: gather(
        (6, 5, 4), rng.integers(0, 3, (2, 3, 2)),
        GDN(offset_dims=(0, 3), collapsed_slice_dims=(1,), start_index_map=(1, 2)), (3, 1, 2)),
    "gather, index vectors in the middle": lambda: vector_dim_in_the_middle("gather", (6, 5, 4),
                                                                            rng.integers(0, 4, (2, 2, 3))),
    "gather no indices": lambda: gather((4, 3), np.zeros((0, 1)), POINTS, (1, 3)),
    "scatter-add no updates": lambda: scatter("add", (4, 3), np.zeros((0, 1)), (0, 3), SDN((1,), (0,), (0,))),
    "gather scalar indices": lambda: gather((7,), [[3], [1], [3]], GDN((), (0,), (0,)), (1,)),
    "gather batching dims": lambda: gather(
        (3, 5, 4), rng.integers(0, 4, (3, 2, 1)),
        GDN(offset_dims=(2,), collapsed_slice_dims=(1,), start_index_map=(1,), operand_batching_dims=(0,),
            start_indices_batching_dims=(0,)), (1, 1, 4)),
    "gather out of bounds": lambda: gather((5, 4), [[-2, 1], [4, 3], [1, 9]],
                                           GDN(offset_dims=(1, 2), collapsed_slice_dims=(), start_index_map=(0, 1)),
                                           (2, 2), oob=True),
    "scatter-add, repeated": lambda: scatter(
        "add", (5, 3), [[1], [3], [1], [1]], (4, 3), SDN((1,), (0,), (0,))),
    "scatter-add windows": lambda: scatter(
        "add", (6, 5, 4), rng.integers(0, 3, (3, 2)), (2, 3, 3),
        SDN(update_window_dims=(0, 2), inserted_window_dims=(1,), scatter_dims_to_operand_dims=(1, 2))),
    "scatter-add, index vectors in the middle": lambda: vector_dim_in_the_middle(
        "scatter", (3, 5, 4), rng.integers(0, 4, (2, 2, 3)), (3, 2, 3, 2)),
    "scatter-add out of bounds": lambda: scatter(
        "add", (5, 4), [[-1, 0], [4, 3], [1, 1], [2, 3]], (4, 2, 2),
        SDN(update_window_dims=(1, 2), inserted_window_dims=(), scatter_dims_to_operand_dims=(0, 1))),
    "scatter-add batching dims": lambda: scatter(
        "add", (3, 5, 2), rng.integers(0, 5, (3, 4, 1)), (3, 4, 2),
        SDN(update_window_dims=(2,), inserted_window_dims=(1,), scatter_dims_to_operand_dims=(1,),
            operand_batching_dims=(0,), scatter_indices_batching_dims=(0,))),
    "scatter replace": lambda: scatter("replace", (6, 3), [[4], [0], [2]], (3, 3), SDN((1,), (0,), (0,))),
    "scatter replace windows, out of bounds": lambda: scatter(
        "replace", (6, 5), [[0, 1], [3, 3], [5, 0]], (3, 2, 2),
        SDN(update_window_dims=(1, 2), inserted_window_dims=(), scatter_dims_to_operand_dims=(0, 1))),
}
REVERSE_OF_FORWARD = {"gather rows, repeated", "scatter-add windows", "scatter replace"}


@pytest.mark.parametrize("name", list(CASES))
def test_indexing(name):
    check(CASES[name](), reverse_of_forward=name in REVERSE_OF_FORWARD)


@pytest.mark.parametrize("mode", [autodiff.reverse, autodiff.forward])
def test_a_multiplying_scatter_is_refused(mode):
    x, i, u = np.ones((4, 3)), np.zeros((2, 1), np.int32), np.ones((2, 3))
    text = lower(lambda x, i, u: lax.scatter_mul(x, i, u, SDN((1,), (0,), (0,))), x, i, u)
    with pytest.raises(autodiff.AutodiffError, match="only for adding or replacing"):
        mode(text, wrt=(0, 2))
