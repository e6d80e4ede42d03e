"""`ir.query`: every reader against the values written in the `.mlir` text it reads, and what it
does with what is not there (absent attributes, block arguments, types it cannot read)."""

from __future__ import annotations

import math
import time

import ml_dtypes
import numpy as np
import pytest
from jaxlib.mlir import ir as mlir

import ir
from ir import query

MODULE = """
func.func private @helper(%x: tensor<3x3xf32>) -> tensor<3x3xf32> {
  return %x : tensor<3x3xf32>
}
func.func @main(%a: tensor<2x3xf32>, %b: tensor<2x3x4xf32>, %c: tensor<2x4x5xf32>, %idx: tensor<2x1xi32>,
                %k: tensor<2xui64>, %sq: tensor<3x3xf32>, %img: tensor<1x2x5x5xf32>, %w: tensor<4x1x2x2xf32>)
    -> (tensor<2x3x5xf32>, tensor<2x3xf32>) {
  %dot = stablehlo.dot_general %b, %c, batching_dims = [0] x [0], contracting_dims = [2] x [1]
       : (tensor<2x3x4xf32>, tensor<2x4x5xf32>) -> tensor<2x3x5xf32>
  %g = "stablehlo.gather"(%a, %idx) <{dimension_numbers = #stablehlo.gather<offset_dims = [1],
       collapsed_slice_dims = [0], start_index_map = [0], index_vector_dim = 1>, indices_are_sorted = true,
       slice_sizes = array<i64: 1, 3>}> : (tensor<2x3xf32>, tensor<2x1xi32>) -> tensor<2x3xf32>
  %s = "stablehlo.scatter"(%a, %idx, %g) <{scatter_dimension_numbers = #stablehlo.scatter<update_window_dims = [1],
       inserted_window_dims = [0], scatter_dims_to_operand_dims = [0], index_vector_dim = 1>, unique_indices = true}> ({
  ^bb0(%lhs: tensor<f32>, %rhs: tensor<f32>):
    stablehlo.return %rhs : tensor<f32>
  }) : (tensor<2x3xf32>, tensor<2x1xi32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  %t = "stablehlo.triangular_solve"(%sq, %sq) <{left_side = true, lower = true,
       transpose_a = #stablehlo<transpose TRANSPOSE>, unit_diagonal = false}> : (tensor<3x3xf32>, tensor<3x3xf32>) -> tensor<3x3xf32>
  %state, %bits = stablehlo.rng_bit_generator %k, algorithm = PHILOX : (tensor<2xui64>) -> (tensor<2xui64>, tensor<2xui32>)
  %call = func.call @helper(%t) : (tensor<3x3xf32>) -> tensor<3x3xf32>
  %conv = stablehlo.convolution(%img, %w) dim_numbers = [b, f, 0, 1]x[o, i, 0, 1]->[b, f, 0, 1],
       window = {stride = [2, 1], pad = [[1, 0], [0, 2]], lhs_dilate = [1, 2], rhs_dilate = [2, 1], reverse = [true, false]}
       {batch_group_count = 1 : i64, feature_group_count = 2 : i64}
       : (tensor<1x2x5x5xf32>, tensor<4x1x2x2xf32>) -> tensor<1x4x2x10xf32>
  %plain = stablehlo.convolution(%img, %w) dim_numbers = [b, f, 0, 1]x[o, i, 0, 1]->[b, f, 0, 1], window = {}
       {batch_group_count = 1 : i64, feature_group_count = 2 : i64}
       : (tensor<1x2x5x5xf32>, tensor<4x1x2x2xf32>) -> tensor<1x4x4x4xf32>
  %lt = stablehlo.compare LT, %a, %a, TOTALORDER : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xi1>
  %eq = stablehlo.compare EQ, %a, %a : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xi1>
  %tr = stablehlo.transpose %a, dims = [1, 0] : (tensor<2x3xf32>) -> tensor<3x2xf32>
  %cat = stablehlo.concatenate %a, %a, dim = 1 : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x6xf32>
  %io = stablehlo.iota dim = 1 : tensor<2x3xi32>
  %dense = stablehlo.constant dense<[[1.5, -2.0, 0.0], [4.0, 5.0, -0.0]]> : tensor<2x3xf32>
  %negzero = stablehlo.constant dense<-0.0> : tensor<2x3xf32>
  %seven = stablehlo.constant dense<7> : tensor<4xi32>
  %yes = stablehlo.constant dense<true> : tensor<2xi1>
  %mask = stablehlo.constant dense<[true, false]> : tensor<2xi1>
  %half = stablehlo.constant dense<0.5> : tensor<3xbf16>
  %bfs = stablehlo.constant dense<[0.5, 1.0, 2.0]> : tensor<3xbf16>
  %huge = stablehlo.constant dense<2.5> : tensor<100000x100000xf32>
  %empty = stablehlo.constant dense<> : tensor<0x3xf32>
  %sum = stablehlo.add %dense, %negzero : tensor<2x3xf32>
  %loop = stablehlo.while(%i = %seven) : tensor<4xi32> attributes {pyreactant.trip_count = 3 : i64}
    cond {
      %false = stablehlo.constant dense<false> : tensor<i1>
      stablehlo.return %false : tensor<i1>
    } do {
      %next = stablehlo.add %i, %i : tensor<4xi32>
      stablehlo.return %next : tensor<4xi32>
    }
  return %dot, %s : tensor<2x3x5xf32>, tensor<2x3xf32>
}
"""


