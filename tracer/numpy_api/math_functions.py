"""NumPy's elementwise math functions that are not ufuncs: round, nan_to_num, isclose, sinc, interp ...

Most are written the way NumPy itself defines them, as ufunc calls on the traced operands, so NEP 50
promotion, nan/inf handling and the signs of zeros come from the ufunc rules (tracer/numpy_api/ufuncs.py).
Complex numbers cannot be traced (no complex dtype is supported), so `real`, `imag`, `angle` and the
`is*` predicates only meet real operands: a complex constant is refused where it is lifted.
"""

from __future__ import annotations

import operator

import numpy as np

from ir.dtypes import is_floating
from ir import ops
from tracer import errors
from tracer import primitives as P
from tracer.numpy_api.registry import implements
from tracer.traced_array import check_writable, is_traced

__all__ = ["allclose", "angle", "array_equal", "fix", "imag", "interp", "isclose", "iscomplex", "isreal",
           "nan_to_num", "polyval", "real", "round_", "sinc"]


def _refuse_out(name: str, out) -> None:
    if out is not None:
        raise errors.UnsupportedNumPyError(f"numpy.{name}: out= is not supported under tracing",
                                           fix=f"assign the result instead: y = np.{name}(...)")


def _static_int(name: str, what: str, value) -> int:
    if is_traced(value):
        raise errors.ConcretizationError(f"numpy.{name}: {what} must be a Python int, not a traced value",
                                         fix=f"pass {what} as a constant (it decides the shape of the computation)")
    try:  # (NumPy reads it with operator.index: a float or an np.bool is its TypeError; fuzz seed 2424, program 1277)
        return operator.index(value)
    except TypeError as err:
        raise errors.TracedTypeError(str(err), fix=f"pass {what} as a Python int") from None


# -- rounding -------------------------------------------------------------------------------------

@implements(np.round, np.around)
def round_(a, decimals=0, out=None):
    """NumPy's PyArray_Round: rint(x * 10**d) / 10**d (x / 10**-d, then * for d < 0), so ties go to even.

    Integers are returned unchanged for d >= 0; for d < 0 they are rounded in float64 and cast back
    (wrapping as NumPy's C cast does, through int64). Bools have no float64 round trip: TypeError, as in NumPy.
    """
    _refuse_out("round", out)
    decimals = _static_int("round", "decimals", decimals)
    x = P.lift(a)
    if x.dtype == np.bool_ and decimals != 0:
        raise errors.TracedTypeError("Cannot cast ufunc 'multiply' output from dtype('float64') to dtype('bool') "
                                     "with casting rule 'same_kind'", fix="round x.astype(float) or x.astype(int) instead")
    integer = x.dtype.kind in "iu"
    if integer and decimals >= 0:
        return x
    if decimals == 0:
        return np.rint(x)  # bools too: NumPy's rint of bool gives float16
    values = P.convert(x, np.float64) if integer else x
    scale = _exact_divisor(values, 10.0 ** abs(decimals))
    if decimals >= 0:
        rounded = np.true_divide(np.rint(np.multiply(values, scale)), scale)
    else:
        rounded = np.multiply(np.rint(np.true_divide(values, scale)), scale)
    rounded = P.lift(rounded)
    return P.convert(P.convert(rounded, np.int64), x.dtype) if integer else rounded


def _exact_divisor(x, scale: float):
    """10**d in x's dtype, hidden from XLA's `x / c -> x * (1 / c)` rewrite (1/10 is inexact: round(1.235, 1)
    would give 1.199 in float16). The barrier has no derivative rule, but round's derivative is zero anyway."""
    constant = P.full(x.shape, scale, x.dtype)
    return P.wrap(ops.optimization_barrier(constant._value), x.shape, x.dtype)


@implements(np.fix)
def fix(x, out=None):
    """Round toward zero: NumPy defines it as np.trunc (integers stay integers)."""
    _refuse_out("fix", out)
    return np.trunc(P.lift(x))


# -- replacing non-finite values --------------------------------------------------------------------

@implements(np.nan_to_num)
def nan_to_num(x, copy=True, nan=0.0, posinf=None, neginf=None):
    """nan -> `nan`, +inf -> `posinf` (default: the dtype's max), -inf -> `neginf` (default: its min).

    Integer and bool arrays come back unchanged. copy=False writes the result into x (a rebinding of
    the traced value, like `x[...] = v`), so other names of x see it as they would in NumPy.
    """
    value = P.lift(x)
    if not is_floating(value.dtype):
        return value
    info = np.finfo(value.dtype)
    result = value
    for mask, replacement in ((np.isnan(value), nan), (np.isposinf(value), info.max if posinf is None else posinf),
                              (np.isneginf(value), info.min if neginf is None else neginf)):
        result = P.select(mask, _filled_like(value, replacement), result)
    if copy or not is_traced(x):
        return result
    check_writable(x)
    x._value = result._value
    return x


