"""Differential fuzzer: random NumPy programs run by NumPy, by `tracer.jit(f, optimize=False)` and by
`tracer.jit(f)` (our default pipeline), each compilation in a child process.

    python -m benchmarks.fuzz --programs 10000            # the long run (issue 16)
    python -m benchmarks.fuzz --seed 3 --only 417         # one program again, with its source and findings
    python -m benchmarks.fuzz --programs 500 --known-crashes   # also the generators of issue 16's known crashes

Prints the counts (programs, crashes, mismatches by kind, known and documented differences, time)
and, for each new kind of failure, a shrunk standalone reproducer. Exit status 1 if it found a crash
or an undocumented mismatch. Not a benchmark of speed: it lives here beside the other long runs.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

if not __package__:  # run as a file: its folder would come first on sys.path and shadow the `runtime` package
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

from benchmarks.fuzzing.generate import KNOWN_CRASH_GENERATORS, Config  # noqa: E402
from benchmarks.fuzzing.runner import reproducer, run  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.fuzz", description=__doc__.split("\n\n")[0])
    parser.add_argument("--programs", type=int, default=1000, help="how many programs (default 1000)")
    parser.add_argument("--seed", type=int, default=0, help="run seed: program i of seed s is always the same")
    parser.add_argument("--only", type=int, default=None, metavar="I", help="run program I of the seed alone, verbosely")
    parser.add_argument("--workers", type=int, default=2, help="child processes compiling at once (default 2)")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds before a compilation counts as a hang")
    parser.add_argument("--time-limit", type=float, default=None, help="stop starting programs after this many seconds")
    parser.add_argument("--shrink-budget", type=int, default=60, help="evaluations spent shrinking each new failure")
    parser.add_argument("--max-ops", type=int, default=Config.max_ops, help="statements per program")
    parser.add_argument("--known-crashes", nargs="*", default=None, choices=sorted(KNOWN_CRASH_GENERATORS),
                        help="also draw the programs that crash today (issue 16); all of them if none named")
    parser.add_argument("--reproducers", type=Path, default=None, help="also write each reproducer into this folder")
    options = parser.parse_args(argv)

    known = frozenset(KNOWN_CRASH_GENERATORS if options.known_crashes == [] else options.known_crashes or ())
    config = Config(max_ops=options.max_ops, known_crashes=known)
    report = run(options.programs, options.seed, config, workers=options.workers, timeout=options.timeout,
                 shrink_budget=options.shrink_budget, time_limit=options.time_limit, only=options.only,
                 log=lambda line: print(line, flush=True))
    print()
    print(report.summary())
    for number, example in enumerate(sorted(report.examples.values(), key=lambda e: e.finding.status), 1):
        script = reproducer(example, options.seed)
        print(f"\n--- reproducer {number} ---\n{script}")
        if options.reproducers is not None:
            options.reproducers.mkdir(parents=True, exist_ok=True)
            (options.reproducers / f"repro_{number:02d}.py").write_text(script)
    return 1 if report.crashes or report.mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
