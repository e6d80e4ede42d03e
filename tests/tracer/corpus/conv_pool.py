"""Convolution and pooling layers written the naive way, forward and backward, as course assignments do.

Idioms: output buffers made with np.zeros and filled element by element in nested Python loops,
np.pad, windows sliced out and reduced, max-pooling's backward pass through a mask of the window's
maximum (`mask * dout[...]` added into a slice of dx), and an im2col convolution that writes columns
into a created matrix and multiplies once.
"""

from __future__ import annotations

import numpy as np

from corpus import Program


def conv_forward_naive(x, w, b, stride=1, pad=1):
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    H_out = 1 + (H + 2 * pad - HH) // stride
    W_out = 1 + (W + 2 * pad - WW) // stride
    out = np.zeros((N, F, H_out, W_out))
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode="constant")
    for n in range(N):
        for f in range(F):
            for i in range(H_out):
                for j in range(W_out):
                    window = x_pad[n, :, i * stride:i * stride + HH, j * stride:j * stride + WW]
                    out[n, f, i, j] = np.sum(window * w[f]) + b[f]
    return out


def max_pool_forward_backward(x, dout, size=2, stride=2):
    N, C, H, W = x.shape
    H_out, W_out = (H - size) // stride + 1, (W - size) // stride + 1
    out = np.zeros((N, C, H_out, W_out))
    dx = np.zeros_like(x)
    for n in range(N):
        for c in range(C):
            for i in range(H_out):
                for j in range(W_out):
                    hs, ws = i * stride, j * stride
                    window = x[n, c, hs:hs + size, ws:ws + size]
                    out[n, c, i, j] = np.max(window)
                    mask = window == np.max(window)
                    dx[n, c, hs:hs + size, ws:ws + size] += mask * dout[n, c, i, j]
    return out, dx


def im2col_conv(x, w, b, pad=1):
    N, C, H, W = x.shape
    F, _, HH, WW = w.shape
    H_out, W_out = H + 2 * pad - HH + 1, W + 2 * pad - WW + 1
    x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    cols = np.empty((C * HH * WW, N * H_out * W_out), dtype=x.dtype)
    column = 0
    for n in range(N):
        for i in range(H_out):
            for j in range(W_out):
                cols[:, column] = x_pad[n, :, i:i + HH, j:j + WW].reshape(-1)
                column += 1
    out = w.reshape(F, -1) @ cols + b.reshape(-1, 1)
    return out.reshape(F, N, H_out, W_out).transpose(1, 0, 2, 3)


def _conv_inputs(scale):
    rng = np.random.default_rng(1)
    # (bench: a loop of 2 * 4 * 8 * 8 element writes, slow in NumPy and a long unrolled program to compile)
    n, c, h, f = (2, 3, 5, 4) if scale == "test" else (2, 3, 8, 4)
    return rng.normal(size=(n, c, h, h)), rng.normal(size=(f, c, 3, 3)), rng.normal(size=f)


def _pool_inputs(scale):
    rng = np.random.default_rng(2)
    n, c, h = (2, 2, 4) if scale == "test" else (2, 4, 8)
    return rng.normal(size=(n, c, h, h)), rng.normal(size=(n, c, h // 2, h // 2))


PROGRAMS = {
    "conv_forward_naive": Program(conv_forward_naive, _conv_inputs),
    "max_pool_forward_backward": Program(max_pool_forward_backward, _pool_inputs),
    "im2col_conv": Program(im2col_conv, _conv_inputs),
}
