"""lux.losses: the seed's documented values, independent float64 references, eager vs compiled,
the objective form, and the errors.

Seed values: every example of Lux's loss documentation, its arrays transposed to batch first (the
class axis last). A printed number is met when |ours - printed| is at most one unit in its last
printed digit plus 2 ulps of the result's dtype (Julia sums Float32 in another order), and never
looser than Julia's `≈` (rtol sqrt(eps)). The result's dtype is checked too: Float32 predictions
with integer or boolean targets stay float32, as they do in Julia.

References: each loss written out per element (or per sample, for the losses over a class axis) in
float64 with Python's `math`, from the textbook formula rather than the library's form where the two
differ (e.g. binary cross entropy from logits through an explicit sigmoid).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lux
import tracer
from helpers import Case, check_cases
from ir.errors import PyreactantError
from lux.losses import (
    AbstractLoss, BinaryCrossEntropyLoss, BinaryFocalLoss, CrossEntropyLoss, DiceCoeffLoss, FocalLoss,
    GenericLossFunction, HingeLoss, HuberLoss, KLDivergenceLoss, LossError, LossTypeError, MAELoss, MSELoss,
    MSLELoss, PoissonLoss, SiameseContrastiveLoss, SquaredHingeLoss,
)
from lux_fixtures import Counter

F32, F64 = np.float32, np.float64


def assert_printed(value, printed: str, dtype):
    """`value` has `dtype` and equals the seed's `printed` number to the precision it was printed with."""
    assert np.asarray(value).dtype == dtype, f"dtype {np.asarray(value).dtype}, expected {np.dtype(dtype)}"
    target, value = float(printed), float(value)
    decimals = len(printed.split(".")[1]) if "." in printed else 0
    printed_unit = 10.0 ** -decimals + 2 * float(np.spacing(np.asarray(abs(target), dtype)))
    julia = math.sqrt(float(np.finfo(dtype).eps)) * max(abs(target), abs(value))
    assert abs(value - target) <= min(printed_unit, julia), f"{value!r} != printed {printed}"


def assert_julia_approx(a, b, dtype):
    """Julia's `a ≈ b`: relative tolerance sqrt(eps(T))."""
    a, b = float(a), float(b)
    assert abs(a - b) <= math.sqrt(float(np.finfo(dtype).eps)) * max(abs(a), abs(b)), f"{a!r} is not ≈ {b!r}"


# -- the seed's examples -------------------------------------------------------------------------

ONE_TO_THREE = np.arange(1, 4)                                       # Julia's 1:3
Y_BIN = np.array([True, False, True])                                # Bool[1, 0, 1]
Y_LOGITS = np.array([2, -1, np.pi], F32)                             # Float32[2, -1, pi]
# Julia's 3x5 one-hot columns, as 5 rows of 3 classes; the scores are reshape(-7:7, 3, 5) transposed.
Y_ONEHOT = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 1], [0, 1, 0], [1, 0, 0]])
SCORES = np.arange(-7, 8, dtype=F32).reshape(5, 3)
PROBS = lux.softmax(SCORES)
Y_FOCAL = np.array([[0, 1], [1, 0], [0, 1]])                          # [0 1 0; 1 0 1] transposed
P_FOCAL = np.array([[0.268941, 0.731059], [0.5, 0.5], [0.268941, 0.731059]])
P1, P2 = np.array([[1, 0], [0, 1]]), np.full((2, 2), 0.5)
HINGE_PRED, HINGE_TRUE = np.array([0.1, 0.3, 1, 1.5]), np.array([1, -1, 1, 1])

