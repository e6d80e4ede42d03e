"""The differential fuzzer (benchmarks/fuzzing/): a short fixed-seed run, its parts, and pins.

The short run compiles ~40 random programs (NumPy vs optimize=False vs the default pipeline, each
compilation in a child process) and must find no crash and no undocumented mismatch. Its seed is one
whose programs are clean today: what fuzzing found so far is pinned below, one small program each,
as xfail(strict=True) tests, so a fix shows up as an unexpected pass (then delete the pin, and for
issue 16's items the rule in benchmarks/fuzzing/allowlist.py KNOWN).

`python -m benchmarks.fuzz --programs 10000` is the long run.
"""

from __future__ import annotations

import dataclasses

import ml_dtypes
import numpy as np
import pytest

from benchmarks.fuzzing import values as V
from benchmarks.fuzzing.approximation import explained_by_approximations
from benchmarks.fuzzing.evaluate import evaluate
from benchmarks.fuzzing.generate import KNOWN_CRASH_GENERATORS, Config, generate
from benchmarks.fuzzing.program import Block, Op, Program, load, run_eager
from benchmarks.fuzzing.runner import program_seed, reproducer, run
from benchmarks.fuzzing.shrink import shrink
from benchmarks.fuzzing.workers import Job, Pool

SHORT_RUN_SEED = 11  # clean today; see the module docstring
SHORT_RUN_PROGRAMS = 40


@pytest.fixture(scope="module")
def pool():
    with Pool(2, timeout=120) as workers:
        yield workers


# -- the short run ---------------------------------------------------------------------------------

def test_short_run_finds_no_crash_and_no_undocumented_mismatch(pool):
    report = run(SHORT_RUN_PROGRAMS, SHORT_RUN_SEED, Config(), shrink_budget=0, log=lambda line: None, pool=pool)
    assert report.programs == SHORT_RUN_PROGRAMS
    failures = "\n\n".join(reproducer(e, SHORT_RUN_SEED) for e in report.bugs())
    assert report.crashes == 0 and report.mismatches == 0, f"{report.summary()}\n\n{failures}"


# -- issue 16's known wrong answers: each rule in allowlist.KNOWN on its smallest program --------------

def one_op(template: str, call: str, *args: np.ndarray, **info) -> Program:
    names = tuple(f"x{i}" for i in range(len(args)))
    return Program(tuple(zip(names, args)), (), (Op("v", template, names, call, info=info),), ("v",))


# (none today: issue 16's items were fixed or documented; their pins are in FOUND below)
KNOWN_PINS: dict[str, Program] = {}


def test_every_known_rule_has_a_pin():
    from benchmarks.fuzzing.allowlist import KNOWN

    assert {rule.name for rule in KNOWN} == set(KNOWN_PINS)


_evaluated: dict = {}


def evaluated(pool, rule: str):
    """The findings of KNOWN_PINS[rule] (each pin is compiled once for the two tests that read it)."""
    if rule not in _evaluated:
        _evaluated[rule] = evaluate(KNOWN_PINS[rule], pool)
    return _evaluated[rule]


@pytest.mark.parametrize("rule", sorted(KNOWN_PINS))
def test_known_pin_is_classified_by_its_rule(pool, rule):
    """Until it is fixed, the pin's difference is found and put down to its rule, not reported as new."""
    findings = [f for f in evaluated(pool, rule) if f.status not in ("documented", "propagated")]
    assert all(f.status == "known" and f.rule == rule for f in findings), [f.headline() for f in findings]


# Wrong answers of KNOWN_PINS fixed since they were pinned: they must stay fixed (then move the pin to FOUND).
FIXED_KNOWN: set[str] = set()


@pytest.mark.parametrize("rule", [pytest.param(name, marks=() if name in FIXED_KNOWN else
                                               pytest.mark.xfail(strict=True, reason=f"issue 16: {name}"))
                                  for name in sorted(KNOWN_PINS)])
def test_known_wrong_answer_is_fixed(pool, rule):
    findings = [f for f in evaluated(pool, rule) if f.status in ("bug", "known")]
    assert not findings, [f.headline() for f in findings]


# -- found by the fuzzer, not in issue 16 -----------------------------------------------------------

# A scan whose body truncates a tanh: float64 tanh(19) is 1.0 in NumPy and 1 - 7.8e-16 in XLA, so the carry is 1 or 0.
_TANH_CARRY = Op("v6", "{out} = tracer.scan(v6_step, {0}, {1})[1]", ("x5", "x4"), "tracer.scan",
                 (Block("v6_step", ("p7", "p8"), (Op("v12", "{out} = np.tanh({0})", ("p7",), "np.tanh"),),
                        "({0}.astype(np.int32), {0})", ("v12",)),))



