"""The pass manager: textual pipelines, our Python passes beside MLIR's, dumps, statistics, verification.

IR is checked with FileCheck; semantics with the StableHLO reference interpreter
(`stablehlo.eval_module`) before and after a pipeline, and with NumPy.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pytest
from helpers import interpret, undeclared_exports
from helpers_filecheck import filecheck
from jaxlib.mlir import ir as mlir
from jaxlib.mlir.dialects import stablehlo

import ir
import passes
import tracer
from ir.errors import PyreactantError
from passes import registry

rng = np.random.default_rng(3)

# Two identical exponentials (cse merges them), an add and a multiply.
REDUNDANT = """
func.func public @main(%a: tensor<3xf32>, %b: tensor<3xf32>) -> tensor<3xf32> {
  %0 = stablehlo.exponential %a : tensor<3xf32>
  %1 = stablehlo.exponential %a : tensor<3xf32>
  %2 = stablehlo.add %0, %b : tensor<3xf32>
  %3 = stablehlo.multiply %1, %b : tensor<3xf32>
  %4 = stablehlo.subtract %2, %3 : tensor<3xf32>
  return %4 : tensor<3xf32>
}
"""


def redundant_reference(a, b):
    return (np.exp(a) + b) - np.exp(a) * b


def walk_ops(module, name):
    return [op for op in ir.query.walk(module) if op.name == name]


# --------------------------------------------------------------------------- test-only Python passes


@dataclass(frozen=True)
class AddToMultiply:
    """Rewrites `stablehlo.add` into `stablehlo.multiply` (at most `limit` of them; -1: all). Test only."""

    name: ClassVar[str] = "test-add-to-multiply"
    limit: int = -1

    def apply(self, module):
        adds = walk_ops(module, "stablehlo.add")
        with module.context:
            for op in adds if self.limit < 0 else adds[: self.limit]:
                with mlir.InsertionPoint(op), op.location:
                    product = stablehlo.MulOp(op.operands[0], op.operands[1]).result
                op.result.replace_all_uses_with(product)
                op.erase()


@dataclass(frozen=True)
class CorruptResultType:
    """Breaks the module: the first multiply claims an f64 result. Test only."""

    name: ClassVar[str] = "test-corrupt-result-type"

    def apply(self, module):
        (op, *_) = walk_ops(module, "stablehlo.multiply")
        with module.context, mlir.Location.unknown():
            op.result.set_type(mlir.RankedTensorType.get(mlir.RankedTensorType(op.result.type).shape, mlir.F64Type.get()))


@dataclass(frozen=True)
class Explode:
    name: ClassVar[str] = "test-explode"

    def apply(self, module):
        raise RuntimeError("boom from a test pass")


@pytest.fixture
def test_passes(monkeypatch):
    """Our test-only passes registered for one test; the registry is restored afterwards."""
    monkeypatch.setattr(registry, "_LOADED", dict(registry._LOADED))
    for cls in (AddToMultiply, CorruptResultType, Explode):
        assert passes.register_pass(cls) is cls
    return passes


# --------------------------------------------------------------------------- parse_pipeline


def test_parse_pipeline_names_and_options():
    specs = passes.parse_pipeline("canonicalize, simplify{max-iterations=8 mode=fast} ,cse")
    assert [s.name for s in specs] == ["canonicalize", "simplify", "cse"]
    assert [s.options for s in specs] == [{}, {"max-iterations": "8", "mode": "fast"}, {}]
    assert str(specs[1]) == "simplify{max-iterations=8 mode=fast}"
    assert str(specs[0]) == "canonicalize"


def test_parse_pipeline_comma_separated_options():
    (spec,) = passes.parse_pipeline("p{a=1,b=two}")
    assert spec == passes.PassSpec("p", {"a": "1", "b": "two"})


def test_parse_pipeline_keeps_nested_pipelines_whole():
    specs = passes.parse_pipeline("func.func(cse,canonicalize),symbol-dce")
    assert specs == [passes.PassSpec("func.func(cse,canonicalize)"), passes.PassSpec("symbol-dce")]


def test_parse_pipeline_nested_pipeline_with_options():
    # The braces belong to the inner pass, not to `func.func(...)`.
    specs = passes.parse_pipeline("func.func(cse,canonicalize{max-iterations=2}),symbol-dce")
    assert [s.name for s in specs] == ["func.func(cse,canonicalize{max-iterations=2})", "symbol-dce"]
    assert all(s.options == {} for s in specs)
    module = passes.run(REDUNDANT, "func.func(cse,canonicalize{max-iterations=2}),symbol-dce")
    assert len(walk_ops(module, "stablehlo.exponential")) == 1


@pytest.mark.parametrize(("pipeline", "message"), [
    ("cse,,canonicalize", "empty pass name"),
    ("", "empty pass name"),
    ("cse,", "empty pass name"),
    ("simplify{max-iterations=8", "unbalanced"),
    ("simplify}", "unbalanced"),
    ("func.func(cse", "unbalanced"),
    ("simplify{max-iterations}", "key=value"),
    ("simplify{a=1}extra", "must end with '}'"),
])
def test_parse_pipeline_errors(pipeline, message):
    with pytest.raises(passes.PipelineError, match=message) as info:
        passes.parse_pipeline(pipeline)
    assert isinstance(info.value, ValueError)


def test_unknown_pass_lists_available_passes(test_passes):
    with pytest.raises(passes.PipelineError) as info:
        passes.PassManager("cse,no-such-pass")
    message = str(info.value)
    assert "no-such-pass" in message
    for name in passes.available():
        assert name in message
    assert "test-add-to-multiply" in passes.available()
    assert {"canonicalize", "cse", "inline", "symbol-dce"} <= set(passes.available())


def test_bad_options_of_an_mlir_pass():
    with pytest.raises(passes.PipelineError, match="canonicalize"):
        passes.PassManager("canonicalize{max-iterations=lots}")
    # The pass exists: the options are what is wrong (it said "unknown pass 'cse' (or bad options {'a': 'b'})").
    with pytest.raises(passes.PipelineError, match=r"MLIR's pass 'cse' refused the options \{a=b\}: .*no such option a"):
        passes.PassManager("cse{a=b}")


def test_a_misspelt_pass_is_named_with_what_was_meant():
    with pytest.raises(passes.PipelineError, match=r"unknown pass 'simplfy'(.|\n)*fix: did you mean 'simplify'"):
        passes.PassManager("simplfy")


def test_bad_options_of_a_python_pass(test_passes):
    with pytest.raises(passes.PipelineError, match="limit") as info:
        passes.PassManager("test-add-to-multiply{nope=1}")
    assert "nope" in str(info.value)
    with pytest.raises(passes.PipelineError, match="not a valid int"):
        passes.PassManager("test-add-to-multiply{limit=abc}")


# --------------------------------------------------------------------------- running


def test_run_on_text_returns_the_rewritten_module():
    module = passes.run(REDUNDANT, "cse")
    filecheck(ir.print_module(module), """
        CHECK-LABEL: func.func public @main
        CHECK:       %[[E:.*]] = stablehlo.exponential %arg0
        CHECK-NOT:   stablehlo.exponential
        CHECK:       stablehlo.add %[[E]], %arg1
        CHECK:       stablehlo.multiply %[[E]], %arg1
    """)
    a, b = rng.standard_normal(3).astype(np.float32), rng.standard_normal(3).astype(np.float32)
    np.testing.assert_allclose(interpret(module, a, b)[0], redundant_reference(a, b), rtol=1e-6)


def test_run_on_a_module_works_in_place():
    module = ir.parse_module(REDUNDANT)
    assert passes.run(module, "cse") is module
    assert len(walk_ops(module, "stablehlo.exponential")) == 1


def test_run_on_malformed_text():
    with pytest.raises(ir.MLIRParseError):
        passes.run("func.func @main( {", "cse")


def test_empty_pipeline_changes_nothing():
    module = ir.parse_module(REDUNDANT)
    before = ir.print_module(module)
    passes.PassManager("").run(module)
    assert ir.print_module(module) == before


def test_nested_mlir_pipeline_runs():
    module = passes.run(REDUNDANT, "func.func(cse,canonicalize)")
    assert len(walk_ops(module, "stablehlo.exponential")) == 1


def test_python_pass_mixed_with_mlir_cse(test_passes):
    # Rewriting add -> multiply first makes the two multiplies identical, so cse merges them...
    module = passes.run(REDUNDANT, "test-add-to-multiply,cse")
    filecheck(ir.print_module(module), """
        CHECK:     %[[E:.*]] = stablehlo.exponential %arg0
        CHECK:     %[[M:.*]] = stablehlo.multiply %[[E]], %arg1
        CHECK-NOT: stablehlo.multiply
        CHECK-NOT: stablehlo.add
        CHECK:     stablehlo.subtract %[[M]], %[[M]]
    """)
    a, b = rng.standard_normal(3).astype(np.float32), rng.standard_normal(3).astype(np.float32)
    np.testing.assert_array_equal(interpret(module, a, b)[0], np.zeros(3, np.float32))
    # ...while cse first leaves two multiplies (the exponentials merged, the ops still differed then).
    module = passes.run(REDUNDANT, "cse,test-add-to-multiply")
    assert len(walk_ops(module, "stablehlo.multiply")) == 2
    assert len(walk_ops(module, "stablehlo.exponential")) == 1


def test_python_pass_options_reach_the_pass(test_passes):
    source = REDUNDANT.replace("%4 = stablehlo.subtract %2, %3", "%4 = stablehlo.add %2, %3")
    module = passes.run(source, "test-add-to-multiply{limit=1}")
    assert len(walk_ops(module, "stablehlo.add")) == 1
    assert len(walk_ops(module, "stablehlo.multiply")) == 2
    a, b = rng.standard_normal(3).astype(np.float32), rng.standard_normal(3).astype(np.float32)
    np.testing.assert_allclose(interpret(module, a, b)[0], np.exp(a) * b + np.exp(a) * b, rtol=1e-6)


def test_verification_failure_names_the_pass(test_passes):
    module = ir.parse_module(REDUNDANT)
    with pytest.raises(passes.PassFailedError) as info:
        passes.PassManager("cse,test-corrupt-result-type,canonicalize").run(module)
    message = str(info.value)
    assert "test-corrupt-result-type" in message
    assert "invalid IR" in message
    assert "f64" in message  # MLIR's diagnostics and the module are in the message


def test_pass_that_raises_is_reported_with_its_name(test_passes):
    with pytest.raises(passes.PassFailedError) as info:
        passes.run(REDUNDANT, "cse,test-explode")
    assert "test-explode" in str(info.value) and "boom from a test pass" in str(info.value)
    assert isinstance(info.value.__cause__, RuntimeError)


def test_verify_each_false_lets_invalid_ir_through(test_passes):
    module = passes.run(REDUNDANT, "test-corrupt-result-type", verify_each=False)
    with pytest.raises(ir.MLIRVerificationError):
        ir.verify(module)


# --------------------------------------------------------------------------- dumps and statistics


def test_print_ir_after_all_to_a_stream():
    stream = io.StringIO()
    passes.run(REDUNDANT, "cse,canonicalize", print_ir_after_all=True, stream=stream)
    filecheck(stream.getvalue(), """
        CHECK:       // -----// IR Dump After cse //----- //
        CHECK-NEXT:  module {
        CHECK:       stablehlo.exponential
        CHECK-NOT:   stablehlo.exponential
        CHECK:       // -----// IR Dump After canonicalize //----- //
        CHECK-NEXT:  module {
        CHECK:       stablehlo.exponential
        CHECK-NOT:   stablehlo.exponential
        CHECK-NOT:   IR Dump
    """)


def test_print_ir_before_and_after_named_passes(test_passes):
    stream = io.StringIO()
    passes.run(REDUNDANT, "test-add-to-multiply,cse,canonicalize", print_ir_before=("cse",), print_ir_after=("cse",),
               stream=stream)
    dump = stream.getvalue()
    assert dump.count("IR Dump") == 2
    filecheck(dump, """
        CHECK:      // -----// IR Dump Before cse //----- //
        CHECK-COUNT-2: stablehlo.exponential
        CHECK:      // -----// IR Dump After cse //----- //
        CHECK-COUNT-1: stablehlo.exponential
        CHECK-NOT:  stablehlo.exponential
    """)


def test_print_ir_after_change_skips_passes_that_change_nothing():
    stream = io.StringIO()
    passes.run(REDUNDANT, "cse,cse,symbol-dce", print_ir_after_change=True, stream=stream)
    dump = stream.getvalue()
    assert dump.count("IR Dump") == 1
    filecheck(dump, "CHECK: // -----// IR Dump After cse //----- //")


def test_statistics_and_report():
    manager = passes.PassManager("cse,canonicalize", op_counts=True)
    module = ir.parse_module(REDUNDANT)
    # func.func + 5 stablehlo ops + return = 7 ops below the module.
    assert passes.count_ops(module) == 7
    manager.run(module)
    assert [s.name for s in manager.statistics] == ["cse", "canonicalize"]
    cse, canonicalize = manager.statistics
    assert (cse.ops_before, cse.ops_after) == (7, 6)
    assert (canonicalize.ops_before, canonicalize.ops_after) == (6, 6)
    assert cse.seconds >= 0 and canonicalize.seconds >= 0
    report = manager.report().splitlines()
    assert len(report) == 3
    assert report[0].split() == ["pass", "ms", "ops", "before", "ops", "after"]
    assert report[1].split()[0] == "cse" and report[1].split()[2:] == ["7", "6"]
    assert report[2].split()[0] == "canonicalize" and report[2].split()[2:] == ["6", "6"]


def test_op_counts_are_only_taken_on_request():
    manager = passes.PassManager("cse,canonicalize")
    manager.run(ir.parse_module(REDUNDANT))
    assert [(s.ops_before, s.ops_after) for s in manager.statistics] == [(None, None), (None, None)]
    assert manager.report().splitlines()[1].split()[2:] == ["-", "-"]


# --------------------------------------------------------------------------- semantics preserved

WITH_CALLS = """
func.func private @affine(%x: tensor<4xf32>, %w: tensor<4xf32>) -> tensor<4xf32> {
  %0 = stablehlo.multiply %x, %w : tensor<4xf32>
  %one = stablehlo.constant dense<1.0> : tensor<4xf32>
  %1 = stablehlo.add %0, %one : tensor<4xf32>
  return %1 : tensor<4xf32>
}
func.func private @unused(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}
func.func public @main(%x: tensor<4xf32>, %w: tensor<4xf32>) -> tensor<4xf32> {
  %0 = func.call @affine(%x, %w) : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %1 = func.call @affine(%x, %w) : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %2 = stablehlo.add %0, %1 : tensor<4xf32>
  return %2 : tensor<4xf32>
}
"""


def test_default_pipeline_inlines_dedups_and_drops_dead_functions():
    x, w = rng.standard_normal(4).astype(np.float32), rng.standard_normal(4).astype(np.float32)
    (before,) = interpret(ir.parse_module(WITH_CALLS), x, w)
    module = passes.run(WITH_CALLS, passes.DEFAULT_PIPELINE)
    filecheck(ir.print_module(module), """
        CHECK-NOT:   func.func private
        CHECK-LABEL: func.func public @main
        CHECK-NOT:   func.call
        CHECK-COUNT-1: stablehlo.multiply
        CHECK-NOT:   stablehlo.multiply
        CHECK:       return
    """)
    (after,) = interpret(module, x, w)
    np.testing.assert_allclose(after, before, rtol=1e-6)
    np.testing.assert_allclose(after, 2 * (x * w + 1), rtol=1e-6)


MUTUALLY_RECURSIVE = """
func.func private @ping(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = func.call @pong(%x) : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}
func.func private @pong(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = func.call @ping(%x) : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}
func.func public @main(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = func.call @ping(%x) : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}
"""


def test_inlining_recursive_functions_is_a_clear_error():
    with pytest.raises(passes.PassFailedError, match="inline.*recursive"):
        passes.run(MUTUALLY_RECURSIVE, "inline{max-depth=8}")


def test_inline_drops_the_callees_it_leaves_without_callers():
    inlined = ir.print_module(passes.run(WITH_CALLS, "inline"))
    assert "func.call" not in inlined and "@affine" not in inlined and "@unused" not in inlined


def _model(x, w, b):
    h = np.tanh(x @ w + b)
    g = np.tanh(x @ w + b)  # a repeat: cse material
    scale = np.ones_like(b) * 1.0
    return (h * g * scale).sum(axis=0) + np.zeros(3, np.float32), np.maximum(h, 0.0).mean()


def test_default_pipeline_preserves_semantics_of_a_traced_module():
    x = rng.standard_normal((5, 4)).astype(np.float32)
    w = rng.standard_normal((4, 3)).astype(np.float32)
    b = rng.standard_normal(3).astype(np.float32)
    traced_text = tracer.compile(_model, x, w, b, optimize=False).as_text("traced")
    traced = ir.parse_module(traced_text)
    optimized = passes.run(traced_text, passes.DEFAULT_PIPELINE)
    assert passes.count_ops(optimized) < passes.count_ops(traced)
    # The repeated `x @ w` is computed once (cse); `(h * g).sum(axis=0)` is a dot of its own (simplify).
    reads_x = lambda module: [op for op in walk_ops(module, "stablehlo.dot_general")
                              if isinstance(op.operands[0], mlir.BlockArgument) and op.operands[0].arg_number == 0]
    assert len(reads_x(traced)) == 2
    assert len(reads_x(optimized)) == 1
    expected = _model(x.astype(np.float64), w.astype(np.float64), b.astype(np.float64))
    for trial in range(3):
        inputs = [x, w, b] if trial == 0 else [rng.standard_normal(a.shape).astype(np.float32) for a in (x, w, b)]
        before = interpret(traced, *inputs)
        after = interpret(optimized, *inputs)
        for got_before, got_after in zip(before, after):
            np.testing.assert_allclose(got_after, got_before, rtol=1e-6, atol=1e-6)
        if trial == 0:
            for got, want in zip(after, expected):
                np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_a_pass_that_changed_nothing_is_not_verified_again(monkeypatch):
    verified = []
    real_verify = ir.verify
    monkeypatch.setattr(ir, "verify", lambda module: (verified.append(True), real_verify(module))[1])
    times_one = """
    func.func public @main(%a: tensor<3xf32>) -> tensor<3xf32> {
      %one = stablehlo.constant dense<1.0> : tensor<3xf32>
      %0 = stablehlo.multiply %a, %one : tensor<3xf32>
      return %0 : tensor<3xf32>
    }"""
    passes.run(times_one, "simplify,simplify")  # the second finds nothing left to do
    assert len(verified) == 1
    verified.clear()
    passes.run(REDUNDANT, "inline")  # one function: nothing to inline
    assert verified == []


def test_pipeline_and_pass_errors_share_the_error_base_without_a_location(test_passes):
    with pytest.raises(passes.PipelineError) as info:
        passes.parse_pipeline("simplify}")
    assert isinstance(info.value, PyreactantError) and info.value.where == ""
    with pytest.raises(passes.PassFailedError) as info:
        passes.run(REDUNDANT, "test-explode")
    assert isinstance(info.value, PyreactantError) and isinstance(info.value, RuntimeError)
    assert str(info.value).startswith("pass test-explode failed")


def test_every_module_of_passes_has_an_explicit_all_of_names_it_defines():
    assert undeclared_exports(passes) == []

