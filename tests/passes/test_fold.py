"""`fold` against the StableHLO reference interpreter: every folding rule, on drawn constants,
gives exactly what `stablehlo.eval_module` computes for the unfolded op; and against XLA, on every
dtype at its limits (where the interpreter itself traps: integer division by zero)."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import interpret
from hypothesis import given, settings
from hypothesis import strategies as st

import ir
import passes
import runtime
from passes.fold import EVALUATORS

BINARY = ["add", "subtract", "multiply", "divide", "maximum", "minimum", "and", "or", "xor"]
UNARY = ["negate", "abs", "not"]


def _literal(array: np.ndarray) -> str:
    """MLIR text of a 1-d constant; floats as hex bit patterns, so inf, nan and -0.0 survive exactly."""
    if array.dtype.kind == "f":
        body = ", ".join(f"0x{int(bits):08X}" for bits in array.view(np.uint32))
    else:
        body = ", ".join(str(int(v)) for v in array)
    return f"dense<[{body}]>"


def _module(op_text: str, operands: list[np.ndarray], result_type: str) -> str:
    short = {np.dtype(np.float32): "f32", np.dtype(np.int32): "i32"}
    lines = []
    for i, array in enumerate(operands):
        lines.append(f"  %c{i} = stablehlo.constant {_literal(array)} : tensor<{array.size}x{short[array.dtype]}>")
    lines.append(f"  %r = {op_text}")
    lines.append(f"  return %r : {result_type}")
    return f"func.func @main() -> {result_type} {{\n" + "\n".join(lines) + "\n}"


def _run(text: str) -> np.ndarray:
    (result,) = interpret(text)
    return result


def _ops_after_fold(text: str) -> list[str]:
    module = passes.run(text, "fold")
    return [op.operation.name for op in module.body.operations[0].regions[0].blocks[0].operations]


values_f32 = st.lists(st.sampled_from([0.0, -0.0, 1.0, -2.5, 3.0, 1e30, -1e30, np.inf, -np.inf, np.nan, 7.25]),
                      min_size=4, max_size=4).map(lambda v: np.array(v, np.float32))
values_i32 = st.lists(st.integers(-(2**31), 2**31 - 1) | st.sampled_from([0, 1, -1, 7, -7]),
                      min_size=4, max_size=4).map(lambda v: np.array(v, np.int32))


@pytest.mark.parametrize("name", BINARY)
@given(data=st.data())
@settings(max_examples=15)
def test_binary_fold_matches_the_reference_interpreter(name, data):
    dtype = data.draw(st.sampled_from(["f32", "i32"] if name not in ("and", "or", "xor") else ["i32"]))
    values = values_f32 if dtype == "f32" else values_i32
    x, y = data.draw(values), data.draw(values)
    if name == "divide" and dtype == "i32":
        # The interpreter itself traps on these (SIGFPE): XLA is their oracle (test_elementwise_folds_as_xla_...).
        y = np.where((y == 0) | ((x == np.iinfo(np.int32).min) & (y == -1)), 3, y).astype(np.int32)
    text = _module(f"stablehlo.{name} %c0, %c1 : tensor<4x{dtype}>", [x, y], f"tensor<4x{dtype}>")
    expected = _run(text)
    folded = passes.run(text, "fold")
    if "stablehlo.constant" in str(folded) and f"stablehlo.{name}" not in str(folded):
        (actual,) = interpret(folded)
        np.testing.assert_array_equal(actual, expected)  # bit-for-bit, nan in the same places
    else:
        raise AssertionError(f"fold left {name} on constants alone:\n{folded}")


@pytest.mark.parametrize("name", UNARY)
@given(x=values_i32)
def test_unary_fold_matches_the_reference_interpreter(name, x):
    text = _module(f"stablehlo.{name} %c0 : tensor<4xi32>", [x], "tensor<4xi32>")
    expected = _run(text)
    assert _ops_after_fold(text) == ["stablehlo.constant", "func.return"]
    np.testing.assert_array_equal(_run(str(passes.run(text, "fold"))), expected)


@pytest.mark.parametrize("direction", ["EQ", "NE", "LT", "LE", "GT", "GE"])
@given(x=values_f32, y=values_f32)
@settings(max_examples=10)
def test_compare_fold_matches_the_reference_interpreter(direction, x, y):
    text = _module(f"stablehlo.compare {direction}, %c0, %c1, FLOAT : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xi1>",
                   [x, y], "tensor<4xi1>")
    assert _ops_after_fold(text) == ["stablehlo.constant", "func.return"]
    np.testing.assert_array_equal(_run(str(passes.run(text, "fold"))), _run(text))


def test_every_evaluator_is_covered_here_or_in_the_lit_tests():
    covered = {f"stablehlo.{n}" for n in BINARY + UNARY + _INTEGER_BINARY} | {
        "stablehlo.compare", "stablehlo.convert", "stablehlo.broadcast_in_dim", "stablehlo.reshape", "stablehlo.transpose",
        "stablehlo.select", "stablehlo.slice", "stablehlo.concatenate", "stablehlo.pad", "stablehlo.reverse",
        "stablehlo.reduce"}
    assert set(EVALUATORS) <= covered


def test_data_movement_folds_match_the_reference_interpreter():
    x = np.arange(6, dtype=np.float32)
    text = ("func.func @main() -> tensor<3x2x4xf32> {\n"
            f"  %c = stablehlo.constant {_literal(x)} : tensor<6xf32>\n"
            "  %r = stablehlo.reshape %c : (tensor<6xf32>) -> tensor<2x3xf32>\n"
            "  %t = stablehlo.transpose %r, dims = [1, 0] : (tensor<2x3xf32>) -> tensor<3x2xf32>\n"
            "  %b = stablehlo.broadcast_in_dim %t, dims = [0, 1] : (tensor<3x2xf32>) -> tensor<3x2x4xf32>\n"
            "  %v = stablehlo.convert %b : (tensor<3x2x4xf32>) -> tensor<3x2x4xf32>\n"
            "  return %v : tensor<3x2x4xf32>\n}")
    assert _ops_after_fold(text) == ["stablehlo.constant", "func.return"]
    np.testing.assert_array_equal(_run(str(passes.run(text, "fold"))), _run(text))
    np.testing.assert_array_equal(_run(text), np.broadcast_to(x.reshape(2, 3).T[:, :, None], (3, 2, 4)))


# -- ops of any shape and of f32, i32 or i1 ------------------------------------------------------

_SHORT = {np.dtype(np.float32): "f32", np.dtype(np.int32): "i32", np.dtype(np.bool_): "i1"}


def _type(array: np.ndarray) -> str:
    return f"tensor<{''.join(f'{n}x' for n in array.shape)}{_SHORT[array.dtype]}>"


def _nested(array: np.ndarray) -> str:
    """MLIR text of an array's elements, nested by dims (floats as bit patterns: nan, inf, -0.0 exact)."""
    if array.ndim:
        return "[" + ", ".join(_nested(row) for row in array) + "]"
    if array.dtype == np.float32:
        return f"0x{int(array.view(np.uint32)):08X}"
    if array.dtype == np.bool_:
        return "true" if array else "false"
    return str(int(array))