def _filled_like(x, fill):
    """`fill` cast to x's dtype (as np.copyto does: 1e10 becomes inf in float16), broadcast to x's shape."""
    if is_traced(fill):
        return P.broadcast_to(P.convert(fill, x.dtype), x.shape)
    with np.errstate(over="ignore"):
        return P.full(x.shape, np.asarray(fill).astype(x.dtype), x.dtype)


# -- comparisons with tolerance ------------------------------------------------------------------------

@implements(np.isclose)
def isclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    """|a - b| <= atol + rtol * |b| where b is finite, or a == b; b is made inexact first (no abs(INT_MIN))."""
    if is_traced(equal_nan):
        raise errors.ConcretizationError("numpy.isclose: equal_nan must be a Python bool, not a traced value",
                                         fix="pass equal_nan=True or equal_nan=False")
    x, y = (v if type(v) in (int, float, complex) else P.lift(v) for v in (a, b))
    if type(y) is int:
        y = float(y)
    elif not isinstance(y, (float, complex)):
        y = P.convert(y, np.result_type(y.dtype, 1.0))
    result = np.logical_or(np.logical_and(np.less_equal(np.abs(np.subtract(x, y)), np.add(atol, np.multiply(rtol, np.abs(y)))),
                                          np.isfinite(y)),
                           np.equal(x, y))
    if equal_nan:
        result = np.logical_or(result, np.logical_and(np.isnan(x), np.isnan(y)))
    return P.lift(result)


@implements(np.allclose)
def allclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    """all(isclose(a, b)) as a traced 0-d bool, where NumPy returns a Python bool.

    A Python bool would need the values at trace time. Returning the traced 0-d bool (as jax.numpy does)
    keeps it usable in np.where and as a result; `if np.allclose(...)` then raises the tracer's
    ConcretizationError, whose fix names tracer.cond.
    """
    return np.all(isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))


@implements(np.array_equal)
def array_equal(a1, a2, equal_nan=False):
    """Same shape and all elements equal, as a traced 0-d bool (see `allclose` for why not a Python bool).

    Shapes are static, so different shapes give a constant False; equal_nan counts nan == nan.
    """
    x, y = P.lift(a1), P.lift(a2)
    if x.shape != y.shape:
        return P.full((), False, np.bool_)
    equal = np.equal(x, y)
    if equal_nan and is_floating(x.dtype) or equal_nan and is_floating(y.dtype):
        equal = np.logical_or(equal, np.logical_and(np.isnan(x), np.isnan(y)))
    return np.all(equal)


# -- real and imaginary parts of real numbers --------------------------------------------------------

@implements(np.real)
def real(val):
    return P.lift(val)


@implements(np.imag)
def imag(val):
    x = P.lift(val)
    return P.full(x.shape, 0, x.dtype)


@implements(np.isreal)
def isreal(x):
    return P.full(P.lift(x).shape, True, np.bool_)


@implements(np.iscomplex)
def iscomplex(x):
    return P.full(P.lift(x).shape, False, np.bool_)


@implements(np.angle)
def angle(z, deg=False):
    """arctan2(0, z): 0 for z >= 0 (and +0.0), pi for z < 0 and -0.0, nan for nan; in degrees if `deg`."""
    result = np.arctan2(0, P.lift(z))
    return np.multiply(result, 180 / np.pi) if deg else result


def _infinity_test(name: str, positive: bool):
    def test(x, out=None):
        _refuse_out(name, out)
        value = P.lift(x)
        sign_ok = np.logical_not(np.signbit(value)) if positive else np.signbit(value)
        return np.logical_and(np.isinf(value), sign_ok)

    test.__name__ = name
    test.__doc__ = f"isinf(x) & {'~' if positive else ''}signbit(x), as NumPy defines {name}."
    return test


implements(np.isposinf)(_infinity_test("isposinf", True))
implements(np.isneginf)(_infinity_test("isneginf", False))


# -- sinc, polyval ---------------------------------------------------------------------------------

@implements(np.sinc)
def sinc(x):
    """sin(pi x) / (pi x), with 1 at 0: NumPy replaces a zero pi*x by the dtype's eps (1e-20 for non-floats)."""
    y = np.multiply(np.pi, P.lift(x))
    eps = float(np.finfo(y.dtype).eps) if is_floating(y.dtype) else 1e-20
    y = np.where(np.not_equal(y, 0), y, P.full(y.shape, eps, y.dtype))
    return np.true_divide(np.sin(y), y)


