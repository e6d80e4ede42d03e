"""np.linalg.qr's derivative taken whole: geqrf and the orgqr that reads its reflectors, as one op (a fusion).

Chained, the two kernels' rules (`lapack_qr.py`) go from dQ to the reflectors' derivative and back to dQ:
about six triangular solves and eighteen products where QR's own formula (JAX's `qr_jvp_rule`) needs one
solve and a handful of products. The chain is needed only where something reads the reflectors or taus
themselves (mode='raw', a tall matrix's complete Q). Otherwise the tracer marks the geqrf
(`REFLECTORS_FOR_ORGQR`: its reflectors and taus go to orgqr alone, everything else reads R), and here:

- `merge`, before differentiating: a marked geqrf whose taus one orgqr reads, with the reflectors of all
  min(m, n) columns, becomes one `qr_pair` op (packed, taus, Q) of A. A marked geqrf that does not match
  loses its mark: the per-kernel rules then differentiate it, and their code reads the reflectors directly,
  which would break the promise for a later (second-order) pass.
- its rules are `lapack_qr._qr_jvp` / `_qr_vjp` on (Q, R): packed's tangent is R's (its part below the
  diagonal is read by nothing but orgqr, which is inside the op), taus' none.
- `split`, after differentiating: each `qr_pair` becomes geqrf (still marked, for the next pass) and orgqr
  again, the calls XLA runs; the derivative code reads their results.
"""

from __future__ import annotations

from jaxlib.mlir import ir

from ir import ops, query
from ir.ops.lapack import REFLECTORS_FOR_ORGQR, lapack_kernel
from passes.autodiff.emit import zeros_like
from passes.autodiff.registry import FUSIONS, JVP, VJP
from passes.autodiff.rules.lapack_qr import _Factors, _block, _pad, _qr_jvp, _qr_vjp
from passes.autodiff.rules.linalg_solvers import _triangle

__all__: list[str] = []


def _readers(value: ir.Value) -> list[ir.Operation]:
    """The distinct ops that read `value`."""
    readers: list[ir.Operation] = []
    for use in value.uses:
        op = use.owner.operation
        if not any(op == reader for reader in readers):
            readers.append(op)
    return readers


def _reads_reflectors(value: ir.Value, packed: ir.Value, k: int) -> bool:
    """Whether `value` is packed's first k columns: packed itself (it has k columns) or a slice of them."""
    if value == packed:
        return query.shape(packed)[-1] == k
    op = query.defining_op(value)
    if op is None or op.name != "stablehlo.slice" or op.operands[0] != packed:
        return False
    shape = query.shape(packed)
    return (query.i64s(op, "start_indices") == [0] * len(shape) and query.i64s(op, "strides") == [1] * len(shape)
            and query.i64s(op, "limit_indices") == list(shape[:-1]) + [k])


def _orgqr_of(geqrf: ir.Operation) -> ir.Operation | None:
    """The one orgqr that reads all of this geqrf's reflectors and is the only reader of its taus, or None."""
    packed, taus = geqrf.results[0], geqrf.results[1]
    readers = _readers(taus)
    if len(readers) != 1:
        return None
    (orgqr,) = readers
    k = query.shape(taus)[-1]
    if lapack_kernel(orgqr) != "orgqr" or orgqr.operands[1] != taus or not _reads_reflectors(orgqr.operands[0], packed, k):
        return None
    return orgqr


def merge(function: ir.Operation) -> None:
    # (the marked geqrf calls first: merging erases ops a walk in progress would visit next)
    marked = [op for op in query.walk(function)
              if lapack_kernel(op) == "geqrf" and REFLECTORS_FOR_ORGQR in op.attributes]
    for geqrf in marked:
        orgqr = _orgqr_of(geqrf)
        if orgqr is None:
            del geqrf.attributes[REFLECTORS_FOR_ORGQR]
            continue
        reflectors = orgqr.operands[0]
        with ir.InsertionPoint(geqrf), geqrf.location:
            packed, taus, q = ops.qr_pair(geqrf.operands[0])
        orgqr.results[0].replace_all_uses_with(q)
        orgqr.erase()
        if reflectors != geqrf.results[0] and not list(reflectors.uses):
            query.defining_op(reflectors).erase()
        geqrf.results[0].replace_all_uses_with(packed)
        geqrf.results[1].replace_all_uses_with(taus)
        geqrf.erase()


def split(function: ir.Operation) -> None:
    for pair in [op for op in query.walk(function) if lapack_kernel(op) == "qr"]:
        a = pair.operands[0]
        m, n = query.shape(a)[-2:]
        with ir.InsertionPoint(pair), pair.location:
            packed, taus = ops.geqrf(a, reflectors_for_orgqr=True)
            q = ops.orgqr(_block(packed, columns=(0, min(m, n))) if n > m else packed, taus)
        for old, new in zip(pair.results, (packed, taus, q)):
            old.replace_all_uses_with(new)
        pair.erase()


def _factors(op) -> _Factors:
    return _Factors(op, q=op.results[2])


def _pair_jvp(op, x_dots):
    f = _factors(op)
    q_dot, r_dot = _qr_jvp(f, x_dots[0])
    return [_pad(r_dot, rows=f.m - f.k), None, q_dot]


def _pair_vjp(op, z_bars, needed):
    f = _factors(op)
    packed_bar, q_bar = z_bars[0], z_bars[2]
    r_bar = zeros_like(_block(op.results[0], rows=(0, f.k))) if packed_bar is None else \
        _triangle(_block(packed_bar, rows=(0, f.k)), lower=False)
    return [_qr_vjp(f, zeros_like(f.q) if q_bar is None else q_bar, r_bar)]


JVP["lapack.qr"], VJP["lapack.qr"] = _pair_jvp, _pair_vjp
FUSIONS.append((merge, split))
