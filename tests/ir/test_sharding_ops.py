"""`ops.sharding_constraint` and `ops.declare_mesh`: the Shardy ops, printed, and bad attribute text refused."""

from __future__ import annotations

import numpy as np
from jaxlib.mlir import ir as mlir
from test_ops import build_fails, text

import ir
from helpers_filecheck import filecheck
from ir import ops


def test_mesh_and_constraint_print_as_shardy_ops():
    builder = ir.FunctionBuilder("main", [((4, 3), np.dtype(np.float32))])
    with builder.context, mlir.Location.unknown(), mlir.InsertionPoint(builder.block):
        result = ops.sharding_constraint(builder.arguments[0], '#sdy.sharding<@mesh, [{"data"}, {}]>')
    module = builder.finish([result])
    ops.declare_mesh(module, "mesh", '<["data"=2]>')
    ops.declare_mesh(module, "mesh", '<["data"=2]>')  # a second declaration is not added
    ir.verify(module)
    filecheck(text(module), """
        // CHECK: sdy.mesh @mesh = <["data"=2]>
        // CHECK-NOT: sdy.mesh
        // CHECK: sdy.sharding_constraint %arg0 <@mesh, [{"data"}, {}]> : tensor<4x3xf32>
    """)


def test_bad_sharding_text_is_an_op_build_error():
    err = build_fails([((4,), np.float32)], lambda a: ops.sharding_constraint(a, "#sdy.sharding<nonsense"))
    assert str(err).startswith("sdy.sharding_constraint: bad attribute")
