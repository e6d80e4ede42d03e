"""Random numbers from explicit keys, JAX-style: no global state, the same numbers eagerly and traced.

    key = tracer.random.key(0)
    init_key, dropout_key = tracer.random.split(key)
    w = tracer.random.normal(init_key, (784, 128))      # eager: NumPy key in, NumPy array out

    @tracer.jit
    def noisy(key, x):                                 # traced: the key is an ordinary uint64 argument
        return x + 0.1 * tracer.random.normal(key, x.shape)

A key is a uint64[2] array: the state of `stablehlo.rng_bit_generator` with the THREE_FRY algorithm,
(ThreeFry key word, counter word). Naming THREE_FRY (never DEFAULT, which each backend picks itself)
makes the bits of a key the same on every backend. Keys are plain arrays, so they travel in pytrees
(layer state) and through `tracer.jit` like any other argument.

A key's counter word is split into domains by its top two bits, so drawing numbers, splitting and
folding in never reuse each other's counters (each would need 2**62 draws to reach the next):
samples count up from the counter, `split` from counter ^ 2**63, `fold_in` from counter ^ 3 * 2**62.
Derived keys take both words from generated bits, so sibling keys have unrelated ThreeFry keys.

Called eagerly (the key is a NumPy array or ConcreteArray, no trace active), each function runs
the very computation it would trace, through a cached `tracer.jit`, and returns NumPy arrays: eager
and traced calls give the same bits. Shapes and dtypes are static Python values; keys, bounds and
probabilities may be traced. Eagerly, each new shape, dtype or Python-number bound compiles once
(tens of ms); pass bounds that change from call to call as NumPy arrays, and fold_in's data is always
an array, so a loop over steps compiles once. As with JAX, reusing a key gives the same numbers again:
split it.
"""

from __future__ import annotations

import functools
import math
import numbers
import operator

import ml_dtypes
import numpy as np
from jax import tree_util

from ir import ops
from runtime import ConcreteArray
from tracer import errors, primitives
from tracer.jit_function import jit
from tracer.trace_state import at_user_line, current_trace
from tracer.traced_array import TracedArray, is_traced

__all__ = ["KEY_DTYPE", "KEY_SHAPE", "bernoulli", "fold_in", "key", "normal", "permutation", "randint", "split",
           "truncated_normal", "uniform"]

KEY_SHAPE = (2,)
KEY_DTYPE = np.dtype(np.uint64)

FLOAT_DTYPES = tuple(np.dtype(d) for d in (np.float16, ml_dtypes.bfloat16, np.float32, np.float64))
INT_DTYPES = tuple(np.dtype(d) for d in (np.int8, np.int16, np.int32, np.int64,
                                         np.uint8, np.uint16, np.uint32, np.uint64))

# Counter-word domains (see the module docstring): XOR masks for the key's second word.
_SPLIT_DOMAIN = np.array([0, 2**63], KEY_DTYPE)
_FOLD_DOMAIN = np.array([0, 3 * 2**62], KEY_DTYPE)

_KEY_FIX = "make keys with tracer.random.key(seed) and derive new ones with tracer.random.split / fold_in"


# --------------------------------------------------------------------------- public API


def key(seed) -> np.ndarray | TracedArray:
    """A new key from an integer seed.

    Arguments:
        seed: a Python or NumPy integer in [-2**63, 2**64), or a traced integer scalar.
    Returns:
        uint64[2] holding [seed mod 2**64, 0] (ThreeFry key word, counter word): a NumPy array
        for a static seed (also inside a trace, where it becomes a constant), a traced one otherwise.
    """
    if is_traced(seed):
        if seed.shape != () or seed.dtype.kind not in "iu":
            raise errors.TracedTypeError(f"a seed must be an integer scalar, got {seed!r}",
                                         fix="pass a Python int or a 0-d integer array")
        with at_user_line():
            return _key_from_traced(seed)
    seed = _static_int(seed, "seed", fix="pass a Python int such as tracer.random.key(0)")
    if not -(2**63) <= seed < 2**64:
        raise errors.TracedOverflowError(f"seed {seed} does not fit 64 bits", fix="use a seed in [-2**63, 2**64)")
    return np.array([seed % 2**64, 0], KEY_DTYPE)