# (loss, y_pred, y, the printed value, the result's dtype)
SEED_VALUES = {
    "GenericLossFunction abs2": (GenericLossFunction(lambda p, y: np.square(p - y)), np.array([1.1, 1.9, 3.1]),
                                 ONE_TO_THREE, "0.01", F64),
    "BinaryCrossEntropyLoss logits": (BinaryCrossEntropyLoss(logits=True), Y_LOGITS, Y_BIN, "0.160832", F32),
    "BinaryCrossEntropyLoss": (BinaryCrossEntropyLoss(), lux.sigmoid(Y_LOGITS), Y_BIN, "0.16083185", F32),
    "BinaryFocalLoss": (BinaryFocalLoss(), P_FOCAL, Y_FOCAL, "0.0728675615927385", F64),
    "CrossEntropyLoss": (CrossEntropyLoss(), PROBS, Y_ONEHOT, "1.6076053", F32),
    "CrossEntropyLoss label_smoothing": (CrossEntropyLoss(label_smoothing=0.15), PROBS, Y_ONEHOT, "1.5776052", F32),
    "DiceCoeffLoss": (DiceCoeffLoss(), np.array([1.1, 2.1, 3.1]), ONE_TO_THREE, "0.000992391663909964", F64),
    "DiceCoeffLoss one sample": (DiceCoeffLoss(), np.array([[1.1, 2.1, 3.1]]), ONE_TO_THREE.reshape(1, 3),
                                 "0.000992391663909964", F64),
    "FocalLoss": (FocalLoss(), PROBS, Y_ONEHOT, "1.1277556", F32),
    "HingeLoss": (HingeLoss(), HINGE_PRED, HINGE_TRUE, "0.55", F64),
    "HuberLoss": (HuberLoss(), np.array([1.1, 2.1, 3.1]), ONE_TO_THREE, "0.005000000000000009", F64),
    "HuberLoss delta": (HuberLoss(delta=0.05), np.array([1.1, 2.1, 3.1]), ONE_TO_THREE, "0.003750000000000005", F64),
    "MAELoss": (MAELoss(), np.array([1.1, 1.9, 3.1]), ONE_TO_THREE, "0.1", F64),
    "MSELoss": (MSELoss(), np.array([1.1, 1.9, 3.1]), ONE_TO_THREE, "0.01", F64),
    "MSLELoss up": (MSLELoss(), np.array([1.1, 2.2, 3.3], F32), ONE_TO_THREE, "0.009084041", F32),
    "MSLELoss down": (MSLELoss(), np.array([0.9, 1.8, 2.7], F32), ONE_TO_THREE, "0.011100831", F32),
    "PoissonLoss": (PoissonLoss(), np.array([1, 3, 3]), ONE_TO_THREE, "0.502312852219817", F64),
    "SiameseContrastiveLoss": (SiameseContrastiveLoss(), np.array([0.5, 1.5, 2.5]), ONE_TO_THREE,
                               "-4.833333333333333", F64),
    "SiameseContrastiveLoss margin": (SiameseContrastiveLoss(margin=2), np.array([0.5, 1.5, 2.5]), ONE_TO_THREE,
                                      "-4.0", F64),
    "SquaredHingeLoss": (SquaredHingeLoss(), HINGE_PRED, HINGE_TRUE, "0.625", F64),
}


@pytest.mark.parametrize("name", SEED_VALUES)
def test_seed_value(name):
    loss, y_pred, y, printed, dtype = SEED_VALUES[name]
    assert_printed(loss(y_pred, y), printed, dtype)


def test_seed_values_compiled_match_eager():
    """All the seed's examples in one compile: traced, each gives what it gives eagerly."""
    check_cases({name: Case(lambda p, y, loss=loss: loss(p, y), (p, y), rtol=1e-6 if dtype is F32 else 1e-14)
                 for name, (loss, p, y, _, dtype) in SEED_VALUES.items()})


def test_seed_softmax_input_is_the_printed_matrix():
    # The seed prints softmax(reshape(-7:7, 3, 5)): every sample is the same three probabilities.
    for printed, column in zip(("0.0900306", "0.244728", "0.665241"), PROBS.T):
        for value in column:
            assert_printed(value, printed, F32)


