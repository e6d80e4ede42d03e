"""lux MultiHeadAttention: Lux's constructor forms, parameter layout and display, values against
attention written out per head in NumPy (softmax(q k^T / sqrt(d)) v), masks, dropout, compiled parity
and errors.

Layout: Lux's (features, length, batch) inputs are (batch, length, features) here, and its scores
(kv_len, q_len, nheads, batch) are (batch, nheads, q_len, kv_len).
"""

from __future__ import annotations

import numpy as np
import pytest

import lux
import tracer

RNG = np.random.default_rng(99)


def randn(*shape, dtype=np.float32):
    return RNG.standard_normal(shape).astype(dtype)


def close(actual, expected, rtol=1e-5, atol=1e-6):
    np.testing.assert_allclose(np.asarray(actual), expected, rtol=rtol, atol=atol)


def reference(q_in, k_in, v_in, ps, nheads, mask=None):
    """(y, scores) by loops over batch and head: project, slice each head's features, softmax(q k^T / sqrt(d)) v."""
    def project(name, x):
        p = ps[name]
        return x @ p["weight"] + p.get("bias", 0)

    q, k, v = project("q_proj", q_in), project("k_proj", k_in), project("v_proj", v_in)
    batch, q_len, kv_len = q.shape[0], q.shape[1], k.shape[1]
    d, e = q.shape[-1] // nheads, v.shape[-1] // nheads
    heads = np.zeros((batch, q_len, nheads * e), np.float64)
    scores = np.zeros((batch, nheads, q_len, kv_len), np.float64)
    for b in range(batch):
        for h in range(nheads):
            qh, kh, vh = q[b, :, h * d:(h + 1) * d], k[b, :, h * d:(h + 1) * d], v[b, :, h * e:(h + 1) * e]
            logits = qh.astype(np.float64) @ kh.T / np.sqrt(d)
            if mask is not None:
                logits = np.where(np.broadcast_to(mask, scores.shape)[b, h], logits, -np.inf)
            weights = np.exp(logits - logits.max(axis=-1, keepdims=True))
            weights /= weights.sum(axis=-1, keepdims=True)
            scores[b, h] = weights
            heads[b, :, h * e:(h + 1) * e] = weights @ vh
    return project("out_proj", heads.astype(np.float32)), scores


# -- construction, display, parameters -----------------------------------------------------------------

def test_display_is_luxs_one_line_and_its_children_inside_a_container():
    assert repr(lux.MultiHeadAttention(64, nheads=8)) == "MultiHeadAttention(64 => (64, 64) => 64; nheads=8)"
    m = lux.MultiHeadAttention((4, 6, 8), (8, 12), 5, nheads=2, is_causal=False, attention_dropout_probability=0.1)
    assert repr(m) == ("MultiHeadAttention(4 => (6, 8) => 5; nheads=2, attention_dropout_probability=0.1, "
                       "is_causal=false)")
    assert lux.MultiHeadAttention(4, 6, 5).summary() == "MultiHeadAttention(4 => (4, 4) => 5; nheads=1)"
    assert repr(lux.Chain(lux.MultiHeadAttention(4, is_causal=True))).splitlines()[:8] == [
        "Chain(",
        "    layer_1 = MultiHeadAttention(",
        "        q_proj = Dense(4 => 4, use_bias=false),   # 16 parameters",
        "        k_proj = Dense(4 => 4, use_bias=false),   # 16 parameters",
        "        v_proj = Dense(4 => 4, use_bias=false),   # 16 parameters",
        "        attention_dropout = NoOpLayer(),",
        "        out_proj = Dense(4 => 4, use_bias=false),  # 16 parameters",
        "    ),",
    ]


def test_parameters_are_four_dense_projections_named_like_luxs():
    m = lux.MultiHeadAttention((4, 6, 8), (10, 12), 5, nheads=2)
    ps, st = lux.setup(np.random.default_rng(0), m)
    assert list(ps) == ["q_proj", "k_proj", "v_proj", "attention_dropout", "out_proj"]
    assert {name: p.get("weight", np.empty(0)).shape for name, p in ps.items()} == {
        "q_proj": (4, 10), "k_proj": (6, 10), "v_proj": (8, 12), "attention_dropout": (0,), "out_proj": (12, 5)}
    assert all("bias" not in p for p in ps.values())  # dense_kwargs defaults to use_bias=false
    assert st == {name: {} for name in ps}
    assert m.parameterlength() == lux.parameterlength(ps) == 4 * 10 + 6 * 10 + 8 * 12 + 12 * 5
    with_bias = lux.MultiHeadAttention(4, 6, 5, dense_kwargs={"use_bias": True})
    assert with_bias.parameterlength() == (4 * 6 + 6) * 3 + 6 * 5 + 5
    assert lux.setup(np.random.default_rng(0), with_bias)[0]["out_proj"]["bias"].shape == (5,)


