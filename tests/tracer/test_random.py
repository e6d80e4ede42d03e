"""`tracer.random`: explicit keys, the same bits eagerly and traced, and the right distributions.

Statistical checks use fixed keys, so they are deterministic; their tolerances are several
standard errors wide (a correct generator passes with a wide margin, a biased one fails).
Oracles are independent of the code under test: exact arithmetic on the bits, NumPy statistics,
`math.erf` for the normal CDF, and the Kolmogorov-Smirnov critical value for alpha = 1e-3.
"""

from __future__ import annotations

import math

import ml_dtypes
import numpy as np
import pytest

import tracer
import tracer.random as random
import runtime

N = 100_000
KEY = random.key(42)
FLOATS = (np.float16, ml_dtypes.bfloat16, np.float32, np.float64)
# Kolmogorov-Smirnov: P(sqrt(n) * D > c) = alpha for c = sqrt(-ln(alpha / 2) / 2); alpha = 1e-3.
KS_CRITICAL = math.sqrt(-math.log(1e-3 / 2) / 2) / math.sqrt(N)


def normal_cdf(x: np.ndarray) -> np.ndarray:
    erf = np.frompyfunc(math.erf, 1, 1)(np.asarray(x, np.float64) / math.sqrt(2))
    return 0.5 * (1 + np.asarray(erf, np.float64))


def ks_statistic(samples: np.ndarray, cdf) -> float:
    """sup |empirical CDF - cdf| over the sorted samples (both sides of each step)."""
    x = np.sort(np.asarray(samples, np.float64))
    f = cdf(x)
    n = len(x)
    return float(max((np.arange(1, n + 1) / n - f).max(), (f - np.arange(n) / n).max()))


# --------------------------------------------------------------------------- keys


def test_key_holds_the_seed_as_uint64_pair():
    np.testing.assert_array_equal(random.key(7), np.array([7, 0], np.uint64), strict=True)
    np.testing.assert_array_equal(random.key(-1), np.array([2**64 - 1, 0], np.uint64), strict=True)
    np.testing.assert_array_equal(random.key(np.int32(5)), random.key(5), strict=True)


def test_traced_module_names_threefry():
    # DEFAULT would let each backend choose its generator: the same key, other numbers on GPU.
    text = tracer.compile(lambda k: random.normal(k, (3,)), KEY).as_text("traced")
    assert "rng_bit_generator" in text and "algorithm = THREE_FRY" in text and "DEFAULT" not in text


def test_traced_seed_gives_the_eager_key():
    traced = tracer.jit(random.key)(np.int32(-3))
    np.testing.assert_array_equal(np.asarray(traced), random.key(-3), strict=True)


# --------------------------------------------------------------------------- eager == traced


CASES = {
    "split": lambda k: random.split(k, 3),
    "fold_in": lambda k: random.fold_in(k, 12345),
    "uniform_f16": lambda k: random.uniform(k, (64,), np.float16, -2.0, 3.0),
    "uniform_f32": lambda k: random.uniform(k, (8, 8)),
    "uniform_f64": lambda k: random.uniform(k, (64,), np.float64, 1.0, 1.5),
    "normal_f32": lambda k: random.normal(k, (64,)),
    "normal_f16": lambda k: random.normal(k, (64,), np.float16),
    "normal_f64": lambda k: random.normal(k, (64,), np.float64),
    "truncated": lambda k: random.truncated_normal(k, -1.0, 2.0, (64,)),
    "bernoulli": lambda k: random.bernoulli(k, 0.3, (64,)),
    "randint": lambda k: random.randint(k, (64,), -5, 17),
    "randint_u64": lambda k: random.randint(k, (64,), 0, 2**64, np.uint64),
}


def test_eager_and_traced_give_the_same_bits():
    traced = tracer.jit(lambda k: {name: case(k) for name, case in CASES.items()})(KEY)
    for name, case in CASES.items():
        eager = case(KEY)
        assert type(eager) is np.ndarray, name
        np.testing.assert_array_equal(np.asarray(traced[name]), eager, strict=True, err_msg=name)


