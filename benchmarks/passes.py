"""Our optimisation pipeline vs Enzyme-JAX's, same process: op counts, XLA run time, pass time per op.

The corpus is built here:
- modules JAX itself exports (`jax.jit(f).lower(...).as_text()`): an MLP training step (forward,
  `jax.grad`, SGD update), a small CNN forward+backward and a transformer block forward+backward;
- our own traced modules (`tracer.jit(lux.apply).lower(...)`): the forward passes of an MLP, of the
  ResNet-style CNN and of the transformer block of `benchmarks/layers.py`.

For each module: its op count before any pass, after our `passes.DEFAULT_PIPELINE` and after
Enzyme-JAX's pipeline (`enzyme_call.run_pass_pipeline([], text, primitives.optimization_passes())`),
with the ratio ours / Enzyme (goal <= 1.0); then the XLA run time of the module each pipeline left
(compiled with `runtime.compile_stablehlo`, random inputs of the module's argument types, outputs
checked to agree, median of alternating rounds), ratio ours / Enzyme (goal <= 1.0). Last, the wall
time of our pipeline per op on the traced unrolled MLP of `benchmarks/trace_speed.py` at growing
sizes (goal: under 20 us/op, flat up to 50,000 ops), beside Enzyme's on the same modules.

Enzyme-JAX is optional (`pip install -e '.[bench]'`, Python 3.11); without it only our numbers print.

    python -m benchmarks.passes [--quick]
"""

from __future__ import annotations

import re
import statistics
import sys
import time
from pathlib import Path

if not __package__:  # run as a file: its folder would come first on sys.path and shadow the `runtime` package
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402  (the corpus and the rival: allowed in benchmarks)
import numpy as np  # noqa: E402
from jaxlib.mlir import ir as mlir  # noqa: E402

import ir  # noqa: E402
import lux  # noqa: E402
import passes  # noqa: E402
import runtime  # noqa: E402
import tracer  # noqa: E402
from benchmarks import layers  # noqa: E402
from benchmarks._timing import compare  # noqa: E402
from benchmarks.trace_speed import inputs as mlp_inputs  # noqa: E402
from benchmarks.trace_speed import make_mlp  # noqa: E402

jax.config.update("jax_enable_x64", False)

try:
    from enzyme_ad.jax import enzyme_call as _enzyme_call
    from enzyme_ad.jax import primitives as _enzyme_primitives
except ImportError as _err:  # the `bench` extra is not installed (or no wheel for this Python)
    _enzyme_call = _enzyme_primitives = None
    ENZYME_MISSING = str(_err)
else:
    ENZYME_MISSING = ""

GOAL_US_PER_OP = 20.0


# -- the corpus ---------------------------------------------------------------------------------------

MLP_SIZES = (64, 256, 256, 10)


def mlp_model():
    return lux.Chain(lux.Dense(MLP_SIZES[0], MLP_SIZES[1], lux.relu), lux.Dense(MLP_SIZES[1], MLP_SIZES[2], lux.relu),
                     lux.Dense(MLP_SIZES[2], MLP_SIZES[3]))


def jax_mlp(ps, x):
    h = x
    for index in range(1, len(MLP_SIZES)):
        p = ps[f"layer_{index}"]
        h = h @ p["weight"] + p["bias"]
        if index < len(MLP_SIZES) - 1:
            h = jax.nn.relu(h)
    return h


def cross_entropy(logits, labels):
    return -jnp.mean(jnp.sum(jax.nn.log_softmax(logits, axis=-1) * labels, axis=-1))


def jax_mlp_train_step(ps, x, labels):
    loss, grads = jax.value_and_grad(lambda p: cross_entropy(jax_mlp(p, x), labels))(ps)
    return jax.tree_util.tree_map(lambda p, g: p - 0.01 * g, ps, grads), loss


def jax_cnn_forward_backward(ps, x):
    return jax.value_and_grad(lambda p: jnp.mean(layers.jax_cnn(p, x) ** 2))(ps)


def jax_transformer_forward_backward(ps, x):
    return jax.value_and_grad(lambda p: jnp.mean(layers.jax_transformer(p, x) ** 2))(ps)


def params(model):
    ps, st = lux.setup(np.random.default_rng(0), model)
    return ps, lux.testmode(st)


