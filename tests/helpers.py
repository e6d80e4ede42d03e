"""Shared test helpers: run a function eagerly in NumPy and through `tracer.jit`, compare the two.

NumPy is the oracle: every comparison is against what NumPy computes (or raises) for the same call.
"""

from __future__ import annotations

import copy
import functools
import os
import signal
import subprocess
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import ml_dtypes
import numpy as np
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from jax import tree_util

import tracer

ROOT = Path(__file__).resolve().parent.parent


def run_isolated(code: str, *args: str, timeout: float = 300, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run Python `code` in a child process with this checkout first on the path, and return how it ended.

    For code that could kill the process it runs in (SIGFPE, SIGSEGV, SIGABRT from C++): in a child,
    a crash is one failed assertion with its signal named (`exit_status`), not the end of the test run.
    """
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
                   **(env or {})}
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=timeout,
                          env=environment, cwd=ROOT)


def exit_status(process: subprocess.CompletedProcess) -> str:
    """How a child process ended, for assertion messages: `exit 0`, `killed by SIGSEGV`, with its stderr's tail."""
    code = process.returncode
    ended = f"killed by {signal.Signals(-code).name}" if code < 0 else f"exit {code}"
    return f"{ended}\n{process.stderr[-3000:]}"


def nested_ifs(levels: int) -> str:
    """@main with `levels` stablehlo.if nested in each other's true branch (generic form)."""
    body = "%v = stablehlo.constant dense<1.0> : tensor<f32>\n  stablehlo.return %v : tensor<f32>"
    for i in range(levels):
        body = (f'%r{i} = "stablehlo.if"(%p) ({{\n  {body}\n  }}, {{\n  %w{i} = stablehlo.constant dense<2.0> : '
                f'tensor<f32>\n  stablehlo.return %w{i} : tensor<f32>\n  }}) : (tensor<i1>) -> tensor<f32>\n'
                f'  stablehlo.return %r{i} : tensor<f32>')
    body = body.rsplit("stablehlo.return", 1)[0]
    return f"func.func @main(%p: tensor<i1>) -> tensor<f32> {{\n  {body}\n  return %r{levels - 1} : tensor<f32>\n}}"


# In CI (`CI` set: derandomized, the same examples every run) the compiling tests draw this share of their
# examples (at least 2 each): the suite must stay under 15 minutes on 2 cores, and the function table and ufunc
# tables alone had grown to five of them. Locally every example is drawn, and new ones each run.
CI_EXAMPLE_SHARE = 0.35


def xla_settings(max_examples: int) -> settings:
    """Hypothesis settings for tests whose every example compiles with XLA (~20-50 ms per new signature).

    No deadline (compile time varies), and no shrink/explain phases: each shrink step is another
    compile, and the drawn arrays are small (sides <= 3 or 4) so the first failing example reads well.
    """
    if os.environ.get("CI"):
        max_examples = max(2, round(max_examples * CI_EXAMPLE_SHARE))
    return settings(max_examples=max_examples, deadline=None,
                    phases=(Phase.explicit, Phase.reuse, Phase.generate, Phase.target),
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])


# Relative tolerance per floating result dtype (ints and bools compare exactly).
BFLOAT16 = np.dtype(ml_dtypes.bfloat16)
RTOL = {BFLOAT16: 1e-2, np.dtype(np.float16): 1e-3, np.dtype(np.float32): 1e-6, np.dtype(np.float64): 1e-12}

# The exception classes NumPy's errors are compared by (AxisError is both a ValueError and an IndexError).
ERROR_KINDS = (IndexError, OverflowError, TypeError, ValueError)

ALL_DTYPES = tuple(np.dtype(d) for d in (np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32,
                                         np.uint64, np.float16, np.float32, np.float64))
FLOAT_DTYPES = tuple(d for d in ALL_DTYPES if d.kind == "f")


def to_numpy(result):
    """A jit result (pytree of ConcreteArray) as a pytree of NumPy arrays."""
    return tree_util.tree_map(np.asarray, result)


