"""LAPACK kernels as `stablehlo.custom_call`s: the FFI targets jaxlib registers with XLA's CPU client.

One builder per kernel (getrf, potrf, syevd, gesdd, geqrf, orgqr, geev, trsm). Each emits the call JAX emits for
the same computation, so XLA runs the same code: target `lapack_<s|d><kernel>_ffi`, the typed FFI
(`api_version = 4`) with its attributes as a dictionary `backend_config`, matrices in column-major layout
(LAPACK is Fortran; leading batch dims stay major), and no side effect, so passes may erase, merge and
move these calls like any pure op. The runtime registers the targets (`runtime/lapack.py`); on other
platforms the targets do not exist, so the tracer only emits these for CPU.

LAPACK reports failure in an `info` result per matrix (a singular U, a matrix that is not positive
definite, no convergence) instead of raising: the builders return it and the caller decides (NaNs).

Characters in attributes are LAPACK's flags as bytes (`uplo = 'L'`, `jobz = 'V'`), as the kernels read them.
Each call also carries JAX's batch annotations, which the kernels do not read (they take the batch from the
buffer's shape) but XLA's partitioners do: an `sdy.sharding_rule` whose leading factors are the batch dims,
shared by all operands and results, lets Shardy (our partitioner) leave a batch split over devices where it
lies (without it, every device gathers the whole batch and solves all of it); and
`mhlo.frontend_attributes = {num_batch_dims = "b"}`, the same for GSPMD's batch partitioner (which reads it
only for targets registered with `xla_client.register_custom_call_as_batch_partitionable`; we do not use GSPMD).

`qr_pair` is not a kernel: geqrf and the orgqr that reads its reflectors, merged into one call while the
autodiff pass runs (QR's derivative is cheaper taken whole), and split back before anything compiles.
"""

from __future__ import annotations

import numpy as np
from jaxlib.mlir import ir
from jaxlib.mlir.dialects import stablehlo

from ir import dtypes, query
from ir.ops._common import check, dtype_of, shape_of

__all__ = ["LAPACK_KERNELS", "QR_PAIR_TARGET", "REFLECTORS_FOR_ORGQR", "geev", "geqrf", "gesdd", "getrf",
           "is_lapack_call", "is_pure_call", "lapack_kernel", "orgqr", "pivots_to_permutation", "potrf", "qr_pair",
           "syevd", "trsm", "trsm_attributes"]

# LAPACK's type prefix of each element type (the kernels exist for these only).
_PREFIX = {np.dtype(np.float32): "s", np.dtype(np.float64): "d"}
# Kernel names as the targets spell them after the type prefix, without "_ffi".
LAPACK_KERNELS = frozenset({"getrf", "potrf", "syevd", "gesdd", "geqrf", "orgqr", "geev", "trsm"})
# The merged geqrf -> orgqr (kernel "qr"): exists only inside the autodiff pass, never reaches XLA.
QR_PAIR_TARGET = "pyreactant_lapack_qr_pair"
# On a geqrf: its reflectors (below packed's diagonal) and taus are read by orgqr alone, everything else reads
# R (on and above the diagonal). The tracer's np.linalg.qr promises it ('reduced', 'complete' with m <= n);
# the autodiff pass relies on it to take QR's derivative whole (`passes/autodiff/rules/lapack_qr_pair.py`).
REFLECTORS_FOR_ORGQR = "pyreactant.reflectors_for_orgqr"


def lapack_kernel(op: ir.Operation) -> str | None:
    """The kernel a `stablehlo.custom_call` runs ("getrf" ...), or None for any other op."""
    if op.name != "stablehlo.custom_call":
        return None
    target = query.string_attr(op, "call_target_name", "")
    if target == QR_PAIR_TARGET:
        return "qr"
    if not (target.startswith("lapack_") and target.endswith("_ffi")):
        return None
    kernel = target[len("lapack_") + 1:-len("_ffi")]
    return kernel if kernel in LAPACK_KERNELS else None


def is_lapack_call(op: ir.Operation) -> bool:
    return lapack_kernel(op) is not None


def is_pure_call(op: ir.Operation) -> bool:
    """A custom call known to compute only its results: one of ours to LAPACK, without has_side_effect."""
    return is_lapack_call(op) and not query.bool_attr(op, "has_side_effect")


def _column_major(rank: int) -> list[int]:
    """minor_to_major of a stack of column-major matrices: rows fastest, then columns, then batch dims."""
    return [rank - 2, rank - 1] + list(range(rank - 3, -1, -1))


def _layout(shape, matrix_rank: int) -> ir.Attribute:
    rank = len(shape)
    order = _column_major(rank) if rank == matrix_rank else list(range(rank - 1, -1, -1))
    index = ir.IndexType.get()
    return ir.DenseElementsAttr.get(np.array(order, dtype=np.int64), type=ir.RankedTensorType.get([rank], index))


