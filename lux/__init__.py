"""Lux.jl for Python: explicit-parameter layers that run eagerly on NumPy and compiled with `tracer`.

    model = lux.Chain(lux.Dense(128, 256, np.tanh), lux.Dense(256, 10))
    ps, st = lux.setup(np.random.default_rng(0), model)
    y, st = lux.apply(model, x, ps, st)                     # NumPy
    y, st = tracer.jit(lux.apply)(model, x, ps, st)         # compiled

The public names are each module's `__all__` (the layer contract from `core`, the error classes from
`errors`), re-exported here, and the `lux.init` namespace of initialisers.
"""

from lux import init
from lux.activations import (
    celu, elu, erf, erfc, gelu, gelu_erf, gelu_tanh, hardsigmoid, identity, leakyrelu, logsigmoid, logsoftmax, mish,
    relu, relu6, selu, sigmoid, softmax, softplus, softsign, swish, tanh,
)
from lux.compact import CompactLayer, compact, init_fn, non_trainable
from lux.core import (
    AbstractContainerLayer, AbstractLayer, apply, initialparameters, initialstates, layer, parameterlength, setup,
    statelength, testmode, trainmode, update_state,
)
from lux.errors import LayerInputError, LuxError, LuxTypeError, LuxValueError
from lux.layers.attention import MultiHeadAttention
from lux.layers.basic import (
    Bilinear, Dense, Embedding, FlattenLayer, NoOpLayer, ReshapeLayer, Scale, SelectDim, WrappedFunction,
)
from lux.layers.containers import BranchLayer, Chain, Maxout, PairwiseFusion, Parallel, SkipConnection
from lux.layers.conv import Conv, ConvTranspose, SamePad
from lux.layers.dropout import AlphaDropout, Dropout, VariationalHiddenDropout
from lux.layers.normalize import BatchNorm, GroupNorm, InstanceNorm, LayerNorm, WeightNorm
from lux.layers.pooling import (
    AdaptiveLPPool, AdaptiveMaxPool, AdaptiveMeanPool, GlobalLPPool, GlobalMaxPool, GlobalMeanPool, LPPool, MaxPool,
    MeanPool,
)
from lux.layers.recurrent import (
    AbstractRecurrentCell, BatchLastIndex, GRUCell, LSTMCell, RNNCell, Recurrence, StatefulRecurrentCell,
    TimeLastIndex,
)
from lux.layers.upsample import PixelShuffle, Upsample
from lux.ops import LuxOps, eachslice, foldl_init, istraining, multigate, rsqrt, xlogx, xlogy
from lux.precision import (
    EltypeMismatchError, bf16, eltype_mismatch_handling, f16, f32, f64, match_eltype, set_eltype_mismatch_handling,
)
from lux.stateful import StatefulLayer

__all__ = [
    "AbstractContainerLayer", "AbstractLayer", "AbstractRecurrentCell", "AdaptiveLPPool", "AdaptiveMaxPool",
    "AdaptiveMeanPool", "AlphaDropout", "BatchLastIndex", "BatchNorm", "Bilinear", "BranchLayer", "Chain",
    "CompactLayer", "Conv", "ConvTranspose", "Dense", "Dropout", "EltypeMismatchError", "Embedding", "FlattenLayer",
    "GRUCell", "GlobalLPPool", "GlobalMaxPool", "GlobalMeanPool", "GroupNorm", "InstanceNorm", "LPPool", "LSTMCell",
    "LayerInputError", "LayerNorm", "LuxError", "LuxOps", "LuxTypeError", "LuxValueError", "MaxPool", "Maxout",
    "MeanPool", "MultiHeadAttention", "NoOpLayer", "PairwiseFusion", "Parallel", "PixelShuffle", "RNNCell",
    "Recurrence", "ReshapeLayer", "SamePad", "Scale", "SelectDim", "SkipConnection", "StatefulLayer",
    "StatefulRecurrentCell", "TimeLastIndex", "Upsample", "VariationalHiddenDropout", "WeightNorm",
    "WrappedFunction", "apply", "bf16", "celu", "compact", "eachslice", "eltype_mismatch_handling", "elu", "erf",
    "erfc", "f16", "f32", "f64", "foldl_init", "gelu", "gelu_erf", "gelu_tanh", "hardsigmoid", "identity", "init",
    "init_fn", "initialparameters", "initialstates", "istraining", "layer", "leakyrelu", "logsigmoid", "logsoftmax",
    "match_eltype", "mish", "multigate", "non_trainable", "parameterlength", "relu", "relu6", "rsqrt", "selu",
    "set_eltype_mismatch_handling", "setup", "sigmoid", "softmax", "softplus", "softsign", "statelength", "swish",
    "tanh", "testmode", "trainmode", "update_state", "xlogx", "xlogy"
]