def eager(fn, *args, **kwargs):
    """fn in plain NumPy on copies of the arguments (fn may write into them), warnings silenced."""
    args, kwargs = copy.deepcopy(args), copy.deepcopy(kwargs)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # "Mean of empty slice" and friends
        return tree_util.tree_map(np.asarray, fn(*args, **kwargs))


def run_both(fn, *args, jitted=None, **kwargs):
    """(NumPy's result, the traced result as NumPy) of `fn(*args, **kwargs)`.

    `jitted` reuses an existing `tracer.jit` of fn, so repeated signatures hit its compile cache.
    """
    expected = eager(fn, *args, **kwargs)
    # (On copies too: a compiled function that writes into an argument changes the caller's array, as NumPy does.)
    args, kwargs = copy.deepcopy(args), copy.deepcopy(kwargs)
    actual = to_numpy((jitted or tracer.jit(fn))(*args, **kwargs))
    return expected, actual


# -- lux layers: eager (NumPy) against compiled (`tracer.jit(lux.apply)`) --------------------------

@dataclass
class LayerRun:
    """What `run_layer_both` ran a layer with, and what each run gave."""

    ps: object
    st: object
    y: object  # the eager output, as the layer returned it
    st_out: object  # the eager new state
    y_jit: object  # the compiled output, arrays as NumPy
    st_jit: object  # the compiled new state, arrays as NumPy

    def output(self, *, rtol: float = 1e-6, atol: float = 1e-6):
        """The eager output, once checked: a NumPy array, equal to the compiled one within the
        tolerances, and the state unchanged both ways (for layers that keep no running state)."""
        assert isinstance(self.y, np.ndarray), f"the eager run gave a {type(self.y).__name__}, not a NumPy array"
        assert_trees_match(self.st_out, self.st)
        assert_trees_match(self.st_jit, self.st)
        np.testing.assert_allclose(self.y_jit, self.y, rtol=rtol, atol=atol)
        return self.y


def apply_compiled(model, x, ps, st):
    """`tracer.jit(lux.apply)(model, x, ps, st)` with its arrays as NumPy; other leaves (a state's
    `training` flag, an rng seed) as they are. One jit for every test, so equal layers share a compile."""
    y, st_out = _jit_apply()(model, x, ps, st)
    return tree_util.tree_map(lambda v: np.asarray(v) if hasattr(v, "shape") else v, (y, st_out))


def run_layer_both(model, x, ps=None, st=None, seed=0) -> LayerRun:
    """`lux.apply(model, x, ps, st)` eagerly on NumPy and compiled, with the trees
    `lux.setup(np.random.default_rng(seed), model)` draws unless `ps` and `st` are given."""
    import lux  # (here, not above: only the lux tests need it)

    if ps is None:
        ps, st = lux.setup(np.random.default_rng(seed), model)
    y, st_out = lux.apply(model, x, ps, st)
    y_jit, st_jit = apply_compiled(model, x, ps, st)
    return LayerRun(ps, st, y, st_out, y_jit, st_jit)


@functools.cache
def _jit_apply():
    import lux

    return tracer.jit(lux.apply)


def numpy_error(fn, *args, **kwargs):
    """The exception NumPy raises for `fn(*args, **kwargs)`, or None."""
    try:
        eager(fn, *args, **kwargs)
    except ERROR_KINDS as err:
        return err
    return None


def assert_raises_like(err: Exception, fn, *args, jitted=None, **kwargs):
    """The traced call raises an exception of every one of ERROR_KINDS that NumPy's `err` is an instance of."""
    kinds = tuple(kind for kind in ERROR_KINDS if isinstance(err, kind))
    assert kinds, f"NumPy raised {type(err).__name__}, which is none of {ERROR_KINDS}"
    try:
        result = (jitted or tracer.jit(fn))(*copy.deepcopy(args), **copy.deepcopy(kwargs))
    except Exception as ours:  # noqa: BLE001 - the kind is checked just below
        missing = [kind.__name__ for kind in kinds if not isinstance(ours, kind)]
        assert not missing, (f"NumPy raised {type(err).__name__}({err}); tracer raised {type(ours).__name__}({ours}), "
                             f"which is not a {', '.join(missing)}")
        return
    raise AssertionError(f"NumPy raised {type(err).__name__}({err}); tracer returned {to_numpy(result)!r}")