FOUND = {
    # -- issue 16's items, once allowlist.KNOWN rules: fixed (#6, #8, #9, #11) or documented (#10) --
    # 4,096 x 0.1 in float16: a float32 accumulator gives 409.5 (NumPy), a float16 one stalls near 256.
    "f16-sum-accumulates-in-float32": one_op("{out} = np.sum({0})", "np.sum", np.full(4096, 0.1, np.float16), count=4096),
    # 1 + 2^-11 + 2^-40 rounds up to 1.001 in float16, but through float32 (1 + 2^-11, a tie) down to 1.0.
    "f64-to-f16-double-rounding": one_op("{out} = {0}.astype(np.float16)", "astype",
                                         np.array([1 + 2.0 ** -11 + 2.0 ** -40]), src="float64", dst=["float16"]),
    # x / x of a subnormal float32 is 1; flushed to zero it is 0 / 0 = nan. Documented (README).
    "subnormal-flush": one_op("{out} = {0} / {0}", "np.divide", np.array([1e-45, 1e-40], np.float32)),
    # float32 2^31 -> int32: the fold checked the range in float32, where iinfo(int32).max rounds up to 2^31,
    # and gave INT_MIN; unoptimized, XLA saturates to INT_MAX. (NumPy warns and gives INT_MIN: documented.)
    "convert-fold-at-limits": Program(
        (("x0", np.ones(2, np.float32)),), (),
        (Op("v1", "{out} = np.full_like({0}, 2147483648.0)", ("x0",), "np.full_like"),
         Op("v2", "{out} = {0}.astype(np.int32)", ("v1",), "astype", info={"src": "float32", "dst": ["int32"]})),
        ("v2",)),
    # A 2-D np.dot of bfloat16 returned float32 (NumPy with ml_dtypes: bfloat16).
    "bf16-dot-dtype": one_op("{out} = np.dot({0}, {1})", "np.dot", np.ones((2, 3), ml_dtypes.bfloat16),
                             np.ones((3, 2), ml_dtypes.bfloat16)),
    # np.cumsum of 4,096 x 0.1 in float16: NumPy rounds every partial sum to float16 and stalls at 256; ours adds in
    # float32 and rounds each output once (409.5 at the end). Documented (README). Seed 2121, program 2368 (a float16
    # cumsum scanned in 16 bits was off NumPy's and the truth; the f16-bf16-accumulation rule hid it).
    "f16-cumsum-rounds-each-output-once": one_op("{out} = np.cumsum({0})", "np.cumsum", np.full(4096, 0.1, np.float16),
                                                 count=4096),
    # y[0] of a 1-D array is a NumPy scalar (a copy): `v = y[0]; v += 1` leaves y alone. Traced, it is a
    # 0-d view and the += writes into y. A silent wrong answer.
    "integer-index-scalar-is-not-a-view": one_op("{out} = np.copy({0})\n{out}_item = {out}[0]\n{out}_item += 1",
                                                 "index-write", np.array([1.0, 2.0], np.float32)),
    # int8 -> float32 -> uint16 of -19: simplify merges the pair into int8 -> uint16 (wraps: 65517) where the
    # unoptimized float32 -> uint16 saturates (0). Optimized and unoptimized differ.
    "convert-pair-merge-changes-result": Program(
        (("x0", np.array([-19], np.int8)),), (),
        (Op("v1", "{out} = {0}.astype(np.float32)", ("x0",), "astype", info={"src": "int8", "dst": ["float32"]}),
         Op("v2", "{out} = {0}.astype(np.uint16)", ("v1",), "astype", info={"src": "float32", "dst": ["uint16"]})),
        ("v2",)),
    # A float out of an integer type's range but inside int64's: NumPy converts through a wider integer and
    # wraps, without a warning (-3.77 -> uint8 253, 200.0 -> int8 -56, 2^32 -> uint32 0); XLA saturates
    # (0, 127, 4294967295). Neither matched nor documented in the README.
    "float-to-integer-out-of-range-wraps-in-numpy": one_op("{out} = {0}.astype(np.uint8)", "astype",
                                                           np.array([-3.77, 300.0], np.float32), src="float32",
                                                           dst=["uint8"]),
    # NumPy 2 compares an int16 array with an out-of-range Python int (all True here); traced: OverflowError.
    "compare-with-out-of-range-python-int": one_op("{out} = {0} > -4294967296", "np.greater",
                                                   np.array([1, -2], np.int16)),
    # uint64 < int32: NumPy compares the values; traced, stablehlo.compare gets ui64 and i64 operands.
    "uint64-compared-with-signed": one_op("{out} = {0} < {1}", "np.less", np.array([1, 2], np.uint64),
                                          np.array([1, 3], np.int32)),
    # np.maximum.at casts the float64 result into a uint32 array unsafely, as ufunc.at does; traced: TypeError.
    "ufunc-at-casts-unsafely": one_op("{out} = np.zeros(3, np.uint32) + {0}\nnp.maximum.at({out}, {1}, {2})",
                                      "index-write", np.zeros(3, np.uint32), np.array([0, 1]),
                                      np.array(2.5, ml_dtypes.bfloat16)),
    # np.median / np.nanpercentile of an empty array is nan (with a warning); traced: TracedShapeError.
    "order-statistic-of-empty": one_op("{out} = np.median({0})", "np.median", np.zeros(0, np.float32)),
    # np.clip(bfloat16, 2, uint8) promotes to float32 (ml_dtypes' promotion); traced: bfloat16.
    "clip-bfloat16-promotion": one_op("{out} = np.clip({0}, 2, {1})", "np.clip", np.array(-16.5, ml_dtypes.bfloat16),
                                      np.array(5, np.uint8)),
    # np.full_like(uint32, -5.15) casts the fill unsafely; traced: an internal OverflowError.
    "full-like-unsafe-fill": one_op("{out} = np.full_like({0}, -5.15)", "np.full_like", np.arange(3, dtype=np.uint32)),
    # np.geomspace from an int8 to a bfloat16: an internal DTypePromotionError (np.result_type with a Python float).
    "geomspace-int8-to-bfloat16": one_op("{out} = np.geomspace({0}, {1}, 3)", "np.geomspace", np.array(3, np.int8),
                                         np.array(0.8, ml_dtypes.bfloat16)),
    # a / b with b of size 1: XLA rewrites a / broadcast(b) into a * broadcast(1 / b), two roundings, so about one
    # element in six is an ulp off (5 / -2.8 in float32: -1.7857144, NumPy -1.7857143).
    "division-by-a-broadcast-divisor-rounds-twice": one_op("{out} = {1} / {0}", "np.divide",
                                                           np.array([-2.8], np.float32),
                                                           np.array([5.0, 5.0], np.float32)),
    # A bfloat16 product converted to float32 is not rounded to bfloat16 first (XLA's default
    # xla_allow_excess_precision): 127 + bf16(127 * 112) is 14351, NumPy 14335 (the product rounds to 14208).
    "bf16-intermediate-keeps-excess-precision": one_op("{out} = {0}.astype(np.float32) + {0} * {1}", "np.add",
                                                       np.array([127.0], ml_dtypes.bfloat16),
                                                       np.array([112.0], ml_dtypes.bfloat16)),
    # XLA's dot fuses multiply and add: 135 * -3.4e38 does not overflow to -inf, so [inf, 135] @ [1, -3.4e38] is
    # inf, where NumPy's products are rounded first and inf + -inf is nan.
    "dot-fuses-multiply-add": one_op("{out} = {0} @ {1}", "np.matmul", np.array([np.inf, 135], np.float32),
                                     np.array([[1], [-3.4028234663852886e+38]], np.float32), count=2),
    # np.where(cond, 32769, int16 array): NumPy wraps the Python int into int16; traced: an internal OverflowError.
    "where-with-out-of-range-python-int": one_op("{out} = np.where({0} > 0, 32769, {0})", "np.where",
                                                 np.array([18, -3], np.int16)),
    # np.insert flattens its values for axis=None; traced: cannot broadcast (1, 1) to (1,).
    "insert-flattens-values": one_op("{out} = np.insert({0}, -1, {1})", "np.insert", np.array([[1]], np.uint32),
                                     np.array([[7]], np.uint64)),
    # np.select with a Python float among float32 choices stays float32 in NumPy (a weak scalar); traced: float64.
    "select-with-a-python-float": one_op("{out} = np.select([{0} > 0, {0} < 0], [{0}, -5.3], np.float32(-1.0))",
                                         "np.select", np.array([1.5, -2.0], np.float32)),
    # `y[i] -= v` on an element is `y[i] = y[i] - v` (NumPy's scalar, then an unsafe setitem cast); traced as an
    # in-place ufunc: 'same_kind' refuses int32 -> uint8.
    "augmented-assignment-to-an-element": one_op("{out} = np.copy({0})\n{out}[-2] -= {1}", "index-write",
                                                 np.array([14, 14], np.uint8), np.array(128, np.int32)),
    # np.nanstd(x, dtype=np.uint8): NumPy's TypeError ("dtype must be inexact"); traced: a bare ValueError
    # ("cannot convert float NaN to integer"), not a TracerError naming the line.
    "nanstd-with-an-integer-dtype": one_op("{out} = np.nanstd({0}, dtype=np.uint8)", "np.nanstd",
                                           np.array([[-3.0]], np.float32)),
    # np.quantile(int64, 1) is an int64 in NumPy (q an integer, the linear method); traced: float64.
    "quantile-with-integer-q-keeps-int": one_op("{out} = np.quantile({0}, 1)", "np.quantile",
                                                np.array([[-17, 4]], np.int64)),
    # -- found by the runs of seeds 101 and 202 --
    # np.linalg.vecdot is the np.vecdot gufunc, whose loop for bfloat16 is float32 (ml_dtypes); traced: bfloat16.
    "linalg-vecdot-bfloat16-dtype": one_op("{out} = np.linalg.vecdot({0}, {0})", "np.linalg.vecdot",
                                           np.array([5.0], ml_dtypes.bfloat16)),
    # np.clip(uint32, 0.0, -2**32): a float bound makes the result a float, so the int bound binds; traced, it was
    # clamped into uint32's range first (0.0 where NumPy gives -4294967296.0).
    "clip-float-bound-with-int-bound-outside": one_op("{out} = np.clip({0}, 0.0, -4294967296)", "np.clip",
                                                      np.array([17], np.uint32)),
    # np.linalg.multi_dot of two arrays is np.dot, which checks no dims: multi_dot of [-14, -14] is 196.
    "multi-dot-of-two-numbers": one_op("{out} = np.linalg.multi_dot({0})", "np.linalg.multi_dot",
                                       np.array([-14, -14], np.int64)),
    # XLA's integer power stops after six squarings: 3 ** 2147483649 in int64 came out 3 (NumPy wraps every bit).
    "integer-power-of-a-big-exponent": one_op("{out} = {0} ** {1}", "np.power", np.array([[3]], np.int8),
                                              np.array([[2147483649]], np.uint32)),
    # NumPy's nan-functions find NaNs only in np.inexact dtypes, and bfloat16 is not one: np.nancumsum keeps them.
    "bfloat16-nan-functions-skip-nans": one_op("{out} = np.nancumsum({0}, axis=-1)", "np.nancumsum",
                                               np.array([[np.nan, 1.5, 2.0]], ml_dtypes.bfloat16)),
    # np.nanquantile with an array q of an all-NaN slice is float32 in NumPy (float64 otherwise).
    "nan-quantile-dtype-of-all-nan": one_op("{out} = np.nanquantile({0}, [np.float64(0.14), np.float64(0.67)], axis=0)",
                                            "np.nanquantile", np.array([np.nan], np.float32)),
    # -- seed 303 --
    # np.full_like with an array fill broadcasts it (copyto); traced: a broadcast of a scalar given an array.
    "full-like-array-fill": one_op("{out} = np.full_like({0}, np.array([False]))", "np.full_like",
                                   np.array([17], np.uint16).reshape(1, 1, 1)),
    # np.nan_to_num leaves bfloat16 NaNs alone in NumPy (not an np.inexact dtype); traced, they become 0.
    "bfloat16-nan-to-num": one_op("{out} = np.nan_to_num({0}, neginf=-0.0)", "np.nan_to_num",
                                  np.array([np.nan, 1.5], ml_dtypes.bfloat16)),
    # -- seed 404 --
    # np.convolve makes 0-d operands 1-d (np.correlate refuses them); traced, both refused.
    "convolve-of-0-d": one_op("{out} = np.convolve({0}, {1})", "np.convolve", np.array(4, np.uint64),
                              np.array(-4.81, np.float64)),
    # np.nanmedian of bfloat16 along an axis is float64 in NumPy (its masked-array path); traced: bfloat16.
    "bfloat16-nanmedian-along-an-axis": one_op("{out} = np.nanmedian({0}, axis=-1)", "np.nanmedian",
                                               np.array([-0.5], ml_dtypes.bfloat16).reshape(1, 1, 1)),
    # -- seed 303 again, after the fixes --
    # A loop body converting -1.59 to uint64: NumPy wraps (2**64 - 1, no warning), XLA saturates (0); the
    # difference starts inside the body, so it is put down to the loop.
    "float-to-integer-in-a-loop-body": Program(
        (("x0", np.array([2.0], np.float32)),), (),
        (Op("v1", "{out} = tracer.while_loop(v1_test, v1_body, (np.int32(0), np.zeros(1, np.uint64)), "
                  "max_iterations=2)[1]", ("x0",), "tracer.while_loop",
            (Block("v1_test", ("s",), (), "({0}[0] < 2)", ("s",)),
             Block("v1_body", ("s",), (Op("v2", "{out} = {0} - 3.59", ("x0",), "np.subtract"),),
                   "({0}[0] + 1, {1}.astype(np.uint64))", ("s", "v2")))),), ("v1",)),
    # -- seed 1010 --
    # An integer divisor of one element converts to float64 and is broadcast: XLA's reciprocal rewrite again.
    "division-by-a-broadcast-integer": one_op("{out} = np.divide({0}, {1})", "np.divide",
                                              np.array([[17], [17], [3]], np.int16), np.array([20], np.uint16)),
    # np.linalg.cross of a 0-d operand: NumPy's IndexError (it reads shape[axis]); traced: a ValueError.
    "linalg-cross-of-0-d": one_op("{out} = np.linalg.cross({0}, 5)", "np.linalg.cross", np.ones(3, np.int64)),
    # -- seeds 1111 and 1212 --
    # np.sum(float32, dtype=np.uint32) converts each element first: XLA saturates -85.8 to 0 where NumPy wraps.
    "sum-with-an-integer-dtype-of-floats": one_op("{out} = {0}.sum(dtype=np.uint32)", "np.sum",
                                                  np.array([111.1, -85.8, -36.8], np.float32)),
    # np.nanpercentile of an empty array (axis not empty) is its nanmean (float32); traced: float64.
    "nanpercentile-of-an-empty-array": one_op("{out} = np.nanpercentile({0}, [np.float64(73.42), np.float64(5.01)], "
                                              "axis=-2)", "np.nanpercentile", np.zeros((0, 1, 3), np.float32)),
    # np.full_like with an array fill of extra leading unit dims: copyto drops them; traced: cannot broadcast.
    "full-like-fill-with-leading-unit-dims": one_op("{out} = np.full_like({0}, np.zeros((1, 0), bool), dtype=np.int32)",
                                                    "np.full_like", np.zeros(0, np.float32)),
    # NumPy interpolates a float32 percentile with b - a computed in float32 (then times a float64 weight); traced,
    # the rows were float64 first: 113.46328 where NumPy gives 113.46327461. Now the step is taken in the input's
    # dtype (for int32 it wraps, as NumPy's does: nanpercentile([2**31 - 1, -2**31 + 1], 96.57) is 2147483647.07).
    "percentile-subtracts-in-the-input-dtype": one_op("{out} = np.percentile({0}, [np.float64(44.16)], axis=None)",
                                                      "np.percentile", np.array([257.0, -0.05], np.float32)),
    # simplify (optimize=True) failed on an empty searchsorted/inner: "cannot reshape array of size 0 into shape ()"
    # (ir.query read an empty constant as a splat with an element to broadcast).
    "simplify-fails-on-an-empty-inner": Program(
        (("x0", np.array([[16]], np.uint16)), ("x1", np.zeros(0, np.uint16)), ("x2", np.zeros((0, 1), np.int64))), (),
        (Op("v1", "{out} = np.searchsorted(np.sort({1}), {0})", ("x0", "x1"), "np.searchsorted"),
         Op("v2", "{out} = np.inner({0}, {1})", ("v1", "x2"), "np.inner"),
         Op("v3", "{out} = {0}.T", ("v2",), "transpose")), ("v3",)),
    # -- seeds 1313-1515, not fixed --
    # np.quantile of an array the function creates (a host array) recursed without end in the created-array dispatch:
    # NumPy's own quantile passes a created mask as where=, which was handed back to NumPy unconverted.
    "quantile-of-a-created-array-recurses": one_op("{out} = np.quantile(np.array([-1], dtype=np.int64), "
                                                   "[np.float64(0.72), np.float64(0.06)], axis=(0,))", "np.quantile"),
    # np.where(cond, -3.69, bfloat16) is float32 in NumPy (ml_dtypes cannot promote a Python float); traced: bfloat16.
    "where-bfloat16-with-a-python-float": one_op("{out} = np.where({0} > 0, -3.69, {0})", "np.where",
                                                 np.array([1.5, -2.0], ml_dtypes.bfloat16)),
    # np.clip(bool, bfloat16, 7) is float32 in NumPy (the clip ufunc's loop for these operands); traced: float64 (the
    # bool array was first converted to np.result_type(bool, bfloat16, 7), which ml_dtypes makes float64).
    "clip-bool-with-a-bfloat16-bound": one_op("{out} = np.clip(np.eye(1, dtype=bool), {0}, 7)", "np.clip",
                                              np.array([2.90625], ml_dtypes.bfloat16)),
    # A branch that makes an array (np.copy of a created one) and writes a traced value into it: returning it raised
    # EscapedTracerError (its traced value was read only after the branch's scope had closed). Seed 1313, program 124.
    "array-made-and-written-in-a-branch": Program(
        (("x13", np.array([8.4], np.float32).reshape(1, 1, 1)), ("x23", np.array(2, np.uint8))),
        (("k4", np.zeros(0, np.uint8)),),
        (Op("v14", "{out} = tracer.cond(np.any({0} < 1), v14_true, v14_false, {1}, {0})", ("x13", "k4"), "tracer.cond",
            (Block("v14_true", ("p15", "p16"), (Op("v17", "{out} = np.arccosh({0})", ("p16",), "np.arccosh"),),
                   "{0}", ("p15",)),
             Block("v14_false", ("p18", "p19"), (Op("v22", "{out} = np.copy({0})\n{out}[1:2:1] = {1}", ("k4", "x23"),
                                                    "index-write"),), "{0}", ("v22",)))),), ("v14",)),
    # -- seed 2020 --
    # np.clip(int8, int32 array, 2**31 - 1): NumPy drops the Python-int bound int8 cannot pass, and runs np.maximum
    # (int32: 65536); traced, the bound was clamped to 127 and kept (127).
    "clip-drops-a-python-int-bound-beyond-the-dtype": one_op("{out} = np.clip({1}, {0}, 2147483647)", "np.clip",
                                                             np.array([[65536]], np.int32), np.array([18], np.int8)),
    # np.percentile of a 0-d array the function makes: NumPy's own quantile (run on the host array) failed inside
    # ("'numpy.float64' object does not support item assignment"): its floor(..., out=...) reached the created-array
    # dispatch, where NumPy never passes `out=...`, and returned a scalar. Seed 2020, program 639.
    "percentile-of-a-created-0-d-array": one_op("{out} = np.percentile(np.array([-8], dtype=np.int64).reshape(()), 100)",
                                                "np.percentile"),
    # np.median of one float32 max: the mean of the middle number with itself overflowed to inf. Seed 2020, 1156.
    "median-of-the-largest-float": one_op("{out} = np.median({0}, axis=-3)", "np.median",
                                          np.array([[[3.4028234663852886e+38]]], np.float32)),
    # np.insert at a position out of range with values of another shape: NumPy's IndexError (it checks the position
    # first); traced, a shape error about the values. Seed 2020, program 1382.
    "insert-checks-the-position-first": one_op("{out} = np.insert({0}, -2, {1})", "np.insert", np.array([[17]], np.int8),
                                               np.full((1, 2, 1), 42.6, np.float32)),
    # A float16 division by a constant array of the same shape: XLA multiplies by the reciprocal there too, an ulp off
    # NumPy's (-1.204 for -1.205). Documented with the broadcast divisors. Seed 2020, program 1654.
    "division-by-a-constant": Program(
        (("x2", np.array([127.875, 49.40625, -176.875, -56.09375, 97.3125, -18.0, -9.0, 129.375, 94.8125, -11.796875],
                         np.float16)),),
        (("k3", np.array([-22.484375, 7.69140625, -0.93017578125, 46.5625, 64.6875, -307.5, 18.40625, -175.75, -189.75,
                          165.25], np.float16)),),
        (Op("v4", "{out} = np.divide({0}, {1})", ("x2", "k3"), "np.divide"),), ("v4",)),
    # np.nanmean(bfloat16, dtype=np.uint32): bfloat16 is not an np.inexact type, so NumPy takes np.mean's way (4);
    # traced: "If a is inexact, then dtype must be inexact" (and nanvar an internal ValueError). Seed 2020, 2633.
    "bfloat16-nanmean-with-an-integer-dtype": one_op("{out} = np.nanmean({0}, axis=None, dtype=np.uint32)", "np.nanmean",
                                                     np.array(4.0, ml_dtypes.bfloat16)),
    # np.linalg.svdvals / pinv of float32 an ulp off NumPy's (0.79246265 for 0.7924626): decompositions are not
    # correctly rounded on either side; the fuzzer held them to exact answers (now: compare.APPROXIMATE). Seed 2020.
    "svdvals-is-not-correctly-rounded": one_op("{out} = np.linalg.svdvals({0})", "np.linalg.svdvals",
                                               np.array([[0.354, 0.354]], np.float32)),
    # np.linalg.cond of a zero matrix: NumPy turns the nan of 0 / 0 into inf (unless the matrix holds a nan);
    # traced: nan. Seed 2020, program 369. Fixed: cond does NumPy's conversion.
    "linalg-cond-of-a-zero-matrix": one_op("{out} = np.linalg.cond({0})", "np.linalg.cond",
                                           np.zeros((1, 1, 1), bool)),
    # np.linalg.eigh(x, 8): NumPy's AttributeError ('int' object has no attribute 'upper'); traced, the 1-d x is
    # refused first (a shape error). Seed 2020, program 668. Fixed: UPLO is read first, with NumPy's .upper().
    "linalg-eigh-with-a-bad-uplo": one_op("{out} = np.linalg.eigh({0}, 8)", "np.linalg.eigh", np.array([3.723])),
    # np.sort of bfloat16 with NaNs: the comparator asked np.issubdtype(dtype, np.floating), which bfloat16 is not,
    # so NaNs were compared as numbers and the result was not sorted ([-5 1 3 nan nan 2]). Seed 2020, program 3735.
    "sort-bfloat16-with-nans": one_op("{out} = np.sort({0}, axis=None)", "np.sort",
                                      np.array([3, np.nan, 1.0, -5, np.nan, 2], ml_dtypes.bfloat16)),
    # np.linalg.eigvals of a matrix with real eigenvalues: NumPy float64, ours complex128 (README: always complex,
    # as JAX; np.real_if_close gives NumPy's). Documented. Seed 2020, program 6851.
    "eigvals-always-complex": one_op("{out} = np.linalg.eigvals({0})", "np.linalg.eigvals",
                                     np.array([[-13]], np.int64)),
    # np.linspace from a start of zeros (np.resize of an empty array: a constant once traced): XLA drops the `+ start`
    # of 0.0, so the first sample of a negative step is -0.0 (NumPy 0.0). Documented. Seed 2020, program 3893.
    "constant-zero-added-keeps-negative-zero": Program(
        (("x4", np.zeros((3, 0, 1))), ("x8", np.array([-1.5]))), (),
        (Op("v5", "{out} = np.resize({0}, (1, 2, 2))", ("x4",), "np.resize"),
         Op("v9", "{out} = np.linspace({0}, {1}, 3)", ("v5", "x8"), "np.linspace")), ("v9",)),
    # np.linalg.pinv with every singular value cut off: zeros, -0.0 where NumPy's products summed from +0.0 give 0.0;
    # the fuzzer held decompositions to the sign of zeros (now free, like sums). Seed 2020, program 4329.
    "pinv-zero-signs": one_op("{out} = np.linalg.pinv({0}, np.int8(6))", "np.linalg.pinv", np.array([[-4]], np.int8)),
    # np.insert of a Python int the array's dtype cannot hold (-5 into uint32): NumPy's OverflowError (it makes
    # np.array(values, dtype=arr.dtype)); traced, -5 wrapped. Seed 2020, program 4598.
    "insert-python-int-out-of-range": one_op("{out} = np.insert({0}, -2, -5, axis=1)", "np.insert",
                                             np.array([[4, 4]], np.uint32)),
    # np.full_like with a traced fill of extra leading unit dims: copyto drops them (as for a host fill, fixed
    # before); traced: cannot broadcast (1, 2, 0, 1) to (2, 0, 1). Seed 1313, program 331 (a rerun).
    "full-like-traced-fill-with-leading-unit-dims": one_op("{out} = np.full_like({0}, {1})", "np.full_like",
                                                           np.zeros((2, 0, 1)), np.zeros((1, 2, 0, 1))),
    # np.linalg.vector_norm(empty, ord=np.inf) is 0.0 in NumPy (ord=-inf raises); traced: "zero-size array to
    # reduction operation maximum". Seed 2121, program 2281. Fixed: the max starts from 0, as NumPy's.
    "vector-norm-inf-of-empty": one_op("{out} = np.linalg.vector_norm({0}, ord=np.inf)", "np.linalg.vector_norm",
                                       np.zeros(0, np.int64)),
    # -- seed 2121 --
    # np.subtract.at(uint64, [], bool): NumPy subtracts in the uint64 loop; traced, the bool values were negated first
    # (NumPy's TypeError for a boolean negative). Program 119.
    "subtract-at-with-bool-values": one_op("{out} = np.copy({0})\nnp.subtract.at({out}, np.array([], dtype=np.uint8), {1})",
                                           "index-write", np.zeros((0, 4), np.uint64), np.array([False])),
    # np.var(float32, dtype=np.uint16): NumPy converts floats into uint16 twice inside (the mean's sum, the squared
    # deviations' sum), wrapping; ours is the same algorithm with XLA's saturating conversions (486 where NumPy
    # gives 13312): the documented float-to-integer difference, which the allow-list did not recognise (it saturated
    # only the inputs, then ran NumPy). Program 87.
    "var-with-an-integer-dtype-of-floats": one_op("{out} = np.var({0}, keepdims=True, dtype=np.uint16, ddof=1)",
                                                  "np.var", np.array([-15.6, -15.6], np.float32)),
    # sinh near float32's largest value: XLA's sinh overflows to -inf where NumPy gives -3.4028196e38.
    "sinh-overflows-near-the-largest-float": Program(
        (("x0", np.array([-3.4028234663852886e+38], np.float32)),), (),
        (Op("v1", "{out} = np.arcsinh({0})", ("x0",), "np.arcsinh"), Op("v2", "{out} = np.sinh({0})", ("v1",), "np.sinh")),
        ("v2",)),
    # -- seed 2020, the rest --
    # `v = y[i, j]; v += float64` into uint8 of another shape: NumPy's casting TypeError (it resolves dtypes before it
    # broadcasts); traced, the shape error came first. Seed 2020, program 818.
    "inplace-casting-before-shapes": one_op("{out} = np.copy({0})\n{out}_view = {out}[-1, -3]\n{out}_view += {1}",
                                            "index-write", np.full((1, 4, 3), 129, np.uint8),
                                            np.array([16777217.0, 16777217.0])),
    # A branch returning the bfloat16 constant [-0.0, 1.0]: XLA took the constant for an iota (it compares elements
    # as numbers) and gave [0, 1]. Seed 2020, program 6086. Fixed: runtime.iota_constants.
    "iota-like-constant-keeps-negative-zero": Program(
        (("x1", np.array([-23.0], ml_dtypes.bfloat16)),), (("k5", np.array([-0.0, 1.0], ml_dtypes.bfloat16)),),
        (Op("v3", "{out} = tracer.switch(np.int32(3), [v3_case0], {0})", ("x1",), "tracer.switch",
            (Block("v3_case0", ("p4",), (Op("v9", "{out} = np.squeeze({0})", ("k5",), "np.squeeze"),), "{0}", ("v9",)),)),),
        ("v3",)),
    # np.add(x, False): False adds as a constant 0.0, which XLA drops, so a -0.0 stays -0.0 (NumPy 0.0). Documented
    # with the constant zeros (README). Seed 2020, program 3872.
    "adding-false-keeps-negative-zero": one_op("{out} = np.add({0}, False)", "np.add",
                                               np.array([[-2147483648.0], [-0.0], [-1.0]], np.float32)),
    # A branch returning a float32 sinh as float64: 5 float32 ulps off NumPy's (XLA's sinh is not correctly rounded),
    # which the fuzzer held to float64's eps. Seed 2020, program 9258. Fixed: a body's tolerance is in the precision
    # it computes in (compare.op_tolerance).
    "float32-body-returned-as-float64": Program(
        (("x3", np.full((1, 3), -1.391)), ("x8", np.full((1, 3), -19.559999465942383, np.float32))), (),
        (Op("v5", "{out} = tracer.cond(np.any({0} < 1), v5_true, v5_false, {0}, {0})", ("x3",), "tracer.cond",
            (Block("v5_true", ("p6", "p7"), (Op("v10", "{out} = np.sinh({0})", ("x8",), "np.sinh"),),
                   "{0}.astype(np.float64)", ("v10",)),
             Block("v5_false", ("p11", "p12"), (), "{0}", ("p11",)))),), ("v5",)),
    # A scan truncating a float64 tanh(19) into its int32 carry: NumPy 1.0 -> 1, XLA 1 - 7.8e-16 -> 0, then rows of
    # tanh(1) and tanh(0). Seed 2020, program 6464. Fixed: the fuzzer reruns a body with its approximations nudged.
    "approximation-truncated-in-a-loop-body": Program(
        (("x4", np.full(2, 19, np.int32)), ("x5", np.full(4, 19, np.int32))), (), (_TANH_CARRY,), ("v6",)),
    # np.nan_to_num of bfloat16 infinities: NumPy leaves them (bfloat16 is no np.inexact dtype), ours replaces them as
    # for any float. Documented with the bfloat16 NaNs (README). Seed 2020, program 6746.
    "bfloat16-nan-to-num-of-infinities": one_op("{out} = np.nan_to_num({0}, nan=6.7, posinf=3.4028235e+38)",
                                                "np.nan_to_num", np.array([[127.0, -np.inf, np.inf]], ml_dtypes.bfloat16)),
    # -- seed 2121, rerun --
    # np.geomspace(x, 0, 5): NumPy's ValueError (a sequence through zero); ours returned values. Program 1137. Fixed:
    # a zero end known while tracing raises; a traced one gives nan or 0 (documented: below).
    "geomspace-to-a-zero": one_op("{out} = np.geomspace({0}, 0, 5)", "np.geomspace", np.array([177.25], np.float16)),
    "geomspace-from-a-traced-zero": one_op("{out} = np.geomspace({0}, 8.0, 3)", "np.geomspace", np.array([0.0, 1.0])),
    # np.add.at(uint64, i, -2): NumPy makes an array of the values (int64) and adds in float64 (0); traced, the weak -2
    # was made a uint64 constant (an internal OverflowError). Seed 2020, program 6949.
    "add-at-of-a-python-int-out-of-range": one_op("{out} = np.copy({0})\nnp.add.at({out}, np.array([0], dtype=np.int64), -2)",
                                                  "index-write", np.array([[2]], np.uint64)),
    # -- seed 2424 --
    # x[[]] = a value of shape (3, 0): NumPy reshapes a value of more dims to the index result's trailing dims (the
    # size matches: 0); traced, a shape-mismatch error. Program 1088.
    "empty-value-of-more-dims-through-index-arrays": one_op("{out} = np.copy({0})\n{out}[[]] = {1}", "index-write",
                                                            np.zeros(0, np.int32), np.zeros((3, 0), np.float32)),
    # np.around(x, np.bool(False)): NumPy reads decimals with operator.index (TypeError); traced, int() took it.
    # Program 1277.
    "round-decimals-of-a-numpy-bool": one_op("{out} = np.around({0}, np.bool(False))", "np.around", np.array([True])),
    # -- seed 2525 (the closing run) --
    # A loop body converting float16 -190 to int8 and on to int32: NumPy wraps (66), XLA saturates (-128), the int8
    # limit, which the allow-list looked for only in the result's int32. Documented. Program 469.
    "float-to-int8-saturates-in-a-body-returning-int32": Program(
        (("x1", np.array([-190.0, -190.0], np.float16)), ("x2", np.array([-11, -11], np.int32))), (),
        (Op("v3", "{out} = tracer.fori_loop(0, np.minimum(np.sum({0} != 0), 3), v3_body, {0})", ("x2",),
            "tracer.fori_loop",
            (Block("v3_body", ("i4", "p5"), (Op("v6", "{out} = {0}.astype(np.int8)", ("x1",), "astype",
                                                info={"src": "float16", "dst": ["int8"]}),),
                   "{0}.astype(np.int32)", ("v6",)),)),), ("v3",)),
    # np.log(np.float_power(x, x)) of -4.97: XLA's simplifier made log(pow(a, b)) b * log(|a|) (-7.97; NumPy nan).
    # Program 2157. Fixed: runtime.log_guards.
    "log-of-a-power": Program((("x1", np.array(-4.97, np.float32)),), (),
                              (Op("v2", "{out} = np.float_power({0}, {0})", ("x1",), "np.float_power"),
                               Op("v3", "{out} = np.log({0})", ("v2",), "np.log")), ("v3",)),
    # np.average with constant weights summing to 3.4e38: XLA multiplies by the sum's reciprocal, subnormal and
    # flushed to zero: -inf * 0 = nan (NumPy -inf). Documented with the broadcast divisors. Program 605.
    "average-by-a-flushed-reciprocal": Program(
        (("x8", np.full((2, 3), -6.1, np.float32)),),
        (("k21", np.array([[16777216.0, 3.4028234663852886e+38, -0.866], [-4.973, 1.913, 2.148]], np.float32)),),
        (Op("v22", "{out} = np.average({0}, keepdims=True, weights={1})", ("x8", "k21"), "np.average"),), ("v22",)),
    # np.where(x == 1.4e-45, ...): the float32 literal is subnormal, read as 0 by XLA, so -0.0 == it holds. Documented
    # with the subnormals (the rule looked only at inputs). Program 4040.
    "comparison-with-a-subnormal-literal": one_op("{out} = np.where(({0} == 1.401298464324817e-45), {1}, {0})",
                                                  "np.where", np.array([[[-0.0]]], np.float32),
                                                  np.array(-36.6875, np.float16)),
    # np.extract with a traced condition (our documented refusal), before a np.cumprod that NumPy refuses: ours raised
    # first, which the fuzzer compared with NumPy's later TypeError as an error of another kind. Program 3413.
    "refused-before-numpys-error": Program(
        (("x1", np.array([[127.0]], np.float32)), ("x2", np.array(-14, np.int32)), ("x5", np.array(-17, np.int32))),
        (), (Op("v6", "{out} = np.extract({0}, {1})", ("x2", "x5"), "np.extract"),
             Op("v7", "{out} = np.cumprod({0}, axis=(1,))", ("x1",), "np.cumprod")), ("v7",)),
    # `v[:] **= x` in float64: XLA's pow an ulp off NumPy's, which the fuzzer held to an exact answer (an index write
    # was taken for data movement only). Program 4867.
    "power-written-through-a-view": one_op("{out} = np.copy({0})\n{out}[:] **= {1}", "index-write",
                                           np.array([32768.0]), np.array(64.652)),
    # np.linalg.tensordot(x, True) (axes=2 beyond the 0-d True): NumPy's IndexError; ours a ValueError. Program 5618.
    "tensordot-axes-beyond-an-operand": one_op("{out} = np.linalg.tensordot({0}, True)", "np.linalg.tensordot",
                                               np.ones((1, 1), np.int64)),
}


