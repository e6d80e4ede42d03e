"""MultiHeadAttention: Lux's multi-head scaled dot-product attention (after Flux/NNlib), in our
reversed layout.

Lux's query is (q_in, q_len, batch), reversed here (batch, q_len, q_in); its attention scores are
(kv_len, q_len, nheads, batch), reversed (batch, nheads, q_len, kv_len). Per head h, with the
projected q, k, v split into `nheads` slices of their feature axis (each head's features
contiguous, as Lux's reshape to (d, nheads, len, batch) makes them):

    scores_h = softmax(q_h k_h^T / sqrt(d_head))    (over the key axis, masked keys at -inf)
    y = out_proj(concat_h(scores_h v_h))
"""

from __future__ import annotations

import math

import numpy as np

from lux.core import AbstractContainerLayer, AbstractLayer, layer
from lux.errors import LayerInputError, LuxTypeError, LuxValueError
from lux.layers.basic import Dense, NoOpLayer
from lux.layers.containers import call_child
from lux.layers.dropout import Dropout

__all__ = ["MultiHeadAttention"]


def _attention_dropout(p: float) -> AbstractLayer:
    """Lux's `Dropout(p)`: a NoOpLayer for p == 0 (so the state stays empty), else a Dropout."""
    return NoOpLayer() if p == 0 else Dropout(p)


def _parse_dims(dims) -> tuple[tuple[int, int, int], tuple[int, int], int]:
    """((q_in, k_in, v_in), (qk, v), out) from Lux's forms: `dims`, or (in, qkv, out) with in an int or
    a 3-tuple and qkv an int or a 2-tuple (Lux's `in => qkv => out`)."""
    if isinstance(dims, (int, np.integer)):
        return (dims,) * 3, (dims,) * 2, dims
    if not (isinstance(dims, tuple) and len(dims) == 3):
        raise LuxTypeError(f"MultiHeadAttention dims must be an int or (in_dims, qkv_dims, out_dims), got {dims!r}",
                           fix="MultiHeadAttention(64) or MultiHeadAttention((64, 64, 64), (32, 32), 64)")
    in_dims, qkv_dims, out_dims = dims
    in_dims = (in_dims,) * 3 if isinstance(in_dims, (int, np.integer)) else tuple(in_dims)
    qkv_dims = (qkv_dims,) * 2 if isinstance(qkv_dims, (int, np.integer)) else tuple(qkv_dims)
    if len(in_dims) != 3 or len(qkv_dims) != 2:
        raise LuxTypeError(f"MultiHeadAttention: in_dims must be an int or (q_in, k_in, v_in) and qkv_dims an int or "
                           f"(qk_dim, v_dim), got {in_dims!r} and {qkv_dims!r}",
                           fix="MultiHeadAttention((64, 64, 64), (32, 32), 64)")
    return in_dims, qkv_dims, out_dims


def _softmax_last(x):
    # No tracer.stop_gradient on the shift: reverse mode differentiates exp(z) / sum(exp(z)) with
    # z = x - max(x) as one softmax and gives the max no cotangent (`passes/autodiff/rules/softmax.py`),
    # and the forward stays one fusible dot-max-subtract-exp for XLA (the marker split it in three).
    shifted = x - np.max(x, axis=-1, keepdims=True)
    e = np.exp(shifted)
    return e / np.sum(e, axis=-1, keepdims=True)


