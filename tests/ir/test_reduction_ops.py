"""`ir.ops.reduce_many`: the variadic `stablehlo.reduce`, checked as printed IR and by running it in
the StableHLO reference interpreter against NumPy (argmax by (value, index) pairs)."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import interpret
from helpers_filecheck import filecheck
from jaxlib.mlir import ir as mlir

import ir
from ir import ops


def _build(shape, dtype, body):
    builder = ir.FunctionBuilder("main", [(tuple(shape), np.dtype(dtype))])
    with builder.context, mlir.Location.unknown(), mlir.InsertionPoint(builder.block):
        results = body(builder.arguments[0])
    module = builder.finish(list(results))
    ir.verify(module)
    return module


def _argmax_body(lhs, rhs):
    (a, ia), (b, ib) = lhs, rhs
    a_wins = ops.or_(ops.compare(a, b, "GT"), ops.and_(ops.compare(a, b, "EQ"), ops.compare(ia, ib, "LT")))
    return [ops.select(a_wins, a, b), ops.select(a_wins, ia, ib)]


def _argmax(x, dimension):
    index = ops.iota(ops.shape_of(x), dimension, np.int64)
    inits = [ops.constant(np.float32(-np.inf)), ops.constant(np.int64(2**62))]
    return ops.reduce_many([x, index], inits, [dimension], _argmax_body)


@pytest.mark.parametrize("dimension", [0, 1])
def test_reduce_many_argmax_matches_numpy(dimension):
    x = np.array([[1.0, 5.0, 5.0], [7.0, -1.0, 7.0]], np.float32)  # ties: the first index wins
    module = _build(x.shape, np.float32, lambda v: _argmax(v, dimension))
    filecheck(ir.print_module(module), """
        CHECK: stablehlo.reduce
        CHECK-SAME: tensor<2x3xf32>, tensor<2x3xi64>
        CHECK: stablehlo.select
        CHECK: stablehlo.return
    """)
    values, indices = interpret(module, x)
    np.testing.assert_array_equal(indices, np.argmax(x, axis=dimension))
    np.testing.assert_array_equal(values, np.max(x, axis=dimension))


def _fails(body):
    builder = ir.FunctionBuilder("main", [((2, 3), np.dtype(np.float32))])
    with builder.context, mlir.Location.unknown(), mlir.InsertionPoint(builder.block):
        with pytest.raises(ops.OpBuildError, match="stablehlo.reduce") as info:
            body(builder.arguments[0])
    return info.value


def test_reduce_many_refuses_bad_operands():
    zero, index_zero = (lambda: ops.constant(np.float32(0))), (lambda: ops.constant(np.int64(0)))
    _fails(lambda x: ops.reduce_many([x], [], [0], _argmax_body))  # one init per operand
    _fails(lambda x: ops.reduce_many([x, ops.iota((3, 2), 0, np.int64)], [zero(), index_zero()], [0], _argmax_body))
    _fails(lambda x: ops.reduce_many([x], [index_zero()], [0], lambda l, r: [l[0]]))  # init dtype
    _fails(lambda x: ops.reduce_many([x], [zero()], [2], lambda l, r: [l[0]]))  # dimension out of range
    _fails(lambda x: ops.reduce_many([x], [zero()], [0], lambda l, r: [l[0], r[0]]))  # body arity
