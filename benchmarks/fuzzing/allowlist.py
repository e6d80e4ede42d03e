"""What a difference between NumPy and a compiled run may be, besides a bug.

`DOCUMENTED`: the differences README.md documents ("NumPy programs under tracing"). Each
rule quotes the sentence it rests on and matches only that situation, at the op where the
difference starts (so a documented difference upstream does not hide a bug downstream).

`KNOWN`: wrong answers that issue 16 lists and another change is fixing. They are counted apart from
new findings; tests/test_fuzz.py pins each with an xfail(strict=True) test, so a fix shows up as an
unexpected pass and its rule here is then deleted.

A rule sees a `Case`: the op where the difference starts, the values its inputs had in the compiled
run, NumPy's result and warnings on those inputs, and the compiled result.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from benchmarks.fuzzing import values as V
from benchmarks.fuzzing.compare import Difference, differ, op_tolerance
from benchmarks.fuzzing.program import Op, Program, namespace, run_op, run_statement
from benchmarks.fuzzing.workers import ErrorInfo


@dataclass
class Case:
    """One difference, as the rules see it."""

    kind: str  # a compare.Difference kind, or "numpy-raised", "ours-raised", "error-kind", "crash", "hang"
    comparison: str  # "numpy vs optimize=False", "numpy vs optimize=True", "optimize=False vs optimize=True"
    program: Program
    op: Op | None = None  # where the difference starts, if found
    inputs: dict | None = None  # the op's inputs as the compiled program computed them
    expected: object = None  # NumPy's result of the op on `inputs` (or the other compiled run's)
    actual: object = None  # the compiled result of the op
    numpy_error: BaseException | None = None
    ours_error: ErrorInfo | None = None
    warnings: list[str] = field(default_factory=list)  # NumPy's RuntimeWarnings computing `expected`
    difference: Difference | None = None
    detail: str = ""

    @property
    def call(self) -> str:
        return self.op.call if self.op is not None else ""

    def input_dtypes(self) -> set[np.dtype]:
        return {np.asarray(v).dtype for v in (self.inputs or {}).values() if isinstance(v, (np.ndarray, np.generic))}


@dataclass(frozen=True)
class Rule:
    name: str
    why: str  # the README sentence or the issue item it rests on
    applies: Callable[[Case], bool]


def _result_is_integer(case: Case) -> bool:
    return case.actual is not None and np.asarray(case.actual).dtype.kind in "biu"


def _warned_integer_result(case: Case) -> bool:
    # Integer results NumPy computes with a RuntimeWarning ("divide by zero encountered in floor_divide",
    # "invalid value encountered in cast" for NaN or out-of-range floats to integers). Float results
    # with warnings (log(0), 0/0) are IEEE-defined and must agree, so they are not covered.
    return case.kind in ("value", "signed-zero") and bool(case.warnings) and _result_is_integer(case)


def _negative_integer_power(case: Case) -> bool:
    return (case.kind == "numpy-raised" and isinstance(case.numpy_error, ValueError)
            and "negative integer powers" in str(case.numpy_error))


def _traced_positions(case: Case) -> bool:
    return (case.kind == "numpy-raised" and isinstance(case.numpy_error, IndexError)
            and case.op is not None and case.op.info.get("traced_index", False))


def _run_time_raise(case: Case) -> bool:
    if case.kind != "numpy-raised" or case.op is None:
        return False
    message = str(case.numpy_error)
    return (case.call in ("np.linalg.solve", "np.linalg.inv") and type(case.numpy_error).__name__ == "LinAlgError"
            or case.call in ("np.nanargmax", "np.nanargmin") and "All-NaN slice" in message
            or case.call == "np.average" and isinstance(case.numpy_error, ZeroDivisionError)
            or case.call == "np.geomspace" and "cannot include zero" in message and _traced_zero_end(case))


def _traced_zero_end(case: Case) -> bool:
    """np.geomspace's start or stop is zero in a traced input (a zero written in the op's text raises traced too)."""
    return any(np.asarray(case.inputs[name]).size and not np.all(np.asarray(case.inputs[name]))
               for name in case.op.uses if name in (case.inputs or {}))


def _concretization(case: Case) -> bool:
    # NumPy functions that use an argument as a Python flag or count (`np.angle(z, deg)`, `np.round(x, decimals)`)
    # run `if deg:` on it: with a traced value that is Python control flow on a traced value.
    return case.kind == "ours-raised" and case.ours_error is not None and "ConcretizationError" in case.ours_error.bases


_VALUE_DEPENDENT_SHAPE = re.compile(r"data-dependent|depends on (the mask's|its) values|would depend on it")


def _value_dependent_shape(case: Case) -> bool:
    # np.extract / np.compress / x[mask] with a traced condition: the tracer's message says why it cannot.
    return (case.kind == "ours-raised" and case.ours_error is not None
            and bool(_VALUE_DEPENDENT_SHAPE.search(case.ours_error.message)))


def _unstable_argsort(case: Case) -> bool:
    return case.call == "np.argsort" and "stable" not in case.op.template and case.kind == "value"


# A float written in the op's text (`np.full_like(x, -5.15)`, `y[i] = 300.0`, `np.inf`): converted by the op too.
_FLOAT_LITERAL = re.compile(r"(?<![\w.])(\d+\.\d*|\d*\.\d+|\d+e[-+]?\d+)|np\.(inf|nan)\b|float\(")


_TO_INTEGER = re.compile(r"astype\((np\.)?u?int")  # (a body's return may convert: `return (i + 1, v.astype(np.uint64))`)


def _float_to_integer_in_a_body(op: Op) -> bool:
    return any(_TO_INTEGER.search(block.ret) or any(
        inner.call == "astype" and any(np.dtype(t).kind in "iu" for t in inner.info.get("dst", ()))
        or _float_to_integer_in_a_body(inner) for inner in block.ops) for block in op.blocks)


def _float_to_integer_saturates(case: Case) -> bool:
    """A float an integer type cannot hold saturates in XLA (nan gives 0); NumPy's result there is the platform's
    (it wraps through int64 on x86: -3.77 -> uint8 253). Matches an integer result that takes a float (an input or a
    literal) and differs from NumPy's only where it holds the type's min, max or 0; or a loop or branch whose body
    converts floats to integers, where NumPy warned that a cast was invalid or the result is only saturated
    differently (the difference is then carried on)."""
    if case.op is not None and case.op.blocks and case.kind in ("value", "nan", "inf", "signed-zero"):
        return _float_to_integer_in_a_body(case.op) and (any("invalid value encountered in cast" in w
                                                             for w in case.warnings)
                                                         or _only_saturated(case, _body_integer_targets(case.op))
                                                         or _whole_numbers_apart(case))
    if case.kind != "value" or case.actual is None or case.expected is None or case.op is None:
        return False
    actual, expected = np.asarray(case.actual), np.asarray(case.expected)
    if actual.dtype.kind not in "iu" or actual.shape != expected.shape:
        return False
    if not (any(V.is_float(np.asarray(v).dtype) for v in (case.inputs or {}).values())
            or _FLOAT_LITERAL.search(case.op.template)):
        return False
    return _only_saturated(case) or _as_if_saturated_first(case) or _as_if_var_saturated(case)


def _constant_zero_added(case: Case) -> bool:
    """XLA drops `x + 0` for a constant 0, so a -0.0 stays -0.0 (IEEE and NumPy: 0.0). Matches a signed-zero
    difference where every differing element is our -0.0 for NumPy's 0.0, and the op adds a zero: a literal 0 (or a
    Python False added, which adds as 0: fuzz seed 2020, program 3872) or an input of zeros only (a constant once traced: np.zeros, np.resize of an empty array)."""
    if case.kind != "signed-zero" or case.actual is None or case.expected is None or case.op is None:
        return False
    actual, expected = np.asarray(case.actual, np.float64), np.asarray(case.expected, np.float64)
    if actual.shape != expected.shape:
        return False
    differing = np.signbit(actual) != np.signbit(expected)
    if not (np.all(np.signbit(actual[differing])) and np.all(actual[differing] == 0)):
        return False
    zeros = any(np.asarray(v).size and not np.any(np.asarray(v)) for v in (case.inputs or {}).values())
    return zeros or bool(_ZERO_LITERAL.search(case.op.template)) or bool(_FALSE_ADDED.search(case.op.template))


_ZERO_LITERAL = re.compile(r"(?<![\w.{])0(?:\.0*)?(?![\w.}])")
# A Python False added (it adds as 0): `np.add(x, False)`, `x + False`, `False + x`; not a keyword's False.
_FALSE_ADDED = re.compile(r"np\.add\((?:\{\d\}, False|False, \{\d\})\)|\{\d\} \+ False\b|\bFalse \+ \{\d\}")


def _saturated(values, dtype: np.dtype) -> np.ndarray:
    """Floats converted to an integer dtype as XLA converts them: nan to 0, beyond the range to its min or max."""
    info = np.iinfo(dtype)
    with np.errstate(invalid="ignore"):
        return np.clip(np.nan_to_num(np.asarray(values, np.float64), nan=0.0), info.min, info.max).astype(dtype)


def _var_saturating(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, **unused):
    """NumPy's _var (numpy/_core/_methods.py) with an integer dtype= of floats, each of its conversions into that
    dtype saturating: the mean's sum, the mean cast back, the squared deviations' sum, the result cast back."""
    arr, dtype = np.asanyarray(a), np.dtype(dtype)
    axes = tuple(range(arr.ndim)) if axis is None else tuple(np.atleast_1d(axis) % max(arr.ndim, 1))
    count = int(np.prod([arr.shape[d] for d in axes]))
    mean = np.sum(_saturated(arr, dtype), axis=axes, dtype=dtype, keepdims=True)
    with np.errstate(all="ignore"):
        mean = _saturated(np.true_divide(mean, count), dtype)
        deviation = arr - mean
        total = np.sum(_saturated(deviation * deviation, dtype), axis=axes, dtype=dtype, keepdims=keepdims)
        return _saturated(np.true_divide(total, max(count - ddof, 0)), dtype)


class _NumPyConvertingAsXLA:
    """`np` for an op's text, but np.var converting as XLA does (`_var_saturating`)."""

    var = staticmethod(_var_saturating)

    def __getattr__(self, name):
        return getattr(np, name)


