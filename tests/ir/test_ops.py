"""`ir.ops` builders, `ir.FunctionBuilder`, `ir.dtypes` and module text in/out.

Each op is checked twice: its printed IR against FileCheck directives, and its
meaning by running the module in the StableHLO reference interpreter
(`stablehlo.eval_module`) and comparing with NumPy. Negative cases check that the
builders refuse what the StableHLO spec forbids with `ir.ops.OpBuildError`.
"""

from __future__ import annotations

import importlib
import types

import ml_dtypes
import numpy as np
import pytest
from helpers import interpret, undeclared_exports
from helpers_filecheck import filecheck
from jaxlib.mlir import ir as mlir

import ir
from ir import dtypes, ops
from ir.errors import PyreactantError

F32 = np.dtype(np.float32)
rng = np.random.default_rng(1)


# --------------------------------------------------------------------------- helpers


def build(arg_specs, body, *, name="main", module_name=None):
    """A module whose @name takes `arg_specs` [(shape, dtype)] and returns body(*arguments) (a value or a list)."""
    builder = ir.FunctionBuilder(name, [(tuple(shape), np.dtype(dtype)) for shape, dtype in arg_specs],
                                 module_name=module_name)
    with builder.context, mlir.Location.unknown(), mlir.InsertionPoint(builder.block):
        results = body(*builder.arguments)
    results = list(results) if isinstance(results, (list, tuple)) else [results]
    module = builder.finish(results)
    ir.verify(module)
    return module


def build_fails(arg_specs, body):
    """Run `body` in a fresh builder; return the OpBuildError it raises."""
    builder = ir.FunctionBuilder("main", [(tuple(shape), np.dtype(dtype)) for shape, dtype in arg_specs])
    with builder.context, mlir.Location.unknown(), mlir.InsertionPoint(builder.block):
        with pytest.raises(ops.OpBuildError) as info:
            body(*builder.arguments)
    return info.value


def check_values(module, inputs, expected, **tol):
    (actual,) = interpret(module, *inputs)
    expected = np.asarray(expected)
    assert actual.shape == expected.shape
    assert actual.dtype == expected.dtype, (actual.dtype, expected.dtype)
    if expected.dtype.kind == "f":
        np.testing.assert_allclose(actual, expected, **({"rtol": 1e-6, "atol": 1e-6} | tol))
    else:
        np.testing.assert_array_equal(actual, expected)


def text(module) -> str:
    return ir.print_module(module)


def test_filecheck_helper_rejects_a_mismatch():
    filecheck("a = stablehlo.add\nb\n", "CHECK: stablehlo.add\nCHECK-NEXT: b")
    with pytest.raises(AssertionError, match="FileCheck failed"):
        filecheck("a = stablehlo.add\n", "CHECK: stablehlo.multiply")
    with pytest.raises(AssertionError):
        filecheck("stablehlo.add\nstablehlo.add\n", "CHECK: stablehlo.add\nCHECK-NOT: stablehlo.add")


# --------------------------------------------------------------------------- FunctionBuilder


def test_function_builder_module_shape():
    module = build([((2, 3), np.float32), ((), np.int32)], lambda x, i: [x, i], module_name="jit_demo")
    filecheck(text(module), """
        CHECK: module @jit_demo {
        CHECK-NEXT: func.func public @main(%arg0: tensor<2x3xf32>, %arg1: tensor<i32>) -> (tensor<2x3xf32>, tensor<i32>) {
        CHECK-NEXT: return %arg0, %arg1 : tensor<2x3xf32>, tensor<i32>
    """)
    x, i = rng.standard_normal((2, 3)).astype(np.float32), np.int32(7)
    out_x, out_i = interpret(module, x, i)
    np.testing.assert_array_equal(out_x, x)
    assert out_i == 7 and out_i.dtype == np.int32


def test_function_builder_argument_attributes():
    builder = ir.FunctionBuilder("main", [((3,), F32), ((3,), F32)])
    with builder.context, mlir.Location.unknown(), mlir.InsertionPoint(builder.block):
        result = ops.add(*builder.arguments)
    builder.set_argument_attribute(1, "jax.buffer_donor", mlir.BoolAttr.get(True, context=builder.context))
    module = builder.finish([result])
    ir.verify(module)
    filecheck(text(module), """
        CHECK: func.func public @main(%arg0: tensor<3xf32>, %arg1: tensor<3xf32> {jax.buffer_donor = true})
    """)


def test_source_locations_are_printed_with_debug_info():
    builder = ir.FunctionBuilder("main", [((3,), F32)])
    with builder.context, mlir.InsertionPoint(builder.block):
        with mlir.Location.file("model.py", 12, 0):
            result = ops.exponential(builder.arguments[0])
    module = builder.finish([result])
    assert "loc(" not in ir.print_module(module)
    filecheck(ir.print_module(module, debug_info=True), """
        CHECK: stablehlo.exponential {{.*}} loc([[LOC:#loc[0-9]*]])
        CHECK: [[LOC]] = loc("model.py":12:0)
    """)


def test_user_frame_is_the_calling_test():
    frame = ir.user_frame()
    assert frame.f_code.co_filename == __file__
    assert frame.f_code.co_name == "test_user_frame_is_the_calling_test"


# --------------------------------------------------------------------------- elementwise

