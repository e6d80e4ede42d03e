"""lux.optimisers: 100-step trajectories against optax (float64 to 1e-6, float32 looser), against NumPy
references where Optimisers.jl's formula has no optax spelling, eager against `tracer.jit`, `adjust` without
recompiling, dtypes kept, and the errors."""

from __future__ import annotations

import dataclasses
import math

import jax
import jax.numpy as jnp
import ml_dtypes
import numpy as np
import optax
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tracer
from ir.errors import PyreactantError
from lux import optimisers as O

BF16 = np.dtype(ml_dtypes.bfloat16)
STEPS = 100

# -- the problem: a noisy quadratic, grad = p - target + noise[k] ----------------------------------------

_rng = np.random.default_rng(17)
P0 = {"w": _rng.standard_normal((3, 4)), "b": _rng.standard_normal(4)}
TARGET = {"w": _rng.standard_normal((3, 4)), "b": _rng.standard_normal(4)}
NOISE = {"w": 0.5 * _rng.standard_normal((STEPS, 3, 4)), "b": 0.5 * _rng.standard_normal((STEPS, 4))}


def grads_at(ps, k):
    return {name: ps[name] - TARGET[name].astype(ps[name].dtype) + NOISE[name][k].astype(ps[name].dtype)
            for name in ps}


def our_trajectory(rule, dtype=np.float64, update=None):
    """The parameters after each of STEPS updates, stacked: {name: (STEPS, ...)}."""
    ps = {name: value.astype(dtype) for name, value in P0.items()}
    state, update = rule.init(ps), update or rule.update
    out = {name: [] for name in ps}
    for k in range(STEPS):
        state, ps = update(state, ps, grads_at(ps, k))
        for name in ps:
            out[name].append(np.asarray(ps[name]))
    return {name: np.stack(values) for name, values in out.items()}


def assert_trajectories_close(ours, reference, rtol, atol=1e-12):
    for name in reference:
        np.testing.assert_allclose(ours[name].astype(np.float64), reference[name], rtol=rtol, atol=atol, err_msg=name)


# -- optax's equivalents ----------------------------------------------------------------------------------


def per_array(tx):
    """optax `tx` run on each parameter array alone: our ClipNorm takes one norm per array, optax's global."""
    return optax.multi_transform({name: tx for name in P0}, {name: name for name in P0})


def decoupled_adamw(eta, decay):
    # Optimisers.jl's AdamW(couple=false): x -= η adam + λ x. optax's steps are negated updates.
    return optax.chain(optax.scale_by_adam(), optax.scale(eta), optax.add_decayed_weights(decay), optax.scale(-1.0))