def _as_if_var_saturated(case: Case) -> bool:
    """np.var with an integer dtype= of floats converts into that dtype twice inside (NumPy wraps, XLA saturates), so
    saturating the inputs first (`_as_if_saturated_first`) is not enough: NumPy's algorithm, saturating at each
    conversion, gives the compiled result."""
    if case.call != "np.var" or not any(V.is_float(np.asarray(v).dtype) for v in (case.inputs or {}).values()):
        return False
    scope = namespace()
    scope["np"] = _NumPyConvertingAsXLA()
    scope.update({name: np.asarray(value).copy() for name, value in (case.inputs or {}).items()})
    try:
        run_statement(case.op.render(), scope)
    except Exception:  # noqa: BLE001
        return False
    return differ(np.asarray(scope[case.op.out]).astype(np.asarray(case.actual).dtype), case.actual, 0.0, 0.0) is None


def _as_if_saturated_first(case: Case) -> bool:
    """An op converting its float inputs to its integer result dtype on the way (np.sum(x, dtype=np.uint32)): NumPy's
    result on the inputs saturated into that dtype first is the compiled one."""
    actual = np.asarray(case.actual)
    info = np.iinfo(actual.dtype)
    with np.errstate(invalid="ignore"):
        saturated = {name: np.clip(np.nan_to_num(np.asarray(v, np.float64), nan=0.0), info.min, info.max).astype(
            actual.dtype) if V.is_float(np.asarray(v).dtype) else v for name, v in (case.inputs or {}).items()}
    try:
        emulated, _ = run_op(case.op, saturated)
    except Exception:  # noqa: BLE001
        return False
    return differ(np.asarray(emulated).astype(actual.dtype), actual, 0.0, 0.0) is None


