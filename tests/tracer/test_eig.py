"""np.linalg.eig and eigvals on CPU (LAPACK's geev), traced vs NumPy, and what complex results can do.

Eigenvalues come in no order NumPy promises, and eigenvectors only up to a complex factor, so results are
compared as NumPy's and ours would be by anyone: eigenvalues as multisets (each of NumPy's matched to the
nearest of ours), eigenvectors by A v = v w and unit length. The matrices are drawn by hypothesis through a
seed (standard normal entries: hypothesis's own floats favour zeros and repeats, whose defective eigenvalues
no two LAPACKs agree on beyond sqrt(eps)).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tracer
from helpers import xla_settings
from passes.autodiff import AutodiffError

# Eigenvalues of a non-symmetric matrix are as accurate as their condition allows: a tolerance relative to |A|.
TOLERANCE = {np.float32: 2e-4, np.float64: 1e-10}
COMPLEX = {np.float32: np.complex64, np.float64: np.complex128}


def _assert_same_multiset(ours, theirs, tol):
    """Every eigenvalue of `theirs` matches a different one of `ours` within tol (greedy nearest)."""
    left = list(np.asarray(ours, dtype=np.complex128))
    for value in np.asarray(theirs, dtype=np.complex128):
        distances = np.abs(np.asarray(left) - value)
        nearest = int(np.argmin(distances))
        assert distances[nearest] <= tol, f"eigenvalue {value} has no match within {tol} in {ours}"
        left.pop(nearest)


def _check_eig(a, w, v, dtype):
    tol = TOLERANCE[dtype] * (1 + np.abs(a).max())
    assert w.dtype == COMPLEX[dtype] and v.dtype == COMPLEX[dtype]
    for index in np.ndindex(a.shape[:-2]):
        _assert_same_multiset(w[index], np.linalg.eigvals(a[index]), tol)
    np.testing.assert_allclose(a.astype(v.dtype) @ v, v * w[..., None, :], atol=tol)
    np.testing.assert_allclose(np.linalg.norm(v, axis=-2), 1, rtol=TOLERANCE[dtype] * 10)


@st.composite
def general_matrices(draw):
    n = draw(st.integers(1, 5))
    batch = draw(st.sampled_from([(), (2,)]))
    seed = draw(st.integers(0, 2**32 - 1))
    return np.random.default_rng(seed).standard_normal(batch + (n, n))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_eig_and_eigvals_match_numpy(dtype):
    @xla_settings(max_examples=6)
    @given(general_matrices())
    def run(a):
        a = a.astype(dtype)
        w, v = (np.asarray(x) for x in tracer.jit(np.linalg.eig)(a))
        _check_eig(a, w, v, dtype)
        values = np.asarray(tracer.jit(np.linalg.eigvals)(a))
        assert values.dtype == COMPLEX[dtype]
        for index in np.ndindex(a.shape[:-2]):
            _assert_same_multiset(values[index], np.linalg.eigvals(a[index]), TOLERANCE[dtype] * (1 + np.abs(a).max()))

    run()


def test_complex_pairs_real_eigenvalues_and_integers():
    """A rotation block (eigenvalues 1 +- 2i) beside a real eigenvalue; integers compute in float64 (as NumPy
    does) and give complex128; an all-real spectrum is complex too (NumPy's real_if_close gives NumPy's dtype)."""
    a = np.array([[1, -2, 0], [2, 1, 0], [0, 0, 3]])
    w, v = (np.asarray(x) for x in tracer.jit(np.linalg.eig)(a))
    _check_eig(a.astype(np.float64), w, v, np.float64)
    np.testing.assert_allclose(np.sort_complex(w), [1 - 2j, 1 + 2j, 3], atol=1e-12)
    real = np.asarray(tracer.jit(np.linalg.eigvals)(np.diag([2.0, -1.0])))
    assert real.dtype == np.complex128 and np.real_if_close(real).dtype == np.float64
    np.testing.assert_array_equal(np.sort(np.real_if_close(real)), np.linalg.eigvals(np.diag([2.0, -1.0]))[::-1])


def test_empty_matrices():
    for shape in [(0, 0), (2, 0, 0), (0, 3, 3)]:
        w, v = (np.asarray(x) for x in tracer.jit(np.linalg.eig)(np.zeros(shape)))
        assert w.shape == shape[:-1] and v.shape == shape and w.dtype == v.dtype == np.complex128


def test_non_finite_matrices_give_nan():
    """NumPy raises LinAlgError ("Array must not contain infs or NaNs"); a trace cannot look: geev fails, NaN."""
    w, v = (np.asarray(x) for x in tracer.jit(np.linalg.eig)(np.array([[1.0, np.inf], [0.0, 1.0]])))
    assert np.isnan(w.real).all() and np.isnan(w.imag).all() and np.isnan(v.real).all()
    with pytest.raises(np.linalg.LinAlgError):
        np.linalg.eig(np.array([[1.0, np.inf], [0.0, 1.0]]))


def test_what_complex_results_can_do_matches_numpy_on_them():
    """Taking complex results apart, moving and indexing them, in the traced function, against NumPy doing the
    same to the complex arrays the compiled function returns."""
    a = np.random.default_rng(1).standard_normal((4, 4))

    def parts(a):
        w, v = np.linalg.eig(a)
        return (w, v, w.real, w.imag, np.real(v), np.imag(v), np.abs(w), np.angle(w), np.angle(w, deg=True),
                np.conj(v), v.conj(), np.iscomplex(w), np.isreal(w), v.T, np.swapaxes(v, 0, 1), v[:, 1], w[::-1],
                np.reshape(w, (2, 2)), np.expand_dims(w, 0), np.ravel(v), np.linalg.eigvals(a))

    out = [np.asarray(x) for x in tracer.jit(parts)(a)]
    w, v = out[0], out[1]
    expected = (w, v, w.real, w.imag, np.real(v), np.imag(v), np.abs(w), np.angle(w), np.angle(w, deg=True),
                np.conj(v), v.conj(), np.iscomplex(w), np.isreal(w), v.T, np.swapaxes(v, 0, 1), v[:, 1], w[::-1],
                np.reshape(w, (2, 2)), np.expand_dims(w, 0), np.ravel(v), w)
    for index, (ours, theirs) in enumerate(zip(out, expected)):
        assert ours.dtype == theirs.dtype, index
        np.testing.assert_allclose(ours, theirs, rtol=1e-13, atol=1e-14, err_msg=str(index))


def test_other_numpy_on_complex_results_is_refused_at_the_users_line():
    a = np.random.default_rng(2).standard_normal((3, 3))
    calls = {
        "sort": lambda a: np.sort(np.linalg.eigvals(a)),  # refused-here
        "add": lambda a: np.linalg.eigvals(a) + 1,  # refused-here
        "sum": lambda a: np.linalg.eigvals(a).sum(),  # refused-here
        "concatenate": lambda a: np.concatenate([np.linalg.eigvals(a), np.linalg.eigvals(a)]),  # refused-here
    }
    line = next(i for i, text in enumerate(open(__file__).read().splitlines(), 1) if "# refused-here" in text)
    for offset, (name, call) in enumerate(calls.items()):
        with pytest.raises(tracer.UnsupportedNumPyError, match=f"numpy.{name} of a complex traced array") as info:
            tracer.jit(call)(a)
        assert f"test_eig.py:{line + offset}:" in str(info.value) and "w.real" in str(info.value)


def test_eig_has_no_derivative_and_says_so():
    """No silent zero: reverse mode stops at the first op reading a complex value, forward mode at geev."""
    a = np.random.default_rng(3).standard_normal((3, 3))
    with pytest.raises(AutodiffError, match="stablehlo.abs reads a complex value") as info:
        tracer.grad(lambda a: np.abs(np.linalg.eigvals(a)).sum())(a)
    assert "lapack.geev" in str(info.value) and "eigh" in str(info.value)
    with pytest.raises(AutodiffError, match="lapack.geev has no derivative rule"):
        tracer.jvp(lambda a: np.linalg.eigvals(a).real.sum(), (a,), (a,))
    # (a matrix held fixed is fine: only derivatives through eig are missing)
    grad = tracer.grad(lambda x, m: (x * np.abs(np.linalg.eigvals(m))).sum())(np.ones(3), a)
    np.testing.assert_allclose(np.sort(np.asarray(grad)), np.sort(np.abs(np.linalg.eigvals(a))), rtol=1e-12)
