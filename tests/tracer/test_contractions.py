"""einsum, tensordot, vdot, inner, outer, kron, diagonals, cross, convolve/correlate traced vs NumPy.

The function table (tables/linalg.py) draws inputs for each; these tests pin the cases a random
draw may miss: many einsum subscripts, ellipsis broadcasting, empty and 0-d operands, and the
error paths, whose messages must say what went wrong.
"""

from __future__ import annotations

import ml_dtypes
import numpy as np
import pytest

import tracer
from helpers import Case, check_cases

rng = np.random.default_rng(3)


def normal(*shape, dtype=np.float64):
    return rng.standard_normal(shape).astype(dtype)


# Each row: subscripts and operand shapes. Sizes differ per label so a wrong axis order shows.
EINSUM_CASES = {
    "ij,jk->ik": [(2, 3), (3, 4)],
    "ij,jk": [(2, 3), (3, 4)],
    "ij,kj->ik": [(2, 3), (4, 3)],
    "ij->ji": [(2, 3)],
    "ij": [(2, 3)],
    "ji": [(2, 3)],  # implicit output is alphabetical: a transpose
    "ii->i": [(3, 3)],
    "ii": [(3, 3)],
    "iij->ji": [(3, 3, 2)],
    "iii->i": [(2, 2, 2)],
    "ij->": [(2, 3)],
    "ijk->j": [(2, 3, 4)],
    "i,i": [(4,), (4,)],
    "i,i->i": [(4,), (4,)],
    "i,j->ij": [(2,), (3,)],
    "i,j": [(2,), (3,)],
    "bij,bjk->bik": [(2, 3, 4), (2, 4, 5)],
    "bij,bjk->kib": [(2, 3, 4), (2, 4, 5)],
    "ij,jk,kl->il": [(2, 3), (3, 4), (4, 5)],
    "ij,jk,kl": [(2, 3), (3, 4), (4, 5)],
    "i,ij,j->": [(2,), (2, 3), (3,)],
    "ab,cd->abcd": [(2, 3), (4, 5)],
    "abc,cba->": [(2, 3, 4), (4, 3, 2)],
    "ij,ij->ij": [(1, 3), (2, 3)],  # a size-1 axis broadcasts
    "Ab,bA->A": [(2, 3), (3, 2)],
    "Ba,aC": [(2, 3), (3, 4)],  # upper case sorts first in the implicit output
    "...ij,...jk->...ik": [(5, 2, 3), (1, 3, 4)],
    "...ij,...jk": [(2, 3), (5, 3, 4)],
    "...j,j->...": [(2, 5, 3), (3,)],
    "i...->...": [(2, 3, 4)],
    "...i,...i": [(3,), (2, 3)],
    "...": [(2, 3)],
    "i...i->...": [(3, 2, 3)],
    "ij,jk->ik (empty k)": [(2, 3), (3, 0)],
    "ij,jk->ik (empty j)": [(2, 0), (0, 4)],
    ",->": [(), ()],
    ",i->i": [(), (3,)],
    "i,i,i->": [(3,), (3,), (3,)],
    "ij,jk,ki->": [(2, 3), (3, 4), (4, 2)],
}


def _einsum_case(name, shapes, dtype=np.float64):
    subscripts = name.split(" ")[0]
    return Case(lambda *xs: np.einsum(subscripts, *xs), tuple(normal(*s, dtype=dtype) for s in shapes), rtol=1e-12)


def test_einsum_subscripts_match_numpy():
    check_cases({name: _einsum_case(name, shapes) for name, shapes in EINSUM_CASES.items()})


@pytest.mark.parametrize("dtype", [np.bool_, np.int8, np.uint8, np.int64, np.float32])
def test_einsum_dtypes(dtype):
    """bools contract as or-of-ands, int8 wraps as NumPy's loop does, float32 stays float32."""
    values = lambda *s: rng.integers(-100, 100, s).astype(dtype)  # noqa: E731
    check_cases({
        "matmul": Case(lambda a, b: np.einsum("ij,jk->ik", a, b), (values(3, 4), values(4, 2)), rtol=1e-5),
        "sum": Case(lambda a: np.einsum("ij->i", a), (values(3, 4),), rtol=1e-5),
        "trace": Case(lambda a: np.einsum("ii", a), (values(3, 3),), rtol=1e-5),
    })