def _whole_numbers_apart(case: Case) -> bool:
    """A float result of a body that converted to integers and back (`v.astype(np.uint8).astype(np.float32)`): where
    it differs, both sides hold whole numbers (one wrapped, one saturated)."""
    actual, expected = np.asarray(case.actual), np.asarray(case.expected)
    if not V.is_float(actual.dtype) or actual.shape != expected.shape:
        return False
    with np.errstate(invalid="ignore"):
        a, e = actual.astype(np.float64), expected.astype(np.float64)
        apart = a != e
        return bool(apart.any() and np.isfinite(a[apart]).all() and np.isfinite(e[apart]).all()
                    and (a[apart] == np.round(a[apart])).all() and (e[apart] == np.round(e[apart])).all())


def _only_saturated(case: Case, converted_through=()) -> bool:
    """An integer result that differs from NumPy's only where it holds its type's min, max or 0 (or those of the
    integer types a body converted its floats into on the way: `x.astype(np.int8).astype(np.int32)` holds -128 where
    NumPy's wrapped -190 gives 66; fuzz seed 2525, program 469)."""
    actual, expected = np.asarray(case.actual), np.asarray(case.expected)
    if actual.dtype.kind not in "iu" or actual.shape != expected.shape:
        return False
    limits = [0] + [limit for dtype in (actual.dtype, *converted_through)
                    for limit in (np.iinfo(dtype).min, np.iinfo(dtype).max)]
    return bool(np.isin(actual[actual != expected], limits).all())


