"""np.linalg solve/inv/det/slogdet/cholesky/matrix_power and the norms, traced vs NumPy.

Inputs are well conditioned (a random matrix plus n * I), so float32 and float64 each meet a
tolerance of their own. Singular matrices are where tracing must differ: NumPy raises
LinAlgError, a traced function cannot look at the values, so det is 0 and solve/inv give
non-finite entries (as in JAX); those tests pin that documented behaviour.
"""

from __future__ import annotations

import numpy as np
import pytest

import runtime
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
        "pivoting, 12x12 (the row swaps as a loop)": Case(
            lambda m: (np.linalg.det(m), np.linalg.solve(m, m[..., 0])),
            (rng.standard_normal((2, 12, 12)).astype(dtype),), rtol=100 * tol["rtol"], atol=100 * tol["atol"]),
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
        # (NumPy returns an empty pinv in the input's own dtype: fuzz seed 2020, program 7651)
        "pinv of an empty bool matrix stays bool": Case(lambda m: np.linalg.pinv(m, m), (np.zeros((0, 3), bool),)),
        "pinv of an empty int stack stays int": Case(np.linalg.pinv, (np.zeros((2, 3, 0), np.int32),)),
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


@pytest.mark.parametrize("axis", [None, 0, (0, 1)], ids=["flat", "vector", "matrix"])
def test_a_traced_norm_order_is_refused_naming_the_line(axis):
    # Which norm to compute decides the program (fuzz seed 2525, program 5227: ord=<traced array> was an
    # internal "unhashable type: TracedArray"); NumPy computes it from the value, so one given as a number
    # must give NumPy's answer.
    x = np.arange(6.0).reshape(2, 3)

    def f(x, order):
        return np.linalg.norm(x, order, axis)  # traced-ord

    with pytest.raises(tracer.ConcretizationError, match="order is a traced value") as error:
        tracer.jit(f)(x, np.float64(1.0))
    assert "test_linalg.py" in error.value.where
    np.testing.assert_allclose(np.asarray(tracer.jit(f, static_argnums=1)(x, 1.0)), np.linalg.norm(x, 1.0, axis))


def test_a_traced_condition_number_order_is_refused_before_the_shape_is_read():
    # NumPy reads p first (fuzz seed 2525, program 9776: a 1-D x with a traced p gave our shape error)
    with pytest.raises(tracer.ConcretizationError, match="order is a traced value"):
        tracer.jit(np.linalg.cond)(np.array([10.0]), np.array([-19.0]))


@pytest.mark.parametrize("ord", [2, -2, "nuc"])
def test_norms_from_singular_values(ord):
    x = rng.standard_normal((2, 3, 4))
    check_cases({"one matrix": Case(lambda a: np.linalg.norm(a, ord), (x[0],), rtol=1e-12),
                 "keepdims": Case(lambda a: np.linalg.norm(a, ord, axis=(2, 1), keepdims=True), (x,), rtol=1e-12)})


@pytest.mark.parametrize("ord", [2, -2, "nuc"])
def test_norms_that_need_an_svd_say_so_without_lapack(monkeypatch, ord):
    from tracer.numpy_api import linalg_lapack

    monkeypatch.setattr(linalg_lapack, "available", lambda x: False)
    with pytest.raises(NotImplementedError, match="singular values") as info:
        tracer.jit(lambda a: np.linalg.norm(a, ord))(np.eye(3))
    assert "ord='fro'" in str(info.value)


# -- LAPACK on CPU, the StableHLO fallback elsewhere ----------------------------------------------------------

def _custom_call_targets(fn, *args) -> list[str]:
    text = str(tracer.jit(fn).lower(*args))
    return sorted(set(part.split("(")[0] for part in text.split("stablehlo.custom_call @")[1:]))


