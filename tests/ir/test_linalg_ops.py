"""`ir.ops.cholesky` and `ir.ops.triangular_solve`: printed IR, meaning, and refusals.

The StableHLO reference interpreter does not implement either op (it aborts the process on
`stablehlo.cholesky`: openxla/stablehlo#1571), so their meaning is checked by compiling the
module with XLA and comparing with NumPy.
"""

from __future__ import annotations

import numpy as np
import pytest
from helpers_filecheck import filecheck
from jaxlib.mlir import ir as mlir

import ir
from ir import ops
from runtime import transfer
from runtime.executable import compile_stablehlo

rng = np.random.default_rng(7)


def build(arg_specs, body):
    """A verified module whose @main takes `arg_specs` [(shape, dtype)] and returns body(*arguments)."""
    builder = ir.FunctionBuilder("main", [(tuple(shape), np.dtype(dtype)) for shape, dtype in arg_specs])
    with builder.context, mlir.Location.unknown(), mlir.InsertionPoint(builder.block):
        result = body(*builder.arguments)
    module = builder.finish([result])
    ir.verify(module)
    return module


def run_with_xla(module, *arrays) -> np.ndarray:
    executable = compile_stablehlo(ir.print_module(module))
    buffers = [transfer.array_to_device(np.asarray(a))._buffer for a in arrays]
    (result,) = executable.execute(buffers)
    return np.asarray(result)


def build_fails(arg_specs, body) -> ops.OpBuildError:
    builder = ir.FunctionBuilder("main", [(tuple(shape), np.dtype(dtype)) for shape, dtype in arg_specs])
    with builder.context, mlir.Location.unknown(), mlir.InsertionPoint(builder.block):
        with pytest.raises(ops.OpBuildError) as info:
            body(*builder.arguments)
    return info.value


def spd(batch, n, dtype):
    """Symmetric positive definite matrices: m @ m.T + n * I."""
    m = rng.standard_normal((*batch, n, n))
    return (m @ np.swapaxes(m, -1, -2) + n * np.eye(n)).astype(dtype)


def triangular(batch, n, dtype, lower):
    m = rng.standard_normal((*batch, n, n)) + 2 * n * np.eye(n)  # a dominant diagonal: well conditioned
    return (np.tril(m) if lower else np.triu(m)).astype(dtype)


TOLERANCE = {np.dtype(np.float32): 1e-4, np.dtype(np.float64): 1e-10}


# --------------------------------------------------------------------------- cholesky


def test_cholesky_prints_its_attribute():
    lower = build([((3, 3), np.float32)], lambda a: ops.cholesky(a, lower=True))
    filecheck(ir.print_module(lower), """
        // CHECK: stablehlo.cholesky %{{.*}}, lower = true : tensor<3x3xf32>
    """)
    upper = build([((3, 3), np.float32)], lambda a: ops.cholesky(a, lower=False))  # false is the default: not printed
    filecheck(ir.print_module(upper), """
        // CHECK-NOT: lower = true
        // CHECK: stablehlo.cholesky %{{.*}} : tensor<3x3xf32>
    """)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("lower", [True, False])
@pytest.mark.parametrize("batch", [(), (2,), (2, 3)])
def test_cholesky_matches_numpy(dtype, lower, batch):
    a = spd(batch, 4, dtype)
    actual = run_with_xla(build([(a.shape, dtype)], lambda x: ops.cholesky(x, lower=lower)), a)
    expected = np.linalg.cholesky(a, upper=not lower)
    # The spec leaves the other triangle implementation-defined: compare the factor's own triangle.
    keep = np.tril if lower else np.triu
    np.testing.assert_allclose(keep(actual), expected, rtol=TOLERANCE[np.dtype(dtype)], atol=TOLERANCE[np.dtype(dtype)])


# --------------------------------------------------------------------------- triangular_solve


def test_triangular_solve_prints_its_attributes():
    module = build([((3, 3), np.float64), ((3, 2), np.float64)],
                   lambda a, b: ops.triangular_solve(a, b, left_side=True, lower=True, transpose_a="TRANSPOSE"))
    filecheck(ir.print_module(module), """
        // CHECK: "stablehlo.triangular_solve"
        // CHECK-SAME: left_side = true
        // CHECK-SAME: lower = true
        // CHECK-SAME: transpose_a = #stablehlo<transpose TRANSPOSE>
        // CHECK-SAME: unit_diagonal = false
    """)