@pytest.fixture(scope="module")
def module():
    parsed = ir.parse_module(MODULE)
    with parsed.context, mlir.Location.unknown():
        yield parsed


def by_result(module, name: str) -> mlir.Value:
    """The value named `%name` in MODULE: the n-th op of @main, in the text's order."""
    names = ["dot", "g", "s", "t", "state", "call", "conv", "plain", "lt", "eq", "tr", "cat", "io", "dense",
             "negzero", "seven", "yes", "mask", "half", "bfs", "huge", "empty", "sum", "loop"]
    ops = [op for op in query.main_function(module).regions[0].blocks[0].operations]
    return ops[names.index(name)].results[0]


def op_of(module, name: str) -> mlir.Operation:
    return query.defining_op(by_result(module, name))


# -- types -----------------------------------------------------------------------------------------

def test_shape_dtype_element_type_and_rank_of_values_and_types(module):
    dot = by_result(module, "dot")
    assert query.shape(dot) == (2, 3, 5) and query.shape(dot.type) == (2, 3, 5)
    assert query.rank(dot) == 3 and query.rank(by_result(module, "io").type) == 2
    assert query.dtype(dot) == np.float32
    assert query.dtype(by_result(module, "io")) == np.int32
    assert query.dtype(by_result(module, "half")) == np.dtype(ml_dtypes.bfloat16)
    assert query.dtype(by_result(module, "lt").type) == np.bool_
    assert str(query.element_type(dot)) == "f32" and str(query.element_type(by_result(module, "yes").type)) == "i1"
    assert query.shape(by_result(module, "empty")) == (0, 3)
    assert query.shape(by_result(module, "negzero")) == (2, 3) and query.rank(by_result(module, "loop")) == 1


def test_the_state_of_rng_bit_generator_is_unsigned(module):
    state = op_of(module, "state")
    assert query.dtype(state.results[0]) == np.uint64 and query.dtype(state.results[1]) == np.uint32
    assert query.shape(state.results[1]) == (2,)


def test_dtype_of_an_element_type_without_a_numpy_dtype_is_a_type_error():
    with mlir.Context(), mlir.Location.unknown():
        complex_type = mlir.RankedTensorType.get([2], mlir.ComplexType.get(mlir.F32Type.get()))
        assert query.shape(complex_type) == (2,) and query.dtype(complex_type) == np.complex64
        f8_type = mlir.RankedTensorType.get([2], mlir.Float8E4M3FNType.get())
        with pytest.raises(TypeError, match="f8E4M3FN"):
            query.dtype(f8_type)


# -- producers and constants ------------------------------------------------------------------------

def test_defining_op_of_a_result_and_of_a_block_argument(module):
    assert query.defining_op(by_result(module, "sum")).name == "stablehlo.add"
    assert query.defining_op(by_result(module, "state")).name == "stablehlo.rng_bit_generator"
    argument = query.main_function(module).regions[0].blocks[0].arguments[0]
    assert query.defining_op(argument) is None