def check_against_numpy(fn, *args, jitted=None, rtol=None, atol=0.0, signed_zeros=False, **kwargs):
    """fn traced must give what NumPy gives: the same error kind, or the same dtypes, shapes and values."""
    err = numpy_error(fn, *args, **kwargs)
    if err is not None:
        assert_raises_like(err, fn, *args, jitted=jitted, **kwargs)
        return None
    expected, actual = run_both(fn, *args, jitted=jitted, **kwargs)
    assert_trees_match(actual, expected, rtol=rtol, atol=atol, signed_zeros=signed_zeros)
    return expected


def assert_trees_match(actual, expected, **tolerances):
    actual_leaves, actual_tree = tree_util.tree_flatten(actual)
    expected_leaves, expected_tree = tree_util.tree_flatten(expected)
    assert actual_tree == expected_tree, f"result structure {actual_tree} != NumPy's {expected_tree}"
    for a, e in zip(actual_leaves, expected_leaves):
        assert_matches_numpy(a, e, **tolerances)


def assert_matches_numpy(actual, expected, *, rtol=None, atol=0.0, signed_zeros=False):
    """Same dtype and shape exactly; values exactly for ints/bools, with per-dtype tolerance for floats.

    NaNs must sit where NumPy's are, infinities must match, and with `signed_zeros` the sign of
    every zero must match NumPy's as well.
    """
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.dtype == expected.dtype, f"dtype {actual.dtype} != NumPy's {expected.dtype}"
    assert actual.shape == expected.shape, f"shape {actual.shape} != NumPy's {expected.shape}"
    if expected.dtype == BFLOAT16:  # (NumPy's testing functions do not know ml_dtypes' floats)
        actual, expected = actual.astype(np.float32), expected.astype(np.float32)
        rtol = RTOL[BFLOAT16] if rtol is None else rtol
    if expected.dtype.kind == "f":
        tol = RTOL[expected.dtype] if rtol is None else rtol
        np.testing.assert_allclose(actual, expected, rtol=tol, atol=atol, equal_nan=True,
                                   err_msg="values differ from NumPy's")
        if signed_zeros:
            zeros = (expected == 0) & (actual == 0)
            np.testing.assert_array_equal(np.signbit(actual[zeros]), np.signbit(expected[zeros]),
                                          err_msg="signs of zero differ from NumPy's")
    else:
        np.testing.assert_array_equal(actual, expected, err_msg="values differ from NumPy's", strict=True)


# -- many cases, one compile ---------------------------------------------------------------------

@dataclass
class Case:
    """One call to compare: `fn(*args)` traced vs eager, with its comparison options."""

    fn: Callable
    args: tuple
    rtol: float | None = None
    atol: float = 0.0
    signed_zeros: bool = False

    def describe(self) -> str:
        shown = ", ".join(f"np.{a!r}" if isinstance(a, np.ndarray) else repr(a) for a in self.args)
        return f"args=({shown})"


