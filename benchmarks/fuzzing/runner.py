"""The fuzz loop: generate program i of a seed, evaluate it, shrink the first program of each new kind of
failure, and tally everything for the report.
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field

from benchmarks.fuzzing.evaluate import Finding, evaluate
from benchmarks.fuzzing.generate import Config, generate
from benchmarks.fuzzing.program import Program
from benchmarks.fuzzing.shrink import shrink
from benchmarks.fuzzing.values import literal
from benchmarks.fuzzing.workers import Pool


def program_seed(seed: int, index: int) -> int:
    """Program `index` of run `seed`: reproducible alone (`--seed S --only I`)."""
    return (seed << 32) | index


@dataclass
class Example:
    """The first program that failed in one way, shrunk."""

    finding: Finding
    index: int  # program number in the run
    program: Program  # as shrunk
    original_ops: int
    count: int = 1  # programs that failed this way


@dataclass
class Report:
    seed: int
    programs: int = 0
    seconds: float = 0.0
    findings: Counter = field(default_factory=Counter)  # (status, kind, comparison) -> count
    rules: Counter = field(default_factory=Counter)  # (status, rule) -> count
    unsupported: Counter = field(default_factory=Counter)  # call -> count
    examples: dict = field(default_factory=dict)  # Finding.signature() -> Example
    restarts: int = 0

    def count(self, status: str, kind_prefix: str = "") -> int:
        return sum(n for (s, k, _), n in self.findings.items() if s == status and k.startswith(kind_prefix))

    @property
    def crashes(self) -> int:
        return self.count("bug", "crash") + self.count("bug", "hang")

    @property
    def mismatches(self) -> int:
        return self.count("bug") - self.crashes

    def bugs(self) -> list[Example]:
        return [e for e in self.examples.values() if e.finding.status == "bug"]

    def summary(self) -> str:
        lines = [f"fuzz: {self.programs} programs (seed {self.seed}) in {self.seconds:.0f} s: "
                 f"{self.crashes} crashes or hangs, {self.mismatches} undocumented mismatches "
                 f"({self.restarts} worker restarts)"]

        def block(title: str, counter: Counter) -> None:
            if counter:
                lines.append(title)
                lines.extend(f"  {n:6d}  {what}" for what, n in counter.most_common())

        by_status: dict[str, Counter] = {}
        for (status, kind, comparison), n in self.findings.items():
            by_status.setdefault(status, Counter())[f"{kind} ({comparison})"] += n
        block("bugs (crashes, and mismatches no allow-list explains):", by_status.get("bug", Counter()))
        block("known wrong answers and crashes (issue 16):", Counter({r: n for (s, r), n in self.rules.items() if s == "known"}))
        block("documented differences (README):", Counter({r: n for (s, r), n in self.rules.items() if s == "documented"}))
        block("unsupported, with a clear error (tracer.UnsupportedNumPyError):", self.unsupported)
        block("rounding grown through later ops (every op within its tolerance):", by_status.get("propagated", Counter()))
        return "\n".join(lines)


def reproducer(example: Example, seed: int) -> str:
    """A standalone script that shows the failure."""
    f = example.finding
    p = example.program
    header = [f"# fuzz seed {seed}, program {example.index} (python -m benchmarks.fuzz --seed {seed} --only {example.index}),",
              f"# shrunk from {example.original_ops} ops to {len(p.ops)}; {example.count} program(s) failed this way.",
              f"# {f.headline()}"]
    header += [f"#   {line}" for line in f.detail.splitlines()[:8]]
    args = ", ".join(literal(value) for _, value in p.args)
    body = f"""import ml_dtypes  # noqa: F401
import numpy as np

import tracer

{p.source()}
args = ({args}{',' if len(p.args) == 1 else ''})
with np.errstate(all="ignore"):
    print("numpy          ", f(*(a.copy() for a in args)))
for optimize in (False, True):
    print(f"optimize={{optimize!s:5}} ", tuple(np.asarray(r) for r in tracer.jit(f, optimize=optimize)(*args)))
"""
    return "\n".join(header) + "\n" + body


def needed_modes(finding: Finding) -> tuple[bool, ...]:
    """The compilations that show `finding`: both for a difference between them, else the one it names."""
    if "False" in finding.comparison and "True" in finding.comparison:
        return (False, True)
    return (finding.comparison.endswith("True"),)


def run(programs: int, seed: int = 0, config: Config = Config(), *, workers: int = 2, timeout: float = 120.0,
        shrink_budget: int = 60, time_limit: float | None = None, only: int | None = None, log=print,
        pool: Pool | None = None) -> Report:
    """Programs 0..programs-1 of `seed` (or just `only`), on `pool` or on `workers` processes of its own."""
    report = Report(seed)
    start = time.monotonic()
    indices = [only] if only is not None else range(programs)
    own_pool = pool is None
    pool = pool or Pool(workers, timeout=timeout)
    try:
        for index in indices:
            if time_limit is not None and time.monotonic() - start > time_limit:
                log(f"fuzz: time limit reached after {report.programs} programs")
                break
            program = generate(program_seed(seed, index), config)
            if only is not None:
                log(program.source())
            findings = evaluate(program, pool)
            report.programs += 1
            for finding in findings:
                _tally(report, finding)
                if finding.status in ("bug", "known"):
                    _remember(report, finding, index, program, pool, shrink_budget if finding.status == "bug" else 0, log)
            if only is not None:
                for finding in findings:
                    log(f"{finding.headline()}\n  {finding.detail}")
            if report.programs % 100 == 0:
                log(f"fuzz: {report.programs} programs, {time.monotonic() - start:.0f} s, "
                    f"{report.crashes} crashes, {report.mismatches} mismatches")
        report.restarts = pool.restarts
    finally:
        if own_pool:
            pool.close()
    report.seconds = time.monotonic() - start
    return report


def _tally(report: Report, finding: Finding) -> None:
    report.findings[(finding.status, finding.kind, finding.comparison)] += 1
    if finding.rule:
        report.rules[(finding.status, finding.rule)] += 1
    if finding.status == "unsupported":
        message = finding.detail.split(": ", 1)[-1][:110]
        report.unsupported[f"{finding.call}: {message}"] += 1


def _remember(report: Report, finding: Finding, index: int, program: Program, pool: Pool, budget: int, log) -> None:
    key = finding.signature()
    if key in report.examples:
        report.examples[key].count += 1
        return
    modes = needed_modes(finding)

    def still_fails(candidate: Program) -> bool:
        try:
            return any(f.signature() == key for f in evaluate(candidate, pool, modes))
        except Exception:  # noqa: BLE001  (a candidate the generator would never make: not a reduction)
            return False

    small, tried = shrink(program, still_fails, budget) if budget else (program, 0)
    report.examples[key] = Example(finding, index, small, len(program.ops))
    log(f"fuzz: program {index}: {finding.headline()} (shrunk {len(program.ops)} -> {len(small.ops)} ops in {tried} tries)")

