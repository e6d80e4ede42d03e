"""`tracer.grad`, `value_and_grad`, `vjp` and `jvp`: the user API of our autodiff, against independent oracles.

Every gradient is compared with `jax.grad`/`jax.vjp`/`jax.jvp` of the same function written with
`jax.numpy`/`jax.lax` (64-bit, jitted: an oracle only) and, for the scalar ones, with central
differences of the NumPy function itself (our functions are NumPy code: run eagerly they are their own
reference). Control flow is differentiated through `tracer.cond`, `switch`, `fori_loop`, `scan` (both
directions), nested loops and `@tracer.trace` code, each against the equivalent `jax.lax` program.
Error tests check the exception, what it names and that it points at this file's line.
"""

from __future__ import annotations

import os

import jax
import jax.numpy as jnp
import ml_dtypes
import numpy as np
import pytest
from jax import lax, tree_util

import runtime
import tracer
from ir.errors import PyreactantError
from passes import autodiff

THIS_FILE = os.path.basename(__file__)
rng = np.random.default_rng(42)
W = rng.standard_normal((3, 2))
X = rng.standard_normal((4, 3))
Y = rng.standard_normal((4, 2))
V = rng.uniform(-1.0, 1.0, 5)


def numpy(tree):
    return tree_util.tree_map(np.asarray, tree)


def jax_answer(fn, *args):
    """fn (built from jax.grad & co.) run jitted with 64-bit types, as NumPy."""
    with jax.enable_x64(True):
        return numpy(jax.jit(fn)(*args))


def assert_close(actual, expected, rtol=1e-10, atol=1e-12):
    actual, expected = numpy(actual), numpy(expected)
    assert tree_util.tree_structure(actual) == tree_util.tree_structure(expected), (actual, expected)
    for a, e in zip(tree_util.tree_leaves(actual), tree_util.tree_leaves(expected)):
        assert a.shape == np.shape(e), (a.shape, np.shape(e))
        np.testing.assert_allclose(a, e, rtol=rtol, atol=atol)


def finite_difference(fn, args, argnum, direction, step=1e-6):
    """d/dt fn(..., args[argnum] + t * direction, ...) at 0, by central differences of the NumPy function."""
    def at(t):
        shifted = list(args)
        shifted[argnum] = tree_util.tree_map(lambda a, d: a + t * d, args[argnum], direction)
        return float(fn(*shifted))
    return (at(step) - at(-step)) / (2 * step)


def check_against_finite_differences(fn, args, grads, argnums):
    for argnum, grad in zip(argnums, grads):
        direction = tree_util.tree_map(lambda a: rng.uniform(-1.0, 1.0, np.shape(a)), args[argnum])
        paired = sum(float(np.sum(np.asarray(g) * d)) for g, d in
                     zip(tree_util.tree_leaves(grad), tree_util.tree_leaves(direction)))
        np.testing.assert_allclose(paired, finite_difference(fn, args, argnum, direction), rtol=1e-6, atol=1e-8)


# -- the loss of the issue: tanh regression -----------------------------------------------------------
def loss(w, x, y):
    return np.mean((np.tanh(x @ w) - y) ** 2)


def jax_loss(w, x, y):
    return jnp.mean((jnp.tanh(x @ w) - y) ** 2)


def test_grad_argnums_int_and_tuple():
    g = tracer.grad(loss)(W, X, Y)
    assert isinstance(g, runtime.ConcreteArray) and g.shape == W.shape and g.dtype == W.dtype
    assert_close(g, jax_answer(jax.grad(jax_loss), W, X, Y))
    gw, gx = tracer.grad(loss, argnums=(0, 1))(W, X, Y)
    expected = jax_answer(jax.grad(jax_loss, argnums=(0, 1)), W, X, Y)
    assert_close((gw, gx), expected)
    check_against_finite_differences(loss, (W, X, Y), (gw, gx), (0, 1))
    # A negative argnum counts from the end, as in JAX.
    assert_close(tracer.grad(loss, argnums=-1)(W, X, Y), jax_answer(jax.grad(jax_loss, argnums=2), W, X, Y))


def test_value_and_grad():
    value, g = tracer.value_and_grad(loss, argnums=(0, 2))(W, X, Y)
    expected_value, expected = jax_answer(jax.value_and_grad(jax_loss, argnums=(0, 2)), W, X, Y)
    assert_close(value, expected_value)
    assert np.asarray(value).shape == ()
    assert_close(g, expected)


