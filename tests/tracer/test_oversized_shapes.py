"""Shapes whose byte size does not fit in int64: XLA aborted the process on them ("overflow in static
extent product"), NumPy's helpers called them "could not be broadcast" or "array is too big" from a
pass. Now each is a `TracedShapeError` naming the user's line (or a `CompileError` / dump-ir error for
hand-written IR and argument specs). The XLA-bound cases run in a child process."""

from __future__ import annotations

import json

import numpy as np
import pytest
from helpers import exit_status, run_isolated
from jaxlib.mlir import ir as mlir

import ir
import tracer

F32 = np.float32


@pytest.mark.parametrize("shape", [(2**62,), (99999999999, 99999999999), (2**64,), (2**31, 2**31, 2)])
def test_an_argument_spec_of_more_than_2_63_bytes_is_refused(shape):
    with pytest.raises(tracer.TracedShapeError, match=r"test_oversized_shapes.py:\d+: ArraySpec: an array of shape "
                                                      r".* and dtype float32 would take .* bytes, more than any array"):
        tracer.ArraySpec(shape, F32)


def test_the_largest_spec_is_accepted_and_negative_sizes_are_not():
    assert tracer.ArraySpec((2**63 - 1,), np.bool_).shape == (2**63 - 1,)
    assert tracer.ArraySpec((2**61 - 1,), F32).shape == (2**61 - 1,)
    with pytest.raises(tracer.TracedShapeError, match="negative dimension"):
        tracer.ArraySpec((3, -1), F32)


@pytest.mark.parametrize("fn", [
    lambda x: np.broadcast_to(x, (2**40, 2**40)),
    lambda x: np.zeros_like(x, shape=(2**40, 2**40)),
    lambda x: np.tile(x, (2**40, 2**40)),
    lambda x: np.broadcast_to(x, (2**40, 1)) + np.broadcast_to(x, (2**40,)),  # each fits, the sum does not
], ids=["broadcast_to", "zeros_like", "tile", "broadcast sum"])
def test_an_op_whose_result_is_too_big_names_the_line(fn):
    with pytest.raises(tracer.TracedShapeError, match=r"test_oversized_shapes.py:\d+: an array of shape "
                                                      r"\(1099511627776, .*would take"):
        tracer.compile(fn, np.ones(1, F32))


def test_an_intermediate_too_big_for_mlir_names_the_line():
    """np.diag of 2**32 elements pads a flat vector of 2**64 elements (a dimension beyond int64): MLIR's binding
    refused the type with `TypeError: get(): incompatible function arguments`, naming no line."""
    with pytest.raises(tracer.TracedShapeError, match=r"test_oversized_shapes.py:\d+: an array of shape "
                                                      r"\(18446744073709551616,\) and dtype float32 would take"
                                                      r"(.|\n)*fix: work on smaller pieces"):
        tracer.compile(lambda x: np.diag(x), tracer.ArraySpec((2**32,), F32))


def test_the_op_builders_refuse_a_type_of_more_than_2_63_bytes():
    with ir.make_context(), mlir.Location.unknown():
        with pytest.raises(ir.dtypes.ArrayTooLargeError, match=r"an array of shape \(2147483648, 2147483648, 2\) and "
                                                              r"dtype float32 would take 3.69e\+19 bytes"):
            ir.dtypes.tensor_type((2**31, 2**31, 2), F32)
        assert ir.dtypes.tensor_type((2**63 - 1,), np.bool_).shape == [2**63 - 1]  # (the largest that fits)


def test_broadcasting_shapes_that_do_not_match_still_says_so():
    with pytest.raises(tracer.TracedShapeError, match=r"could not be broadcast together with shapes \(3,\) \(4,\)"):
        tracer.jit(lambda x, y: x + y)(np.ones(3, F32), np.ones(4, F32))


_CHILD = """
import io, json, numpy as np, tracer, runtime
from tracer import cli
cases = {
    "compile((2**62,) float32, optimize=False)": lambda: tracer.compile(lambda x: x + 1, tracer.ArraySpec((2**62,), np.float32), optimize=False),
    "broadcast_to (2**40, 2**40), optimize=False": lambda: tracer.compile(lambda x: np.broadcast_to(x, (2**40, 2**40)), np.ones(1, np.float32), optimize=False),
    "runtime tensor<4611686018427387904xf32>": lambda: runtime.compile_stablehlo(
        "func.func @main(%a: tensor<4611686018427387904xf32>) -> tensor<4611686018427387904xf32> {\\n  return %a : tensor<4611686018427387904xf32>\\n}"),
}
results = {}
for name, case in cases.items():
    try:
        case()
        results[name] = "no error"
    except Exception as err:
        results[name] = type(err).__name__ + ": " + str(err)
stderr = io.StringIO()
import contextlib
with contextlib.redirect_stderr(stderr):
    status = cli.main(["examples/quickstart.py:predict", "--arg", "f32[99999999999,99999999999]", "--arg", "f32[8,4]", "--arg", "f32[4]"], io.StringIO())
results["dump-ir --arg f32[99999999999,99999999999]"] = f"{status} {stderr.getvalue()}"
print(json.dumps(results))
"""


def test_oversized_shapes_given_to_xla_are_errors_not_an_abort():
    child = run_isolated(_CHILD)
    assert child.returncode == 0, exit_status(child)
    results = json.loads(child.stdout.splitlines()[-1])
    assert results["compile((2**62,) float32, optimize=False)"].startswith("TracedShapeError")
    assert results["broadcast_to (2**40, 2**40), optimize=False"].startswith("TracedShapeError")
    runtime_error = results["runtime tensor<4611686018427387904xf32>"]
    assert runtime_error.startswith("CompileError") and "the module has a tensor<4611686018427387904xf32> of 1.84e+19 bytes" in runtime_error
    assert results["dump-ir --arg f32[99999999999,99999999999]"].startswith(
        "1 dump-ir: error: bad --arg 'f32[99999999999,99999999999]': ArraySpec: an array of shape")