def test_eager_with_array_bounds_matches_traced_bounds():
    low, high, p = np.array([-1.0, 0.0], np.float32), np.array([0.0, 5.0], np.float32), np.array([0.2, 0.7])

    def draws(k, low, high, p, data):
        return (random.uniform(k, (16, 2), np.float32, low, high), random.bernoulli(k, p, (16, 2)),
                random.randint(k, (16, 2), low.astype(np.int32), high.astype(np.int32) + 1, np.int8),
                random.fold_in(k, data))

    traced = tracer.jit(draws)(KEY, low, high, p, np.int64(2**32 + 9))
    eager = draws(KEY, low, high, p, np.int64(2**32 + 9))
    for t, e in zip(traced, eager):
        np.testing.assert_array_equal(np.asarray(t), e, strict=True)
    np.testing.assert_array_equal(eager[3], random.fold_in(KEY, 9))  # data is taken modulo 2**32


def test_concrete_array_keys_and_keys_in_pytrees():
    state = {"rng": runtime.array_to_device(KEY), "step": np.int32(0)}

    @tracer.jit
    def step(state):
        rng, sub = random.split(state["rng"])
        return {"rng": rng, "step": state["step"] + 1}, random.normal(sub, (4,))

    new_state, noise = step(state)
    rng, sub = random.split(state["rng"])
    np.testing.assert_array_equal(np.asarray(new_state["rng"]), rng, strict=True)
    np.testing.assert_array_equal(np.asarray(noise), random.normal(sub, (4,)), strict=True)


# --------------------------------------------------------------------------- keys: same, different, split


def test_same_key_same_numbers_other_key_other_numbers():
    a, b = random.uniform(KEY, (1000,), np.float64), random.uniform(KEY, (1000,), np.float64)
    np.testing.assert_array_equal(a, b)
    other = random.uniform(random.key(43), (1000,), np.float64)
    assert not np.intersect1d(a, other).size