@pytest.mark.parametrize("dtype, prefix", [(np.float32, "s"), (np.float64, "d")])
def test_cpu_lowers_to_jaxlibs_lapack_targets(dtype, prefix):
    """The targets JAX emits for the same computations, as typed-FFI calls in column-major layout."""
    a, s = matrices(2, 3, 3, dtype=dtype), spd(3, 3, dtype=dtype)
    expected = {
        np.linalg.solve: ["getrf", "trsm"], np.linalg.inv: ["getrf", "trsm"], np.linalg.det: ["getrf"],
        np.linalg.cholesky: ["potrf"], np.linalg.eigh: ["syevd"], np.linalg.svd: ["gesdd"],
        np.linalg.qr: ["geqrf", "orgqr"], np.linalg.pinv: ["gesdd"], np.linalg.eig: ["geev"],
    }
    for fn, kernels in expected.items():
        args = (a, a) if fn is np.linalg.solve else ((s,) if fn in (np.linalg.cholesky, np.linalg.eigh) else (a,))
        assert _custom_call_targets(fn, *args) == [f"lapack_{prefix}{k}_ffi" for k in kernels], fn.__name__
    text = str(tracer.jit(np.linalg.cholesky).lower(s))
    assert "api_version = 4" in text and "backend_config = {uplo = 76 : ui8}" in text
    assert "operand_layouts = [dense<[0, 1]> : tensor<2xindex>]" in text  # column-major
    # JAX's batch annotations: the dims XLA's partitioners may split (the kernels take the batch from the shape)
    assert 'mhlo.frontend_attributes = {num_batch_dims = "0"}' in text
    assert "sdy.sharding_rule = #sdy.op_sharding_rule<([i, j])->([k, l], []) {i=3, j=3, k=3, l=3}, custom>" in text
    batched = str(tracer.jit(np.linalg.solve).lower(a, a))
    assert 'num_batch_dims = "1"' in batched and 'num_batch_dims = "0"' not in batched
    assert "#sdy.op_sharding_rule<([i, j, k])->([i, l, m], [i, n], [i]) {i=2, j=3, k=3, l=3, m=3, n=3}, custom>" in batched


def test_the_platform_compiled_for_chooses_the_lowering():
    """jit(device=...) traces for that device's platform: LAPACK calls for a CPU, StableHLO for a GPU (only
    traced here: the module is not compiled)."""
    import types

    a = matrices(3, 3)
    solve = lambda a, b: np.linalg.solve(a, b)
    cpu = str(tracer.jit(solve, device=runtime.devices("cpu")[0]).lower(a, a[0]))
    gpu = str(tracer.jit(solve, device=types.SimpleNamespace(platform="gpu")).lower(a, a[0]))
    assert "lapack_dgetrf_ffi" in cpu and "lapack_dtrsm_ffi" in cpu and "stablehlo.triangular_solve" not in cpu
    assert "custom_call" not in gpu and "stablehlo.while" in gpu and "stablehlo.triangular_solve" in gpu
    with pytest.raises(NotImplementedError, match="CPU"):
        tracer.jit(np.linalg.eigh, device=types.SimpleNamespace(platform="gpu")).lower(a)


@pytest.fixture
def without_lapack(monkeypatch):
    """Trace as for a platform without LAPACK targets (GPU, TPU): the StableHLO lowerings."""
    from tracer.numpy_api import linalg_lapack

    monkeypatch.setattr(linalg_lapack, "available", lambda x: False)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_stablehlo_fallback_matches_numpy(without_lapack, dtype):
    tol = TOLERANCE[dtype]
    a, batch = matrices(5, 5, dtype=dtype), matrices(2, 3, 4, 4, dtype=dtype)
    fn = lambda a, b: (np.linalg.solve(a, b), np.linalg.inv(a), np.linalg.det(a), np.linalg.slogdet(a),
                       np.linalg.cholesky(a @ np.swapaxes(a, -1, -2)))
    assert _custom_call_targets(fn, batch, batch) == []
    check_cases({"one matrix": Case(fn, (a, a[:, :2]), **tol), "batched": Case(fn, (batch, batch), **tol)})


@pytest.mark.parametrize("fn", [np.linalg.eigh, np.linalg.svd, np.linalg.qr, np.linalg.pinv,
                                lambda a: np.linalg.norm(a, 2)], ids=["eigh", "svd", "qr", "pinv", "norm-2"])
def test_decompositions_without_lapack_say_they_need_the_cpu(without_lapack, fn):
    with pytest.raises(NotImplementedError, match="CPU"):
        tracer.jit(fn)(np.eye(3))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_decompositions_batched(dtype):
    tol = TOLERANCE[dtype]
    s, r = spd(2, 3, 4, 4, dtype=dtype), rng.standard_normal((2, 5, 3)).astype(dtype)
    check_cases({
        "eigvalsh": Case(np.linalg.eigvalsh, (s,), **tol),
        "eigh upper, reconstructed": Case(lambda m: (lambda w, v: v @ (w[..., None] * np.swapaxes(v, -1, -2)))(
            *np.linalg.eigh(m, UPLO="U")), (s,), **tol),
        "svdvals": Case(np.linalg.svdvals, (r,), **tol),
        "svd, reduced, reconstructed": Case(lambda m: (lambda u, sv, vh: (u * sv[..., None, :]) @ vh)(
            *np.linalg.svd(m, full_matrices=False)), (r,), **tol),
        "qr reconstructed": Case(lambda m: (lambda q, rr: q @ rr)(*np.linalg.qr(m)), (r,), **tol),
        "qr raw": Case(lambda m: np.abs(np.linalg.qr(m[0], mode="raw")[0]), (r,), **tol),
        "pinv": Case(np.linalg.pinv, (r,), **tol),
        "pinv rtol=None": Case(lambda m: np.linalg.pinv(m, rtol=None), (r,), **tol),
        "matrix_rank": Case(np.linalg.matrix_rank, (r,)),
        "matrix_rank tol": Case(lambda m: np.linalg.matrix_rank(m, tol=0.5), (r,)),
        "matrix_rank of vectors": Case(np.linalg.matrix_rank, (np.zeros(3, dtype),)),
        "cond": Case(np.linalg.cond, (s,), **tol),
        "cond fro": Case(lambda m: np.linalg.cond(m, "fro"), (s,), **tol),
        "norm 2 of a stack": Case(lambda m: np.linalg.norm(m, 2, axis=(0, 2)), (r,), **tol),
        "norm nuc": Case(lambda m: np.linalg.norm(m[0], "nuc"), (r,), **tol),
        "lstsq rcond=-1": Case(lambda m, b: np.linalg.lstsq(m, b, rcond=-1), (r[0], r[1, :, 0]), **tol),
        "empty: eigh, svd, qr": Case(lambda m: (np.linalg.eigh(m), np.linalg.svd(m), np.linalg.qr(m, "complete")),
                                     (np.zeros((0, 0), dtype),)),
        "empty: 3x0 svd and qr": Case(lambda m: (np.linalg.svd(m), np.linalg.qr(m, "complete")),
                                      (np.zeros((3, 0), dtype),)),
    })