def test_constant_value_of_a_dense_constant_is_the_written_array(module):
    value = query.constant_value(by_result(module, "dense"))
    expected = np.array([[1.5, -2.0, 0.0], [4.0, 5.0, -0.0]], np.float32)
    assert value.dtype == np.float32 and value.shape == (2, 3)
    np.testing.assert_array_equal(value, expected)
    np.testing.assert_array_equal(np.signbit(value), np.signbit(expected))  # -0.0 stays -0.0
    np.testing.assert_array_equal(query.constant_value(by_result(module, "mask")), np.array([True, False]))
    assert query.constant_value(by_result(module, "empty")).shape == (0, 3)


def test_constant_value_of_a_splat_is_one_element_broadcast(module):
    seven = query.constant_value(by_result(module, "seven"))
    np.testing.assert_array_equal(seven, np.full(4, 7, np.int32))
    assert seven.dtype == np.int32
    np.testing.assert_array_equal(query.constant_value(by_result(module, "yes")), np.array([True, True]))


def test_constant_value_of_a_huge_splat_does_not_materialise_it(module):
    start = time.perf_counter()
    huge = query.constant_value(by_result(module, "huge"))
    assert time.perf_counter() - start < 5.0  # 10^10 float32s would be 40 GB: it must be a view of one
    assert huge.shape == (100000, 100000) and huge.strides == (0, 0) and huge[123, 4567] == 2.5


def test_constant_value_of_an_empty_splat_is_an_empty_array():
    """An empty tensor written as a splat (fold makes them) has no element to broadcast: it reads as empty
    (reading it failed the simplify pass on np.inner of an empty array: 'cannot reshape array of size 0')."""
    parsed = ir.parse_module("func.func @main() -> tensor<1x0xi64> {\n"
                             "  %c = stablehlo.constant dense<7> : tensor<1x0xi64>\n"
                             "  return %c : tensor<1x0xi64>\n}")
    with parsed.context, mlir.Location.unknown():
        constant = list(query.main_function(parsed).regions[0].blocks[0].operations)[0]
        value = query.constant_value(constant.results[0])
    assert value.shape == (1, 0) and value.dtype == np.int64


def test_constant_value_is_none_for_non_constants_and_bfloat16(module):
    assert query.constant_value(by_result(module, "sum")) is None
    assert query.constant_value(by_result(module, "io")) is None  # an iota is not a constant
    assert query.constant_value(query.main_function(module).regions[0].blocks[0].arguments[0]) is None
    assert query.constant_value(by_result(module, "bfs")) is None  # bf16: the buffer protocol does not read it
    assert query.constant_value(by_result(module, "half")) is None


def test_splat_value_keeps_the_sign_of_zero_and_the_kind_of_number(module):
    negzero = query.splat_value(by_result(module, "negzero"))
    assert isinstance(negzero, float) and negzero == 0 and math.copysign(1.0, negzero) < 0
    seven = query.splat_value(by_result(module, "seven"))
    assert seven == 7 and isinstance(seven, int) and not isinstance(seven, bool)
    assert query.splat_value(by_result(module, "yes")) is True
    assert query.splat_value(by_result(module, "half")) == 0.5  # bf16 splats read (as a float)
    assert query.splat_value(by_result(module, "huge")) == 2.5


def test_splat_value_is_none_for_what_is_not_a_splat_constant(module):
    assert query.splat_value(by_result(module, "dense")) is None
    assert query.splat_value(by_result(module, "mask")) is None
    assert query.splat_value(by_result(module, "sum")) is None
    assert query.splat_value(query.main_function(module).regions[0].blocks[0].arguments[1]) is None


