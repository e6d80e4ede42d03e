"""Comparing a compiled result with NumPy's: dtypes and shapes exactly, integers and bools exactly,
floats within a tolerance per dtype, NaN where NaN, infinities and the sign of zero exactly.
The sign and payload of a NaN are not compared: IEEE 754 leaves them to the implementation (x86
makes 0 * inf a negative NaN, XLA's folder a positive one), so np.signbit of a computed NaN may differ.

Two tolerances. `output_tolerance`, for a program's outputs, is tight (none at all where every op
is exact): anything beyond it is looked at op by op (see `evaluate._localize`). `op_tolerance`, for
one op given the very inputs the compiled program gave it, is what a correct implementation may
differ by: nothing for exact ops, dozens of ulps (of the result, or of the inputs' magnitude, so
cancellation near zero as in sin(pi) is not flagged) for functions XLA approximates, and for sums
and dot products a bound that grows with the element count, since the order of accumulation differs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from benchmarks.fuzzing import values as V

# Outputs computed with inexact ops may differ by this many eps (about one ulp) before the op where the
# difference starts is looked for: no looser than the tightest op tolerance (a sum rounded once: 2 eps).
OUTPUT_ULPS = 2

# Functions that XLA computes with its own approximations (polynomials, range reductions) rather
# than correctly rounded: a few dozen ulps is a correct result for them.
APPROXIMATE = {
    "sin", "cos", "tan", "arcsin", "arccos", "arctan", "arctan2", "sinh", "cosh", "tanh", "arcsinh", "arccosh",
    "arctanh", "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "logaddexp", "logaddexp2", "power",
    "float_power", "cbrt", "sinc", "hypot", "deg2rad", "rad2deg", "degrees", "radians", "linspace", "logspace",
    "geomspace", "std", "var", "nanstd", "nanvar", "linalg.norm", "linalg.vector_norm", "linalg.matrix_norm",
    "linalg.det", "linalg.inv", "linalg.solve", "linalg.slogdet", "linalg.cholesky", "interp", "polyval",
    "percentile", "quantile", "nanpercentile", "nanquantile", "median", "nanmedian", "trapezoid", "vander",
    # Decompositions iterate (LAPACK's on both sides, blocked and ordered differently): not correctly rounded either.
    "linalg.svd", "linalg.svdvals", "linalg.pinv", "linalg.cond", "linalg.eigh", "linalg.eigvalsh", "linalg.qr",
    "linalg.lstsq",
}
# Exponentials: an input's own rounding (eps * |x|) becomes a relative error of the result, so
# cosh(255) in float64 is a few hundred ulps from the true value in any implementation that reduces x.
EXPONENTIAL = {"exp", "exp2", "expm1", "cosh", "sinh", "power", "float_power", "logaddexp", "logaddexp2", "logspace",
               "geomspace"}
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


# In-place operators an index write may apply whose ufunc is approximated (`y[:] **= x` is np.power).
_APPROXIMATE_IN_PLACE = {"**=": "power"}


def calls_of(op) -> set[str]:
    """What an op computes, its bodies' ops included, as names like "sum", "linalg.norm"."""
    names = {op.call.removeprefix("np.")}
    if op.call == "index-write":  # (fuzz seed 2525, program 4867: `v[:] **= x` held to an exact answer)
        names |= {name for symbol, name in _APPROXIMATE_IN_PLACE.items() if symbol in op.template}
    for block in op.blocks:
        for inner in block.ops:
            names |= calls_of(inner)
    return names


SIXTEEN_BIT = (np.dtype(np.float16), V.BFLOAT16)


def op_tolerance(op, dtype, inputs) -> tuple[float, float]:
    """(rtol, atol) for one op's result in `dtype`, given the arrays it read.

    Exact by default: IEEE arithmetic, conversions, rounding functions, selections and data movement
    are correctly rounded on both sides (XLA on CPU uses no fast-math), so any difference is a bug.
    """
    names = calls_of(op)
    e = eps(dtype)
    scale = magnitude(inputs)
    inexact = names & (APPROXIMATE | ACCUMULATING)
    if op.blocks and inexact:
        # Approximations inside a loop or branch body, iterated and combined: loose, but not blind. In the precision
        # the body computes in, which may be narrower than the result's (a float32 sinh returned `.astype(np.float64)`
        # is float32-accurate: fuzz seed 2020, program 9258).
        e = max([e] + [eps(np.asarray(x).dtype) for x in inputs] + [eps(t) for t in _conversion_targets(op)])
        return 1024 * e, 1024 * e * max(scale, 1.0)
    if names & ACCUMULATING:
        # The sum is rounded once to `dtype` (two correct results are <= 1 ulp apart: 2 eps), after additions in
        # an accumulator (float32 for 16-bit floats, as NumPy does) whose order differs between NumPy (pairwise)
        # and XLA (a tree): each of `count` additions rounds by at most eps of a partial sum <= count * max|x|.
        count = max(1, int(op.info.get("count", 1)))
        accumulator = eps(np.float32) if np.dtype(dtype) in SIXTEEN_BIT else e
        final = 64 if names & APPROXIMATE else 2
        return final * e, 4 * accumulator * count * scale
    if names & APPROXIMATE:
        # Absolute error relative to the inputs' magnitude too: sin(1e4) after range reduction, log near 1.
        rtol = 64 * e * (max(1.0, min(scale, 1e4)) if names & EXPONENTIAL else 1.0)
        return rtol, 64 * e * max(scale, 1.0)
    return 0.0, 0.0


_BY_NAME = {dtype.name: dtype for dtype in V.FLOATS}


def _conversion_targets(op) -> list[np.dtype]:
    """The dtypes an op's bodies convert into (`v.astype(np.float16)`), their bodies' included."""
    targets = []
    for block in op.blocks:
        for inner in block.ops:
            targets += [_BY_NAME[str(t)] for t in inner.info.get("dst", ()) if str(t) in _BY_NAME]
            targets += _conversion_targets(inner)
    return targets


def output_tolerance(program, name: str, dtype) -> tuple[float, float]:
    """For a program's output: exact if every op it depends on is exact, else OUTPUT_ULPS. Beyond it the
    op where the difference starts is looked for (evaluate._localize)."""
    inexact = any(calls_of(program.op(d)) & (APPROXIMATE | ACCUMULATING) for d in program.dependencies()[name]
                  if program.op(d) is not None)
    e = eps(dtype)
    return (OUTPUT_ULPS * e, OUTPUT_ULPS * e) if inexact else (0.0, 0.0)


def differ(expected, actual, rtol: float = 0.0, atol: float = 0.0, signed_zeros: bool = True) -> Difference | None:
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
    """NumPy's and our exceptions agree if they are of one class (NumPy code run as it is, e.g. an
    AttributeError) or share one of the standard kinds (ValueError...)."""
    kinds = {"IndexError", "ValueError", "TypeError", "OverflowError", "NotImplementedError", "MemoryError",
             "ZeroDivisionError", "RecursionError"}
    return numpy_bases[:1] == ours_bases[:1] or bool(kinds & set(numpy_bases) & set(ours_bases))
