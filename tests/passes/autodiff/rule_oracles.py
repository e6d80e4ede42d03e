"""Checking derivative rules: our reverse and forward modes, and forward-of-reverse (second order), compiled
by XLA, against `jax.vjp`/`jax.jvp` of the same `jax.lax` function and against central finite differences
in float64.

One module carries every derivative: `forward(reverse(f))` returns f's results, their cotangents pulled
back (reverse mode), the results' tangents (forward mode) and the pulled-back cotangents' tangents (second
order). Compiling it once per case, and the JAX oracle once (one `jax.jit`), keeps a case to two compiles.
Finite differences rerun the same module at shifted arguments: they check the first-order tangents
against the results and the second-order tangents against the reverse-mode gradients.

The input module is what `jax.jit(f).lower(...)` prints (tests only: the op under test as JAX emits it),
or StableHLO text built with `ir.ops`. JAX is only the oracle; our passes and XLA through `runtime` compute.
"""

from __future__ import annotations

import jax
import numpy as np

import ir
import passes
import runtime
from passes import autodiff

EPS = 1e-6  # central differences in float64: truncation ~EPS^2 f''', rounding ~1e-16 / EPS


def lower(f, *args) -> str:
    """StableHLO text of the JAX function `f` at these (NumPy) arguments, float64 kept as float64."""
    with jax.enable_x64(True):
        return jax.jit(f).lower(*args).as_text()


def run(module_or_text, *arrays) -> list[np.ndarray]:
    """Compile and run a module on NumPy arrays; its results as NumPy arrays."""
    text = module_or_text if isinstance(module_or_text, str) else ir.print_module(module_or_text)
    executable = runtime.compile_stablehlo(text)
    return _execute(executable, arrays)


def _execute(executable, arrays) -> list[np.ndarray]:
    buffers = [runtime.to_device(np.asarray(a), executable.device)._buffer for a in arrays]
    return [np.asarray(out) for out in executable.execute(buffers)]


def _as_list(result):
    return list(result) if isinstance(result, (tuple, list)) else [result]


def _close(actual, expected, what, rtol, atol):
    assert len(actual) == len(expected), f"{what}: {len(actual)} results, expected {len(expected)}"
    for i, (a, e) in enumerate(zip(actual, expected)):
        np.testing.assert_allclose(np.asarray(a), np.asarray(e), rtol=rtol, atol=atol, err_msg=f"{what} [{i}]")


class Case:
    """The JAX function `f(*args)` (the oracle) and its module (`text`, default `lower(f, *args)`);
    derivatives are taken with respect to the arguments `wrt` (default: the float ones)."""

    def __init__(self, f, args, *, wrt=None, text=None, seed=0):
        self.f, self.args = f, [np.asarray(a) for a in args]
        self.wrt = tuple(i for i, a in enumerate(self.args) if a.dtype.kind == "f") if wrt is None else tuple(wrt)
        self.text = text if text is not None else lower(f, *self.args)
        with jax.enable_x64(True):  # (shapes only: evaluating f would be one more compile)
            outs = [np.zeros(out.shape, out.dtype) for out in _as_list(jax.eval_shape(f, *self.args))]
        rng = np.random.default_rng(seed)
        # Integer results get zero cotangents: ours take them as arrays of their type, JAX as float0.
        self.cotangents = [rng.standard_normal(out.shape).astype(out.dtype) if out.dtype.kind == "f"
                           else np.zeros(out.shape, out.dtype) for out in outs]
        self.tangents = [rng.standard_normal(self.args[i].shape).astype(self.args[i].dtype) for i in self.wrt]
        self.out_count = len(outs)

    def oracle(self):
        """JAX's (outs, vjp, jvp, d/dt vjp) in one compiled function."""
        args, wrt = self.args, self.wrt
        cotangents = [c if c.dtype.kind == "f" else np.zeros(c.shape, jax.dtypes.float0) for c in self.cotangents]

        def g(*wrt_args):  # f of the wrt arguments; the others (indices ...) held
            full = list(args)
            for i, value in zip(wrt, wrt_args):
                full[i] = value
            return _as_list(self.f(*full))

        def pulled_back(*xs):
            return jax.vjp(g, *xs)[1](cotangents)

        def everything(*xs):
            outs, out_tangents = jax.jvp(g, xs, tuple(self.tangents))
            grads, grad_tangents = jax.jvp(pulled_back, xs, tuple(self.tangents))
            return outs, grads, out_tangents, grad_tangents

        with jax.enable_x64(True):
            outs, grads, out_tangents, grad_tangents = jax.jit(everything)(*[args[i] for i in wrt])
        # (an integer result's tangent is float0 in JAX, zeros of its type in ours)
        out_tangents = [np.zeros(o.shape, o.dtype) if t.dtype == jax.dtypes.float0 else t
                        for t, o in zip(out_tangents, outs)]
        return [[np.asarray(v) for v in group] for group in (outs, grads, out_tangents, grad_tangents)]

    def ours(self):
        """Our (outs, vjp, jvp, d/dt vjp) from forward(reverse(f)), and a function running it at x + s t."""
        reverse_text = ir.print_module(autodiff.reverse(self.text, wrt=self.wrt))
        module = autodiff.forward(reverse_text, wrt=self.wrt)
        executable = runtime.compile_stablehlo(ir.print_module(module))

        def at(step=0.0):
            args = list(self.args)
            for i, t in zip(self.wrt, self.tangents):
                args[i] = args[i] + step * t
            results = _execute(executable, [*args, *self.cotangents, *self.tangents])
            n, w = self.out_count, len(self.wrt)
            return results[:n], results[n:n + w], results[n + w:2 * n + w], results[2 * n + w:]
        return at


