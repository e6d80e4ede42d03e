"""One row of the function table and the default input generators.

An entry says how to call a function (`call(*arrays)`), how many array operands it takes
(`arity`), which dtypes to draw them in, how to draw them (`inputs`, a function of the dtype
returning a hypothesis strategy of the argument tuple) and the float tolerance. Defaults draw
broadcast-compatible shapes with empty arrays and size-1 axes, and float values with
-0.0, inf and nan among them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from helpers import ALL_DTYPES, BFLOAT16

# Every traced dtype (ALL_DTYPES and bfloat16, whose oracle is NumPy's ml_dtypes loops).
TABLE_DTYPES = ALL_DTYPES + (BFLOAT16,)
# Functions for which NumPy with ml_dtypes is no oracle for bfloat16, which NumPy does not count as a float
# (np.inexact): its nan-ignoring functions and nan_to_num leave bfloat16 nans in, its sorts place them
# anywhere, einsum refuses the dtype, and clip/vecdot (no bfloat16 loop) answer in float32.
BFLOAT16_ORACLE_GAPS = ("numpy.nan", "numpy.sort", "numpy.argsort", "numpy.lexsort", "numpy.searchsorted",
                        "numpy.einsum", "numpy.linalg.vecdot", "numpy.clip")

FLOAT_SPECIALS = (0.0, -0.0, np.inf, -np.inf, np.nan)


def elements(dtype, *, specials: bool = True, low: float = -8, high: float = 8):
    """Values for `dtype`: small ints (within range), halves for floats, plus inf/nan/-0.0 if `specials`."""
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return st.booleans()
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        return st.integers(int(max(info.min, low)), int(min(info.max, high)))
    finite = st.integers(int(2 * low), int(2 * high)).map(lambda v: v / 2)
    return st.one_of(finite, finite, finite, st.sampled_from(FLOAT_SPECIALS)) if specials else finite


def arrays(dtype, shape, **element_options):
    return hnp.arrays(np.dtype(dtype), shape, elements=elements(dtype, **element_options))


def broadcast_operands(arity: int, *, min_dims: int = 0, max_dims: int = 3, min_side: int = 0,
                       max_side: int = 3, **element_options):
    """`inputs` for elementwise-style functions: `arity` arrays of mutually broadcastable shapes."""

    def strategy(dtype):
        shapes = hnp.mutually_broadcastable_shapes(num_shapes=arity, min_dims=min_dims, max_dims=max_dims,
                                                   min_side=min_side, max_side=max_side)
        return shapes.flatmap(lambda s: st.tuples(*(arrays(dtype, shape, **element_options) for shape in s.input_shapes)))

    return strategy


def one_array(*, min_dims: int = 0, max_dims: int = 3, min_side: int = 0, max_side: int = 3, **element_options):
    """`inputs` for functions of a single array of any shape."""

    def strategy(dtype):
        shape = hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side)
        return shape.flatmap(lambda s: st.tuples(arrays(dtype, s, **element_options)))

    return strategy


@dataclass(frozen=True)
class Entry:
    """`call(*args)` traced must equal NumPy's, for args drawn by `inputs(dtype)` for each dtype."""

    name: str                      # the public name, as tracer.numpy_coverage() spells it: "numpy.cumsum"
    call: Callable
    arity: int = 1
    dtypes: tuple = TABLE_DTYPES
    inputs: Callable | None = None  # dtype -> strategy of the argument tuple; default: broadcast operands
    rtol: float | dict | None = None  # None: the per-dtype default of helpers.RTOL; a dict: per dtype
    atol: float | dict = 0.0          # a dict: per dtype (0 for those it does not name)
    signed_zeros: bool = False
    examples: int = 6               # hypothesis examples (each compiles all dtypes together once)
    tags: tuple = field(default=())

    def __post_init__(self):
        if self.name.startswith(BFLOAT16_ORACLE_GAPS):
            object.__setattr__(self, "dtypes", tuple(d for d in self.dtypes if np.dtype(d) != BFLOAT16))

    def tolerance(self, dtype) -> tuple[float | None, float]:
        """(rtol, atol) for `dtype`'s case."""
        rtol = self.rtol.get(np.dtype(dtype)) if isinstance(self.rtol, dict) else self.rtol
        atol = self.atol.get(np.dtype(dtype), 0.0) if isinstance(self.atol, dict) else self.atol
        return rtol, atol

    def strategy(self, dtype):
        return (self.inputs or broadcast_operands(self.arity))(dtype)

    @property
    def id(self) -> str:
        return self.name + (f"[{','.join(self.tags)}]" if self.tags else "")