# Findings fixed since they were pinned: they must stay fixed (no xfail). (convert-pair-merge-changes-result: the
# optimised run now agrees with the unoptimised one; both still differ from NumPy's wrapping, so it stays pinned.)
FIXED_FOUND: set[str] = {"integer-index-scalar-is-not-a-view", "augmented-assignment-to-an-element",
                         "ufunc-at-casts-unsafely", "float-to-integer-out-of-range-wraps-in-numpy",
                         "convert-pair-merge-changes-result", "full-like-unsafe-fill", "uint64-compared-with-signed",
                         "compare-with-out-of-range-python-int", "where-with-out-of-range-python-int",
                         "select-with-a-python-float", "insert-flattens-values", "nanstd-with-an-integer-dtype",
                         "quantile-with-integer-q-keeps-int", "order-statistic-of-empty",
                         "bf16-intermediate-keeps-excess-precision", "division-by-a-broadcast-divisor-rounds-twice",
                         "dot-fuses-multiply-add", "clip-bfloat16-promotion", "linalg-vecdot-bfloat16-dtype",
                         "clip-float-bound-with-int-bound-outside", "multi-dot-of-two-numbers",
                         "integer-power-of-a-big-exponent", "bfloat16-nan-functions-skip-nans",
                         "nan-quantile-dtype-of-all-nan", "geomspace-int8-to-bfloat16", "full-like-array-fill",
                         "bfloat16-nan-to-num", "convolve-of-0-d", "bfloat16-nanmedian-along-an-axis",
                         "float-to-integer-in-a-loop-body", "division-by-a-broadcast-integer", "linalg-cross-of-0-d",
                         "linalg-cond-of-a-zero-matrix", "vector-norm-inf-of-empty",
                         "linalg-eigh-with-a-bad-uplo",
                         "sum-with-an-integer-dtype-of-floats", "nanpercentile-of-an-empty-array",
                         "full-like-fill-with-leading-unit-dims", "quantile-of-a-created-array-recurses",
                         "simplify-fails-on-an-empty-inner", "array-made-and-written-in-a-branch",
                         "where-bfloat16-with-a-python-float", "clip-bool-with-a-bfloat16-bound",
                         "clip-drops-a-python-int-bound-beyond-the-dtype", "percentile-subtracts-in-the-input-dtype",
                         "sinh-overflows-near-the-largest-float", "percentile-of-a-created-0-d-array",
                         "median-of-the-largest-float", "insert-checks-the-position-first", "division-by-a-constant",
                         "bfloat16-nanmean-with-an-integer-dtype", "svdvals-is-not-correctly-rounded",
                         "subtract-at-with-bool-values", "sort-bfloat16-with-nans",
                         "var-with-an-integer-dtype-of-floats", "constant-zero-added-keeps-negative-zero",
                         "eigvals-always-complex",
                         "pinv-zero-signs", "insert-python-int-out-of-range",
                         "full-like-traced-fill-with-leading-unit-dims", "inplace-casting-before-shapes",
                         "iota-like-constant-keeps-negative-zero",
                         "adding-false-keeps-negative-zero", "float32-body-returned-as-float64",
                         "approximation-truncated-in-a-loop-body", "bfloat16-nan-to-num-of-infinities",
                         "geomspace-to-a-zero", "geomspace-from-a-traced-zero",
                         "add-at-of-a-python-int-out-of-range", "empty-value-of-more-dims-through-index-arrays",
                         "round-decimals-of-a-numpy-bool", "f16-sum-accumulates-in-float32",
                         "f64-to-f16-double-rounding", "subnormal-flush", "convert-fold-at-limits", "bf16-dot-dtype",
                         "f16-cumsum-rounds-each-output-once", "float-to-int8-saturates-in-a-body-returning-int32",
                         "log-of-a-power", "average-by-a-flushed-reciprocal", "comparison-with-a-subnormal-literal",
                         "refused-before-numpys-error", "power-written-through-a-view",
                         "tensordot-axes-beyond-an-operand"}

