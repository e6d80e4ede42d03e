"""`dump-ir`: print the IR of a traced Python function, or run passes over an .mlir file.

    dump-ir examples/quickstart.py:predict --arg f32[32,8] --arg f32[8,4] --arg f32[4] --stage optimized
    dump-ir model.mlir --pipeline canonicalize,cse --print-ir-after-all
    dump-ir model.mlir --pipeline fold,simplify,dce --print-ir-before simplify --statistics
    dump-ir model.py:loss --arg f32[5,3] --arg f32[4,5] --grad 0 --stage optimized   (the gradient's module)
    dump-ir model.mlir --pipeline "autodiff{mode=reverse wrt=0,1},simplify,cse"
    python -m tracer.cli ...   (the same)

Errors (a missing file or function, a bad spec, malformed MLIR, a tracing error)
print one clear message and exit with status 1.
"""

from __future__ import annotations

import argparse
import importlib.util
import re
import sys
from pathlib import Path

import ir
import passes
from ir import dtypes
from ir.errors import PyreactantError
from passes.pass_manager import format_statistics
from passes.pipeline import parse_pipeline
from tracer.differentiation import value_and_grad
from tracer.jit_function import JitFunction
from tracer.signature import ArraySpec

__all__ = ["CLIError", "build_parser", "jitted_pipeline", "load_function", "main", "parse_arg_spec"]

_SPEC = re.compile(r"^(?P<dtype>[a-z0-9]+)\[(?P<dims>[0-9, ]*)\]$")


class CLIError(PyreactantError):
    """A mistake in the command line or its inputs, reported without a traceback.

    It concerns no line of Python, so `where` is empty unless given."""

    def __init__(self, message: str, *, fix: str | None = None, where: str = ""):
        super().__init__(message, fix=fix, where=where)


def parse_arg_spec(text: str):
    """`f32[32,8]` -> ArraySpec((32, 8), float32); `i64[]` is a scalar."""
    match = _SPEC.match(text.strip())
    if not match:
        raise CLIError(f"bad --arg {text!r}", fix="write dtype[dims], e.g. f32[32,8], i64[] (scalar), bf16[4]")
    try:
        dtype = dtypes.from_short_name(match["dtype"])
    except ValueError as err:
        raise CLIError(f"bad --arg {text!r}: {err}") from None
    dims = [d for d in match["dims"].replace(" ", "").split(",") if d]
    try:
        return ArraySpec(tuple(int(d) for d in dims), dtype)
    except PyreactantError as err:  # (a shape too big for any array)
        raise CLIError(f"bad --arg {text!r}: {err.message}", fix=err.fix) from None


