"""Forward mode: a function `f(args) -> outs` becomes `f(args, tangents of wrt) -> (outs, out_tangents)`.

Tangent code is emitted right after each op it differentiates, from its rule in `JVP`; ops with regions
(`if`, `case`, `while`) are rebuilt by `control_flow` to carry tangents beside their values. A value without
a tangent (an integer, a constant, anything not computed from the differentiated arguments) costs nothing.
"""

from __future__ import annotations

from collections import ChainMap
from typing import Callable, MutableMapping, Sequence

from jaxlib.mlir import ir
from jaxlib.mlir.dialects import func

from passes.autodiff.activity import captures
from passes.autodiff.emit import carries_derivative, is_float, zeros_like
from passes.autodiff.errors import AutodiffError
from passes.autodiff.function import DifferentiableFunction
from passes.autodiff.registry import JVP, is_constant, rule_key

__all__ = ["REGION_JVP", "forward_function", "tangent_block"]

# Ops with regions: name -> fn(op, tangents) that replaces op by one carrying tangents and records them.
REGION_JVP: dict[str, Callable] = {}


def tangent_block(ops_: Sequence[ir.Operation], tangents: MutableMapping, *, where: str) -> None:
    """Emit tangent code for `ops_` (a block's ops in order, its terminator last, which is not differentiated),
    reading and recording tangents in `tangents` (value -> tangent)."""
    ops_ = [op.operation for op in ops_]
    for position, op in enumerate(ops_[:-1]):
        if is_constant(op) or not any(carries_derivative(result) for result in op.results):
            continue
        x_dots = [tangents.get(operand) for operand in op.operands]
        if op.name in REGION_JVP:
            if all(x_dot is None for x_dot in x_dots) and not any(value in tangents for value in captures(op)):
                continue
            with ir.InsertionPoint(ops_[position + 1]), op.location:
                REGION_JVP[op.name](op, tangents, where)
            continue
        if all(x_dot is None for x_dot in x_dots):
            continue
        rule = JVP.get(rule_key(op))
        if rule is None:
            raise AutodiffError(f"{rule_key(op)} has no derivative rule (forward mode), in {where}", op=op,
                                fix="write the computation with other operations, or hold this value fixed")
        with ir.InsertionPoint(ops_[position + 1]), op.location:
            for result, tangent in zip(op.results, rule(op, x_dots)):
                if tangent is not None and is_float(result):
                    tangents[result] = tangent


def forward_function(fn: DifferentiableFunction, wrt: Sequence[int]) -> None:
    """Rewrite `fn` in place: one tangent argument per `wrt` after its arguments, one tangent result per result."""
    block = fn.block
    arguments = list(block.arguments)
    with fn.location:
        tangent_arguments = [block.add_argument(arguments[i].type, fn.location) for i in wrt]
    tangents: MutableMapping = ChainMap({})
    for i, tangent in zip(wrt, tangent_arguments):
        tangents[arguments[i]] = tangent
    tangent_block(list(block.operations), tangents, where=fn.description)
    terminator = fn.terminator
    outs = list(terminator.operands)
    with ir.InsertionPoint(terminator), fn.location:
        out_tangents = [tangents.get(out) if tangents.get(out) is not None else zeros_like(out) for out in outs]
        func.ReturnOp(outs + out_tangents)
    terminator.erase()
    fn.update_type()
