"""Run one program three ways (NumPy; compiled with optimize=False; compiled with the default pipeline)
and say how they differ: a list of `Finding`s, each a bug, a known issue, a documented difference,
an unsupported feature (a clear error), or rounding that only grew through later ops.

A difference in the outputs is traced to the op where it starts: the program is compiled again
returning every value, and each op is run with NumPy on the inputs the compiled program gave it.
The first op whose compiled result is not what NumPy makes of those same inputs (within the op's
tolerance) is where the difference starts; the allow-lists judge that op, not the whole program.
If no op is out of tolerance, the difference is rounding amplified by later ops ("propagated").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from benchmarks.fuzzing import allowlist
from benchmarks.fuzzing.approximation import explained_by_approximations
from benchmarks.fuzzing.compare import ACCUMULATING, differ, op_tolerance, output_tolerance, same_error_kind
from benchmarks.fuzzing.program import EagerResult, Program, op_at_line, run_eager, run_op
from benchmarks.fuzzing.workers import Job, Outcome, Pool

# Ops whose sign of a zero result is not NumPy's to define: accumulations start from +0.0 in XLA
# (NumPy from the first element), and IEEE 754-2008 lets max/min of -0.0 and +0.0 return either.
_ZERO_SIGN_FREE = {name.split(".")[-1] for name in ACCUMULATING} | {
    "max", "min", "amax", "amin", "maximum", "minimum", "fmax", "fmin", "nanmax", "nanmin", "clip", "sort",
    "median", "nanmedian", "percentile", "quantile", "nanpercentile", "nanquantile", "ptp", "maximum.reduce",
    "minimum.reduce", "fmax.reduce", "fmin.reduce", "reduce",
    # decompositions and what is built on them: products of their factors, summed from +0.0 or not
    "pinv", "svd", "svdvals", "lstsq", "qr", "eigh", "eigvalsh", "cond"}


def checks_zero_sign(call: str) -> bool:
    return call.removeprefix("np.").split(".")[-1] not in _ZERO_SIGN_FREE and call.removeprefix("np.") not in _ZERO_SIGN_FREE


@dataclass
class Finding:
    status: str  # "bug", "known", "documented", "unsupported", "propagated"
    kind: str  # "crash", "hang", "value", "nan", "inf", "signed-zero", "dtype", "shape", "numpy-raised", ...
    comparison: str  # "numpy vs optimize=False" ...
    rule: str = ""  # the allow-list rule, for known and documented ones
    call: str = ""  # the op where it starts, if found
    detail: str = ""

    def signature(self) -> tuple:
        """What must stay the same while a program is shrunk."""
        return (self.status, self.kind, self.comparison, self.rule, self.call)

    def headline(self) -> str:
        where = f" at {self.call}" if self.call else ""
        rule = f" [{self.rule}]" if self.rule else ""
        return f"{self.status}: {self.kind} ({self.comparison}){where}{rule}"


def label(optimize: bool) -> str:
    return f"optimize={optimize}"


def evaluate(program: Program, pool: Pool, modes: tuple[bool, ...] = (False, True)) -> list[Finding]:
    eager = run_eager(program)
    args = tuple(value for _, value in program.args)
    outcomes = dict(zip(modes, pool.run([Job(program.source(), args, m) for m in modes])))
    findings: list[Finding] = []
    for optimize, outcome in outcomes.items():
        if outcome.status in ("crash", "hang"):
            findings.append(_crash(program, outcome, optimize))
        else:
            findings += _against_numpy(program, eager, outcome, optimize, pool)
    findings = _merge_modes(findings)
    if len(outcomes) == 2 and all(o.status == "ok" for o in outcomes.values()):
        findings += _between_modes(program, outcomes[False], outcomes[True], pool)
    return _known_generator(program, findings)


def _known_generator(program: Program, findings: list[Finding]) -> list[Finding]:
    """A program drawn by a known-crash generator (--known-crashes) fails as issue 16 says, or in a nearby way
    (under the workers' memory limit, the out-of-memory read is an unclear error rather than an abort):
    either way it counts under that generator, not as a new finding."""
    known = {op.call: op.info["known_crash"] for op in program.ops if op.info.get("known_crash")}
    for finding in findings:
        if finding.status == "bug" and known and (finding.call in known or finding.kind.startswith(("crash", "hang"))):
            finding.status, finding.rule = "known", known.get(finding.call) or ",".join(sorted(set(known.values())))
    return findings


# A finding both compilations show alike is one finding (most are: they come from tracing or from XLA,
# not from our passes); these are the comparisons it then names.
_MERGED = {frozenset({"numpy vs optimize=False", "numpy vs optimize=True"}): "numpy vs optimize=False and True",
           frozenset({"optimize=False", "optimize=True"}): "optimize=False and True"}


def _merge_modes(findings: list[Finding]) -> list[Finding]:
    merged: list[Finding] = []
    for finding in findings:
        for other in merged:
            both = _MERGED.get(frozenset({other.comparison, finding.comparison}))
            if both and (other.status, other.kind, other.rule, other.call) == (finding.status, finding.kind,
                                                                               finding.rule, finding.call):
                other.comparison = both
                break
        else:
            merged.append(finding)
    return merged


def _crash(program: Program, outcome: Outcome, optimize: bool) -> Finding:
    detail = outcome.detail + (f"\n{outcome.stderr}" if outcome.stderr else "")
    kind = f"crash:{outcome.detail}" if outcome.status == "crash" else "hang"
    return Finding("bug", kind, label(optimize), detail=detail)


def _judge(case: allowlist.Case) -> Finding:
    status, rule = allowlist.classify(case)
    detail = case.detail or (str(case.difference) if case.difference else "")
    return Finding(status, case.kind, case.comparison, rule.name if rule else "", case.call, detail)


def _error_op(program: Program, message: str):
    match = re.search(r"<fuzz-program>:(\d+)", message)
    return op_at_line(program, int(match.group(1))) if match else None


def _against_numpy(program: Program, eager: EagerResult, outcome: Outcome, optimize: bool, pool: Pool) -> list[Finding]:
    comparison = f"numpy vs {label(optimize)}"
    error = outcome.error
    if outcome.status == "error" and "UnsupportedNumPyError" in error.bases:
        # A clear refusal (README: anything else raises tracer.UnsupportedNumPyError), whatever NumPy did.
        op = _error_op(program, error.message + error.where)
        return [Finding("unsupported", "unsupported", comparison, call=op.call if op else "",
                        detail=error.message.splitlines()[0][:300])]
    if eager.error is not None and outcome.status == "error":
        ours_op = _error_op(program, error.message + error.where)
        order = [op.out for op in program.ops]
        if (error.tracer_error and ours_op is not None and eager.error_op in order
                and order.index(ours_op.out) < order.index(eager.error_op)):
            # Ours raised at an op NumPy ran (an earlier one): judged as ours raising there, whatever NumPy raised
            # later (np.extract with a traced condition, before NumPy's TypeError: fuzz seed 2525, program 3413).
            case = allowlist.Case("ours-raised", comparison, program, ours_op, ours_error=error,
                                  detail=f"{error.type}: {error.message[:600]}")
            return [_judge(case)]
        numpy_bases = tuple(c.__name__ for c in type(eager.error).__mro__)
        call = program.op(eager.error_op).call
        both = f"ours: {error.type}: {error.message[:300]}\nNumPy: {type(eager.error).__name__}: {eager.error}"
        if not error.tracer_error and (error.type, error.message) != (type(eager.error).__name__, str(eager.error)[:2000]):
            # Ours is neither a TracerError naming the line nor NumPy's own exception (NumPy code run as is,
            # e.g. a call with a missing argument, raises the same TypeError traced or not).
            return [Finding("bug", "unclear-error", comparison, call=call, detail=both)]
        if not same_error_kind(numpy_bases, error.bases):
            return [Finding("bug", "error-kind", comparison, call=call, detail=both)]
        return []
    if eager.error is not None:
        op = program.op(eager.error_op)
        inputs = {n: eager.values[n] for n in op.reads() if n in eager.values}
        case = allowlist.Case("numpy-raised", comparison, program, op, inputs, numpy_error=eager.error,
                              detail=f"NumPy raised {type(eager.error).__name__}: {str(eager.error)[:300]}; ours returned values")
        return [_judge(case)]
    if outcome.status == "error":
        op = _error_op(program, error.message + error.where)
        kind = "ours-raised" if error.tracer_error else "internal-error"
        case = allowlist.Case(kind, comparison, program, op, ours_error=error,
                              detail=f"{error.type}: {error.message[:600]}\n{error.where if not error.tracer_error else ''}")
        return [_judge(case)]
    for index, name in enumerate(program.outputs):
        expected = eager.values[name]
        tolerance = output_tolerance(program, name, np.asarray(expected).dtype)
        difference = differ(expected, outcome.values[index], *tolerance, signed_zeros=checks_zero_sign(program.op(name).call))
        if difference is not None:
            return [_localize(program, eager, optimize, pool, difference, name)]
    return []


def _localize(program: Program, eager: EagerResult, optimize: bool, pool: Pool, first, name: str) -> Finding:
    comparison = f"numpy vs {label(optimize)}"
    variant = program.with_all_outputs()
    outcome = pool.run([Job(variant.source(), tuple(v for _, v in program.args), optimize)])[0]
    if outcome.status != "ok":
        return Finding("bug", first.kind, comparison, call=program.op(name).call,
                       detail=f"output {name}: {first} (returning every value instead: {outcome.status})")
    compiled = dict(zip(variant.outputs, outcome.values))
    known = {n: v for n, v in eager.values.items() if n not in compiled}
    for op in program.ops:
        actual = compiled[op.out]
        zero_sign = checks_zero_sign(op.call)
        tolerance = output_tolerance(program, op.out, np.asarray(actual).dtype)
        if differ(eager.values[op.out], actual, *tolerance, signed_zeros=zero_sign) is None:
            known[op.out] = actual
            continue
        inputs = {n: known[n] for n in op.reads() if n in known}
        try:
            expected, warnings = run_op(op, inputs)
        except Exception as err:  # noqa: BLE001
            return _judge(allowlist.Case("numpy-raised", comparison, program, op, inputs, actual=actual, numpy_error=err,
                                         detail=f"NumPy raises {type(err).__name__} on the compiled inputs: {err}"))
        rtol, atol = op_tolerance(op, np.asarray(actual).dtype, list(inputs.values()))
        difference = differ(expected, actual, rtol, atol, signed_zeros=zero_sign)
        if difference is None or explained_by_approximations(op, inputs, actual, rtol, atol, zero_sign):
            known[op.out] = actual
            continue
        return _judge(allowlist.Case(difference.kind, comparison, program, op, inputs, expected, actual,
                                     warnings=warnings, difference=difference,
                                     detail=f"{op.out} = {op.call}: {difference}"))
    return Finding("propagated", first.kind, comparison, call=program.op(name).call,
                   detail=f"output {name}: {first}; every op is within its tolerance")


def _between_modes(program: Program, plain: Outcome, optimized: Outcome, pool: Pool) -> list[Finding]:
    """Our passes keep results bit for bit (README), so optimized and unoptimized runs must agree even where
    NumPy's answer is only documented as different (e.g. NaN converted to an integer)."""
    comparison = "optimize=False vs optimize=True"
    for index, name in enumerate(program.outputs):
        tolerance = output_tolerance(program, name, plain.values[index].dtype)
        first = differ(plain.values[index], optimized.values[index], *tolerance,
                       signed_zeros=checks_zero_sign(program.op(name).call))
        if first is None:
            continue
        variant = program.with_all_outputs()
        args = tuple(v for _, v in program.args)
        both = pool.run([Job(variant.source(), args, False), Job(variant.source(), args, True)])
        if any(o.status != "ok" for o in both):
            return [Finding("bug", first.kind, comparison, call=program.op(name).call,
                            detail=f"output {name}: {first} (returning every value instead: {[o.status for o in both]})")]
        a, b = (dict(zip(variant.outputs, o.values)) for o in both)
        for op in program.ops:
            zero_sign = checks_zero_sign(op.call)
            difference = differ(a[op.out], b[op.out], *output_tolerance(program, op.out, a[op.out].dtype),
                                signed_zeros=zero_sign)
            if difference is None:
                continue
            inputs = {n: a.get(n, dict(program.args).get(n, dict(program.consts).get(n))) for n in op.reads()}
            inputs = {n: v for n, v in inputs.items() if v is not None}
            rtol, atol = op_tolerance(op, np.asarray(a[op.out]).dtype, list(inputs.values()))
            if differ(a[op.out], b[op.out], rtol, atol, signed_zeros=zero_sign) is None:
                continue
            return [_judge(allowlist.Case(difference.kind, comparison, program, op, inputs, a[op.out], b[op.out],
                                          difference=difference, detail=f"{op.out} = {op.call}: optimized {difference}"))]
        return [Finding("propagated", first.kind, comparison, call=program.op(name).call, detail=f"output {name}: {first}")]
    return []
