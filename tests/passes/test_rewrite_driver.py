"""The worklist rewrite driver (`passes.rewrite`): op identity, requeueing, dead-op erasure,
the rewrite budget, and the loop rewrites it runs inside `simplify`."""

from __future__ import annotations

import numpy as np
import pytest
from helpers_filecheck import filecheck
from jaxlib.mlir import ir as mlir
from jaxlib.mlir.dialects import stablehlo

import ir
import passes
from ir.errors import PyreactantError
from ir.query import walk
from passes.rewrite import Pattern, RewriteBudgetExceeded, Worklist, apply_patterns, identity

TWO_EQUAL_CONSTANTS = """
func.func @main(%a: tensor<3xf32>) -> (tensor<3xf32>, tensor<3xf32>) {
  %c0 = stablehlo.constant dense<1.0> : tensor<3xf32>
  %c1 = stablehlo.constant dense<1.0> : tensor<3xf32>
  %0 = stablehlo.multiply %a, %c0 : tensor<3xf32>
  %1 = stablehlo.multiply %a, %c1 : tensor<3xf32>
  return %0, %1 : tensor<3xf32>, tensor<3xf32>
}
"""


def test_an_op_changed_in_place_stays_one_worklist_entry():
    # The bindings' hash of an op changes when its operands do. Keyed by hash, an op requeued after
    # a change in place (ConstantToTheRight swaps operands) would wait twice; erasing it would
    # forget one entry and leave the other to be popped after the op was freed.
    module = ir.parse_module(TWO_EQUAL_CONSTANTS)
    multiply = next(op for op in walk(module) if op.name == "stablehlo.multiply")
    worklist = Worklist([multiply])
    before = hash(multiply)
    multiply.operands[0], multiply.operands[1] = multiply.operands[1], multiply.operands[0]
    assert hash(multiply) != before
    worklist.push(multiply)
    worklist.forget(multiply)
    assert not worklist


def test_equal_ops_are_distinct_worklist_entries():
    module = ir.parse_module(TWO_EQUAL_CONSTANTS)
    constants = [op for op in walk(module) if op.name == "stablehlo.constant"]
    worklist = Worklist(constants)
    popped = [worklist.pop(), worklist.pop()]
    assert not worklist
    assert {identity(op) for op in popped} == {identity(op) for op in constants}


def test_identity_is_stable_across_python_objects_and_operand_changes():
    module = ir.parse_module(TWO_EQUAL_CONSTANTS)
    first = next(op for op in walk(module) if op.name == "stablehlo.multiply")
    again = next(op for op in walk(module) if op.name == "stablehlo.multiply")
    assert first is not again and identity(first) == identity(again)
    before = identity(first)
    first.operands[1] = first.operands[0]
    assert identity(first) == before


def test_worklist_pops_the_last_pushed_first_and_pushes_each_op_once():
    module = ir.parse_module(TWO_EQUAL_CONSTANTS)
    ops = walk(module)[1:]  # the ops of @main's body, in order
    worklist = Worklist(ops)
    assert worklist.pop().name == "stablehlo.constant"  # the first op of the block comes out first
    worklist.push(ops[-1])  # func.return, already waiting: moved to the top, not added twice
    assert worklist.pop().name == "func.return"
    names = []
    while worklist:
        names.append(worklist.pop().name)
    assert names == ["stablehlo.constant", "stablehlo.multiply", "stablehlo.multiply"]


def test_simplify_erases_equal_ops_independently_and_leaves_valid_ir():
    module = passes.run(TWO_EQUAL_CONSTANTS, "simplify")
    filecheck(ir.print_module(module), """
        CHECK:     func.func @main(%arg0: tensor<3xf32>)
        CHECK-NOT: stablehlo.constant
        CHECK-NOT: stablehlo.multiply
        CHECK:     return %arg0, %arg0
    """)


class NegateToSubtract(Pattern):
    """-x -> 0 - x (fine alone; with SubtractToNegate the two undo each other forever)."""

    op_name = "stablehlo.negate"

    def match_and_rewrite(self, op, rewriter) -> bool:
        with rewriter.before(op):
            zero = stablehlo.constant(mlir.DenseElementsAttr.get_splat(op.results[0].type, mlir.FloatAttr.get_f32(0.0)))
            value = stablehlo.subtract(zero, op.operands[0])
        rewriter.replace(op, [value])
        return True


class SubtractToNegate(Pattern):
    op_name = "stablehlo.subtract"

    def match_and_rewrite(self, op, rewriter) -> bool:
        with rewriter.before(op):
            value = stablehlo.negate(op.operands[1])
        rewriter.replace(op, [value])
        return True


NEGATE = """
func.func @main(%a: tensor<3xf32>) -> tensor<3xf32> {
  %0 = stablehlo.negate %a : tensor<3xf32>
  return %0 : tensor<3xf32>
}
"""


def test_patterns_that_undo_each_other_raise_instead_of_looping_forever():
    module = ir.parse_module(NEGATE)
    with pytest.raises(RewriteBudgetExceeded, match="undo each other"):
        apply_patterns(module, [NegateToSubtract(), SubtractToNegate()], max_iterations=3)


