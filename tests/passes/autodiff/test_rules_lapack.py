"""Derivative rules of the LAPACK calls np.linalg traces to on CPU (getrf, trsm, potrf, syevd, gesdd, geqrf,
orgqr):
our reverse, forward and second order (forward-of-reverse) against `jax.vjp`/`jax.jvp` of `jax.numpy.linalg`
(which calls the same kernels) and against float64 finite differences.

The modules are what our tracer records for the NumPy function (`tracer.jit(f).lower`), so the rules are
checked on the calls as emitted. Each kernel reads one triangle where NumPy's function does (cholesky,
eigh): the oracles build the symmetric matrix from that triangle explicitly (JAX's eigh derivative
symmetrises its input, (a + a^T) / 2, even with symmetrize_input=False).
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest
from jax import lax
from rule_oracles import Case, check

import ir
import passes
import tracer
from passes import autodiff
from passes.autodiff import AutodiffError

rng = np.random.default_rng(3)


def traced(fn, *args) -> str:
    return ir.print_module(tracer.jit(fn).lower(*args))


def matrices(*shape):
    n = shape[-1]
    return rng.standard_normal(shape) + n * np.eye(n)


def _lower_symmetric(a):
    return jnp.tril(a) + jnp.swapaxes(jnp.tril(a, -1), -1, -2)


def _upper_symmetric(a):
    return jnp.triu(a) + jnp.swapaxes(jnp.triu(a, 1), -1, -2)


def _upper_cholesky(a):  # NumPy's cholesky(upper=True) reads the upper triangle
    upper = jnp.triu(a) + jnp.swapaxes(jnp.triu(a, 1), -1, -2)
    return jnp.swapaxes(lax.linalg.cholesky(upper, symmetrize_input=False), -1, -2)


A, B = matrices(4, 4), rng.standard_normal((4, 2))
STACK = matrices(2, 3, 3)
SPD = (lambda m: m @ m.T)(matrices(4, 4)) + np.tril(rng.standard_normal((4, 4)), -1)  # (the unread triangle differs)

CASES = {
    "solve": (np.linalg.solve, jnp.linalg.solve, (A, B)),
    "solve batched": (np.linalg.solve, jnp.linalg.solve, (STACK, rng.standard_normal((2, 3, 2)))),
    "inv": (np.linalg.inv, jnp.linalg.inv, (A,)),
    "det": (np.linalg.det, jnp.linalg.det, (STACK,)),
    "slogdet": (lambda a: tuple(np.linalg.slogdet(a)), lambda a: tuple(jnp.linalg.slogdet(a)), (STACK,)),
    "cholesky": (np.linalg.cholesky, lambda a: lax.linalg.cholesky(_lower_symmetric(a), symmetrize_input=False), (SPD,)),
    "cholesky upper": (lambda a: np.linalg.cholesky(a, upper=True), _upper_cholesky, (SPD.T.copy(),)),
    "eigh": (lambda a: tuple(np.linalg.eigh(a)), lambda a: tuple(jnp.linalg.eigh(_lower_symmetric(a))), (A,)),
    "eigh upper": (lambda a: tuple(np.linalg.eigh(a, UPLO="U")),
                   lambda a: tuple(jnp.linalg.eigh(_upper_symmetric(a), UPLO="U")), (A,)),
    "eigvalsh batched": (np.linalg.eigvalsh, lambda a: jnp.linalg.eigvalsh(_lower_symmetric(a)), (STACK,)),
}


# Each kernel's rule and the case above that runs it (test_rules_table.py's completeness check reads these names).
KERNEL_CASES = {"lapack.getrf": "inv", "lapack.trsm": "solve", "lapack.potrf": "cholesky", "lapack.syevd": "eigh",
                "lapack.gesdd": "svd square, full matrices", "lapack.geqrf": "qr tall", "lapack.orgqr": "qr tall"}


@pytest.mark.parametrize("kernel", list(KERNEL_CASES))
def test_each_kernel_rule_has_a_case_that_calls_it(kernel):
    ours, _, args = {**CASES, **SVD_CASES, **QR_CASES}[KERNEL_CASES[kernel]]
    assert kernel.split(".")[1] + "_ffi" in traced(ours, *args)


@pytest.mark.parametrize("name", list(CASES))
def test_lapack_rule(name):
    ours, theirs, args = CASES[name]
    check(Case(theirs, args, text=traced(ours, *args)), rtol=1e-8, atol=1e-8)


TALL, WIDE = rng.standard_normal((5, 3)), rng.standard_normal((2, 3, 4))
SVD_CASES = {
    "svdvals": (np.linalg.svdvals, lambda x: jnp.linalg.svd(x, compute_uv=False), (TALL,)),
    "norm 2": (lambda x: np.linalg.norm(x, 2), lambda x: jnp.linalg.norm(x, 2), (TALL,)),
    "svd tall": (lambda x: tuple(np.linalg.svd(x, full_matrices=False)),
                 lambda x: tuple(jnp.linalg.svd(x, full_matrices=False)), (TALL,)),
    "svd wide batched": (lambda x: tuple(np.linalg.svd(x, full_matrices=False)),
                         lambda x: tuple(jnp.linalg.svd(x, full_matrices=False)), (WIDE,)),
    "svd square, full matrices": (lambda x: tuple(np.linalg.svd(x)), lambda x: tuple(jnp.linalg.svd(x)), (A,)),
}


@pytest.mark.parametrize("name", list(SVD_CASES))
def test_svd_rule(name):
    ours, theirs, args = SVD_CASES[name]
    check(Case(theirs, args, text=traced(ours, *args)), rtol=1e-7, atol=1e-7)


def _wide_qr(x):
    """A wide matrix's QR as the QR of its first m columns and R2 = Q^T A2 (JAX's qr has no derivative for m < n)."""
    m = x.shape[-2]
    q, r1 = jnp.linalg.qr(x[..., :m])
    return q, jnp.concatenate([r1, jnp.swapaxes(q, -1, -2) @ x[..., m:]], axis=-1)


QR_CASES = {
    "qr tall": (lambda x: tuple(np.linalg.qr(x)), lambda x: tuple(jnp.linalg.qr(x)), (TALL,)),
    "qr square batched": (lambda x: tuple(np.linalg.qr(x)), lambda x: tuple(jnp.linalg.qr(x)), (STACK,)),
    "qr complete square": (lambda x: tuple(np.linalg.qr(x, mode="complete")),
                           lambda x: tuple(jnp.linalg.qr(x, mode="complete")), (A,)),
    "qr r": (lambda x: np.linalg.qr(x, mode="r"), lambda x: jnp.linalg.qr(x, mode="r"), (TALL,)),
    "qr wide batched": (lambda x: tuple(np.linalg.qr(x)), _wide_qr, (WIDE,)),
    # (one row: no reflector reaches below the diagonal; one column: a single reflector)
    "qr one row": (lambda x: tuple(np.linalg.qr(x)), _wide_qr, (rng.standard_normal((1, 3)),)),
    "qr one column": (lambda x: tuple(np.linalg.qr(x)), lambda x: tuple(jnp.linalg.qr(x)),
                      (rng.standard_normal((3, 1)) + 1,)),
}


@pytest.mark.parametrize("name", list(QR_CASES))
def test_qr_rule(name):
    """geqrf's and orgqr's rules chained as np.linalg.qr calls them, against JAX's qr derivative."""
    ours, theirs, args = QR_CASES[name]
    check(Case(theirs, args, text=traced(ours, *args)), rtol=1e-7, atol=1e-7)