def _constants_module(op_text: str, operands: list[np.ndarray], result_type: str) -> str:
    lines = [f"  %c{i} = stablehlo.constant dense<{_nested(a) if a.size else ''}> : {_type(a)}" for i, a in enumerate(operands)]
    return (f"func.func @main() -> {result_type} {{\n" + "\n".join(lines) + f"\n  %r = {op_text}\n"
            f"  return %r : {result_type}\n}}")


def _assert_same_bits(actual: np.ndarray, expected: np.ndarray) -> None:
    """Equal values, nan where nan, and the same sign on every zero."""
    assert actual.shape == expected.shape and actual.dtype == expected.dtype
    np.testing.assert_array_equal(actual, expected)
    if actual.dtype.kind == "f":
        np.testing.assert_array_equal(np.signbit(actual) | np.isnan(actual), np.signbit(expected) | np.isnan(expected))


def _check_folds(text: str) -> None:
    """text's @main folds to a constant, and the constant is what the interpreter computes unfolded."""
    assert _ops_after_fold(text) == ["stablehlo.constant", "func.return"], str(passes.run(text, "fold"))
    _assert_same_bits(_run(str(passes.run(text, "fold"))), _run(text))


floats = st.sampled_from([0.0, -0.0, 1.0, -2.5, 3.0, 1e8, -1e8, 1e30, np.inf, -np.inf, np.nan, 7.25])
ints = st.integers(-(2**31), 2**31 - 1) | st.sampled_from([0, 1, -1, 7])
shapes = st.lists(st.integers(0, 3), min_size=1, max_size=3).map(tuple)