def _byte(character: str) -> ir.Attribute:
    return ir.IntegerAttr.get(ir.IntegerType.get_unsigned(8), ord(character))


def _call(kernel: str, operands: list[ir.Value], results: list[tuple[tuple[int, ...], np.dtype]], *,
          config: dict[str, str] | None = None, aliases: dict[int, int] | None = None) -> list[ir.Value]:
    """One LAPACK custom call; `config` maps attribute names to flag characters, `aliases` result -> operand
    (the kernel writes that result over that operand's buffer, as LAPACK works in place)."""
    dtype = dtype_of(operands[0])
    check(dtype in _PREFIX, f"custom_call {kernel}", f"LAPACK has no {dtype} kernel (float32 and float64 only)")
    matrix_rank = max(len(shape_of(v)) for v in operands)
    result_types = [dtypes.tensor_type(list(shape), dt) for shape, dt in results]
    aliases = [stablehlo.OutputOperandAlias.get([] if len(results) == 1 else [result], operand, [])
               for result, operand in (aliases or {}).items()]
    i32 = ir.IntegerType.get_signless(32)
    op = stablehlo.CustomCallOp(
        result_types, operands, f"lapack_{_PREFIX[dtype]}{kernel}_ffi",
        has_side_effect=ir.BoolAttr.get(False),
        backend_config=ir.DictAttr.get({name: _byte(flag) for name, flag in (config or {}).items()}),
        api_version=ir.IntegerAttr.get(i32, 4),
        operand_layouts=ir.ArrayAttr.get([_layout(shape_of(v), matrix_rank) for v in operands]),
        result_layouts=ir.ArrayAttr.get([_layout(shape, matrix_rank) for shape, _ in results]),
        output_operand_aliases=ir.ArrayAttr.get(aliases))
    op.attributes["mhlo.frontend_attributes"] = ir.DictAttr.get(
        {"num_batch_dims": ir.StringAttr.get(str(matrix_rank - 2))})
    op.attributes["sdy.sharding_rule"] = _batch_sharding_rule([shape_of(v) for v in operands],
                                                              [shape for shape, _ in results], matrix_rank - 2)
    return list(op.results)


def _factor_name(index: int) -> str:
    """Shardy's name for factor `index` in a rule's text: i, j, ..., z, then z_1, z_2, ..."""
    letters = "ijklmnopqrstuvwxyz"
    return letters[index] if index < len(letters) else f"z_{index - len(letters) + 1}"


def _batch_sharding_rule(operand_shapes, result_shapes, batch_rank: int) -> ir.Attribute:
    """Shardy's rule for a batch of independent matrix problems (JAX emits the same): the leading `batch_rank`
    dims are one factor each, shared by every operand and result; every other dim is a factor of its own. So
    Shardy keeps a batch split over devices where it is instead of gathering all of it onto each one."""
    sizes = list(operand_shapes[0][:batch_rank])  # (factors 0 .. batch_rank - 1: the batch dims)

    def factors(shape) -> str:
        names = []
        for axis, size in enumerate(shape):
            if axis < batch_rank and len(shape) >= batch_rank:
                names.append(_factor_name(axis))
            else:
                sizes.append(size)
                names.append(_factor_name(len(sizes) - 1))
        return "[" + ", ".join(names) + "]"

    operands = ", ".join(factors(shape) for shape in operand_shapes)
    results = ", ".join(factors(shape) for shape in result_shapes)
    declared = ", ".join(f"{_factor_name(i)}={size}" for i, size in enumerate(sizes))
    return ir.Attribute.parse(f"#sdy.op_sharding_rule<({operands})->({results}) {{{declared}}}, custom>")


def _matrices(kernel: str, a: ir.Value, *, square: bool = True) -> tuple[tuple[int, ...], int, int]:
    shape = shape_of(a)
    check(len(shape) >= 2, f"custom_call {kernel}", f"operand must have rank >= 2, got shape {shape}")
    check(not square or shape[-1] == shape[-2], f"custom_call {kernel}", f"needs square matrices, got shape {shape}")
    return tuple(shape[:-2]), shape[-2], shape[-1]


_INT32 = np.dtype(np.int32)


def getrf(a: ir.Value) -> tuple[ir.Value, ir.Value, ir.Value]:
    """LU with partial pivoting of each square matrix: (lu, pivots, info).

    lu holds L (unit diagonal, below) and U (on and above the diagonal); pivots[..., k] (int32, 1-based as
    in LAPACK) is the row swapped with row k at step k; info > 0 where U has a zero on its diagonal.
    """
    batch, m, n = _matrices("getrf", a)
    return tuple(_call("getrf", [a], [(batch + (m, n), dtype_of(a)), (batch + (min(m, n),), _INT32),
                                      (batch, _INT32)], aliases={0: 0}))


