"""Small layers and arrays the lux tests share (imported as `lux_fixtures`: tests/lux is on sys.path)."""

from __future__ import annotations

import numpy as np

import lux


@lux.layer
class Counter(lux.AbstractLayer):
    """Adds its call count to x; its state counts the calls."""

    def initialstates(self, rng):
        return {"count": np.zeros((), np.float32)}

    def __call__(self, x, ps, st):
        return x + st["count"], {"count": st["count"] + 1}


def rand(*shape, seed=1):
    """Standard-normal float32 values of `shape`, reproducibly."""
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def dense(p, x):
    """A Dense layer's forward pass written out: the reference the containers' results are checked with."""
    return x @ p["weight"] + p["bias"]