def test_seed_relations():
    sig = lux.sigmoid(Y_LOGITS)
    bce, logitbce = BinaryCrossEntropyLoss(), BinaryCrossEntropyLoss(logits=True)
    assert BinaryCrossEntropyLoss(label_smoothing=0.1)(sig, Y_BIN) > bce(sig, Y_BIN)
    assert BinaryCrossEntropyLoss(label_smoothing=0.1, logits=True)(Y_LOGITS, Y_BIN) > logitbce(Y_LOGITS, Y_BIN)
    assert_julia_approx(BinaryFocalLoss(gamma=0)(P_FOCAL, Y_FOCAL), bce(P_FOCAL, Y_FOCAL), F64)
    assert_julia_approx(5 * F32(1.6076053), CrossEntropyLoss(agg=np.sum)(PROBS, Y_ONEHOT), F32)
    assert_printed(1 - DiceCoeffLoss()(np.array([1.1, 2.1, 3.1]), ONE_TO_THREE), "0.99900760833609", F64)
    assert_julia_approx(KLDivergenceLoss()(P2, P1), math.log(2), F64)
    assert_julia_approx(KLDivergenceLoss(agg=np.sum)(P2, P1), 2 * math.log(2), F64)
    assert KLDivergenceLoss(epsilon=0)(P2, P2) == 0.0
    assert KLDivergenceLoss(epsilon=0)(P1, P2) == np.inf


# -- independent references ------------------------------------------------------------------------

EPS = float(np.finfo(F64).eps)


def _sigmoid(v):
    return 1 / (1 + math.exp(-v))


def _huber(d, delta):
    return 0.5 * d * d if abs(d) <= delta else delta * (abs(d) - 0.5 * delta)


def _xlog(a, b):
    return 0.0 if a == 0 else a * math.log(b)


def _softmax(row):
    top = max(row)
    exps = [math.exp(v - top) for v in row]
    return [e / sum(exps) for e in exps]


def per_element(f):
    """The unreduced reference of an elementwise loss: f(prediction, target) per element."""
    def reference(p, y):
        return np.array([f(a, b) for a, b in zip(p.ravel().tolist(), y.ravel().tolist())]).reshape(p.shape)
    return reference


def per_sample(f, axis=-1):
    """The unreduced reference of a loss over a class axis: f(prediction row, target row) per sample."""
    def reference(p, y):
        p, y = np.moveaxis(p, axis, -1), np.moveaxis(y, axis, -1)
        rows = [f(a, b) for a, b in zip(p.reshape(-1, p.shape[-1]).tolist(), y.reshape(-1, y.shape[-1]).tolist())]
        return np.array(rows).reshape(p.shape[:-1])
    return reference


def smoothed(row, a):
    return [(1 - a) * t + a / len(row) for t in row]


def _cross_entropy(p, y, a=0.0):
    return -sum(_xlog(t, q + EPS) for q, t in zip(p, smoothed(y, a)))


def _cross_entropy_logits(s, y, a):
    return -sum(t * math.log(q) for q, t in zip(_softmax(s), smoothed(y, a)))


def _focal(p, y, gamma):
    # p = q + eps can pass 1 (a single class): its weight is 0, not a power of a negative number.
    return -sum(t * max(1 - q - EPS, 0.0) ** gamma * math.log(q + EPS) for q, t in zip(p, y))


def _kl(p, y, a):
    return sum(_xlog(t, t) - _xlog(t, q + EPS) for q, t in zip(p, smoothed(y, a)))


def _dice(p, y, smooth):
    overlap = sum(a * b for a, b in zip(p, y))
    squares = sum(a * a for a in p) + sum(b * b for b in y)
    return 1 - (2 * overlap + smooth) / (squares + smooth)


def dice_reference(smooth):
    """One sample per entry of the first axis (a vector is one sample), all its other entries summed."""
    def reference(p, y):
        if p.ndim == 1:
            return np.array(_dice(p.tolist(), y.tolist(), smooth))
        rows = zip(p.reshape(len(p), -1).tolist(), y.reshape(len(y), -1).tolist())
        return np.array([_dice(a, b, smooth) for a, b in rows])
    return reference


