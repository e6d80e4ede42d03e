"""Elementwise ops of the CHLO dialect (asin, sinh, erf, ...): XLA expands them when it compiles.

CHLO ops are "client HLO": each stands for a small StableHLO expansion that XLA (and jax,
which emits them too) chooses per backend. Result types are inferred from the operands.
"""

from __future__ import annotations

from jaxlib.mlir.dialects import chlo

from ir.ops.elementwise import _binary, _unary

__all__ = [
    "acos", "acosh", "asin", "asinh", "atan", "atanh", "cosh", "digamma", "erf", "erf_inv", "erfc",
    "is_inf", "is_neg_inf", "is_pos_inf", "lgamma", "next_after", "polygamma", "sinh", "zeta",
]


asin = _unary(chlo.AsinOp, "chlo.asin", floats_only=True)
acos = _unary(chlo.AcosOp, "chlo.acos", floats_only=True)
atan = _unary(chlo.AtanOp, "chlo.atan", floats_only=True)
sinh = _unary(chlo.SinhOp, "chlo.sinh", floats_only=True)
cosh = _unary(chlo.CoshOp, "chlo.cosh", floats_only=True)
asinh = _unary(chlo.AsinhOp, "chlo.asinh", floats_only=True)
acosh = _unary(chlo.AcoshOp, "chlo.acosh", floats_only=True)
atanh = _unary(chlo.AtanhOp, "chlo.atanh", floats_only=True)
erf = _unary(chlo.ErfOp, "chlo.erf", floats_only=True)
erfc = _unary(chlo.ErfcOp, "chlo.erfc", floats_only=True)
erf_inv = _unary(chlo.ErfInvOp, "chlo.erf_inv", floats_only=True)
lgamma = _unary(chlo.LgammaOp, "chlo.lgamma", floats_only=True)
digamma = _unary(chlo.DigammaOp, "chlo.digamma", floats_only=True)
is_inf = _unary(chlo.IsInfOp, "chlo.is_inf", floats_only=True)  # result is i1
is_pos_inf = _unary(chlo.IsPosInfOp, "chlo.is_pos_inf", floats_only=True)  # result is i1
is_neg_inf = _unary(chlo.IsNegInfOp, "chlo.is_neg_inf", floats_only=True)  # result is i1
next_after = _binary(chlo.NextAfterOp, "chlo.next_after", floats_only=True)
polygamma = _binary(chlo.PolygammaOp, "chlo.polygamma", floats_only=True)  # (n, x)
zeta = _binary(chlo.ZetaOp, "chlo.zeta", floats_only=True)  # (x, q): Hurwitz zeta