UNARY_FLOAT = [
    (ops.negate, "negate", np.negative, None),
    (ops.abs, "abs", np.abs, None),
    (ops.sign, "sign", np.sign, None),
    (ops.exponential, "exponential", np.exp, None),
    (ops.exponential_minus_one, "exponential_minus_one", np.expm1, None),
    (ops.log, "log", np.log, "positive"),
    (ops.log_plus_one, "log_plus_one", np.log1p, "positive"),
    (ops.sqrt, "sqrt", np.sqrt, "positive"),
    (ops.rsqrt, "rsqrt", lambda x: 1 / np.sqrt(x), "positive"),
    (ops.tanh, "tanh", np.tanh, None),
    (ops.sine, "sine", np.sin, None),
    (ops.cosine, "cosine", np.cos, None),
    (ops.tan, "tan", np.tan, None),
    (ops.logistic, "logistic", lambda x: 1 / (1 + np.exp(-x)), None),
    (ops.floor, "floor", np.floor, None),
    (ops.ceil, "ceil", np.ceil, None),
    (ops.round_nearest_even, "round_nearest_even", np.rint, None),
]


@pytest.mark.parametrize(("builder", "op_name", "reference", "domain"), UNARY_FLOAT, ids=[u[1] for u in UNARY_FLOAT])
def test_unary_float_ops(builder, op_name, reference, domain):
    x = np.array([[-1.5, -0.5, 0.0], [0.5, 1.2, 2.5]], np.float32)
    if domain == "positive":
        x = np.abs(x) + 0.25
    module = build([((2, 3), F32)], builder)
    filecheck(text(module), f"""
        CHECK: %[[R:.*]] = stablehlo.{op_name} %arg0 : tensor<2x3xf32>
        CHECK-NEXT: return %[[R]] : tensor<2x3xf32>
    """)
    check_values(module, [x], reference(x).astype(np.float32), rtol=2e-6)


def test_is_finite_returns_i1():
    x = np.array([1.0, np.inf, -np.inf, np.nan, 0.0], np.float32)
    module = build([((5,), F32)], ops.is_finite)
    filecheck(text(module), "CHECK: stablehlo.is_finite %arg0 : (tensor<5xf32>) -> tensor<5xi1>")
    check_values(module, [x], np.isfinite(x))


BINARY_FLOAT = [
    (ops.add, "add", np.add),
    (ops.subtract, "subtract", np.subtract),
    (ops.multiply, "multiply", np.multiply),
    (ops.divide, "divide", np.divide),
    (ops.remainder, "remainder", np.fmod),
    (ops.power, "power", lambda a, b: np.power(np.abs(a), b)),
    (ops.maximum, "maximum", np.maximum),
    (ops.minimum, "minimum", np.minimum),
    (ops.atan2, "atan2", np.arctan2),
]


@pytest.mark.parametrize(("builder", "op_name", "reference"), BINARY_FLOAT, ids=[b[1] for b in BINARY_FLOAT])
def test_binary_float_ops(builder, op_name, reference):
    a = np.array([[-2.5, 1.0, 3.0], [4.5, -7.0, 0.5]], np.float32)
    b = np.array([[1.5, -2.0, 0.5], [2.0, 3.0, -1.5]], np.float32)
    if op_name == "power":
        a = np.abs(a)
    module = build([((2, 3), F32), ((2, 3), F32)], builder)
    filecheck(text(module), f"CHECK: stablehlo.{op_name} %arg0, %arg1 : tensor<2x3xf32>")
    check_values(module, [a, b], reference(a, b).astype(np.float32), rtol=2e-6)


def _wrap(values, dtype):
    """Python ints reduced modulo 2**bits into `dtype` (two's complement wrap-around)."""
    bits = np.iinfo(dtype).bits
    wrapped = [v % (1 << bits) for v in values]
    if np.iinfo(dtype).min < 0:
        wrapped = [v - (1 << bits) if v >= 1 << (bits - 1) else v for v in wrapped]
    return np.array(wrapped, dtype)