# Input kinds: how predictions and targets are drawn for a loss (both float64, shape given).
def draw(kind, rng, shape):
    def normal():
        return rng.standard_normal(shape)

    if kind == "real":
        return normal(), normal()
    if kind == "positive":
        return rng.uniform(0.1, 3, shape), rng.uniform(0.0, 3, shape)
    if kind == "counts":
        return rng.uniform(0.1, 4, shape), rng.integers(0, 5, shape).astype(F64)
    if kind in ("classes", "classes axis 0"):
        axis = 0 if kind == "classes axis 0" else -1
        scores = normal()
        p = np.exp(scores) / np.sum(np.exp(scores), axis=axis, keepdims=True)
        t = rng.uniform(0, 1, shape)
        return p, t / np.sum(t, axis=axis, keepdims=True)
    if kind == "scores":
        t = rng.uniform(0, 1, shape)
        return 3 * normal(), t / np.sum(t, axis=-1, keepdims=True)
    if kind == "binary":
        return rng.uniform(0.01, 0.99, shape), rng.uniform(0, 1, shape)
    if kind == "binary scores":
        return 3 * normal(), rng.integers(0, 2, shape).astype(F64)
    if kind == "signs":
        return normal(), rng.choice([-1.0, 1.0], shape)
    if kind == "pairs":
        return rng.uniform(0, 2, shape), rng.integers(0, 2, shape).astype(F64)
    raise AssertionError(kind)


def _logcosh(d):
    return math.log(math.cosh(d))


# name -> (loss with agg=None, input kind, unreduced float64 reference)
REFERENCES = {
    "MSELoss": (MSELoss(agg=None), "real", per_element(lambda p, y: (p - y) ** 2)),
    "MAELoss": (MAELoss(agg=None), "real", per_element(lambda p, y: abs(p - y))),
    "MSLELoss": (MSLELoss(agg=None), "positive",
                 per_element(lambda p, y: (math.log(p + EPS) - math.log(y + EPS)) ** 2)),
    "MSLELoss epsilon": (MSLELoss(agg=None, epsilon=0.1), "positive",
                         per_element(lambda p, y: (math.log(p + 0.1) - math.log(y + 0.1)) ** 2)),
    "HuberLoss": (HuberLoss(agg=None), "real", per_element(lambda p, y: _huber(p - y, 1.0))),
    "HuberLoss delta": (HuberLoss(agg=None, delta=0.4), "real", per_element(lambda p, y: _huber(p - y, 0.4))),
    "PoissonLoss": (PoissonLoss(agg=None), "counts", per_element(lambda p, y: p - _xlog(y, p + EPS))),
    "GenericLossFunction": (GenericLossFunction(lambda p, y: np.log(np.cosh(p - y)), agg=None), "real",
                            per_element(lambda p, y: _logcosh(p - y))),
    "CrossEntropyLoss": (CrossEntropyLoss(agg=None), "classes", per_sample(_cross_entropy)),
    "CrossEntropyLoss axis 0": (CrossEntropyLoss(agg=None, axis=0), "classes axis 0",
                                per_sample(_cross_entropy, axis=0)),
    "CrossEntropyLoss smoothing": (CrossEntropyLoss(agg=None, label_smoothing=0.2), "classes",
                                   per_sample(lambda p, y: _cross_entropy(p, y, 0.2))),
    "CrossEntropyLoss logits": (CrossEntropyLoss(agg=None, logits=True, label_smoothing=0.1), "scores",
                                per_sample(lambda s, y: _cross_entropy_logits(s, y, 0.1))),
    "BinaryCrossEntropyLoss": (BinaryCrossEntropyLoss(agg=None), "binary",
                               per_element(lambda p, y: -_xlog(y, p + EPS) - _xlog(1 - y, 1 - p + EPS))),
    "BinaryCrossEntropyLoss logits": (
        BinaryCrossEntropyLoss(agg=None, logits=True, label_smoothing=0.3), "binary scores",
        per_element(lambda s, y: -((0.7 * y + 0.15) * math.log(_sigmoid(s))
                                   + (1 - (0.7 * y + 0.15)) * math.log(_sigmoid(-s))))),  # 1 - sigmoid(s)
    "FocalLoss": (FocalLoss(agg=None), "classes", per_sample(lambda p, y: _focal(p, y, 2))),
    "FocalLoss gamma": (FocalLoss(agg=None, gamma=1.5), "classes", per_sample(lambda p, y: _focal(p, y, 1.5))),
    "BinaryFocalLoss": (BinaryFocalLoss(agg=None, gamma=2.5), "binary", per_element(
        lambda p, y: -y * (1 - p) ** 2.5 * math.log(p + EPS) - (1 - y) * p ** 2.5 * math.log(1 - p + EPS))),
    "KLDivergenceLoss": (KLDivergenceLoss(agg=None), "classes", per_sample(lambda p, y: _kl(p, y, 0.0))),
    "KLDivergenceLoss smoothing": (KLDivergenceLoss(agg=None, label_smoothing=0.5), "classes",
                                   per_sample(lambda p, y: _kl(p, y, 0.5))),
    "HingeLoss": (HingeLoss(agg=None), "signs", per_element(lambda p, y: max(0.0, 1 - p * y))),
    "SquaredHingeLoss": (SquaredHingeLoss(agg=None), "signs", per_element(lambda p, y: max(0.0, 1 - p * y) ** 2)),
    "DiceCoeffLoss": (DiceCoeffLoss(agg=None, smooth=0.5), "positive", dice_reference(0.5)),
    "SiameseContrastiveLoss": (SiameseContrastiveLoss(agg=None, margin=1.5), "pairs",
                               per_element(lambda p, y: (1 - y) * p * p + y * max(0.0, 1.5 - p) ** 2)),
}

