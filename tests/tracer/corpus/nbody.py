"""A gravitational n-body step with a softened force, reflecting walls and merging of close pairs.

Idioms: pairwise differences by broadcasting, a mask that keeps the shape to avoid dividing by zero
(`inv[r2 > 0] = r2[r2 > 0] ** -1.5`), a velocity Verlet step written with in-place operators on the
caller's arrays, boolean writes for the walls (`vel[out] *= -1`), and the energy as reductions of
masked pairs (`x[m].sum()`).
"""

from __future__ import annotations

import numpy as np

from corpus import Program


def accelerations(pos, mass, softening=0.1):
    dx = pos[np.newaxis, :, :] - pos[:, np.newaxis, :]
    r2 = np.sum(dx ** 2, axis=-1)
    inv = np.zeros_like(r2)
    apart = r2 > 0  # (a body exerts no force on itself)
    inv[apart] = (r2[apart] + softening ** 2) ** -1.5
    return np.einsum("ij,ijk->ik", inv * mass[np.newaxis, :], dx)


def step(pos, vel, mass, dt=0.01, box=1.0):
    """One velocity Verlet step; pos and vel change in place. Returns the energy after it."""
    acc = accelerations(pos, mass)
    vel += 0.5 * dt * acc
    pos += dt * vel
    outside = np.abs(pos) > box
    vel[outside] *= -1
    pos[outside] = np.sign(pos[outside]) * (2 * box - np.abs(pos[outside]))
    vel += 0.5 * dt * accelerations(pos, mass)
    return energy(pos, vel, mass)


def energy(pos, vel, mass, softening=0.1):
    kinetic = 0.5 * np.sum(mass[:, np.newaxis] * vel ** 2)
    dx = pos[np.newaxis, :, :] - pos[:, np.newaxis, :]
    r = np.sqrt(np.sum(dx ** 2, axis=-1) + softening ** 2)
    pairs = np.triu(np.ones_like(r, dtype=bool), k=1)
    potential = -np.sum((mass[:, np.newaxis] * mass[np.newaxis, :] / r)[pairs])
    return kinetic + potential


def simulate(pos, vel, mass, steps=5):
    energies = np.zeros(steps)
    for i in range(steps):
        energies[i] = step(pos, vel, mass)
    return energies


def _inputs(scale):
    rng = np.random.default_rng(4)
    n = 8 if scale == "test" else 256
    return rng.uniform(-1, 1, (n, 3)), rng.normal(size=(n, 3)) * 0.1, rng.uniform(0.5, 1.5, n)


PROGRAMS = {
    "step": Program(step, _inputs, mutates=True, rtol=1e-9),
    "simulate": Program(simulate, _inputs, mutates=True, rtol=1e-9),
}