@pytest.mark.parametrize("dtype", [np.int8, np.int32, np.int64, np.uint8, np.uint32, np.uint64])
def test_integer_arithmetic_truncates_and_wraps(dtype):
    info = np.iinfo(dtype)
    if info.min < 0:
        a = np.array([7, -7, 7, -7, info.max, info.min], dtype)
        b = np.array([2, 2, -2, -2, 3, 7], dtype)  # (min / -1 is implementation-defined: left out)
    else:
        a = np.array([7, 8, 9, 255, 0, info.max], dtype)
        b = np.array([2, 3, 4, 16, 5, 7], dtype)
    spec = ((6,), dtype)
    pa, pb = [int(v) for v in a], [int(v) for v in b]
    # stablehlo.divide rounds toward zero and remainder takes the dividend's sign (C semantics).
    quotient = [abs(x) // abs(y) * (1 if (x < 0) == (y < 0) else -1) for x, y in zip(pa, pb)]
    check_values(build([spec, spec], ops.divide), [a, b], _wrap(quotient, dtype))
    check_values(build([spec, spec], ops.remainder), [a, b], _wrap([x - q * y for x, y, q in zip(pa, pb, quotient)], dtype))
    check_values(build([spec, spec], ops.maximum), [a, b], np.maximum(a, b))
    # Wrap-around on overflow.
    check_values(build([spec, spec], ops.add), [a, b], _wrap([x + y for x, y in zip(pa, pb)], dtype))
    check_values(build([spec, spec], ops.multiply), [a, b], _wrap([x * y for x, y in zip(pa, pb)], dtype))


@pytest.mark.parametrize("dtype", [np.bool_, np.int32, np.uint8])
def test_bitwise_ops(dtype):
    if dtype == np.bool_:
        a = np.array([True, True, False, False])
        b = np.array([True, False, True, False])
    else:
        a = np.array([0b1100, 0b1010, 0, 255], dtype)
        b = np.array([0b1010, 0b0110, 255, 1], dtype)
    spec = ((4,), dtype)
    check_values(build([spec, spec], ops.and_), [a, b], a & b)
    check_values(build([spec, spec], ops.or_), [a, b], a | b)
    check_values(build([spec, spec], ops.xor), [a, b], a ^ b)
    check_values(build([spec], ops.not_), [a], ~a)


@pytest.mark.parametrize("direction", ops.COMPARISON_DIRECTIONS)
@pytest.mark.parametrize(("dtype", "compare_type"),
                         [(np.float32, "FLOAT"), (np.int8, "SIGNED"), (np.uint8, "UNSIGNED"), (np.bool_, "UNSIGNED")])
def test_compare(direction, dtype, compare_type):
    if dtype == np.bool_:
        a = np.array([True, True, False, False])
        b = np.array([True, False, True, False])
    elif dtype == np.uint8:
        a = np.array([200, 1, 5, 128], dtype)  # 200 > 1 only when compared unsigned
        b = np.array([1, 200, 5, 127], dtype)
    else:
        a = np.array([-3, 2, 5, -1], dtype)
        b = np.array([2, -3, 5, -1], dtype)
    spec = ((4,), dtype)
    module = build([spec, spec], lambda x, y: ops.compare(x, y, direction))
    filecheck(text(module), f"CHECK: stablehlo.compare  {direction}, %arg0, %arg1,  {compare_type}")
    reference = {"EQ": np.equal, "NE": np.not_equal, "LT": np.less, "LE": np.less_equal,
                 "GT": np.greater, "GE": np.greater_equal}[direction]
    check_values(module, [a, b], reference(a, b))


def test_select_with_tensor_and_scalar_predicate():
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    b = -a
    pred = np.array([[True, False, True], [False, False, True]])
    spec = ((2, 3), F32)
    module = build([((2, 3), np.bool_), spec, spec], ops.select)
    filecheck(text(module), "CHECK: stablehlo.select %arg0, %arg1, %arg2 : tensor<2x3xi1>, tensor<2x3xf32>")
    check_values(module, [pred, a, b], np.where(pred, a, b))
    scalar_module = build([((), np.bool_), spec, spec], ops.select)
    check_values(scalar_module, [np.bool_(False), a, b], b)


def test_clamp():
    x = np.array([-2.0, 0.3, 5.0], np.float32)
    module = build([((3,), F32)], lambda v: ops.clamp(ops.constant(np.float32(0)), v, ops.constant(np.float32(1))))
    filecheck(text(module), "CHECK: stablehlo.clamp")
    check_values(module, [x], np.clip(x, 0, 1))


@pytest.mark.parametrize(("source", "target"), [
    (np.float32, np.int32), (np.int32, np.float32), (np.float32, np.float16), (np.int8, np.int64),
    (np.uint8, np.int16), (np.float64, np.float32), (np.bool_, np.float32),
])
def test_convert(source, target):
    x = np.array([0, 1, 2, 100, 3], source) if source != np.bool_ else np.array([True, False, True, True, False])
    if np.dtype(source).kind == "f":
        x = np.array([-2.75, 0.5, 1.5, 100.25, 3.0], source)
    module = build([((5,), source)], lambda v: ops.convert(v, target))
    filecheck(text(module), "CHECK: stablehlo.convert %arg0")
    # float -> int truncates toward zero, as NumPy's astype does for in-range values.
    check_values(module, [x], x.astype(target))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_complex_from_parts_and_back(dtype):
    """complex_ builds complex64 (complex128) from float32 (float64) parts; real, imag and magnitude take it
    apart, against NumPy through the reference interpreter (complex values never enter as arguments)."""
    x, y = np.array([3.0, -1.5, 0.0], dtype), np.array([4.0, 2.0, -0.0], dtype)
    z = x + 1j * y

    def body(a, b):
        c = ops.complex_(a, b)
        assert ops.dtype_of(c) == z.dtype
        return [ops.real(c), ops.imag(c), ops.magnitude(c)]

    module = build([((3,), dtype), ((3,), dtype)], body)
    for actual, expected in zip(interpret(module, x, y), (z.real, z.imag, np.abs(z))):
        assert actual.dtype == expected.dtype
        np.testing.assert_array_equal(actual, expected)
    assert "must be float32 or float64" in str(build_fails([((2,), np.float16)] * 2, ops.complex_))
    assert "operand types differ" in str(build_fails([((2,), np.float32), ((2,), np.float64)], ops.complex_))
    assert "needs a complex operand" in str(build_fails([((2,), np.float32)], ops.real))


def test_convert_to_the_same_type_is_the_operand():
    module = build([((3,), F32)], lambda v: ops.convert(v, np.float32))
    filecheck(text(module), """
        CHECK-NOT: stablehlo.convert
        CHECK: return %arg0
    """)


# --------------------------------------------------------------------------- constants and iota


@pytest.mark.parametrize("dtype", [np.bool_, np.int8, np.int32, np.int64, np.uint16, np.uint64,
                                   np.float16, np.float32, np.float64])
def test_constant_round_trips_through_the_interpreter(dtype):
    if dtype == np.bool_:
        value = np.array([[True, False, True], [False, False, True]])
    elif np.dtype(dtype).kind in "iu":
        info = np.iinfo(dtype)
        value = np.array([[info.min, 0, 1], [info.max, 7, info.max - 1]], dtype)
    else:
        value = np.array([[-0.0, 0.0, np.inf], [-np.inf, 1.5, np.finfo(dtype).tiny]], dtype)
    module = build([], lambda: ops.constant(value))
    filecheck(text(module), f"CHECK: stablehlo.constant dense<{{{{.*}}}}> : tensor<2x3x{dtypes._mlir_spelling(dtypes.short_name(dtype))}>")
    (out,) = interpret(module)
    np.testing.assert_array_equal(out, value, strict=True)
    if np.dtype(dtype).kind == "f":
        np.testing.assert_array_equal(np.signbit(out), np.signbit(value))


def test_bfloat16_constant():
    value = np.array([1.5, -2.0, 0.0078125], ml_dtypes.bfloat16)
    module = build([], lambda: ops.convert(ops.constant(value), np.float32))
    filecheck(text(module), "CHECK: stablehlo.constant dense<[1.500000e+00, -2.000000e+00, 7.812500e-03]> : tensor<3xbf16>")
    (out,) = interpret(module)
    np.testing.assert_array_equal(out, value.astype(np.float32))


def test_splat_constant_is_stored_once():
    module = build([], lambda: ops.constant(np.full((4, 5), 2.5, np.float32)))
    filecheck(text(module), "CHECK: stablehlo.constant dense<2.500000e+00> : tensor<4x5xf32>")
    (out,) = interpret(module)
    np.testing.assert_array_equal(out, np.full((4, 5), 2.5, np.float32))


def test_zero_and_negative_zero_are_not_a_splat():
    value = np.array([0.0, -0.0, 0.0], np.float32)
    module = build([], lambda: ops.constant(value))
    filecheck(text(module), "CHECK: stablehlo.constant dense<[0.000000e+00, -0.000000e+00, 0.000000e+00]>")
    (out,) = interpret(module)
    np.testing.assert_array_equal(np.signbit(out), [False, True, False])


def test_nan_splat_constant():
    module = build([], lambda: ops.constant(np.full(3, np.nan, np.float32)))
    filecheck(text(module), "CHECK: stablehlo.constant dense<0x7FC00000> : tensor<3xf32>")
    (out,) = interpret(module)
    assert np.isnan(out).all()


@pytest.mark.parametrize("dimension", [0, 1, 2])
def test_iota(dimension):
    module = build([], lambda: ops.iota((2, 3, 4), dimension, np.int32))
    filecheck(text(module), f"CHECK: stablehlo.iota dim = {dimension} : tensor<2x3x4xi32>")
    shape = [1, 1, 1]
    shape[dimension] = (2, 3, 4)[dimension]
    expected = np.broadcast_to(np.arange(shape[dimension], dtype=np.int32).reshape(shape), (2, 3, 4))
    check_values(module, [], expected)


# --------------------------------------------------------------------------- shape ops


def test_reshape():
    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4)
    module = build([((2, 3, 4), F32)], lambda v: ops.reshape(v, (4, 6)))
    filecheck(text(module), "CHECK: stablehlo.reshape %arg0 : (tensor<2x3x4xf32>) -> tensor<4x6xf32>")
    check_values(module, [x], x.reshape(4, 6))


