"""Running a pipeline over a module: our Python passes and MLIR's built-ins, one at a time.

Each pass is followed by verification (an invalid result names the pass and
shows MLIR's diagnostics), optional IR printing, and timing/op-count statistics.
MLIR's own passes run under MLIR's pass manager, which verifies after each pass itself (a failure
raises, and is reported as that pass failing), so only our Python passes are verified here, and
not those whose `apply` returns False: it says they left the module as it was.
"""

from __future__ import annotations

import difflib
import functools
import sys
import time
from dataclasses import dataclass, field
from typing import TextIO

from jaxlib.mlir import ir as mlir
from jaxlib.mlir import passmanager
from jaxlib.mlir.dialects import stablehlo

import ir
from ir.errors import PyreactantError
from ir.query import count_ops
from passes import registry
from passes.pipeline import PassSpec, PipelineError, parse_pipeline

__all__ = ["DEFAULT_PIPELINE", "MLIR_PASSES", "PassFailedError", "PassManager", "PassStatistics", "available",
           "format_statistics", "run"]

# MLIR passes pyreactant pipelines are documented to accept (any registered MLIR pass works).
MLIR_PASSES = ("canonicalize", "cse", "symbol-dce", "stablehlo-refine-shapes")
DEFAULT_PIPELINE = "inline,canonicalize,simplify,cse"


def _expand_default(pipeline: str) -> str:
    """`default` in a pipeline stands for `DEFAULT_PIPELINE` (`passes.run(m, "default,autodiff,default")`)."""
    return ",".join(DEFAULT_PIPELINE if part.strip() == "default" else part for part in pipeline.split(","))

stablehlo.register_stablehlo_passes()


class PassFailedError(PyreactantError, RuntimeError):
    """A pass raised, or left a module that does not verify."""


@dataclass
class PassStatistics:
    name: str
    seconds: float
    ops_before: int | None  # None unless the manager counts ops (`op_counts=True`)
    ops_after: int | None


@dataclass
class PassManager:
    pipeline: str = DEFAULT_PIPELINE
    verify_each: bool = True
    print_ir_after_all: bool = False
    print_ir_after_change: bool = False
    print_ir_before: tuple[str, ...] = ()
    print_ir_after: tuple[str, ...] = ()
    stream: TextIO | None = None
    statistics: list[PassStatistics] = field(default_factory=list)
    # Counting walks every op in Python twice per pass: as costly as several passes, so only on request
    # (dump-ir --statistics, benchmarks).
    op_counts: bool = False

    def __post_init__(self):
        self._specs = parse_pipeline(_expand_default(self.pipeline)) if self.pipeline.strip() else []
        self._runners = [self._runner(spec) for spec in self._specs]
        self._verified_by_mlir = [registry.lookup(spec.name) is None for spec in self._specs]

    def _runner(self, spec: PassSpec):
        cls = registry.lookup(spec.name)
        if cls is not None:
            return registry.instantiate(cls, spec).apply
        text = f"builtin.module({spec})"
        # A built-in we rely on, without options, needs no trial parse (each costs a scratch context, ~3 ms).
        known = spec.name in MLIR_PASSES and not spec.options
        if not known:
            problem = _mlir_pipeline_problem(text)
            if problem is not None:
                raise _unknown_pass_or_options(spec, problem)

        def run_mlir_pass(module: mlir.Module) -> None:
            passmanager.PassManager.parse(text, context=module.context).run(module.operation)

        return run_mlir_pass

    def run(self, module: mlir.Module) -> mlir.Module:
        """Run every pass in order on `module` (in place) and return it."""
        out = self.stream or sys.stderr
        for spec, runner, verified_by_mlir in zip(self._specs, self._runners, self._verified_by_mlir):
            before_text = ir.print_module(module) if self.print_ir_after_change else None
            if spec.name in self.print_ir_before:
                self._dump(out, "Before", spec, module)
            ops_before = (self.statistics[-1].ops_after if self.statistics and self.statistics[-1].ops_after is not None
                          else count_ops(module)) if self.op_counts else None
            start = time.perf_counter()
            try:
                untouched = runner(module) is False
            except Exception as err:  # a pass bug must not look like a user error
                raise PassFailedError(f"pass {spec} failed: {err}", where="") from err
            seconds = time.perf_counter() - start
            if self.verify_each and not verified_by_mlir and not untouched:
                try:
                    ir.verify(module)
                except ir.MLIRVerificationError as err:
                    raise PassFailedError(f"pass {spec} produced invalid IR:\n{err}\n{ir.print_module(module)}",
                                          where="") from None
            self.statistics.append(PassStatistics(str(spec), seconds, ops_before, count_ops(module) if self.op_counts else None))
            changed = before_text is not None and before_text != ir.print_module(module)
            if self.print_ir_after_all or spec.name in self.print_ir_after or changed:
                self._dump(out, "After", spec, module)
        return module

    @staticmethod
    def _dump(out: TextIO, when: str, spec: PassSpec, module: mlir.Module) -> None:
        out.write(f"// -----// IR Dump {when} {spec} //----- //\n{ir.print_module(module)}\n")

    def report(self) -> str:
        """Per-pass wall time and op counts, one line each."""
        return format_statistics(self.statistics)


def format_statistics(statistics: list[PassStatistics]) -> str:
    lines = [f"{'pass':<40} {'ms':>9} {'ops before':>11} {'ops after':>10}"]
    for s in statistics:
        before, after = ("-" if n is None else n for n in (s.ops_before, s.ops_after))
        lines.append(f"{s.name:<40} {s.seconds * 1e3:>9.3f} {before:>11} {after:>10}")
    return "\n".join(lines)


@functools.lru_cache(maxsize=256)
def _mlir_pipeline_problem(text: str) -> str | None:
    """None when MLIR parses `text` as a pass pipeline (checked in a scratch context), else its complaint."""
    try:
        with ir.make_context():
            passmanager.PassManager.parse(text)
    except ValueError as err:
        return " ".join(str(err).split())
    return None


def _unknown_pass_or_options(spec: PassSpec, problem: str) -> PipelineError:
    """The error for a pass MLIR refused: options an existing MLIR pass does not take, or no such pass."""
    if spec.options and (spec.name in MLIR_PASSES or _mlir_pipeline_problem(f"builtin.module({spec.name})") is None):
        given = ", ".join(f"{key}={value}" for key, value in spec.options.items())
        return PipelineError(f"MLIR's pass {spec.name!r} refused the options {{{given}}}: {problem}",
                             fix=f"write {spec.name} without them, or with options it has (see `mlir-opt --help`)",
                             where="")
    close = difflib.get_close_matches(spec.name, available(), n=3)
    return PipelineError(f"unknown pass {spec.name!r}; available: {', '.join(available())}",
                         fix=f"did you mean {' or '.join(repr(c) for c in close)}?" if close else
                             "give one of the available passes (passes.available())", where="")


def available() -> list[str]:
    """Pass names pipelines accept: ours, then the MLIR built-ins we rely on."""
    return registry.python_pass_names() + list(MLIR_PASSES)


def run(module_or_text, pipeline: str = DEFAULT_PIPELINE, **options) -> mlir.Module:
    """Run `pipeline` on a module (or MLIR text, parsed into a fresh context) and return the module."""
    module = ir.parse_module(module_or_text) if isinstance(module_or_text, str) else module_or_text
    return PassManager(pipeline, **options).run(module)
