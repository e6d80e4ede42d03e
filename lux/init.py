"""Weight initialisers (WeightInitializers.jl), drawing from an explicit `numpy.random.Generator`.

Every initialiser is `init(rng, *dims, dtype=np.float32, **options)` with dims in our (reversed)
order: a Dense weight is `(in, out)`, a conv kernel `(out, in, k...)`. Fan-in and fan-out are Lux's,
computed on the Julia order of the same dims (their reverse) by `fan_in_and_out`. The fixed-type
families `zeros32(rng, *dims)`, `randn64`, `rand16`, `randnC32` (complex64) ... take no dtype.

Partial application, as Lux's `init(rng; kwargs...)`: called without dims, an initialiser returns
itself with what was given filled in, ready to be called later as `(rng, *dims)` or `(*dims)`:

    lux.Dense(3, 4, init_weight=init.kaiming_normal(gain=0.5))          # like Lux's kaiming_normal(; gain=0.5)
    lux.Dense(3, 4, init_weight=functools.partial(init.kaiming_normal, gain=0.5))  # the same
    draw = init.glorot_uniform(rng, dtype=np.float64); w = draw(3, 4)     # rng bound, dims later

As in Lux, an initialiser called with dims but no rng (`init.glorot_uniform(3, 4)`) draws from a
fresh generator with the fixed seed 1234, so it gives the same array every time.

Numbers come from NumPy's generator, so they are not Lux's (Xoshiro) bit for bit; the
distributions, bounds, shapes and dtypes are Lux's.
"""

from __future__ import annotations

import functools
import math
import warnings

import ml_dtypes
import numpy as np

from lux.errors import LuxTypeError, LuxValueError

__all__ = [
    "calculate_gain", "fan_in_and_out", "glorot_normal", "glorot_uniform", "identity_init", "kaiming_normal",
    "kaiming_uniform", "ones16", "ones32", "ones64", "onesC32", "onesC64", "orthogonal", "rand16", "rand32", "rand64",
    "randC32", "randC64", "randn16", "randn32", "randn64", "randnC32", "randnC64", "sparse_init", "truncated_normal",
    "zeros16", "zeros32", "zeros64", "zerosC32", "zerosC64",
]

DEFAULT_SEED = 1234  # Lux's `Utils.default_rng() = Xoshiro(1234)`, for calls without an rng


def fan_in_and_out(*dims: int) -> tuple[int, int]:
    """Lux's `nfan` on the Julia order (reversed dims): () -> (1, 1); a vector (n,) -> (1, n);
    a matrix, Julia (out, in) -> (in, out); N-d, Julia (k..., in, out) -> (prod(k) in, prod(k) out)."""
    julia = tuple(reversed(dims))
    if len(julia) == 0:
        return 1, 1
    if len(julia) == 1:
        return 1, julia[0]  # a vector is an n x 1 matrix
    if len(julia) == 2:
        return julia[1], julia[0]
    receptive = math.prod(julia[:-2])
    return receptive * julia[-2], receptive * julia[-1]


def calculate_gain(activation, parameter=None) -> float:
    """Lux's `Utils.calculate_gain`: the gain the Dense/Conv default init uses for `activation`.

    identity, sigmoid: 1; relu: 2; tanh: 5/3; selu: 3/4; leakyrelu: sqrt(2 / (1 + parameter^2)),
    with parameter 0.1 when None; anything else: 1.
    """
    from lux import activations

    if activation is activations.leakyrelu:
        slope = 0.1 if parameter is None else parameter
        return math.sqrt(2.0 / (1.0 + slope**2))
    gains = {activations.relu: 2.0, activations.tanh: 5.0 / 3.0, np.tanh: 5.0 / 3.0, activations.selu: 3.0 / 4.0}
    return gains.get(activation, 1.0)


# -- calling conventions -------------------------------------------------------------------------

def _initialiser(fn):
    """Lux's call forms for `fn(rng, *dims, **options)`: without dims, a partial application;
    with dims but no rng, the fixed default generator."""

    @functools.wraps(fn)
    def init(*args, **options):
        if args and isinstance(args[0], np.random.Generator):
            rng, dims = args[0], args[1:]
        elif args and not _is_dim(args[0]):
            raise LuxTypeError(f"{fn.__name__}: the first argument must be a numpy.random.Generator or a dimension, "
                               f"got {type(args[0]).__name__}", fix=f"{fn.__name__}(np.random.default_rng(seed), 3, 4)")
        else:
            rng, dims = None, args
        if not dims:
            return functools.partial(init, *args, **options)
        _check_dims(fn.__name__, dims)
        rng = np.random.default_rng(DEFAULT_SEED) if rng is None else rng
        return fn(rng, *(int(d) for d in dims), **options)

    return init