# Findings resolved by documenting the difference (README's differences, allowlist.DOCUMENTED): the pin's difference
# must still be found and put down to that rule, so the documented behaviour cannot change unnoticed.
DOCUMENTED_FOUND = {
    "float-to-integer-out-of-range-wraps-in-numpy": "float-to-integer-saturates",
    "convert-pair-merge-changes-result": "float-to-integer-saturates",
    "full-like-unsafe-fill": "float-to-integer-saturates",
    "division-by-a-broadcast-divisor-rounds-twice": "division-by-a-broadcast-divisor",
    "dot-fuses-multiply-add": "dot-products-unrounded",
    "bfloat16-nan-functions-skip-nans": "bfloat16-nans-are-skipped",
    "nan-quantile-dtype-of-all-nan": "nan-quantile-dtype-of-all-nan",
    "bfloat16-nan-to-num": "bfloat16-nans-are-skipped",
    "bfloat16-nanmedian-along-an-axis": "bfloat16-nanmedian-along-an-axis",
    "float-to-integer-in-a-loop-body": "float-to-integer-saturates",
    "division-by-a-broadcast-integer": "division-by-a-broadcast-divisor",
    "sum-with-an-integer-dtype-of-floats": "float-to-integer-saturates",
    "division-by-a-constant": "division-by-a-broadcast-divisor",
    "var-with-an-integer-dtype-of-floats": "float-to-integer-saturates",
    "constant-zero-added-keeps-negative-zero": "constant-zero-added",
    "eigvals-always-complex": "eig-is-always-complex",
    "adding-false-keeps-negative-zero": "constant-zero-added",
    "bfloat16-nan-to-num-of-infinities": "bfloat16-nans-are-skipped",
    "geomspace-from-a-traced-zero": "run-time-conditions-cannot-raise",
    "subnormal-flush": "subnormal-flush",
    "f16-cumsum-rounds-each-output-once": "sixteen-bit-rounded-once",
    "float-to-int8-saturates-in-a-body-returning-int32": "float-to-integer-saturates",
    "average-by-a-flushed-reciprocal": "division-by-a-reciprocal-flushed-to-zero",
    "comparison-with-a-subnormal-literal": "subnormal-flush",
    "refused-before-numpys-error": "shapes-must-not-depend-on-values",
}