def test_splat_element_tells_bits_apart_that_numbers_do_not():
    module = ir.parse_module("""
    func.func @main() -> (tensor<2xf32>, tensor<3xf32>, tensor<f32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) {
      %a = stablehlo.constant dense<-0.0> : tensor<2xf32>
      %b = stablehlo.constant dense<-0.0> : tensor<3xf32>
      %c = stablehlo.constant dense<0.0> : tensor<f32>
      %d = stablehlo.constant dense<0x7FC00000> : tensor<2xf32>
      %e = stablehlo.constant dense<0x7FC00001> : tensor<2xf32>
      %f = stablehlo.constant dense<[1.0, 2.0]> : tensor<2xf32>
      return %a, %b, %c, %d, %e, %f : tensor<2xf32>, tensor<3xf32>, tensor<f32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>
    }""")
    with module.context:
        a, b, c, d, e, f = (op.results[0] for op in query.walk(module)[1:-1])
        assert query.splat_element(a) == query.splat_element(b)  # the same bits in two shapes
        assert query.splat_value(a) == query.splat_value(c) and query.splat_element(a) != query.splat_element(c)
        assert query.splat_element(d) != query.splat_element(e)  # two NaNs (their payloads differ)
        assert math.isnan(query.splat_value(d)) and math.isnan(query.splat_value(e))
        assert query.splat_element(f) is None


# -- attributes ------------------------------------------------------------------------------------

def test_i64s_reads_dense_i64_arrays_and_dense_int_elements(module):
    assert query.i64s(op_of(module, "tr"), "permutation") == [1, 0]
    assert query.i64s(op_of(module, "g"), "slice_sizes") == [1, 3]
    assert query.i64s(op_of(module, "conv"), "padding") == [1, 0, 0, 2]  # dense<[[1, 0], [0, 2]]> : tensor<2x2xi64>
    assert query.i64s(op_of(module, "conv"), "window_strides") == [2, 1]


def test_i64s_of_an_absent_or_other_attribute(module):
    transpose = op_of(module, "tr")
    with pytest.raises(KeyError, match="stablehlo.transpose has no attribute 'strides'"):
        query.i64s(transpose, "strides")
    assert query.i64s(transpose, "strides", [7]) == [7]
    with pytest.raises(TypeError, match="feature_group_count is not a list of integers"):
        query.i64s(op_of(module, "conv"), "feature_group_count")


def test_scalar_attributes_and_their_defaults(module):
    assert query.int_attr(op_of(module, "cat"), "dimension") == 1
    assert query.int_attr(op_of(module, "io"), "iota_dimension") == 1
    assert query.int_attr(op_of(module, "loop"), "pyreactant.trip_count") == 3
    assert query.int_attr(op_of(module, "tr"), "dimension") is None
    assert query.int_attr(op_of(module, "tr"), "dimension", 4) == 4
    assert query.bool_attr(op_of(module, "g"), "indices_are_sorted") is True
    assert query.bool_attr(op_of(module, "t"), "unit_diagonal") is False
    assert query.bool_attr(op_of(module, "s"), "indices_are_sorted") is False  # absent: the default
    assert query.bool_attr(op_of(module, "s"), "indices_are_sorted", True) is True
    helper = query.find_function(module, "helper")
    assert query.string_attr(helper, "sym_name") == "helper"
    assert query.string_attr(helper, "sym_visibility") == "private"
    assert query.string_attr(query.main_function(module), "sym_visibility") is None
    assert query.symbol_attr(op_of(module, "call"), "callee") == "helper"
    assert query.float_attr(op_of(module, "tr"), "missing", 1.5) == 1.5


def test_byte_flags_reads_a_typed_ffi_backend_config():
    module = ir.parse_module(
        'func.func @main(%a: tensor<2x2xf32>) -> tensor<2x2xf32> {\n'
        '  %0:2 = stablehlo.custom_call @lapack_spotrf_ffi(%a) {api_version = 4 : i32, '
        'backend_config = {uplo = 85 : ui8}} : (tensor<2x2xf32>) -> (tensor<2x2xf32>, tensor<i32>)\n'
        '  %1 = stablehlo.custom_call @other(%a) : (tensor<2x2xf32>) -> tensor<2x2xf32>\n'
        '  return %0#0 : tensor<2x2xf32>\n}')
    with module.context:
        potrf, other = [op for op in query.walk(module) if op.name == "stablehlo.custom_call"]
        assert query.byte_flags(potrf) == {"uplo": "U"}
        assert query.byte_flags(other) == {}


def test_float_attr_reads_a_float_attribute():
    module = ir.parse_module('func.func @main() attributes {scale = 0.25 : f32} { return }')
    with module.context:
        assert query.float_attr(query.main_function(module), "scale") == 0.25