_INTEGER_NAMES = {dtype.name for dtype in V.INTEGERS}
_TO_INTEGER_DTYPE = re.compile(r"astype\((?:np\.)?(u?int\d+)")


def _body_integer_targets(op: Op) -> list[np.dtype]:
    """The integer dtypes an op's bodies convert into (astype ops and the bodies' returns), nested bodies too."""
    targets = []
    for block in op.blocks:
        targets += [np.dtype(name) for name in _TO_INTEGER_DTYPE.findall(block.ret)]
        for inner in block.ops:
            if inner.call == "astype":
                targets += [np.dtype(str(t)) for t in inner.info.get("dst", ()) if str(t) in _INTEGER_NAMES]
            targets += _body_integer_targets(inner)
    return targets


_DIVIDING_CALLS = {"np.divide", "np.true_divide"}
_NUMBER_LITERAL = re.compile(r"(?<![\w.{])\d")  # (not the digits of `{0}` placeholders or of names)


_DIVISION = re.compile(r"(?:np\.(?:true_)?divide\(\{\d\}, |\{\d\} / )\{(\d)\}")


def _divisor_is_a_constant(case: Case) -> bool:
    """Whether the op divides by one of the program's constants (`{0} / {1}`, `np.divide({0}, {1})`)."""
    match = _DIVISION.search(case.op.template)
    return match is not None and case.op.uses[int(match.group(1))] in {name for name, _ in case.program.consts}


def _flushed_reciprocal(b):
    """1 / b as XLA's CPU backend has it: a subnormal reciprocal (|b| beyond 1 / the smallest normal) is zero."""
    with np.errstate(all="ignore"):
        reciprocal = np.true_divide(1, b)
    return flush_subnormals(np.asarray(reciprocal))


def _divide_by_reciprocal(a, b, *args, **kwargs):
    with np.errstate(all="ignore"):
        return np.multiply(a, _flushed_reciprocal(np.asarray(b, np.result_type(a, b, 1.0))))


def _average_by_reciprocal(a, axis=None, weights=None, returned=False, *, keepdims=False):
    """np.average with weights of a's shape, dividing by the weights' sum as XLA does: times its reciprocal."""
    a = np.asarray(a)
    if weights is None or returned or np.shape(weights) != a.shape:
        return np.average(a, axis=axis, weights=weights, returned=returned, keepdims=keepdims)
    w = np.asarray(weights)
    dtype = np.result_type(a.dtype, w.dtype, *([np.float64] if a.dtype.kind in "biu" else []))
    with np.errstate(all="ignore"):
        total = np.sum(np.multiply(a, w, dtype=dtype), axis=axis, keepdims=keepdims)
        return np.multiply(total, _flushed_reciprocal(np.sum(w, axis=axis, dtype=dtype, keepdims=keepdims)))


class _NumPyDividingByReciprocals:
    """`np` for an op's text, but its divisions multiply by the divisor's reciprocal, flushed as XLA's."""

    divide = true_divide = staticmethod(_divide_by_reciprocal)
    average = staticmethod(_average_by_reciprocal)

    def __getattr__(self, name):
        return getattr(np, name)


def _reciprocal_is_subnormal(case: Case) -> bool:
    """The same rewrite, where the divisor's reciprocal is subnormal and so flushed to zero on CPU: x / 3.4e38 is 0
    (-1.8e-38 in NumPy), -inf / 3.4e38 nan. Matches a np.divide or np.average whose compiled result is NumPy's with
    each division a multiplication by the flushed reciprocal (fuzz seed 2525, program 605)."""
    if case.kind not in ("value", "nan", "inf", "signed-zero") or case.inputs is None:
        return False
    if case.call not in _DIVIDING_CALLS | {"np.average"}:
        return False
    try:
        emulated, _ = run_op(case.op, case.inputs, numpy=_NumPyDividingByReciprocals())
    except Exception:  # noqa: BLE001
        return False
    actual = np.asarray(case.actual)
    if not V.is_float(actual.dtype):
        return False
    emulated = np.asarray(emulated).astype(actual.dtype)
    rtol, atol = op_tolerance(case.op, actual.dtype, list(case.inputs.values()))
    rtol += 3 * float(V.finfo(actual.dtype).eps)
    # (only where a flushed reciprocal makes the difference: a rounding alone is the rule above's to judge)
    return (differ(emulated, actual, rtol, atol) is None
            and case.expected is not None and differ(case.expected, emulated, rtol, atol) is not None)