def test_einsum_keywords():
    a, b = rng.integers(-5, 5, (2, 3)).astype(np.int32), normal(3, 2, dtype=np.float32)
    check_cases({
        "dtype=float64": Case(lambda x, y: np.einsum("ij,jk", x, y, dtype=np.float64), (a, b), rtol=1e-6),
        "dtype=int8 unsafe": Case(lambda x: np.einsum("ij->j", x, dtype=np.int8, casting="unsafe"), (a,)),
        "dtype=int8 refused by 'safe'": Case(lambda x: np.einsum("ij->j", x, dtype=np.int8), (a,)),
        "optimize ignored": Case(lambda x, y: np.einsum("ij,jk->ik", x, y, optimize="greedy"), (a, b), rtol=1e-6),
        "sublist form": Case(lambda x, y: np.einsum(x, [0, 1], y, [1, 2], [2, 0]), (a, b), rtol=1e-6),
        "sublist with ellipsis": Case(lambda x: np.einsum(x, [Ellipsis, 0], [0, Ellipsis]), (a,)),
    })


EINSUM_ERRORS = {
    "more operands than terms": ("ij->i", [(2, 3), (2, 3)], "operand"),
    "fewer operands than terms": ("ij,jk->ik", [(2, 3)], "operand"),
    "too many subscripts": ("ijk->i", [(2, 3)], "too many subscripts"),
    "too few subscripts": ("i->i", [(2, 3)], "too few subscripts"),
    "sizes disagree": ("ij,jk->ik", [(2, 3), (4, 5)], "subscript 'j' has size 3 in one operand and 4"),
    "repeated label, unequal axes": ("ii->i", [(2, 3)], "subscript 'i' has size 2"),
    "repeated label, size 1 does not broadcast": ("ii->i", [(1, 3)], "collapsing index 'i'"),
    "output label never in the input": ("ij->ik", [(2, 3)], "output subscript 'k' which never appeared"),
    "output label twice": ("ij->ii", [(2, 3)], "output subscript 'i' multiple times"),
    "not a letter": ("i1,j->ij", [(2,), (3,)], "invalid subscript '1'"),
    "two arrows": ("i->i->i", [(2,)], "'->'"),
    "a lone dot": ("i.->i", [(2, 3)], "'.'"),
}


@pytest.mark.parametrize("case", EINSUM_ERRORS, ids=str)
def test_einsum_errors_say_what_is_wrong(case):
    subscripts, shapes, message = EINSUM_ERRORS[case]
    operands = [normal(*s) for s in shapes]
    with pytest.raises(ValueError):
        np.einsum(subscripts, *operands)  # NumPy refuses it too
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        tracer.jit(lambda *xs: np.einsum(subscripts, *xs))(*operands)


def test_tensordot_vdot_inner_outer_kron():
    a, b, c = normal(2, 3, 4), normal(3, 4, 5), normal(4)
    check_cases({
        "tensordot axes=2": Case(lambda x, y: np.tensordot(x, y), (a, b), rtol=1e-12),
        "tensordot axes=0": Case(lambda x, y: np.tensordot(x, y, 0), (normal(2), normal(3)), rtol=1e-12),
        "tensordot pairs": Case(lambda x, y: np.tensordot(x, y, axes=([2, 1], [1, 0])), (a, b), rtol=1e-12),
        "tensordot int pair": Case(lambda x, y: np.tensordot(x, y, axes=(2, 0)), (a, c), rtol=1e-12),
        "tensordot mismatch": Case(lambda x, y: np.tensordot(x, y, axes=([0], [0])), (a, b)),
        # More axes than an operand has: NumPy's IndexError; a negative count: no axes, an outer product (fuzz seed
        # 2525, program 5618: np.linalg.tensordot(x, True) with axes=2).
        "tensordot axes beyond a 0-d b": Case(lambda x: np.linalg.tensordot(x, True), (np.ones((1, 1), np.int64),)),
        "tensordot axes beyond a": Case(lambda x, y: np.tensordot(x, y, 2), (normal(3), normal(3, 3))),
        "tensordot negative axes": Case(lambda x, y: np.tensordot(x, y, -1), (normal(3, 3), normal(3, 2)), rtol=1e-12),
        "vdot": Case(np.vdot, (normal(2, 3), normal(3, 2)), rtol=1e-12),
        "vdot 0-d": Case(np.vdot, (np.float32(2.0), np.array([3.0], np.float32))),
        "vdot sizes differ": Case(np.vdot, (normal(3), normal(4))),
        "inner": Case(np.inner, (a, normal(5, 4)), rtol=1e-12),
        "inner 0-d": Case(np.inner, (np.array(2, np.int8), np.arange(3, dtype=np.int8))),
        "inner mismatch": Case(np.inner, (normal(2, 3), normal(4))),
        "outer": Case(np.outer, (normal(2, 2), normal(3)), rtol=1e-12),
        "outer bool": Case(np.outer, (np.array([True, False]), np.array([True, True, False]))),
        "linalg.outer 2-d refused": Case(np.linalg.outer, (normal(2, 2), normal(3))),
        "kron": Case(np.kron, (normal(2, 3), normal(3, 1, 2)), rtol=1e-12),
        "kron int": Case(np.kron, (np.arange(4, dtype=np.int8).reshape(2, 2), np.arange(3, dtype=np.int32))),
        "kron 0-d": Case(np.kron, (np.float64(2.0), normal(2, 2))),
        "kron empty": Case(np.kron, (normal(0, 2), normal(2, 3))),
    })