@pytest.mark.parametrize(("result", "name", "expected"), [
    ("lt", "comparison_direction", "LT"),
    ("lt", "compare_type", "TOTALORDER"),
    ("eq", "comparison_direction", "EQ"),
    ("t", "transpose_a", "TRANSPOSE"),
    ("state", "rng_algorithm", "PHILOX"),
])
def test_enum_attr_reads_stablehlo_enums(module, result, name, expected):
    assert query.enum_attr(op_of(module, result), name) == expected


def test_enum_attr_of_an_absent_or_non_enum_attribute(module):
    eq = op_of(module, "eq")
    assert query.enum_attr(eq, "compare_type", None) is None
    with pytest.raises(KeyError, match="compare_type"):
        query.enum_attr(eq, "compare_type")
    with pytest.raises(TypeError, match="not a StableHLO enum"):
        query.enum_attr(op_of(module, "cat"), "dimension")


def test_optional_window_attributes_read_with_their_defaults(module):
    conv, plain = op_of(module, "conv"), op_of(module, "plain")
    assert query.i64s_or(conv, "lhs_dilation", [1, 1]) == [1, 2]
    assert query.i64s_or(plain, "lhs_dilation", (1, 1)) == [1, 1]
    assert query.padding_pairs(conv, 2) == [(1, 0), (0, 2)] and query.padding_pairs(plain, 2) == [(0, 0), (0, 0)]
    assert query.bools(conv, "window_reversal") == [True, False] and query.bools(plain, "window_reversal") == []


def test_precision_is_the_one_precision_of_both_operands():
    module = ir.parse_module("""
    func.func @main(%a: tensor<2x3xf32>, %b: tensor<3x4xf32>) -> (tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>) {
      %0 = stablehlo.dot_general %a, %b, contracting_dims = [1] x [0], precision = [HIGHEST, HIGHEST]
         : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<2x4xf32>
      %1 = stablehlo.dot_general %a, %b, contracting_dims = [1] x [0], precision = [DEFAULT, HIGH]
         : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<2x4xf32>
      %2 = stablehlo.dot_general %a, %b, contracting_dims = [1] x [0] : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<2x4xf32>
      return %0, %1, %2 : tensor<2x4xf32>, tensor<2x4xf32>, tensor<2x4xf32>
    }""")
    with module.context:
        both, mixed, absent = query.walk(module)[1:4]
        assert query.precision(both) == "HIGHEST"
        assert query.precision(mixed) is None and query.precision(absent) is None


# -- dimension numbers -----------------------------------------------------------------------------

def test_dot_dimensions(module):
    numbers = query.dot_dimensions(op_of(module, "dot"))
    assert numbers == query.DotDimensions(lhs_batch=(0,), rhs_batch=(0,), lhs_contract=(2,), rhs_contract=(1,))
    lhs_batch, rhs_batch, lhs_contract, rhs_contract = numbers
    assert (lhs_batch, rhs_batch, lhs_contract, rhs_contract) == ((0,), (0,), (2,), (1,))


def test_gather_dimensions(module):
    assert query.gather_dimensions(op_of(module, "g")) == query.GatherDimensions(
        offset_dims=(1,), collapsed_slice_dims=(0,), operand_batching_dims=(), start_indices_batching_dims=(),
        start_index_map=(0,), index_vector_dim=1, slice_sizes=(1, 3), indices_are_sorted=True)


def test_scatter_dimensions(module):
    assert query.scatter_dimensions(op_of(module, "s")) == query.ScatterDimensions(
        update_window_dims=(1,), inserted_window_dims=(0,), input_batching_dims=(), scatter_indices_batching_dims=(),
        scattered_dims_to_operand_dims=(0,), index_vector_dim=1, indices_are_sorted=False, unique_indices=True)