def _arrays(shape, dtype: str):
    element = {"f32": floats, "i32": ints, "i1": st.booleans()}[dtype]
    numpy_dtype = {"f32": np.float32, "i32": np.int32, "i1": np.bool_}[dtype]
    size = int(np.prod(shape))
    return st.lists(element, min_size=size, max_size=size).map(lambda v: np.array(v, numpy_dtype).reshape(shape))


@given(data=st.data())
@settings(max_examples=20, deadline=None)
def test_select_fold_matches_the_reference_interpreter(data):
    shape = data.draw(shapes)
    scalar_predicate = data.draw(st.booleans())
    predicate = data.draw(_arrays(() if scalar_predicate else shape, "i1"))
    on_true, on_false = data.draw(_arrays(shape, "f32")), data.draw(_arrays(shape, "f32"))
    text = _constants_module(f"stablehlo.select %c0, %c1, %c2 : {_type(predicate)}, {_type(on_true)}",
                             [predicate, on_true, on_false], _type(on_true))
    _check_folds(text)


@given(data=st.data())
@settings(max_examples=20, deadline=None)
def test_slice_and_reverse_folds_match_the_reference_interpreter(data):
    dtype = data.draw(st.sampled_from(["f32", "i32", "i1"]))
    x = data.draw(_arrays(data.draw(shapes), dtype))
    starts = [data.draw(st.integers(0, n)) for n in x.shape]
    limits = [data.draw(st.integers(s, n)) for s, n in zip(starts, x.shape)]
    strides = [data.draw(st.integers(1, 3)) for _ in x.shape]
    result = x[tuple(slice(*bounds) for bounds in zip(starts, limits, strides))]
    bounds = ", ".join(f"{s}:{l}:{st_}" for s, l, st_ in zip(starts, limits, strides))
    _check_folds(_constants_module(f"stablehlo.slice %c0 [{bounds}] : ({_type(x)}) -> {_type(result)}", [x], _type(result)))
    dims = sorted(data.draw(st.sets(st.integers(0, x.ndim - 1))))
    _check_folds(_constants_module(f"stablehlo.reverse %c0, dims = {dims} : {_type(x)}", [x], _type(x)))


@given(data=st.data())
@settings(max_examples=20, deadline=None)
def test_concatenate_fold_matches_the_reference_interpreter(data):
    dtype = data.draw(st.sampled_from(["f32", "i32", "i1"]))
    shape = data.draw(shapes)
    dim = data.draw(st.integers(0, len(shape) - 1))
    parts = [data.draw(_arrays(shape[:dim] + (data.draw(st.integers(0, 3)),) + shape[dim + 1:], dtype))
             for _ in range(data.draw(st.integers(1, 3)))]
    result = np.concatenate(parts, axis=dim)
    names = ", ".join(f"%c{i}" for i in range(len(parts)))
    text = _constants_module(f"stablehlo.concatenate {names}, dim = {dim} : ({', '.join(_type(p) for p in parts)}) -> "
                             f"{_type(result)}", parts, _type(result))
    _check_folds(text)


