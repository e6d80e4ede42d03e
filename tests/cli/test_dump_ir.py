"""`dump-ir` as a user runs it: a subprocess, output checked with FileCheck, errors as exit status 1."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from helpers_filecheck import filecheck

ROOT = Path(__file__).resolve().parents[2]
QUICKSTART = ROOT / "examples" / "quickstart.py"
PREDICT_ARGS = ["--arg", "f32[32,8]", "--arg", "f32[8,4]", "--arg", "f32[4]"]


def dump_ir(*args: str, console_script: bool = True) -> subprocess.CompletedProcess:
    """`dump-ir` run from this checkout (PYTHONPATH), not from the one the environment was installed from."""
    script = Path(sys.executable).with_name("dump-ir")
    command = [str(script)] if console_script and script.exists() else [sys.executable, "-m", "tracer.cli"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    return subprocess.run([*command, *args], capture_output=True, text=True, timeout=120, cwd=ROOT, env=env)


@pytest.mark.parametrize("console_script", [True, False], ids=["dump-ir", "python -m tracer.cli"])
def test_traced_stage_of_the_quickstart(console_script):
    result = dump_ir(f"{QUICKSTART}:predict", *PREDICT_ARGS, "--stage", "traced", console_script=console_script)
    assert result.returncode == 0, result.stderr
    filecheck(result.stdout, """
        CHECK: func.func public @main(%arg0: tensor<32x8xf32>, %arg1: tensor<8x4xf32>, %arg2: tensor<4xf32>)
        CHECK: stablehlo.dot_general
        CHECK: stablehlo.tanh
        CHECK: stablehlo.reduce
    """)


def test_hlo_stage_and_print_ir_after_all():
    result = dump_ir(f"{QUICKSTART}:predict", *PREDICT_ARGS, "--stage", "hlo",
                     "--pipeline", "canonicalize,cse", "--print-ir-after-all")
    assert result.returncode == 0, result.stderr
    filecheck(result.stdout, """
        CHECK: IR Dump After canonicalize
        CHECK: stablehlo.dot_general
        CHECK: IR Dump After cse
        CHECK: HloModule jit_predict
    """)


def test_mlir_file_through_a_pipeline(tmp_path):
    source = tmp_path / "m.mlir"
    source.write_text(textwrap.dedent("""
        func.func @main(%a: tensor<4xf32>) -> tensor<4xf32> {
          %0 = stablehlo.exponential %a : tensor<4xf32>
          %1 = stablehlo.exponential %a : tensor<4xf32>
          %2 = stablehlo.add %0, %1 : tensor<4xf32>
          return %2 : tensor<4xf32>
        }
    """))
    result = dump_ir(str(source), "--pipeline", "cse")
    assert result.returncode == 0, result.stderr
    filecheck(result.stdout, """
        CHECK:     %[[E:.*]] = stablehlo.exponential %arg0
        CHECK-NOT: stablehlo.exponential
        CHECK:     stablehlo.add %[[E]], %[[E]]
    """)


@pytest.mark.parametrize(
    "args, message",
    [
        (["{quickstart}:no_such_function", "--arg", "f32[2]"], "has no function 'no_such_function'"),
        (["does/not/exist.py:f"], "no such file"),
        (["{quickstart}:predict", "--arg", "f32[32,8", "--arg", "f32[8,4]"], "bad --arg 'f32[32,8'"),
        (["{quickstart}:predict", "--arg", "q7[2]"], "unknown dtype 'q7'"),
        (["{quickstart}:predict", "--arg", "f32[32,8]", "--arg", "f32[7,4]", "--arg", "f32[4]"], "not aligned"),
        (["{quickstart}:predict", *PREDICT_ARGS, "--pipeline", "no-such-pass"], "unknown pass 'no-such-pass'"),
        (["{malformed}"], "is not valid MLIR"),
        (["{malformed}"], 'loc("{malformed}":1:'),  # MLIR's diagnostics name the file, not "-"
        (["{binary}"], "is not MLIR text: byte 2 is not UTF-8"),
        (["{deep}"], "nests 100001 levels deep"),  # (MLIR's parser overflowed its stack: SIGSEGV)
    ],
)
def test_errors_are_one_message_and_exit_status_1(tmp_path, args, message):
    files = {"malformed": "func.func @main( {\n", "binary": b"ML\xefR\x00\x01",
             "deep": "func.func private @f() -> " + "tuple<" * 100000 + "tensor<f32>" + ">" * 100000}
    for name, content in files.items():
        (tmp_path / f"{name}.mlir").write_bytes(content if isinstance(content, bytes) else content.encode())
    paths = {name: tmp_path / f"{name}.mlir" for name in files}
    args = [a.format(quickstart=QUICKSTART, **paths) for a in args]
    message = message.format(**paths)
    result = dump_ir(*args)
    assert result.returncode == 1
    assert message in result.stderr
    assert result.stderr.startswith("dump-ir: error:")
    assert "Traceback" not in result.stderr


def test_the_quickstart_demo_runs_and_matches_numpy():
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, str(QUICKSTART)], capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 0, result.stderr
    assert "rows sum to probability 1: True" in result.stdout
    filecheck(result.stdout, """
        CHECK: StableHLO as traced
        CHECK: stablehlo.dot_general
        CHECK: after our pass pipeline
    """)


def test_print_ir_before_and_after_one_pass_with_statistics(tmp_path):
    source = tmp_path / "m.mlir"
    source.write_text(textwrap.dedent("""
        func.func @main(%a: tensor<4xf32>) -> tensor<4xf32> {
          %z = stablehlo.constant dense<0.0> : tensor<4xf32>
          %0 = stablehlo.multiply %a, %a : tensor<4xf32>
          %1 = stablehlo.negate %0 : tensor<4xf32>
          %2 = stablehlo.negate %1 : tensor<4xf32>
          return %2 : tensor<4xf32>
        }
    """))
    result = dump_ir(str(source), "--pipeline", "simplify,dce", "--print-ir-before", "simplify",
                     "--print-ir-after", "dce", "--statistics")
    assert result.returncode == 0, result.stderr
    filecheck(result.stdout, """
        CHECK: IR Dump Before simplify
        CHECK: stablehlo.negate
        CHECK-NOT: IR Dump After simplify
        CHECK: IR Dump After dce
        CHECK-NOT: stablehlo.negate
        CHECK-NOT: stablehlo.constant
        CHECK: return
        CHECK: pass {{ +}} ms {{ +}}ops before {{ +}}ops after
        CHECK-NEXT: simplify
        CHECK-NEXT: dce
    """)


def test_print_ir_after_change_skips_passes_that_change_nothing():
    result = dump_ir(f"{QUICKSTART}:predict", *PREDICT_ARGS, "--stage", "traced",
                     "--pipeline", "cse,canonicalize", "--print-ir-after-change")
    assert result.returncode == 0, result.stderr
    assert "IR Dump After cse" not in result.stdout  # nothing to merge in predict


def test_print_ir_before_a_pass_not_in_the_pipeline_is_an_error():
    result = dump_ir(f"{QUICKSTART}:predict", *PREDICT_ARGS, "--pipeline", "cse", "--print-ir-before", "simplfy")
    assert result.returncode == 1
    assert "'simplfy' is not in the pipeline (cse)" in result.stderr