DECOMPOSITION_ERRORS = {
    "eigh of a vector": (np.linalg.eigh, (np.ones(3),), "at least two-dimensional"),
    "eigvalsh of a non-square matrix": (np.linalg.eigvalsh, (np.ones((2, 3)),), "must be square"),
    "eigh with a bad UPLO": (lambda m: np.linalg.eigh(m, UPLO="X"), (np.eye(2),), "UPLO"),
    "svd of a vector": (np.linalg.svd, (np.ones(3),), "at least two-dimensional"),
    "qr with a bad mode": (lambda m: np.linalg.qr(m, mode="bogus"), (np.eye(2),), "Unrecognized mode"),
    # (a traced array as the mode: NumPy's ValueError, not "unhashable": fuzz seed 2020, program 8831)
    "qr with an array as mode": (lambda m: np.linalg.qr(m, m), (np.array([-6.15], np.float32),), "Unrecognized mode"),
    "qr with a number as mode": (lambda m: np.linalg.qr(m, 3), (np.eye(2),), "Unrecognized mode '3'"),
    "lstsq with rows that differ": (np.linalg.lstsq, (np.ones((3, 2)), np.ones(4)), "Incompatible dimensions"),
    "lstsq of a stack": (np.linalg.lstsq, (np.ones((2, 3, 2)), np.ones((2, 3))), "two-dimensional"),
    "pinv with rcond and rtol": (lambda m: np.linalg.pinv(m, rcond=0.1, rtol=0.1), (np.eye(2),), "both set"),
    "matrix_rank with tol and rtol": (lambda m: np.linalg.matrix_rank(m, tol=0.1, rtol=0.1), (np.eye(2),), "both set"),
    "cond p=1 of a non-square matrix": (lambda m: np.linalg.cond(m, 1), (np.ones((2, 3)),), "must be square"),
}


@pytest.mark.parametrize("case", DECOMPOSITION_ERRORS, ids=str)
def test_decomposition_errors_match_numpy_and_say_why(case):
    fn, args, message = DECOMPOSITION_ERRORS[case]
    with pytest.raises((ValueError, TypeError)):
        fn(*args)
    with pytest.raises(ValueError, match=message):
        tracer.jit(fn)(*args)


def test_singular_and_failing_inputs_under_tracing():
    """What NumPy decides from the values (LinAlgError, an empty residual array) cannot be decided while
    tracing: cond of a singular matrix is inf or huge, lstsq's residuals keep their full-rank shape."""
    singular = np.array([[1.0, 2.0], [2.0, 4.0]])
    assert np.asarray(tracer.jit(np.linalg.cond)(singular)) > 1e15
    deficient = np.array([[1.0, 2.0], [2.0, 4.0], [3.0, 6.0]])
    _, numpy_residuals, numpy_rank, _ = np.linalg.lstsq(deficient, np.ones(3))
    x, residuals, rank, s = to_numpy(tracer.jit(np.linalg.lstsq)(deficient, np.ones(3)))
    assert numpy_residuals.shape == (0,) and residuals.shape == (1,)  # the documented difference
    assert rank == numpy_rank == 1
    np.testing.assert_allclose(x, np.linalg.lstsq(deficient, np.ones(3))[0], rtol=1e-10)
    nan = np.full((2, 2), np.nan)
    assert np.isnan(np.asarray(tracer.jit(np.linalg.eigvalsh)(nan))).all()