def _is_dim(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _check_dims(name: str, dims) -> None:
    for d in dims:
        if not _is_dim(d) or d < 0:
            raise LuxTypeError(f"{name}: every dimension must be a non-negative int, got {d!r} in {dims!r}",
                               fix=f"pass the dims as separate ints, {name}(rng, 3, 4), not {name}(rng, (3, 4))")


def _float_dtype(dtype, name: str) -> np.dtype:
    dtype = np.dtype(dtype)
    try:
        ml_dtypes.finfo(dtype)
    except (TypeError, ValueError):
        raise LuxTypeError(f"{name} draws floating-point numbers, got dtype={dtype}",
                           fix="use np.float16, np.float32, np.float64 or ml_dtypes.bfloat16") from None
    if dtype.kind == "c":
        raise LuxTypeError(f"{name} draws real numbers, got dtype={dtype}", fix="use a real floating dtype")
    return dtype


# -- fixed-type families: zeros32, ones64, rand16, randn32 ... -----------------------------------

def _unit_uniform(rng, dims, dtype) -> np.ndarray:
    """Uniform on [0, 1) in `dtype`, never rounding up to 1."""
    if dtype.itemsize >= 4:
        return rng.random(dims, dtype=dtype)
    # float16: the grid k / 2048 is exact in float16 and stays below 1, as casting float32 would not.
    return (rng.integers(0, 2**11, size=dims) * 2.0**-11).astype(dtype)


def _normal(rng, dims, dtype) -> np.ndarray:
    if dtype.itemsize >= 4:
        return rng.standard_normal(dims, dtype=dtype)
    return rng.standard_normal(dims, dtype=np.float32).astype(dtype)


def _family(kind: str, bits: int):
    dtype = np.dtype(f"float{bits}")
    draw = {"zeros": lambda rng, dims: np.zeros(dims, dtype), "ones": lambda rng, dims: np.ones(dims, dtype),
            "rand": lambda rng, dims: _unit_uniform(rng, dims, dtype),
            "randn": lambda rng, dims: _normal(rng, dims, dtype)}[kind]
    what = {"zeros": "zeros", "ones": "ones", "rand": "uniform numbers in [0, 1)",
            "randn": "standard normal numbers"}[kind]

    def fixed(rng, *dims):
        return draw(rng, dims)

    fixed.__name__ = fixed.__qualname__ = f"{kind}{bits}"
    fixed.__doc__ = f"""An array of {what}, dtype float{bits}, of shape `dims`: `{kind}{bits}(rng, *dims)`."""
    return _initialiser(fixed)


def _complex_family(kind: str, bits: int):
    """Lux's C32/C64 families: complex with float32/float64 parts; rand and randn draw the real
    parts, then the imaginary parts, independently (so randn's parts are each N(0, 1))."""
    part = _family(kind, bits)
    dtype = np.dtype(f"complex{2 * bits}")

    def fixed(rng, *dims):
        if kind in ("zeros", "ones"):
            return part(rng, *dims).astype(dtype)
        real = part(rng, *dims)
        return (real + 1j * part(rng, *dims)).astype(dtype)

    fixed.__name__ = fixed.__qualname__ = f"{kind}C{bits}"
    fixed.__doc__ = f"""A complex{2 * bits} array of shape `dims` ({kind}{bits} for each part): `{kind}C{bits}(rng, *dims)`."""
    return _initialiser(fixed)


zeros16, zeros32, zeros64 = (_family("zeros", b) for b in (16, 32, 64))
ones16, ones32, ones64 = (_family("ones", b) for b in (16, 32, 64))
rand16, rand32, rand64 = (_family("rand", b) for b in (16, 32, 64))
randn16, randn32, randn64 = (_family("randn", b) for b in (16, 32, 64))
# (no C16: NumPy has no complex type with float16 parts)
zerosC32, zerosC64 = (_complex_family("zeros", b) for b in (32, 64))
onesC32, onesC64 = (_complex_family("ones", b) for b in (32, 64))
randC32, randC64 = (_complex_family("rand", b) for b in (32, 64))
randnC32, randnC64 = (_complex_family("randn", b) for b in (32, 64))


# -- fan-scaled families -------------------------------------------------------------------------

def uniform(rng, low: float, high: float, dims, dtype=np.float32) -> np.ndarray:
    """Uniform on [low, high), drawn in float64 and rounded to `dtype`."""
    return rng.uniform(low, high, size=dims).astype(dtype)


@_initialiser
def glorot_uniform(rng, *dims, gain: float = 1.0, dtype=np.float32) -> np.ndarray:
    """Xavier uniform: U(-x, x) with x = gain * sqrt(6 / (fan_in + fan_out)).

    Arguments: `rng`, `*dims` (our order). Keywords: `gain` (1), `dtype` (float32).
    """
    dtype = _float_dtype(dtype, "glorot_uniform")
    fan_in, fan_out = fan_in_and_out(*dims)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform(rng, -bound, bound, dims, dtype)


@_initialiser
def glorot_normal(rng, *dims, gain: float = 1.0, dtype=np.float32) -> np.ndarray:
    """Xavier normal: N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out)).

    Arguments: `rng`, `*dims` (our order). Keywords: `gain` (1), `dtype` (float32).
    """
    dtype = _float_dtype(dtype, "glorot_normal")
    std = gain * math.sqrt(2.0 / sum(fan_in_and_out(*dims)))
    return (rng.standard_normal(dims) * std).astype(dtype)


@_initialiser
def kaiming_uniform(rng, *dims, gain: float = math.sqrt(2.0), dtype=np.float32) -> np.ndarray:
    """He uniform: U(-x, x) with x = gain * sqrt(3 / fan_in).

    Arguments: `rng`, `*dims` (our order). Keywords: `gain` (sqrt(2)), `dtype` (float32).
    """
    dtype = _float_dtype(dtype, "kaiming_uniform")
    bound = math.sqrt(3.0) * gain / math.sqrt(fan_in_and_out(*dims)[0])
    return uniform(rng, -bound, bound, dims, dtype)


@_initialiser
def kaiming_normal(rng, *dims, gain: float = math.sqrt(2.0), dtype=np.float32) -> np.ndarray:
    """He normal: N(0, std^2) with std = gain / sqrt(fan_in).

    Arguments: `rng`, `*dims` (our order). Keywords: `gain` (sqrt(2)), `dtype` (float32).
    """
    dtype = _float_dtype(dtype, "kaiming_normal")
    std = gain / math.sqrt(fan_in_and_out(*dims)[0])
    return (rng.standard_normal(dims) * std).astype(dtype)


@_initialiser
def truncated_normal(rng, *dims, mean: float = 0.0, std: float = 1.0, lo: float = -2.0, hi: float = 2.0,
                     dtype=np.float32) -> np.ndarray:
    """N(mean, std^2) restricted to [lo, hi], by inverse CDF as Lux: uniform numbers between the
    CDF at lo and at hi, mapped back through erfinv, then clamped to [lo, hi].

    Arguments: `rng`, `*dims`. Keywords: `mean` (0), `std` (1), `lo` (-2), `hi` (2), `dtype` (float32).
    Warns (as Lux) when the mean is more than 2 std outside [lo, hi].
    """
    dtype = _float_dtype(dtype, "truncated_normal")
    if mean < lo - 2 * std or mean > hi + 2 * std:
        warnings.warn("truncated_normal: the mean is more than 2 std outside [lo, hi], so the distribution "
                      "of values may be inaccurate", stacklevel=3)
    cdf_lo, cdf_hi = _norm_cdf((lo - mean) / std), _norm_cdf((hi - mean) / std)
    u = rng.random(dims) * 2 * (cdf_hi - cdf_lo) + (2 * cdf_lo - 1)  # uniform on [erf(lo'), erf(hi'))
    values = _erfinv(u) * (std * math.sqrt(2.0)) + mean
    return np.clip(values, lo, hi).astype(dtype)


def _norm_cdf(x: float) -> float:
    return 0.5 * (1 + math.erf(x / math.sqrt(2.0)))


def _erfinv(y: np.ndarray) -> np.ndarray:
    """erfinv in float64: Giles' single-precision approximation, then two Newton steps on erf.

    (Giles, "Approximating the erfinv function", GPU Computing Gems, 2011.) +-1 give +-inf.
    """
    from lux.activations import erf

    with np.errstate(divide="ignore", invalid="ignore"):
        w = -np.log((1 - y) * (1 + y))
    w = np.where(np.isfinite(w), w, 5.0)  # y = +-1 (and |y| > 1) are set below; keep the polynomials finite
    central = np.polyval([2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087,
                          -0.00125372503, -0.00417768164, 0.246640727, 1.50140941], np.minimum(w, 5.0) - 2.5)
    tail = np.polyval([-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773,
                       -0.0076224613, 0.00943887047, 1.00167406, 2.83297682], np.sqrt(np.maximum(w, 5.0)) - 3)
    x = np.where(w < 5.0, central, tail) * y
    x = np.where(np.abs(y) == 1, np.copysign(np.inf, y), np.where(np.abs(y) > 1, np.nan, x))
    finite = np.isfinite(x)
    safe = np.where(finite, x, 0.0)
    for _ in range(2):  # Newton on erf(x) = y: erf'(x) = 2/sqrt(pi) exp(-x^2)
        step = (erf(safe) - y) / (2 / math.sqrt(math.pi) * np.exp(-safe * safe))
        safe = safe - np.where(finite, step, 0.0)
    return np.where(finite, safe, x)


# -- structured families -------------------------------------------------------------------------

@_initialiser
def orthogonal(rng, *dims, gain: float = 1.0, dtype=np.float32) -> np.ndarray:
    """A (semi-)orthogonal matrix (Saxe et al. 2014), by QR of a Gaussian matrix as Lux.

    Lux builds a Julia `rows x cols` matrix, rows = prod(julia[:-1]), cols = julia[-1], whose
    columns (or rows, when rows < cols) are orthonormal times `gain`. Our array is its transpose:
    reshaped to (dims[0], prod(dims[1:])), its rows are orthonormal when dims[0] <= prod(dims[1:]),
    its columns otherwise. Arguments: `rng`, `*dims` (at least two). Keywords: `gain` (1), `dtype`.
    """
    dtype = _float_dtype(dtype, "orthogonal")
    if len(dims) < 2:
        raise LuxValueError(f"orthogonal: creating vectors (len(dims) == {len(dims)}) is not allowed",
                            fix="give at least two dims, e.g. orthogonal(rng, 3, 4)")
    cols, rows = dims[0], math.prod(dims[1:])
    julia = _orthogonal_matrix(rng, rows, cols) * gain  # rows x cols, Julia's orientation
    return julia.T.reshape(dims).astype(dtype)


def _orthogonal_matrix(rng, rows: int, cols: int) -> np.ndarray:
    if rows < cols:
        return _orthogonal_matrix(rng, cols, rows).T
    q, r = np.linalg.qr(rng.standard_normal((rows, cols)))
    # Signs of R's diagonal make the result Haar-distributed (QR alone is biased by its sign choice).
    return q * np.where(np.diag(r) < 0, -1.0, 1.0)


@_initialiser
def sparse_init(rng, *dims, sparsity: float, std: float = 0.01, dtype=np.float32) -> np.ndarray:
    """A sparse matrix (Martens 2010): N(0, std^2) entries, ceil(sparsity * n) of each column zero.

    Lux zeroes ceil(min(1, sparsity) * rows) entries of every Julia column (rows = julia[0]) and
    shuffles each column; in our order a Julia column is a row along the last axis, so each of our
    rows holds ceil(sparsity * dims[-1]) zeros at random places.
    Arguments: `rng`, `*dims` (exactly two). Keywords: `sparsity` (required), `std` (0.01), `dtype`.
    """
    dtype = _float_dtype(dtype, "sparse_init")
    if len(dims) != 2:
        raise LuxValueError(f"sparse_init: only 2-dimensional outputs are supported, got dims {dims}",
                            fix="give two dims, e.g. sparse_init(rng, 3, 4, sparsity=0.5)")
    num_zeros = math.ceil(min(1.0, sparsity) * dims[-1])
    values = rng.standard_normal(dims) * std
    values[:, :num_zeros] = 0.0
    return rng.permuted(values, axis=-1).astype(dtype)


@_initialiser
def identity_init(rng, *dims, gain: float = 1.0, shift: int = 0, dtype=np.float32) -> np.ndarray:
    """An (approximate) identity map, scaled by `gain` and circularly shifted by `shift` (no randomness).

    1-d: zeros (a bias). 2-d: `gain` on the diagonal, shifted along Julia's first axis (our last).
    N-d, ours (out, in, k...): `gain` at [i, i, centre of each kernel axis] for i < min(in, out),
    shifted by `shift` along both channel axes: an identity convolution for odd kernels.
    Arguments: `rng` (unused), `*dims`. Keywords: `gain` (1), `shift` (0), `dtype` (float32).
    """
    dtype = _float_dtype(dtype, "identity_init")
    weights = np.zeros(dims, dtype)
    if len(dims) < 2:
        return weights
    centres = tuple((d - 1) // 2 for d in dims[2:])  # Lux's cld(d, 2), 0-based
    for i in range(min(dims[0], dims[1])):
        weights[(i, i) + centres] = gain
    if len(dims) == 2:
        return np.roll(weights, shift, axis=-1)
    return np.roll(weights, (shift, shift), axis=(0, 1))


def linear_bias(rng, fan_in: int, out: int, dtype=np.float32) -> np.ndarray:
    """Lux's default Dense/Conv bias: uniform in +-1/sqrt(fan_in)."""
    bound = 1.0 / math.sqrt(fan_in) if fan_in else 0.0
    return uniform(rng, -bound, bound, (out,), dtype)