@given(data=st.data())
@settings(max_examples=30, deadline=None)
def test_pad_fold_matches_the_reference_interpreter(data):
    """Edge padding of either sign (a negative edge cuts) and interior padding, in any mix."""
    dtype = data.draw(st.sampled_from(["f32", "i32"]))
    x = data.draw(_arrays(data.draw(shapes), dtype))
    value = data.draw(_arrays((), dtype))
    interior = [data.draw(st.integers(0, 2)) for _ in x.shape]
    spread = [n + max(n - 1, 0) * i for n, i in zip(x.shape, interior)]
    low = [data.draw(st.integers(-spread_d, 2)) for spread_d in spread]
    high = [data.draw(st.integers(-(spread_d + min(lo, 0)), 2)) for spread_d, lo in zip(spread, low)]
    shape = tuple(lo + s + hi for lo, s, hi in zip(low, spread, high))
    result_type = _type(np.zeros(shape, x.dtype))
    text = _constants_module(f"stablehlo.pad %c0, %c1, low = {low}, high = {high}, interior = {interior} : "
                             f"({_type(x)}, {_type(value)}) -> {result_type}", [x, value], result_type)
    _check_folds(text)


_IDENTITIES = {  # reduce body -> init for f32, i32, i1 (StableHLO's add on i1 is `or`, multiply `and`)
    "add": (-0.0, 0, False), "multiply": (1.0, 1, True), "maximum": (-np.inf, -(2**31), False),
    "minimum": (np.inf, 2**31 - 1, True), "and": (None, -1, True), "or": (None, 0, False),
}


@pytest.mark.parametrize("body", sorted(_IDENTITIES))
@given(data=st.data())
@settings(max_examples=15, deadline=None)
def test_reduce_fold_matches_the_reference_interpreter(body, data):
    """Integers and i1 exactly; floats in the interpreter's order (init, then the elements row-major)."""
    dtype = data.draw(st.sampled_from([d for d, init in zip(["f32", "i32", "i1"], _IDENTITIES[body]) if init is not None]))
    x = data.draw(_arrays(data.draw(shapes), dtype))
    init = np.array(_IDENTITIES[body][["f32", "i32", "i1"].index(dtype)], x.dtype)
    if dtype == "f32" and data.draw(st.booleans()):
        init = np.array(0.0, np.float32) if body == "add" else init  # +0.0 is an identity of a sum, too
    dims = sorted(data.draw(st.sets(st.integers(0, x.ndim - 1), min_size=1)))
    result = np.zeros([n for d, n in enumerate(x.shape) if d not in dims], x.dtype)
    text = _constants_module(f"stablehlo.reduce(%c0 init: %c1) applies stablehlo.{body} across dimensions = {dims} : "
                             f"({_type(x)}, {_type(init)}) -> {_type(result)}", [x, init], _type(result))
    _check_folds(text)


def test_iota_is_read_by_the_ops_it_feeds():
    text = ("func.func @main() -> tensor<2x3xi32> {\n"
            "  %i = stablehlo.iota dim = 1 : tensor<2x3xi32>\n"
            "  %j = stablehlo.iota dim = 0 : tensor<2x3xi32>\n"
            "  %c = stablehlo.constant dense<[[5, -1, 2], [0, 0, 7]]> : tensor<2x3xi32>\n"
            "  %a = stablehlo.multiply %i, %c : tensor<2x3xi32>\n"
            "  %b = stablehlo.add %a, %j : tensor<2x3xi32>\n"
            "  return %b : tensor<2x3xi32>\n}")
    _check_folds(text)
    np.testing.assert_array_equal(_run(text), [[0, -1, 4], [1, 1, 15]])


def test_folding_huge_splats_touches_one_element_each():
    # 5e7 elements: read or computed whole, each would take 200 MB (a large np.zeros(...) + 1 does that).
    import tracemalloc

    shape = "tensor<5000x10000xf32>"
    text = f"""
    func.func @main() -> ({shape}, tensor<5000x10000xi1>, tensor<10000x5000xf32>) {{
      %a = stablehlo.constant dense<1.5> : {shape}
      %b = stablehlo.constant dense<-2.0> : {shape}
      %0 = stablehlo.multiply %a, %b : {shape}
      %1 = stablehlo.compare LT, %0, %b : ({shape}, {shape}) -> tensor<5000x10000xi1>
      %2 = stablehlo.transpose %0, dims = [1, 0] : ({shape}) -> tensor<10000x5000xf32>
      return %0, %1, %2 : {shape}, tensor<5000x10000xi1>, tensor<10000x5000xf32>
    }}"""
    tracemalloc.start()
    try:
        module = passes.run(text, "fold")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    printed = ir.print_module(module)
    assert "dense<-3.000000e+00> : tensor<5000x10000xf32>" in printed
    assert "dense<true> : tensor<5000x10000xi1>" in printed  # -3.0 < -2.0
    assert "dense<-3.000000e+00> : tensor<10000x5000xf32>" in printed
    assert peak < 16 * 2**20, f"folding splats allocated {peak / 2**20:.0f} MiB"