def test_transpose():
    x = np.arange(24, dtype=np.int32).reshape(2, 3, 4)
    module = build([((2, 3, 4), np.int32)], lambda v: ops.transpose(v, (2, 0, 1)))
    filecheck(text(module), "CHECK: stablehlo.transpose %arg0, dims = [2, 0, 1] : (tensor<2x3x4xi32>) -> tensor<4x2x3xi32>")
    check_values(module, [x], np.transpose(x, (2, 0, 1)))


@pytest.mark.parametrize(("in_shape", "out_shape", "dims"), [
    ((3,), (2, 3), (1,)),
    ((3,), (3, 2), (0,)),
    ((1, 3), (4, 3), (0, 1)),
    ((), (2, 2), ()),
    ((2, 1), (2, 5, 3), (0, 2)),
])
def test_broadcast_in_dim(in_shape, out_shape, dims):
    x = np.arange(int(np.prod(in_shape)), dtype=np.float32).reshape(in_shape)
    module = build([(in_shape, F32)], lambda v: ops.broadcast_in_dim(v, out_shape, dims))
    filecheck(text(module), f"CHECK: stablehlo.broadcast_in_dim %arg0, dims = [{', '.join(map(str, dims))}]")
    # NumPy reference: put operand dim i at result dim dims[i], size 1 elsewhere, then broadcast.
    view_shape = [1] * len(out_shape)
    for i, d in enumerate(dims):
        view_shape[d] = in_shape[i]
    check_values(module, [x], np.broadcast_to(x.reshape(view_shape), out_shape))


@pytest.mark.parametrize(("start", "limit", "strides"), [
    ((0, 0), (4, 5), (1, 1)),
    ((1, 2), (3, 5), (1, 1)),
    ((0, 1), (4, 5), (2, 3)),
    ((3, 0), (3, 5), (1, 1)),  # empty
])
def test_slice(start, limit, strides):
    x = np.arange(20, dtype=np.float32).reshape(4, 5)
    module = build([((4, 5), F32)], lambda v: ops.slice(v, start, limit, strides))
    filecheck(text(module), "CHECK: stablehlo.slice %arg0")
    expected = x[tuple(slice(s, l, st) for s, l, st in zip(start, limit, strides))]
    check_values(module, [x], expected)