def test_convolution_dimensions_every_field(module):
    conv = query.convolution_dimensions(op_of(module, "conv"))
    assert conv.dimension_numbers == query.ConvDimensions.channels_first(2) == ir.ops.ConvDimensions(
        input_batch=0, input_feature=1, input_spatial=(2, 3), kernel_input_feature=1, kernel_output_feature=0,
        kernel_spatial=(2, 3), output_batch=0, output_feature=1, output_spatial=(2, 3))
    assert conv.window_strides == (2, 1)
    assert conv.padding == ((1, 0), (0, 2))
    assert conv.lhs_dilation == (1, 2) and conv.rhs_dilation == (2, 1)
    assert conv.window_reversal == (True, False)
    assert conv.feature_group_count == 2 and conv.batch_group_count == 1


def test_convolution_dimensions_fill_the_specs_defaults(module):
    conv = query.convolution_dimensions(op_of(module, "plain"))
    assert conv.window_strides == (1, 1) and conv.padding == ((0, 0), (0, 0))
    assert conv.lhs_dilation == (1, 1) and conv.rhs_dilation == (1, 1) and conv.window_reversal == (False, False)


def test_convolution_dimensions_read_back_what_the_builder_wrote():
    builder = ir.FunctionBuilder("main", [((2, 4, 9), np.float32), ((6, 2, 3), np.float32)])
    with builder.context, mlir.Location.unknown(), mlir.InsertionPoint(builder.block):
        x, w = builder.arguments
        dims = ir.ops.ConvDimensions(0, 1, (2,), 1, 0, (2,), 0, 1, (2,))
        result = ir.ops.convolution(x, w, dims, window_strides=[2], padding=[(1, 2)], lhs_dilation=[1],
                                    rhs_dilation=[2], feature_group_count=2)
        read = query.convolution_dimensions(query.defining_op(result))
    assert read == query.ConvolutionDimensions(dims, (2,), ((1, 2),), (1,), (2,), (False,), 2, 1)


# -- walking ---------------------------------------------------------------------------------------

def test_walk_lists_nested_ops_in_pre_and_post_order_without_the_root(module):
    pre = [op.name for op in query.walk(module)]
    post = [op.name for op in query.walk(module, "post")]
    assert "builtin.module" not in pre and "builtin.module" not in post
    assert pre[:2] == ["func.func", "func.return"] and pre.count("func.func") == 2
    assert pre.index("stablehlo.scatter") < pre.index("stablehlo.return")  # a parent before its region's ops
    assert post.index("stablehlo.return") < post.index("stablehlo.scatter")  # and after them in post order
    assert post[-1] == "func.func" and sorted(pre) == sorted(post)
    assert query.count_ops(module) == len(pre)


def test_walk_of_an_op_lists_only_what_its_regions_hold(module):
    loop = op_of(module, "loop")
    assert [op.name for op in query.walk(loop)] == ["stablehlo.constant", "stablehlo.return", "stablehlo.add",
                                                   "stablehlo.return"]
    assert query.count_ops(loop) == 4
    assert query.walk(op_of(module, "sum")) == [] and query.count_ops(op_of(module, "sum")) == 0


# -- functions -------------------------------------------------------------------------------------

def test_functions_and_finding_them(module):
    assert [query.string_attr(f, "sym_name") for f in query.functions(module)] == ["helper", "main"]
    main = query.main_function(module)
    assert query.string_attr(main, "sym_name") == "main" and main.operation.name == "func.func"
    assert query.find_function(module, "helper") is not None
    assert query.find_function(module, "nope") is None


def test_function_type(module):
    inputs, results = query.function_type(query.find_function(module, "helper"))
    assert [str(t) for t in inputs] == ["tensor<3x3xf32>"] and [str(t) for t in results] == ["tensor<3x3xf32>"]
    inputs, results = query.function_type(query.main_function(module))
    assert [query.shape(t) for t in inputs] == [(2, 3), (2, 3, 4), (2, 4, 5), (2, 1), (2,), (3, 3), (1, 2, 5, 5),
                                                (4, 1, 2, 2)]
    assert [query.shape(t) for t in results] == [(2, 3, 5), (2, 3)]


def test_a_module_without_main_is_a_key_error_without_a_location():
    module = ir.parse_module("func.func @other() { return }")
    with pytest.raises(query.FunctionNotFound) as info:
        query.main_function(module)
    assert isinstance(info.value, KeyError)
    assert str(info.value) == "the module has no func.func @main"  # no quotes, no `file:line:` prefix
    assert query.functions(ir.parse_module("module {}")) == []
