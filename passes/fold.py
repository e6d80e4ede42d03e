"""`fold`: evaluate ops whose operands are all constants, at compile time, with NumPy.

Only ops whose NumPy evaluation is bit-identical to StableHLO's are folded: exact IEEE
arithmetic (+ - * /), negate/abs, max/min (NaN-propagating in both), comparisons,
select, bitwise ops on integers, conversions that stay in range, and pure data
movement. Transcendentals (exp, tanh ...) are left to XLA, whose rounding may differ
in the last place. Bool and bfloat16 constants, which NumPy cannot read back from
MLIR attributes, are not folded. Results above `max-elements` stay unfolded unless
they are splats (stored as one element however large).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, ClassVar

import numpy as np
from jaxlib.mlir import ir

from ir.dtypes import is_floating
from ir import ops
from passes.registry import register_pass
from passes.rewrite import Pattern, Rewriter, apply_patterns, constant_value, defining_op


def _i64s(op, name: str) -> list[int]:
    return list(ir.DenseI64ArrayAttr(op.attributes[name]))


def _divide(op, x, y):
    if np.issubdtype(x.dtype, np.integer):
        overflow = (x == np.iinfo(x.dtype).min) & (y == -1) if np.issubdtype(x.dtype, np.signedinteger) else False
        if (y == 0).any() or np.any(overflow):
            return None  # division by zero and INT_MIN / -1 are implementation-defined: leave them to XLA
        # Truncation toward zero, as stablehlo.divide, computed wide enough that |INT_MIN| exists.
        wide = object if x.dtype.itemsize == 8 else np.int64
        xw, yw = x.astype(wide), y.astype(wide)
        # (np.asarray: arithmetic on 0-d object arrays gives a Python int)
        return np.asarray(np.sign(xw) * np.sign(yw) * (np.abs(xw) // np.abs(yw))).astype(x.dtype)
    return np.divide(x, y)


_DIRECTIONS = {"EQ": np.equal, "NE": np.not_equal, "LT": np.less, "LE": np.less_equal,
               "GT": np.greater, "GE": np.greater_equal}


def _compare(op, x, y):
    direction = str(op.attributes["comparison_direction"]).split()[-1].rstrip(">")
    return _DIRECTIONS[direction](x, y)


def _convert(op, x):
    target = ir.RankedTensorType(op.results[0].type).element_type
    from ir import dtypes

    dtype = dtypes.from_mlir(target)
    if np.issubdtype(dtype, np.integer) and is_floating(x.dtype):
        info = np.iinfo(dtype)
        if not np.isfinite(x).all() or (x < info.min).any() or (x > info.max).any():
            return None  # out-of-range float -> int is implementation-defined
    if dtype == np.bool_:
        return None
    return x.astype(dtype)


def _broadcast(op, x):
    shape = tuple(ir.RankedTensorType(op.results[0].type).shape)
    dims = _i64s(op, "broadcast_dimensions")
    expanded = x.reshape([x.shape[dims.index(d)] if d in dims else 1 for d in range(len(shape))])
    return np.broadcast_to(expanded, shape)


def _elementwise(fn: Callable) -> Callable:
    return lambda op, *xs: fn(*xs)


def _bitwise(fn: Callable) -> Callable:
    return lambda op, *xs: fn(*xs) if np.issubdtype(xs[0].dtype, np.integer) else None


# op name -> evaluate(op, *operand arrays) -> result array (None: do not fold this instance)
EVALUATORS: dict[str, Callable] = {
    "stablehlo.add": _elementwise(np.add),
    "stablehlo.subtract": _elementwise(np.subtract),
    "stablehlo.multiply": _elementwise(np.multiply),
    "stablehlo.divide": _divide,
    "stablehlo.negate": _elementwise(np.negative),
    "stablehlo.abs": _elementwise(np.abs),
    "stablehlo.maximum": _elementwise(np.maximum),
    "stablehlo.minimum": _elementwise(np.minimum),
    "stablehlo.and": _bitwise(np.bitwise_and),
    "stablehlo.or": _bitwise(np.bitwise_or),
    "stablehlo.xor": _bitwise(np.bitwise_xor),
    "stablehlo.not": _bitwise(np.invert),
    "stablehlo.compare": _compare,
    "stablehlo.convert": _convert,
    "stablehlo.broadcast_in_dim": _broadcast,
    "stablehlo.reshape": lambda op, x: x.reshape(tuple(ir.RankedTensorType(op.results[0].type).shape)),
    "stablehlo.transpose": lambda op, x: np.transpose(x, _i64s(op, "permutation")),
}


class FoldConstants(Pattern):
    def __init__(self, op_name: str, evaluate: Callable, max_elements: int):
        self.op_name = op_name
        self.evaluate = evaluate
        self.max_elements = max_elements

    def match_and_rewrite(self, op, rewriter: Rewriter) -> bool:
        if any(defining_op(v) is None or defining_op(v).name != "stablehlo.constant" for v in op.operands):
            return False
        operands = [constant_value(v) for v in op.operands]
        if any(x is None for x in operands):
            return False
        result_type = ir.RankedTensorType(op.results[0].type)
        if math.prod(result_type.shape) > self.max_elements and not all(_is_splat(x) for x in operands):
            return False
        with np.errstate(all="ignore"):
            result = self.evaluate(op, *operands)
        if result is None:
            return False
        with rewriter.before(op):
            value = ops.constant(np.array(result, order="C"))  # (ascontiguousarray would make a 0-d result 1-d)
        if value.type != op.results[0].type:
            rewriter.erase(defining_op(value))
            return False
        rewriter.replace(op, [value])
        return True


def _is_splat(array: np.ndarray) -> bool:
    flat = array.reshape(-1)
    return flat.size <= 1 or bool((flat.view(f"u{flat.dtype.itemsize}") == flat[:1].view(f"u{flat.dtype.itemsize}")).all())


@register_pass
@dataclass(frozen=True)
class Fold:
    name: ClassVar[str] = "fold"
    max_elements: int = 1 << 16
    max_iterations: int = 10

    def apply(self, module: ir.Module) -> None:
        apply_patterns(module, patterns(self.max_elements), self.max_iterations)


def patterns(max_elements: int = Fold.max_elements) -> list[Pattern]:
    """One folding pattern per op NumPy evaluates exactly (`simplify` runs them too)."""
    return [FoldConstants(name, evaluate, max_elements) for name, evaluate in EVALUATORS.items()]