def test_folding_a_huge_pad_or_concatenate_of_splats_builds_nothing():
    """10^9-element pads and concatenates of splats: a splat again when every operand holds one element
    (folded to one stored element), else left alone. Evaluated whole, each took 4 GB ("Unable to allocate")."""
    import tracemalloc

    big, half = "tensor<1000x1000000xf32>", "tensor<1000x999998xf32>"
    text = f"""
    func.func @main() -> ({big}, {big}, tensor<2000x1000000xf32>, tensor<2000x1000000xf32>) {{
      %a = stablehlo.constant dense<1.5> : {half}
      %same = stablehlo.constant dense<1.5> : tensor<f32>
      %zero = stablehlo.constant dense<0.0> : tensor<f32>
      %p = stablehlo.pad %a, %same, low = [0, 1], high = [0, 1], interior = [0, 0] : ({half}, tensor<f32>) -> {big}
      %q = stablehlo.pad %a, %zero, low = [0, 1], high = [0, 1], interior = [0, 0] : ({half}, tensor<f32>) -> {big}
      %c = stablehlo.constant dense<1.5> : {big}
      %r = stablehlo.concatenate %c, %p, dim = 0 : ({big}, {big}) -> tensor<2000x1000000xf32>
      %s = stablehlo.concatenate %c, %q, dim = 0 : ({big}, {big}) -> tensor<2000x1000000xf32>
      return %p, %q, %r, %s : {big}, {big}, tensor<2000x1000000xf32>, tensor<2000x1000000xf32>
    }}"""
    tracemalloc.start()
    try:
        module = passes.run(text, "fold")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    printed = ir.print_module(module)
    assert printed.count("stablehlo.pad") == 1 and printed.count("stablehlo.concatenate") == 1  # the mixed ones stay
    assert "dense<1.500000e+00> : tensor<2000x1000000xf32>" in printed
    assert peak < 16 * 2**20, f"folding splats allocated {peak / 2**20:.0f} MiB"



@pytest.mark.parametrize("dims", ["99999999999x99999999999", "3037000499x3037000499"],
                         ids=["elements beyond int64", "bytes beyond int64"])
def test_splats_no_array_can_hold_are_left_to_the_compiler_to_refuse(dims):
    """Splats of more than 2**63 - 1 bytes: NumPy holds no such array, not even a broadcast view, and the
    pipeline failed ("pass simplify failed: array is too big", "iterator is too large"). They stay unfolded,
    and compiling says what is wrong."""
    big = f"tensor<{dims}xf32>"
    text = f"""
    func.func @main() -> ({big}, {big}) {{
      %one = stablehlo.constant dense<1.0> : tensor<f32>
      %b = stablehlo.broadcast_in_dim %one, dims = [] : (tensor<f32>) -> {big}
      %c = stablehlo.constant dense<2.0> : {big}
      %s = stablehlo.add %c, %c : {big}
      return %b, %s : {big}, {big}
    }}"""
    printed = ir.print_module(passes.run(text))
    assert "stablehlo.broadcast_in_dim" in printed and "stablehlo.add" in printed
    with pytest.raises(runtime.CompileError, match=rf"the module has a tensor<{dims}xf32> of .* bytes, more than any "
                                                   r"array can hold \(2\*\*63 - 1\)(.|\n)*fix: use smaller shapes"):
        runtime.compile_stablehlo(printed)

# -- every dtype at its limits, against XLA -------------------------------------------------------
# What XLA computes for an op whose operands are arguments (it cannot fold them) is what the op means
# on the backend; `fold` must give the same bits, or leave the op alone. Each element is its own op on
# one-element constants, so one element fold declines (a subnormal, an out-of-range convert) does not
# hide the others. NaNs compare by position (XLA and NumPy may set a NaN's sign bit differently).