def test_reverse():
    x = np.arange(12, dtype=np.int32).reshape(3, 4)
    module = build([((3, 4), np.int32)], lambda v: ops.reverse(v, [0, 1]))
    filecheck(text(module), "CHECK: stablehlo.reverse %arg0, dims = [0, 1] : tensor<3x4xi32>")
    check_values(module, [x], x[::-1, ::-1])


def _numpy_pad(x, value, low, high, interior):
    """StableHLO pad semantics in NumPy: interior padding, then edge padding (negative edges crop)."""
    shape = [n + max(n - 1, 0) * i for n, i in zip(x.shape, interior)]
    spread = np.full(shape, value, x.dtype)
    spread[tuple(slice(None, None, i + 1) for i in interior)] = x
    widths = [(max(lo, 0), max(hi, 0)) for lo, hi in zip(low, high)]
    padded = np.pad(spread, widths, constant_values=value)
    crop = tuple(slice(-min(lo, 0), padded.shape[d] + min(hi, 0)) for d, (lo, hi) in enumerate(zip(low, high)))
    return padded[crop]


@pytest.mark.parametrize(("low", "high", "interior"), [
    ((1, 0), (0, 2), (0, 0)),
    ((0, 1), (1, 0), (1, 2)),
    ((-1, 1), (0, -2), (0, 1)),
])
def test_pad(low, high, interior):
    x = np.arange(1, 13, dtype=np.float32).reshape(3, 4)
    module = build([((3, 4), F32)], lambda v: ops.pad(v, ops.constant(np.float32(-1)), low, high, interior))
    filecheck(text(module), f"""
        CHECK: stablehlo.pad %arg0, %{{{{.*}}}}, low = [{', '.join(map(str, low))}], high = [{', '.join(map(str, high))}], interior = [{', '.join(map(str, interior))}]
    """)
    check_values(module, [x], _numpy_pad(x, -1, low, high, interior))


def test_concatenate():
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    b = np.arange(8, dtype=np.float32).reshape(2, 4) + 100
    c = np.zeros((2, 1), np.float32)
    module = build([((2, 3), F32), ((2, 4), F32), ((2, 1), F32)], lambda x, y, z: ops.concatenate([x, y, z], 1))
    filecheck(text(module), "CHECK: stablehlo.concatenate %arg0, %arg1, %arg2, dim = 1 : (tensor<2x3xf32>, tensor<2x4xf32>, tensor<2x1xf32>) -> tensor<2x8xf32>")
    check_values(module, [a, b, c], np.concatenate([a, b, c], axis=1))


# --------------------------------------------------------------------------- dot_general and reduce


def test_dot_general_matmul():
    a = rng.standard_normal((2, 3)).astype(np.float32)
    b = rng.standard_normal((3, 4)).astype(np.float32)
    module = build([((2, 3), F32), ((3, 4), F32)], lambda x, y: ops.dot_general(x, y, contract=((1,), (0,))))
    filecheck(text(module), "CHECK: stablehlo.dot_general %arg0, %arg1, contracting_dims = [1] x [0] : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<2x4xf32>")
    check_values(module, [a, b], a @ b, rtol=1e-5)


def test_dot_general_batched_with_odd_dimension_order():
    a = rng.standard_normal((3, 5, 2)).astype(np.float32)  # contract dim 0, batch dim 2
    b = rng.standard_normal((2, 4, 3)).astype(np.float32)  # batch dim 0, contract dim 2
    module = build([((3, 5, 2), F32), ((2, 4, 3), F32)],
                   lambda x, y: ops.dot_general(x, y, batch=((2,), (0,)), contract=((0,), (2,))))
    filecheck(text(module), """
        CHECK: stablehlo.dot_general %arg0, %arg1, batching_dims = [2] x [0], contracting_dims = [0] x [2]
        CHECK-SAME: -> tensor<2x5x4xf32>
    """)
    check_values(module, [a, b], np.einsum("kib,bjk->bij", a, b), rtol=1e-5)


def test_dot_general_integer():
    a = np.arange(6, dtype=np.int32).reshape(2, 3)
    b = np.arange(6, dtype=np.int32).reshape(3, 2) - 3
    module = build([((2, 3), np.int32), ((3, 2), np.int32)], lambda x, y: ops.dot_general(x, y, contract=((1,), (0,))))
    check_values(module, [a, b], a @ b)


@pytest.mark.parametrize(("combiner", "init", "reference"), [
    (ops.add, 0.0, np.sum), (ops.maximum, -np.inf, np.max), (ops.minimum, np.inf, np.min), (ops.multiply, 1.0, np.prod),
])
@pytest.mark.parametrize("dims", [(0,), (1,), (0, 2), (0, 1, 2)])
def test_reduce(combiner, init, reference, dims):
    x = rng.uniform(0.5, 1.5, (2, 3, 4)).astype(np.float32)
    module = build([((2, 3, 4), F32)], lambda v: ops.reduce(v, ops.constant(np.float32(init)), dims, combiner))
    filecheck(text(module), f"""
        CHECK: stablehlo.reduce(%arg0 init: %{{{{.*}}}}) applies stablehlo.{combiner.__name__} across dimensions = [{', '.join(map(str, dims))}]
    """)
    check_values(module, [x], reference(x, axis=dims).astype(np.float32), rtol=1e-5)