def test_diagonals():
    a = normal(3, 4, 2)
    cases = {f"diagonal offset={k}": Case(lambda x, k=k: np.diagonal(x, k, 0, 1), (a,)) for k in (-4, -1, 0, 1, 3, 5)}
    cases |= {
        "diagonal axes 2,0": Case(lambda x: np.diagonal(x, 1, 2, 0), (a,)),
        "diagonal same axes": Case(lambda x: np.diagonal(x, 0, 1, 1), (a,)),
        "diagonal of a vector": Case(np.diagonal, (normal(3),)),
        "diagonal keeps -0.0 and nan": Case(np.diagonal, (np.array([[-0.0, np.inf], [np.nan, np.nan]]),)),
        "trace": Case(np.trace, (a,), rtol=1e-12),
        "trace int8 is int64": Case(np.trace, (np.full((3, 3), 100, np.int8),)),
        "trace bool": Case(np.trace, (np.ones((3, 3), bool),)),
        "trace dtype": Case(lambda x: np.trace(x, dtype=np.float32), (np.arange(9).reshape(3, 3),)),
        "trace offset past the edge": Case(lambda x: np.trace(x, 7), (a,)),
        "linalg.trace": Case(lambda x: np.linalg.trace(x, offset=-1), (a,), rtol=1e-12),
        "linalg.diagonal": Case(lambda x: np.linalg.diagonal(x, offset=1), (a,)),
        "diag of 1-d": Case(lambda v: np.diag(v, 0), (normal(3),)),
        "diag k=2": Case(lambda v: np.diag(v, 2), (normal(3),)),
        "diag k=-1 bool": Case(lambda v: np.diag(v, -1), (np.array([True, False, True]),)),
        "diag of empty, k=2": Case(lambda v: np.diag(v, 2), (normal(0),)),
        "diag of 2-d": Case(lambda m: np.diag(m, -1), (normal(3, 4),)),
        "diag of 3-d": Case(np.diag, (a,)),
        "diagflat": Case(lambda m: np.diagflat(m, -2), (normal(2, 2),)),
        "diagflat 0-d": Case(np.diagflat, (np.float32(3.0),)),
    }
    check_cases(cases)


def test_cross():
    a3, b3, a2 = normal(4, 3), normal(3), normal(4, 2)
    check_cases({
        "3 x 3": Case(np.cross, (a3, b3), rtol=1e-12),
        "2 x 3": Case(np.cross, (a2, b3), rtol=1e-12),
        "3 x 2": Case(np.cross, (b3, a2), rtol=1e-12),
        "axisa/axisb/axisc": Case(lambda x, y: np.cross(x, y, axisa=0, axisb=-1, axisc=0), (a3.T.copy(), normal(2, 1, 3)), rtol=1e-12),
        "axis": Case(lambda x, y: np.cross(x, y, axis=0), (normal(3, 2), normal(3, 2)), rtol=1e-12),
        "int": Case(np.cross, (np.arange(6, dtype=np.int8).reshape(2, 3), np.array([1, -2, 3], np.int32))),
        "bool refused": Case(np.cross, (np.ones(3, bool), np.ones(3, bool))),
        "length 4 refused": Case(np.cross, (normal(4), normal(3))),
        "linalg.cross": Case(np.linalg.cross, (a3, b3), rtol=1e-12),
        "linalg.cross refuses 2-vectors": Case(np.linalg.cross, (a2, a2)),
        "linalg.cross of a 0-d operand: IndexError": Case(lambda x: np.linalg.cross(x, 5), (a3,)),
    })


def test_cross_of_2_vectors_is_the_z_component():
    """Deprecated in NumPy 2.0 but still computed: a scalar per pair."""
    a, b = normal(5, 2), normal(5, 2)
    with pytest.warns(DeprecationWarning):
        expected = np.cross(a, b)
    np.testing.assert_allclose(np.asarray(tracer.jit(np.cross)(a, b)), expected, rtol=1e-12)