LIMIT_DTYPES = [np.dtype(d) for d in (np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16,
                                      np.uint32, np.uint64, np.float16, np.float32, np.float64)]
_MLIR_NAMES = {np.dtype(np.bool_): "i1", np.dtype(np.float16): "f16", np.dtype(np.float32): "f32",
               np.dtype(np.float64): "f64"} | {np.dtype(f"{k}{n}"): f"{'ui' if k == 'u' else 'i'}{8 * n}"
                                               for k in "iu" for n in (1, 2, 4, 8)}


def limit_values(dtype: np.dtype, *, boundaries: bool = False) -> np.ndarray:
    """0, +-1, the type's extremes and their neighbours; floats add -0.0, inf, nan, the smallest normal and
    subnormal and halves. `boundaries`: also 2**k and its neighbours for k at every integer width, where
    conversions saturate, wrap or round."""
    if dtype == np.bool_:
        return np.array([False, True])
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        values = {0, 1, -1, 2, -7, info.min, info.min + 1, info.max, info.max - 1}
        if boundaries:
            values |= {sign * 2**k + d for k in (7, 8, 15, 16, 24, 31, 32, 53, 63, 64) for d in (-1, 0, 1) for sign in (1, -1)}
        return np.array(sorted(v for v in values if info.min <= v <= info.max), dtype)
    info = np.finfo(dtype)
    values = [0.0, -0.0, np.inf, -np.inf, np.nan, 1.0, -1.5, 2.5, 0.5, float(info.max), -float(info.max),
              float(info.tiny), -float(info.smallest_subnormal)]
    if boundaries:
        for k in (7, 8, 15, 16, 24, 31, 32, 53, 63, 64):
            power = dtype.type(2.0**k) if 2.0**k <= float(info.max) else None
            if power is not None:
                for v in (power, np.nextafter(power, dtype.type(0)), np.nextafter(power, dtype.type(np.inf))):
                    values += [float(v), -float(v)]
        values += [-0.99, 1 + 2**-11 + 2**-40, 1 + 2**-11, 65519.99, 65520.0]  # (f16's rounding edges)
    with np.errstate(over="ignore"):
        return np.array(values, np.float64).astype(dtype)


def _element(value: np.ndarray) -> str:
    """One element as MLIR attribute text; floats as bit patterns, so nan, inf and -0.0 are exact."""
    if value.dtype == np.bool_:
        return "true" if value else "false"
    if value.dtype.kind == "f":
        return f"0x{int(value.view(f'u{value.dtype.itemsize}')):0{2 * value.dtype.itemsize}X}"
    return str(int(value))


def _fold_each(op_text, operands: list[np.ndarray], result_dtype: np.dtype) -> list:
    """Per element i: `op_text` (a format string of %x, %y and the element types) on one-element constants of
    operands[.][i], folded; the folded value, or None where fold left the op."""
    n, result = operands[0].size, f"tensor<1x{_MLIR_NAMES[result_dtype]}>"
    lines = []
    for i in range(n):
        names = []
        for k, array in enumerate(operands):
            lines.append(f"  %c{k}_{i} = stablehlo.constant dense<{_element(array[i])}> : tensor<1x{_MLIR_NAMES[array.dtype]}>")
            names.append(f"%c{k}_{i}")
        lines.append(f"  %r{i} = " + op_text.format(*names, t=f"tensor<1x{_MLIR_NAMES[operands[0].dtype]}>", r=result))
    text = (f"func.func @main() -> ({', '.join([result] * n)}) {{\n" + "\n".join(lines) +
            f"\n  return {', '.join(f'%r{i}' for i in range(n))} : {', '.join([result] * n)}\n}}")
    module = passes.run(text, "fold")
    returned = module.body.operations[0].regions[0].blocks[0].operations[-1]
    values = [ir.query.constant_value(v) for v in returned.operands]
    return [None if v is None else np.asarray(v).reshape(-1)[0] for v in values]