@pytest.mark.parametrize("name", [pytest.param(name, marks=() if name in FIXED_FOUND else
                                               pytest.mark.xfail(strict=True, reason="found by the fuzzer"))
                                  for name in sorted(FOUND)])
def test_fuzzer_finding_is_fixed(pool, name):
    findings = [f for f in evaluate(FOUND[name], pool) if f.status in ("bug", "known")]
    assert not findings, [f"{f.headline()}: {f.detail}" for f in findings]


@pytest.mark.parametrize("name", sorted(DOCUMENTED_FOUND))
def test_documented_finding_is_classified_by_its_rule(pool, name):
    findings = [f for f in evaluate(FOUND[name], pool) if f.status != "propagated"]
    assert findings and all(f.status == "documented" and f.rule == DOCUMENTED_FOUND[name] for f in findings), \
        [f.headline() for f in findings]


# -- the generator ---------------------------------------------------------------------------------

def test_program_is_a_function_of_its_seed():
    for index in range(20):
        a, b = generate(program_seed(3, index)), generate(program_seed(3, index))
        assert a.source() == b.source()
        assert all(x.tobytes() == y.tobytes() and x.dtype == y.dtype for (_, x), (_, y) in zip(a.args, b.args))


def test_literal_rebuilds_every_limit_value_bit_for_bit():
    for dtype in V.ALL_DTYPES:
        limits = [] if dtype == V.BOOL else V.float_limits(dtype) if V.is_float(dtype) else V.int_limits(dtype)
        array = V.cast_exact(limits, dtype) if limits else np.array([True, False])
        rebuilt = eval(V.literal(array), {"np": np, "ml_dtypes": ml_dtypes})  # noqa: S307  (our own text)
        assert rebuilt.dtype == array.dtype and rebuilt.tobytes() == array.tobytes(), dtype