def split(key, num: int = 2):
    """`num` new keys from one, independent of each other and of the numbers `key` itself draws.

    Arguments:
        key: a uint64[2] key.
        num: how many keys (a static int >= 1).
    Returns:
        uint64[num, 2]: row i is the i-th key (unpack with `a, b = split(key)`).
    """
    num = _static_int(num, "num", fix="pass the number of keys as a Python int")
    if num < 1:
        raise errors.TracedShapeError(f"split needs num >= 1, got {num}", fix="ask for at least one key")
    return _dispatch(_split, key, num=num)


def fold_in(key, data):
    """A new key that depends on `key` and an integer `data` (a step number, a layer index...).

    Different `data` give unrelated keys; the same (key, data) always gives the same key.

    Arguments:
        key: a uint64[2] key.
        data: an integer (Python, NumPy or a traced scalar), taken modulo 2**32.
    Returns:
        uint64[2], a new key.
    """
    if not isinstance(data, (TracedArray, ConcreteArray)):
        data = _static_int(data, "fold_in data", fix="pass an integer such as a step number")
        # An array, not a static number: an eager loop over steps compiles once, not once per step.
        data = np.asarray(data % 2**32, np.uint32)
    elif data.shape != () or np.dtype(data.dtype).kind not in "iu":
        raise errors.TracedTypeError(f"fold_in data must be an integer scalar, got {data!r}",
                                     fix="pass a 0-d integer array or a Python int")
    return _dispatch(_fold_in, key, data)


def uniform(key, shape=(), dtype=np.float32, minval=0.0, maxval=1.0):
    """Floats drawn uniformly from [minval, maxval): maxval itself never comes out.

    The top bits of the random words become the mantissa of a float in [1, 2), minus 1: every value
    of [0, 1) on a grid of 2**-nmant (2**-23 for float32) is equally likely. Scaled values that round
    up to maxval are replaced by the float just below it.

    Arguments:
        key: a uint64[2] key.
        shape: static shape of the result (a tuple of ints; an int n means (n,)).
        dtype: float16, bfloat16, float32 or float64.
        minval, maxval: finite bounds that broadcast to `shape`; numbers or (traced) arrays.
            Traced bounds with minval >= maxval give minval.
    Returns:
        an array of `shape` and `dtype` (NumPy when called eagerly).
    """
    shape, dtype = _check_shape(shape), _float_dtype(dtype)
    minval, maxval = _static_number(minval), _static_number(maxval)
    _check_interval(minval, maxval, "minval", "maxval", finite=True)
    return _dispatch(_uniform, key, minval, maxval, shape=shape, dtype=dtype)


def normal(key, shape=(), dtype=np.float32):
    """Standard normal samples: sqrt(2) * erfinv(u) for u uniform on the open interval (-1, 1).

    u takes the midpoints of a grid of 2**-23 (float32, also used for float16 and bfloat16, which
    are rounded from it) or 2**-52 (float64), so the tails reach about 5.3 or 8.2 standard deviations.

    Arguments:
        key: a uint64[2] key.
        shape: static shape of the result.
        dtype: float16, bfloat16, float32 or float64.
    Returns:
        an array of `shape` and `dtype`.
    """
    shape, dtype = _check_shape(shape), _float_dtype(dtype)
    return _dispatch(_normal, key, shape=shape, dtype=dtype)


def truncated_normal(key, lower, upper, shape=None, dtype=np.float32):
    """Standard normal samples conditioned on lower < x < upper (bounds may be infinite).

    Inverse CDF: u uniform between erf(lower/sqrt2) and erf(upper/sqrt2), x = sqrt(2) * erfinv(u),
    computed in float32 (float64 for float64) and kept strictly inside (lower, upper). Far in a tail
    (bounds beyond ~5 standard deviations in float32) the grid of u becomes coarse, as in JAX.

    Arguments:
        key: a uint64[2] key.
        lower, upper: bounds (numbers or (traced) arrays) that broadcast to `shape`.
        shape: static shape of the result; None means the broadcast shape of lower and upper.
        dtype: float16, bfloat16, float32 or float64.
    Returns:
        an array of `shape` and `dtype`.
    """
    dtype = _float_dtype(dtype)
    lower, upper = _static_number(lower), _static_number(upper)
    shape = _broadcast_shape(lower, upper) if shape is None else _check_shape(shape)
    _check_interval(lower, upper, "lower", "upper", finite=False)
    return _dispatch(_truncated_normal, key, lower, upper, shape=shape, dtype=dtype)


