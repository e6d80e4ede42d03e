"""Lux.jl for Python: explicit-parameter layers that run eagerly on NumPy and compiled with `tracer`.

    model = lux.Chain(lux.Dense(128, 256, np.tanh), lux.Dense(256, 10))
    ps, st = lux.setup(np.random.default_rng(0), model)
    y, st = lux.apply(model, x, ps, st)                     # NumPy
    y, st = tracer.jit(lux.apply)(model, x, ps, st)         # compiled

The public names are each module's `__all__` (the layer contract from `core`, the error classes from
`errors`), re-exported here, and the `lux.init` namespace of initialisers.
"""

from lux import init, optimisers
from lux import training as Training
from lux.activations import (
    celu, elu, erf, erfc, gelu, gelu_erf, gelu_tanh, hardsigmoid, identity, leakyrelu, logsigmoid, logsoftmax, mish,
    relu, relu6, selu, sigmoid, softmax, softplus, softsign, swish, tanh,
)
from lux.compact import CompactLayer, compact, init_fn, non_trainable
from lux.devices import DeviceIterator, cpu_device, reactant_device
from lux.losses import (
    AbstractLoss, BinaryCrossEntropyLoss, BinaryFocalLoss, CrossEntropyLoss, DiceCoeffLoss, FocalLoss,
    GenericLossFunction, HingeLoss, HuberLoss, KLDivergenceLoss, LossError, LossTypeError, MAELoss, MSELoss, MSLELoss,
    PoissonLoss, SiameseContrastiveLoss, SquaredHingeLoss,
)
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
from lux.training import AutoEnzyme, TrainState

__all__ = [
    "AbstractContainerLayer", "AbstractLayer", "AbstractLoss", "AbstractRecurrentCell", "AdaptiveLPPool",
    "AdaptiveMaxPool", "AdaptiveMeanPool", "AlphaDropout", "apply", "AutoEnzyme", "BatchLastIndex", "BatchNorm",
    "bf16", "Bilinear", "BinaryCrossEntropyLoss", "BinaryFocalLoss", "BranchLayer", "celu", "Chain", "compact",
    "CompactLayer", "Conv", "ConvTranspose", "cpu_device", "CrossEntropyLoss", "Dense", "DeviceIterator",
    "DiceCoeffLoss", "Dropout", "eachslice", "eltype_mismatch_handling", "EltypeMismatchError", "elu", "Embedding",
    "erf", "erfc", "f16", "f32", "f64", "FlattenLayer", "FocalLoss", "foldl_init", "gelu", "gelu_erf", "gelu_tanh",
    "GenericLossFunction", "GlobalLPPool", "GlobalMaxPool", "GlobalMeanPool", "GroupNorm", "GRUCell", "hardsigmoid",
    "HingeLoss", "HuberLoss", "identity", "init", "init_fn", "initialparameters", "initialstates", "InstanceNorm",
    "istraining", "KLDivergenceLoss", "layer", "LayerInputError", "LayerNorm", "leakyrelu", "logsigmoid",
    "logsoftmax", "LossError", "LossTypeError", "LPPool", "LSTMCell", "LuxError", "LuxOps", "LuxTypeError",
    "LuxValueError", "MAELoss", "match_eltype", "Maxout", "MaxPool", "MeanPool", "mish", "MSELoss", "MSLELoss",
    "multigate", "MultiHeadAttention", "non_trainable", "NoOpLayer", "optimisers", "PairwiseFusion", "Parallel",
    "parameterlength", "PixelShuffle", "PoissonLoss", "reactant_device", "Recurrence", "relu", "relu6",
    "ReshapeLayer", "RNNCell", "rsqrt", "SamePad", "Scale", "SelectDim", "selu", "set_eltype_mismatch_handling",
    "setup", "SiameseContrastiveLoss", "sigmoid", "SkipConnection", "softmax", "softplus", "softsign",
    "SquaredHingeLoss", "StatefulLayer", "StatefulRecurrentCell", "statelength", "swish", "tanh", "testmode",
    "TimeLastIndex", "Training", "trainmode", "TrainState", "update_state", "Upsample", "VariationalHiddenDropout",
    "WeightNorm", "WrappedFunction", "xlogx", "xlogy",
]