def test_programs_draw_every_dtype_limit_values_and_control_flow():
    dtypes, calls, specials = set(), set(), set()
    for index in range(300):
        program = generate(program_seed(11, index))
        for _, value in program.args:
            dtypes.add(value.dtype)
            if value.dtype in V.FLOATS:
                wide = value.astype(np.float64)
                specials |= {"nan"} if np.isnan(wide).any() else set()
                specials |= {"inf"} if np.isinf(wide).any() else set()
                specials |= {"-0.0"} if ((wide == 0) & np.signbit(wide)).any() else set()
                tiny = float(V.finfo(value.dtype).tiny)
                specials |= {"subnormal"} if ((wide != 0) & (np.abs(wide) < tiny)).any() else set()
            if 0 in value.shape:
                specials.add("size 0")
        calls |= {op.call for op in program.ops}
    assert dtypes == set(V.ALL_DTYPES)
    assert {"nan", "inf", "-0.0", "subnormal", "size 0"} <= specials
    assert {"tracer.cond", "tracer.switch", "tracer.fori_loop", "tracer.while_loop", "tracer.scan", "np.matmul",
            "np.where", "np.sum", "astype", "index", "index-write"} <= calls


def test_programs_run_with_numpy_unless_they_test_an_error():
    for index in range(60):
        program = generate(program_seed(5, index))
        eager = run_eager(program)
        assert eager.error is None or eager.error_op == program.ops[-1].out, program.source()


