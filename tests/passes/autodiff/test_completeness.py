"""Every op the tracer can emit has a derivative rule, is inactive, or is a listed known gap.

The ops come from tracing, not from a list kept by hand: every entry of the NumPy function table
(tests/tracer/tables/, in a float dtype where the entry has one), every ufunc of the ufunc registry,
and the tracer's own functions outside NumPy (convolution and pooling, random numbers, control flow,
sharding constraints). Each module is read as traced and after the default pipeline (autodiff runs
after it: ops the simplifier introduces count too). Nothing is compiled.

An op is covered when `passes.autodiff.has_rule` says so, when it differentiates as a region (if, case,
while), or when it is inactive by dtype: no traced occurrence has a float result (compare, and, iota of
integers ...), so activity analysis never asks it for a derivative. The rules' own output is held to the
same standard (the closure that makes second order work): the reverse derivative of each traced module
uses only covered ops.
"""

from __future__ import annotations

import sys
import warnings
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, settings

import ir
import passes
import runtime
import tracer
from ir import query
from passes import autodiff
from passes.autodiff.emit import is_float
from passes.autodiff.reverse_mode import REGION_VJP
from tracer.numpy_api.registry import UFUNC_RULES

sys.path.append(str(Path(__file__).resolve().parents[2] / "tracer"))  # the function table lives there
from tables import ALL_ENTRIES  # noqa: E402

# Ops the tracer emits that have no rule yet, with the reason. Remove an entry when its rule
# lands: `test_known_gaps_are_still_gaps` insists.
KNOWN_MISSING: dict[str, str] = {
    "lapack.geev": "np.linalg.eig/eigvals (CPU): complex results, and no rule takes or makes complex derivatives",
    "stablehlo.real": "the real part of a complex value (eig's): complex values carry no derivatives",
    "stablehlo.imag": "the imaginary part of a complex value (eig's): complex values carry no derivatives",
}
# Derivatives that do not exist, refused with an AutodiffError saying so (not gaps to close): the full-matrices
# singular vectors of a non-square matrix (their extra columns are any orthonormal completion).
UNDEFINED = ("full_matrices=True",)

# Not computations: module structure and region terminators.
STRUCTURE = {"builtin.module", "func.func", "func.return", "func.call", "stablehlo.return", "sdy.mesh"}

_SETTINGS = settings(max_examples=8, deadline=None, phases=(Phase.generate,), database=None,
                     suppress_health_check=list(HealthCheck))


def _float_dtype(entry):
    for dtype in (np.float64, np.float32):
        if np.dtype(dtype) in entry.dtypes:
            return np.dtype(dtype)
    return entry.dtypes[0]


