"""lux models compiled by us vs the same models written in JAX, same process: forward-pass time.

Two models, each built once with `lux` (compiled with `tracer.jit(lux.apply)`) and once by hand with
`jax.numpy`/`jax.lax` reading the same parameter trees (compiled with `jax.jit`):
- a ResNet-style CNN: conv stem, two residual blocks, mean pool, dense head, on 32x3x32x32 images;
- a transformer block: layer norm, 4-head self-attention, residual, layer norm, GELU MLP, residual,
  on 8 sequences of 64 tokens of width 128.
The outputs are checked to agree before timing. Reported: median forward time of each and the
ratio ours / jax (goal <= 1.0), device-resident inputs, alternating rounds whose order swaps each
round; and beside it the ratio of CPU time per call (this process's, all threads), which moves
with the work the programs do, not with other jobs' load on a shared machine.

    python -m benchmarks.layers
"""

from __future__ import annotations

import sys
from pathlib import Path

if not __package__:  # run as a file: its folder would come first on sys.path and shadow the `runtime` package
    sys.path[0] = str(Path(__file__).resolve().parent.parent)

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402  (the rival: allowed in benchmarks)
import numpy as np  # noqa: E402

import lux  # noqa: E402
import runtime  # noqa: E402
import tracer  # noqa: E402
from benchmarks._timing import compare_wall_and_cpu  # noqa: E402

jax.config.update("jax_enable_x64", False)


# -- the CNN ------------------------------------------------------------------------------------------

def residual_block(channels: int):
    body = lux.Chain(lux.Conv((3, 3), channels, channels, lux.relu, pad=1, cross_correlation=True),
                     lux.Conv((3, 3), channels, channels, pad=1, cross_correlation=True))
    return lux.SkipConnection(body, np.add)


def cnn():
    return lux.Chain(lux.Conv((3, 3), 3, 16, lux.relu, pad=1, cross_correlation=True),
                     residual_block(16), residual_block(16), lux.MeanPool((2, 2)), lux.FlattenLayer(),
                     lux.Dense(16 * 16 * 16, 10))


def jax_conv(x, p, *, relu):
    y = jax.lax.conv_general_dilated(x, p["weight"], (1, 1), ((1, 1), (1, 1)),
                                     dimension_numbers=("NCHW", "OIHW", "NCHW"))
    y = y + p["bias"][None, :, None, None]
    return jax.nn.relu(y) if relu else y


def jax_cnn(ps, x):
    h = jax_conv(x, ps["layer_1"], relu=True)
    for name in ("layer_2", "layer_3"):
        body = ps[name]
        h = h + jax_conv(jax_conv(h, body["layer_1"], relu=True), body["layer_2"], relu=False)
    n, c, height, width = h.shape
    h = h.reshape(n, c, height // 2, 2, width // 2, 2).mean(axis=(3, 5))
    return h.reshape(n, -1) @ ps["layer_6"]["weight"] + ps["layer_6"]["bias"]


# -- the transformer block ----------------------------------------------------------------------------

WIDTH, HEADS = 128, 4


@lux.compact(norm1=lux.LayerNorm((WIDTH,), dims=(-1,)), attention=lux.MultiHeadAttention(WIDTH, nheads=HEADS),
             norm2=lux.LayerNorm((WIDTH,), dims=(-1,)), up=lux.Dense(WIDTH, 4 * WIDTH, lux.gelu),
             down=lux.Dense(4 * WIDTH, WIDTH))
def transformer_block(x, *, norm1, attention, norm2, up, down):
    y, _ = attention(norm1(x))
    x = x + y
    return x + down(up(norm2(x)))


def jax_layer_norm(x, p, eps=1e-5):
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / jnp.sqrt(var + eps) * p["scale"] + p["bias"]


def jax_attention(x, p):
    b, length, width = x.shape
    split = lambda t: t.reshape(b, length, HEADS, width // HEADS)  # noqa: E731
    q, k, v = (split(x @ p[name]["weight"]) for name in ("q_proj", "k_proj", "v_proj"))
    scores = jnp.einsum("blhd,bmhd->bhlm", q, k) / jnp.sqrt(width // HEADS)
    mixed = jnp.einsum("bhlm,bmhd->blhd", jax.nn.softmax(scores, axis=-1), v)
    return mixed.reshape(b, length, width) @ p["out_proj"]["weight"]


def jax_transformer(ps, x):
    x = x + jax_attention(jax_layer_norm(x, ps["norm1"]), ps["attention"])
    hidden = jax.nn.gelu(jax_layer_norm(x, ps["norm2"]) @ ps["up"]["weight"] + ps["up"]["bias"], approximate=True)
    return x + hidden @ ps["down"]["weight"] + ps["down"]["bias"]


# -- timing -------------------------------------------------------------------------------------------

def measure(name, model, jax_forward, x):
    ps, st = lux.setup(np.random.default_rng(0), model)
    st = lux.testmode(st)
    ours = tracer.jit(lux.apply)
    theirs = jax.jit(jax_forward)
    ps_ours, x_ours = runtime.to_device(ps), runtime.to_device(x)
    ps_jax, x_jax = jax.device_put(ps), jax.device_put(x)
    expected = np.asarray(theirs(ps_jax, x_jax))
    actual = np.asarray(ours(model, x_ours, ps_ours, st)[0])
    np.testing.assert_allclose(actual, expected, rtol=2e-3, atol=2e-3)  # the same model on both sides

    def run_ours():
        ours(model, x_ours, ps_ours, st)[0].block_until_ready()

    def run_theirs():
        theirs(ps_jax, x_jax).block_until_ready()

    times = compare_wall_and_cpu(run_ours, run_theirs, calls=20, repeats=7)
    (t_ours, t_jax), (c_ours, c_jax) = times["wall"], times["cpu"]
    print(f"{name:<20} ours {t_ours * 1e3:8.3f} ms   jax.jit {t_jax * 1e3:8.3f} ms   ratio ours/jax = {t_ours / t_jax:.2f}"
          f"   (cpu time: {c_ours * 1e3:.3f} / {c_jax * 1e3:.3f} ms = {c_ours / c_jax:.2f})")


def main() -> None:
    rng = np.random.default_rng(1)
    print("forward pass, compiled, device-resident inputs (median of 7 alternating rounds x 20 calls; wall and cpu time)")
    measure("resnet-style CNN", cnn(), jax_cnn, rng.standard_normal((32, 3, 32, 32), dtype=np.float32))
    measure("transformer block", transformer_block, jax_transformer, rng.standard_normal((8, 64, WIDTH), dtype=np.float32))


if __name__ == "__main__":
    main()