# (id, our rule, optax transformation). Where Optimisers.jl's formula differs from optax's default, the
# arguments make them the same computation, and the comment says why.
OPTAX_CASES = [
    ("Descent", O.Descent(0.1), lambda: optax.sgd(0.1)),
    ("Momentum", O.Momentum(0.05, 0.9), lambda: optax.sgd(0.05, momentum=0.9)),
    ("Nesterov", O.Nesterov(0.05, 0.8), lambda: optax.sgd(0.05, momentum=0.8, nesterov=True)),
    # Optimisers.jl adds ϵ outside the square root; optax inside unless eps_in_sqrt=False.
    ("RMSProp", O.RMSProp(0.01, 0.9, 1e-3), lambda: optax.rmsprop(0.01, decay=0.9, eps=1e-3, eps_in_sqrt=False)),
    ("RMSProp-centred", O.RMSProp(0.01, 0.8, 1e-3, centred=True),
     lambda: optax.rmsprop(0.01, decay=0.8, eps=1e-3, eps_in_sqrt=False, centered=True)),
    ("Adam", O.Adam(0.05, (0.8, 0.99), 1e-3), lambda: optax.adam(0.05, b1=0.8, b2=0.99, eps=1e-3)),
    # Optimisers.jl 0.4's default AdamW couples the decay with η, as optax's adamw does.
    ("AdamW", O.AdamW(0.05, (0.9, 0.99), 0.1, 1e-3), lambda: optax.adamw(0.05, b1=0.9, b2=0.99, eps=1e-3,
                                                                         weight_decay=0.1)),
    ("AdamW-decoupled", O.AdamW(0.05, lambda_=0.01, couple=False), lambda: decoupled_adamw(0.05, 0.01)),
    # Optimisers.jl rectifies when ρ > 4, optax when ρ ≥ threshold (default 5).
    ("RAdam", O.RAdam(0.05, (0.9, 0.99), 1e-3), lambda: optax.radam(0.05, b1=0.9, b2=0.99, eps=1e-3, threshold=4.0)),
    # Optimisers.jl adds ϵ after the max, optax inside it: the same with ϵ = 0 (ϵ ≠ 0: see REFERENCE_CASES).
    ("AdaMax", O.AdaMax(0.05, (0.9, 0.99), 0.0), lambda: optax.adamax(0.05, b1=0.9, b2=0.99, eps=0.0)),
    # Optimisers.jl keeps Dozat's β2 under the square root, optax does not: with ϵ = 0 that is optax at η/√β2.
    ("NAdam", O.NAdam(0.05, (0.9, 0.99), 0.0), lambda: optax.nadam(0.05 / math.sqrt(0.99), b1=0.9, b2=0.99, eps=0.0)),
    # Optimisers.jl's AMSGrad has no bias correction and starts its moments at ϵ: optax without bias
    # correction, at ϵ = 0 on both sides.
    ("AMSGrad", O.AMSGrad(0.05, (0.9, 0.99), 0.0),
     lambda: optax.amsgrad(0.05, b1=0.9, b2=0.99, eps=0.0, bias_correction_mu=False, bias_correction_nu=False)),
    # Optimisers.jl starts the sum at ϵ and adds ϵ outside the root; optax starts at 0.1, ϵ inside: both 0.
    ("AdaGrad", O.AdaGrad(0.3, 0.0), lambda: optax.adagrad(0.3, initial_accumulator_value=0.0, eps=0.0)),
    # AdaDelta has no learning rate in Optimisers.jl: optax's at 1.
    ("AdaDelta", O.AdaDelta(0.9, 1e-4), lambda: optax.adadelta(1.0, rho=0.9, eps=1e-4)),
    # Optimisers.jl adds ϵ to s every step and to the denominator: optax's eps_root and eps.
    ("AdaBelief", O.AdaBelief(0.05, (0.9, 0.99), 1e-6), lambda: optax.adabelief(0.05, b1=0.9, b2=0.99, eps=1e-6,
                                                                                eps_root=1e-6)),
    # optax's lion adds a weight decay unless told not to.
    ("Lion", O.Lion(0.01, (0.9, 0.99)), lambda: optax.lion(0.01, b1=0.9, b2=0.99, weight_decay=0.0)),
    ("ClipGrad", O.OptimiserChain(O.ClipGrad(0.5), O.Descent(0.1)), lambda: optax.chain(optax.clip(0.5),
                                                                                        optax.sgd(0.1))),
    ("ClipNorm", O.OptimiserChain(O.ClipNorm(1.5), O.Descent(0.1)),
     lambda: per_array(optax.chain(optax.clip_by_global_norm(1.5), optax.sgd(0.1)))),
    ("WeightDecay", O.OptimiserChain(O.WeightDecay(0.1), O.Momentum(0.05, 0.9)),
     lambda: optax.chain(optax.add_decayed_weights(0.1), optax.sgd(0.05, momentum=0.9))),
    ("Chain", O.OptimiserChain(O.ClipGrad(1.0), O.WeightDecay(0.01), O.Adam(0.05)),
     lambda: optax.chain(optax.clip(1.0), optax.add_decayed_weights(0.01), optax.adam(0.05))),
]
# A learning-rate schedule: ours by `adjust` after half the steps, optax's by a schedule function.
SCHEDULE = (0.05, 0.005)