def corpus(quick: bool) -> list[tuple[str, str]]:
    """(name, StableHLO text) for every module: JAX's exports, then our traced forward passes."""
    rng = np.random.default_rng(1)
    batch = 8 if quick else 32
    x_mlp = rng.standard_normal((batch * 4, MLP_SIZES[0]), dtype=np.float32)
    labels = np.eye(MLP_SIZES[-1], dtype=np.float32)[rng.integers(0, MLP_SIZES[-1], batch * 4)]
    x_cnn = rng.standard_normal((batch, 3, 32, 32), dtype=np.float32)
    x_transformer = rng.standard_normal((batch // 4, 64, layers.WIDTH), dtype=np.float32)
    models = {"mlp": mlp_model(), "cnn": layers.cnn(), "transformer": layers.transformer_block}
    ps = {name: params(model) for name, model in models.items()}
    modules = [
        ("jax: MLP train step", jax.jit(jax_mlp_train_step).lower(ps["mlp"][0], x_mlp, labels).as_text()),
        ("jax: CNN fwd+bwd", jax.jit(jax_cnn_forward_backward).lower(ps["cnn"][0], x_cnn).as_text()),
        ("jax: transformer fwd+bwd",
         jax.jit(jax_transformer_forward_backward).lower(ps["transformer"][0], x_transformer).as_text()),
    ]
    for name, x in (("mlp", x_mlp), ("cnn", x_cnn), ("transformer", x_transformer)):
        p, st = ps[name]
        module = tracer.jit(lux.apply).lower(models[name], x, p, st)
        modules.append((f"ours: {name} forward", ir.print_module(module)))
    return modules


# -- the pipelines ------------------------------------------------------------------------------------

def count_ops(module: mlir.Module) -> int:
    """Ops in the program: every op nested in the module, less the func.func and func.return ops."""
    functions = sum(1 for op in module.body.operations if op.operation.name == "func.func")
    return passes.count_ops(module) - 2 * functions


def parse_any(text: str) -> mlir.Module:
    """Our context; a context that allows unknown dialects for Enzyme's output (enzymexla ops, if any)."""
    try:
        return ir.parse_module(text)
    except ir.MLIRParseError:
        context = ir.make_context()
        context.allow_unregistered_dialects = True
        return mlir.Module.parse(text, context=context)


def run_ours(text: str, statistics_out: list | None = None) -> tuple[str, float, int]:
    """Our default pipeline on `text`: (result text, seconds in passes.run excluding parsing, ops after).

    `statistics_out`, when given, receives the pass manager's per-pass PassStatistics.
    """
    module = ir.parse_module(text)
    manager = passes.PassManager(passes.DEFAULT_PIPELINE)  # (op counts off, as jit runs it)
    start = time.perf_counter()
    manager.run(module)
    seconds = time.perf_counter() - start
    if statistics_out is not None:
        statistics_out.extend(manager.statistics)
    return ir.print_module(module), seconds, count_ops(module)


def run_enzyme(text: str) -> tuple[str, float, int]:
    """Enzyme-JAX's optimisation pipeline on `text` (parse + passes + print inside one C++ call)."""
    # As Enzyme-JAX itself does before handing a module back to XLA (primitives._enzyme_primal_lowering):
    # its own attributes (enzymexla.guaranteed ...) dropped, so XLA parses the result.
    pipeline = _enzyme_primitives.optimization_passes() + ",tensor-empty-raise,drop-unsupported-attributes"
    start = time.perf_counter()
    _name, out = _enzyme_call.run_pass_pipeline([], text, pipeline)
    seconds = time.perf_counter() - start
    # Enzyme marks every function private; XLA needs a public entry point.
    out = re.sub(r"func\.func private @main\(", "func.func public @main(", out, count=1)
    return out, seconds, count_ops(parse_any(out))


# -- XLA run time -------------------------------------------------------------------------------------

def main_argument_types(text: str) -> list[tuple[tuple[int, ...], np.dtype]]:
    return ir.main_signatures(text)[0]


def random_arguments(text: str, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    arrays = []
    for shape, dtype in main_argument_types(text):
        if dtype == np.bool_:
            arrays.append(rng.integers(0, 2, shape).astype(bool))
        elif np.issubdtype(dtype, np.integer):
            arrays.append(rng.integers(0, 4, shape).astype(dtype))
        else:
            arrays.append((rng.standard_normal(shape) * 0.1).astype(dtype))
    return arrays


def executor(text: str, arrays):
    executable = runtime.compile_stablehlo(text)
    device = runtime.default_device()
    buffers = [jax.device_put(a, device) for a in arrays]

    def call():
        results = executable.execute(buffers)
        for r in results:
            r.block_until_ready()
        return results

    return call


def check_agree(label: str, expected, actual) -> str:
    """'' when the two lists of outputs agree, else a short note (printed; a wrong answer is a bug)."""
    if len(expected) != len(actual):
        return f"{label}: {len(actual)} results vs {len(expected)}"
    for index, (e, a) in enumerate(zip(expected, actual)):
        e, a = np.asarray(e), np.asarray(a)
        if e.shape != a.shape or not np.allclose(e, a, rtol=1e-3, atol=1e-4):
            err = np.max(np.abs(e.astype(np.float64) - a.astype(np.float64))) if e.shape == a.shape else "shape"
            return f"{label}: result {index} differs (max abs err {err})"
    return ""


def compare_all(fns, *, calls: int, repeats: int = 7) -> list[float]:
    """benchmarks/_timing.compare for any number of functions: median per-call seconds of each, timed
    in alternating rounds (one warm-up round first) so that drift in machine load affects all alike."""
    for fn in fns:
        for _ in range(min(calls, 100)):
            fn()
    samples = [[] for _ in fns]
    for _ in range(repeats):
        for fn, times in zip(fns, samples):
            start = time.perf_counter()
            for _ in range(calls):
                fn()
            times.append((time.perf_counter() - start) / calls)
    return [statistics.median(times) for times in samples]


def calls_for(fn, budget_s: float = 0.05) -> int:
    start = time.perf_counter()
    fn()
    one = time.perf_counter() - start
    return max(1, min(1000, int(budget_s / max(one, 1e-6))))


# -- pass time per op ---------------------------------------------------------------------------------

def scaling(sizes, rounds: int):
    print(f"\npass time per op, traced unrolled MLP (benchmarks/trace_speed.make_mlp), median of {rounds}; "
          f"goal < {GOAL_US_PER_OP:.0f} us/op, flat\n(ours: passes.run on a parsed module, verification after each pass "
          f"included; Enzyme: one C++ call that also parses and prints)")
    header = f"{'layers':>7} {'ops':>7} {'ours':>9} {'ours/op':>10}"
    if _enzyme_call is not None:
        header += f" {'enzyme/op':>10} {'ours/enz':>9}"
    print(header)
    breakdown = []
    for n_layers in sizes:
        specs = [tracer.ArraySpec(a.shape, a.dtype) for a in mlp_inputs(n_layers)]
        text = ir.print_module(tracer.jit(make_mlp(np, n_layers)).lower(*specs))
        ops = count_ops(ir.parse_module(text))
        ours, theirs, per_pass = [], [], []
        for _ in range(rounds):
            stats = []
            ours.append(run_ours(text, stats)[1])
            per_pass.append(stats)
            if _enzyme_call is not None:
                theirs.append(run_enzyme(text)[1])
        t_ours = statistics.median(ours)
        line = f"{n_layers:>7} {ops:>7} {t_ours:>8.3f}s {t_ours / ops * 1e6:>8.1f}us"
        if theirs:
            t_enz = statistics.median(theirs)
            line += f" {t_enz / ops * 1e6:>8.1f}us {t_ours / t_enz:>9.2f}"
        print(line, flush=True)
        median_run = ours.index(t_ours) if t_ours in ours else 0
        breakdown.append((n_layers, ops, per_pass[median_run], ours[median_run]))
    # Where the time goes: us per input op of each pass (the run with the median total), per size.
    names = [s.name for s in breakdown[0][2]]
    print("\nper pass (PassStatistics), us per input op; 'manager' is the rest of passes.run: verifying after each "
          "pass and counting ops")
    print(f"{'pass':<16}" + "".join(f"{f'{ops} ops':>12}" for _, ops, _, _ in breakdown))
    for index, name in enumerate(names):
        print(f"{name:<16}" + "".join(f"{stats[index].seconds / ops * 1e6:>10.1f}us" for _, ops, stats, _ in breakdown))
    print(f"{'manager':<16}" + "".join(f"{(total - sum(s.seconds for s in stats)) / ops * 1e6:>10.1f}us"
                                       for _, ops, stats, total in breakdown))


# -- main ---------------------------------------------------------------------------------------------

def main() -> None:
    quick = "--quick" in sys.argv
    if _enzyme_call is None:
        print(f"Enzyme-JAX is not installed ({ENZYME_MISSING}): printing our numbers only.\n"
              "  for the comparison: pip install -e '.[bench]'   (enzyme-ad 0.0.16; Python 3.11, Linux x86-64)\n")
    modules = corpus(quick)
    rows, notes = [], []
    print("op counts (ops in functions, less func/return) and pass wall time")
    print(f"{'module':<26} {'before':>7} {'ours':>7} {'enzyme':>7} {'ours/enz':>9} {'ours ms':>9} {'enz ms':>9}")
    for name, text in modules:
        before = count_ops(ir.parse_module(text))
        try:
            ours_text, ours_s, ours_ops = run_ours(text)
        except passes.PassFailedError as err:  # a failure of our pipeline is a finding: report it, go on
            notes.append(f"{name}: our pipeline failed: {type(err).__name__}: {str(err).splitlines()[0][:300]}")
            ours_text, ours_s, ours_ops = None, float("nan"), None
        enz_text = enz_s = enz_ops = None
        if _enzyme_call is not None:
            try:
                enz_text, enz_s, enz_ops = run_enzyme(text)
            except (ValueError, RuntimeError) as err:  # (enzyme_call: ValueError for a module it cannot parse)
                notes.append(f"{name}: Enzyme's pipeline failed: {type(err).__name__}: {str(err)[:300]}")
        ratio = f"{ours_ops / enz_ops:>9.2f}" if ours_ops and enz_ops else f"{'-':>9}"
        print(f"{name:<26} {before:>7} {ours_ops if ours_ops is not None else 'FAIL':>7} "
              f"{enz_ops if enz_ops is not None else '-':>7} {ratio} {ours_s * 1e3:>9.1f} "
              f"{f'{enz_s * 1e3:.1f}' if enz_s is not None else '-':>9}", flush=True)
        rows.append((name, text, ours_text, enz_text))

    print("\nXLA run time of each module (median of 7 alternating rounds; inputs random, device-resident)")
    header = f"{'module':<26} {'none ms':>9} {'ours ms':>9} {'ours/none':>10}"
    if _enzyme_call is not None:
        header += f" {'enz ms':>9} {'ours/enz':>9}"
    print(header)
    for name, text, ours_text, enz_text in rows:
        if ours_text is None:
            print(f"{name:<26} (our pipeline failed: see notes)")
            continue
        arrays = random_arguments(text)
        try:
            plain, ours = executor(text, arrays), executor(ours_text, arrays)
            enzyme = executor(enz_text, arrays) if enz_text is not None else None
        except (runtime.CompileError, ir.MLIRParseError) as err:
            notes.append(f"{name}: XLA compile failed: {type(err).__name__}: {str(err)[:300]}")
            continue
        expected = plain()
        for label, fn in (("ours", ours), ("enzyme", enzyme)):
            if fn is not None:
                note = check_agree(f"{name} [{label} vs unoptimised]", expected, fn())
                if note:
                    notes.append(note)
        calls = calls_for(plain)
        if enzyme is None:
            t_plain, t_ours = compare(plain, ours, calls=calls, repeats=7)
        else:
            t_plain, t_ours, t_enz = compare_all([plain, ours, enzyme], calls=calls, repeats=7)
        line = f"{name:<26} {t_plain * 1e3:>9.3f} {t_ours * 1e3:>9.3f} {t_ours / t_plain:>10.2f}"
        if enzyme is not None:
            line += f" {t_enz * 1e3:>9.3f} {t_ours / t_enz:>9.2f}"
        print(line, flush=True)

    scaling((60, 600) if quick else (60, 600, 3000, 6000), rounds=1 if quick else 5)

    if notes:
        print("\nnotes:")
        for note in notes:
            print("  " + note)
    if _enzyme_call is None:
        print("\n(no Enzyme-JAX comparison: pip install -e '.[bench]' in a Python 3.11 environment)")


if __name__ == "__main__":
    main()
