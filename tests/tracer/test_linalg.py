"""np.linalg solve/inv/det/slogdet/cholesky/matrix_power and the norms, traced vs NumPy.

Inputs are well conditioned (a random matrix plus n * I), so float32 and float64 each meet a
tolerance of their own. Singular matrices are where tracing must differ: NumPy raises
LinAlgError, a traced function cannot look at the values, so det is 0 and solve/inv give
non-finite entries (as in JAX); those tests pin that documented behaviour.
"""

from __future__ import annotations

import numpy as np
import pytest

import tracer
from helpers import Case, check_cases, to_numpy

rng = np.random.default_rng(5)
TOLERANCE = {np.float32: dict(rtol=2e-4, atol=1e-5), np.float64: dict(rtol=1e-10, atol=1e-12)}


def matrices(*shape, dtype=np.float64):
    n = shape[-1]
    return (rng.standard_normal(shape) + n * np.eye(n)).astype(dtype)


def spd(*shape, dtype=np.float64):
    m = matrices(*shape, dtype=np.float64)
    return (m @ np.swapaxes(m, -1, -2)).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_solve_inv_det_batched_and_edge_shapes(dtype):
    tol = TOLERANCE[dtype]
    a, batch = matrices(5, 5, dtype=dtype), matrices(2, 3, 4, 4, dtype=dtype)
    vector, rhs = rng.standard_normal(5).astype(dtype), rng.standard_normal((5, 2)).astype(dtype)
    cases = {
        "solve vector": Case(np.linalg.solve, (a, vector), **tol),
        "solve matrix": Case(np.linalg.solve, (a, rhs), **tol),
        "solve batched": Case(np.linalg.solve, (batch, rng.standard_normal((2, 3, 4, 3)).astype(dtype)), **tol),
        "solve batched, one vector for all": Case(np.linalg.solve, (batch, rng.standard_normal(4).astype(dtype)), **tol),
        "solve, b's batch broadcasts": Case(np.linalg.solve, (batch, rng.standard_normal((3, 4, 1)).astype(dtype)), **tol),
        "inv": Case(np.linalg.inv, (a,), **tol),
        "inv batched": Case(np.linalg.inv, (batch,), **tol),
        "det": Case(np.linalg.det, (a,), **tol),
        "det batched": Case(np.linalg.det, (batch,), **tol),
        "slogdet batched": Case(np.linalg.slogdet, (batch,), **tol),
        "pivoting needed": Case(lambda m: (np.linalg.det(m), np.linalg.inv(m)),
                                (np.array([[0, 2, 1], [1, 1, 0], [3, 0, 1]], dtype),), **tol),
        "negative det": Case(np.linalg.slogdet, (np.array([[0, 1], [1, 0]], dtype),), **tol),
        "0x0": Case(lambda m: (np.linalg.det(m), np.linalg.inv(m), np.linalg.slogdet(m), np.linalg.solve(m, m)),
                    (np.zeros((0, 0), dtype),)),
        "1x1": Case(lambda m: (np.linalg.det(m), np.linalg.inv(m), np.linalg.solve(m, m[0])),
                    (np.array([[-2.5]], dtype),), **tol),
        "empty batch": Case(lambda m: (np.linalg.det(m), np.linalg.inv(m)), (np.zeros((0, 3, 3), dtype),)),
        "cholesky": Case(np.linalg.cholesky, (spd(3, 4, 4, dtype=dtype),), **tol),
        "cholesky upper": Case(lambda m: np.linalg.cholesky(m, upper=True), (spd(4, 4, dtype=dtype),), **tol),
        "cholesky 0x0": Case(np.linalg.cholesky, (np.zeros((0, 0), dtype),)),
        **{f"matrix_power {n}": Case(lambda m, n=n: np.linalg.matrix_power(m, n), (batch,), **tol) for n in (-3, -1, 0, 1, 2, 5)},
    }
    check_cases(cases)


def test_integer_and_bool_matrices_compute_in_float64():
    ints = np.array([[2, 1], [1, 3]], np.int8)
    check_cases({
        "det int8": Case(np.linalg.det, (ints,), rtol=1e-12),
        "inv int8": Case(np.linalg.inv, (ints,), rtol=1e-12),
        "solve int, float32": Case(np.linalg.solve, (ints, np.ones(2, np.float32)), rtol=1e-12),
        "det bool": Case(np.linalg.det, (np.eye(3, dtype=bool),)),
        "matrix_power int stays int": Case(lambda m: np.linalg.matrix_power(m, 3), (ints,)),
        "matrix_power int, negative": Case(lambda m: np.linalg.matrix_power(m, -2), (ints,), rtol=1e-12),
        "matrix_power bool": Case(lambda m: np.linalg.matrix_power(m, 2), (np.array([[True, False], [True, True]]),)),
        "float16 refused": Case(np.linalg.inv, (np.eye(2, dtype=np.float16),)),
    })