def bernoulli(key, p=0.5, shape=None):
    """Booleans that are True with probability p: uniform(key, shape, dtype of p) < p.

    Arguments:
        key: a uint64[2] key.
        p: probability in [0, 1], a number or a (traced) float array that broadcasts to `shape`;
            Python numbers and non-float arrays are compared in float32.
        shape: static shape of the result; None means p's shape.
    Returns:
        a bool array of `shape`.
    """
    p = _static_number(p)
    shape = _broadcast_shape(p) if shape is None else _check_shape(shape)
    known = _known_value(p)
    if known is not None and not np.all((known >= 0) & (known <= 1)):
        raise errors.TracedShapeError(f"bernoulli needs 0 <= p <= 1, got p={p!r}",
                                      fix="pass a probability between 0 and 1")
    return _dispatch(_bernoulli, key, p, shape=shape)


def randint(key, shape, minval, maxval, dtype=np.int32):
    """Integers drawn uniformly from [minval, maxval).

    Method: a random 64-bit word modulo the span (maxval - minval), added to minval. The modulo
    bias is at most span / 2**64 per value: below 2**-32 for every int32 (and narrower) range,
    and growing for int64 spans beyond 2**32.

    Arguments:
        key: a uint64[2] key.
        shape: static shape of the result.
        minval, maxval: integer bounds (numbers or (traced) arrays) that broadcast to `shape`;
            maxval may be one past the largest value of `dtype`, so the full int8 range is
            randint(key, shape, -128, 128, np.int8). Traced bounds are clipped to the dtype's range,
            and minval >= maxval gives minval.
        dtype: a signed or unsigned integer dtype.
    Returns:
        an array of `shape` and `dtype`.
    """
    shape, dtype = _check_shape(shape), _int_dtype(dtype)
    minval, maxval = _static_number(minval), _static_number(maxval)
    _check_int_bounds(minval, maxval, dtype)
    return _dispatch(_randint, key, minval, maxval, shape=shape, dtype=dtype)


def permutation(key, x_or_n, axis: int = 0):
    """A random permutation of range(n), or of an array's entries along `axis`.

    Method: one random 64-bit sort key per position, ordered with np.argsort (stable), so every
    ordering is equally likely up to ties, which have probability about n**2 / 2**65.

    Arguments:
        key: a uint64[2] key.
        x_or_n: a static int n, or an array (NumPy or traced) of at least one dimension.
        axis: the axis whose entries are shuffled (whole slices move together).
    Returns:
        for n: int64 indices, a permutation of range(n); for an array: the array with its
        entries along `axis` shuffled.
    """
    if isinstance(x_or_n, (int, np.integer)) and not isinstance(x_or_n, (bool, np.bool_)):
        n = int(x_or_n)
        if n < 0:
            raise errors.TracedShapeError(f"permutation of a negative count {n}", fix="pass n >= 0")
        return _dispatch(_permutation, key, None, n=n, axis=0)
    if not isinstance(x_or_n, (np.ndarray, ConcreteArray, TracedArray)) or not x_or_n.shape:
        raise errors.TracedTypeError(f"permutation needs an int or an array of at least one dimension, got {x_or_n!r}",
                                     fix="pass a count n (for a permutation of range(n)) or an array to shuffle")
    axis = primitives.normalize_axis(axis, len(x_or_n.shape))
    return _dispatch(_permutation, key, x_or_n, n=x_or_n.shape[axis], axis=axis)


# --------------------------------------------------------------------------- eager or traced


def _dispatch(impl, key, *args, **static):
    """Run `impl` in the active trace, or (called eagerly) through a cached jit as NumPy results.

    Both paths trace the same `impl` on the same arguments, so they give the same bits.
    """
    _check_key(key)
    if current_trace() is not None:
        return _located(impl, key, *args, **static)
    return tree_util.tree_map(np.asarray, _compiled(impl)(key, *args, **static))


def _located(impl, key, *args, **static):
    """`impl` on a traced key, its ops at the user's source line."""
    with at_user_line():
        return impl(primitives.lift(key), *args, **static)


@functools.cache
def _compiled(impl):
    # One JitFunction per implementation: its cache holds one executable per call signature;
    # Python numbers (shape, static bounds) and dtypes are static leaves of that signature.
    return jit(functools.partial(_located, impl))


# --------------------------------------------------------------------------- traced implementations


