"""Lux.jl for Python: explicit-parameter layers that run eagerly on NumPy and compiled with `tracer`.

    model = lux.Chain(lux.Dense(128, 256, np.tanh), lux.Dense(256, 10))
    ps, st = lux.setup(np.random.default_rng(0), model)
    y, st = lux.apply(model, x, ps, st)                     # NumPy
    y, st = tracer.jit(lux.apply)(model, x, ps, st)         # compiled
"""

from lux import init
from lux.activations import *  # noqa: F401,F403
from lux.core import (
    AbstractContainerLayer,
    AbstractLayer,
    apply,
    initialparameters,
    initialstates,
    layer,
    parameterlength,
    setup,
    statelength,
    testmode,
    trainmode,
    update_state,
)
from lux.errors import LayerInputError, LuxError, LuxTypeError, LuxValueError
from lux.layers.basic import *  # noqa: F401,F403
from lux.layers.containers import *  # noqa: F401,F403

# Newer modules export exactly their `__all__`.
from lux.compact import *  # noqa: E402,F401,F403
from lux.layers.attention import *  # noqa: E402,F401,F403
from lux.layers.conv import *  # noqa: E402,F401,F403
from lux.layers.dropout import *  # noqa: E402,F401,F403
from lux.layers.normalize import *  # noqa: E402,F401,F403
from lux.layers.pooling import *  # noqa: E402,F401,F403
from lux.layers.recurrent import *  # noqa: E402,F401,F403
from lux.layers.upsample import *  # noqa: E402,F401,F403
from lux.ops import *  # noqa: E402,F401,F403
from lux.precision import *  # noqa: E402,F401,F403
from lux.stateful import *  # noqa: E402,F401,F403

__all__ = [name for name in dir() if not name.startswith("_") and name not in ("annotations",)]