@implements(np.polyval)
def polyval(p, x):
    """Horner's rule from zeros_like(x), highest power first, with NumPy's promotion at each step."""
    coefficients = p if is_traced(p) else np.asarray(p)
    if coefficients.ndim == 0:
        raise errors.TracedShapeError("numpy.polyval: p must be a sequence of coefficients, got a 0-d value",
                                      fix="pass p as a 1-D array, highest power first")
    y = np.zeros_like(x)
    for i in range(coefficients.shape[0]):
        y = np.add(np.multiply(y, x), coefficients[i])
    return P.lift(y)


# -- interp ------------------------------------------------------------------------------------------

@implements(np.interp)
def interp(x, xp, fp, left=None, right=None, period=None):
    """Piecewise-linear interpolation in float64, NumPy's rules included:

    left/right (default fp[0]/fp[-1]) outside [xp[0], xp[-1]]; x == xp[-1] gives fp[-1] and x == xp[j]
    gives fp[j]; a nan from an infinite slope is retried from the right end of the segment, then fp[j] if
    the segment is flat. xp must be increasing (unchecked, as in NumPy). The segment of each x is found
    by counting the xp <= x, so x and xp may both be traced. period= sorts xp, so xp must then be static.
    """
    if period is not None:
        x, xp, fp = _periodic(x, xp, fp, period)
        left = right = None
    x = P.convert(P.lift(x), np.float64)
    xp, fp = (P.convert(P.lift(v), np.float64) for v in (xp, fp))
    _check_samples(xp, fp)
    n = xp.shape[0]
    low = fp[0] if left is None else left
    high = fp[n - 1] if right is None else right
    result = _segments(x, xp, fp) if n > 1 else P.broadcast_to(fp[0], x.shape)  # one point: fp[0] (even for nan)
    result = np.where(np.equal(x, xp[n - 1]), fp[n - 1], result)
    result = np.where(np.less(x, xp[0]), low, result)
    return P.lift(np.where(np.greater(x, xp[n - 1]), high, result))


def _check_samples(xp, fp) -> None:
    if xp.ndim != 1 or fp.ndim != 1:
        raise errors.TracedShapeError("numpy.interp: Data points must be 1-D sequences", fix="pass xp and fp as 1-D arrays")
    if xp.shape != fp.shape:
        raise errors.TracedShapeError(f"numpy.interp: fp and xp are not of the same length ({fp.shape[0]} vs {xp.shape[0]})",
                                      fix="give one fp value per sample point xp")
    if xp.shape[0] == 0:
        raise errors.TracedShapeError("numpy.interp: array of sample points is empty", fix="pass at least one sample point")


def _segments(x, xp, fp):
    """The interpolant inside [xp[0], xp[-1]) on the segment j with xp[j] <= x < xp[j + 1]."""
    n = xp.shape[0]
    count = np.sum(np.less_equal(xp, np.expand_dims(x, -1)), axis=-1)  # how many sample points are <= x
    j = np.clip(np.subtract(count, 1), 0, n - 2)
    x0, x1, y0, y1 = (np.take(v, np.add(j, k)) for v in (xp, fp) for k in (0, 1))
    slope = np.true_divide(np.subtract(y1, y0), np.subtract(x1, x0))
    result = np.add(np.multiply(slope, np.subtract(x, x0)), y0)
    from_right = np.add(np.multiply(slope, np.subtract(x, x1)), y1)
    result = np.where(np.isnan(result), from_right, result)
    result = np.where(np.logical_and(np.isnan(result), np.equal(y0, y1)), y0, result)
    result = np.where(np.equal(x, x0), y0, result)
    return np.where(np.isnan(x), np.nan, result)


def _periodic(x, xp, fp, period):
    """NumPy's periodic set-up: x and xp taken modulo |period|, xp sorted, one wrapped point added at each end."""
    if is_traced(period) or is_traced(xp):
        raise errors.UnsupportedNumPyError("numpy.interp: with period=, xp and period must be constants (xp is sorted)",
                                           fix="pass xp and period as NumPy arrays / Python numbers")
    if period == 0:
        raise errors.TracedShapeError("numpy.interp: period must be a non-zero value", fix="pass a non-zero period")
    period = abs(period)
    xp = np.asarray(xp, dtype=np.float64)
    fp = P.convert(P.lift(fp), np.float64)
    _check_samples(P.lift(xp), fp)
    xp = xp % period
    order = np.argsort(xp)
    xp = xp[order]
    fp = np.take(fp, order)
    xp = np.concatenate((xp[-1:] - period, xp, xp[:1] + period))
    fp = _wrap_ends(fp)
    return np.remainder(P.convert(P.lift(x), np.float64), period), xp, fp


def _wrap_ends(fp):
    """(fp[-1], *fp, fp[0]) for a traced 1-D fp."""
    pieces = [fp[fp.shape[0] - 1:], fp, fp[:1]]
    return P.wrap(ops.concatenate([piece._value for piece in pieces], 0), (fp.shape[0] + 2,), fp.dtype)