def _division_by_a_broadcast_divisor(case: Case) -> bool:
    """XLA rewrites `a / broadcast(b)` into `a * broadcast(1 / b)` (its algebraic simplifier, unconditionally):
    two roundings, so a quotient may be an ulp off; `a / constant` too. Matches a float division whose result is
    within an ulp or so of NumPy's and whose divisor may be broadcast or constant: an input smaller than the result,
    a literal, or one of the program's constants."""
    if case.kind != "value" or case.op is None or case.actual is None or case.expected is None:
        return False
    if case.call not in _DIVIDING_CALLS and "/" not in case.op.template.replace("//", ""):
        return False
    actual = np.asarray(case.actual)
    if not V.is_float(actual.dtype) or actual.size <= 1:
        return False
    # (an input smaller than the result is broadcast; an int divisor converts first, then is broadcast too; XLA
    # rewrites a division by a constant of any shape the same way)
    broadcast = any(np.asarray(v).size < actual.size for v in (case.inputs or {}).values())
    constant = _divisor_is_a_constant(case)
    if not (broadcast or constant or _NUMBER_LITERAL.search(case.op.template)):
        return False
    two_roundings = 3 * float(V.finfo(actual.dtype).eps)
    return differ(case.expected, case.actual, two_roundings, 0.0) is None


_CONTRACTIONS = {"np.matmul", "np.dot", "np.tensordot", "np.einsum", "np.inner", "np.vdot", "np.linalg.vecdot",
                 "np.vecdot", "np.linalg.multi_dot", "np.linalg.matmul", "np.linalg.tensordot"}


def _unrounded_products(case: Case) -> bool:
    """XLA's dot adds each product unrounded (a fused multiply-add), so a product beyond the dtype's range does not
    become inf first: [inf, 135] @ [1, -3.4e38] is inf in float32 where NumPy's rounded products give inf - inf =
    nan. Matches a contraction whose inf/nan differences are what the products computed in float64 give."""
    if case.call not in _CONTRACTIONS or case.kind not in ("nan", "inf") or case.inputs is None:
        return False
    actual = np.asarray(case.actual)
    if actual.dtype not in (np.dtype(np.float16), np.dtype(np.float32), V.BFLOAT16):
        return False
    wide = {name: np.asarray(v).astype(np.float64) if V.is_float(np.asarray(v).dtype) else v
            for name, v in case.inputs.items()}
    try:
        emulated, _ = run_op(case.op, wide)
    except Exception:  # noqa: BLE001
        return False
    with np.errstate(over="ignore", invalid="ignore"):
        emulated = np.asarray(emulated).astype(actual.dtype)
    special = ~np.isfinite(emulated) | ~np.isfinite(actual)
    return emulated.shape == actual.shape and bool(
        (np.isnan(emulated[special]) == np.isnan(actual[special])).all()
        and (np.isinf(emulated[special]) == np.isinf(actual[special])).all()
        and (np.signbit(emulated[special & np.isinf(emulated)]) == np.signbit(actual[special & np.isinf(emulated)])).all())


# NumPy's nan-functions that find NaNs through `issubclass(dtype.type, np.inexact)` (its `_replace_nan`): ml_dtypes'
# bfloat16 is not an np.inexact, so for it they skip nothing. (nanmax/nanmin use np.fmax; nanmedian & co np.isnan.)
_NAN_SKIPPING_BY_DTYPE = {"np.nansum", "np.nanmean", "np.nanvar", "np.nanstd", "np.nancumsum", "np.nanprod",
                          "np.nancumprod", "np.nanargmax", "np.nanargmin", "np.nan_to_num"}


def _nan_to_num_as_for_floats(x, copy=True, nan=0.0, posinf=None, neginf=None):
    """np.nan_to_num as NumPy computes it for its own float dtypes, for any float dtype (bfloat16 too)."""
    x = np.asarray(x)
    info = V.finfo(x.dtype)
    wide = x.astype(np.float64)
    wide = np.where(np.isnan(wide), nan, wide)
    wide = np.where(wide == np.inf, info.max if posinf is None else posinf, wide)
    wide = np.where(wide == -np.inf, info.min if neginf is None else neginf, wide)
    with np.errstate(over="ignore"):
        return wide.astype(x.dtype)


class _NumPyReplacingBfloat16:
    """`np` for an op's text, but np.nan_to_num replacing bfloat16 NaNs and infinities (`_nan_to_num_as_for_floats`)."""

    nan_to_num = staticmethod(_nan_to_num_as_for_floats)

    def __getattr__(self, name):
        return getattr(np, name)