def _optax_scheduled():
    return optax.adam(lambda count: jnp.where(count < STEPS // 2, *SCHEDULE), b1=0.8, b2=0.99, eps=1e-3)


def _optax_trajectories(transforms):
    """Every transformation's STEPS-step trajectory, in float64, traced and compiled by JAX once for all."""

    def trajectory(tx, ps, noise):
        def body(carry, noise_k):
            ps, state = carry
            grads = jax.tree.map(lambda p, target, n: p - target + n, ps, TARGET, noise_k)
            updates, state = tx.update(grads, state, ps)
            ps = optax.apply_updates(ps, updates)
            return (ps, state), ps

        return jax.lax.scan(body, (ps, tx.init(ps)), noise)[1]

    with jax.enable_x64(True):
        run = jax.jit(lambda ps, noise: [trajectory(tx, ps, noise) for tx in transforms])
        return [jax.tree.map(np.asarray, out) for out in run(P0, NOISE)]


@pytest.fixture(scope="module")
def optax_reference():
    with jax.enable_x64(True):
        transforms = [make() for _, _, make in OPTAX_CASES] + [_optax_scheduled()]
    trajectories = _optax_trajectories(transforms)
    return dict(zip([name for name, _, _ in OPTAX_CASES] + ["scheduled"], trajectories))


@pytest.mark.parametrize("name, rule", [(name, rule) for name, rule, _ in OPTAX_CASES])
def test_float64_trajectory_matches_optax(name, rule, optax_reference):
    assert_trajectories_close(our_trajectory(rule), optax_reference[name], rtol=1e-6)


@pytest.mark.parametrize("name, rule", [(name, rule) for name, rule, _ in OPTAX_CASES])
def test_float32_trajectory_follows_optax(name, rule, optax_reference):
    ours = our_trajectory(rule, np.float32)
    assert ours["w"].dtype == np.float32
    # float32 rounding over 100 steps (Lion's sign steps are the most sensitive), against optax in float64.
    assert_trajectories_close(ours, optax_reference[name], rtol=1e-3, atol=1e-4)


# -- NumPy references for what optax does not compute ------------------------------------------------------
# Each is Optimisers.jl's formula for one array, written out in float64, with a large ϵ so its placement shows.


def _numpy_rule(init, step):
    """A rule on whole trees from `init(x) -> dict` and `step(state, x, g, t) -> (state, Δ)` on one array."""

    @dataclasses.dataclass
    class Reference:
        def init(self, ps):
            return {"t": 0, "leaves": {name: init(x) for name, x in ps.items()}}

        def update(self, state, ps, grads):
            t, new, out = state["t"] + 1, {}, {}
            for name in ps:
                new[name], delta = step(dict(state["leaves"][name]), ps[name], grads[name], t)
                out[name] = ps[name] - delta
            return {"t": t, "leaves": new}, out

    return Reference()


def _zeros(*names):
    return lambda x: {name: np.zeros_like(x) for name in names}


def _adamax(s, x, g, t, eta=0.05, b1=0.9, b2=0.99, eps=0.1):
    s["m"] = b1 * s["m"] + (1 - b1) * g
    s["u"] = np.maximum(b2 * s["u"], np.abs(g))
    return s, eta / (1 - b1 ** t) * s["m"] / (s["u"] + eps)


def _nadam(s, x, g, t, eta=0.05, b1=0.9, b2=0.99, eps=0.1):
    s["m"] = b1 * s["m"] + (1 - b1) * g
    s["v"] = b2 * s["v"] + (1 - b2) * g ** 2
    m_hat = b1 * s["m"] / (1 - b1 ** (t + 1)) + (1 - b1) * g / (1 - b1 ** t)
    return s, eta * m_hat / (np.sqrt(b2 * s["v"] / (1 - b2 ** t)) + eps)


def _amsgrad(s, x, g, t, eta=0.05, b1=0.9, b2=0.99, eps=0.1):
    s["m"] = b1 * s["m"] + (1 - b1) * g
    s["v"] = b2 * s["v"] + (1 - b2) * g ** 2
    s["vhat"] = np.maximum(s["vhat"], s["v"])
    return s, eta * s["m"] / (np.sqrt(s["vhat"]) + eps)


def _adagrad(s, x, g, t, eta=0.3, eps=0.1):
    s["acc"] = s["acc"] + g ** 2
    return s, eta * g / (np.sqrt(s["acc"]) + eps)


def _sign_decay_descent(s, x, g, t, decay=0.05, eta=0.1):
    return s, eta * (g + decay * np.sign(x))


def _clip_norm_descent(p, omega=1.5, eta=0.1):
    def step(s, x, g, t):
        norm = np.linalg.norm(g.ravel(), p)
        return s, eta * g * min(omega / norm, 1.0)
    return step


def _lion_optimisers_jl(s, x, g, t, eta=0.01, b1=0.9, b2=0.99):
    """Optimisers.jl 0.4's Lion, momentum update as written there (β2 and 1 - β2 exchanged)."""
    s["m"] = b2 * g + (1 - b2) * s["m"]
    return s, eta * np.sign((b2 - b1) * g + b1 * s["m"])


REFERENCE_CASES = [
    ("AdaMax", O.AdaMax(0.05, (0.9, 0.99), 0.1), _numpy_rule(_zeros("m", "u"), _adamax)),
    ("NAdam", O.NAdam(0.05, (0.9, 0.99), 0.1), _numpy_rule(_zeros("m", "v"), _nadam)),
    ("AMSGrad", O.AMSGrad(0.05, (0.9, 0.99), 0.1),
     _numpy_rule(lambda x: {name: np.full_like(x, 0.1) for name in ("m", "v", "vhat")}, _amsgrad)),
    ("AdaGrad", O.AdaGrad(0.3, 0.1), _numpy_rule(lambda x: {"acc": np.full_like(x, 0.1)}, _adagrad)),
    ("SignDecay", O.OptimiserChain(O.SignDecay(0.05), O.Descent(0.1)), _numpy_rule(_zeros(), _sign_decay_descent)),
    ("ClipNorm-p1", O.OptimiserChain(O.ClipNorm(1.5, 1), O.Descent(0.1)), _numpy_rule(_zeros(), _clip_norm_descent(1))),
    ("ClipNorm-inf", O.OptimiserChain(O.ClipNorm(1.5, math.inf), O.Descent(0.1)),
     _numpy_rule(_zeros(), _clip_norm_descent(math.inf))),
    ("ClipNorm-p3", O.OptimiserChain(O.ClipNorm(1.5, 3), O.Descent(0.1)), _numpy_rule(_zeros(), _clip_norm_descent(3))),
]


@pytest.mark.parametrize("name, rule, reference", REFERENCE_CASES, ids=[case[0] for case in REFERENCE_CASES])
def test_trajectory_matches_numpy_reference(name, rule, reference):
    expected = our_trajectory(reference)
    assert_trajectories_close(our_trajectory(rule), expected, rtol=1e-6)
    assert_trajectories_close(our_trajectory(rule, np.float32), expected, rtol=1e-3, atol=1e-4)


def test_lion_follows_the_paper_not_optimisers_jl():
    """Documented difference: Optimisers.jl's Lion exchanges β2 and 1 - β2 in its momentum update."""
    ours, julia = our_trajectory(O.Lion(0.01, (0.9, 0.99))), our_trajectory(_numpy_rule(_zeros("m"),
                                                                                       _lion_optimisers_jl))
    np.testing.assert_array_equal(ours["w"][0], julia["w"][0])  # the first step agrees (m starts at 0)
    assert np.abs(ours["w"][-1] - julia["w"][-1]).max() > 1e-3


# -- compiled updates ---------------------------------------------------------------------------------------

JIT_RULES = (
    O.Descent(0.1), O.Momentum(0.05), O.Nesterov(0.05), O.RMSProp(0.01), O.RMSProp(0.01, centred=True),
    O.Adam(0.05), O.AdamW(0.05, lambda_=0.1), O.AdamW(0.05, lambda_=0.1, couple=False), O.RAdam(0.05),
    O.AdaMax(0.05), O.NAdam(0.05), O.AMSGrad(0.05), O.AdaGrad(0.3), O.AdaDelta(), O.AdaBelief(0.05), O.Lion(0.01),
    O.OptimiserChain(O.ClipGrad(0.5), O.ClipNorm(1.0), O.WeightDecay(0.1), O.SignDecay(0.01), O.Adam(0.05)),
    O.OptimiserChain(O.ClipNorm(1.0, math.inf), O.ClipNorm(2.0, 1), O.Descent(0.1)), O.OptimiserChain(),
)


def nested_params(dtype=np.float64, seed=3):
    # Small: XLA's compile time grows with the op count, and one program holds every rule's update.
    rng = np.random.default_rng(seed)
    return {
        "layer_1": {"weight": rng.standard_normal((3, 2)).astype(dtype), "bias": rng.standard_normal(2).astype(dtype)},
        "layer_2": {"scale": [rng.standard_normal(()).astype(dtype)]},
    }


def all_updates(rules):
    """One function running each rule's update: one trace and one compilation for all of them."""
    return lambda states, ps, grads: [rule.update(state, ps, grads) for rule, state in zip(rules, states)]


def test_jit_matches_eager_for_every_rule():
    ps = nested_params()
    eager_update, jitted = all_updates(JIT_RULES), tracer.jit(all_updates(JIT_RULES))
    eager_states = compiled_states = [rule.init(ps) for rule in JIT_RULES]
    for k in range(2):
        grads = nested_params(seed=10 + k)
        eager = eager_update(eager_states, ps, grads)
        compiled = jitted(compiled_states, ps, grads)
        for rule, (eager_state, eager_ps), (state, new_ps) in zip(JIT_RULES, eager, compiled):
            eager_leaves, eager_def = jax.tree.flatten((eager_state, eager_ps))
            leaves, treedef = jax.tree.flatten((state, new_ps))
            assert treedef == eager_def, rule
            for a, b in zip(eager_leaves, leaves):
                assert np.asarray(b).dtype == a.dtype and np.shape(b) == a.shape
                np.testing.assert_allclose(np.asarray(b), a, rtol=1e-10, atol=1e-14, err_msg=repr(rule))
        eager_states, compiled_states = [s for s, _ in eager], [s for s, _ in compiled]
    assert jitted.cache_info["size"] == 1


def test_state_holds_arrays_only_with_hyperparameters_as_0d():
    ps = nested_params(np.float32)
    for rule in JIT_RULES:
        state = rule.init(ps)
        leaves = jax.tree.leaves(state)
        assert all(type(leaf) is np.ndarray for leaf in leaves), rule
        states = state["chain"] if "chain" in state else (state,)
        for sub in states:
            assert sub["step"].dtype == np.int32 and sub["step"].shape == ()
            assert all(leaf.shape == () and leaf.dtype == np.float32 for leaf in jax.tree.leaves(sub["hyper"]))
        state, _ = rule.update(state, ps, ps)
        assert all(type(leaf) is np.ndarray for leaf in jax.tree.leaves(state)), rule  # 0-d stay arrays


def test_adjust_changes_the_trajectory_without_recompiling(optax_reference):
    rule = O.Adam(SCHEDULE[0], (0.8, 0.99), 1e-3)
    jitted = tracer.jit(rule.update)
    for update in (rule.update, jitted):
        ps = dict(P0)
        state, out = rule.init(ps), []
        for k in range(STEPS):
            if k == STEPS // 2:
                state = O.adjust(state, eta=SCHEDULE[1])
            state, ps = update(state, ps, grads_at(ps, k))
            out.append(np.asarray(ps["w"]))
        np.testing.assert_allclose(np.stack(out), optax_reference["scheduled"]["w"], rtol=1e-6, atol=1e-12)
    assert jitted.cache_info["size"] == 1
    # Without the adjustment the second half differs.
    assert np.abs(our_trajectory(rule)["w"][-1] - optax_reference["scheduled"]["w"][-1]).max() > 1e-3


def test_adjust_by_position_beta_and_in_a_chain():
    ps = nested_params(np.float32)
    state = O.Adam(0.1).init(ps)
    hyper = O.hyperparameters(O.adjust(state, 1e-4))
    assert hyper["eta"] == pytest.approx(1e-4) and hyper["beta"] == pytest.approx((0.9, 0.999))
    adjusted = O.adjust(state, beta=(0.8, 0.99), epsilon=np.float64(1e-6))
    assert all(leaf.dtype == np.float32 and leaf.shape == () for leaf in jax.tree.leaves(adjusted["hyper"]))
    assert O.hyperparameters(adjusted)["beta"] == pytest.approx((0.8, 0.99))
    assert O.hyperparameters(state)["beta"] == pytest.approx((0.9, 0.999))  # the old state is untouched
    # A different β changes the step: the bias corrections use it.
    grads = nested_params(np.float32, seed=4)
    _, a = O.Adam(0.1).update(adjusted, ps, grads)
    _, b = O.Adam(0.1, (0.8, 0.99), 1e-6).update(O.Adam(0.1, (0.8, 0.99), 1e-6).init(ps), ps, grads)
    np.testing.assert_array_equal(a["layer_1"]["weight"], b["layer_1"]["weight"])

    chain = O.OptimiserChain(O.WeightDecay(0.1), O.Descent(0.1), O.Momentum(0.2))
    chain_state = O.adjust(chain.init(ps), eta=0.5, lambda_=0.25)
    assert [O.hyperparameters(s) for s in chain_state["chain"]] == [{"lambda_": 0.25}, {"eta": 0.5},
                                                                     {"eta": 0.5, "rho": np.float32(0.9)}]


def test_adjust_inside_a_compiled_step_takes_a_traced_value():
    rule = O.Descent(1.0)
    ps = {"w": np.ones(3)}

    @tracer.jit
    def step(state, ps, grads, eta):
        return rule.update(O.adjust(state, eta=eta), ps, grads)

    _, new = step(rule.init(ps), ps, ps, np.float64(0.25))
    np.testing.assert_allclose(np.asarray(new["w"]), 0.75)


# -- dtypes ----------------------------------------------------------------------------------------------


LOW_PRECISION_RULES = (O.Adam(0.01), O.Lion(0.01), O.AdaGrad(0.1), O.RAdam(0.01),
                       O.OptimiserChain(O.ClipNorm(1.0), O.Nesterov(0.1)))


def test_low_precision_parameters_keep_their_dtype_and_values():
    """Each dtype's update against the same rule in float64, one step at a time, eagerly and compiled."""
    rng = np.random.default_rng(5)
    dtypes = {"half": np.float16, "bf16": BF16, "single": np.float32, "double": np.float64}
    tolerance = {"half": 2e-3, "bf16": 2e-2, "single": 1e-6, "double": 1e-12}
    ps = {name: rng.standard_normal(6).astype(dtype) for name, dtype in dtypes.items()}
    grads = {name: rng.standard_normal(6).astype(dtype) for name, dtype in dtypes.items()}
    grads["half"][0] = grads["bf16"][0] = 0  # 1e-8 is 0 in float16: Optimisers.jl's ϵ floor keeps 0/0 away
    wide_grads = {name: g.astype(np.float64) for name, g in grads.items()}
    eager_update, jitted = all_updates(LOW_PRECISION_RULES), tracer.jit(all_updates(LOW_PRECISION_RULES))
    states = [rule.init(ps) for rule in LOW_PRECISION_RULES]
    for k in range(3):
        wide_ps = {name: x.astype(np.float64) for name, x in ps.items()}
        # The float64 run from the same state, the moments widened.
        wide_states = [jax.tree.map(lambda a: a.astype(np.float64) if a.dtype != np.int32 else a, state)
                       for state in states]
        wide = [new for _, new in eager_update(wide_states, wide_ps, wide_grads)]
        eager = eager_update(states, ps, grads)
        compiled = [new for _, new in jitted(states, ps, grads)]
        for rule, (_, new), new_compiled, new_wide in zip(LOW_PRECISION_RULES, eager, compiled, wide):
            for name, dtype in dtypes.items():
                assert new[name].dtype == dtype and np.asarray(new_compiled[name]).dtype == dtype, (rule, name)
                got = new[name].astype(np.float64)
                assert np.isfinite(got).all(), (rule, name)
                tol = tolerance[name]
                np.testing.assert_allclose(got, new_wide[name], rtol=tol, atol=tol, err_msg=f"{rule!r} {name}")
                np.testing.assert_allclose(np.asarray(new_compiled[name]).astype(np.float64), got, rtol=tol, atol=tol,
                                           err_msg=f"{rule!r} {name} compiled")
        for state in (s for s, _ in eager):  # moments stay in their parameter's dtype
            for name, dtype in dtypes.items():
                for sub in (state["chain"] if "chain" in state else (state,)):
                    assert all(tree[name].dtype == dtype for tree in sub["moments"].values())
        states, ps = [s for s, _ in eager], eager[0][1]
    assert jitted.cache_info["size"] == 1


def test_gradients_in_another_dtype_are_converted_to_the_parameters():
    ps = {"w": np.ones(3, np.float32)}
    state, new = O.Descent(0.5).update(O.Descent(0.5).init(ps), ps, {"w": np.ones(3, np.float64)})
    assert new["w"].dtype == np.float32 and np.array_equal(new["w"], np.full(3, 0.5, np.float32))


# -- rules as values ---------------------------------------------------------------------------------------


def test_rules_are_frozen_hashable_with_optimisers_jl_defaults():
    assert O.Adam() == O.Adam(0.001, (0.9, 0.999), 1e-8) and hash(O.Adam()) == hash(O.Adam(0.001))
    assert O.Adam(beta=[0.8, 0.9]).beta == (0.8, 0.9)  # a list would make it unhashable
    assert {O.OptimiserChain(O.ClipGrad(), O.Adam()): 1}[O.OptimiserChain(O.ClipGrad(), O.Adam())] == 1
    with pytest.raises(dataclasses.FrozenInstanceError):
        O.Descent().eta = 1.0
    defaults = {O.Descent(): (0.1,), O.Momentum(): (0.01, 0.9), O.Nesterov(): (0.001, 0.9),
                O.RMSProp(): (0.001, 0.9, 1e-8, False), O.AdamW(): (0.001, (0.9, 0.999), 0.0, 1e-8, True),
                O.AdaGrad(): (0.1, 1e-8), O.AdaDelta(): (0.9, 1e-8), O.AdaBelief(): (0.001, (0.9, 0.999), 1e-16),
                O.Lion(): (0.001, (0.9, 0.999)), O.ClipGrad(): (10.0,), O.ClipNorm(): (10.0, 2.0, True),
                O.WeightDecay(): (5e-4,), O.SignDecay(): (1e-3,)}
    for rule, values in defaults.items():
        assert dataclasses.astuple(rule) == values, rule
    assert repr(O.OptimiserChain(O.ClipGrad(1.0), O.Descent())) == "OptimiserChain(ClipGrad(delta=1.0), Descent(eta=0.1))"


def test_empty_chain_steps_the_whole_gradient():
    ps = {"w": np.ones(2)}
    _, new = O.OptimiserChain().update(O.OptimiserChain().init(ps), ps, {"w": np.array([0.25, -1.0])})
    np.testing.assert_array_equal(new["w"], [0.75, 2.0])


@settings(max_examples=8, deadline=None)
@given(st.recursive(st.integers(0, 3).map(lambda n: np.linspace(-1, 1, n * 2 + 1)),
                    lambda children: st.lists(children, min_size=1, max_size=2)
                    | st.dictionaries(st.sampled_from("abc"), children, min_size=1, max_size=2),
                    max_leaves=4))
def test_updates_are_pure_on_any_tree(tree):
    grads = jax.tree.map(lambda x: x[::-1].copy(), tree)
    copies = jax.tree.map(np.copy, (tree, grads))
    rule = O.OptimiserChain(O.WeightDecay(0.5), O.Momentum(0.25))
    state = rule.init(tree)
    state_copy = jax.tree.map(np.copy, state)
    new_state, new = rule.update(state, tree, grads)
    for before, after in zip(jax.tree.leaves(copies + (state_copy,)), jax.tree.leaves((tree, grads, state))):
        np.testing.assert_array_equal(before, after)  # nothing given was changed
    expected = jax.tree.map(lambda x, g: x - 0.25 * (g + 0.5 * x), tree, grads)  # momentum starts at 0
    assert jax.tree.structure(new) == jax.tree.structure(tree)
    for a, b in zip(jax.tree.leaves(new), jax.tree.leaves(expected)):
        np.testing.assert_allclose(a, b, rtol=1e-15)


# -- errors ------------------------------------------------------------------------------------------------


def _raises(error, *fragments):
    """pytest.raises for `error`, then: a PyreactantError, pointing at this file, with a fix, naming `fragments`."""

    class Check:
        def __enter__(self):
            self.context = pytest.raises(error)
            self.info = self.context.__enter__()
            return self.info

        def __exit__(self, *exc):
            handled = self.context.__exit__(*exc)
            err = self.info.value
            assert isinstance(err, PyreactantError) and "test_optimisers.py" in err.where, err.where
            assert "fix:" in str(err), str(err)
            for fragment in fragments:
                assert fragment in str(err), (fragment, str(err))
            return handled

    return Check()


def test_mismatched_gradients_name_the_first_differing_path():
    ps = nested_params()
    opt = O.Adam()
    state = opt.init(ps)
    missing = nested_params()
    del missing["layer_1"]["bias"]
    with _raises(O.TreeMismatchError, "['layer_1']['bias'] is in the parameters but not in the gradients"):
        opt.update(state, ps, missing)
    extra = nested_params()
    extra["layer_2"]["gamma"] = np.ones(5)
    with _raises(ValueError, "['layer_2']['gamma'] is in the gradients"):
        opt.update(state, ps, extra)
    wrong_shape = nested_params()
    wrong_shape["layer_1"]["weight"] = np.ones((2, 3))
    with _raises(O.TreeMismatchError, "gradient at ['layer_1']['weight']", "(2, 3)", "(3, 2)"):
        opt.update(state, ps, wrong_shape)
    as_tuple = nested_params()
    as_tuple["layer_2"]["scale"] = tuple(as_tuple["layer_2"]["scale"])
    with _raises(O.TreeMismatchError, "other containers"):
        opt.update(state, ps, as_tuple)
    with _raises(O.TreeMismatchError, "['layer_1']['bias']"):  # the same error while tracing
        tracer.jit(opt.update)(state, ps, missing)


def test_state_for_other_parameters_or_another_rule_is_refused():
    ps = nested_params()
    smaller = {"layer_1": ps["layer_1"]}
    with _raises(O.TreeMismatchError, "['layer_2']['scale'][0] is in the parameters but not in the state"):
        O.Adam().update(O.Adam().init(smaller), ps, ps)
    with _raises(O.TreeMismatchError, "another rule", "eta, rho"):
        O.Adam().update(O.Momentum().init(ps), ps, ps)
    with _raises(O.TreeMismatchError, "chain of 2 rules"):
        O.OptimiserChain(O.ClipGrad(), O.Adam()).update(O.Adam().init(ps), ps, ps)
    with _raises(O.TreeMismatchError, "accumulators"):
        O.RMSProp(centred=True).update(O.RMSProp().init(ps), ps, ps)
    reshaped = O.Adam().init({**ps, "layer_2": {"scale": [np.ones(4)]}})
    with _raises(O.TreeMismatchError, "['layer_2']['scale'][0]", "float64[4]", "float64[]"):
        O.Adam().update(reshaped, ps, ps)
    narrower = O.Adam().init(jax.tree.map(lambda x: x.astype(np.float32), ps))
    with _raises(O.TreeMismatchError, "['layer_1']['bias']", "float32[2]", "float64[2]"):
        O.Adam().update(narrower, ps, ps)


def test_integer_and_non_array_parameters_are_refused():
    ps = {"w": np.ones(3, np.float32), "n": {"count": np.arange(3)}}
    with _raises(O.ParameterTypeError, "['n']['count']", "int64"):
        O.Adam().init(ps)
    with _raises(TypeError, "['n']['count']"):
        O.Descent().update(O.Descent().init({"w": ps["w"]}), ps, ps)
    with _raises(O.ParameterTypeError, "['b']", "float"):
        O.Descent().init({"b": 1.5})
    with _raises(O.ParameterTypeError, "bool"):
        O.Descent().init([np.array([True])])


def test_adjust_refuses_unknown_names_and_bad_values():
    state = O.Adam().init({"w": np.ones(2)})
    with _raises(O.HyperparameterError, "'rho'", "eta, beta, epsilon"):
        O.adjust(state, rho=0.5)
    with _raises(O.HyperparameterError, "lambda_"):
        O.adjust(O.WeightDecay().init({"w": np.ones(2)}), **{"lambda": 0.1})
    with _raises(O.HyperparameterError, "nothing to change"):
        O.adjust(state)
    with _raises(O.HyperparameterError, "2 values"):
        O.adjust(state, beta=0.9)
    with _raises(O.HyperparameterError, "not a real number"):
        O.adjust(state, eta=np.ones(2))
    with _raises(O.HyperparameterError, "twice"):
        O.adjust(state, 0.1, eta=0.2)
    with _raises(O.HyperparameterError, "'eta'", "rho, epsilon"):  # AdaDelta has no learning rate
        O.adjust(O.AdaDelta().init({"w": np.ones(2)}), 1e-3)
    chain_state = O.OptimiserChain(O.ClipGrad(), O.Descent()).init({"w": np.ones(2)})
    with _raises(ValueError, "'omega'", "delta, eta"):
        O.adjust(chain_state, omega=1.0)
    with _raises(O.HyperparameterError, "not an optimiser state"):
        O.adjust({"w": np.ones(2)}, eta=0.1)


def test_bad_rule_arguments_are_refused():
    with _raises(O.HyperparameterError, "pair"):
        O.Adam(beta=(0.9,))
    with _raises(O.HyperparameterError, "pair"):
        O.Lion(1e-3, 0.9)
    with _raises(O.HyperparameterError, "eta='fast'"):
        O.Descent("fast")
    with _raises(O.HyperparameterError, "takes rules"):
        O.OptimiserChain(O.Adam(), 0.1)


def test_clip_norm_throws_on_a_non_finite_norm_unless_told_not_to():
    ps = {"a": np.ones(2), "b": np.ones(3)}
    grads = {"a": np.ones(2), "b": np.array([1.0, np.inf, 0.0])}
    with _raises(O.NonFiniteGradientError, "['b']", "2-norm inf"):
        O.ClipNorm(1.0).update(O.ClipNorm(1.0).init(ps), ps, grads)
    with np.errstate(invalid="ignore"):
        _, new = O.ClipNorm(1.0, throw=False).update(O.ClipNorm(1.0, throw=False).init(ps), ps, grads)
    # As Optimisers.jl: the scale min(ω / Inf, 1) is 0, so finite entries take no step and Inf · 0 is NaN.
    np.testing.assert_array_equal(new["b"], [1.0, np.nan, 1.0])
    np.testing.assert_allclose(new["a"], 1 - 1 / np.sqrt(2))