def potrf(a: ir.Value, *, lower: bool = True) -> tuple[ir.Value, ir.Value]:
    """Cholesky factor of each matrix: (factor, info). Only the `lower` (upper) triangle is read and written;
    the other triangle of `factor` keeps a's entries. info > 0 where a is not positive definite."""
    batch, n, _ = _matrices("potrf", a)
    return tuple(_call("potrf", [a], [(batch + (n, n), dtype_of(a)), (batch, _INT32)],
                       config={"uplo": "L" if lower else "U"}, aliases={0: 0}))


def syevd(a: ir.Value, *, lower: bool = True, vectors: bool = True) -> tuple[ir.Value, ir.Value, ir.Value]:
    """Eigen-decomposition of each symmetric matrix (its `lower` triangle read): (vectors, values, info),
    eigenvalues ascending, eigenvectors in the columns (a's entries when `vectors` is False)."""
    batch, n, _ = _matrices("syevd", a)
    return tuple(_call("syevd", [a], [(batch + (n, n), dtype_of(a)), (batch + (n,), dtype_of(a)), (batch, _INT32)],
                       config={"uplo": "L" if lower else "U", "mode": "V" if vectors else "N"}, aliases={0: 0}))


def gesdd(a: ir.Value, *, full_matrices: bool, compute_uv: bool) -> tuple[ir.Value, ir.Value, ir.Value, ir.Value]:
    """SVD by divide and conquer of each [m, n] matrix: (s, u, vt, info), singular values descending.

    u is [m, m] (full_matrices) or [m, k], vt [n, n] or [k, n], k = min(m, n); both unset without compute_uv.
    """
    batch, m, n = _matrices("gesdd", a, square=False)
    k, dtype = min(m, n), dtype_of(a)
    u_shape = batch + (m, m if full_matrices else k)
    vt_shape = batch + (n if full_matrices else k, n)
    mode = ("A" if full_matrices else "S") if compute_uv else "N"
    _, s, u, vt, info = _call("gesdd", [a], [(batch + (m, n), dtype), (batch + (k,), dtype), (u_shape, dtype),
                                             (vt_shape, dtype), (batch, _INT32)], config={"mode": mode}, aliases={0: 0})
    return s, u, vt, info


def geqrf(a: ir.Value, *, reflectors_for_orgqr: bool = False) -> tuple[ir.Value, ir.Value]:
    """Householder QR of each [m, n] matrix: (qr, taus). R is on and above qr's diagonal; the reflectors
    are below it, with scales taus [..., min(m, n)] (orgqr makes Q from both). `reflectors_for_orgqr` marks
    the call with the caller's promise that only orgqr reads the reflectors and taus (`REFLECTORS_FOR_ORGQR`)."""
    batch, m, n = _matrices("geqrf", a, square=False)
    packed, taus = _call("geqrf", [a], [(batch + (m, n), dtype_of(a)), (batch + (min(m, n),), dtype_of(a))],
                         aliases={0: 0})
    if reflectors_for_orgqr:
        packed.owner.attributes[REFLECTORS_FOR_ORGQR] = ir.UnitAttr.get()
    return packed, taus


def qr_pair(a: ir.Value) -> tuple[ir.Value, ir.Value, ir.Value]:
    """geqrf of a and orgqr of its reflectors as one call: (packed, taus, q), q [..., m, min(m, n)].
    Only the autodiff pass makes it (and splits it again): no kernel runs it."""
    batch, m, n = _matrices("qr", a, square=False)
    k, dtype = min(m, n), dtype_of(a)
    check(dtype in _PREFIX, "custom_call qr", f"LAPACK has no {dtype} kernel (float32 and float64 only)")
    types = [dtypes.tensor_type(list(batch + shape), dtype) for shape in ((m, n), (k,), (m, k))]
    op = stablehlo.CustomCallOp(types, [a], QR_PAIR_TARGET, has_side_effect=ir.BoolAttr.get(False))
    return tuple(op.results)


def orgqr(a: ir.Value, taus: ir.Value) -> ir.Value:
    """The first n columns of Q (shape [..., m, n], m >= n) from geqrf's reflectors in a and their taus."""
    batch, m, n = _matrices("orgqr", a, square=False)
    check(m >= n, "custom_call orgqr", f"needs at least as many rows as columns, got shape {shape_of(a)}")
    return _call("orgqr", [a, taus], [(batch + (m, n), dtype_of(a))], aliases={0: 0})[0]