def _difference(plus, minus):
    """The central difference; 0 where both sides are the same value (-inf: a pooling window of padding only)."""
    with np.errstate(invalid="ignore"):
        return np.where(plus == minus, 0.0, (plus - minus) / (2 * EPS))


def check(case: Case, *, rtol=1e-9, atol=1e-9, fd=True, fd_rtol=1e-5, fd_atol=1e-6, second=True,
          reverse_of_forward=False):
    """Every check of one case. `fd=False` where f is not differentiable at the point (ties), `second=False`
    to compare first-order derivatives only; `reverse_of_forward` also transposes the forward-mode module."""
    at = case.ours()
    outs, grads, out_tangents, grad_tangents = at()
    expected = case.oracle()
    _close(outs, expected[0], "forward values", rtol, atol)
    _close(grads, expected[1], "reverse mode vs jax.vjp", rtol, atol)
    _close(out_tangents, expected[2], "forward mode vs jax.jvp", rtol, atol)
    if second:
        _close(grad_tangents, expected[3], "forward-of-reverse vs jax", rtol, atol)
    # Forward and reverse mode are one linear map and its transpose: <ct, J t> = <J^T ct, t>.
    left = sum(float(np.vdot(c, t)) for c, t in zip(case.cotangents, out_tangents) if c.dtype.kind == "f")
    right = sum(float(np.vdot(g, t)) for g, t in zip(grads, case.tangents))
    np.testing.assert_allclose(left, right, rtol=1e-9, atol=1e-9, err_msg="<ct, J t> vs <J^T ct, t>")
    if fd:
        plus, minus = at(EPS), at(-EPS)
        differences = [_difference(p, m) for p, m in zip(plus[0], minus[0])]
        _close(out_tangents, differences, "forward mode vs finite differences", fd_rtol, fd_atol)
        if second:
            differences = [_difference(p, m) for p, m in zip(plus[1], minus[1])]
            _close(grad_tangents, differences, "forward-of-reverse vs finite differences of reverse", fd_rtol, fd_atol)
    if reverse_of_forward:
        check_reverse_of_forward(case, rtol=rtol, atol=atol)


def check_reverse_of_forward(case: Case, *, rtol=1e-9, atol=1e-9):
    """reverse(forward(f)) with respect to the arguments and their tangents against `jax.vjp` of
    (x, t) -> (f(x), jvp(f, x, t)): the rules' forward-mode output transposed (second order the other way).
    The forward module is optimised first (the default pipeline), as the tracer does between transformations,
    so the rules must recognise what they emitted after simplification too."""
    args, wrt, n = case.args, case.wrt, len(case.args)
    forward_text = ir.print_module(passes.run(autodiff.forward(case.text, wrt=wrt)))
    module = autodiff.reverse(forward_text, wrt=wrt + tuple(range(n, n + len(wrt))))
    rng = np.random.default_rng(1)
    tangent_cotangents = [rng.standard_normal(c.shape).astype(c.dtype) if c.dtype.kind == "f" else c
                          for c in case.cotangents]
    results = run(module, *args, *case.tangents, *case.cotangents, *tangent_cotangents)
    ours = results[2 * case.out_count:]

    def h(*xs_and_ts):
        xs, ts = xs_and_ts[:len(wrt)], xs_and_ts[len(wrt):]

        def g(*ys):
            full = list(args)
            for i, value in zip(wrt, ys):
                full[i] = value
            return _as_list(case.f(*full))
        outs, out_tangents = jax.jvp(g, xs, ts)
        return [*outs, *out_tangents]

    def float0_for_integers(values):
        return [c if c.dtype.kind == "f" else np.zeros(c.shape, jax.dtypes.float0) for c in values]

    with jax.enable_x64(True):
        def pulled_back(*xs_and_ts):
            return jax.vjp(h, *xs_and_ts)[1](float0_for_integers(case.cotangents + tangent_cotangents))
        expected = jax.jit(pulled_back)(*[args[i] for i in wrt], *case.tangents)
    _close(ours, [np.asarray(e) for e in expected], "reverse-of-forward vs jax", rtol, atol)