# agg argument -> what it does to the reference's unreduced losses
AGGS = {
    "mean": lambda r: np.mean(r),
    "sum": lambda r: np.sum(r),
    np.mean: lambda r: np.mean(r),
    np.sum: lambda r: np.sum(r),
    None: lambda r: r,
    "none": lambda r: r,
    (lambda v: np.max(v) - np.min(v)): lambda r: np.max(r) - np.min(r),
}

shapes = st.lists(st.integers(1, 4), min_size=1, max_size=3).map(tuple)


@pytest.mark.parametrize("name", REFERENCES)
@settings(max_examples=6, deadline=None)
@given(shape=shapes, seed=st.integers(0, 2**16))
def test_against_reference(name, shape, seed):
    loss, kind, reference = REFERENCES[name]
    p, y = draw(kind, np.random.default_rng(seed), shape)
    expected = reference(p, y)
    for agg, reduce in AGGS.items():
        actual = type(loss)(**{**_fields(loss), "agg": agg})(p, y)
        assert np.asarray(actual).dtype == F64
        np.testing.assert_allclose(actual, reduce(expected), rtol=1e-12, atol=1e-14, err_msg=f"agg={agg!r}")


def _fields(loss):
    return {f.name: getattr(loss, f.name) for f in dataclasses.fields(loss)}


# -- eager vs compiled -----------------------------------------------------------------------------

def test_compiled_matches_eager():
    """Every reference loss in float32, unreduced, traced in one compile: the eager values. (The
    reductions are np.mean and np.sum themselves; the seed's examples check them compiled.)"""
    rng = np.random.default_rng(7)
    cases = {}
    for name, (loss, kind, _) in REFERENCES.items():
        p, y = (v.astype(F32) for v in draw(kind, rng, (3, 4)))
        cases[name] = Case(lambda p, y, loss=loss: loss(p, y), (p, y), rtol=2e-6, atol=1e-7)
    check_cases(cases)