def geev(a: ir.Value, *, left: bool = False, right: bool = True) -> tuple[ir.Value, ...]:
    """Eigenvalues of each general square matrix as real and imaginary parts, and complex eigenvectors:
    (real, imaginary, left_vectors, right_vectors, info); a vector result is unset when not asked for."""
    batch, n, _ = _matrices("geev", a)
    dtype = dtype_of(a)
    complex_dtype = np.dtype(np.complex64 if dtype == np.float32 else np.complex128)
    return tuple(_call("geev", [a], [(batch + (n,), dtype), (batch + (n,), dtype), (batch + (n, n), complex_dtype),
                                     (batch + (n, n), complex_dtype), (batch, _INT32)],
                       config={"compute_left": "V" if left else "N", "compute_right": "V" if right else "N"}))


def trsm(a: ir.Value, b: ir.Value, *, left_side: bool, lower: bool, unit_diagonal: bool = False,
         transpose_a: str = "NO_TRANSPOSE") -> ir.Value:
    """`stablehlo.triangular_solve`'s computation by BLAS's trsm (same arguments, same checks): on CPU, XLA
    expands triangular_solve into blocked loops, about 2x slower than trsm for 32x32 matrices."""
    from ir.ops.linalg import TRANSPOSE_A, _check_float_square

    a_shape, b_shape = _check_float_square("custom_call trsm", a), shape_of(b)
    check(transpose_a in TRANSPOSE_A, "custom_call trsm", f"transpose_a must be one of {TRANSPOSE_A}")
    check(a_shape[:-2] == b_shape[:-2] and len(a_shape) == len(b_shape), "custom_call trsm",
          f"batch dimensions of a {a_shape} and b {b_shape} differ")
    check(b_shape[-2 if left_side else -1] == a_shape[-1], "custom_call trsm", f"b {b_shape} does not fit a {a_shape}")
    config = {"side": "L" if left_side else "R", "uplo": "L" if lower else "U",
              "trans_x": "N" if transpose_a == "NO_TRANSPOSE" else "T", "diag": "U" if unit_diagonal else "N"}
    return _call("trsm", [a, b], [(tuple(b_shape), dtype_of(b))], config=config, aliases={0: 1})[0]


def trsm_attributes(op: ir.Operation) -> dict:
    """A trsm call's flags as `trsm`'s keyword arguments (what its derivative rules need)."""
    flag = query.byte_flags(op)
    return {"left_side": flag["side"] == "L", "lower": flag["uplo"] == "L", "unit_diagonal": flag["diag"] == "U",
            "transpose_a": "NO_TRANSPOSE" if flag["trans_x"] == "N" else "TRANSPOSE"}


def pivots_to_permutation(pivots: ir.Value) -> ir.Value:
    """getrf's 1-based row swaps [..., n] as the permutation they make: perm (int32, [..., n]) with
    a[..., perm, :] = L @ U. Not a LAPACK call but its companion (JAX has it as a primitive): swap k is a
    select over the whole row of indices, so a batch of matrices swaps independently; the n swaps are a
    `stablehlo.while`, so the IR stays the same size for any n (XLA unrolls the loops of small matrices:
    its known trip count is n).
    """
    from ir import ops  # (the other families; this module is one of them)

    shape = tuple(shape_of(pivots))
    n, rank = shape[-1], len(shape)
    lane = ops.iota(shape, rank - 1, _INT32)

    def scalar(value):
        return ops.constant(np.asarray(value, dtype=_INT32))

    def column(values, k):  # values[..., k], broadcast back over the last axis
        piece = ops.dynamic_slice(values, [scalar(0)] * (rank - 1) + [k], shape[:-1] + (1,))
        return ops.broadcast_in_dim(ops.reshape(piece, shape[:-1]), shape, list(range(rank - 1)))

    def swap(k, perm, swaps):
        """perm with entries k and swaps[..., k] - 1 exchanged."""
        at_k = ops.compare(lane, ops.broadcast_in_dim(k, shape, []), "EQ")
        other = ops.subtract(column(swaps, k), ops.broadcast_in_dim(scalar(1), shape, []))
        at_other = ops.compare(lane, other, "EQ")
        zeros = ops.broadcast_in_dim(scalar(0), shape, [])
        from_other = ops.reduce(ops.select(at_other, perm, zeros), scalar(0), [rank - 1], ops.add)
        from_other = ops.broadcast_in_dim(from_other, shape, list(range(rank - 1)))
        return ops.select(at_k, from_other, ops.select(at_other, column(perm, k), perm))

    loop, cond, body = ops.while_([scalar(0), lane, pivots])
    with ir.InsertionPoint(cond):
        ops.return_([ops.compare(cond.arguments[0], scalar(n), "LT")])
    with ir.InsertionPoint(body):
        k, perm, swaps = body.arguments
        ops.return_([ops.add(k, scalar(1)), swap(k, perm, swaps), swaps])
    return loop.results[1]