def test_reduce_bool_with_or():
    x = np.array([[False, False, True], [False, False, False]])
    module = build([((2, 3), np.bool_)], lambda v: ops.reduce(v, ops.constant(np.bool_(False)), [1], ops.or_))
    check_values(module, [x], x.any(axis=1))


# --------------------------------------------------------------------------- builders refuse bad operands

NEGATIVE_CASES = {
    "add shapes": ([((2, 3), F32), ((3, 2), F32)], lambda x, y: ops.add(x, y), "add"),
    "add dtypes": ([((2, 3), F32), ((2, 3), np.float64)], lambda x, y: ops.add(x, y), "add"),
    "compare dtypes": ([((3,), F32), ((3,), np.int32)], lambda x, y: ops.compare(x, y, "LT"), "compare"),
    "compare direction": ([((3,), F32), ((3,), F32)], lambda x, y: ops.compare(x, y, "LESS"), "compare"),
    "exp of int": ([((3,), np.int32)], ops.exponential, "exponential"),
    "select predicate dtype": ([((3,), F32), ((3,), F32)], lambda x, y: ops.select(x, x, y), "select"),
    "select predicate shape": ([((2,), np.bool_), ((3,), F32)], lambda p, y: ops.select(p, y, y), "select"),
    "reshape size": ([((2, 3), F32)], lambda x: ops.reshape(x, (4, 2)), "reshape"),
    "transpose duplicate": ([((2, 3), F32)], lambda x: ops.transpose(x, (0, 0)), "transpose"),
    "transpose rank": ([((2, 3, 4), F32)], lambda x: ops.transpose(x, (1, 0)), "transpose"),
    "transpose out of range": ([((2, 3), F32)], lambda x: ops.transpose(x, (0, 2)), "transpose"),
    "dot contracting sizes": ([((2, 3), F32), ((2, 3), F32)], lambda x, y: ops.dot_general(x, y, contract=((1,), (0,))), "dot_general"),
    "dot batch sizes": ([((2, 3, 4), F32), ((5, 4, 3), F32)],
                        lambda x, y: ops.dot_general(x, y, batch=((0,), (0,)), contract=((2,), (1,))), "dot_general"),
    "dot list lengths": ([((2, 3), F32), ((3, 2), F32)], lambda x, y: ops.dot_general(x, y, contract=((1,), (0, 1))), "dot_general"),
    "dot dtypes": ([((2, 3), F32), ((3, 2), np.float64)], lambda x, y: ops.dot_general(x, y, contract=((1,), (0,))), "dot_general"),
    "dot dimension out of range": ([((2, 3), F32), ((3, 2), F32)], lambda x, y: ops.dot_general(x, y, contract=((2,), (0,))), "dot_general"),
    "dot dimension both batch and contracting": (
        [((2, 3), F32), ((2, 3), F32)], lambda x, y: ops.dot_general(x, y, batch=((0,), (0,)), contract=((0,), (0,))), "dot_general"),
    "slice limit past end": ([((4, 5), F32)], lambda x: ops.slice(x, (0, 0), (5, 5), (1, 1)), "slice"),
    "slice start after limit": ([((4, 5), F32)], lambda x: ops.slice(x, (3, 0), (2, 5), (1, 1)), "slice"),
    "slice negative start": ([((4, 5), F32)], lambda x: ops.slice(x, (-1, 0), (2, 5), (1, 1)), "slice"),
    "slice zero stride": ([((4, 5), F32)], lambda x: ops.slice(x, (0, 0), (4, 5), (1, 0)), "slice"),
    "slice rank": ([((4, 5), F32)], lambda x: ops.slice(x, (0,), (4,), (1,)), "slice"),
    "broadcast size": ([((3,), F32)], lambda x: ops.broadcast_in_dim(x, (2, 4), (1,)), "broadcast_in_dim"),
    "broadcast dims length": ([((3,), F32)], lambda x: ops.broadcast_in_dim(x, (3, 3), (0, 1)), "broadcast_in_dim"),
    "broadcast dims order": ([((3, 3), F32)], lambda x: ops.broadcast_in_dim(x, (3, 3), (1, 0)), "broadcast_in_dim"),
    "broadcast dim out of range": ([((3,), F32)], lambda x: ops.broadcast_in_dim(x, (3,), (1,)), "broadcast_in_dim"),
    "pad value shape": ([((3,), F32)], lambda x: ops.pad(x, ops.constant(np.zeros(1, np.float32)), (1,), (1,), (0,)), "pad"),
    "pad value dtype": ([((3,), F32)], lambda x: ops.pad(x, ops.constant(np.int32(0)), (1,), (1,), (0,)), "pad"),
    "pad negative interior": ([((3,), F32)], lambda x: ops.pad(x, ops.constant(np.float32(0)), (0,), (0,), (-1,)), "pad"),
    "pad negative size": ([((3,), F32)], lambda x: ops.pad(x, ops.constant(np.float32(0)), (-2,), (-2,), (0,)), "pad"),
    "pad list lengths": ([((2, 3), F32)], lambda x: ops.pad(x, ops.constant(np.float32(0)), (1,), (1,), (0,)), "pad"),
    "concatenate shapes": ([((2, 3), F32), ((2, 4), F32)], lambda x, y: ops.concatenate([x, y], 0), "concatenate"),
    "concatenate dtypes": ([((2, 3), F32), ((2, 3), np.int32)], lambda x, y: ops.concatenate([x, y], 0), "concatenate"),
    "concatenate nothing": ([], lambda: ops.concatenate([], 0), "concatenate"),
    "concatenate dimension out of range": ([((2, 3), F32), ((2, 3), F32)], lambda x, y: ops.concatenate([x, y], 2), "concatenate"),
    "reverse out of range": ([((2, 3), F32)], lambda x: ops.reverse(x, (2,)), "reverse"),
    "reverse duplicate": ([((2, 3), F32)], lambda x: ops.reverse(x, (0, 0)), "reverse"),
    "reduce dims": ([((2, 3), F32)], lambda x: ops.reduce(x, ops.constant(np.float32(0)), (2,), ops.add), "reduce"),
    "reduce duplicate dims": ([((2, 3), F32)], lambda x: ops.reduce(x, ops.constant(np.float32(0)), (0, 0), ops.add), "reduce"),
    "reduce init dtype": ([((2, 3), F32)], lambda x: ops.reduce(x, ops.constant(np.int32(0)), (0,), ops.add), "reduce"),
    "reduce init shape": ([((2, 3), F32)], lambda x: ops.reduce(x, ops.constant(np.zeros(2, np.float32)), (0,), ops.add), "reduce"),
    "iota dimension": ([], lambda: ops.iota((2, 3), 2, np.int32), "iota"),
}