def _bfloat16_nans_skipped(case: Case) -> bool:
    """Matches a NumPy nan-function on bfloat16 NaNs (or np.nan_to_num on bfloat16 NaNs or infinities) whose compiled
    result is what it gives with the NaNs skipped (NumPy's result on the inputs as float32, in the compiled result's
    dtype)."""
    if case.call not in _NAN_SKIPPING_BY_DTYPE or V.BFLOAT16 not in case.input_dtypes() or case.inputs is None:
        return False
    # (np.nan_to_num of bfloat16 changes nothing in NumPy, infinities included: ours replaces those too)
    special = np.isinf if case.call == "np.nan_to_num" else (lambda a: np.zeros(a.shape, bool))
    if not any((np.isnan(a) | special(a)).any() for a in (np.asarray(v, np.float32) for v in case.inputs.values()
                                                          if np.asarray(v).dtype == V.BFLOAT16)):
        return False
    widened = {name: np.asarray(v).astype(np.float32) if np.asarray(v).dtype == V.BFLOAT16 else v
               for name, v in case.inputs.items()}
    try:  # (np.nan_to_num on the bfloat16 values, as NumPy does it for a float dtype: infinities to bfloat16's limits)
        emulated, _ = run_op(case.op, case.inputs, numpy=_NumPyReplacingBfloat16()) if case.call == "np.nan_to_num" \
            else run_op(case.op, widened)
    except Exception:  # noqa: BLE001
        return False
    actual = np.asarray(case.actual)
    emulated = np.asarray(emulated).astype(actual.dtype)
    rtol, atol = op_tolerance(case.op, actual.dtype, list(widened.values()))
    return differ(emulated, actual, max(rtol, 2 * float(V.finfo(V.BFLOAT16).eps)), atol) is None


def _bfloat16_nanmedian_along_an_axis(case: Case) -> bool:
    """NumPy's nanmedian along an axis takes, for a dtype it does not count as inexact (bfloat16), its masked-array
    path: float64 results, or a TypeError where a slice holds a NaN. Traced: the bfloat16 median of the numbers."""
    return (case.call == "np.nanmedian" and V.BFLOAT16 in case.input_dtypes()
            and (case.kind == "dtype" or case.kind == "numpy-raised" and isinstance(case.numpy_error, TypeError)))


def _nan_quantile_dtype_of_all_nan(case: Case) -> bool:
    """NumPy's nanquantile/nanpercentile with an array q give the input's float dtype when every slice is all-NaN
    and the promoted one (float64 with a float64 q) otherwise: a dtype decided by the values."""
    return (case.kind == "dtype" and case.call in ("np.nanquantile", "np.nanpercentile")
            and any(V.is_float(np.asarray(v).dtype) and np.isnan(np.asarray(v, np.float64)).any()
                    for v in (case.inputs or {}).values()))



def _eig_always_complex(case: Case) -> bool:
    """np.linalg.eig/eigvals give complex results even where every eigenvalue is real (NumPy's dtype then is real)."""
    return (case.kind == "dtype" and case.call in ("np.linalg.eig", "np.linalg.eigvals")
            and any(np.iscomplexobj(a) for a in _leaves(case.actual))
            and not any(np.iscomplexobj(e) for e in _leaves(case.expected)))


def _leaves(value) -> list:
    return [leaf for item in value for leaf in _leaves(item)] if isinstance(value, tuple) else [value]

SIXTEEN_BIT = {np.dtype(np.float16), V.BFLOAT16}
REDUCING_CALLS = {"np.sum", "np.mean", "np.var", "np.std", "np.nansum", "np.nanmean", "np.nanvar", "np.nanstd",
                  "np.average", "np.cumsum", "np.nancumsum", "np.prod", "np.nanprod", "np.cumprod", "np.nancumprod",
                  "np.matmul", "np.dot", "np.tensordot", "np.einsum", "np.inner", "np.vdot", "np.linalg.vecdot",
                  "np.trace", "np.add.reduce", "np.multiply.reduce", "np.trapezoid", "np.kron", "np.outer",
                  "np.linalg.norm", "np.linalg.vector_norm", "np.linalg.matrix_norm", "np.median", "np.nanmedian",
                  "np.percentile", "np.quantile", "np.nanpercentile", "np.nanquantile", "np.polyval"}


