"""k-means (Lloyd's algorithm) with the centres rebuilt by np.array of a list comprehension.

Idioms: distances by broadcasting, np.argmin for the labels, `points[labels == k].mean(axis=0)` per
cluster (a traced row mask), np.array of the list of new centres, a fixed number of iterations, and the
inertia as a sum over masked rows.
"""

from __future__ import annotations

import numpy as np

from corpus import Program


def kmeans(points, centers, iterations=5):
    k = len(centers)
    for _ in range(iterations):
        distances = np.linalg.norm(points[:, np.newaxis, :] - centers[np.newaxis, :, :], axis=2)
        labels = np.argmin(distances, axis=1)
        centers = np.array([points[labels == j].mean(axis=0) for j in range(k)])
    inertia = sum(np.sum((points[labels == j] - centers[j]) ** 2) for j in range(k))
    return centers, labels, inertia


def _inputs(scale):
    rng = np.random.default_rng(6)
    n, k = (30, 3) if scale == "test" else (2000, 8)
    truth = rng.normal(scale=4, size=(k, 2))
    points = np.concatenate([c + rng.normal(size=(n // k, 2)) for c in truth])
    return points, points[rng.choice(len(points), k, replace=False)]


PROGRAMS = {"kmeans": Program(kmeans, _inputs, rtol=1e-9, atol=1e-9)}
