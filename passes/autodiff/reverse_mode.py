"""Reverse mode: a function `f(args) -> outs` becomes `f(args, out_cotangents) -> (outs, arg_cotangents)`.

The forward ops stay where they are; the backward pass is emitted after them, before the return, as a small
interpreter over the ops in reverse (JAX's `backward_pass`): each op whose results received a cotangent hands
them to its rule in `VJP`, and the operand cotangents it returns are summed into the operands' entries.
Forward values the rules read stay alive; the rest are dead code for the simplifier to drop. Ops with regions
(`if`, `case`, `while`) are reversed by `control_flow`, which recomputes their bodies from stored carries.
"""

from __future__ import annotations

from typing import Callable, Iterable, Sequence

from jaxlib.mlir import ir
from jaxlib.mlir.dialects import func

from passes.autodiff.activity import captures, varied_values
from passes.autodiff.emit import add, carries_derivative, is_float, zeros_like
from passes.autodiff.errors import AutodiffError
from passes.autodiff.registry import PATTERN_VJP, VJP, is_constant, rule_key
from passes.autodiff.function import DifferentiableFunction

__all__ = ["Adjoints", "REGION_VJP", "backward", "reverse_function"]

# Ops with regions: name -> fn(op, z_bars, adjoints, varied), which adds the cotangents of the op's operands
# and of the outer values its regions read to `adjoints` itself (filled by `control_flow`).
REGION_VJP: dict[str, Callable] = {}


class Adjoints:
    """Cotangent per value, summed as uses fan in."""

    def __init__(self):
        self._bars: dict = {}

    def add(self, value: ir.Value, bar: ir.Value | None) -> None:
        if bar is not None:
            self._bars[value] = add(self._bars.get(value), bar)

    def pop(self, value: ir.Value) -> ir.Value | None:
        return self._bars.pop(value, None)

    def get(self, value: ir.Value) -> ir.Value | None:
        return self._bars.get(value)

    def __contains__(self, value: ir.Value) -> bool:
        return value in self._bars


def backward(ops_: Sequence[ir.Operation], adjoints: Adjoints, seeds: Iterable[ir.Value], *, where: str) -> None:
    """Emit, at the insertion point, the backward pass of `ops_` (in program order) given the cotangents
    already in `adjoints`; afterwards `adjoints` holds the cotangents of the seeds and of outer values."""
    varied = varied_values(ops_, seeds)
    for op in reversed(list(ops_)):
        op = op.operation
        results = list(op.results)
        if not any(result in adjoints for result in results):
            continue
        z_bars = [adjoints.pop(result) for result in results]
        if is_constant(op):
            continue
        inputs = list(op.operands) + (captures(op) if op.name in REGION_VJP else [])
        if not any(value in varied for value in inputs):
            continue
        with op.location:
            if op.name in REGION_VJP:
                REGION_VJP[op.name](op, z_bars, adjoints, varied)
                continue
            _refuse_complex(op, varied, where)
            if _pattern_vjp(op, z_bars, adjoints, varied):
                continue
            rule = VJP.get(rule_key(op))
            if rule is None:
                raise AutodiffError(f"{rule_key(op)} has no derivative rule (reverse mode), in {where}", op=op,
                                    fix="write the computation with other operations, or hold this value fixed "
                                        "(compute it from arguments that are not differentiated)")
            needed = [operand in varied and is_float(operand) for operand in op.operands]
            bars = rule(op, z_bars, needed)
            for operand, bar, need in zip(op.operands, bars, needed):
                if need:
                    adjoints.add(operand, bar)


def _pattern_vjp(op: ir.Operation, z_bars, adjoints: Adjoints, varied) -> bool:
    """Run the rule of a group of ops that `op` ends (`PATTERN_VJP`), if it does; whether one matched."""
    for pattern in PATTERN_VJP.get(op.name, ()):
        bars = pattern(op, z_bars)
        if bars is not None:
            for value, bar in bars:
                if value in varied and is_float(value):
                    adjoints.add(value, bar)
            return True
    return False


def _refuse_complex(op: ir.Operation, varied, where: str) -> None:
    """Complex values carry no derivative here, and a rule asked for float cotangents only (stablehlo.abs of
    a complex value) would drop the complex operand's: a silent zero. Forward mode needs no such check: a
    complex value is made by an op without a rule (stablehlo.complex, LAPACK's geev), which raises."""
    if any(operand in varied and not is_float(operand) for operand in op.operands):
        raise AutodiffError(f"{rule_key(op)} reads a complex value computed from a differentiated input, in "
                            f"{where}: complex values (np.linalg.eig and eigvals: lapack.geev) have no derivative rules", op=op,
                            fix="hold the matrix fixed (compute it from arguments that are not differentiated), "
                                "or, for a symmetric matrix, use np.linalg.eigh")


def reverse_function(fn: DifferentiableFunction, wrt: Sequence[int]) -> None:
    """Rewrite `fn` (in place) to take one cotangent per result after its arguments and to return the
    cotangents of the arguments `wrt` after its results."""
    block, terminator = fn.block, fn.terminator
    outs = list(terminator.operands)
    arguments = list(block.arguments)
    with fn.location:
        cotangents = [block.add_argument(out.type, fn.location) for out in outs]
    with ir.InsertionPoint(terminator), fn.location:
        adjoints = Adjoints()
        for out, cotangent in zip(outs, cotangents):
            if carries_derivative(out):
                adjoints.add(out, cotangent)
        body = list(block.operations)[:-1]
        backward(body, adjoints, [arguments[i] for i in wrt], where=fn.description)
        grads = [adjoints.get(arguments[i]) for i in wrt]
        grads = [grad if grad is not None else zeros_like(arguments[i]) for grad, i in zip(grads, wrt)]
        # The outputs as the return reads them now: reversing a loop rebuilds it (to store its carries) and
        # erases the original, whose results `outs` may still hold.
        func.ReturnOp(list(terminator.operands) + grads)
    terminator.erase()
    fn.update_type()

