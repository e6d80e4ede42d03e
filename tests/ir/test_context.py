"""`ir.context`: parsing MLIR text and files. Text nested too deeply for MLIR's recursive parser is refused
with an error (it overflowed the stack: SIGSEGV), files are named in diagnostics, binary files refused.
The crash cases run in a child process, so that a crash is a failed test."""

from __future__ import annotations

import json

import pytest
from helpers import exit_status, nested_ifs, run_isolated

import ir


@pytest.mark.parametrize("text, depth", [
    ("func.func @f(%a: tensor<2xf32>) -> tensor<2xf32>", 2),
    ('func.func @f() attributes {s = "((((<<<<{{{{"} {\n return\n}', 1),  # (strings do not count)
    ("%0 = stablehlo.compare GE, %a, %b : (tensor<f32>, tensor<f32>) -> tensor<i1>", 2),
    ("tuple<" * 7 + "f32" + ">" * 7, 7),
    ("", 0),
])
def test_nesting_depth_counts_brackets_outside_strings_and_arrows(text, depth):
    assert ir.nesting_depth(text) == depth


def test_nesting_depth_of_one_kind_of_bracket():
    assert ir.nesting_depth(nested_ifs(5), "{") == 6  # five regions in @main's body
    assert ir.nesting_depth(nested_ifs(5)) == 12


def test_a_module_within_the_limit_parses():
    module = ir.parse_module(nested_ifs(100))
    assert ir.query.count_ops(module) > 300


_CHILD = """
import json, sys
import ir, passes
results = {}
for name, path in json.loads(sys.argv[1]).items():
    text = open(path).read()
    try:
        passes.run(text, "cse")
        results[name] = "parsed"
    except ir.MLIRParseError as err:
        results[name] = str(err)
print(json.dumps(results))
"""


def test_text_nested_too_deeply_is_an_error_not_a_crash(tmp_path):
    texts = {"tuple< 100000 times": "func.func private @f() -> " + "tuple<" * 100000 + "tensor<f32>" + ">" * 100000,
             "5000 nested stablehlo.if": nested_ifs(5000),
             "100000 parentheses": "func.func @main() -> " + "(" * 100000 + "tensor<f32>" + ")" * 100000}
    paths = {}
    for i, (name, text) in enumerate(texts.items()):
        paths[name] = str(tmp_path / f"{i}.mlir")
        (tmp_path / f"{i}.mlir").write_text(text)
    child = run_isolated(_CHILD, json.dumps(paths))
    assert child.returncode == 0, exit_status(child)
    results = json.loads(child.stdout.splitlines()[-1])
    for name, message in results.items():
        assert "levels deep" in message and f"at most {ir.MAX_NESTING}" in message, (name, message)
        assert "fix: nest less deeply" in message


def test_a_file_is_named_in_diagnostics_and_binary_files_are_refused(tmp_path):
    source = tmp_path / "model.mlir"
    source.write_text("func.func @main() -> tensor<f32> {\n  return %x : tensor<f32>\n}\n")
    with pytest.raises(ir.MLIRParseError, match=r'loc\(".*model.mlir":2:10\): use of undeclared SSA value'):
        ir.parse_file(source)
    source.write_bytes(b"ML\xefR\x00bytecode")
    with pytest.raises(ir.MLIRParseError, match="is not MLIR text: byte 2 is not UTF-8"):
        ir.parse_file(source)
    source.write_text("func.func @main(%a: tensor<2xf32>) -> tensor<2xf32> {\n  return %a : tensor<2xf32>\n}\n")
    module = ir.parse_file(source)
    assert "model.mlir" in str(ir.query.main_function(module).location)