def test_known_crash_generators_are_off_unless_asked_for():
    def crash_programs(config):
        return sum(any(op.info.get("known_crash") for op in generate(program_seed(1, i), config).ops) for i in range(400))

    assert crash_programs(Config()) == 0
    assert crash_programs(Config(known_crashes=frozenset(KNOWN_CRASH_GENERATORS))) > 20


def test_divisors_are_never_constants_by_default():
    """Issue 16 #1's crash needs `//` or `%` of two constants; by default a divisor is an argument or a
    nonzero literal, so it never folds to a constant zero."""
    seen = 0
    for index in range(400):
        program = generate(program_seed(9, index))
        args = {name for name, _ in program.args}
        for op in program.ops:
            divisor = op.info.get("divisor")
            if divisor is None:
                continue
            seen += 1
            if divisor.startswith("{"):
                name = op.uses[int(divisor.strip("{}"))]
                assert name in args or (dict(program.consts)[name] != 0).all(), op.render()
            else:
                value = eval(divisor, {"np": np, "ml_dtypes": ml_dtypes})  # noqa: S307  (our own literal)
                assert value != 0, op.render()
    assert seen > 20


# -- the machinery ---------------------------------------------------------------------------------

def test_pool_reports_crashes_and_hangs_and_keeps_going():
    crash = "def f(x):\n    import os, signal\n    os.kill(os.getpid(), signal.SIGSEGV)\n"
    hang = "def f(x):\n    import time\n    time.sleep(60)\n"
    fine = "def f(x):\n    return (x + 1,)\n"
    x = np.arange(3, dtype=np.int32)
    with Pool(2, timeout=5) as pool:
        outcomes = pool.run([Job(crash, (x,), False), Job(hang, (x,), False), Job(fine, (x,), True)])
    assert [o.status for o in outcomes] == ["crash", "hang", "ok"]
    assert outcomes[0].detail == "SIGSEGV"
    np.testing.assert_array_equal(outcomes[2].values[0], x + 1)