def mlp(params, x):
    hidden = np.tanh(x @ params["w1"] + params["b1"])
    return np.sum((hidden @ params["layers"][0] + params["layers"][1]) ** 2)


def jax_mlp(params, x):
    hidden = jnp.tanh(x @ params["w1"] + params["b1"])
    return jnp.sum((hidden @ params["layers"][0] + params["layers"][1]) ** 2)


PARAMS = {"w1": rng.standard_normal((3, 4)), "b1": rng.standard_normal(4),
          "layers": (rng.standard_normal((4, 2)), rng.standard_normal(2))}


def test_pytree_parameters_give_a_pytree_of_gradients():
    grads = tracer.grad(mlp)(PARAMS, X)
    assert isinstance(grads, dict) and set(grads) == {"w1", "b1", "layers"}
    assert isinstance(grads["layers"], tuple)
    assert_close(grads, jax_answer(jax.grad(jax_mlp), PARAMS, X))
    check_against_finite_differences(mlp, (PARAMS, X), (grads,), (0,))


def test_has_aux():
    def with_aux(params, x):
        value = mlp(params, x)
        return value, {"value": value, "twice": 2 * x}

    def jax_with_aux(params, x):
        value = jax_mlp(params, x)
        return value, {"value": value, "twice": 2 * x}

    (value, aux), grads = tracer.value_and_grad(with_aux, has_aux=True)(PARAMS, X)
    (expected_value, expected_aux), expected = jax_answer(jax.value_and_grad(jax_with_aux, has_aux=True), PARAMS, X)
    assert_close(value, expected_value)
    assert_close(aux, expected_aux)
    assert_close(grads, expected)
    grads_only, aux_only = tracer.grad(with_aux, has_aux=True)(PARAMS, X)
    assert_close(grads_only, expected)
    assert_close(aux_only, expected_aux)


# -- vjp and jvp ------------------------------------------------------------------------------------------
def test_vjp_of_a_vector_function_of_two_arguments():
    def f(x, w):
        return np.sin(x @ w) * np.exp(-x[:, :2])

    def jax_f(x, w):
        return jnp.sin(x @ w) * jnp.exp(-x[:, :2])

    out, pullback = tracer.vjp(f, X, W)
    cotangent = rng.standard_normal((4, 2))
    x_bar, w_bar = pullback(cotangent)

    def oracle(x, w, ct):
        value, pull = jax.vjp(jax_f, x, w)
        return value, pull(ct)

    expected_out, expected_bars = jax_answer(oracle, X, W, cotangent)
    assert_close(out, expected_out)
    assert_close((x_bar, w_bar), expected_bars)


def test_vjp_with_has_aux_and_a_pytree_output():
    def f(x):
        return {"a": np.tanh(x), "b": x.sum(axis=0) ** 2}, x.shape[0]

    out, pullback, aux = tracer.vjp(f, X, has_aux=True)
    assert aux == 4
    ct = {"a": rng.standard_normal(X.shape), "b": rng.standard_normal(X.shape[1])}
    (x_bar,) = pullback(ct)
    expected = jax_answer(lambda x, c: jax.vjp(lambda x: {"a": jnp.tanh(x), "b": x.sum(axis=0) ** 2}, x)[1](c), X, ct)
    assert_close(x_bar, expected[0])
    assert_close(out, {"a": np.tanh(X), "b": X.sum(axis=0) ** 2})


def test_jvp():
    def f(x, w):
        return np.tanh(x @ w), np.sum(x ** 3)

    tangents = (rng.standard_normal(X.shape), rng.standard_normal(W.shape))
    out, tangent_out = tracer.jvp(f, (X, W), tangents)
    expected = jax_answer(lambda p, t: jax.jvp(lambda x, w: (jnp.tanh(x @ w), jnp.sum(x ** 3)), p, t), (X, W), tangents)
    assert_close((out, tangent_out), expected)


# -- composition: jit, closures, higher order ---------------------------------------------------------------
def test_grad_inside_jit_is_one_program():
    step = tracer.jit(tracer.value_and_grad(loss))
    value, g = step(W, X, Y)
    expected_value, expected = jax_answer(jax.value_and_grad(jax_loss), W, X, Y)
    assert_close(value, expected_value)
    assert_close(g, expected)
    text = tracer.compile(tracer.value_and_grad(loss), W, X, Y).as_text("optimized")
    assert "func.call" not in text and text.count("func.func") == 1, text
    assert "stablehlo.tanh" in text