# -- values -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("nheads", [1, 2, 4])
def test_cross_attention_matches_per_head_softmax_attention(nheads):
    m = lux.MultiHeadAttention((6, 5, 3), (8, 4), 7, nheads=nheads, dense_kwargs={"use_bias": True})
    ps, st = lux.setup(np.random.default_rng(0), m)
    q, k, v = randn(2, 3, 6), randn(2, 5, 5), randn(2, 5, 3)
    (y, scores), st_out = m((q, k, v), ps, st)
    y_ref, scores_ref = reference(q, k, v, ps, nheads)
    assert y.shape == (2, 3, 7) and scores.shape == (2, nheads, 3, 5) and st_out == st
    close(scores, scores_ref)
    close(y, y_ref)
    close(scores.sum(axis=-1), np.ones((2, nheads, 3)))


def test_self_attention_and_query_key_value_forms_agree():
    m = lux.MultiHeadAttention(8, nheads=2)
    ps, st = lux.setup(np.random.default_rng(0), m)
    x, kv = randn(3, 4, 8), randn(3, 6, 8)
    (y_self, s_self), _ = m(x, ps, st)
    (y_three, s_three), _ = m((x, x, x), ps, st)
    close(y_self, y_three)
    close(s_self, s_three)
    close(y_self, reference(x, x, x, ps, 2)[0])
    (y_pair, _), _ = m((x, kv), ps, st)
    close(y_pair, reference(x, kv, kv, ps, 2)[0])


def test_extra_leading_batch_axes():
    m = lux.MultiHeadAttention(4, nheads=2)
    ps, st = lux.setup(np.random.default_rng(0), m)
    x = randn(2, 3, 5, 4)  # (batch1, batch2, length, features)
    (y, scores), _ = m(x, ps, st)
    assert y.shape == (2, 3, 5, 4) and scores.shape == (2, 3, 2, 5, 5)
    y_ref, s_ref = reference(x.reshape(6, 5, 4), x.reshape(6, 5, 4), x.reshape(6, 5, 4), ps, 2)
    close(y.reshape(6, 5, 4), y_ref)
    close(scores.reshape(6, 2, 5, 5), s_ref)


def test_causal_attention_masks_later_keys():
    m = lux.MultiHeadAttention(6, nheads=3, is_causal=True)
    ps, st = lux.setup(np.random.default_rng(0), m)
    x = randn(2, 5, 6)
    (y, scores), _ = m(x, ps, st)
    causal = np.tril(np.ones((5, 5), bool))  # query l attends to keys s <= l (Lux's triu on (kv_len, q_len))
    assert np.all(scores[..., ~causal] == 0) and np.all(scores[..., causal] > 0)
    y_ref, s_ref = reference(x, x, x, ps, 3, mask=causal)
    close(scores, s_ref)
    close(y, y_ref)
    close(scores[:, :, 0, 0], np.ones((2, 3)))  # the first query sees only the first key
    # is_causal=False is the unmasked layer, with the same parameters
    (y_open, _), _ = lux.MultiHeadAttention(6, nheads=3, is_causal=False)(x, ps, st)
    close(y_open, reference(x, x, x, ps, 3)[0])


def test_a_given_mask_broadcasts_over_batch_and_heads():
    m = lux.MultiHeadAttention(4, nheads=2)
    ps, st = lux.setup(np.random.default_rng(0), m)
    q, kv = randn(2, 3, 4), randn(2, 5, 4)
    mask = RNG.random((2, 1, 3, 5)) > 0.4  # per batch, shared by the heads
    mask[..., 0] = True  # every query keeps one key
    (y, scores), _ = m((q, kv, kv, mask), ps, st)
    y_ref, s_ref = reference(q, kv, kv, ps, 2, mask=mask)
    assert np.all(scores[np.broadcast_to(~mask, scores.shape)] == 0)
    close(scores, s_ref)
    close(y, y_ref)
    (y_none, _), _ = m((q, kv, kv, None), ps, st)  # mask None is no mask
    close(y_none, reference(q, kv, kv, ps, 2)[0])


