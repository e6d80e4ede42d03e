"""A linear Kalman filter tracking a constant-velocity target, and a Rauch-Tung-Striebel smoother.

Idioms: matrices built with np.array of nested lists and np.eye, predict/update written with np.dot and
np.linalg.inv, estimates stored row by row into np.zeros buffers in a Python loop over the measurements,
`P = (I - K @ H) @ P`.
"""

from __future__ import annotations

import numpy as np

from corpus import Program


def kalman_filter(zs, dt=0.1, q=1e-3, r=0.05):
    F = np.array([[1, dt, 0, 0], [0, 1, 0, 0], [0, 0, 1, dt], [0, 0, 0, 1]])
    H = np.array([[1.0, 0, 0, 0], [0, 0, 1, 0]])
    Q = q * np.eye(4)
    R = r * np.eye(2)
    x = np.array([zs[0, 0], 0.0, zs[0, 1], 0.0])
    P = np.eye(4)
    n = len(zs)
    xs, Ps = np.zeros((n, 4)), np.zeros((n, 4, 4))
    for k in range(n):
        x = F @ x
        P = F @ P @ F.T + Q
        y = zs[k] - H @ x
        S = H @ P @ H.T + R
        K = P @ H.T @ np.linalg.inv(S)
        x = x + K @ y
        P = (np.eye(4) - K @ H) @ P
        xs[k], Ps[k] = x, P
    return xs, Ps


def rts_smoother(xs, Ps, dt=0.1, q=1e-3):
    F = np.array([[1, dt, 0, 0], [0, 1, 0, 0], [0, 0, 1, dt], [0, 0, 0, 1]])
    Q = q * np.eye(4)
    x_s, P_s = xs.copy(), Ps.copy()
    for k in range(len(xs) - 2, -1, -1):
        P_pred = F @ Ps[k] @ F.T + Q
        C = Ps[k] @ F.T @ np.linalg.inv(P_pred)
        x_s[k] += C @ (x_s[k + 1] - F @ xs[k])
        P_s[k] += C @ (P_s[k + 1] - P_pred) @ C.T
    return x_s, P_s


def filter_and_smooth(zs):
    return rts_smoother(*kalman_filter(zs))


def _inputs(scale):
    n = 12 if scale == "test" else 100
    rng = np.random.default_rng(5)
    t = np.arange(n) * 0.1
    truth = np.stack([1 + 0.5 * t, 2 - 0.3 * t], axis=1)
    return (truth + rng.normal(scale=0.2, size=truth.shape),)


PROGRAMS = {
    "kalman_filter": Program(kalman_filter, _inputs, rtol=1e-8, atol=1e-9),
    "filter_and_smooth": Program(filter_and_smooth, _inputs, rtol=1e-8, atol=1e-9),
}