def _split(key: TracedArray, *, num: int) -> TracedArray:
    state = _xor(key, _SPLIT_DOMAIN)
    return _bits(state, (num, 2), np.uint64)


def _fold_in(key: TracedArray, data) -> TracedArray:
    # Each data value owns the two counters at 2*data in the fold domain: blocks never overlap.
    data = primitives.broadcast_to(_wrap_u32(data), KEY_SHAPE)
    state = primitives.elementwise(ops.add, _xor(key, _FOLD_DOMAIN),
                                   primitives.elementwise(ops.multiply, data, _const([0, 2], np.uint64)))
    return _bits(state, (2,), np.uint64)


def _uniform(key: TracedArray, minval, maxval, *, shape, dtype) -> TracedArray:
    unit = _unit_floats(_bits(key, shape, _word_dtype(dtype)), dtype)
    if isinstance(minval, numbers.Real) and isinstance(maxval, numbers.Real) and (minval, maxval) == (0, 1):
        return unit  # [0, 1) already, and no rounding to fear
    low, high = _bound(minval, dtype, shape), _bound(maxval, dtype, shape)
    return _scale_into(unit, low, high)


def _normal(key: TracedArray, *, shape, dtype) -> TracedArray:
    compute = _compute_dtype(dtype)
    unit = _unit_floats(_bits(key, shape, _word_dtype(compute)), compute)
    # Midpoints of the grid, mapped onto (-1, 1): both exact, symmetric, and never +-1 (erfinv's poles).
    half_step = np.asarray(2.0 ** -(ml_dtypes.finfo(compute).nmant + 1), compute)
    centred = np.subtract(np.multiply(np.add(unit, half_step), compute.type(2)), compute.type(1))
    normals = np.multiply(primitives.elementwise(ops.erf_inv, centred), compute.type(math.sqrt(2)))
    return normals.astype(dtype)


def _truncated_normal(key: TracedArray, lower, upper, *, shape, dtype) -> TracedArray:
    compute = _compute_dtype(dtype)
    sqrt_half = compute.type(math.sqrt(0.5))
    cdf_low = primitives.elementwise(ops.erf, np.multiply(_bound(lower, compute, shape), sqrt_half))
    cdf_high = primitives.elementwise(ops.erf, np.multiply(_bound(upper, compute, shape), sqrt_half))
    unit = _unit_floats(_bits(key, shape, _word_dtype(compute)), compute)
    between = np.add(np.multiply(unit, np.subtract(cdf_high, cdf_low)), cdf_low)
    normals = np.multiply(primitives.elementwise(ops.erf_inv, between), compute.type(math.sqrt(2)))
    # Rounding (and erfinv(+-1) = +-inf) may land on a bound: step just inside, in the result dtype.
    low, high = _bound(lower, dtype, shape), _bound(upper, dtype, shape)
    values = normals.astype(dtype)
    values = np.where(np.greater(values, low), values, _next_above(low))
    return np.where(np.less(values, high), values, _next_below(high))


def _bernoulli(key: TracedArray, p, *, shape) -> TracedArray:
    dtype = p.dtype if is_traced(p) and p.dtype in FLOAT_DTYPES else np.dtype(np.float32)
    unit = _unit_floats(_bits(key, shape, _word_dtype(dtype)), dtype)
    return np.less(unit, _bound(p, dtype, shape))


def _randint(key: TracedArray, minval, maxval, *, shape, dtype) -> TracedArray:
    words = _bits(key, shape, np.uint64)
    if isinstance(minval, int) and isinstance(maxval, int):
        low, span = _const(minval % 2**64, np.uint64), maxval - minval
        # A span of 2**64 (the whole uint64/int64 range) needs no modulo, and has no uint64 constant.
        offset = words if span == 2**64 else primitives.elementwise(ops.remainder, words, _full(span, shape))
        low = primitives.broadcast_to(low, shape)
    else:
        low, span = _traced_int_bounds(minval, maxval, dtype, shape)
        offset = primitives.elementwise(ops.remainder, words, span)
    return _from_u64(primitives.elementwise(ops.add, low, offset), dtype)


def _permutation(key: TracedArray, x, *, n: int, axis: int) -> TracedArray:
    order = np.argsort(_bits(key, (n,), np.uint64), kind="stable")
    if x is None:
        return order
    return primitives.lift(x)[(slice(None),) * axis + (order,)]  # (a NumPy x cannot take a traced index)


# --------------------------------------------------------------------------- bits and floats


