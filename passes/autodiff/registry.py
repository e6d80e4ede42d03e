"""The derivative rule tables, keyed by op name, and the helpers that make a family's rule one line.

Two tables, one per mode (JAX's `primitive_jvps` / `primitive_transposes`, Enzyme-JAX's derivative table):

    JVP[name](op, x_dots) -> one tangent per result (None: zero)
    VJP[name](op, z_bars, needed) -> one cotangent per operand (None: zero or not needed)

`x_dots` holds a tangent per operand (None where it is zero), `z_bars` a cotangent per result (None where
it is zero), `needed[i]` whether operand i wants a cotangent (it is a float value that depends on what is
differentiated). Rules build with `ir.ops` at the forward op's location and read attributes through
`ir.query`. Zero cotangents, fan-in sums and activity are the transformation's job, never a rule's.

A `stablehlo.custom_call` is not one op but one per target: its rules are keyed by `rule_key(op)`,
"lapack.getrf" for a call of LAPACK's getrf (`ir/ops/lapack.py`); every other op by its name, or by its
name and the derivative it asks for in a `pyreactant.derivative` attribute: "stablehlo.maximum:relu" for
the `maximum(x, 0)` of `tracer.nn.relu`, which differentiates as JAX's relu (0 at x = 0, where a
maximum splits ties) yet stays a maximum for XLA (a select there made XLA's CPU layout assignment
transpose the CNN's activations twice as often).

`PATTERN_VJP` holds rules for a group of ops that together compute one function whose derivative needs
less than theirs do, keyed by the group's last op: `PATTERN_VJP[name]` lists
`fn(op, z_bars) -> [(value, cotangent), ...]`, or None where `op` does not end such a group. A match stands
in for the group's own rules: its inner values get no cotangent, so their rules never run and the
backward keeps only what the group's rule reads (softmax: its result, not exp(x) too; `rules/softmax.py`).

`FUSIONS` holds rewrites around differentiation, `(merge, split)` over the function being differentiated:
`merge` makes one op of ops whose derivative is far cheaper taken whole (LAPACK's geqrf -> orgqr: QR's
formula instead of the chain through the Householder reflectors), `split` turns it back into the ops XLA runs.

`CONSTANT_RESULTS` lists ops whose results do not change when their operands change a little (floor,
sign, rounding...): their results carry no derivative, like integer and boolean values. So does any op
marked `pyreactant.stop_gradient` (`tracer.stop_gradient`).
"""

from __future__ import annotations

from typing import Callable, Sequence

from jaxlib.mlir import ir

from ir import query
from ir.ops.lapack import lapack_kernel
from passes.autodiff.emit import add, is_float, mul, zeros_like

__all__ = [
    "CONSTANT_RESULTS", "DERIVATIVE_ATTRIBUTE", "FUSIONS", "JVP", "PATTERN_VJP", "STOP_GRADIENT_ATTRIBUTE", "VJP",
    "bilinear", "constant_results", "elementwise",
    "has_rule", "is_constant", "linear", "rule_key",
    "replace_operands",
]

JVP: dict[str, Callable] = {}
VJP: dict[str, Callable] = {}
PATTERN_VJP: dict[str, list[Callable]] = {}
CONSTANT_RESULTS: set[str] = set()
FUSIONS: list[tuple[Callable[[ir.Operation], None], Callable[[ir.Operation], None]]] = []
STOP_GRADIENT_ATTRIBUTE = "pyreactant.stop_gradient"
DERIVATIVE_ATTRIBUTE = "pyreactant.derivative"


def rule_key(op: ir.Operation) -> str:
    """The name op's rules are registered under: "lapack.<kernel>" for a LAPACK call, "<name>:<variant>" for an
    op marked `pyreactant.derivative = "<variant>"`, else op's name."""
    kernel = lapack_kernel(op)
    if kernel is not None:
        return f"lapack.{kernel}"
    variant = query.string_attr(op, DERIVATIVE_ATTRIBUTE)
    return op.name if variant is None else f"{op.name}:{variant}"