def _sixteen_bit_rounded_once(case: Case) -> bool:
    """16-bit floats accumulate in float32 and round once, where NumPy's bfloat16 reductions (ml_dtypes) and 16-bit
    cumulative sums and products round every partial result to 16 bits. Matches a reduction of 16-bit floats whose
    compiled result is NumPy's on the inputs as float32, rounded to the result's dtype."""
    if case.call not in REDUCING_CALLS or not (case.input_dtypes() & SIXTEEN_BIT) or case.kind not in ("value", "inf"):
        return False
    widened = {name: np.asarray(v).astype(np.float32) if np.asarray(v).dtype in SIXTEEN_BIT else v
               for name, v in case.inputs.items()}
    try:
        emulated, _ = run_op(case.op, widened)
    except Exception:  # noqa: BLE001
        return False
    actual = np.asarray(case.actual)
    with np.errstate(over="ignore"):
        emulated = np.asarray(emulated).astype(actual.dtype)
    rtol, atol = op_tolerance(case.op, np.float32, list(widened.values()))
    narrow = float(V.finfo(actual.dtype).eps) if actual.dtype in V.FLOATS else 0.0
    return differ(emulated, actual, rtol + narrow, atol) is None


def flush_subnormals(value):
    array = np.asarray(value)
    if array.dtype not in V.FLOATS:
        return value
    tiny = float(V.finfo(array.dtype).tiny)
    with np.errstate(all="ignore"):
        small = (array != 0) & (np.abs(array.astype(np.float64)) < tiny)
    if not small.any():
        return value
    return np.where(small, np.copysign(np.zeros((), array.dtype), array), array).astype(array.dtype)


def _has_subnormals(value) -> bool:
    return flush_subnormals(value) is not value


_NUMBER_IN_TEXT = re.compile(r"(?<![\w.{])-?(?:\d+\.\d*|\d*\.\d+)(?:e[-+]?\d+)?|(?<![\w.{])-?\d+e[-+]?\d+")


def _subnormal_literal(case: Case) -> bool:
    """A number written in the op's text that is subnormal in a float dtype the op reads (`x == 1.4e-45` of float32:
    fuzz seed 2525, program 4040)."""
    dtypes = {np.asarray(v).dtype for v in case.inputs.values()} & set(V.FLOATS)
    numbers = [float(text) for text in _NUMBER_IN_TEXT.findall(case.op.template)]
    return any(_has_subnormals(np.asarray(number).astype(dtype)) for number in numbers for dtype in dtypes)


def _subnormal_flush(case: Case) -> bool:
    """XLA on CPU flushes subnormals to zero (README), and not uniformly: arithmetic and comparisons read them as
    zero (x86's DAZ), data movement (np.where, copies) keeps them, and its own algorithms flush intermediate
    values (arctan2 of two subnormals divides them: 0/0). So NumPy's answer on flushed inputs is no model of
    XLA's; instead this matches a difference at an op that reads a subnormal, or whose NumPy result is (or
    needs) one. Between the two compilations too: our `fold` keeps subnormals that XLA's run time flushes."""
    if case.op is None or case.inputs is None or case.kind not in ("value", "nan", "inf", "signed-zero"):
        return False
    if any(_has_subnormals(v) for v in case.inputs.values()) or _subnormal_literal(case):
        return True
    try:
        reference, _ = run_op(case.op, case.inputs)
    except Exception:  # noqa: BLE001
        return False
    return _has_subnormals(reference)


