"""Comparing a compiled result with NumPy's: dtypes and shapes exactly, integers and bools exactly,
floats within a tolerance per dtype, NaN where NaN, infinities and the sign of zero exactly.
The sign and payload of a NaN are not compared: IEEE 754 leaves them to the implementation (x86
makes 0 * inf a negative NaN, XLA's folder a positive one), so np.signbit of a computed NaN may differ.

Two tolerances. `OUTPUT_ULPS`, for a program's outputs, is tight: anything beyond it is looked at
op by op (see `runner.localize`). `op_tolerance`, for one op given the very inputs the compiled program
gave it, is what a correct implementation may differ by: a few ulps of the result or of the inputs'
magnitude (so cancellation near zero, as in sin(pi) or x - y, is not flagged), more for functions
that XLA approximates, and a factor of the element count for sums and dot products, whose order
of accumulation differs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from benchmarks.fuzzing import values as V

# Ulps of the result (and of 1) that outputs may differ by before the differing op is looked for.
OUTPUT_ULPS = 4

# Functions that XLA computes with its own approximations (polynomials, range reductions) rather
# than correctly rounded: a few dozen ulps is a correct result for them.
APPROXIMATE = {
    "sin", "cos", "tan", "arcsin", "arccos", "arctan", "arctan2", "sinh", "cosh", "tanh", "arcsinh", "arccosh",
    "arctanh", "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "logaddexp", "logaddexp2", "power",
    "float_power", "cbrt", "sinc", "hypot", "deg2rad", "rad2deg", "degrees", "radians", "linspace", "logspace",
    "geomspace", "std", "var", "nanstd", "nanvar", "linalg.norm", "linalg.vector_norm", "linalg.matrix_norm",
    "linalg.det", "linalg.inv", "linalg.solve", "linalg.slogdet", "linalg.cholesky", "interp", "polyval",
    "percentile", "quantile", "nanpercentile", "nanquantile", "median", "nanmedian", "average", "mean", "nanmean",
    "trapezoid", "vander",
}
# Functions that accumulate (order of additions differs): tolerance scales with the count.
ACCUMULATING = {
    "sum", "nansum", "mean", "nanmean", "average", "std", "var", "nanstd", "nanvar", "cumsum", "nancumsum", "prod",
    "nanprod", "cumprod", "nancumprod", "matmul", "dot", "tensordot", "einsum", "inner", "vdot", "linalg.vecdot",
    "vecdot", "trace", "add.reduce", "multiply.reduce", "trapezoid", "convolve", "correlate", "linalg.norm",
    "linalg.vector_norm", "linalg.matrix_norm", "polyval", "linalg.det", "linalg.inv", "linalg.solve", "linalg.slogdet",
    "linalg.matrix_power", "linalg.multi_dot", "kron", "outer", "cross", "linalg.cross",
}


def eps(dtype) -> float:
    """Machine epsilon of a float dtype; 0 for the others (they compare exactly)."""
    return float(V.finfo(np.dtype(dtype)).eps) if np.dtype(dtype) in V.FLOATS else 0.0


@dataclass
class Difference:
    kind: str  # "dtype", "shape", "value", "nan", "inf", "signed-zero"
    detail: str
    position: tuple | None = None  # of the first differing element
    expected: object = None
    actual: object = None

    def __str__(self) -> str:
        return f"{self.kind}: {self.detail}"


def magnitude(arrays) -> float:
    """The largest finite |value| among the float (or integer) inputs of an op, or 0."""
    top = 0.0
    for a in arrays:
        a = np.asarray(a)
        if a.dtype.kind in "fiu" and a.size:
            with np.errstate(all="ignore"):
                finite = np.abs(a.astype(np.float64))
            finite = finite[np.isfinite(finite)]
            if finite.size:
                top = max(top, float(finite.max()))
    return top


def op_tolerance(call: str, dtype, inputs, count: int = 1) -> tuple[float, float]:
    """(rtol, atol) for one op's result in `dtype`, given its input arrays."""
    name = call.removeprefix("np.").removeprefix("numpy.")
    ulps = 64 if name in APPROXIMATE or name.split(".")[0] in APPROXIMATE else 4
    e = eps(dtype)
    scale = magnitude(inputs)
    if name in ACCUMULATING:
        # Each of `count` additions rounds at most by eps of a partial sum <= count * max|x|; summed in another
        # order (XLA's tree vs NumPy's pairwise) the results differ by about that, not by more.
        scale *= max(1, count)
    return ulps * e, ulps * e * max(scale, 1.0)


def differ(expected, actual, rtol: float | None = None, atol: float | None = None,
           signed_zeros: bool = True) -> Difference | None:
    """How `actual` (compiled) differs from `expected` (NumPy), or None if it does not."""
    expected, actual = np.asarray(expected), np.asarray(actual)
    if expected.dtype != actual.dtype:
        return Difference("dtype", f"{actual.dtype} instead of {expected.dtype}")
    if expected.shape != actual.shape:
        return Difference("shape", f"{actual.shape} instead of {expected.shape}")
    if expected.dtype.kind in "biu":
        bad = expected != actual
        return _first(bad, expected, actual, "value") if bad.any() else None
    e64, a64 = expected.astype(np.float64), actual.astype(np.float64)
    if rtol is None:
        rtol = OUTPUT_ULPS * eps(expected.dtype)
    if atol is None:
        atol = rtol
    nan_e, nan_a = np.isnan(e64), np.isnan(a64)
    if (nan_e != nan_a).any():
        return _first(nan_e != nan_a, expected, actual, "nan")
    inf_e, inf_a = np.isinf(e64), np.isinf(a64)
    both = ~nan_e & ~nan_a
    wrong_inf = both & (inf_e | inf_a) & (e64 != a64)
    if wrong_inf.any():
        return _first(wrong_inf, expected, actual, "inf")
    finite = both & ~inf_e & ~inf_a
    with np.errstate(all="ignore"):
        far = finite & (np.abs(e64 - a64) > atol + rtol * np.abs(e64))
    if far.any():
        return _first(far, expected, actual, "value")
    if signed_zeros:
        zero = finite & (e64 == 0) & (a64 == 0) & (np.signbit(e64) != np.signbit(a64))
        if zero.any():
            return _first(zero, expected, actual, "signed-zero")
    return None


def _first(mask: np.ndarray, expected: np.ndarray, actual: np.ndarray, kind: str) -> Difference:
    position = tuple(int(i) for i in np.argwhere(mask)[0]) if mask.ndim else ()
    e, a = expected[position], actual[position]
    count = int(mask.sum())
    return Difference(kind, f"{count} of {mask.size} elements; first at {position}: {a!r} instead of {e!r}",
                      position, e, a)


def same_error_kind(numpy_bases: tuple[str, ...], ours_bases: tuple[str, ...]) -> bool:
    """NumPy's and our exceptions agree if they share one of the standard kinds (ValueError...)."""
    kinds = {"IndexError", "ValueError", "TypeError", "OverflowError", "NotImplementedError", "MemoryError",
             "ZeroDivisionError", "RecursionError"}
    return bool(kinds & set(numpy_bases) & set(ours_bases))