def test_integer_division_by_zero_now_agrees_with_numpy(pool):
    """Integer division by zero was a documented difference (XLA's answer); issue 16 #1 made it NumPy's 0."""
    program = one_op("{out} = {0} // {1}", "np.floor_divide", np.array([7, -7, 3], np.int32),
                     np.array([0, 0, 2], np.int32), ufunc="floor_divide")
    assert not [f for f in evaluate(program, pool) if f.status in ("bug", "known")]


def test_a_difference_is_traced_to_the_op_where_it_starts(pool):
    # A float out of uint8's range saturates (a documented difference); the multiply after it only carries it along.
    program = Program((("x0", np.array([-3.77, 300.0, 7.5], np.float32)),), (),
                      (Op("v1", "{out} = {0}.astype(np.uint8)", ("x0",), "astype",
                          info={"src": "float32", "dst": ["uint8"]}),
                       Op("v2", "{out} = {0} * 2", ("v1",), "np.multiply")), ("v2",))
    findings = evaluate(program, pool)
    assert findings and {(f.status, f.call) for f in findings} == {("documented", "astype")}


def test_a_body_may_differ_as_its_approximations_a_few_ulps_off_would_make_it():
    inputs = {"x5": np.full(4, 19, np.int32), "x4": np.full(2, 19, np.int32)}
    # What XLA computes: tanh(19) = 1 - 7.8e-16 (NumPy 1.0), truncated to 0, then tanh(0) = 0 (NumPy tanh(1)).
    as_compiled = np.stack([np.full(4, 1 - 7.8e-16), np.zeros(4)])
    tolerance = (1024 * np.finfo(np.float64).eps,) * 2  # (compare.op_tolerance's for an approximation in a body)
    assert explained_by_approximations(_TANH_CARRY, inputs, as_compiled, *tolerance, True)
    for wrong in (as_compiled + 0.5, np.zeros((2, 4))):  # (no few ulps give these)
        assert not explained_by_approximations(_TANH_CARRY, inputs, wrong, *tolerance, True)
    exact_body = dataclasses.replace(_TANH_CARRY, blocks=(dataclasses.replace(
        _TANH_CARRY.blocks[0], ops=(Op("v12", "{out} = np.negative({0})", ("p7",), "np.negative"),)),))
    assert not explained_by_approximations(exact_body, inputs, np.full((2, 4), -19.0), *tolerance, True)


def test_shrink_keeps_the_failure_and_drops_the_rest():
    x = np.arange(12, dtype=np.float32).reshape(3, 4)
    program = Program((("x0", x), ("x1", -x)), (),
                      (Op("v1", "{out} = np.sin({0})", ("x0",), "np.sin"),
                       Op("v2", "{out} = np.where({0} > 0, {0}, {1})", ("v1", "x1"), "np.where"),
                       Op("v3", "{out} = np.cos({0})", ("v2",), "np.cos"),
                       Op("v4", "{out} = {0} + 1", ("v3",), "np.add")), ("v4", "v1"))
    fails = lambda p: any(op.call == "np.where" for op in p.ops)  # noqa: E731  (stands in for a compiled run)
    small, tried = shrink(program, fails, budget=200)
    assert fails(small) and len(small.ops) == 1 and small.outputs == ("v2",) and tried < 200
    assert all(value.size == 1 for _, value in small.args)


def test_reproducer_is_a_standalone_script(tmp_path):
    from benchmarks.fuzzing.evaluate import Finding
    from benchmarks.fuzzing.runner import Example

    program = one_op("{out} = np.sum({0})", "np.sum", np.full(3, 0.5, np.float32))
    script = reproducer(Example(Finding("bug", "value", "numpy vs optimize=True"), 0, program, 1), seed=0)
    namespace: dict = {"__name__": "reproducer"}
    exec(compile(script, "repro.py", "exec"), namespace)  # noqa: S102  (runs f eagerly and compiled)
    assert load(program.source())(np.ones(2, np.float32))[0] == 2.0