def test_loss_is_a_static_argument_of_jit():
    """Equal losses are equal and hash alike (one cache entry); different hyperparameters give other programs."""
    assert MSELoss(agg="sum") == MSELoss(agg=np.sum) and hash(MSELoss(agg="sum")) == hash(MSELoss(agg=np.sum))
    assert HuberLoss(delta=0.5) != HuberLoss() and MSELoss() != MAELoss()
    call = tracer.jit(lambda loss, p, y: loss(p, y))
    p, y = np.array([0.0, 2.0, 5.0], F32), np.zeros(3, F32)
    for loss in (HuberLoss(), HuberLoss(delta=3), MSELoss(agg="sum")):
        np.testing.assert_allclose(np.asarray(call(loss, p, y)), loss(p, y), rtol=1e-6)


# -- the objective form ----------------------------------------------------------------------------

def _dense_reference(ps, x):
    return x.astype(F64) @ ps["weight"].astype(F64) + ps["bias"].astype(F64)


@pytest.mark.parametrize("loss", [MSELoss(), CrossEntropyLoss(logits=True), HuberLoss(agg=np.sum)], ids=repr)
def test_objective_with_a_dense_model(loss):
    model = lux.Dense(3, 2)
    ps, st = lux.setup(np.random.default_rng(0), model)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((4, 3)).astype(F32)
    y = np.eye(2, dtype=F32)[[0, 1, 1, 0]]
    value, st_out, stats = loss(model, ps, st, (x, y))
    assert st_out == st and stats == {}
    assert np.asarray(value).dtype == F32
    np.testing.assert_allclose(value, loss(_dense_reference(ps, x), y.astype(F64)), rtol=1e-5)
    compiled, st_c, stats_c = tracer.jit(lambda ps, st, data: loss(model, ps, st, data))(ps, st, (x, y))
    np.testing.assert_allclose(np.asarray(compiled), value, rtol=1e-5)
    assert st_c == {} and stats_c == {}


def test_objective_returns_the_updated_state():
    model = Counter()
    ps, st = lux.setup(0, model)
    x, y = np.ones((2, 3), F32), np.zeros((2, 3), F32)
    value, st, stats = MAELoss()(model, ps, st, (x, y))
    assert value == 1 and float(st["count"]) == 1 and stats == {}
    value, st, _ = tracer.jit(lambda ps, st, data: MAELoss()(model, ps, st, data))(ps, st, [x, y])
    assert float(np.asarray(value)) == 2 and float(np.asarray(st["count"])) == 2


# -- dtypes and edges ------------------------------------------------------------------------------

@pytest.mark.parametrize("p_dtype, y_dtype, expected", [
    (F32, np.int64, F32), (F32, np.bool_, F32), (np.int64, np.int64, F64), (np.float16, F32, F32),
    (F64, F32, F64), (np.float16, np.uint8, np.float16),
])
def test_one_floating_dtype(p_dtype, y_dtype, expected):
    p, y = np.array([[0.25, 0.75]], p_dtype), np.array([[0, 1]], y_dtype)
    for loss in (MSELoss(), CrossEntropyLoss(), BinaryCrossEntropyLoss(), MSLELoss()):
        assert np.asarray(loss(p, y)).dtype == expected, loss


def test_lists_are_arrays():
    assert MSELoss()([1.1, 1.9, 3.1], range(1, 4)) == MSELoss()(np.array([1.1, 1.9, 3.1]), np.arange(1, 4))


def test_zero_targets_contribute_zero_even_at_zero_probability():
    """0 * log(0) is 0: a class with target 0 adds nothing, also with epsilon=0 or a -inf logit."""
    p, y = np.array([[0.0, 1.0, 0.0]]), np.array([[0.0, 1.0, 0.0]])
    assert CrossEntropyLoss(epsilon=0)(p, y) == 0
    assert KLDivergenceLoss(epsilon=0)(p, y) == 0
    assert BinaryCrossEntropyLoss(epsilon=0)(p, y) == 0
    assert FocalLoss(epsilon=0, gamma=0.5)(p, y) == 0
    scores = np.array([[-np.inf, 2.0, -np.inf]])
    assert CrossEntropyLoss(logits=True)(scores, y) == 0
    compiled = tracer.jit(lambda s, y: CrossEntropyLoss(logits=True)(s, y))(scores, y)
    assert float(np.asarray(compiled)) == 0