def test_the_budget_error_is_a_runtime_error_of_the_shared_base_without_a_location():
    with pytest.raises(RewriteBudgetExceeded) as info:
        apply_patterns(ir.parse_module(NEGATE), [NegateToSubtract(), SubtractToNegate()], max_iterations=3)
    assert isinstance(info.value, PyreactantError) and isinstance(info.value, RuntimeError)
    assert str(info.value).startswith("more than 3 rewrites per op")


def test_a_rewrite_requeues_the_users_of_what_it_replaced():
    # negate(negate(x)) is x, which makes the multiply `x * 1` only after the negates go: the
    # multiply was visited before that, so it must be visited again.
    module = passes.run("""
    func.func @main(%a: tensor<3xf32>) -> tensor<3xf32> {
      %one = stablehlo.constant dense<1.0> : tensor<3xf32>
      %0 = stablehlo.negate %a : tensor<3xf32>
      %1 = stablehlo.negate %0 : tensor<3xf32>
      %2 = stablehlo.multiply %one, %1 : tensor<3xf32>
      return %2 : tensor<3xf32>
    }""", "simplify{fold=false}")
    filecheck(ir.print_module(module), """
        CHECK-NOT: stablehlo.negate
        CHECK-NOT: stablehlo.multiply
        CHECK:     return %arg0
    """)


def test_dead_chains_go_in_one_run_and_effects_stay():
    module = passes.run("""
    func.func @main(%a: tensor<3xf32>, %key: tensor<2xui64>) -> tensor<3xf32> {
      %0 = stablehlo.exponential %a : tensor<3xf32>
      %1 = stablehlo.tanh %0 : tensor<3xf32>
      %2 = stablehlo.add %1, %1 : tensor<3xf32>
      %k, %bits = stablehlo.rng_bit_generator %key, algorithm = THREE_FRY : (tensor<2xui64>) -> (tensor<2xui64>, tensor<3xui32>)
      return %a : tensor<3xf32>
    }""", "dce")
    filecheck(ir.print_module(module), """
        CHECK-NOT: stablehlo.exponential
        CHECK-NOT: stablehlo.tanh
        CHECK-NOT: stablehlo.add
        CHECK:     stablehlo.rng_bit_generator
        CHECK:     return %arg0
    """)


def test_simplify_hoists_out_of_nested_loops_in_one_run():
    # The inner loop's invariant exp(w) leaves the inner loop into the outer body, where it is
    # invariant too: the outer loop must be revisited for it to leave that as well.
    def f(x, w):
        import tracer

        def outer(i, h):
            return tracer.fori_loop(0, 3, lambda j, g: g + np.exp(w), h)
        return tracer.fori_loop(0, 2, outer, x)

    import tracer

    x, w = np.zeros(3, np.float32), np.full(3, 0.5, np.float32)
    traced = ir.print_module(tracer.jit(f).lower(x, w))
    optimized = ir.print_module(passes.run(traced, "simplify"))
    filecheck(optimized, """
        CHECK:     stablehlo.exponential %arg1
        CHECK:     stablehlo.while
        CHECK-NOT: stablehlo.exponential
    """)
    compiled = tracer.compile(f, x, w)
    np.testing.assert_allclose(np.asarray(compiled(x, w)), x + 6 * np.exp(w), rtol=1e-6)


class RecordsNegatesOfConstants(Pattern):
    op_name = "stablehlo.negate"
    operand_from = (0, frozenset({"stablehlo.constant"}))

    def __init__(self):
        self.seen = []

    def match_and_rewrite(self, op, rewriter) -> bool:
        self.seen.append(str(op.operands[0].type))
        return False


class RecordsAddsReadingANegate(RecordsNegatesOfConstants):
    op_name = "stablehlo.add"
    operand_from = (None, frozenset({"stablehlo.negate"}))


def test_operand_from_offers_a_pattern_only_the_ops_it_can_match():
    module = ir.parse_module("""
    func.func @main(%a: tensor<3xf32>, %b: tensor<2xf32>) -> (tensor<3xf32>, tensor<2xf32>, tensor<2xf32>) {
      %c = stablehlo.constant dense<1.0> : tensor<3xf32>
      %0 = stablehlo.negate %c : tensor<3xf32>
      %1 = stablehlo.negate %b : tensor<2xf32>
      %2 = stablehlo.add %b, %1 : tensor<2xf32>
      %3 = stablehlo.add %b, %b : tensor<2xf32>
      return %0, %2, %3 : tensor<3xf32>, tensor<2xf32>, tensor<2xf32>
    }""")
    negates, adds = RecordsNegatesOfConstants(), RecordsAddsReadingANegate()
    apply_patterns(module, [negates, adds])
    assert negates.seen == ["tensor<3xf32>"]  # not the negate of the argument %b
    assert adds.seen == ["tensor<2xf32>"]  # the add reading %1 (its second operand), not %b + %b