def load_function(target: str):
    """`path/to/file.py:name` -> the function object (a tracer.jit function is unwrapped by compile)."""
    path_text, sep, name = target.rpartition(":")
    if not sep or not name:
        raise CLIError(f"bad target {target!r}", fix="write path/to/file.py:function_name (or give an .mlir file)")
    path = Path(path_text)
    if not path.is_file():
        raise CLIError(f"no such file: {path}", fix="check the path (a relative path starts at the current directory)")
    spec = importlib.util.spec_from_file_location(f"_dump_ir_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(path.parent.resolve()))
    try:
        spec.loader.exec_module(module)  # the file's `if __name__ == "__main__":` block does not run
    finally:
        sys.path.pop(0)
    try:
        return getattr(module, name)
    except AttributeError:
        available = sorted(n for n, v in vars(module).items() if callable(v) and not n.startswith("_"))
        raise CLIError(f"{path} has no function {name!r}",
                       fix=f"name one it defines: {', '.join(available)}" if available else "it defines nothing callable: "
                           "give a file that defines the function") from None


def _dump_function(options, out) -> None:
    fn = load_function(options.target)
    fn = fn.fn if isinstance(fn, JitFunction) else fn
    if options.grad:
        fn = value_and_grad(fn, argnums=tuple(options.grad) if len(options.grad) > 1 else options.grad[0])
    specs = [parse_arg_spec(text) for text in options.arg]
    pipeline = options.pipeline
    statistics = []
    jitted = JitFunction(fn, pipeline=pipeline, optimize=pipeline != "",
                         pass_options=_pass_options(options, out, statistics, jitted_pipeline(pipeline)))
    compiled = jitted.compile(*specs)
    out.write(compiled.as_text(options.stage) + "\n")
    _report(options, out, statistics)


def jitted_pipeline(pipeline: str | None) -> str:
    """The pipeline a Python target runs: the jit default unless --pipeline names one."""
    return passes.DEFAULT_PIPELINE if pipeline is None else pipeline


def _pass_options(options, out, statistics: list, pipeline: str) -> dict:
    """The PassManager keywords the printing flags ask for (statistics are collected into `statistics`)."""
    names = [spec.name for spec in parse_pipeline(pipeline)] if pipeline.strip() else []
    for flag, wanted in (("--print-ir-before", options.print_ir_before), ("--print-ir-after", options.print_ir_after)):
        for name in wanted:
            if name not in names:
                raise CLIError(f"{flag} {name}: {name!r} is not in the pipeline ({', '.join(names) or 'empty'})",
                               fix="give a pass name from it, or add the pass with --pipeline")
    return {"print_ir_after_all": options.print_ir_after_all, "print_ir_after_change": options.print_ir_after_change,
            "print_ir_before": tuple(options.print_ir_before), "print_ir_after": tuple(options.print_ir_after),
            "stream": out, "statistics": statistics, "op_counts": options.statistics}


def _report(options, out, statistics: list) -> None:
    if options.statistics:
        out.write(format_statistics(statistics) + "\n")


def _dump_mlir_file(options, out) -> None:
    path = Path(options.target)
    if not path.is_file():
        raise CLIError(f"no such file: {path}", fix="check the path (a relative path starts at the current directory)")
    try:
        module = ir.parse_file(path)
    except ir.MLIRParseError as err:
        raise CLIError(f"{path} is not valid MLIR:\n{err}") from None
    if options.grad:
        raise CLIError("--grad applies to Python targets",
                       fix='differentiate a module with --pipeline "autodiff{mode=reverse wrt=0}"')
    if options.stage != "optimized":
        raise CLIError("--stage applies to Python targets",
                       fix="drop --stage: an .mlir file is printed after the passes of --pipeline")
    statistics = []
    passes.run(module, options.pipeline or "", **_pass_options(options, out, statistics, options.pipeline or ""))
    out.write(ir.print_module(module) + "\n")
    _report(options, out, statistics)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dump-ir", description=__doc__.split("\n\n")[0])
    parser.add_argument("target", help="path/to/file.py:function, or path/to/module.mlir")
    parser.add_argument("--arg", action="append", default=[], metavar="SPEC",
                        help="one array argument as dtype[dims], e.g. f32[32,8]; repeat in order")
    parser.add_argument("--stage", choices=("traced", "optimized", "hlo"), default="optimized",
                        help="traced StableHLO, after our passes, or XLA's optimised HLO (default: optimized)")
    parser.add_argument("--pipeline", default=None,
                        help="pass pipeline, e.g. 'canonicalize,cse' (default: the jit default for .py; none for .mlir)")
    parser.add_argument("--print-ir-after-all", action="store_true", help="print the module after every pass")
    parser.add_argument("--print-ir-after-change", action="store_true", help="print the module after each pass that changed it")
    parser.add_argument("--print-ir-before", action="append", default=[], metavar="PASS",
                        help="print the module before each run of PASS (repeatable)")
    parser.add_argument("--print-ir-after", action="append", default=[], metavar="PASS",
                        help="print the module after each run of PASS (repeatable)")
    parser.add_argument("--statistics", action="store_true", help="print each pass's wall time and op counts")
    parser.add_argument("--grad", action="append", type=int, default=[], metavar="N",
                        help="dump the value and gradient of the (scalar) function with respect to argument N "
                             "(repeatable), differentiated by our reverse-mode pass")
    return parser


def main(argv=None, out=None) -> int:
    options = build_parser().parse_args(argv)
    out = out or sys.stdout
    try:
        if options.target.endswith(".mlir"):
            _dump_mlir_file(options, out)
        else:
            _dump_function(options, out)
    except Exception as err:  # ours (command line, tracing, passes) say what happened and what to do; XLA's carry their type
        kind = "" if isinstance(err, PyreactantError) else f"{type(err).__name__}: "
        print(f"dump-ir: error: {kind}{err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