def test_split_keys_are_distinct_and_their_streams_unrelated():
    keys = random.split(KEY, 8)
    assert keys.shape == (8, 2) and keys.dtype == np.uint64
    assert len({tuple(k) for k in keys}) == 8 and not (keys == KEY).all(axis=1).any()
    # float64 draws: 8000 of 2**52 grid values, so a repeat means shared streams, not chance.
    draws = np.stack([random.uniform(k, (1000,), np.float64) for k in keys])
    assert len(np.unique(draws)) == draws.size
    normals = np.stack([random.normal(k, (N // 10,)) for k in keys[:4]])
    correlation = np.corrcoef(normals)[np.triu_indices(4, 1)]
    assert np.abs(correlation).max() < 5 / math.sqrt(N // 10)  # 5 standard errors


def test_derived_keys_do_not_reuse_the_parent_stream():
    # A key's own draws, its split keys and its folded keys come from disjoint counter ranges.
    words = random.randint(KEY, (1000,), 0, 2**64, np.uint64)
    split_words = random.split(KEY, 500).reshape(-1)
    fold_words = np.concatenate([random.fold_in(KEY, d) for d in range(50)])
    assert len(np.unique(np.concatenate([words, split_words, fold_words]))) == 1000 + 1000 + 100


def test_fold_in_differs_per_data_and_is_reproducible():
    folded = np.stack([random.fold_in(KEY, d) for d in range(20)])
    assert len({tuple(k) for k in folded}) == 20
    np.testing.assert_array_equal(random.fold_in(KEY, 3), folded[3])
    traced = tracer.jit(random.fold_in)(KEY, np.uint32(3))
    np.testing.assert_array_equal(np.asarray(traced), folded[3], strict=True)
    other_parent = random.fold_in(random.key(0), 3)
    assert not (other_parent == folded[3]).any()


# --------------------------------------------------------------------------- uniform


@pytest.mark.parametrize("dtype", FLOATS)
def test_uniform_stays_in_range_for_every_float_dtype(dtype):
    for low, high in ((0.0, 1.0), (-3.0, 0.5)):
        values = random.uniform(KEY, (N,), dtype, low, high)
        assert values.dtype == np.dtype(dtype) and values.shape == (N,)
        assert values.min() >= low and values.max() < high
        # Without a skew: both ends of the range are reached to within 1%.
        assert values.min() < low + 0.01 * (high - low) and values.max() > high - 0.01 * (high - low)


def test_uniform_never_rounds_up_to_maxval():
    # float16 spacing at 1000 is 0.5: 1000 + u rounds to 1001 for a quarter of the draws,
    # which must come back as 1000.5, the float below maxval.
    values = random.uniform(KEY, (10_000,), np.float16, 1000.0, 1001.0)
    assert set(np.unique(values).tolist()) == {1000.0, 1000.5}
    assert (values == 1000.5).mean() > 0.4


def test_uniform_unit_interval_uses_the_whole_mantissa_grid():
    values = random.uniform(KEY, (N,), np.float32)
    grid = values * 2**23
    np.testing.assert_array_equal(grid, np.round(grid))  # exactly on the 2**-23 grid
    assert len(np.unique(values)) > 0.99 * N  # and no coarser


def test_uniform_mean_variance_and_ks():
    values = random.uniform(random.key(1), (N,)).astype(np.float64)
    assert abs(values.mean() - 0.5) < 5 * math.sqrt(1 / 12 / N)
    assert abs(values.var() - 1 / 12) < 5 * math.sqrt((1 / 80 - 1 / 144) / N)
    assert ks_statistic(values, lambda x: x) < KS_CRITICAL


def test_uniform_traced_bounds_per_column():
    low, high = np.array([-10.0, 0.0, 100.0]), np.array([-9.0, 1e-3, 200.0])
    values = tracer.jit(lambda k, lo, hi: random.uniform(k, (1000, 3), np.float64, lo, hi))(KEY, low, high)
    values = np.asarray(values)
    assert (values >= low).all() and (values < high).all()


# --------------------------------------------------------------------------- normal and truncated normal


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_normal_mean_variance_and_ks(dtype):
    values = random.normal(random.key(2), (N,), dtype).astype(np.float64)
    assert abs(values.mean()) < 5 / math.sqrt(N)
    assert abs(values.var() - 1) < 5 * math.sqrt(2 / N)
    assert ks_statistic(values, normal_cdf) < KS_CRITICAL
    assert np.isfinite(values).all()


@pytest.mark.parametrize("dtype", [np.float16, ml_dtypes.bfloat16])
def test_normal_narrow_floats_round_the_float32_draws(dtype):
    narrow = random.normal(random.key(2), (1000,), dtype)
    assert narrow.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(narrow, random.normal(random.key(2), (1000,)).astype(dtype))


def test_truncated_normal_stays_inside_and_follows_the_truncated_cdf():
    lower, upper = -0.5, 2.0
    values = random.truncated_normal(random.key(3), lower, upper, (N,)).astype(np.float64)
    assert values.min() > lower and values.max() < upper
    a, b = normal_cdf(lower), normal_cdf(upper)
    assert ks_statistic(values, lambda x: (normal_cdf(x) - a) / (b - a)) < KS_CRITICAL


@pytest.mark.parametrize("dtype", FLOATS)
def test_truncated_normal_open_interval_with_infinite_and_tight_bounds(dtype):
    half = random.truncated_normal(KEY, 0.0, np.inf, (10_000,), dtype)
    assert half.dtype == np.dtype(dtype) and (half > 0).all() and np.isfinite(half).all()
    tight = random.truncated_normal(KEY, 1.0, 1.0625, (1000,), dtype)
    assert (tight > 1.0).all() and (tight < 1.0625).all()


def test_truncated_normal_shape_defaults_to_the_bounds_shape():
    values = random.truncated_normal(KEY, np.array([-1.0, 0.0, 1.0]), np.array([0.0, 1.0, 2.0]))
    assert values.shape == (3,)
    assert (values > [-1, 0, 1]).all() and (values < [0, 1, 2]).all()


# --------------------------------------------------------------------------- bernoulli and randint


def test_bernoulli_frequency():
    draws = random.bernoulli(random.key(4), 0.3, (N,))
    assert draws.dtype == np.bool_
    assert abs(draws.mean() - 0.3) < 5 * math.sqrt(0.3 * 0.7 / N)
    assert not random.bernoulli(KEY, 0.0, (1000,)).any() and random.bernoulli(KEY, 1.0, (1000,)).all()


def test_bernoulli_with_per_column_probabilities():
    p = np.array([0.05, 0.5, 0.95])
    draws = random.bernoulli(random.key(5), p, (N // 3, 3))
    assert (np.abs(draws.mean(axis=0) - p) < 5 * np.sqrt(p * (1 - p) / (N // 3))).all()
    assert random.bernoulli(KEY, p).shape == (3,)  # shape=None: p's shape


def test_randint_covers_the_full_int8_range_and_never_leaves_it():
    values = random.randint(random.key(6), (N,), -128, 128, np.int8)
    assert values.dtype == np.int8
    np.testing.assert_array_equal(np.unique(values), np.arange(-128, 128, dtype=np.int8))
    counts = np.bincount(values.astype(np.int64) + 128, minlength=256)
    expected = N / 256
    assert np.abs(counts - expected).max() < 6 * math.sqrt(expected)


@pytest.mark.parametrize("low, high, dtype", [(-3, 4, np.int32), (0, 256, np.uint8), (250, 256, np.uint8),
                                              (-(2**63), 2**63, np.int64), (2**64 - 10, 2**64, np.uint64)])
def test_randint_covers_half_open_ranges(low, high, dtype):
    values = random.randint(random.key(7), (10_000,), low, high, dtype)
    assert values.dtype == np.dtype(dtype)
    as_ints = [int(v) for v in values]
    assert min(as_ints) >= low and max(as_ints) < high
    if high - low <= 256:
        assert set(as_ints) == set(range(low, high))
    else:  # 64-bit ranges: both halves reached
        middle = (low + high) // 2
        assert min(as_ints) < middle <= max(as_ints)


def test_randint_traced_bounds_are_clipped_and_empty_ranges_give_minval():
    bounds = np.array([[-1000, -5], [10, 1000], [3, 3]], np.int64).T  # per column: (minval, maxval)
    fn = tracer.jit(lambda k, lo, hi: random.randint(k, (2000, 3), lo, hi, np.int8))
    values = np.asarray(fn(KEY, bounds[0], bounds[1]))
    assert values[:, 0].min() == -128 and values[:, 0].max() == -6
    assert values[:, 1].min() == 10 and values[:, 1].max() == 127
    assert (values[:, 2] == 3).all()


# --------------------------------------------------------------------------- permutation


def test_permutation_of_n_is_a_permutation():
    perm = random.permutation(KEY, 1000)
    np.testing.assert_array_equal(np.sort(perm), np.arange(1000))
    assert (perm != np.arange(1000)).mean() > 0.9
    assert not np.array_equal(perm, random.permutation(random.key(0), 1000))


def test_permutation_of_an_array_moves_whole_slices():
    x = np.arange(20 * 3).reshape(20, 3)
    rows = random.permutation(KEY, x)
    np.testing.assert_array_equal(rows, x[random.permutation(KEY, 20)])
    cols = random.permutation(KEY, x.T, axis=1)
    np.testing.assert_array_equal(cols, rows.T)
    traced = tracer.jit(lambda k, x: random.permutation(k, x, axis=-1))(KEY, x.T)
    np.testing.assert_array_equal(np.asarray(traced), cols, strict=True)


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize("bad, message", [
    (np.zeros((2, 2), np.uint64), r"uint64\[2\] array, got uint64\[2, 2\]"),
    (np.array([1, 2], np.int64), r"uint64\[2\] array, got int64\[2\]"),
    ([1, 2], "got list"),
])
def test_bad_keys_are_refused(bad, message):
    with pytest.raises(tracer.TracedTypeError, match=message) as info:
        random.uniform(bad, (3,))
    assert "tracer.random.key" in info.value.fix


def test_bad_traced_key_is_refused_before_xla():
    with pytest.raises(tracer.TracedTypeError, match=r"got uint32\[2\]"):
        tracer.jit(lambda k: random.normal(k, (2,)))(np.zeros(2, np.uint32))


@pytest.mark.parametrize("shape, kind, message", [
    (2.5, tracer.TracedTypeError, "shape must be a tuple of ints"),
    (("a",), tracer.TracedTypeError, "shape must be a tuple of ints"),
    ((True, 2), tracer.TracedTypeError, "shape must be a tuple of ints"),
    ((3, -1), tracer.TracedShapeError, "negative dimension"),
])
def test_bad_shapes_are_refused(shape, kind, message):
    with pytest.raises(kind, match=message) as info:
        random.uniform(KEY, shape)
    assert info.value.fix


def test_traced_shape_is_refused():
    with pytest.raises(tracer.TracedTypeError, match="shape must be a tuple of ints"):
        tracer.jit(lambda k, n: random.uniform(k, (n,)))(KEY, np.int32(3))


@pytest.mark.parametrize("call, kind, message", [
    (lambda: random.uniform(KEY, (2,), np.int32), tracer.TracedTypeError, "dtype int32 is not supported"),
    (lambda: random.uniform(KEY, (2,), np.float32, 1.0, 1.0), tracer.TracedShapeError, "minval must be below maxval"),
    (lambda: random.uniform(KEY, (2,), np.float32, 0.0, np.inf), tracer.TracedShapeError, "not a finite number"),
    (lambda: random.uniform(KEY, (2,), np.float32, np.zeros(3), 1.0), tracer.TracedShapeError, "does not broadcast"),
    (lambda: random.truncated_normal(KEY, 2.0, -2.0), tracer.TracedShapeError, "lower must be below upper"),
    (lambda: random.bernoulli(KEY, 1.5, (2,)), tracer.TracedShapeError, "0 <= p <= 1"),
    (lambda: random.bernoulli(KEY, np.array([0.5, -0.1])), tracer.TracedShapeError, "0 <= p <= 1"),
    (lambda: random.randint(KEY, (2,), 5, 5), tracer.TracedShapeError, "minval < maxval"),
    (lambda: random.randint(KEY, (2,), 0, 129, np.int8), tracer.TracedOverflowError, "does not fit int8"),
    (lambda: random.randint(KEY, (2,), 0.5, 3), tracer.TracedTypeError, "minval must be an integer"),
    (lambda: random.randint(KEY, (2,), 0, 3, np.float32), tracer.TracedTypeError, "dtype float32 is not supported"),
    (lambda: random.split(KEY, 0), tracer.TracedShapeError, "num >= 1"),
    (lambda: random.fold_in(KEY, 1.5), tracer.TracedTypeError, "fold_in data must be a Python int"),
    (lambda: random.key(1.5), tracer.TracedTypeError, "seed must be a Python int"),
    (lambda: random.key(2**64), tracer.TracedOverflowError, "does not fit 64 bits"),
    (lambda: random.permutation(KEY, np.float32(3.0)), tracer.TracedTypeError, "permutation needs an int or an array"),
])
def test_bad_arguments_raise_with_a_fix(call, kind, message):
    with pytest.raises(kind, match=message) as info:
        call()
    assert info.value.fix and __file__ in str(info.value)  # the message names the user's line


# --------------------------------------------------------------------------- known answers
# An independent implementation of XLA's THREE_FRY `rng_bit_generator` in NumPy uint32 arithmetic, as XLA
# specifies it (xla/hlo/builder/lib/prng.cc): Threefry-2x32 with 20 rounds; the state is (key, counter);
# element i of a 64-bit draw is the pair for counter + i (row-major), low word first; a 32-bit draw splits
# the shape in two along its first even dimension (or its largest, rounded up) and interleaves the two
# words of each pair along it. Eager and compiled calls run the same code, so only this can catch a
# change of the bits (a backend's, or ours).

ROTATIONS = (13, 15, 26, 6, 17, 29, 16, 24)


def threefry2x32(key: tuple[int, int], x0: np.ndarray, x1: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Threefry-2x32-20 of the counter words (x0, x1) under the key words, elementwise, in uint32."""
    k0, k1 = np.uint32(key[0]), np.uint32(key[1])
    ks = (k0, k1, np.uint32(0x1BD11BDA) ^ k0 ^ k1)
    x0, x1 = x0.astype(np.uint32) + ks[0], x1.astype(np.uint32) + ks[1]
    for block in range(5):
        for r in ROTATIONS[4 * (block % 2): 4 * (block % 2) + 4]:
            x0 = x0 + x1
            x1 = (x1 << np.uint32(r)) | (x1 >> np.uint32(32 - r))
            x1 = x1 ^ x0
        x0 = x0 + ks[(block + 1) % 3]
        x1 = x1 + ks[(block + 2) % 3] + np.uint32(block + 1)
    return x0, x1


def test_the_reference_threefry_gives_the_published_test_vectors():
    """Random123's known-answer vectors for Threefry-2x32-20 (counter, key) -> output."""
    vectors = [((0, 0), (0, 0), (0x6B200159, 0x99BA4EFE)),
               ((0xFFFFFFFF, 0xFFFFFFFF), (0xFFFFFFFF, 0xFFFFFFFF), (0x1CB996FC, 0xBB002BE7)),
               ((0x243F6A88, 0x85A308D3), (0x13198A2E, 0x03707344), (0xC4923A9C, 0x483DF7A0))]
    with np.errstate(over="ignore"):
        for counter, key_words, expected in vectors:
            out = threefry2x32(key_words, np.array([counter[0]], np.uint32), np.array([counter[1]], np.uint32))
            assert (int(out[0][0]), int(out[1][0])) == expected


def _pairs(state, count: int) -> tuple[np.ndarray, np.ndarray]:
    """The Threefry outputs for counters state[1] + 0, 1, ..., count - 1 under the key word state[0]."""
    key_word, counter = int(state[0]), int(state[1])
    counters = (counter + np.arange(count, dtype=np.uint64)).astype(np.uint64)
    with np.errstate(over="ignore"):
        return threefry2x32((key_word & 0xFFFFFFFF, key_word >> 32), (counters & np.uint64(0xFFFFFFFF)).astype(np.uint32),
                            (counters >> np.uint64(32)).astype(np.uint32))


def reference_bits64(state, shape) -> np.ndarray:
    low, high = _pairs(state, math.prod(shape))
    return (low.astype(np.uint64) | (high.astype(np.uint64) << np.uint64(32))).reshape(shape)


def reference_bits32(state, shape) -> np.ndarray:
    shape = tuple(shape)
    if not shape:
        low, _ = _pairs(state, 1)
        return low.reshape(())
    split = next((d for d, n in enumerate(shape) if n % 2 == 0), None)
    if split is None:
        split = int(np.argmax(shape))
    half = shape[:split] + (-(-shape[split] // 2),) + shape[split + 1:]
    low, high = (word.reshape(half) for word in _pairs(state, math.prod(half)))
    both = np.stack([low, high], axis=split + 1)  # word k of pair j lands at 2j + k along the split dim
    both = both.reshape(shape[:split] + (2 * half[split],) + shape[split + 1:])
    return both[tuple(slice(0, n) for n in shape)]


def unit_floats(words: np.ndarray, dtype) -> np.ndarray:
    """The documented mapping of `uniform`: the top nmant bits become the mantissa of a float in [1, 2), minus 1."""
    dtype = np.dtype(dtype)
    nmant = np.finfo(dtype).nmant
    bits = words >> np.array(words.dtype.itemsize * 8 - nmant, words.dtype)
    uint = np.dtype(f"u{dtype.itemsize}")
    return (bits.astype(uint) | np.asarray(1, dtype).view(uint)).view(dtype) - dtype.type(1)


STATES = [np.array([0, 0], np.uint64), np.array([42, 0], np.uint64),
          np.array([0x0123456789ABCDEF, 2**32 - 2], np.uint64),  # a counter that carries into the high word
          np.array([2**64 - 1, 2**64 - 3], np.uint64)]             # and one that wraps past 2**64
SHAPES = [(), (1,), (5,), (6,), (3, 5), (5, 3), (4, 3), (3, 4), (3, 1, 7), (2, 3, 2)]


@pytest.mark.parametrize("state", STATES, ids=lambda s: f"key{s[0]:x}-counter{s[1]:x}")
def test_uniform_float32_draws_threefry_bits_as_xla_specifies(state):
    for shape in SHAPES:
        expected = unit_floats(reference_bits32(state, shape), np.float32)
        np.testing.assert_array_equal(random.uniform(state, shape, np.float32), expected, err_msg=str(shape))


@pytest.mark.parametrize("state", STATES, ids=lambda s: f"key{s[0]:x}-counter{s[1]:x}")
def test_64_bit_draws_are_threefry_pairs_as_xla_specifies(state):
    for shape in [(), (1,), (5,), (3, 4), (2, 1, 3)]:
        np.testing.assert_array_equal(random.uniform(state, shape, np.float64),
                                      unit_floats(reference_bits64(state, shape), np.float64), err_msg=str(shape))
    # split(key, n) is n x 2 words drawn from the key with its counter in the split domain (top bit set)
    split_state = state ^ np.array([0, 2**63], np.uint64)
    np.testing.assert_array_equal(random.split(state, 3), reference_bits64(split_state, (3, 2)))
    # a randint over the whole uint64 range is the words themselves
    np.testing.assert_array_equal(random.randint(state, (4,), 0, 2**64, np.uint64), reference_bits64(state, (4,)))


def test_known_answers_hold_inside_a_compiled_function_too():
    state = STATES[2]
    drawn = tracer.jit(lambda k: (random.uniform(k, (3, 5)), random.split(k, 2)))(state)
    np.testing.assert_array_equal(np.asarray(drawn[0]), unit_floats(reference_bits32(state, (3, 5)), np.float32))
    np.testing.assert_array_equal(np.asarray(drawn[1]), reference_bits64(state ^ np.array([0, 2**63], np.uint64), (2, 2)))
