"""The views NumPy's shape functions return, as `make_view` relations (see traced_array.py).

A transpose, flip, squeeze or expand_dims of x shares x's elements in NumPy, so writes through
either side must show in the other: each view here knows how to read itself from its parent
and write itself back. `reshape`/`ravel` share only when NumPy can keep the memory layout; we
mark them as views of arrays that are not views themselves (always contiguous in NumPy), and
as copies otherwise. Broadcasts and diagonals are read-only views in NumPy: writing into them
raises, as NumPy does.
"""

from __future__ import annotations

import numpy as np

from ir import ops
from tracer import primitives as P
from tracer.traced_array import TracedArray, make_view

__all__ = ["read_only", "reshaped", "reversed_along", "transposed"]


def transposed(x: TracedArray, permutation) -> TracedArray:
    permutation = tuple(permutation)
    inverse = tuple(int(i) for i in np.argsort(permutation))
    return make_view(x, P.transpose(x, permutation), lambda parent: P.transpose(parent, permutation),
                     lambda parent, view: P.transpose(view, inverse))


def reshaped(x: TracedArray, shape, *, always: bool = False) -> TracedArray:
    """A reshape that is a view (squeeze, expand_dims: `always`; reshape/ravel of a non-view)."""
    result = P.reshape(x, shape)
    if not always and x._base is not None:
        return result if result is not x else P.wrap(x._value, x.shape, x.dtype)
    shape = tuple(shape)
    return make_view(x, result, lambda parent: P.reshape(parent, shape), lambda parent, view: P.reshape(view, parent.shape))


def reversed_along(x: TracedArray, axes) -> TracedArray:
    axes = tuple(d for d in axes if x.shape[d] > 1)
    if not axes:
        return make_view(x, P.wrap(x._value, x.shape, x.dtype), lambda parent: parent, lambda parent, view: view)

    def flip(value: TracedArray) -> TracedArray:
        return P.wrap(ops.reverse(value._value, axes), value.shape, value.dtype)

    return make_view(x, flip(x), flip, lambda parent, view: flip(view))


def read_only(x: TracedArray, read) -> TracedArray:
    """`read(x)`, a view that cannot be written (NumPy's broadcasts and diagonals), yet sees writes to x."""
    return make_view(x, read(x), read, None)