def test_closure_over_a_traced_value():
    @tracer.jit
    def outer(x, scale):
        shift = np.cos(scale)  # traced, captured by the function grad differentiates
        return tracer.grad(lambda w: np.sum(np.sin(w * scale) + shift * w ** 2))(x)

    def jax_outer(x, scale):
        shift = jnp.cos(scale)
        return jax.grad(lambda w: jnp.sum(jnp.sin(w * scale) + shift * w ** 2))(x)

    scale = np.float64(1.7)
    assert_close(outer(V, scale), jax_answer(jax_outer, V, scale))


def sin_square(x):
    return np.sum(np.sin(x) ** 2 * x)


def jax_sin_square(x):
    return jnp.sum(jnp.sin(x) ** 2 * x)


def test_grad_of_grad():
    g2 = tracer.grad(lambda x: tracer.grad(sin_square)(x).sum())(V)
    assert_close(g2, jax_answer(jax.grad(lambda x: jax.grad(jax_sin_square)(x).sum()), V))


def test_hessian_vector_product_by_jvp_of_grad():
    direction = rng.standard_normal(V.shape)
    _, hvp = tracer.jvp(tracer.grad(sin_square), (V,), (direction,))
    expected = jax_answer(lambda x, v: jax.jvp(jax.grad(jax_sin_square), (x,), (v,))[1], V, direction)
    assert_close(hvp, expected)
    # and by finite differences of our gradient
    step = 1e-6
    grad = tracer.grad(sin_square)
    fd = (np.asarray(grad(V + step * direction)) - np.asarray(grad(V - step * direction))) / (2 * step)
    np.testing.assert_allclose(np.asarray(hvp), fd, rtol=1e-6, atol=1e-8)


def test_integer_argument_not_in_argnums_passes_through():
    def f(x, n):
        return np.sum(x ** 2 * n)

    n = np.arange(5, dtype=np.int32)
    assert_close(tracer.grad(f)(V, n), 2 * V * n)


@pytest.mark.parametrize("dtype", [np.float32, np.float16, ml_dtypes.bfloat16], ids=lambda d: np.dtype(d).name)
def test_narrow_float_dtypes(dtype):
    """Gradients keep the argument's dtype and agree with JAX computing in that dtype (the same rounding)."""
    def f(w, x):
        return np.sum(np.tanh(x @ w) ** 2 + np.exp(-w.max(axis=0)))

    def jax_f(w, x):
        return jnp.sum(jnp.tanh(x @ w) ** 2 + jnp.exp(-w.max(axis=0)))

    w, x = W.astype(dtype), X.astype(dtype)
    g = numpy(tracer.grad(f)(w, x))
    assert g.dtype == np.dtype(dtype)
    expected = numpy(jax.jit(jax.grad(jax_f))(w, x))
    tolerance = {np.dtype(np.float32): 1e-5}.get(np.dtype(dtype), 2e-2)
    np.testing.assert_allclose(g.astype(np.float64), expected.astype(np.float64), rtol=tolerance, atol=tolerance)


def test_python_float_argument_and_constant_function():
    assert_close(tracer.grad(lambda x: x ** 3)(2.0), np.float64(12.0))  # a Python float is a 0-d float64
    assert_close(tracer.grad(lambda x: np.float64(2.0) + 0 * np.sum(np.floor(x)))(V), np.zeros(5))


# -- control flow ---------------------------------------------------------------------------------------------
def check_grad(fn, jax_fn, *args, argnums=0):
    grads = tracer.grad(fn, argnums=argnums)(*args)
    assert_close(grads, jax_answer(jax.grad(jax_fn, argnums=argnums), *args))
    numbers = (argnums,) if isinstance(argnums, int) else argnums
    check_against_finite_differences(fn, args, grads if isinstance(argnums, tuple) else (grads,), numbers)
    return grads


@pytest.mark.parametrize("positive", [True, False], ids=["true branch", "false branch"])
def test_cond(positive):
    def f(x, w):
        return np.sum(tracer.cond(x.sum() > 0, lambda a: np.sin(a) * w, lambda a: a * a - w, x))

    def jax_f(x, w):
        return jnp.sum(lax.cond(x.sum() > 0, lambda a: jnp.sin(a) * w, lambda a: a * a - w, x))

    x = np.abs(V) if positive else -np.abs(V)
    check_grad(f, jax_f, x, np.float64(0.3), argnums=(0, 1))