def _numpy_triangular_solve(a, b, left_side, lower, unit_diagonal, transpose_a):
    a = np.tril(a) if lower else np.triu(a)
    if unit_diagonal:
        a = a - np.diag(np.diagonal(a)) + np.eye(a.shape[-1])
    if transpose_a != "NO_TRANSPOSE":
        a = a.T
    return np.linalg.solve(a, b) if left_side else np.linalg.solve(a.T, b.T).T


SOLVE_CASES = [
    dict(left_side=True, lower=True, unit_diagonal=False, transpose_a="NO_TRANSPOSE"),
    dict(left_side=True, lower=False, unit_diagonal=False, transpose_a="TRANSPOSE"),
    dict(left_side=False, lower=True, unit_diagonal=False, transpose_a="NO_TRANSPOSE"),
    dict(left_side=False, lower=False, unit_diagonal=True, transpose_a="ADJOINT"),
    dict(left_side=True, lower=True, unit_diagonal=True, transpose_a="NO_TRANSPOSE"),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("options", SOLVE_CASES, ids=lambda o: "-".join(f"{k}={v}" for k, v in o.items()))
def test_triangular_solve_matches_numpy(dtype, options):
    a = triangular((), 4, dtype, options["lower"])
    # The other triangle holds garbage: the op must not read it.
    a = a + (np.triu(np.full_like(a, 100.0), 1) if options["lower"] else np.tril(np.full_like(a, 100.0), -1))
    b = rng.standard_normal((4, 3) if options["left_side"] else (3, 4)).astype(dtype)
    actual = run_with_xla(build([(a.shape, dtype), (b.shape, dtype)], lambda x, y: ops.triangular_solve(x, y, **options)), a, b)
    expected = _numpy_triangular_solve(a.astype(np.float64), b.astype(np.float64), **options)
    np.testing.assert_allclose(actual, expected, rtol=TOLERANCE[np.dtype(dtype)], atol=TOLERANCE[np.dtype(dtype)])


def test_triangular_solve_batched():
    a = triangular((2, 3), 3, np.float64, lower=False)
    b = rng.standard_normal((2, 3, 3, 2))
    actual = run_with_xla(build([(a.shape, np.float64), (b.shape, np.float64)],
                                lambda x, y: ops.triangular_solve(x, y, left_side=True, lower=False)), a, b)
    np.testing.assert_allclose(actual, np.linalg.solve(a, b), rtol=1e-10)


# --------------------------------------------------------------------------- refusals


REFUSALS = {
    "cholesky of a vector": ([((3,), np.float32)], lambda a: ops.cholesky(a), "rank >= 2"),
    "cholesky of a non-square matrix": ([((2, 3), np.float32)], lambda a: ops.cholesky(a), "must be square"),
    "cholesky of integers": ([((2, 2), np.int32)], lambda a: ops.cholesky(a), "floating-point"),
    "solve with mismatched dtypes": ([((2, 2), np.float32), ((2, 1), np.float64)],
                                     lambda a, b: ops.triangular_solve(a, b, left_side=True, lower=True), "element types differ"),
    "solve, left side, b rows != n": ([((3, 3), np.float32), ((2, 3), np.float32)],
                                      lambda a, b: ops.triangular_solve(a, b, left_side=True, lower=True), "second-to-last dimension"),
    "solve, right side, b cols != n": ([((3, 3), np.float32), ((3, 2), np.float32)],
                                       lambda a, b: ops.triangular_solve(a, b, left_side=False, lower=True), "last dimension"),
    "solve with other batch dims": ([((2, 3, 3), np.float32), ((4, 3, 1), np.float32)],
                                    lambda a, b: ops.triangular_solve(a, b, left_side=True, lower=True), "batch dimensions"),
    "solve with a rank mismatch": ([((3, 3), np.float32), ((3,), np.float32)],
                                   lambda a, b: ops.triangular_solve(a, b, left_side=True, lower=True), "same rank"),
    "solve with a bad transpose_a": ([((3, 3), np.float32), ((3, 1), np.float32)],
                                     lambda a, b: ops.triangular_solve(a, b, left_side=True, lower=True, transpose_a="T"),
                                     "transpose_a must be one of"),
}


@pytest.mark.parametrize("case", REFUSALS, ids=str)
def test_builders_refuse_what_the_spec_forbids(case):
    specs, body, message = REFUSALS[case]
    assert message in str(build_fails(specs, body))