@layer
class MultiHeadAttention(AbstractContainerLayer):
    """Multi-head dot-product attention (Lux's MultiHeadAttention).

    Arguments: `dims`: an int (every size), or Lux's `in => qkv => out` as three positional
    arguments `MultiHeadAttention(in_dims, qkv_dims, out_dims)`, `in_dims` an int or
    (q_in, k_in, v_in), `qkv_dims` an int or (qk_dim, v_dim).
    Keywords: `nheads` (1; must divide qk_dim and v_dim), `dense_kwargs` (keywords for the four Dense
    projections; default {'use_bias': False}), `attention_dropout_probability` (0.0),
    `is_causal` (None; True builds a causal mask, and a mask may then not be passed).
    Inputs: `x` (self-attention), `(q, kv)`, `(q, k, v)` or `(q, k, v, mask)`: q (batch..., q_len, q_in),
    k (batch..., kv_len, k_in), v (batch..., kv_len, v_in); `mask` a boolean array (True = attend)
    broadcastable to (batch..., nheads, q_len, kv_len), or None.
    Returns: `((y, scores), st)` with y (batch..., q_len, out) and the attention scores
    (batch..., nheads, q_len, kv_len) (Lux's (kv_len, q_len, nheads, batch...), reversed).
    Parameters: `q_proj`, `k_proj`, `v_proj`, `attention_dropout`, `out_proj`, each a Dense's
    (`weight` (in, out), and `bias` with use_bias), attention_dropout's empty.
    """

    nheads: int
    q_proj: Dense
    k_proj: Dense
    v_proj: Dense
    attention_dropout: AbstractLayer
    out_proj: Dense
    is_causal: bool | None = None

    def __init__(self, *dims, nheads: int = 1, dense_kwargs: dict | None = None,
                 attention_dropout_probability: float = 0.0, is_causal: bool | None = None):
        # Its fields are the sub-layers the arguments build, so no dataclass __init__.
        (q_in, k_in, v_in), (qk, v), out = _parse_dims(dims[0] if len(dims) == 1 else dims)
        if qk % nheads or v % nheads:
            raise LuxValueError(f"MultiHeadAttention: nheads={nheads} must divide the query/key size {qk} and the "
                                f"value size {v}", fix="pick nheads among the common divisors, or change qkv_dims")
        kwargs = {"use_bias": False} if dense_kwargs is None else dict(dense_kwargs)
        self._set_fields(nheads=int(nheads), q_proj=Dense(q_in, qk, **kwargs), k_proj=Dense(k_in, qk, **kwargs),
                         v_proj=Dense(v_in, v, **kwargs),
                         attention_dropout=_attention_dropout(attention_dropout_probability),
                         out_proj=Dense(v, out, **kwargs), is_causal=None if is_causal is None else bool(is_causal))

    def children(self) -> dict:
        return {"q_proj": self.q_proj, "k_proj": self.k_proj, "v_proj": self.v_proj,
                "attention_dropout": self.attention_dropout, "out_proj": self.out_proj}

    def summary(self) -> str:
        text = (f"MultiHeadAttention({self.q_proj.in_dims} => ({self.k_proj.in_dims}, {self.v_proj.in_dims}) => "
                f"{self.out_proj.out_dims}; nheads={self.nheads}")
        p = getattr(self.attention_dropout, "p", 0)
        if p:
            text += f", attention_dropout_probability={p}"
        if self.is_causal is not None:
            text += f", is_causal={str(self.is_causal).lower()}"
        return text + ")"

    def __repr__(self) -> str:
        # Lux's text/plain show of a MultiHeadAttention is this one line (inside a container it
        # prints its children like any container, which lux.display does).
        return self.summary()

    def __call__(self, x, ps, st):
        q, k, v, mask = self._parse(x)
        self._check_shapes(q, k, v)
        new_st = {}
        q, new_st["q_proj"] = call_child(self, "q_proj", self.q_proj, q, ps, st)
        k, new_st["k_proj"] = call_child(self, "k_proj", self.k_proj, k, ps, st)
        v, new_st["v_proj"] = call_child(self, "v_proj", self.v_proj, v, ps, st)
        mask = self._mask(mask, q.shape[-2], k.shape[-2])
        heads, scores, new_st["attention_dropout"] = self._attend(q, k, v, mask, ps, st)
        y, new_st["out_proj"] = call_child(self, "out_proj", self.out_proj, heads, ps, st)
        return (y, scores), {name: new_st[name] for name in self.children()}

    def _attend(self, q, k, v, mask, ps, st):
        """Per-head attention: (concatenated heads (batch..., q_len, v), scores, dropout's state)."""
        q, k, v = (self._split_heads(a) for a in (q, k, v))           # (batch..., len, nheads, d)
        scale = 1 / math.sqrt(q.shape[-1])
        logits = np.einsum("...lhd,...shd->...hls", q * scale, k)    # (batch..., nheads, q_len, kv_len)
        if mask is not None:
            logits = np.where(mask, logits, -np.inf)
        scores, dropout_st = call_child(self, "attention_dropout", self.attention_dropout, _softmax_last(logits), ps, st)
        heads = np.einsum("...hls,...she->...lhe", scores, v)        # (batch..., q_len, nheads, d_v)
        return np.reshape(heads, (*heads.shape[:-2], -1)), scores, dropout_st

    def _split_heads(self, a):
        return np.reshape(a, (*a.shape[:-1], self.nheads, a.shape[-1] // self.nheads))

    def _parse(self, x):
        """(q, k, v, mask) from Lux's input forms."""
        if not isinstance(x, (tuple, list)):
            return x, x, x, None
        if len(x) == 2:
            return x[0], x[1], x[1], None
        if len(x) == 3:
            return x[0], x[1], x[2], None
        if len(x) == 4:
            return tuple(x)
        raise LayerInputError(f"{self.summary()} takes x, (q, kv), (q, k, v) or (q, k, v, mask), got a "
                              f"{type(x).__name__} of {len(x)} items", fix="pass one of those forms")

    def _check_shapes(self, q, k, v) -> None:
        shapes = {name: tuple(np.shape(a)) for name, a in (("q", q), ("k", k), ("v", v))}
        for name, shape in shapes.items():
            if len(shape) < 3:
                raise LayerInputError(f"{self.summary()} expects {name} of shape (batch, length, features), got "
                                      f"{shape}", fix=f"add a batch axis, e.g. {name}[None]")
        if shapes["k"][-2] != shapes["v"][-2]:
            raise LayerInputError(f"{self.summary()} expects k and v of the same length (axis -2), got k {shapes['k']} "
                                  f"and v {shapes['v']}", fix="give keys and values one entry per position")
        batches = {name: shape[:-2] for name, shape in shapes.items()}
        if len(set(batches.values())) != 1:
            raise LayerInputError(f"{self.summary()} expects q, k and v with the same batch axes, got q {shapes['q']}, "
                                  f"k {shapes['k']}, v {shapes['v']}", fix="give them the same leading axes")

    def _mask(self, mask, q_len: int, kv_len: int):
        """The user's mask, or with is_causal=True a lower-triangular one (query l sees keys s <= l)."""
        if self.is_causal is not None and mask is not None:
            raise LayerInputError(f"{self.summary()} builds its own mask (is_causal={self.is_causal}), and got a mask "
                                  "as well",
                                  fix="pass (q, k, v) without a mask, or build the layer with is_causal=None")
        if self.is_causal:
            return np.tril(np.ones((q_len, kv_len), dtype=bool))
        return mask
