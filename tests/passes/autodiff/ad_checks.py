"""Checking `passes.autodiff` on StableHLO that JAX prints, against JAX's own derivatives and finite differences.

    from ad_checks import Row, check_rows
    check_rows([Row("stablehlo.atan2", jax.lax.atan2, inputs)], [(x, y)])

A row's function, written with `jax.lax`/`jax.numpy`, gives both the input module (`jax.jit(f).lower(...)`,
64-bit types on) and the oracle (`jax.vjp`/`jax.jvp`). Ours is ONE module, `forward(reverse(m))`, whose
results are the outputs, the reverse-mode cotangents (first order), the forward-mode tangents of the
outputs (first order) and the tangents of the cotangents (second order: forward over reverse). Finite
differences re-run that same executable at x +- h v. Compiling is most of the cost (two XLA compiles: ours
and the oracle's), so many rows share one module: `check_rows` differentiates them side by side and
names the row of every mismatch; a row whose transformation raises is found by splitting the batch.

JAX is an oracle and a StableHLO printer here only (tests may; production code never does).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import jax
import numpy as np
from jax import tree_util

import ir
import runtime
from passes import autodiff

__all__ = ["Row", "Static", "assert_rows_emitted", "check_reverse_of_reverse", "check_rows", "lower", "mlir_type",
           "run_text"]

# Central differences with step h lose about half the digits: step and tolerance per input dtype.
FD_STEP = {np.dtype(np.float64): 1e-5, np.dtype(np.float32): 1e-2}
FD_RTOL = {np.dtype(np.float64): 1e-5, np.dtype(np.float32): 3e-2}
# Ours against JAX: the same derivative, possibly by another formula (acosh, erf_inv) or summation order.
RTOL = {np.dtype(np.float64): 1e-9, np.dtype(np.float32): 2e-5}


@dataclass(frozen=True)
class Static:
    """A drawn argument that is not an array (an axis, a permutation, a padding config): passed to the row's
    function as it is, never differentiated or given to the module."""

    value: object


@dataclass(frozen=True)
class Row:
    """One op's derivative check: `fn(*args)` for args drawn by `inputs` (a hypothesis strategy of tuples
    of arrays and `Static` values).

    `op` must appear in the module JAX prints for `fn` (so the row really exercises that op's rule).
    `wrt`: the positions, among the row's arrays, differentiated (default: the float ones). Ties and kinks
    (max of equal values, clamp at a bound) have no finite-difference answer: `finite_differences=False`
    compares with JAX only. `text(*args)`: the module to differentiate when JAX prints `fn` otherwise
    (its logistic is an expression, its clamp broadcasts 0-d bounds); the oracle is still `fn`.
    """

    op: str
    fn: Callable
    inputs: object
    tag: str = ""
    wrt: tuple | None = None
    finite_differences: bool = True
    second_order: bool = True
    rtol: float | None = None
    fd_rtol: float | None = None
    text: Callable[..., str] | None = None
    oracle: Callable | None = None  # what JAX differentiates, when not `fn` (same values, JAX can reverse it)
    xfail: str | None = None  # the reason, when the row shows a bug not fixed yet

    @property
    def id(self) -> str:
        return self.op + (f"[{self.tag}]" if self.tag else "")


def lower(fn, args) -> str:
    """The StableHLO text of `fn(*args)` as JAX prints it, with 64-bit types kept."""
    with jax.enable_x64(True):
        return jax.jit(fn).lower(*args).as_text()


_EXECUTABLES: dict[str, runtime.Executable] = {}


def run_text(text: str, *arrays) -> list[np.ndarray]:
    """Compile `text` (once: finite differences re-run it) and run it on `arrays`."""
    executable = _EXECUTABLES.get(text)
    if executable is None:
        if len(_EXECUTABLES) > 8:
            _EXECUTABLES.clear()
        executable = _EXECUTABLES[text] = runtime.compile_stablehlo(text)
    buffers = [runtime.to_device(np.asarray(a), executable.device)._buffer for a in arrays]
    return [np.asarray(out) for out in executable.execute(buffers)]


# -- a batch of rows as one function ---------------------------------------------------------------------
def mlir_type(array) -> str:
    """`tensor<2x3xf64>` for an array (the element types the table uses)."""
    array = np.asarray(array)
    element = {"float64": "f64", "float32": "f32", "bool": "i1", "int32": "i32", "int64": "i64"}[array.dtype.name]
    return "tensor<" + "".join(f"{side}x" for side in array.shape) + element + ">"


@dataclass
class _Batch:
    rows: list
    templates: list            # per row, its drawn tuple (Static values and array placeholders)
    args: list                 # per row, its arrays
    offsets: list              # per row, the position of its first argument in the flat list
    wrt: list                  # per row, its differentiated argument positions (in its own tuple)
    out_counts: list           # per row, how many output leaves it has

    @property
    def flat(self) -> list:
        return [a for args in self.args for a in args]

    @property
    def flat_wrt(self) -> list[int]:
        return [offset + i for offset, wrt in zip(self.offsets, self.wrt) for i in wrt]

    def fn(self, *flat):
        return tuple(_call(row, template, flat[o:o + len(args)])
                     for row, template, o, args in zip(self.rows, self.templates, self.offsets, self.args))

    def oracle(self, *flat):
        return tuple(_call(row, template, flat[o:o + len(args)], oracle=True)
                     for row, template, o, args in zip(self.rows, self.templates, self.offsets, self.args))

    def row_slices(self, counts):
        start = 0
        for count in counts:
            yield slice(start, start + count)
            start += count


def _call(row: Row, template, arrays, *, oracle: bool = False, text: bool = False):
    """The row's function (or its oracle, or its text) on its arrays, with its Static values in place."""
    arrays = iter(arrays)
    fn = row.text if text else row.oracle if oracle and row.oracle is not None else row.fn
    return fn(*(item.value if isinstance(item, Static) else next(arrays) for item in template))


def _batch(rows, drawn) -> _Batch:
    args = [tuple(np.asarray(a) for a in row_args if not isinstance(a, Static)) for row_args in drawn]
    offsets = list(np.cumsum([0] + [len(a) for a in args])[:-1])
    wrt = [tuple(i for i, a in enumerate(row_args) if a.dtype.kind == "f") if row.wrt is None else tuple(row.wrt)
           for row, row_args in zip(rows, args)]
    with jax.enable_x64(True):
        out_counts = [len(tree_util.tree_leaves(jax.eval_shape(lambda *a: _call(row, template, a), *row_args)))
                      for row, template, row_args in zip(rows, drawn, args)]
    return _Batch(list(rows), list(drawn), args, [int(o) for o in offsets], wrt, out_counts)


def _module_text(batch: _Batch) -> str:
    if len(batch.rows) == 1 and batch.rows[0].text is not None:
        return _call(batch.rows[0], batch.templates[0], batch.args[0], text=True)
    return lower(batch.fn, batch.flat)


def _ours(text: str, wrt, cts, vs):
    """A function of the primal values: (outs, bars, out_dots, bar_dots) of `forward(reverse(m))`."""
    program = ir.print_module(autodiff.forward(autodiff.reverse(text, wrt), wrt))
    count, n = len(cts), len(wrt)

    def at(primals):
        results = run_text(program, *primals, *cts, *vs)
        return (results[:count], results[count:count + n], results[count + n:2 * count + n],
                results[2 * count + n:])

    return at


def _oracle_fn(fn, args, wrt):
    """JAX's (outs, bars, out_dots, bar_dots) as a function of (wrt args, cts, vs): jax.vjp, jax.jvp, and
    jax.jvp of the pullback."""
    with jax.enable_x64(True):
        out_tree = tree_util.tree_structure(jax.eval_shape(fn, *args))

    def restricted(*wrt_args):
        full = list(args)
        for i, a in zip(wrt, wrt_args):
            full[i] = a
        return fn(*full)

    def pullback(cts_, *wrt_args):
        return jax.vjp(restricted, *wrt_args)[1](tree_util.tree_unflatten(out_tree, list(cts_)))

    def everything(wrt_args, cts_, vs_):
        outs = restricted(*wrt_args)
        bars = pullback(cts_, *wrt_args)
        out_dots = jax.jvp(restricted, tuple(wrt_args), tuple(vs_))[1]
        bar_dots = jax.jvp(lambda *p: pullback(cts_, *p), tuple(wrt_args), tuple(vs_))[1]
        return outs, bars, out_dots, bar_dots

    return everything


def _oracle(fn, args, wrt, cts, vs):
    with jax.enable_x64(True):
        results = jax.jit(_oracle_fn(fn, args, wrt))(tuple(args[i] for i in wrt), tuple(cts), tuple(vs))
        return tuple([np.asarray(leaf) for leaf in tree_util.tree_leaves(part)] for part in results)


_PARTS = ("outs", "bars", "out_dots", "bar_dots")


# -- checking --------------------------------------------------------------------------------------------
def check_rows(rows, drawn, *, seed: int = 0) -> None:
    """Check every row (with its drawn argument tuple) in one module; report every mismatch by row.
    When the batch raises, the rows that raise are found (alone, before compiling) and the rest rechecked."""
    failures: dict[str, list[str]] = {}
    for row, args in zip(rows, drawn):
        _note_emits(row, args)
    plain = [(row, args) for row, args in zip(rows, drawn) if row.text is None]
    _check_batch([row for row, _ in plain], [args for _, args in plain], seed, failures)
    for row, args in zip(rows, drawn):
        if row.text is not None:  # (its own module: the text is rewritten for it alone)
            _check_batch([row], [args], seed, failures)
    if failures:
        report = "\n\n".join(f"[{name}]\n" + "\n".join(messages) for name, messages in failures.items())
        raise AssertionError(f"{len(failures)} of {len(rows)} rows differ:\n\n{report}")


# Rows whose op JAX printed for some drawn example (a degenerate draw, such as a transpose of a 0-d or
# 1-d array, may print none: JAX drops ops that change nothing).
EMITTED: set = set()


def _note_emits(row: Row, drawn) -> None:
    if row.id in EMITTED:
        return
    arrays = [np.asarray(a) for a in drawn if not isinstance(a, Static)]
    text = _call(row, drawn, arrays, text=True) if row.text is not None else lower(lambda *a: _call(row, drawn, a), arrays)
    name, _, variant = row.op.partition(":")  # "stablehlo.maximum:relu": the op marked with that derivative
    if name in text and (not variant or f'pyreactant.derivative = "{variant}"' in text):
        EMITTED.add(row.id)


def assert_rows_emitted(rows) -> None:
    """Every row's op was in the module of at least one of its examples, so its rule was exercised."""
    missing = [row.id for row in rows if row.id not in EMITTED]
    assert not missing, f"no example of these rows made JAX print their op: {missing}"


def _prepare(rows, drawn, seed):
    """Everything short of compiling ours: the batch, cotangents, tangents, our module, JAX's answers."""
    batch = _batch(rows, drawn)
    rng = np.random.default_rng(seed)
    flat, wrt = batch.flat, batch.flat_wrt
    with jax.enable_x64(True):
        out_leaves = tree_util.tree_leaves(jax.eval_shape(batch.fn, *flat))
    cts = [rng.uniform(-1, 1, leaf.shape).astype(leaf.dtype) for leaf in out_leaves]
    vs = [rng.uniform(-1, 1, flat[i].shape).astype(flat[i].dtype) for i in wrt]
    at = _ours(_module_text(batch), wrt, cts, vs)
    return batch, cts, vs, at


def _check_batch(rows, drawn, seed, failures, *, retry: bool = True) -> None:
    if not rows:
        return
    try:
        batch, cts, vs, at = _prepare(rows, drawn, seed)
        mine = at(batch.flat)
        theirs = _oracle(batch.oracle, batch.flat, batch.flat_wrt, cts, vs)
    except Exception as err:  # noqa: BLE001 - which rows raised is found row by row, before compiling
        if len(rows) == 1:
            _record(rows[0], drawn[0], err, failures)
            return
        if retry:  # the rows that raise without compiling (our transformation, JAX's oracle), then the rest
            errors = [_preflight(row, args, seed) for row, args in zip(rows, drawn)]
            for row, args, error in zip(rows, drawn, errors):
                if error is not None:
                    _record(row, args, error, failures)
            kept = [i for i, error in enumerate(errors) if error is None]
            _check_batch([rows[i] for i in kept], [drawn[i] for i in kept], seed, failures, retry=False)
            return
        half = len(rows) // 2  # (it raised compiling or running: halves find the rows)
        _check_batch(rows[:half], drawn[:half], seed, failures, retry=False)
        _check_batch(rows[half:], drawn[half:], seed, failures, retry=False)
        return
    out_slices = list(batch.row_slices(batch.out_counts))
    wrt_slices = list(batch.row_slices([len(w) for w in batch.wrt]))
    # A row's narrowest float (argument or result) sets its tolerances and finite-difference step.
    lows = [min([batch.args[index][i].dtype for i in batch.wrt[index]]
                + [out.dtype for out in mine[0][out_slices[index]] if out.dtype.kind == "f"],
                key=lambda d: d.itemsize, default=np.dtype(np.float64)) for index in range(len(rows))]
    steps = [FD_STEP[lows[index]] for index, wrt in enumerate(batch.wrt) for _ in wrt]
    fd = _FiniteDifferences(batch, at, cts, vs, mine, steps)
    for index, row in enumerate(rows):
        messages = []
        rtol = RTOL[lows[index]] if row.rtol is None else row.rtol
        parts = [("outs", out_slices[index]), ("bars", wrt_slices[index]), ("out_dots", out_slices[index])]
        if row.second_order:
            parts.append(("bar_dots", wrt_slices[index]))
        for name, where in parts:
            part = _PARTS.index(name)
            for k, (a, b) in enumerate(zip(mine[part][where], theirs[part][where])):
                _compare(a, b, rtol, rtol, f"{name}[{k}]: ours vs jax", messages)
        if row.finite_differences and batch.wrt[index]:
            fd.check(out_slices[index], wrt_slices[index], FD_STEP[lows[index]], row.fd_rtol or FD_RTOL[lows[index]],
                     row.second_order, messages)
        if messages:
            failures.setdefault(row.id, []).extend(messages + [f"  args: {drawn[index]!r}"])


def _preflight(row, args, seed) -> Exception | None:
    """The error the row alone raises before compiling (in our transformation or JAX's oracle), if any."""
    try:
        batch, cts, vs, _ = _prepare([row], [args], seed)
        with jax.enable_x64(True):
            jax.eval_shape(lambda: _oracle_fn(batch.oracle, batch.flat, batch.flat_wrt)(
                tuple(batch.flat[i] for i in batch.flat_wrt), tuple(cts), tuple(vs)))
    except Exception as err:  # noqa: BLE001 - any error is the row's
        return err
    return None


def _record(row, args, err, failures) -> None:
    failures.setdefault(row.id, []).append(f"raised {type(err).__name__}: {err}\n  args: {args!r}")


def _compare(actual, expected, rtol, atol, what, messages) -> None:
    actual, expected = np.asarray(actual), np.asarray(expected)
    if actual.shape != expected.shape or actual.dtype != expected.dtype:
        messages.append(f"{what}: {actual.dtype}{list(actual.shape)} != {expected.dtype}{list(expected.shape)}")
        return
    try:
        np.testing.assert_allclose(actual, expected, rtol=rtol, atol=atol, equal_nan=True, err_msg=what)
    except AssertionError as err:
        messages.append(str(err).strip())


class _FiniteDifferences:
    """Central differences of our compiled module along the tangents, one run each side for every row."""

    def __init__(self, batch: _Batch, at, cts, vs, mine, steps):
        self.batch, self.cts, self.vs, self.mine, self.steps = batch, cts, vs, mine, steps
        self.plus, self.minus = (at(self._shifted(sign)) for sign in (+1, -1))

    def _shifted(self, sign):
        primals = list(self.batch.flat)
        for i, v, step in zip(self.batch.flat_wrt, self.vs, self.steps):
            primals[i] = (primals[i] + sign * step * v).astype(primals[i].dtype)
        return primals

    def check(self, outs, wrts, step, fd_rtol, second_order, messages) -> None:
        def difference(a, b):
            return (np.asarray(a, np.float64) - np.asarray(b, np.float64)) / (2 * step)

        def close(actual, expected, what):
            expected = np.asarray(expected, np.float64)
            scale = 1.0 + (float(np.max(np.abs(expected))) if expected.size else 0.0)
            _compare(np.asarray(actual, np.float64), expected, fd_rtol, fd_rtol * scale, what, messages)

        out_fd = [difference(p, m) for p, m in zip(self.plus[0][outs], self.minus[0][outs])]
        for k, (dot, fd) in enumerate(zip(self.mine[2][outs], out_fd)):
            close(dot, fd, f"out_dots[{k}]: forward mode vs finite differences")
        # Reverse mode: <ct, J v> = <J^T ct, v>.
        projected = sum(float(np.sum(ct.astype(np.float64) * fd)) for ct, fd in zip(self.cts[outs], out_fd))
        paired = sum(float(np.sum(bar.astype(np.float64) * v)) for bar, v in zip(self.mine[1][wrts], self.vs[wrts]))
        close(paired, projected, "<bars, v>: reverse mode vs <cts, finite differences>")
        if second_order:
            for k, (dot, p, m) in enumerate(zip(self.mine[3][wrts], self.plus[1][wrts], self.minus[1][wrts])):
                close(dot, difference(p, m), f"bar_dots[{k}]: second order vs finite differences of bars")


def check_reverse_of_reverse(rows, drawn, *, seed: int = 0) -> None:
    """`reverse(reverse(m))`: the second reverse differentiates the first's cotangents `bars` (and its
    outputs) with respect to the primal arguments AND the output cotangents `cts`. With `vs` as the
    cotangent of `bars` (zeros for the outputs) it gives the Hessian-vector product H v (H is symmetric:
    the Hessian of <cts, f>) for the primals, and J v (forward mode, by transposition) for `cts`."""
    assert all(row.text is None for row in rows), "reverse of reverse differentiates JAX's modules only"
    batch = _batch(rows, drawn)
    rng = np.random.default_rng(seed)
    flat, wrt = batch.flat, batch.flat_wrt
    with jax.enable_x64(True):
        out_leaves = tree_util.tree_leaves(jax.eval_shape(batch.fn, *flat))
    cts = [rng.uniform(-1, 1, leaf.shape).astype(leaf.dtype) for leaf in out_leaves]
    vs = [rng.uniform(-1, 1, flat[i].shape).astype(flat[i].dtype) for i in wrt]
    count, n = len(cts), len(wrt)
    once = autodiff.reverse(lower(batch.fn, flat), wrt)  # @main(flat..., cts...) -> (outs..., bars...)
    cts_positions = [len(flat) + j for j in range(count)]
    twice = ir.print_module(autodiff.reverse(once, list(wrt) + cts_positions))
    zeros = [np.zeros_like(ct) for ct in cts]
    results = run_text(twice, *flat, *cts, *zeros, *vs)
    hvp, jvp = results[count + n:count + 2 * n], results[count + 2 * n:]
    _, _, out_dots, bar_dots = _oracle(batch.oracle, flat, wrt, cts, vs)
    messages: list[str] = []
    for k, (a, b) in enumerate(zip(hvp, bar_dots, strict=True)):
        _compare(a, b, 1e-9, 1e-9, f"H v [{k}] (reverse of reverse, primal) vs jax jvp of vjp", messages)
    for k, (a, b) in enumerate(zip(jvp, out_dots, strict=True)):
        _compare(a, b, 1e-9, 1e-9, f"J v [{k}] (reverse of reverse, cotangent) vs jax jvp", messages)
    assert not messages, "\n".join(messages + [f"rows: {[row.id for row in rows]}"])
