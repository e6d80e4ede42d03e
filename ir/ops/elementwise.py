"""Elementwise StableHLO ops: operands already share one shape and element type.

Broadcasting and dtype promotion are NumPy semantics and live in `tracer/`;
these builders only check the spec's constraints and emit the op.
"""

from __future__ import annotations

import numpy as np
from jaxlib.mlir import ir
from jaxlib.mlir.dialects import stablehlo

from ir import dtypes
from ir.ops._common import check, check_same_types, dtype_of, is_float, is_unsigned, shape_of

__all__ = [
    "COMPARISON_DIRECTIONS", "abs", "add", "and_", "atan2", "bitcast_convert", "cbrt", "ceil", "clamp",
    "compare", "convert", "cosine", "count_leading_zeros", "divide", "exponential", "exponential_minus_one",
    "floor", "is_finite", "log", "log_plus_one", "logistic", "maximum", "minimum", "multiply", "negate",
    "not_", "optimization_barrier", "or_", "popcnt", "power", "reduce_precision", "remainder", "round_nearest_afz",
    "round_nearest_even", "rsqrt", "select", "shift_left", "shift_right_arithmetic", "shift_right_logical",
    "sign", "sine", "sqrt", "subtract", "tan", "tanh", "xor",
]


def _qualified(name: str) -> str:
    return name if "." in name else f"stablehlo.{name}"


def _unary(op_class, name: str, *, floats_only: bool = False):
    """A builder of the one-operand op `name` ("negate", or dialect-qualified: "chlo.asin")."""

    def build(operand: ir.Value) -> ir.Value:
        if floats_only:
            check(is_float(dtype_of(operand)), name, f"needs a floating-point operand, got {dtype_of(operand)}")
        return op_class(operand).result

    build.__name__ = name.rsplit(".", 1)[-1]
    build.__doc__ = f"`{_qualified(name)}` of one tensor."
    return build


def _binary(op_class, name: str, *, floats_only: bool = False):
    def build(lhs: ir.Value, rhs: ir.Value) -> ir.Value:
        check_same_types(name, lhs, rhs)
        if floats_only:
            check(is_float(dtype_of(lhs)), name, f"needs floating-point operands, got {dtype_of(lhs)}")
        return op_class(lhs, rhs).result

    build.__name__ = name.rsplit(".", 1)[-1]
    build.__doc__ = f"`{_qualified(name)}` of two tensors of one type."
    return build


negate = _unary(stablehlo.NegOp, "negate")
abs = _unary(stablehlo.AbsOp, "abs")  # noqa: A001 - the spec's name
sign = _unary(stablehlo.SignOp, "sign")
not_ = _unary(stablehlo.NotOp, "not")
exponential = _unary(stablehlo.ExpOp, "exponential", floats_only=True)
exponential_minus_one = _unary(stablehlo.Expm1Op, "exponential_minus_one", floats_only=True)
log = _unary(stablehlo.LogOp, "log", floats_only=True)
log_plus_one = _unary(stablehlo.Log1pOp, "log_plus_one", floats_only=True)
sqrt = _unary(stablehlo.SqrtOp, "sqrt", floats_only=True)
rsqrt = _unary(stablehlo.RsqrtOp, "rsqrt", floats_only=True)
tanh = _unary(stablehlo.TanhOp, "tanh", floats_only=True)
sine = _unary(stablehlo.SineOp, "sine", floats_only=True)
cosine = _unary(stablehlo.CosineOp, "cosine", floats_only=True)
tan = _unary(stablehlo.TanOp, "tan", floats_only=True)
logistic = _unary(stablehlo.LogisticOp, "logistic", floats_only=True)
floor = _unary(stablehlo.FloorOp, "floor", floats_only=True)
ceil = _unary(stablehlo.CeilOp, "ceil", floats_only=True)
round_nearest_even = _unary(stablehlo.RoundNearestEvenOp, "round_nearest_even", floats_only=True)
is_finite = _unary(stablehlo.IsFiniteOp, "is_finite", floats_only=True)  # result is i1


add = _binary(stablehlo.AddOp, "add")
subtract = _binary(stablehlo.SubtractOp, "subtract")
multiply = _binary(stablehlo.MulOp, "multiply")
divide = _binary(stablehlo.DivOp, "divide")
remainder = _binary(stablehlo.RemOp, "remainder")
power = _binary(stablehlo.PowOp, "power")
maximum = _binary(stablehlo.MaxOp, "maximum")
minimum = _binary(stablehlo.MinOp, "minimum")
and_ = _binary(stablehlo.AndOp, "and")
or_ = _binary(stablehlo.OrOp, "or")
xor = _binary(stablehlo.XorOp, "xor")
atan2 = _binary(stablehlo.Atan2Op, "atan2")

COMPARISON_DIRECTIONS = ("EQ", "NE", "LT", "LE", "GT", "GE")


def comparison_type(dtype: np.dtype) -> str:
    """The spec's compare_type for an element type: FLOAT, UNSIGNED (also bool) or SIGNED."""
    if is_float(dtype):
        return "FLOAT"
    if is_unsigned(dtype) or dtype == np.bool_:
        return "UNSIGNED"
    return "SIGNED"


def compare(lhs: ir.Value, rhs: ir.Value, direction: str) -> ir.Value:
    """`stablehlo.compare`: an i1 tensor of the operands' shape."""
    check(direction in COMPARISON_DIRECTIONS, "compare", f"unknown direction {direction!r}")
    check_same_types("compare", lhs, rhs)
    return stablehlo.CompareOp(
        lhs,
        rhs,
        stablehlo.ComparisonDirectionAttr.get(direction),
        compare_type=stablehlo.ComparisonTypeAttr.get(comparison_type(dtype_of(lhs))),
    ).result