def _bits(state: TracedArray, shape, dtype) -> TracedArray:
    """Random unsigned words of `shape` drawn from `state` (the new state is not needed: keys are split)."""
    _, bits = ops.rng_bit_generator(state._value, shape, dtype, algorithm="THREE_FRY")
    return primitives.wrap(bits, tuple(shape), np.dtype(dtype))


def _word_dtype(dtype: np.dtype) -> np.dtype:
    # 32 random bits cover the mantissa of float32 and narrower; float64 needs 64.
    return np.dtype(np.uint64 if dtype.itemsize == 8 else np.uint32)


def _compute_dtype(dtype: np.dtype) -> np.dtype:
    # erf/erfinv in float16 or bfloat16 would be too coarse: compute in float32 and round.
    return dtype if dtype.itemsize >= 4 else np.dtype(np.float32)


def _uint_of(dtype: np.dtype) -> np.dtype:
    return np.dtype(f"uint{dtype.itemsize * 8}")


def _unit_floats(words: TracedArray, dtype: np.dtype) -> TracedArray:
    """Floats in [0, 1) on a grid of 2**-nmant: the top nmant bits of each word become the mantissa
    of a float in [1, 2) (exponent bits of 1.0), and 1 is subtracted, exactly."""
    nmant = ml_dtypes.finfo(dtype).nmant
    top = primitives.elementwise(ops.divide, words, _full(2 ** (words.dtype.itemsize * 8 - nmant), words.shape,
                                                          words.dtype))  # unsigned: a logical right shift
    uint = _uint_of(dtype)
    one_bits = np.asarray(1, dtype).view(uint)
    mantissa = primitives.convert(top, uint)
    in_one_two = primitives.bitcast(primitives.elementwise(ops.or_, mantissa, _full(one_bits, words.shape, uint)), dtype)
    return primitives.elementwise(ops.subtract, in_one_two, _full(1, words.shape, dtype))


def _scale_into(unit: TracedArray, low: TracedArray, high: TracedArray) -> TracedArray:
    """unit in [0, 1) mapped onto [low, high): values that round up to high become the float below it."""
    values = np.add(np.multiply(unit, np.subtract(high, low)), low)
    values = np.where(np.less(values, high), values, _next_below(high))
    return np.maximum(values, low)  # only matters for traced bounds with low >= high


def _next_below(x: TracedArray) -> TracedArray:
    """The largest float below x. Below zero it is the smallest normal negated, not a subnormal,
    which backends that flush subnormals would read as zero (still not below x)."""
    bits = primitives.bitcast(x, _uint_of(x.dtype))
    one = primitives.scalar_like(bits, 1)
    positive = primitives.compare(x, primitives.scalar_like(x, 0), "GT")
    stepped = primitives.bitcast(primitives.select(positive, primitives.elementwise(ops.subtract, bits, one),
                                         primitives.elementwise(ops.add, bits, one)), x.dtype)
    tiny = primitives.scalar_like(x, -ml_dtypes.finfo(x.dtype).smallest_normal)
    stepped = primitives.select(primitives.compare(x, primitives.scalar_like(x, 0), "EQ"), tiny, stepped)
    # -inf has nothing below it (and its bits + 1 would be a NaN).
    return primitives.select(primitives.compare(x, primitives.scalar_like(x, -np.inf), "EQ"), x, stepped)


def _next_above(x: TracedArray) -> TracedArray:
    return np.negative(_next_below(np.negative(x)))


# --------------------------------------------------------------------------- integers


def _traced_int_bounds(minval, maxval, dtype: np.dtype, shape) -> tuple[TracedArray, TracedArray]:
    """(minval, span) as uint64 words of `shape`, bounds clipped to the dtype's range.

    Work is in 64-bit two's complement: the difference of the clipped bounds is the span even
    where it does not fit int64 (wrapping subtraction), and minval + offset wraps back likewise.
    """
    info = np.iinfo(dtype)
    wide = np.dtype(np.uint64 if dtype == np.uint64 else np.int64)
    top = info.max + 1 if info.max < np.iinfo(wide).max else info.max  # maxval is exclusive
    low = np.clip(_int_bound(minval, wide, shape), wide.type(info.min), wide.type(info.max))
    high = np.clip(_int_bound(maxval, wide, shape), wide.type(info.min), wide.type(top))
    low_u, high_u = _to_u64(low), _to_u64(high)
    span = primitives.elementwise(ops.subtract, high_u, low_u)
    empty = primitives.compare(high, low, "LE")
    return low_u, primitives.select(empty, primitives.scalar_like(span, 1), span)