def test_convolve_and_correlate_every_mode_and_length_order():
    cases = {}
    for la, lv in [(5, 3), (3, 5), (4, 4), (1, 3), (6, 1), (4, 2), (2, 4)]:
        a, v = normal(la), normal(lv)
        for mode in ("full", "same", "valid"):
            cases[f"convolve {la},{lv} {mode}"] = Case(lambda x, y, m=mode: np.convolve(x, y, m), (a, v), rtol=1e-12, atol=1e-14)
            cases[f"correlate {la},{lv} {mode}"] = Case(lambda x, y, m=mode: np.correlate(x, y, m), (a, v), rtol=1e-12, atol=1e-14)
    cases["defaults"] = Case(lambda x, y: (np.convolve(x, y), np.correlate(x, y)), (normal(5), normal(2)), rtol=1e-12)
    # np.convolve makes 0-d operands 1-d; np.correlate refuses them ("too small depth")
    cases["convolve 0-d"] = Case(lambda x, y: (np.convolve(x, y), np.convolve(x, y[None])), (np.uint64(4), np.float64(-4.81)))
    cases["correlate 0-d"] = Case(np.correlate, (np.float64(4.0), normal(2)))
    cases["int"] = Case(np.convolve, (np.arange(5, dtype=np.int8), np.array([1, -1, 2], np.int32)))
    cases["empty refused"] = Case(np.convolve, (normal(0), normal(3)))
    cases["bad mode refused"] = Case(lambda x, y: np.correlate(x, y, "middle"), (normal(3), normal(2)))
    check_cases(cases)


def test_linalg_array_api_twins():
    a, b = normal(2, 3, 4), normal(4, 5)
    check_cases({
        "linalg.matmul": Case(np.linalg.matmul, (a, b), rtol=1e-12),
        "linalg.matmul 1-d": Case(np.linalg.matmul, (normal(4), b), rtol=1e-12),
        "linalg.tensordot": Case(lambda x, y: np.linalg.tensordot(x, y, axes=1), (a, b), rtol=1e-12),
        "vecdot": Case(np.vecdot, (a, normal(3, 4)), rtol=1e-12),
        "linalg.vecdot axis": Case(lambda x, y: np.linalg.vecdot(x, y, axis=1), (a, normal(2, 3, 1)), rtol=1e-12),
        "linalg.vecdot mismatch": Case(np.linalg.vecdot, (a, normal(3))),
        # linalg.vecdot is the np.vecdot gufunc: its loop's dtype (float32 for bfloat16 under ml_dtypes), empty too
        "linalg.vecdot bfloat16": Case(lambda x, y: (np.linalg.vecdot(x, y), np.linalg.vecdot(x[:, :0], y[:0])),
                                       (np.ones((2, 3), ml_dtypes.bfloat16), np.full(3, 0.5, ml_dtypes.bfloat16))),
        "matrix_transpose": Case(np.matrix_transpose, (a,)),
        "linalg.matrix_transpose": Case(np.linalg.matrix_transpose, (a,)),
        "matrix_transpose 1-d refused": Case(np.matrix_transpose, (normal(3),)),
        "multi_dot": Case(lambda x, y, z, w: np.linalg.multi_dot([x, y, z, w]), (normal(3), normal(3, 4), b, normal(5, 2)), rtol=1e-12),
        "multi_dot two": Case(lambda x, y: np.linalg.multi_dot([x, y]), (normal(2, 4), b), rtol=1e-12),
        # two arrays are np.dot's, whatever their dims: an array of two numbers is their product
        "multi_dot two, any dims": Case(lambda x, y: (np.linalg.multi_dot(x), np.linalg.multi_dot([x, y])),
                                        (np.array([-14, -14]), normal(2, 3, 4)), rtol=1e-12),
        "multi_dot 1-d in the middle refused": Case(lambda x, y, z: np.linalg.multi_dot([x, y, z]), (normal(3, 4), normal(4), normal(4, 2))),
    })


def test_unsupported_linalg_functions_are_named():
    # (svd, eig, eigh, qr, lstsq, pinv trace on CPU through LAPACK)
    calls = {"tensorinv": np.linalg.tensorinv, "tensorsolve": lambda a: np.linalg.tensorsolve(a, a)}
    for name, call in calls.items():
        with pytest.raises(NotImplementedError, match=rf"numpy\.linalg\.{name} is not supported under tracing"):
            tracer.jit(call)(np.eye(2))