def select(pred: ir.Value, on_true: ir.Value, on_false: ir.Value) -> ir.Value:
    """`stablehlo.select`: pred is i1 of the branches' shape, or an i1 scalar."""
    check_same_types("select", on_true, on_false)
    check(dtype_of(pred) == np.bool_, "select", f"predicate must be i1, got {pred.type}")
    check(
        shape_of(pred) in ((), shape_of(on_true)),
        "select",
        f"predicate shape {shape_of(pred)} must be () or {shape_of(on_true)}",
    )
    return stablehlo.SelectOp(pred, on_true, on_false).result


def clamp(low: ir.Value, operand: ir.Value, high: ir.Value) -> ir.Value:
    return stablehlo.ClampOp(low, operand, high).result


def convert(operand: ir.Value, dtype) -> ir.Value:
    """`stablehlo.convert` to another element type (same shape).

    Conversion to bool is spelled as `operand != 0` by callers: the spec leaves
    convert-to-i1 as a truncation on some backends, which is not NumPy's rule.
    """
    dtype = np.dtype(dtype)
    if dtype_of(operand) == dtype:
        return operand
    if dtypes.is_complex(dtype) or dtypes.is_complex(dtype_of(operand)):  # (see ir/dtypes.py's _COMPUTED_ONLY)
        raise dtypes.UnsupportedElementType(f"no conversion between {dtype_of(operand)} and {dtype} is built: "
                                            "complex values come from stablehlo.complex, and leave by real/imag")
    return stablehlo.ConvertOp(dtypes.tensor_type(shape_of(operand), dtype), operand).result


def bitcast_convert(operand: ir.Value, dtype) -> ir.Value:
    """`stablehlo.bitcast_convert`: reinterpret bits. To a wider type the operand's last dim
    holds the pieces (e.g. ui8[n, 4] -> f32[n]); between equal widths the shape is kept."""
    dtype = np.dtype(dtype)
    in_dtype, in_shape = dtype_of(operand), shape_of(operand)
    check(dtype != np.bool_ and in_dtype != np.bool_, "bitcast_convert", "i1 has no byte width: compare with zero instead")
    if dtype.itemsize == in_dtype.itemsize:
        out_shape = in_shape
    elif dtype.itemsize > in_dtype.itemsize:
        ratio = dtype.itemsize // in_dtype.itemsize
        check(bool(in_shape) and in_shape[-1] == ratio, "bitcast_convert",
              f"to {dtype} the operand's last dim must be {ratio}, got shape {in_shape}")
        out_shape = in_shape[:-1]
    else:
        out_shape = in_shape + (in_dtype.itemsize // dtype.itemsize,)
    return stablehlo.BitcastConvertOp(dtypes.tensor_type(out_shape, dtype), operand).result


# -- integer bit ops and the remaining unary float ops -------------------------------------------

def _integer_binary(op_class, name: str):
    def build(lhs: ir.Value, rhs: ir.Value) -> ir.Value:
        check_same_types(name, lhs, rhs)
        check(dtype_of(lhs).kind in "iu", name, f"needs integer operands, got {dtype_of(lhs)}")
        return op_class(lhs, rhs).result

    build.__name__ = name
    build.__doc__ = f"`stablehlo.{name}` of two integer tensors of one type (shift >= width: spec-defined, see below)."
    return build


def _integer_unary(op_class, name: str):
    def build(operand: ir.Value) -> ir.Value:
        check(dtype_of(operand).kind in "iu", name, f"needs an integer operand, got {dtype_of(operand)}")
        return op_class(operand).result

    build.__name__ = name
    build.__doc__ = f"`stablehlo.{name}` of one integer tensor; the result has the operand's type."
    return build


# The spec gives 0 for shift_left / shift_right_logical by >= the bit width (or a negative amount, read
# as unsigned), and the sign fill for shift_right_arithmetic; NumPy's rules are spelled in tracer/.
shift_left = _integer_binary(stablehlo.ShiftLeftOp, "shift_left")
shift_right_arithmetic = _integer_binary(stablehlo.ShiftRightArithmeticOp, "shift_right_arithmetic")
shift_right_logical = _integer_binary(stablehlo.ShiftRightLogicalOp, "shift_right_logical")
popcnt = _integer_unary(stablehlo.PopulationCountOp, "popcnt")
count_leading_zeros = _integer_unary(stablehlo.ClzOp, "count_leading_zeros")
cbrt = _unary(stablehlo.CbrtOp, "cbrt", floats_only=True)
round_nearest_afz = _unary(stablehlo.RoundOp, "round_nearest_afz", floats_only=True)


def optimization_barrier(operand: ir.Value) -> ir.Value:
    """`stablehlo.optimization_barrier` of one tensor: the same value, opaque to XLA's rewrites.

    XLA's algebraic simplifier turns `x / constant` into `x * (1 / constant)`, which is off by an ulp
    for divisors like 10; a divisor behind the barrier is divided by exactly, as NumPy does.
    """
    return stablehlo.OptimizationBarrierOp([operand]).results[0]


def reduce_precision(operand: ir.Value, exponent_bits: int, mantissa_bits: int) -> ir.Value:
    """`stablehlo.reduce_precision`: each element rounded to a float of `exponent_bits` and `mantissa_bits`
    (with the operand's own widths, the identity: `tracer.stop_gradient` marks one)."""
    check(is_float(dtype_of(operand)), "reduce_precision", f"needs a floating-point operand, got {dtype_of(operand)}")
    check(exponent_bits >= 1 and mantissa_bits >= 0, "reduce_precision",
          f"needs exponent_bits >= 1 and mantissa_bits >= 0, got {exponent_bits} and {mantissa_bits}")
    return stablehlo.ReducePrecisionOp(operand, exponent_bits, mantissa_bits).result