@pytest.mark.parametrize("index", [0, 2, 7])  # 7: clamped into range, as lax.switch does
def test_switch(index):
    branches = [lambda a, w: a * w, lambda a, w: np.tanh(a) + w, lambda a, w: np.exp(a * w)]
    jax_branches = [lambda a, w: a * w, lambda a, w: jnp.tanh(a) + w, lambda a, w: jnp.exp(a * w)]

    def f(x, w, i):
        return np.sum(tracer.switch(i, branches, x, w))

    def jax_f(x, w, i):
        return jnp.sum(lax.switch(i, jax_branches, x, w))

    check_grad(f, jax_f, V, np.float64(0.7), np.int32(index), argnums=(0, 1))


def test_fori_loop():
    def f(x, w):
        return np.sum(tracer.fori_loop(0, 6, lambda i, c: np.sin(c) * w + c * i, x))

    def jax_f(x, w):
        return jnp.sum(lax.fori_loop(0, 6, lambda i, c: jnp.sin(c) * w + c * i, x))

    check_grad(f, jax_f, V, np.float64(0.9), argnums=(0, 1))


def test_vjp_of_a_loop_result_returned_as_it_is():
    """The loop's carry is the output itself (no op after the loop): reversing rebuilds the loop, and the
    outputs must come from the rebuilt one."""
    def f(x):
        return tracer.fori_loop(0, 4, lambda i, c: np.cos(c) * x, x)

    out, pullback = tracer.vjp(f, V)
    ct = rng.standard_normal(V.shape)

    def oracle(x, c):
        value, pull = jax.vjp(lambda x: lax.fori_loop(0, 4, lambda i, a: jnp.cos(a) * x, x), x)
        return value, pull(c)[0]

    expected_out, expected_bar = jax_answer(oracle, V, ct)
    assert_close(out, expected_out)
    assert_close(pullback(ct)[0], expected_bar)


@pytest.mark.parametrize("reverse", [False, True], ids=["forward scan", "reverse scan"])
def test_scan(reverse):
    def f(h, xs, w):
        carry, ys = tracer.scan(lambda c, x: (np.tanh(c * w + x), c * x), h, xs, reverse=reverse)
        return np.sum(carry) + np.sum(ys ** 2)

    def jax_f(h, xs, w):
        carry, ys = lax.scan(lambda c, x: (jnp.tanh(c * w + x), c * x), h, xs, reverse=reverse)
        return jnp.sum(carry) + jnp.sum(ys ** 2)

    xs = rng.standard_normal((6, 3))
    check_grad(f, jax_f, rng.standard_normal(3), xs, np.float64(0.8), argnums=(0, 1, 2))


def test_nested_loops():
    def f(x, w):
        def outer(i, c):
            inner = tracer.fori_loop(0, 3, lambda j, d: np.sin(d + w * j), c)
            return inner * w + c
        return np.sum(tracer.fori_loop(0, 4, outer, x))

    def jax_f(x, w):
        def outer(i, c):
            inner = lax.fori_loop(0, 3, lambda j, d: jnp.sin(d + w * j), c)
            return inner * w + c
        return jnp.sum(lax.fori_loop(0, 4, outer, x))

    check_grad(f, jax_f, V, np.float64(0.6), argnums=(0, 1))


def test_scan_inside_a_loop_inside_cond():
    def f(x, w):
        def body(i, c):
            c, _ = tracer.scan(lambda a, r: (a * r + w, a), c, np.stack([c, c * w]))
            return c
        return np.sum(tracer.cond(w > 0, lambda a: tracer.fori_loop(0, 3, body, a), lambda a: a, x))

    def jax_f(x, w):
        def body(i, c):
            c, _ = lax.scan(lambda a, r: (a * r + w, a), c, jnp.stack([c, c * w]))
            return c
        return jnp.sum(lax.cond(w > 0, lambda a: lax.fori_loop(0, 3, body, a), lambda a: a, x))

    check_grad(f, jax_f, V * 0.5, np.float64(0.4), argnums=(0, 1))


