"""Shape functions, astype, matmul/dot, where, clip and the *_like constructors, traced vs NumPy eager."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import tracer
from helpers import ALL_DTYPES, RTOL, Case, check_cases, exact_values, xla_settings


def _small_values(dtype):
    """Values every dtype holds exactly: halves in [-3, 3] for floats, small ints, bools."""
    return exact_values(dtype, uint_max=6, int_bound=3, float_bound=3)


def arrays(draw, shape, dtype=None):
    dtype = draw(st.sampled_from(ALL_DTYPES)) if dtype is None else np.dtype(dtype)
    return draw(hnp.arrays(dtype, shape, elements=_small_values(dtype)))


# -- reshape, transpose, swapaxes, broadcast_to, squeeze, expand_dims, ravel ---------------------

def _prime_factors(n):
    factors, p = [], 2
    while n > 1:
        while n % p == 0:
            factors.append(p)
            n //= p
        p += 1
    return factors


@st.composite
def reshape_targets(draw, shape):
    """A shape of the same size (its factors dealt out to a drawn rank), sometimes with one -1."""
    size = int(np.prod(shape))
    rank = draw(st.integers(0 if size == 1 else 1, 4))
    dims = [1] * rank
    if size == 0:
        dims = [draw(st.integers(0, 3)) for _ in range(rank)]
        dims[draw(st.integers(0, rank - 1))] = 0
    else:
        for factor in _prime_factors(size):
            dims[draw(st.integers(0, rank - 1))] *= factor
    if rank and draw(st.booleans()):
        dims[draw(st.integers(0, rank - 1))] = -1  # for size 0 NumPy refuses -1 (ambiguous): so must we
    return tuple(dims)


@st.composite
def shape_op_cases(draw):
    shape = draw(hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=4))
    x = arrays(draw, shape)
    ndim = x.ndim
    cases = {}
    target = draw(reshape_targets(shape))
    cases[f"np.reshape {target}"] = Case(lambda a: np.reshape(a, target), (x,))
    if target:  # x.reshape() without arguments is a TypeError in NumPy
        cases[f"x.reshape(*{target})"] = Case(lambda a: a.reshape(*target), (x,))
    cases["x.reshape(-1)"] = Case(lambda a: a.reshape(-1), (x,))
    cases["np.ravel"] = Case(np.ravel, (x,))
    cases["x.flatten"] = Case(lambda a: a.flatten(), (x,))
    cases["np.transpose"] = Case(np.transpose, (x,))
    cases["x.T"] = Case(lambda a: a.T, (x,))
    permutation = tuple(draw(st.permutations(range(ndim))))
    signed = tuple(p - ndim if draw(st.booleans()) else p for p in permutation)
    cases[f"np.transpose axes={signed}"] = Case(lambda a: np.transpose(a, signed), (x,))
    cases[f"x.transpose(*{permutation})"] = Case(lambda a: a.transpose(*permutation), (x,))
    if ndim:
        i, j = draw(st.integers(-ndim, ndim - 1)), draw(st.integers(-ndim, ndim - 1))
        cases[f"np.swapaxes {i} {j}"] = Case(lambda a: np.swapaxes(a, i, j), (x,))
        cases["x.mT" if ndim >= 2 else "x.mT (ndim < 2: error)"] = Case(lambda a: a.mT, (x,))
    # broadcast_to: new leading dims, and size-1 dims stretched
    lead = tuple(draw(st.lists(st.integers(0, 3), max_size=2)))
    stretched = tuple(draw(st.integers(0, 3)) if n == 1 else n for n in shape)
    cases[f"np.broadcast_to {lead + stretched}"] = Case(lambda a: np.broadcast_to(a, lead + stretched), (x,))
    bad = tuple(n + 1 for n in shape)
    if ndim and any(n != 1 for n in shape):
        cases[f"np.broadcast_to {bad} (error)"] = Case(lambda a: np.broadcast_to(a, bad), (x,))
    # squeeze: every size-1 axis, a drawn subset of them (maybe negative), or a wrong one
    cases["np.squeeze"] = Case(np.squeeze, (x,))
    ones = [d for d, n in enumerate(shape) if n == 1]
    subset = tuple(d - ndim if draw(st.booleans()) else d for d in draw(st.lists(st.sampled_from(ones), unique=True))) if ones else ()
    cases[f"np.squeeze axis={subset}"] = Case(lambda a: np.squeeze(a, axis=subset), (x,))
    if ndim:
        axis = draw(st.integers(-ndim, ndim - 1))
        cases[f"x.squeeze(axis={axis})"] = Case(lambda a: a.squeeze(axis=axis), (x,))
    # expand_dims: an int (maybe negative) or a tuple of distinct axes of the result
    new_ndim = ndim + 2
    axes = tuple(draw(st.lists(st.integers(-new_ndim, new_ndim - 1), min_size=2, max_size=2,
                               unique_by=lambda a: a % new_ndim)))
    cases[f"np.expand_dims {axes}"] = Case(lambda a: np.expand_dims(a, axes), (x,))
    single = draw(st.integers(-ndim - 1, ndim))
    cases[f"np.expand_dims {single}"] = Case(lambda a: np.expand_dims(a, single), (x,))
    cases["np.shape/ndim/size"] = Case(lambda a: np.zeros((np.ndim(a), np.size(a))) + np.array(np.shape(a)).sum(), (x,))
    return cases


@xla_settings(max_examples=30)
@given(shape_op_cases())
def test_shape_ops_match_numpy(cases):
    """One drawn array (rank 0-4, empty and size-1 axes included) through every shape function."""
    check_cases(cases)


@pytest.mark.parametrize("shape, target", [((2, 3), (4, 2)), ((2, 3), (-1, 4)), ((2, 3), (-1, -1)),
                                           ((0, 3), (-1, 0)), ((6,), (-2, -3))], ids=str)
def test_reshape_errors_like_numpy(shape, target):
    check_cases({"np.reshape": Case(lambda a: np.reshape(a, target), (np.zeros(shape, np.float32),))})


@pytest.mark.parametrize("axes", [(0, 0), (0,), (0, 1, 2), (0, 2)], ids=str)
def test_transpose_errors_like_numpy(axes):
    check_cases({"np.transpose": Case(lambda a: np.transpose(a, axes), (np.zeros((2, 3), np.float32),))})


# -- astype ----------------------------------------------------------------------------------------

def astype_sources(dtype):
    """Values of `dtype` whose conversion to `target` NumPy defines (no nan/inf/out-of-range floats to ints)."""
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return lambda target: np.array([True, False, True])
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        values = [v for v in (-129, -128, -1, 0, 1, 127, 128, 255, 256, 65535, 2**31 - 1, 2**31, 2**32 + 7, 2**40 + 3)
                  if info.min <= v <= info.max]
        return lambda target: np.array(values, dtype)
    finite = [-100.75, -2.7, -1.5, -0.5, -0.0, 0.0, 0.5, 1.5, 2.7, 100.9, 65519.0, 1e-3]

    def values(target):
        target = np.dtype(target)
        if target.kind == "u":
            return np.array([v for v in finite if 0 <= v < 256], dtype)  # truncation toward zero
        if target.kind == "i":
            return np.array([v for v in finite if -128 < v < 128], dtype)
        return np.array(finite + [np.inf, -np.inf, np.nan], dtype)

    return values


@pytest.mark.parametrize("source", ALL_DTYPES, ids=str)
def test_astype(source):
    """float -> int truncates toward zero, anything -> bool is `!= 0` (nan is True), ints wrap, f64 -> f16 rounds."""
    make = astype_sources(source)
    cases = {}
    for target in ALL_DTYPES:
        cases[f"x.astype({target})"] = Case(lambda a, t=target: a.astype(t), (make(target),), signed_zeros=True)
        cases[f"np.astype(x, {target})"] = Case(lambda a, t=target: np.astype(a, t), (make(target),), signed_zeros=True)
    check_cases(cases)


@pytest.mark.parametrize("target", [np.uint8, np.int8, np.uint16, np.int16, np.uint32, np.int32, np.uint64, np.int64],
                         ids=lambda t: np.dtype(t).name)
@pytest.mark.parametrize("source", [np.float16, np.float32, np.float64], ids=lambda t: np.dtype(t).name)
def test_float_to_integer_out_of_range_saturates(source, target):
    """README (differences): a float an integer type cannot hold saturates, nan gives 0 (XLA's convert, as in JAX).
    NumPy's answer there is the platform's (C leaves it undefined): the oracle is the clamp, not NumPy."""
    info = np.iinfo(target)
    with np.errstate(over="ignore"):
        x = np.array([-3.77, 300.0, -300.0, 70000.5, 2.0 ** 32, -2.0 ** 40, 1e30, -1e30, np.inf, -np.inf, np.nan,
                      float(np.finfo(source).max), 2.0 ** 63, 2.0 ** 64], source)
    wide = x.astype(np.float64)
    expected = [0 if np.isnan(v) else info.min if v <= info.min else info.max if v >= info.max else int(v) for v in wide]
    for optimize in (False, True):
        got = np.asarray(tracer.jit(lambda a: a.astype(target), optimize=optimize)(x))
        assert got.dtype == target and got.tolist() == expected, (optimize, got)


# -- matmul and dot ------------------------------------------------------------------------------

@st.composite
def matmul_operands(draw):
    """1-d or n-d operands with broadcast batch shapes, mixed dtypes, contracted size k (maybe 0)."""
    m, k, n = (draw(st.integers(0, 3)) for _ in range(3))
    batch = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=2, min_side=0, max_side=3))
    x_shape = (k,) if draw(st.integers(0, 3)) == 0 else batch.input_shapes[0] + (m, k)
    y_shape = (k,) if draw(st.integers(0, 3)) == 0 else batch.input_shapes[1] + (k, n)
    return arrays(draw, x_shape), arrays(draw, y_shape)


def _matmul_case(fn, x, y):
    dtype = np.result_type(x, y)
    # Inputs are halves in [-3, 3]: products and sums of <= 3 of them are exact, except in float16 sums.
    rtol = RTOL[dtype] if dtype.kind == "f" else None
    return Case(fn, (x, y), rtol=rtol, atol=rtol or 0.0)


@xla_settings(max_examples=30)
@given(st.lists(matmul_operands(), min_size=3, max_size=3))
def test_matmul_and_dot(operand_pairs):
    """np.matmul, @ and np.dot for 1-d, 2-d, batched and broadcast-batch operands of mixed dtypes."""
    cases = {}
    for i, (x, y) in enumerate(operand_pairs):
        cases[f"{i}: np.matmul"] = _matmul_case(np.matmul, x, y)
        cases[f"{i}: x @ y"] = _matmul_case(lambda a, b: a @ b, x, y)
        cases[f"{i}: np.dot"] = _matmul_case(np.dot, x, y)
        cases[f"{i}: x.dot(y)"] = _matmul_case(lambda a, b: a.dot(b), x, y)
    check_cases(cases)


@pytest.mark.parametrize("x_shape, y_shape", [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 2)), ((4, 2, 3), (3,)),
                                              ((3,), (4, 3, 2)), ((4, 2, 3), (3, 5)), ((2, 3), (4, 3, 5)),
                                              ((2, 1, 3), (4, 3, 2)), ((), (2, 3)), ((2, 3), ())], ids=str)
def test_dot_ranks(x_shape, y_shape):
    """np.dot: product for 0-d, inner for 1-d, matmul for 2-d, else sum over x's last and y's second-to-last axis."""
    x = (np.arange(np.prod(x_shape), dtype=np.float32) - 2).reshape(x_shape)  # 0-d arrays, not NumPy scalars
    y = (np.arange(np.prod(y_shape), dtype=np.int32) % 4 - 1).reshape(y_shape)
    check_cases({"np.dot": _matmul_case(np.dot, x, y), "x.dot(y)": _matmul_case(lambda a, b: a.dot(b), x, y),
                 "np.matmul": _matmul_case(np.matmul, x, y)})


def test_matmul_errors_like_numpy():
    a = np.ones((2, 3), np.float32)
    check_cases({
        "contracted sizes differ": Case(np.matmul, (a, np.ones((4, 2), np.float32))),
        "1-d sizes differ": Case(np.matmul, (np.ones(3, np.float32), np.ones(4, np.float32))),
        "0-d operand": Case(np.matmul, (np.float32(2.0), a)),
        "batch shapes do not broadcast": Case(np.matmul, (np.ones((2, 2, 3)), np.ones((3, 3, 2)))),
        "dot sizes differ": Case(np.dot, (np.ones((2, 3, 4)), np.ones((5, 3, 2)))),
        "dot with 0-d": Case(np.dot, (np.float32(2.0), a)),
    })


@pytest.mark.parametrize("x_dtype, y_dtype", [(np.bool_, np.bool_), (np.int8, np.int8), (np.uint8, np.int8),
                                              (np.int32, np.float32), (np.float16, np.float16), (np.bool_, np.float64)],
                         ids=str)
def test_matmul_dtypes(x_dtype, y_dtype):
    """Bool matmul is or-of-ands (bool result); int8 wraps in int8; mixed dtypes promote."""
    rng = np.random.default_rng(0)
    x = rng.integers(0, 5, (2, 3, 4)).astype(x_dtype)
    y = rng.integers(-2, 5, (4, 5)).astype(y_dtype)
    check_cases({"matmul": _matmul_case(np.matmul, x, y), "dot": _matmul_case(np.dot, x, y),
                 "int8 products that overflow": _matmul_case(np.matmul, (x.astype(x_dtype) * 9).astype(x_dtype),
                                                             (y * 9).astype(y_dtype))})


# -- where, clip -----------------------------------------------------------------------------------

@st.composite
def where_cases(draw):
    shapes = draw(hnp.mutually_broadcastable_shapes(num_shapes=3, min_dims=0, max_dims=3, min_side=0, max_side=3))
    condition = draw(hnp.arrays(np.bool_, shapes.input_shapes[0]))
    x = arrays(draw, shapes.input_shapes[1])
    y = arrays(draw, shapes.input_shapes[2])
    # NumPy's where casts a Python int its dtype cannot hold unsafely (-2 -> 254 in uint8, 32769 -> -32767 in int16),
    # where its ufuncs raise OverflowError (NEP 50).
    scalar = draw(st.sampled_from([0, 1, -2, 2.5, -0.0, True, np.inf, 300, 32769, -129]))
    cases = {
        "arrays": Case(np.where, (condition, x, y), signed_zeros=True),
        f"x, {scalar!r}": Case(lambda c, a: np.where(c, a, scalar), (condition, x), signed_zeros=True),
        f"{scalar!r}, y": Case(lambda c, b: np.where(c, scalar, b), (condition, y), signed_zeros=True),
        "1, 2.5": Case(lambda c: np.where(c, 1, 2.5), (condition,)),
        "1, 2": Case(lambda c: np.where(c, 1, 2), (condition,)),
        "int condition": Case(lambda a, b: np.where(a, a, b), (x, y)),
    }
    return cases


def test_select_casts_python_numbers_as_numpy_does():
    """np.select: Python numbers among the choices and the default are weak (NEP 50) and cast unsafely."""
    x = np.array([1.5, -2.0, 0.0], np.float32)
    small = np.array([1, -2, 0], np.int8)
    check_cases({
        "float32 with -5.3": Case(lambda a: np.select([a > 0, a < 0], [a, -5.3], np.float32(-1.0)), (x,)),
        "float32, default 1e300": Case(lambda a: np.select([a > 0], [a], 1e300), (x,)),
        "int8, default 300": Case(lambda a: np.select([a > 0], [a], 300), (small,)),
        "choice 300, int8 default": Case(lambda a: np.select([a > 0], [300], a), (small,)),
        "int8 with 2.5": Case(lambda a: np.select([a > 0], [a], 2.5), (small,)),
    })


@xla_settings(max_examples=25)
@given(where_cases())
def test_where(cases):
    check_cases(cases)


def test_where_one_argument_is_refused():
    """np.where(cond) has a data-dependent shape; NumPy computes it, tracing must refuse (not guess)."""
    with pytest.raises(NotImplementedError):
        tracer.jit(lambda c: np.where(c))(np.array([True, False]))


@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=str)
def test_clip(dtype):
    x = np.array([-3, -1, 0, 1, 2, 5], dtype=dtype) if np.dtype(dtype).kind != "u" else np.array([0, 1, 2, 5, 9], dtype)
    if np.dtype(dtype).kind == "f":
        x = np.concatenate([x, np.array([np.nan, np.inf, -np.inf, -0.0], dtype)])
    lo, hi = np.array([0, 1], dtype)[:, None], np.array([2, 3], dtype)[:, None]
    check_cases({
        "0, 2": Case(lambda a: np.clip(a, 0, 2), (x,)),  # (the sign of a clipped zero is unspecified)
        "0.5, 2.5": Case(lambda a: np.clip(a, 0.5, 2.5), (x,)),
        "None, 1": Case(lambda a: np.clip(a, None, 1), (x,)),
        "-1, None": Case(lambda a: np.clip(a, -1, None), (x,)),
        "min=, max=": Case(lambda a: np.clip(a, min=1, max=2), (x,)),
        "arrays": Case(np.clip, (x, lo, hi)),
        "min > max": Case(lambda a: np.clip(a, 2, 1), (x,)),
        "min == max": Case(lambda a: np.clip(a, 1, 1), (x,)),
        "bounds outside the dtype": Case(lambda a: np.clip(a, -1000, 1000), (x,)),  # NumPy >= 2.1 accepts these
        # with a float bound the result is a float, and an int bound outside the dtype binds
        "float bound, int bound outside": Case(lambda a: (np.clip(a, 0.0, -4294967296), np.clip(a, -1000, 2.5)), (x,)),
    })


# -- zeros_like, ones_like, full_like --------------------------------------------------------------

@pytest.mark.parametrize("dtype", ALL_DTYPES, ids=str)
def test_like_constructors(dtype):
    x = np.array([[1, 0, 1], [0, 1, 1]], dtype=dtype)
    fill = np.array([7, 0, 2], dtype=dtype)
    check_cases({
        "zeros_like": Case(np.zeros_like, (x,)),
        "ones_like": Case(np.ones_like, (x,)),
        "zeros_like dtype=float16": Case(lambda a: np.zeros_like(a, dtype=np.float16), (x,)),
        "ones_like shape=(4,)": Case(lambda a: np.ones_like(a, shape=(4,)), (x,)),
        "ones_like shape=5": Case(lambda a: np.ones_like(a, shape=5), (x,)),
        "zeros_like shape=(2, 0)": Case(lambda a: np.zeros_like(a, shape=(2, 0)), (x,)),
        "full_like, an array fill broadcast": Case(lambda a: (np.full_like(a, np.array([False])),
                                                             np.full_like(a, [[1.5], [2.5]], shape=(2, 3)),
                                                             np.full_like(a, [[[1, 0, 1]]])), (x,)),
        "full_like 3": Case(lambda a: np.full_like(a, 3), (x,)),
        "full_like 2.7 (cast like NumPy: 2 for ints)": Case(lambda a: np.full_like(a, 2.7), (x,)),
        "full_like -0.0": Case(lambda a: np.full_like(a, -0.0), (x,), signed_zeros=True),
        "full_like True": Case(lambda a: np.full_like(a, True), (x,)),
        "full_like 1, dtype=int8": Case(lambda a: np.full_like(a, 1, dtype=np.int8), (x,)),
        "full_like traced fill": Case(lambda a, f: np.full_like(a, f), (x, fill)),
        "full_like traced 0-d fill": Case(lambda a, f: np.full_like(a, f), (x, fill[0])),
        "full_like -1 (OverflowError for unsigned)": Case(lambda a: np.full_like(a, -1), (x,)),
    })


# -- errors name the user's line --------------------------------------------------------------------

def test_shape_error_names_the_users_line():
    """A shape mismatch raises NumPy's ValueError kind, and the message starts at this file's line."""

    def fn(x, y):
        return x.reshape(4, 2) + y  # the line the error must name

    line = fn.__code__.co_firstlineno + 1
    with pytest.raises(ValueError) as numpy_error:
        fn(np.ones((2, 3)), np.ones(2))
    with pytest.raises(ValueError) as traced_error:
        tracer.jit(fn)(np.ones((2, 3), np.float32), np.ones(2, np.float32))
    assert "reshape" in str(numpy_error.value)
    assert str(traced_error.value).startswith(f"{__file__}:{line}:"), str(traced_error.value)