@pytest.mark.parametrize("case", NEGATIVE_CASES, ids=list(NEGATIVE_CASES))
def test_builders_refuse_what_the_spec_forbids(case):
    arg_specs, body, op_name = NEGATIVE_CASES[case]
    error = build_fails(arg_specs, body)
    assert isinstance(error, ValueError)
    assert str(error).startswith(f"stablehlo.{op_name}: "), str(error)


def test_op_build_error_messages_name_the_shapes():
    error = build_fails([((2, 3), F32), ((2, 3), F32)], lambda x, y: ops.dot_general(x, y, contract=((1,), (0,))))
    assert "(2, 3)" in str(error) and "size 3" in str(error) and "size 2" in str(error)
    error = build_fails([((2, 3), F32)], lambda x: ops.reshape(x, (4, 2)))
    assert "(2, 3)" in str(error) and "(4, 2)" in str(error)
    error = build_fails([((2, 3), F32)], lambda x: ops.transpose(x, (0, 0)))
    assert "[0, 0]" in str(error)


def test_unsupported_dtype_in_a_builder_is_a_type_error():
    builder = ir.FunctionBuilder("main", [((3,), F32)])
    with builder.context, mlir.Location.unknown(), mlir.InsertionPoint(builder.block):
        with pytest.raises(TypeError, match="complex64"):
            ops.convert(builder.arguments[0], np.complex64)
        with pytest.raises(TypeError, match="complex64"):
            ops.constant(np.ones(2, np.complex64))


# --------------------------------------------------------------------------- dtypes

EXPECTED_SPELLINGS = {
    np.bool_: ("i1", "i1"), np.int8: ("i8", "i8"), np.int16: ("i16", "i16"), np.int32: ("i32", "i32"),
    np.int64: ("i64", "i64"), np.uint8: ("u8", "ui8"), np.uint16: ("u16", "ui16"), np.uint32: ("u32", "ui32"),
    np.uint64: ("u64", "ui64"), np.float16: ("f16", "f16"), ml_dtypes.bfloat16: ("bf16", "bf16"),
    np.float32: ("f32", "f32"), np.float64: ("f64", "f64"),
}


def test_supported_dtypes_are_exactly_these():
    assert set(dtypes.SUPPORTED_DTYPES) == {np.dtype(d) for d in EXPECTED_SPELLINGS}


@pytest.mark.parametrize("dtype", list(EXPECTED_SPELLINGS), ids=lambda d: np.dtype(d).name)
def test_dtype_round_trips(dtype):
    dtype = np.dtype(dtype)
    short, mlir_spelling = EXPECTED_SPELLINGS[dtype.type]
    assert dtypes.is_supported(dtype)
    assert dtypes.short_name(dtype) == short
    assert dtypes.from_short_name(short) == dtype
    with ir.make_context(), mlir.Location.unknown():
        element_type = dtypes.to_mlir(dtype)
        assert str(element_type) == mlir_spelling
        assert dtypes.from_mlir(element_type) == dtype
        tensor = dtypes.tensor_type((2, 0, 3), dtype)
        assert str(tensor) == f"tensor<2x0x3x{mlir_spelling}>"
    # And through a real value: a module argument of that type, parsed back from text.
    module = build([((4,), dtype)], lambda x: x)
    filecheck(text(module), f"CHECK: func.func public @main(%arg0: tensor<4x{mlir_spelling}>) -> tensor<4x{mlir_spelling}>")
    reparsed = ir.parse_module(text(module))
    with reparsed.context:
        main = reparsed.body.operations[0]
        (argument,) = main.regions[0].blocks[0].arguments
        assert dtypes.shape_and_dtype(argument) == ((4,), dtype)


def test_bool_alias_and_unknown_short_names():
    assert dtypes.from_short_name("bool") == np.dtype(np.bool_)
    with pytest.raises(ValueError, match="f128"):
        dtypes.from_short_name("f128")


