"""`runtime.integer_division`: hand-written StableHLO whose integer divisor XLA can see is zero while it
compiles (which killed the process with SIGFPE in XLA's constant folder) compiles and gives XLA's own
run-time answers (x / 0 = -1, x % 0 = x); a traced module, whose divisions are guarded already, is
handed to XLA unchanged. The compilations run in a child process: a crash is a failed test."""

from __future__ import annotations

import json

import numpy as np
from helpers import exit_status, run_isolated

import tracer
from runtime.integer_division import guard_division_by_zero

T = "tensor<4xi32>"
# body (with %a the argument, %c the result) -> what XLA computes for it with the argument 0, 1, 2, 3
MODULES = {
    "constant [1, 2, 3, 4] / [0, 1, 0, 2]": (
        f"%x = stablehlo.constant dense<[1, 2, 3, 4]> : {T}\n  %y = stablehlo.constant dense<[0, 1, 0, 2]> : {T}\n"
        f"  %c = stablehlo.divide %x, %y : {T}", [-1, 2, -1, 2]),
    "constant [1, 2, 3, 4] % [0, 1, 0, 3]": (
        f"%x = stablehlo.constant dense<[1, 2, 3, 4]> : {T}\n  %y = stablehlo.constant dense<[0, 1, 0, 3]> : {T}\n"
        f"  %c = stablehlo.remainder %x, %y : {T}", [1, 0, 3, 1]),
    "(a - a) / (a - a)": (f"%z = stablehlo.subtract %a, %a : {T}\n  %c = stablehlo.divide %z, %z : {T}", [-1] * 4),
    "7 % (a * 0)": (
        f"%k = stablehlo.constant dense<0> : {T}\n  %z = stablehlo.multiply %a, %k : {T}\n"
        f"  %s = stablehlo.constant dense<7> : {T}\n  %c = stablehlo.remainder %s, %z : {T}", [7] * 4),
    "1 / (a & 0)": (
        f"%k = stablehlo.constant dense<0> : {T}\n  %z = stablehlo.and %a, %k : {T}\n"
        f"  %s = stablehlo.constant dense<1> : {T}\n  %c = stablehlo.divide %s, %z : {T}", [-1] * 4),
    "a / a (a = 0 at run time)": (f"%c = stablehlo.divide %a, %a : {T}", [-1, 1, 1, 1]),
}

_CHILD = """
import json, sys, numpy as np, runtime
results = {}
for name, body in json.loads(sys.argv[1]).items():
    text = "func.func @main(%a: tensor<4xi32>) -> tensor<4xi32> {\\n  " + body + "\\n  return %c : tensor<4xi32>\\n}"
    executable = runtime.compile_stablehlo(text)
    argument = runtime.to_device(np.arange(4, dtype=np.int32)).buffer
    results[name] = np.asarray(executable.execute([argument])[0]).tolist()
print(json.dumps(results))
"""


def test_hand_written_division_by_a_zero_xla_can_see_compiles_to_xlas_answers():
    child = run_isolated(_CHILD, json.dumps({name: body for name, (body, _) in MODULES.items()}))
    assert child.returncode == 0, exit_status(child)
    results = json.loads(child.stdout.splitlines()[-1])
    assert results == {name: expected for name, (_, expected) in MODULES.items()}


def test_guarded_modules_and_modules_without_integer_division_pass_unchanged():
    x = np.arange(1, 4, dtype=np.int32)
    for optimize in (True, False):
        traced = tracer.compile(lambda a, b: (a // b, a % b, np.fmod(a, b), np.gcd(a, b)), x, x, optimize=optimize)
        text = traced.as_text("optimized")
        assert "stablehlo.divide" in text and guard_division_by_zero(text) is text
    floats = tracer.compile(lambda a: a / 3, x.astype(np.float32)).as_text("optimized")
    assert guard_division_by_zero(floats) is floats


def test_a_divisor_not_known_to_be_nonzero_gets_the_guard():
    body, _ = MODULES["a / a (a = 0 at run time)"]
    text = f"func.func @main(%a: {T}) -> {T} {{\n  {body}\n  return %c : {T}\n}}"
    guarded = guard_division_by_zero(text)
    assert guarded != text and guarded.count("stablehlo.select") == 2