def _xla(op_text, operands: list[np.ndarray], result_dtype: np.dtype) -> np.ndarray:
    """`op_text` on arguments of the operands' whole arrays, compiled and run by XLA."""
    n = operands[0].size
    types = [f"tensor<{n}x{_MLIR_NAMES[a.dtype]}>" for a in operands]
    result = f"tensor<{n}x{_MLIR_NAMES[result_dtype]}>"
    args = ", ".join(f"%a{k}: {t}" for k, t in enumerate(types))
    body = op_text.format(*(f"%a{k}" for k in range(len(operands))), t=types[0], r=result)
    text = f"func.func @main({args}) -> {result} {{\n  %r = {body}\n  return %r : {result}\n}}"
    executable = runtime.compile_stablehlo(text)
    return np.asarray(executable.execute([runtime.to_device(a).buffer for a in operands])[0])


def _same(folded, expected) -> bool:
    if folded.dtype.kind == "f" and np.isnan(folded):
        return bool(np.isnan(expected))
    return folded.tobytes() == expected.tobytes()


def _check_against_xla(op_text, operands: list[np.ndarray], result_dtype: np.dtype, *, min_folded: float = 0.5):
    folded = _fold_each(op_text, operands, result_dtype)
    expected = _xla(op_text, operands, result_dtype)
    wrong = [(tuple(a[i] for a in operands), folded[i], expected[i])
             for i in range(len(folded)) if folded[i] is not None and not _same(np.asarray(folded[i]), expected[i])]
    assert not wrong, f"{op_text}: (operands, folded, XLA): {wrong[:8]}"
    count = sum(v is not None for v in folded)
    assert count >= min_folded * len(folded), f"{op_text}: fold left {len(folded) - count} of {len(folded)} alone"


def _pairs(dtype):
    x = limit_values(dtype)
    return [np.repeat(x, x.size), np.tile(x, x.size)]


@pytest.mark.parametrize("source", LIMIT_DTYPES, ids=str)
def test_convert_folds_as_xla_converts_at_the_limits(source):
    """Every pair of dtypes, at 2**k boundaries: float -> int beyond the range (where XLA saturates and NumPy
    wraps: f32 2**32 -> u32 folded to 0 before), f64 -> f16 ties, subnormals; never a disagreement."""
    x = limit_values(source, boundaries=True)
    for target in LIMIT_DTYPES:
        if target == np.bool_:
            continue  # (fold leaves conversions to i1 alone)
        _check_against_xla("stablehlo.convert {0} : ({t}) -> {r}", [x], target, min_folded=0.1)


_INTEGER_BINARY = ["add", "subtract", "multiply", "divide", "remainder", "maximum", "minimum", "and", "or", "xor"]
_FLOAT_BINARY = ["add", "subtract", "multiply", "divide", "maximum", "minimum"]


@pytest.mark.parametrize("dtype", LIMIT_DTYPES, ids=str)
def test_elementwise_folds_as_xla_computes_at_the_limits(dtype):
    """Every pair of limit values through each binary op fold evaluates, every limit value through the unary
    ones and comparisons: integer division by zero and INT_MIN / -1 included (XLA's -1, x, INT_MIN, 0)."""
    x, y = _pairs(dtype)
    binary = ["and", "or", "xor"] if dtype == np.bool_ else _INTEGER_BINARY if dtype.kind in "iu" else _FLOAT_BINARY
    for name in binary:
        _check_against_xla(f"stablehlo.{name} {{0}}, {{1}} : {{t}}", [x, y], dtype)
    kind = "FLOAT" if dtype.kind == "f" else "SIGNED" if dtype.kind == "i" else "UNSIGNED"
    for direction in ("EQ", "LT", "GE"):
        _check_against_xla(f"stablehlo.compare {direction}, {{0}}, {{1}}, {kind} : ({{t}}, {{t}}) -> {{r}}", [x, y],
                           np.dtype(np.bool_))
    unary = ["not"] if dtype == np.bool_ else ["negate", "abs", "not"] if dtype.kind in "iu" else ["negate", "abs"]
    if dtype.kind == "u":
        unary.remove("abs")  # (stablehlo.abs takes signed integers and floats)
    for name in unary:
        _check_against_xla(f"stablehlo.{name} {{0}} : {{t}}", [limit_values(dtype)], dtype)
