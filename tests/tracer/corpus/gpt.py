"""A GPT-2-style decoder forward pass and greedy generation, parameters as nested dicts of arrays.

Idioms: `wte[tokens] + wpe[range(len(tokens))]` (range indexing), layer norm / GELU / softmax as small
functions, `**params` unpacking, np.split into heads and np.hstack of a list comprehension over them, a
causal mask from np.tri, logits through the tied embedding, and generation appending the argmax to a
Python list that np.array turns back into tokens.
"""

from __future__ import annotations

import numpy as np

from corpus import Program


def gelu(x):
    return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))


def softmax(x):
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


def layer_norm(x, g, b, eps=1e-5):
    mean = np.mean(x, axis=-1, keepdims=True)
    variance = np.var(x, axis=-1, keepdims=True)
    return g * (x - mean) / np.sqrt(variance + eps) + b


def linear(x, w, b):
    return x @ w + b


def feed_forward(x, c_fc, c_proj):
    return linear(gelu(linear(x, **c_fc)), **c_proj)


def attention(q, k, v, mask):
    return softmax(q @ k.T / np.sqrt(q.shape[-1]) + mask) @ v


def multi_head_attention(x, c_attn, c_proj, n_head):
    x = linear(x, **c_attn)
    qkv_heads = [np.split(part, n_head, axis=-1) for part in np.split(x, 3, axis=-1)]
    causal_mask = (1 - np.tri(x.shape[0], dtype=x.dtype)) * -1e10
    out_heads = [attention(q, k, v, causal_mask) for q, k, v in zip(*qkv_heads)]
    return linear(np.hstack(out_heads), **c_proj)


def transformer_block(x, mlp, attn, ln_1, ln_2, n_head):
    x = x + multi_head_attention(layer_norm(x, **ln_1), **attn, n_head=n_head)
    return x + feed_forward(layer_norm(x, **ln_2), **mlp)


def gpt2(tokens, wte, wpe, blocks, ln_f, n_head):
    x = wte[tokens] + wpe[range(len(tokens))]
    for block in blocks:
        x = transformer_block(x, **block, n_head=n_head)
    return layer_norm(x, **ln_f) @ wte.T


def generate(tokens, params, n_head, n_new):
    tokens = list(tokens)
    for _ in range(n_new):
        logits = gpt2(np.array(tokens), **params, n_head=n_head)
        tokens.append(np.argmax(logits[-1]))
    return np.array(tokens[len(tokens) - n_new:])


def _params(rng, vocab, context, width, layers):
    def dense(n_in, n_out):
        return {"w": rng.normal(scale=0.2, size=(n_in, n_out)), "b": rng.normal(scale=0.02, size=n_out)}

    def norm():
        return {"g": 1 + rng.normal(scale=0.1, size=width), "b": rng.normal(scale=0.1, size=width)}

    blocks = [{"mlp": {"c_fc": dense(width, 4 * width), "c_proj": dense(4 * width, width)},
               "attn": {"c_attn": dense(width, 3 * width), "c_proj": dense(width, width)},
               "ln_1": norm(), "ln_2": norm()} for _ in range(layers)]
    return {"wte": rng.normal(scale=0.5, size=(vocab, width)), "wpe": rng.normal(scale=0.1, size=(context, width)),
            "blocks": blocks, "ln_f": norm()}


def _sizes(scale):
    return dict(vocab=50, context=16, width=16, layers=2) if scale == "test" else dict(vocab=500, context=128,
                                                                                           width=128, layers=4)


def _forward_inputs(scale):
    rng = np.random.default_rng(7)
    sizes = _sizes(scale)
    params = _params(rng, **sizes)
    tokens = rng.integers(0, sizes["vocab"], 8 if scale == "test" else 64)
    return tokens, params["wte"], params["wpe"], params["blocks"], params["ln_f"], 4


def _generate_inputs(scale):
    rng = np.random.default_rng(8)
    sizes = _sizes(scale)
    return rng.integers(0, sizes["vocab"], 5), _params(rng, **sizes), 4, 3 if scale == "test" else 8


PROGRAMS = {
    "gpt2": Program(gpt2, _forward_inputs, static=(5,), rtol=1e-9, atol=1e-9),
    "generate": Program(generate, _generate_inputs, static=(2, 3)),
}