def _traced_module(fn, args):
    """fn traced on args, or None where the tracer refuses these arguments (as NumPy would)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return tracer.jit(fn).lower(*args)
        except (tracer.TracerError, TypeError, ValueError, IndexError):
            return None


def _table_modules():
    """One traced module per table entry: the first drawn arguments that trace."""
    return [(entry.id, _first_traced(entry)) for entry in ALL_ENTRIES]


def _first_traced(entry):
    """The module of the first drawn arguments that trace, preferring arrays of 2 or more elements (JAX-like
    tracers drop ops on empty and 0-d arrays: a sort of one element is no sort)."""
    found, fallback = [], []

    @_SETTINGS
    @given(entry.strategy(_float_dtype(entry)))
    def draw(args):
        if found:
            return
        module = _traced_module(entry.call, args)
        if module is None:
            return
        arrays = [a for a in args if isinstance(a, np.ndarray)]
        (found if arrays and all(a.size >= 2 for a in arrays) else fallback).append(module)

    draw()
    return (found + fallback)[0] if found or fallback else None


def _ufunc_modules():
    x = np.linspace(0.25, 0.75, 6).reshape(2, 3)
    modules = []
    for ufunc in sorted(UFUNC_RULES, key=lambda u: u.__name__):
        args = (x, x.T) if ufunc is np.matmul else (x,) * ufunc.nin
        modules.append((f"numpy.{ufunc.__name__}", _traced_module(ufunc, args)))
    return modules


def _tracer_functions():
    """The tracer's functions outside NumPy's API: what they emit is not in the function table."""
    x = np.linspace(-1.0, 1.0, 2 * 2 * 5 * 5).reshape(2, 2, 5, 5)
    w = np.linspace(-1.0, 1.0, 3 * 2 * 3 * 3).reshape(3, 2, 3, 3)
    v = np.linspace(0.5, 1.5, 4)
    sharding = runtime.NamedSharding(runtime.make_mesh((1,), ("x",)), runtime.PartitionSpec("x"))
    calls = {
        "tracer.nn.conv": (lambda x, w: tracer.nn.conv(x, w, padding="same"), (x, w)),
        "tracer.nn.conv_transpose": (lambda x, w: tracer.nn.conv_transpose(x, w.transpose(1, 0, 2, 3)), (x, w)),
        "tracer.nn.max_pool": (lambda x: tracer.nn.max_pool(x, (2, 2)), (x,)),
        "tracer.nn.mean_pool": (lambda x: tracer.nn.mean_pool(x, (2, 2), padding=1), (x,)),
        "tracer.nn.lp_pool": (lambda x: tracer.nn.lp_pool(x, (2, 2)), (x,)),
        "tracer.random": (lambda v: v * tracer.random.normal(tracer.random.key(0), (4,), np.float64)
                          + tracer.random.uniform(tracer.random.key(1), (4,), np.float64), (v,)),
        "tracer.cond": (lambda v: tracer.cond(v.sum() > 1, np.sin, np.cos, v), (v,)),
        "tracer.switch": (lambda v: tracer.switch(np.int32(1) + (v.sum() > 1), [np.sin, np.cos, np.tanh], v), (v,)),
        "tracer.fori_loop": (lambda v: tracer.fori_loop(0, 20, lambda i, c: np.sin(c) * v, v), (v,)),
        "tracer.scan": (lambda v: tracer.scan(lambda c, r: (c * r, c + r), v[0], v)[1], (v,)),
        "tracer.while_loop": (lambda v: tracer.while_loop(lambda c: c.sum() < 10, lambda c: c * 2, v), (v,)),
        "tracer.logsumexp": (lambda v: tracer.logsumexp(v), (v,)),
        "tracer.with_sharding_constraint": (lambda v: tracer.with_sharding_constraint(v, sharding) * 2, (v,)),
    }
    return [(name, _traced_module(fn, args)) for name, (fn, args) in calls.items()]


@pytest.fixture(scope="module")
def traced():
    """(name, module) for everything traced; modules that did not trace are None."""
    return _table_modules() + _ufunc_modules() + _tracer_functions()


@pytest.fixture(scope="module")
def optimized(traced):
    """The traced modules after the default pipeline (what autodiff sees inside tracer.grad)."""
    result = []
    for name, module in traced:
        if module is not None:
            module = ir.parse_module(ir.print_module(module))
            passes.run(module, passes.DEFAULT_PIPELINE)
            result.append((name, module))
    return result


def _ops(modules):
    """op name -> {(where it came from, whether that occurrence has a float result)}."""
    found = defaultdict(set)
    for name, module in modules:
        if module is None:
            continue
        for op in query.walk(module):
            found[autodiff.rule_key(op)].add((name, any(is_float(result) for result in op.results)))
    return found


def _uncovered(found) -> dict[str, list[str]]:
    """Ops that are neither ruled, region-differentiated, inactive by dtype, structure nor known gaps."""
    missing = {}
    for op_name, uses in found.items():
        if op_name in STRUCTURE or autodiff.has_rule(op_name) or op_name in REGION_VJP or op_name in KNOWN_MISSING:
            continue
        float_uses = sorted(where for where, has_float in uses if has_float)
        if float_uses:
            missing[op_name] = float_uses[:4]
    return missing


def test_most_of_the_table_traces(traced):
    """The sweep is only as good as what it traces: nearly every entry and ufunc gives a module."""
    failed = [name for name, module in traced if module is None]
    assert len(failed) <= len(traced) // 20, f"did not trace: {failed}"


def test_every_traced_op_has_a_rule_or_is_inactive(traced, optimized):
    found = _ops(traced)
    for op_name, uses in _ops(optimized).items():
        found[op_name] |= {(f"{where} (optimized)", has_float) for where, has_float in uses}
    missing = _uncovered(found)
    assert not missing, "ops the tracer emits with float results but no derivative rule (add a rule, or list " \
                        f"the op in KNOWN_MISSING with the reason): {missing}"


def test_known_gaps_are_still_gaps():
    """A listed gap that has a rule now must leave the list (so the list stays the truth)."""
    closed = sorted(name for name in KNOWN_MISSING if autodiff.has_rule(name))
    assert not closed, f"these have rules now: remove them from KNOWN_MISSING: {closed}"


def test_rules_emit_only_differentiable_ops(optimized):
    """The reverse derivative of every traced module (wrt its float arguments) uses only covered ops, so it
    can be differentiated again. Modules with a known gap are skipped (their derivative cannot be built)."""
    found = defaultdict(set)
    differentiated = 0
    for name, module in optimized:
        module = ir.parse_module(ir.print_module(module))
        main = query.find_function(module, "main")
        arguments = list(main.regions[0].blocks[0].arguments)
        wrt = [i for i, argument in enumerate(arguments) if is_float(argument)]
        if not wrt:
            continue
        try:
            derivative = autodiff.reverse(module, wrt)
        except autodiff.AutodiffError as err:  # a known gap, or a loop with no bound (tracer.while_loop)
            assert any(gap in str(err) for gap in (*KNOWN_MISSING, *UNDEFINED)) or "known trip count" in str(err), \
                f"{name}: {err}"
            continue
        differentiated += 1
        for op in query.walk(derivative):
            found[autodiff.rule_key(op)].add((name, any(is_float(result) for result in op.results)))
    assert differentiated >= len(optimized) // 2
    missing = _uncovered(found)
    assert not missing, f"derivative code uses ops without a rule (no second order through them): {missing}"


def test_sweep_sees_the_families(traced):
    """A guard on the sweep itself: it reaches every rule family, regions, and every listed gap (a gap the
    tracer never emits does not belong in the list)."""
    seen = set(_ops(traced))
    expected = {"stablehlo.tanh", "stablehlo.dot_general", "stablehlo.reduce", "stablehlo.transpose",
                "stablehlo.while", "stablehlo.case", "stablehlo.compare", "chlo.asinh", "stablehlo.convolution",
                "stablehlo.reduce_window", "stablehlo.gather", "stablehlo.scatter", "stablehlo.sort",
                # (on CPU np.linalg calls LAPACK; stablehlo.cholesky and triangular_solve, emitted for other
                # platforms, have their rules tested in test_rules_linalg_solvers.py)
                "lapack.getrf", "lapack.trsm", "lapack.potrf", "lapack.syevd", "lapack.gesdd", "lapack.geqrf",
                "lapack.orgqr", *KNOWN_MISSING}
    assert expected <= seen, f"the sweep no longer traces {sorted(expected - seen)}"