DOCUMENTED = (
    Rule("warned-integer-values",
         'README: "Values NumPy computes at run time with an error or warning - integer division by zero, '
         'integers to negative integer powers - give XLA\'s answers, not an exception." (integer results only; '
         "this includes NaN and out-of-range floats converted to integers, which NumPy warns about)",
         _warned_integer_result),
    Rule("float-to-integer-saturates",
         'README: "Floats converted to an integer type that cannot hold them saturate: beyond the range they give the '
         'type\'s min or max (inf too) and nan gives 0, as XLA (and JAX) convert; NumPy\'s results there are the '
         'platform\'s"', _float_to_integer_saturates),
    Rule("constant-zero-added",
         'README: "Adding a constant zero keeps a -0.0: XLA\'s simplifier drops `x + 0` where the 0 is a constant (as '
         'under JAX), so `-0.0 + 0.0` is -0.0 where IEEE 754 and NumPy give 0.0"', _constant_zero_added),
    Rule("division-by-a-broadcast-divisor",
         'README: "A division by an array broadcast to a larger shape (`x / x.sum()`, `x / 2.5`, `x / row`) or by a '
         'constant is a multiplication by its reciprocal in XLA: two roundings, so a quotient may be an ulp off '
         'NumPy\'s"',
         _division_by_a_broadcast_divisor),
    Rule("division-by-a-reciprocal-flushed-to-zero",
         'README: "... where that reciprocal is subnormal (a divisor beyond about 8.5e37 in float32) it is flushed to '
         'zero on CPU, so the quotient is 0 (or nan for an infinite dividend)"', _reciprocal_is_subnormal),
    Rule("dot-products-unrounded",
         'README: "Dot products (matmul, dot, einsum ...) add each product unrounded (fused multiply-add): one '
         'that overflows alone does not become inf"', _unrounded_products),
    Rule("bfloat16-nans-are-skipped",
         'README: "The nan-functions skip bfloat16 NaNs too (np.nansum, np.nanmean, np.nanvar, np.nanstd, '
         'np.nancumsum, np.nanprod, np.nancumprod, np.nanargmax, np.nanargmin; np.nan_to_num replaces them and '
         'infinities), where NumPy counts them"',
         _bfloat16_nans_skipped),
    Rule("bfloat16-nanmedian-along-an-axis",
         'README: "np.nanmedian of bfloat16 along an axis is bfloat16 (NumPy takes its masked-array path there: '
         'float64, or a TypeError where a slice holds a NaN)"', _bfloat16_nanmedian_along_an_axis),
    Rule("nan-quantile-dtype-of-all-nan",
         'README: "np.nanquantile and np.nanpercentile with an array of quantiles give the promoted dtype (float64 '
         'for float64 quantiles) also where every slice is all-NaN"', _nan_quantile_dtype_of_all_nan),
    Rule("negative-integer-power", "README: the same sentence: integers to negative integer powers give XLA's answers",
         _negative_integer_power),
    Rule("traced-positions-unchecked",
         'README: "Positions given as traced arrays are not checked: reads clamp them into range and writes drop '
         'out-of-range updates"', _traced_positions),
    Rule("run-time-conditions-cannot-raise",
         'README: "np.linalg.solve/inv of a singular matrix give inf/nan (det gives 0), np.nanargmax of an all-NaN '
         'slice gives -1 and np.average with weights summing to zero gives inf/nan, np.geomspace from or to a traced '
         'zero gives nan or 0 there ... where NumPy raises."', _run_time_raise),
    Rule("no-python-control-flow-on-traced-values",
         'README: "No plain Python control flow on traced values. Without @tracer.trace, `if x > 0:` raises '
         'tracer.ConcretizationError"', _concretization),
    Rule("shapes-must-not-depend-on-values",
         'README: "Shapes must not depend on values. x[mask] with a traced boolean mask, np.nonzero, np.unique, '
         'np.argwhere raise errors that say what to write instead"', _value_dependent_shape),
    Rule("eig-is-always-complex",
         'README: "np.linalg.eig/eigvals always return complex arrays ... NumPy returns a real dtype when every '
         'eigenvalue happens to be real, a dtype decided by the values, which a trace cannot know"',
         _eig_always_complex),
    Rule("sixteen-bit-rounded-once",
         'README: "16-bit floats accumulate in float32 ... NumPy\'s (ml_dtypes\') bfloat16 sums round every partial sum '
         'and drift. Cumulative sums and products (np.cumsum, np.cumprod, np.nancumsum, np.nancumprod) compute each '
         'partial result in float32 and round each output once, where NumPy rounds every partial sum to 16 bits"',
         _sixteen_bit_rounded_once),
    Rule("subnormal-flush",
         'README: "Subnormal numbers are flushed to zero on CPU. XLA\'s CPU backend runs with subnormal float32/float64 '
         'inputs and results flushed to zero"', _subnormal_flush),
    Rule("argsort-ties",
         'README: "np.argsort with NumPy\'s default kind may order equal elements differently from NumPy, whose '
         'quicksort is not stable"', _unstable_argsort),
)


# -- issue 16's known wrong answers ----------------------------------------------------------------
# (none left: each was fixed or documented; a new one goes here with its pin in tests/test_fuzz.py)

KNOWN: tuple[Rule, ...] = ()


def classify(case: Case) -> tuple[str, Rule | None]:
    """("documented", rule), ("known", rule) or ("bug", None)."""
    for status, rules in (("documented", DOCUMENTED), ("known", KNOWN)):
        for rule in rules:
            try:
                if rule.applies(case):
                    return status, rule
            except Exception:  # noqa: BLE001  (a rule that cannot decide does not excuse the difference)
                continue
    return "bug", None