def test_logits_do_not_overflow():
    scores = np.array([[1000.0, -1000.0], [-1000.0, 1000.0]], F32)
    y = np.array([[1.0, 0.0], [1.0, 0.0]], F32)
    np.testing.assert_allclose(CrossEntropyLoss(logits=True, agg=None)(scores, y), [0, 2000], rtol=1e-6)
    np.testing.assert_allclose(BinaryCrossEntropyLoss(logits=True, agg=None)(scores, y), [[0, 0], [1000, 1000]],
                               rtol=1e-6)


def test_focal_losses_at_gamma_zero_are_the_cross_entropies():
    rng = np.random.default_rng(3)
    p, y = draw("classes", rng, (4, 5))
    np.testing.assert_allclose(FocalLoss(gamma=0)(p, y), CrossEntropyLoss()(p, y), rtol=1e-14)
    p, y = draw("binary", rng, (4, 5))  # soft targets too
    np.testing.assert_allclose(BinaryFocalLoss(gamma=0)(p, y), BinaryCrossEntropyLoss()(p, y), rtol=1e-14)


# -- repr, docstrings ------------------------------------------------------------------------------

@pytest.mark.parametrize("loss, text", [
    (MSELoss(), "MSELoss()"),
    (MSELoss(agg=None), "MSELoss(agg=None)"),
    (CrossEntropyLoss(label_smoothing=0.15, agg="sum"), "CrossEntropyLoss(agg=sum, label_smoothing=0.15)"),
    (CrossEntropyLoss(logits=True, axis=1), "CrossEntropyLoss(axis=1, logits=True)"),
    (KLDivergenceLoss(epsilon=0), "KLDivergenceLoss(epsilon=0)"),
    (HuberLoss(delta=0.05), "HuberLoss(delta=0.05)"),
    (FocalLoss(gamma=1.5, agg=np.sum), "FocalLoss(gamma=1.5, agg=sum)"),
    (SiameseContrastiveLoss(margin=2), "SiameseContrastiveLoss(margin=2)"),
    (GenericLossFunction(np.hypot), "GenericLossFunction(hypot)"),
    (GenericLossFunction(np.hypot, agg=np.sum), "GenericLossFunction(hypot, agg=sum)"),
])
def test_repr_reads_like_the_constructor(loss, text):
    assert repr(loss) == text


ALL_LOSSES = [BinaryCrossEntropyLoss, BinaryFocalLoss, CrossEntropyLoss, DiceCoeffLoss, FocalLoss, GenericLossFunction,
              HingeLoss, HuberLoss, KLDivergenceLoss, MAELoss, MSELoss, MSLELoss, PoissonLoss, SiameseContrastiveLoss,
              SquaredHingeLoss]


@pytest.mark.parametrize("cls", ALL_LOSSES, ids=lambda c: c.__name__)
def test_docstring_has_the_sections(cls):
    assert issubclass(cls, AbstractLoss)
    for section in ("Arguments:", "Inputs:", "Returns:"):
        assert section in cls.__doc__, f"{cls.__name__} lacks {section}"


# -- errors ----------------------------------------------------------------------------------------

def _check_error(info, kind):
    """The error is a PyreactantError of `kind`, names this file's line that raised it, and says what to do."""
    err = info.value
    assert isinstance(err, PyreactantError) and isinstance(err, kind)
    assert err.where == f"{__file__}:{info.tb.tb_lineno}", err.where
    assert "\n  fix: " in str(err)


class Unhashable:
    __hash__ = None

    def __call__(self, values):
        return np.sum(values)


