"""An explicit finite-difference heat-equation solver whose driver works by changing its arguments.

Idioms: a step function that writes the new field into `u` from `u0` with slices (`u[1:-1, 1:-1] = ...`),
a driver `evolve(field, field0, steps)` that returns None and swaps by copying (`field0[:] = field`),
boundary values written into slices, and a Python loop over the steps.
"""

from __future__ import annotations

import numpy as np

from corpus import Program


def step(u, u0, alpha, dx2, dy2, dt):
    u[1:-1, 1:-1] = u0[1:-1, 1:-1] + alpha * dt * (
        (u0[2:, 1:-1] - 2 * u0[1:-1, 1:-1] + u0[:-2, 1:-1]) / dx2
        + (u0[1:-1, 2:] - 2 * u0[1:-1, 1:-1] + u0[1:-1, :-2]) / dy2)
    u[0, :] = u[-1, :] = 0.0
    u[:, 0] = u[:, -1] = 0.0


def evolve(field, field0, steps, alpha=0.5):
    """`steps` steps of the heat equation; the caller's `field` holds the result (nothing is returned)."""
    dx2 = dy2 = 0.01 ** 2
    dt = dx2 * dy2 / (2 * alpha * (dx2 + dy2))
    for _ in range(steps):
        step(field, field0, alpha, dx2, dy2, dt)
        field0[:] = field


def _inputs(scale):
    n, steps = (12, 10) if scale == "test" else (256, 100)
    y, x = np.mgrid[0:n, 0:n] / n
    field0 = np.exp(-((x - 0.5) ** 2 + (y - 0.5) ** 2) * 20)
    return np.zeros_like(field0), field0, steps


PROGRAMS = {"evolve": Program(evolve, _inputs, static=(2,), mutates=True, rtol=1e-9)}