def _int_bound(value, wide: np.dtype, shape) -> TracedArray:
    traced = primitives.lift(value)
    if traced.dtype.kind not in "iub":
        raise errors.TracedTypeError(f"randint bounds must be integers, got {traced.dtype}",
                                     fix="pass integer minval/maxval (convert with .astype(np.int64))")
    return _broadcast_bound(primitives.convert(traced, wide), shape)


def _to_u64(x: TracedArray) -> TracedArray:
    return x if x.dtype == np.uint64 else primitives.bitcast(x, np.uint64)


def _from_u64(words: TracedArray, dtype: np.dtype) -> TracedArray:
    """uint64 two's-complement words holding values of `dtype` -> that dtype (values fit: exact)."""
    if dtype == np.uint64:
        return words
    return primitives.convert(primitives.bitcast(words, np.int64), dtype)


def _wrap_u32(data) -> TracedArray:
    """fold_in's data modulo 2**32, as a uint64 scalar."""
    data = primitives.lift(data)
    narrow = primitives.convert(primitives.convert(data, np.int64) if data.dtype.kind == "i" else data, np.uint32)
    return primitives.convert(narrow, np.uint64)


def _key_from_traced(seed: TracedArray) -> TracedArray:
    seed = primitives.convert(seed, np.int64) if seed.dtype.kind == "i" else seed
    word = primitives.broadcast_to(primitives.convert(seed, np.uint64), KEY_SHAPE)
    return primitives.elementwise(ops.multiply, word, _const([1, 0], np.uint64))  # [seed, 0]


# --------------------------------------------------------------------------- small traced helpers


def _const(value, dtype) -> TracedArray:
    return primitives.constant(np.asarray(value, dtype))


def _full(value, shape, dtype=np.uint64) -> TracedArray:
    return primitives.full(tuple(shape), value, np.dtype(dtype))


def _xor(key: TracedArray, mask: np.ndarray) -> TracedArray:
    return primitives.elementwise(ops.xor, key, _const(mask, KEY_DTYPE))


def _bound(value, dtype: np.dtype, shape) -> TracedArray:
    """A bound (number or array) in `dtype`, broadcast to the result's `shape`."""
    return _broadcast_bound(primitives.lift(value, dtype), shape)


def _broadcast_bound(value: TracedArray, shape) -> TracedArray:
    if not _broadcasts(value.shape, shape) or np.broadcast_shapes(value.shape, shape) != tuple(shape):
        raise errors.TracedShapeError(f"a bound of shape {value.shape} does not broadcast to the result shape {shape}",
                                      fix="give bounds whose trailing dimensions match the shape or are 1")
    return primitives.broadcast_to(value, shape)


def _broadcasts(shape_a, shape_b) -> bool:
    try:
        np.broadcast_shapes(shape_a, shape_b)
    except ValueError:
        return False
    return True


# --------------------------------------------------------------------------- argument checks


def _check_key(key) -> None:
    """A key is a uint64[2] array (NumPy, ConcreteArray or traced): anything else is refused here,
    before it could reach XLA as a state of the wrong size."""
    shape, dtype = getattr(key, "shape", None), getattr(key, "dtype", None)
    if not isinstance(key, (np.ndarray, ConcreteArray, TracedArray)):
        raise errors.TracedTypeError(f"a key must be a uint64[2] array, got {type(key).__name__}", fix=_KEY_FIX)
    if tuple(shape) != KEY_SHAPE or np.dtype(dtype) != KEY_DTYPE:
        raise errors.TracedTypeError(f"a key must be a uint64[2] array, got {np.dtype(dtype)}{list(shape)}",
                                     fix=_KEY_FIX + "; with several keys (split's rows), pass one row: keys[0]")


def _check_shape(shape) -> tuple[int, ...]:
    """A static shape as a tuple of ints; an int n means (n,) as in NumPy."""
    if isinstance(shape, (int, np.integer)) and not isinstance(shape, (bool, np.bool_)):
        shape = (shape,)
    try:
        if any(isinstance(d, (bool, np.bool_)) for d in shape):
            raise TypeError
        dims = tuple(operator.index(d) for d in shape)
    except TypeError:  # also a traced dimension: its __index__ raises ConcretizationError, a TypeError
        raise errors.TracedTypeError(f"shape must be a tuple of ints, got {shape!r}",
                                     fix="pass a static shape such as (3, 4); a shape cannot be a traced value") from None
    if any(d < 0 for d in dims):
        raise errors.TracedShapeError(f"negative dimension in shape {dims}", fix="use sizes >= 0")
    return dims