@pytest.mark.parametrize("make, kind, words", [
    (lambda: MSELoss(agg="median"), LossError, "unknown agg 'median'"),
    (lambda: MSELoss(agg=3), LossTypeError, "agg must be a function"),
    (lambda: MSELoss(agg=Unhashable()), LossTypeError, "is not hashable"),
    (lambda: MSLELoss(epsilon=-1e-3), LossError, "epsilon must be >= 0"),
    (lambda: PoissonLoss(epsilon=float("nan")), LossError, "epsilon must be >= 0"),
    (lambda: CrossEntropyLoss(epsilon="tiny"), LossTypeError, "epsilon must be a real number"),
    (lambda: CrossEntropyLoss(label_smoothing=1.5), LossError, "label_smoothing must be >= 0 and <= 1"),
    (lambda: BinaryCrossEntropyLoss(label_smoothing=-0.1), LossError, "label_smoothing must be >= 0"),
    (lambda: BinaryCrossEntropyLoss(logits="yes"), LossTypeError, "logits must be True or False"),
    (lambda: HuberLoss(delta=0), LossError, "delta must be > 0"),
    (lambda: FocalLoss(gamma=-1), LossError, "gamma must be >= 0"),
    (lambda: BinaryFocalLoss(gamma=True), LossTypeError, "gamma must be a real number"),
    (lambda: SiameseContrastiveLoss(margin=-0.5), LossError, "margin must be >= 0"),
    (lambda: DiceCoeffLoss(smooth=-1), LossError, "smooth must be >= 0"),
    (lambda: KLDivergenceLoss(axis="last"), LossTypeError, "axis must be an int"),
    (lambda: GenericLossFunction(3), LossTypeError, "fn must be a function"),
], ids=lambda v: v if isinstance(v, str) else None)
def test_bad_hyperparameters_are_refused_at_construction(make, kind, words):
    with pytest.raises(kind) as info:
        make()
    assert words in info.value.message
    # The line is the lambda's, in this file: the user's line, not the dataclass's generated __init__.
    assert info.value.where.startswith(f"{__file__}:")
    assert "\n  fix: " in str(info.value)


def test_constructor_error_names_the_constructing_line():
    with pytest.raises(LossError) as info:
        CrossEntropyLoss(label_smoothing=2)
    _check_error(info, ValueError)


def test_mismatched_shapes():
    with pytest.raises(LossError) as info:
        MSELoss()(np.zeros((4, 3)), np.zeros((4, 2)))
    _check_error(info, ValueError)
    assert "predictions of shape (4, 3) and targets of shape (4, 2) differ" in str(info.value)


def test_mismatched_shapes_under_jit():
    with pytest.raises(LossError) as info:
        tracer.jit(lambda p, y: CrossEntropyLoss()(p, y))(np.zeros((4, 3), F32), np.zeros(4, F32))
    _check_error(info, ValueError)


def test_axis_out_of_range():
    with pytest.raises(LossError) as info:
        CrossEntropyLoss(axis=2)(np.zeros((4, 3)), np.zeros((4, 3)))
    _check_error(info, ValueError)
    with pytest.raises(LossError, match="names an axis twice"):
        KLDivergenceLoss(axis=(1, -1))(np.zeros((4, 3)), np.zeros((4, 3)))


def test_wrong_arity_and_data():
    with pytest.raises(LossTypeError) as info:
        MSELoss()(np.zeros(3))
    _check_error(info, TypeError)
    model = lux.Dense(3, 2)
    ps, st = lux.setup(0, model)
    with pytest.raises(LossTypeError) as info:
        MSELoss()(model, ps, st, np.zeros((4, 3)))
    _check_error(info, TypeError)
    assert "pair (x, y)" in str(info.value)


def test_non_numeric_inputs():
    with pytest.raises(LossTypeError) as info:
        MSELoss()(np.array(["a", "b"]), np.zeros(2))
    _check_error(info, TypeError)
