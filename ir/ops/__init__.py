"""Typed builders, one small function per StableHLO op (like Reactant's `Ops.jl`).

Builders take and return `ir.Value`s, check the spec's shape and type constraints
(raising `OpBuildError`), and emit at the current insertion point and location.
NumPy semantics (broadcasting, promotion, negative axes) belong to `tracer/`.

One module per op family (elementwise, shape, reduction, linalg, indexing, control_flow ...);
this package exports exactly each family's `__all__`, never the family modules themselves.
"""

from ir.ops import _common as _common_module
from ir.ops import chlo as _chlo
from ir.ops import complex_numbers as _complex_numbers
from ir.ops import constant as _constant
from ir.ops import control_flow as _control_flow
from ir.ops import convolution as _convolution
from ir.ops import elementwise as _elementwise
from ir.ops import indexing as _indexing
from ir.ops import lapack as _lapack
from ir.ops import linalg as _linalg
from ir.ops import random as _random
from ir.ops import reduction as _reduction
from ir.ops import sharding as _sharding
from ir.ops import shape as _shape
from ir.ops import sort as _sort
from ir.ops import window as _window
from ir.ops._common import *  # noqa: F401,F403
from ir.ops.chlo import *  # noqa: F401,F403
from ir.ops.complex_numbers import *  # noqa: F401,F403
from ir.ops.constant import *  # noqa: F401,F403
from ir.ops.control_flow import *  # noqa: F401,F403
from ir.ops.convolution import *  # noqa: F401,F403
from ir.ops.elementwise import *  # noqa: F401,F403
from ir.ops.indexing import *  # noqa: F401,F403
from ir.ops.lapack import *  # noqa: F401,F403
from ir.ops.linalg import *  # noqa: F401,F403
from ir.ops.random import *  # noqa: F401,F403
from ir.ops.reduction import *  # noqa: F401,F403
from ir.ops.sharding import *  # noqa: F401,F403
from ir.ops.shape import *  # noqa: F401,F403
from ir.ops.sort import *  # noqa: F401,F403
from ir.ops.window import *  # noqa: F401,F403

__all__ = [
    *_common_module.__all__,
    *_constant.__all__,
    *_elementwise.__all__,
    *_chlo.__all__,
    *_complex_numbers.__all__,
    *_shape.__all__,
    *_reduction.__all__,
    *_linalg.__all__,
    *_lapack.__all__,
    *_indexing.__all__,
    *_control_flow.__all__,
    *_convolution.__all__,
    *_window.__all__,
    *_sort.__all__,
    *_random.__all__,
    *_sharding.__all__,
]
