"""Shared helpers of the op builders: the error they raise, reading static types, checking them.

`ir.ops` re-exports the names in `__all__`; `check` and the other helpers are the family modules' own.
"""

from __future__ import annotations

import numpy as np
from jaxlib.mlir import ir

from ir import dtypes
from ir.errors import PyreactantError
from ir.query import dtype as dtype_of
from ir.query import shape as shape_of

__all__ = ["OpBuildError", "dtype_of", "shape_of"]


class OpBuildError(PyreactantError, ValueError):
    """An op was asked for with operands that break the StableHLO spec's constraints."""


def check(condition: bool, op: str, message: str) -> None:
    """Raise OpBuildError naming `op` (a stablehlo op's name, or a dialect-qualified one like "chlo.asin").

    The message names the op, not a line: the tracer, which knows the user's line, reports it there.
    """
    if not condition:
        raise OpBuildError(f"{op if '.' in op else 'stablehlo.' + op}: {message}", where="")


def check_same_types(op: str, *values: ir.Value) -> None:
    first = values[0].type
    for other in values[1:]:
        check(other.type == first, op, f"operand types differ: {first} vs {other.type}")


def check_permutation(op: str, perm, rank: int, what: str) -> None:
    check(sorted(perm) == list(range(rank)), op, f"{what} {list(perm)} is not a permutation of 0..{rank - 1}")


def is_float(dtype: np.dtype) -> bool:
    return dtypes.is_floating(dtype)


def is_unsigned(dtype: np.dtype) -> bool:
    return np.issubdtype(dtype, np.unsignedinteger)