def check_cases(cases: dict[str, Case]) -> None:
    """Check every case against NumPy; the cases NumPy computes run in ONE jit (one XLA compile).

    Compiling is most of a test's time, so a table of cases shares one traced function returning
    a dict of results. If tracing or running the batch fails, it is split in halves until the failing
    cases are found, so one broken case does not hide the others. All failures are reported together.
    """
    failures: dict[str, str] = {}
    computed: dict[str, Case] = {}
    for name, case in cases.items():
        err = numpy_error(case.fn, *case.args)
        if err is None:
            computed[name] = case
            continue
        try:
            assert_raises_like(err, case.fn, *case.args)
        except AssertionError as mismatch:
            failures[name] = str(mismatch)
    for name, actual in _run_batched(computed, failures).items():
        case = computed[name]
        try:
            assert_trees_match(actual, eager(case.fn, *case.args), rtol=case.rtol, atol=case.atol,
                               signed_zeros=case.signed_zeros)
        except AssertionError as mismatch:
            failures[name] = str(mismatch).strip()
    if failures:
        report = "\n\n".join(f"[{name}] {cases[name].describe()}\n{message}" for name, message in sorted(failures.items()))
        raise AssertionError(f"{len(failures)} of {len(cases)} cases differ from NumPy:\n\n{report}")


def _run_batched(cases: dict[str, Case], failures: dict[str, str]) -> dict:
    if not cases:
        return {}

    def batch(arguments):
        return {name: cases[name].fn(*arguments[name]) for name in cases}

    try:
        # (On copies: a compiled function that writes into an argument changes the caller's array, as NumPy does.)
        return to_numpy(tracer.jit(batch)(copy.deepcopy({name: case.args for name, case in cases.items()})))
    except Exception as err:  # noqa: BLE001 - which case raised is found by splitting
        if len(cases) == 1:
            (name,) = cases
            failures[name] = f"NumPy computes a result; tracer raised {type(err).__name__}: {err}"
            return {}
        names = list(cases)
        half = len(names) // 2
        first = _run_batched({n: cases[n] for n in names[:half]}, failures)
        return first | _run_batched({n: cases[n] for n in names[half:]}, failures)


def exact_values(dtype, *, uint_max: int, int_bound: int, float_bound: int, nonnegative: bool = False):
    """A hypothesis strategy of values every dtype holds exactly: bools, small ints, halves for floats
    (unsigned up to `uint_max`, signed in +-int_bound, floats in +-float_bound; `nonnegative` drops the minus side)."""
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return st.booleans()
    if dtype.kind == "u":
        return st.integers(0, uint_max)
    if dtype.kind == "i":
        return st.integers(0 if nonnegative else -int_bound, int_bound)
    return st.integers(0 if nonnegative else -2 * float_bound, 2 * float_bound).map(lambda v: v / 2)


# -- the StableHLO reference interpreter ---------------------------------------------------------

def interpret(module, *arrays) -> list[np.ndarray]:
    """`@main` of `module` (a module, or its text) run by the StableHLO reference interpreter on NumPy arrays.

    The oracle for what IR means (`stablehlo.eval_module`): op builders and passes are checked
    against it. Returns one NumPy array per result of `@main`.
    """
    import ir  # (the imports stay with this block: only it needs them)
    from jaxlib.mlir import ir as mlir
    from jaxlib.mlir.dialects import stablehlo

    module = ir.parse_module(module) if isinstance(module, str) else module
    with module.context:
        inputs = []
        for array in map(np.asarray, arrays):
            flat = np.ascontiguousarray(array.reshape(-1))  # (a 0-d buffer would come back as tensor<1x...>)
            if flat.dtype == BFLOAT16:
                flat = flat.view(np.uint16)  # MLIR reads bf16 as raw 16-bit patterns
            element_type = ir.dtypes.to_mlir(array.dtype)
            inputs.append(mlir.DenseElementsAttr.get(flat, type=element_type, shape=list(array.shape)))
        return [np.array(result) for result in stablehlo.eval_module(module, inputs)]


def undeclared_exports(package) -> list[str]:
    """The modules of `package` (and its subpackages) without an explicit `__all__` list, and the
    names an `__all__` lists that its module does not define: one line each, empty when all is well."""
    import importlib
    import pkgutil

    problems = []
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        module = importlib.import_module(info.name)
        exports = getattr(module, "__all__", None)
        if not isinstance(exports, list):
            problems.append(f"{info.name} has no __all__ list")
            continue
        problems.extend(f"{info.name}.__all__ names {name!r}, which it does not define"
                        for name in exports if not hasattr(module, name))
    return problems

