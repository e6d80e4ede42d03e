"""`stablehlo.reduce_window`: a reduction over every (strided, dilated, padded) window of an array.

Pooling is this op: max pooling with `ops.maximum` from -inf, sum pooling with `ops.add` from 0,
"any" over booleans with `ops.or_` from False. Padding positions take the init value.
"""

from __future__ import annotations

from typing import Callable

from jaxlib.mlir import ir
from jaxlib.mlir.dialects import stablehlo

from ir import dtypes
from ir.ops._common import check, dtype_of, shape_of
from ir.ops.convolution import padding_attribute, window_output_size

__all__ = ["reduce_window", "reduce_window_output_shape"]


def _per_dimension(name: str, values, rank: int, default: int) -> list[int]:
    values = [default] * rank if values is None else [int(v) for v in values]
    check(len(values) == rank, "reduce_window", f"{name} needs one value per dimension ({rank}), got {values}")
    check(all(v >= 1 for v in values), "reduce_window", f"{name} must be >= 1, got {values}")
    return values


def reduce_window_output_shape(shape, window_dimensions, *, window_strides, base_dilations, window_dilations,
                               padding) -> tuple[int, ...]:
    """The spec's result shape (arguments already checked)."""
    return tuple(
        window_output_size(n, w, stride=s, padding=p, base_dilation=b, window_dilation=d)
        for n, w, s, b, d, p in zip(shape, window_dimensions, window_strides, base_dilations, window_dilations, padding)
    )


def reduce_window(operand: ir.Value, init_value: ir.Value, window_dimensions,
                  combiner: Callable[[ir.Value, ir.Value], ir.Value], *, window_strides=None, base_dilations=None,
                  window_dilations=None, padding=None) -> ir.Value:
    """Reduce each window of `operand` with the binary `combiner` (e.g. `ops.maximum`) from `init_value`.

    Arguments:
        operand: the tensor whose windows are reduced.
        init_value: a scalar of operand's element type: the combiner's identity (also the value
            of padding positions).
        window_dimensions: the window's size along every dimension (>= 1; 1 leaves a dim alone).
        combiner: builds the combined scalar from two scalars; XLA may combine in any order, so
            it must be associative and commutative.
        window_strides: step between windows per dimension (default 1).
        base_dilations: holes between operand elements + 1, per dimension (default 1).
        window_dilations: holes between window elements + 1, per dimension (default 1).
        padding: one (low, high) pair per dimension; negative values crop (default 0).
    Returns:
        one element per window position, of operand's element type.
    """
    shape = shape_of(operand)
    rank = len(shape)
    dtype = dtype_of(operand)
    check(shape_of(init_value) == (), "reduce_window", "init value must be a scalar tensor")
    check(dtype_of(init_value) == dtype, "reduce_window",
          f"init value must have the operand's element type {dtype}, got {dtype_of(init_value)}")
    window = _per_dimension("window_dimensions", window_dimensions, rank, 1)
    strides = _per_dimension("window_strides", window_strides, rank, 1)
    base = _per_dimension("base_dilations", base_dilations, rank, 1)
    dilations = _per_dimension("window_dilations", window_dilations, rank, 1)
    pairs = [(0, 0)] * rank if padding is None else [tuple(int(v) for v in pair) for pair in padding]
    check(len(pairs) == rank and all(len(pair) == 2 for pair in pairs), "reduce_window",
          f"padding needs one (low, high) pair per dimension ({rank}), got {padding}")
    out_shape = reduce_window_output_shape(shape, window, window_strides=strides, base_dilations=base,
                                           window_dilations=dilations, padding=pairs)
    op = stablehlo.ReduceWindowOp(
        [dtypes.tensor_type(out_shape, dtype)], [operand], [init_value], window, window_strides=strides,
        base_dilations=base, window_dilations=dilations, padding=padding_attribute(pairs) if rank else None,
    )
    scalar = dtypes.tensor_type((), dtype)
    block = op.body.blocks.append(scalar, scalar)
    with ir.InsertionPoint(block):
        stablehlo.ReturnOp([combiner(block.arguments[0], block.arguments[1])])
    return op.result


# -- several operands per window, and the gradient of max pooling ---------------------------------------------
__all__ += ["reduce_window_many", "select_and_scatter"]