def test_second_order_through_loops():
    """jvp of grad and grad of grad through a scan and a fori_loop: the backward loops are reversible too."""
    def f(x):
        c, ys = tracer.scan(lambda c, r: (np.sin(c * r) + r, c * r), x[0], x)
        return np.sum(tracer.fori_loop(0, 3, lambda i, a: np.tanh(a) * x, x)) + c + np.sum(ys ** 2)

    def jax_f(x):
        c, ys = lax.scan(lambda c, r: (jnp.sin(c * r) + r, c * r), x[0], x)
        return jnp.sum(lax.fori_loop(0, 3, lambda i, a: jnp.tanh(a) * x, x)) + c + jnp.sum(ys ** 2)

    direction = rng.standard_normal(V.shape)
    hvp = tracer.jvp(tracer.grad(f), (V,), (direction,))[1]
    assert_close(hvp, jax_answer(lambda x, v: jax.jvp(jax.grad(jax_f), (x,), (v,))[1], V, direction))
    g2 = tracer.grad(lambda x: np.sum(tracer.grad(f)(x) ** 2))(V)
    assert_close(g2, jax_answer(jax.grad(lambda x: jnp.sum(jax.grad(jax_f)(x) ** 2)), V))


@tracer.trace
def rewritten(x, w):
    total = np.zeros_like(x)
    for i in range(5):
        if np.sum(total) > 1.0:
            total = total * w
        else:
            total = total + np.sin(x * i)
    return np.sum(total * x)


def jax_rewritten(x, w):
    def body(i, total):
        return lax.cond(jnp.sum(total) > 1.0, lambda t: t * w, lambda t: t + jnp.sin(x * i), total)
    return jnp.sum(lax.fori_loop(0, 5, body, jnp.zeros_like(x)) * x)


def test_trace_decorated_code():
    check_grad(rewritten, jax_rewritten, V, np.float64(1.3), argnums=(0, 1))


# -- errors ------------------------------------------------------------------------------------------------------
def test_integer_argnum_is_refused():
    with pytest.raises(tracer.TracerError) as info:
        tracer.grad(lambda x, n: np.sum(x * n), argnums=1)(V, np.arange(5))
    assert "int64" in str(info.value) and "float" in str(info.value)
    assert THIS_FILE in str(info.value)


def test_grad_of_a_non_scalar_is_refused():
    with pytest.raises(tracer.TracedShapeError) as info:
        tracer.grad(lambda x: np.sin(x))(V)
    message = str(info.value)
    assert "scalar" in message and "f64[5]" in message and "vjp" in message
    assert THIS_FILE in message


def test_complex_arguments_are_refused():
    with pytest.raises(tracer.TracerError) as info:
        tracer.grad(lambda z: np.sum(np.abs(z)))(np.ones(3, np.complex64))
    assert "complex64" in str(info.value)


def test_argnum_out_of_range_is_refused():
    with pytest.raises(tracer.TracedIndexError):
        tracer.grad(loss, argnums=3)(W, X, Y)


def test_vjp_cotangent_of_the_wrong_shape_is_refused():
    _, pullback = tracer.vjp(lambda x: np.sin(x), V)
    with pytest.raises(tracer.TracedShapeError) as info:
        pullback(np.ones(4))
    assert "cotangent" in str(info.value) and "(4,)" in str(info.value)


def test_jvp_tangents_must_match_the_primals():
    with pytest.raises(tracer.TracerError):
        tracer.jvp(lambda x, y: x * y, (V, V), (V,))


def test_an_op_without_a_rule_names_the_op_and_the_users_line(monkeypatch):
    """With sine's rules taken out of the tables, grad of np.sin names stablehlo.sine and the line of np.sin."""
    monkeypatch.delitem(autodiff.VJP, "stablehlo.sine")
    monkeypatch.delitem(autodiff.JVP, "stablehlo.sine")

    def f(x):
        return np.sum(np.sin(x) * 2.0)  # <sine line>

    line = next(number for number, text in enumerate(open(__file__), 1) if text.rstrip().endswith("# <sine line>"))
    for differentiate in (lambda: tracer.grad(f)(V), lambda: tracer.jvp(f, (V,), (V,))):
        with pytest.raises(PyreactantError) as info:
            differentiate()
        message = str(info.value)
        assert "stablehlo.sine has no derivative rule" in message, message
        assert f"{THIS_FILE}:{line}" in message, message
        assert "fix:" in message


def test_an_op_without_a_rule_names_the_function_differentiated(monkeypatch):
    monkeypatch.delitem(autodiff.VJP, "stablehlo.sine")

    def user_loss(x):
        return np.sum(np.sin(x))

    with pytest.raises(PyreactantError) as info:
        tracer.grad(user_loss)(V)
    assert "user_loss" in str(info.value), str(info.value)