def is_constant(op: ir.Operation) -> bool:
    """Whether no derivative flows through op's results."""
    return rule_key(op) in CONSTANT_RESULTS or STOP_GRADIENT_ATTRIBUTE in op.attributes


def has_rule(name: str) -> bool:
    return name in CONSTANT_RESULTS or (name in JVP and name in VJP)


def constant_results(*names: str) -> None:
    CONSTANT_RESULTS.update(names)


def replace_operands(op: ir.Operation, values: Sequence[ir.Value | None]) -> ir.Operation:
    """A copy of `op` (same attributes and regions) at the insertion point, reading `values` where given."""
    copy = op.clone()
    for index, value in enumerate(values):
        if value is not None:
            copy.operands[index] = value
    return copy


def elementwise(name: str, *partials: Callable | None) -> None:
    """An elementwise op whose partial derivative with respect to operand i is `partials[i](*operands, z)`
    (None: that operand is not differentiable, such as an exponent's order). Both modes follow from it:
    the tangent is the sum of x_dot_i * dz/dx_i, the cotangent of x_i is z_bar * dz/dx_i."""

    def jvp(op, x_dots):
        operands, z = list(op.operands), op.results[0]
        tangent = None
        for partial, x_dot in zip(partials, x_dots):
            if partial is not None and x_dot is not None:
                tangent = add(tangent, mul(x_dot, partial(*operands, z)))
        return [tangent]

    def vjp(op, z_bars, needed):
        operands, z = list(op.operands), op.results[0]
        return [mul(z_bars[0], partial(*operands, z)) if partial is not None and need else None
                for partial, need in zip(partials, needed)]

    JVP[name], VJP[name] = jvp, vjp


def linear(name: str, transpose: Callable, *, tangent: Callable | None = None) -> None:
    """An op linear in its float operands (the others, such as indices, are read as they are).

    The tangent is the op itself applied to the tangents (missing ones read as zeros; `tangent(op, x_dots)`
    overrides this); `transpose(op, z_bar, index)` is the cotangent of operand `index` (JAX's transpose rule).
    """

    def jvp(op, x_dots):
        if tangent is not None:
            return tangent(op, x_dots)
        # A linear (float) operand without a tangent reads zeros; the others (indices, predicates) stay.
        values = [x_dot if x_dot is not None else (zeros_like(operand) if is_float(operand) else None)
                  for operand, x_dot in zip(op.operands, x_dots)]
        return list(replace_operands(op, values).results)

    def vjp(op, z_bars, needed):
        z_bar = z_bars[0] if len(z_bars) == 1 else z_bars
        return [transpose(op, z_bar, index) if need else None for index, need in enumerate(needed)]

    JVP[name], VJP[name] = jvp, vjp


def bilinear(name: str, transpose_lhs: Callable, transpose_rhs: Callable) -> None:
    """An op linear in each of two operands separately (multiply, dot_general, convolution):
    the tangent is op(x_dot, y) + op(x, y_dot); `transpose_lhs(op, z_bar)` is x's cotangent (y fixed), and
    `transpose_rhs(op, z_bar)` y's."""

    def jvp(op, x_dots):
        lhs_dot, rhs_dot = x_dots[0], x_dots[1]
        tangent = None
        if lhs_dot is not None:
            tangent = replace_operands(op, [lhs_dot, None]).results[0]
        if rhs_dot is not None:
            tangent = add(tangent, replace_operands(op, [None, rhs_dot]).results[0])
        return [tangent]

    def vjp(op, z_bars, needed):
        z_bar = z_bars[0]
        return [transpose_lhs(op, z_bar) if needed[0] else None, transpose_rhs(op, z_bar) if needed[1] else None]

    JVP[name], VJP[name] = jvp, vjp