@pytest.mark.parametrize("mode", ["raw", "complete"])
def test_qr_rules_differentiate_what_lapack_computes(mode):
    """The reflectors and taus of mode='raw', and the extra columns of a tall matrix's complete Q (LAPACK's
    own completion, orgqr over zero-padded reflectors), have true derivatives through the same two rules;
    JAX refuses both, so the oracle is central differences of NumPy's qr (the same LAPACK routines)."""
    x, eps = rng.standard_normal((5, 3)), 1e-6
    weights = [rng.standard_normal(part.shape) for part in np.linalg.qr(x, mode=mode)]

    def loss(xp_qr, a):
        return sum((w * part).sum() for w, part in zip(weights, xp_qr(a, mode=mode)))

    ours = np.asarray(tracer.grad(lambda a: loss(np.linalg.qr, a))(x))
    expected = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[index] = eps
        expected[index] = (loss(np.linalg.qr, x + step) - loss(np.linalg.qr, x - step)) / (2 * eps)
    np.testing.assert_allclose(ours, expected, rtol=1e-6, atol=1e-7)


def _differentiated(mode, fn, *args) -> str:
    """fn's module differentiated by our pass (reverse or forward) and simplified, as text."""
    module = passes.run(tracer.jit(fn).lower(*args))
    (autodiff.reverse if mode == "reverse" else autodiff.forward)(module)
    return ir.print_module(passes.run(module))


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("shape", [(6, 4), (3, 3), (2, 5)], ids=["tall", "square", "wide"])
def test_qr_derivative_is_taken_whole(mode, shape):
    """np.linalg.qr's geqrf -> orgqr pair is differentiated as one op (lapack.qr, `lapack_qr_pair.py`): QR's
    formula, one triangular solve with R, instead of the chain through the reflectors (six solves); the
    pair is split back into the two LAPACK calls, which are all that runs. (Values: test_qr_rule.)"""
    x = rng.standard_normal(shape)
    text = _differentiated(mode, lambda a: tuple(np.linalg.qr(a)), x)
    assert text.count("stablehlo.triangular_solve") == 1
    assert text.count("lapack_dgeqrf_ffi") == 1 and text.count("lapack_dorgqr_ffi") == 1
    assert "pyreactant_lapack_qr_pair" not in text
    assert text.count("stablehlo.dot_general") <= 5