def _float_dtype(dtype) -> np.dtype:
    return _dtype_among(dtype, FLOAT_DTYPES, "float16, bfloat16, float32 or float64")


def _int_dtype(dtype) -> np.dtype:
    return _dtype_among(dtype, INT_DTYPES, "a signed or unsigned integer dtype such as np.int32")


def _dtype_among(dtype, allowed, described: str) -> np.dtype:
    try:
        dtype = np.dtype(dtype)
    except TypeError:
        dtype = None
    if dtype not in allowed:
        raise errors.TracedTypeError(f"dtype {dtype} is not supported here", fix=f"use {described}")
    return dtype


def _static_int(value, what: str, *, fix: str) -> int:
    """A Python int from an int, a NumPy integer or a 0-d integer NumPy array; bools are refused."""
    if isinstance(value, np.ndarray) and value.shape == () and value.dtype.kind in "iu":
        value = value[()]
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise errors.TracedTypeError(f"{what} must be a Python int, got {value!r}", fix=fix)
    return int(value)


def _static_number(value):
    """NumPy scalars become Python numbers, so an eager call passes them as the same static
    values a traced call sees; everything else is returned as it is."""
    if isinstance(value, np.generic) and not isinstance(value, np.bool_):
        return value.item()
    return value


def _known_value(value) -> np.ndarray | None:
    """The value of a bound known before running (a number or NumPy array), else None."""
    if isinstance(value, (np.ndarray, numbers.Number)):
        return np.asarray(value)
    return None


def _broadcast_shape(*values) -> tuple[int, ...]:
    shapes = [np.shape(v) if not is_traced(v) else v.shape for v in values]
    if not all(_broadcasts(shapes[0], s) for s in shapes):
        raise errors.TracedShapeError(f"bounds of shapes {shapes} do not broadcast together",
                                      fix="give bounds whose trailing dimensions match or are 1")
    return tuple(np.broadcast_shapes(*shapes))


def _check_interval(low, high, low_name: str, high_name: str, *, finite: bool) -> None:
    """Refuse bounds known now that leave nothing to draw (or are NaN, or infinite where not allowed)."""
    low_known, high_known = _known_value(low), _known_value(high)
    for name, known in ((low_name, low_known), (high_name, high_known)):
        if known is None:
            continue
        if known.dtype.kind not in "biuf":
            raise errors.TracedTypeError(f"{name} must be a real number, got {known.dtype}", fix=f"pass {name} as a float")
        if np.any(np.isnan(known)) or (finite and not np.all(np.isfinite(known))):
            raise errors.TracedShapeError(f"{name}={known!r} is not a {'finite ' if finite else ''}number",
                                          fix=f"pass {'finite ' if finite else ''}bounds")
    if low_known is not None and high_known is not None and not np.all(low_known < high_known):
        raise errors.TracedShapeError(f"{low_name} must be below {high_name}, got {low!r} and {high!r}",
                                      fix=f"pass {low_name} < {high_name}")


def _check_int_bounds(minval, maxval, dtype: np.dtype) -> None:
    """Static integer bounds must lie in the dtype's range (maxval up to one past its largest value)."""
    for name, value in (("minval", minval), ("maxval", maxval)):
        known = None if isinstance(value, int) else _known_value(value)  # (ints past int64: object arrays)
        if known is not None and known.dtype.kind not in "biu":
            raise errors.TracedTypeError(f"randint {name} must be an integer, got {value!r}",
                                         fix=f"pass {name} as an int")
    if not (isinstance(minval, int) and isinstance(maxval, int)):
        return
    info = np.iinfo(dtype)
    if minval >= maxval:
        raise errors.TracedShapeError(f"randint needs minval < maxval, got {minval} and {maxval}",
                                      fix="pass minval < maxval (maxval is exclusive)")
    if minval < info.min or maxval > info.max + 1:
        raise errors.TracedOverflowError(
            f"[{minval}, {maxval}) does not fit {dtype}, whose values are [{info.min}, {info.max + 1})",
            fix="use a wider dtype or bounds inside its range")
