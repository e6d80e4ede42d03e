"""Selection and *_like creation."""

from __future__ import annotations

import numpy as np

from tables.entry import Entry, broadcast_operands, one_array


def _where_inputs(dtype):
    """(condition, x, y): a bool condition and two operands of `dtype`, all broadcast together."""
    return broadcast_operands(3)(dtype).map(lambda args: (args[0].astype(bool),) + args[1:])


ENTRIES = [
    Entry("numpy.where", np.where, arity=3, inputs=_where_inputs, signed_zeros=True),
    Entry("numpy.clip", lambda x, lo, hi: np.clip(x, lo, hi), arity=3),
    Entry("numpy.zeros_like", np.zeros_like, inputs=one_array()),
    Entry("numpy.ones_like", np.ones_like, inputs=one_array()),
    Entry("numpy.full_like", lambda x: np.full_like(x, 3), inputs=one_array()),
]