def test_raw_reflectors_keep_the_per_kernel_rules():
    """mode='raw' hands the reflectors to the user: geqrf stays unmarked and its own rule (the chain through
    the reflectors, several solves) differentiates it."""
    x = rng.standard_normal((5, 3))
    text = _differentiated("reverse", lambda a: np.linalg.qr(a, mode="raw")[0], x)
    assert "reflectors_for_orgqr" not in text and text.count("stablehlo.triangular_solve") > 1


def test_a_marked_geqrf_without_its_one_orgqr_keeps_the_per_kernel_rules():
    """The mark is a promise the merge checks: where the taus go elsewhere (here raw mode returns them) the
    mark is dropped and the per-kernel rules differentiate the call, exactly as if it had never been marked."""
    text = ir.print_module(passes.run(tracer.jit(lambda a: np.linalg.qr(a, mode="raw")).lower(TALL)))
    marked = text.replace("@lapack_dgeqrf_ffi(%arg0) {", "@lapack_dgeqrf_ffi(%arg0) {pyreactant.reflectors_for_orgqr, ")
    assert marked != text
    differentiated = ir.print_module(passes.run(autodiff.reverse(marked)))
    assert "reflectors_for_orgqr" not in differentiated
    assert differentiated == ir.print_module(passes.run(autodiff.reverse(text)))


def test_qr_reduced_and_raw_of_one_matrix():
    """The same matrix's reduced QR (marked, merged) and raw QR (per-kernel rules) in one loss: their geqrf calls
    stay apart (the mark differs), and the gradient matches central differences of NumPy's."""
    x, eps = rng.standard_normal((5, 3)), 1e-6
    w = [rng.standard_normal(s) for s in ((5, 3), (3, 3), (3, 5), (3,))]

    def loss(a):
        q, r = np.linalg.qr(a)
        h, tau = np.linalg.qr(a, mode="raw")
        return (w[0] * q).sum() + (w[1] * r).sum() + (w[2] * h).sum() + (w[3] * tau).sum()

    ours = np.asarray(tracer.grad(loss)(x))
    expected = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[index] = eps
        expected[index] = (loss(x + step) - loss(x - step)) / (2 * eps)
    np.testing.assert_allclose(ours, expected, rtol=1e-6, atol=1e-7)


def test_grad_of_grad_through_qr_matches_jax():
    """Second order through the merged pair (the inner gradient's code reads Q and R; the outer pass merges
    the pair again), against jax.grad of jax.grad."""
    import jax

    x = rng.standard_normal((5, 3))

    def loss(xp, a):
        q, r = xp.linalg.qr(a)
        return (q[:, 0] * a[:, 1]).sum() + (r ** 3).sum()

    def outer(xp, grad):
        return lambda a: (grad(lambda b: loss(xp, b))(a) ** 2).sum()

    with jax.enable_x64(True):
        expected = jax.grad(outer(jnp, jax.grad))(x)
    np.testing.assert_allclose(np.asarray(tracer.grad(outer(np, tracer.grad))(x)), expected, rtol=1e-8, atol=1e-10)


def test_grad_through_np_linalg_matches_jax():
    """tracer.grad of a loss through several LAPACK calls, against jax.grad."""
    import jax

    def loss(xp, a, b):
        x = xp.linalg.solve(a, b)
        return (x ** 2).sum() + xp.linalg.slogdet(a)[1] + xp.linalg.eigvalsh(a @ a.T).sum() + xp.linalg.inv(a)[0, 1]

    with jax.enable_x64(True):
        expected = jax.grad(lambda a: loss(jnp, a, B))(A)
    np.testing.assert_allclose(np.asarray(tracer.grad(lambda a: loss(np, a, B))(A)), expected, rtol=1e-9)


def test_what_does_not_differentiate_says_so():
    """Full matrices of a non-square SVD have columns the SVD leaves free (JAX refuses them too)."""
    a = rng.standard_normal((4, 3))
    with pytest.raises(AutodiffError, match="full_matrices=True") as info:
        tracer.grad(lambda x: np.linalg.svd(x)[0].sum())(a)
    assert "full_matrices=False" in str(info.value)
    np.asarray(tracer.grad(lambda x: np.linalg.svd(x)[1].sum())(a))  # (the values alone are fine)


def test_unused_decompositions_are_erased_after_differentiation():
    """The pipeline keeps only the calls the gradient needs: the forward getrf (its pivots and factors are
    reused) and no second factorisation."""
    text = ir.print_module(passes.run(tracer.jit(tracer.grad(lambda a: np.linalg.det(a))).lower(A)))
    assert text.count("lapack_dgetrf_ffi") == 1