def reduce_window_many(operands, init_values, window_dimensions, body: Callable[[list, list], list], *,
                       window_strides=None, base_dilations=None, window_dilations=None, padding=None) -> list[ir.Value]:
    """Variadic `stablehlo.reduce_window`: N same-shape operands reduced together over each window.

    `body(lhs, rhs)` gets two lists of N scalars (one element of each operand per side) and returns the N
    combined scalars, like `reduce_many`'s; it must be associative and commutative. Padding and dilation
    holes take each operand's init value.
    """
    operands, init_values = list(operands), list(init_values)
    check(operands and len(operands) == len(init_values), "reduce_window",
          "one init value per operand, at least one operand")
    shape = shape_of(operands[0])
    check(all(shape_of(x) == shape for x in operands), "reduce_window", "operands must share one shape")
    element_types = [dtype_of(x) for x in operands]
    for init, dtype in zip(init_values, element_types):
        check(shape_of(init) == () and dtype_of(init) == dtype, "reduce_window",
              "each init value must be a scalar of its operand's element type")
    rank = len(shape)
    window = _per_dimension("window_dimensions", window_dimensions, rank, 1)
    strides = _per_dimension("window_strides", window_strides, rank, 1)
    base = _per_dimension("base_dilations", base_dilations, rank, 1)
    dilations = _per_dimension("window_dilations", window_dilations, rank, 1)
    pairs = [(0, 0)] * rank if padding is None else [tuple(int(v) for v in pair) for pair in padding]
    check(len(pairs) == rank and all(len(pair) == 2 for pair in pairs), "reduce_window",
          f"padding needs one (low, high) pair per dimension ({rank}), got {padding}")
    out_shape = reduce_window_output_shape(shape, window, window_strides=strides, base_dilations=base,
                                           window_dilations=dilations, padding=pairs)
    op = stablehlo.ReduceWindowOp(
        [dtypes.tensor_type(out_shape, t) for t in element_types], operands, init_values, window,
        window_strides=strides, base_dilations=base, window_dilations=dilations,
        padding=padding_attribute(pairs) if rank else None,
    )
    scalars = [dtypes.tensor_type((), t) for t in element_types]
    block = op.body.blocks.append(*scalars, *scalars)
    count = len(operands)
    with ir.InsertionPoint(block):
        results = list(body(list(block.arguments)[:count], list(block.arguments)[count:]))
        check(len(results) == count, "reduce_window", f"body returned {len(results)} values for {count} operands")
        stablehlo.ReturnOp(results)
    return list(op.results)


def select_and_scatter(operand: ir.Value, source: ir.Value, init_value: ir.Value, window_dimensions,
                       select: Callable[[ir.Value, ir.Value], ir.Value],
                       scatter: Callable[[ir.Value, ir.Value], ir.Value], *, window_strides=None,
                       padding=None) -> ir.Value:
    """`stablehlo.select_and_scatter`: per window of `operand`, `select` picks one element, and the window's
    element of `source` is combined by `scatter` into that position of a result filled with `init_value`.

    `select(a, b)` builds an i1 scalar, true to keep `a` over `b`; XLA scans each window in order, so
    `ops.compare(a, b, "GE")` picks the first maximum. With `ops.add` as `scatter` this is the gradient of
    max pooling. Padding positions are never picked (a window wholly in padding scatters nowhere); the spec
    has no dilations (pad the operand with holes, or use a scatter).
    """
    shape = shape_of(operand)
    rank = len(shape)
    dtype = dtype_of(operand)
    check(dtype_of(source) == dtype and dtype_of(init_value) == dtype and shape_of(init_value) == (),
          "select_and_scatter", f"source and the scalar init value must have the operand's element type {dtype}")
    window = _per_dimension("window_dimensions", window_dimensions, rank, 1)
    strides = _per_dimension("window_strides", window_strides, rank, 1)
    pairs = [(0, 0)] * rank if padding is None else [tuple(int(v) for v in pair) for pair in padding]
    check(len(pairs) == rank and all(len(pair) == 2 and min(pair) >= 0 for pair in pairs), "select_and_scatter",
          f"padding needs one non-negative (low, high) pair per dimension ({rank}), got {padding}")
    windows = reduce_window_output_shape(shape, window, window_strides=strides, base_dilations=[1] * rank,
                                         window_dilations=[1] * rank, padding=pairs)
    check(shape_of(source) == windows, "select_and_scatter",
          f"source must have one element per window, shape {windows}, got {shape_of(source)}")
    op = stablehlo.SelectAndScatterOp(operand.type, operand, source, init_value, window_dimensions=window,
                                      window_strides=strides, padding=padding_attribute(pairs) if rank else None)
    scalar = dtypes.tensor_type((), dtype)
    for region, build in ((op.select, select), (op.scatter, scatter)):
        block = region.blocks.append(scalar, scalar)
        with ir.InsertionPoint(block):
            stablehlo.ReturnOp([build(block.arguments[0], block.arguments[1])])
    return op.result