def test_compiled_matches_eager_for_every_input_form():
    m = lux.MultiHeadAttention((4, 6, 6), 8, 4, nheads=2, is_causal=None)
    causal = lux.MultiHeadAttention((4, 6, 6), 8, 4, nheads=2, is_causal=True)
    ps, st = lux.setup(np.random.default_rng(0), m)
    q, kv = randn(2, 3, 4), randn(2, 3, 6)
    mask = np.tril(np.ones((3, 3), bool))[None, None] | (RNG.random((2, 2, 3, 3)) > 0.5)

    def all_forms(ps, st, q, kv, mask):
        return {"pair": m((q, kv), ps, st), "masked": m((q, kv, kv, mask), ps, st), "causal": causal((q, kv, kv), ps, st)}

    eager = all_forms(ps, st, q, kv, mask)
    compiled = tracer.jit(all_forms)(ps, st, q, kv, mask)
    for form in eager:
        (y, s), st_out = eager[form]
        (y_c, s_c), st_c = compiled[form]
        close(y_c, y)
        close(s_c, s)
        assert st_c == st_out, form


def test_attention_dropout_drops_scores_in_training_and_not_in_test_mode():
    m = lux.MultiHeadAttention(4, nheads=2, attention_dropout_probability=0.5)
    plain = lux.MultiHeadAttention(4, nheads=2)
    ps, st = lux.setup(np.random.default_rng(0), m)
    assert set(st["attention_dropout"]) >= {"rng", "training"}
    x = randn(2, 6, 4)
    (y_plain, s_plain), _ = plain(x, ps, {name: {} for name in st})
    (y, scores), st_out = m(x, ps, st)
    kept = scores != 0
    assert 0 < kept.mean() < 1
    close(scores[kept], 2 * s_plain[kept])  # kept scores scaled by 1 / (1 - p)
    assert not np.array_equal(st_out["attention_dropout"]["rng"], st["attention_dropout"]["rng"])
    (y_c, scores_c), _ = tracer.jit(lux.apply)(m, x, ps, st)
    close(scores_c, scores)
    close(y_c, y)
    (y_test, s_test), _ = m(x, ps, lux.testmode(st))
    close(s_test, s_plain)
    close(y_test, y_plain)


# -- errors ------------------------------------------------------------------------------------------

def test_construction_errors():
    with pytest.raises(ValueError, match="nheads=3 must divide the query/key size 8"):
        lux.MultiHeadAttention(8, nheads=3)
    with pytest.raises(ValueError, match="value size 6"):
        lux.MultiHeadAttention(4, (8, 6), 4, nheads=4)
    with pytest.raises(TypeError, match="dims must be an int or \\(in_dims, qkv_dims, out_dims\\)"):
        lux.MultiHeadAttention(4, 4)
    with pytest.raises(TypeError, match="in_dims must be an int or \\(q_in, k_in, v_in\\)"):
        lux.MultiHeadAttention((4, 4), 4, 4)


def test_input_errors_name_the_layer_and_the_fix():
    m = lux.MultiHeadAttention(4, nheads=2, is_causal=True)
    ps, st = lux.setup(np.random.default_rng(0), m)
    x = randn(2, 3, 4)
    with pytest.raises(lux.LayerInputError, match=r"builds its own mask \(is_causal=True\).*\n  fix:"):
        m((x, x, x, np.ones((3, 3), bool)), ps, st)
    with pytest.raises(lux.LayerInputError, match=r"expects q of shape \(batch, length, features\), got \(3, 4\)"):
        m(x[0], ps, st)
    with pytest.raises(lux.LayerInputError, match=r"k and v of the same length.*k \(2, 3, 4\) and v \(2, 5, 4\)"):
        m((x, x, randn(2, 5, 4)), ps, st)
    with pytest.raises(lux.LayerInputError, match="the same batch axes"):
        m((x, randn(1, 3, 4)), ps, st)
    with pytest.raises(lux.LayerInputError, match=r"\.py:\d+: k_proj: Dense\(4 => 4, use_bias=false\) expects 4 input"
                                                  r" features"):
        m((x, randn(2, 3, 5)), ps, st)
    with pytest.raises(lux.LayerInputError, match=r"takes x, \(q, kv\), \(q, k, v\) or \(q, k, v, mask\), got a tuple"
                                                  r" of 5"):
        m((x,) * 5, ps, st)
    with pytest.raises(lux.LayerInputError, match=r"\.py:\d+: layer_1\.v_proj: Dense"):
        model = lux.Chain(lux.MultiHeadAttention(4))
        mps, mst = lux.setup(np.random.default_rng(0), model)
        model((x, x, randn(2, 3, 6)), mps, mst)
