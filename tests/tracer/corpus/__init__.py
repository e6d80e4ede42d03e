"""Real-style NumPy programs, written for this project in the idioms NumPy code is written in: buffers
made with np.zeros and filled in loops, hand-written backprop, masks that keep the shape, drivers that
change their arguments, np.array of lists, range indexing. Each module gives its programs as
`PROGRAMS: dict[name, Program]`; tests/tracer/test_corpus.py runs each compiled and compares it with
eager NumPy, and benchmarks/real_programs.py times them against NumPy (and jax.jit where JAX runs the
same source unchanged).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Callable

__all__ = ["MODULES", "Program", "all_programs"]

MODULES = ("char_rnn", "conv_pool", "mlp_backprop", "nbody", "heat", "kalman", "kmeans", "gpt", "activations")


@dataclass(frozen=True)
class Program:
    """`fn(*inputs(scale))`: the program; `scale` is "test" (small, seconds to trace and compile) or "bench".
    `static`: positions of arguments that are configuration (jit's static_argnums). `mutates`: it writes into
    its arguments (compare them after the call too). `rtol`: tolerance against NumPy."""

    fn: Callable
    inputs: Callable
    static: tuple = ()
    mutates: bool = False
    rtol: float = 1e-6
    atol: float = 1e-6
    notes: str = ""
    tags: tuple = field(default=())


def all_programs() -> dict[str, Program]:
    programs = {}
    for module in MODULES:
        for name, program in importlib.import_module(f"{__name__}.{module}").PROGRAMS.items():
            programs[f"{module}.{name}"] = program
    return programs