SOLVER_ERRORS = {
    "inv of a vector": (np.linalg.inv, (np.ones(3),), "at least two-dimensional"),
    "inv of a non-square matrix": (np.linalg.inv, (np.ones((2, 3)),), "must be square"),
    "det of a non-square stack": (np.linalg.det, (np.ones((4, 2, 3)),), "must be square"),
    "cholesky of a non-square matrix": (np.linalg.cholesky, (np.ones((3, 2)),), "must be square"),
    "solve with a short vector": (np.linalg.solve, (np.eye(3), np.ones(2)), "length must be 3"),
    "solve with mismatched rows": (np.linalg.solve, (np.eye(3), np.ones((2, 2))), "second-to-last dimension must be 3"),
    "solve with unbroadcastable batches": (np.linalg.solve, (np.ones((2, 3, 3)) + np.eye(3), np.ones((4, 3, 1))), "could not be broadcast"),
    "matrix_power of a non-integer": (lambda m: np.linalg.matrix_power(m, 1.5), (np.eye(2),), "exponent must be an integer"),
}


@pytest.mark.parametrize("case", SOLVER_ERRORS, ids=str)
def test_solver_errors_match_numpy_and_say_why(case):
    fn, args, message = SOLVER_ERRORS[case]
    with pytest.raises((ValueError, TypeError)) as numpy_error:
        fn(*args)
    kind = ValueError if isinstance(numpy_error.value, ValueError) else TypeError  # (LinAlgError is a ValueError)
    with pytest.raises(kind, match=message):
        tracer.jit(fn)(*args)


def test_singular_matrices_give_zero_det_and_non_finite_solutions():
    """NumPy raises LinAlgError here; traced code cannot branch on the values, so (as in JAX)
    det is exactly 0, slogdet is (0, -inf) and solve/inv return inf or nan entries."""
    singular = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [0.0, 1.0, 5.0]])
    with pytest.raises(np.linalg.LinAlgError):
        np.linalg.inv(singular)
    det, (sign, logdet), inverse, solution = to_numpy(tracer.jit(
        lambda m: (np.linalg.det(m), np.linalg.slogdet(m), np.linalg.inv(m), np.linalg.solve(m, np.ones(3))))(singular))
    assert det == 0.0 and sign == 0.0 and logdet == -np.inf
    assert not np.isfinite(inverse).all() and not np.isfinite(solution).all()
    assert np.linalg.det(singular) == pytest.approx(0.0, abs=1e-12)  # NumPy agrees on det


def test_cholesky_of_an_indefinite_matrix_is_nan():
    indefinite = np.array([[1.0, 2.0], [2.0, 1.0]])
    with pytest.raises(np.linalg.LinAlgError):
        np.linalg.cholesky(indefinite)
    assert np.isnan(np.asarray(tracer.jit(np.linalg.cholesky)(indefinite))).any()


def test_norms():
    x, stack = rng.standard_normal((3, 4)), rng.standard_normal((2, 3, 4))
    v = np.array([3.0, -4.0, 0.0, 1.0])
    tol = dict(rtol=1e-12)
    cases = {f"vector ord={o}": Case(lambda a, o=o: np.linalg.norm(a, o), (v,), **tol)
             for o in (None, 0, 1, 2, 3, 0.5, -1, np.inf, -np.inf)}
    cases |= {f"matrix ord={o}": Case(lambda a, o=o: np.linalg.norm(a, o), (x,), **tol)
              for o in (None, "fro", 1, -1, np.inf, -np.inf)}
    cases |= {f"stack axes (2, 0) ord={o}": Case(lambda a, o=o: np.linalg.norm(a, o, axis=(2, 0), keepdims=True), (stack,), **tol)
              for o in ("fro", 1, -1, np.inf, -np.inf)}
    cases |= {
        "3-d, no ord": Case(np.linalg.norm, (stack,), **tol),
        "3-d, no ord, keepdims": Case(lambda a: np.linalg.norm(a, keepdims=True), (stack,), **tol),
        "axis=1": Case(lambda a: np.linalg.norm(a, axis=1), (stack,), **tol),
        "int8 is float64": Case(lambda a: np.linalg.norm(a, 1), (np.array([1, -2, 3], np.int8),), **tol),
        "float32 stays float32": Case(np.linalg.norm, (x.astype(np.float32),), rtol=1e-6),
        "3-d with ord refused": Case(lambda a: np.linalg.norm(a, 1), (stack,)),
        "'fro' on a vector refused": Case(lambda a: np.linalg.norm(a, "fro"), (v,)),
        "matrix ord=3 refused": Case(lambda a: np.linalg.norm(a, 3), (x,)),
        "duplicate axes refused": Case(lambda a: np.linalg.norm(a, axis=(1, 1)), (x,)),
        "vector_norm": Case(lambda a: np.linalg.vector_norm(a, ord=3, axis=(0, 2), keepdims=True), (stack,), **tol),
        "vector_norm all": Case(lambda a: np.linalg.vector_norm(a, ord=np.inf), (stack,), **tol),
        "matrix_norm": Case(lambda a: np.linalg.matrix_norm(a, ord=1), (stack,), **tol),
        "matrix_norm of a vector refused": Case(np.linalg.matrix_norm, (v,)),
    }
    check_cases(cases)


@pytest.mark.parametrize("ord", [2, -2, "nuc"])
def test_norms_that_need_an_svd_say_so(ord):
    with pytest.raises(NotImplementedError, match="singular values") as info:
        tracer.jit(lambda a: np.linalg.norm(a, ord))(np.eye(3))
    assert "ord='fro'" in str(info.value)