@pytest.mark.parametrize("dtype", [object, np.str_, np.dtype("datetime64[s]")])
def test_unsupported_dtypes(dtype):
    assert not dtypes.is_supported(dtype)
    with ir.make_context():
        with pytest.raises(TypeError, match="not supported"):
            dtypes.to_mlir(dtype)


@pytest.mark.parametrize("dtype, spelling", [(np.complex64, "complex<f32>"), (np.complex128, "complex<f64>")])
def test_complex_types_are_computed_but_not_supported_as_inputs(dtype, spelling):
    """IR holds complex values (np.linalg.eig's), so they map both ways; arguments, constants and conversions
    stay real (is_supported is False, and the builders refuse them: see test_unsupported_dtype_in_a_builder)."""
    assert not dtypes.is_supported(dtype) and dtypes.is_complex(dtype)
    with ir.make_context():
        element_type = dtypes.to_mlir(dtype)
        assert str(element_type) == spelling and dtypes.from_mlir(element_type) == np.dtype(dtype)


def test_mlir_element_type_without_a_numpy_dtype():
    with ir.make_context():
        with pytest.raises(TypeError, match="f8E4M3FN"):
            dtypes.from_mlir(mlir.Float8E4M3FNType.get())
        with pytest.raises(TypeError, match="i4"):
            dtypes.from_mlir(mlir.IntegerType.get_signless(4))


# --------------------------------------------------------------------------- parsing and verifying text

VALID = """
func.func public @main(%a: tensor<2xf32>) -> tensor<2xf32> {
  %0 = stablehlo.multiply %a, %a : tensor<2xf32>
  return %0 : tensor<2xf32>
}
"""


def test_parse_print_round_trip_and_evaluate():
    module = ir.parse_module(VALID)
    printed = ir.print_module(module)
    filecheck(printed, """
        CHECK: func.func public @main(%arg0: tensor<2xf32>) -> tensor<2xf32>
        CHECK-NEXT: stablehlo.multiply %arg0, %arg0 : tensor<2xf32>
    """)
    assert ir.print_module(ir.parse_module(printed)) == printed
    x = np.array([1.5, -3.0], np.float32)
    check_values(module, [x], x * x)


@pytest.mark.parametrize(("source", "line", "diagnostic"), [
    ("func.func @main( {", 1, "expected"),
    ("this is not mlir", 1, "custom op 'this' is unknown"),
    (VALID.replace("stablehlo.multiply", "stablehlo.multiplyy"), 3, "stablehlo.multiplyy"),
    (VALID.replace("%0 = stablehlo.multiply %a, %a", "%0 = stablehlo.multiply %a, %b"), 3, "undeclared SSA value"),
    (VALID.replace("return %0 : tensor<2xf32>", "return %0 : tensor<3xf32>"), 4, "tensor<3xf32>"),
])
def test_parse_errors_carry_mlir_diagnostics(source, line, diagnostic):
    with pytest.raises(ir.MLIRParseError) as info:
        ir.parse_module(source)
    assert isinstance(info.value, ValueError)
    message = str(info.value)
    assert diagnostic in message
    assert f'loc("-":{line}:' in message, message  # MLIR's line:column of the offending text


def test_verify_reports_an_invalid_module():
    module = ir.parse_module(VALID)
    with module.context, mlir.Location.unknown():
        multiply = module.body.operations[0].regions[0].blocks[0].operations[0]
        multiply.result.set_type(mlir.RankedTensorType.get([2], mlir.F64Type.get()))
    with pytest.raises(ir.MLIRVerificationError) as info:
        ir.verify(module)
    assert isinstance(info.value, ValueError)
    message = str(info.value)
    assert "'stablehlo.multiply' op requires compatible types" in message
    assert 'loc("-":3:' in message and "tensor<2xf64>" in message


def test_make_context_loads_our_dialects():
    context = ir.make_context()
    for op_name in ("stablehlo.add", "chlo.erf", "sdy.sharding_constraint", "func.return"):
        assert context.is_registered_operation(op_name), op_name


def test_errors_of_the_ir_layer_share_the_error_base_without_a_location():
    error = build_fails([((2,), F32), ((3,), F32)], ops.add)
    assert isinstance(error, PyreactantError) and isinstance(error, ValueError)
    assert str(error).startswith("stablehlo.add: ") and error.where == ""
    with pytest.raises(ir.MLIRParseError) as info:
        ir.parse_module("this is not mlir")
    assert isinstance(info.value, PyreactantError) and info.value.where == ""


# --------------------------------------------------------------------------- exports


def test_ir_ops_exports_builders_not_the_family_modules():
    modules = [name for name in ops.__all__ if isinstance(getattr(ops, name), types.ModuleType)]
    assert modules == [], modules
    assert len(set(ops.__all__)) == len(ops.__all__)
    assert not {"shape", "random", "window", "indexing", "control_flow", "elementwise"} & set(ops.__all__)
    assert ops.shape_of is ir.query.shape and ops.dtype_of is ir.query.dtype


def test_dynamic_slices_are_indexing_ops():
    assert ops.dynamic_slice.__module__ == ops.dynamic_update_slice.__module__ == "ir.ops.indexing"
    assert "dynamic_slice" in importlib.import_module("ir.ops.indexing").__all__


def test_every_module_of_ir_has_an_explicit_all_of_names_it_defines():
    assert undeclared_exports(ir) == []

