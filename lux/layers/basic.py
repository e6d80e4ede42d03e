"""Basic layers (Lux's basic.jl and embedding.jl): Dense, Bilinear, Scale, Embedding, and the
parameter-free WrappedFunction, FlattenLayer, ReshapeLayer, SelectDim, NoOpLayer.

Dense: y = activation(x @ weight + bias), weight (in, out) (Lux's (out, in), reversed).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import KW_ONLY
from typing import Any

import numpy as np

from lux import activations, display, init
from lux.core import AbstractLayer, layer
from lux.errors import LayerInputError, LuxTypeError, LuxValueError, check_input_features
from tracer import TracedArray

__all__ = ["Bilinear", "Dense", "Embedding", "FlattenLayer", "NoOpLayer", "ReshapeLayer", "Scale", "SelectDim",
           "WrappedFunction"]


@layer
class Dense(AbstractLayer):
    """A fully connected layer.

    Arguments: `in_dims`, `out_dims`, `activation` (default identity).
    Keywords: `use_bias`, `init_weight(rng, in, out)` (default: Lux's kaiming_uniform with the
    activation's gain for sqrt(5)), `init_bias(rng, out)` (default: uniform in +-1/sqrt(in)).
    Inputs: `x` of shape (..., in_dims). Returns (..., out_dims) and the unchanged state.
    Parameters: `weight` (in_dims, out_dims), `bias` (out_dims,).
    """

    in_dims: int
    out_dims: int
    activation: Callable = activations.identity
    _: KW_ONLY
    use_bias: bool = True
    init_weight: Callable | None = None
    init_bias: Callable | None = None

    def __post_init__(self):
        for name in ("in_dims", "out_dims"):
            value = getattr(self, name)
            wrong_type = isinstance(value, bool) or not isinstance(value, (int, np.integer))
            if wrong_type or value < 0:
                raise (LuxTypeError if wrong_type else LuxValueError)(
                    f"Dense's {name} must be an int >= 0, got {value!r}",
                    fix="write Dense(in_dims, out_dims) with the sizes of the input's and the output's last axis, "
                        "e.g. Dense(3, 4) for x of shape (batch, 3)")
        if self.in_dims == 0 and self.init_weight is None:
            raise LuxValueError("Dense(0 => ...) has no inputs: its default initialiser scales by 1/sqrt(in_dims)",
                                fix="give in_dims >= 1, or an init_weight of your own")
        self._set_fields(in_dims=int(self.in_dims), out_dims=int(self.out_dims), use_bias=bool(self.use_bias))

    def initialparameters(self, rng) -> dict:
        if self.init_weight is None:
            gain = init.calculate_gain(self.activation, math.sqrt(5.0))
            weight = init.kaiming_uniform(rng, self.in_dims, self.out_dims, gain=gain)
        else:
            weight = self.init_weight(rng, self.in_dims, self.out_dims)
        if not self.use_bias:
            return {"weight": weight}
        bias = init.linear_bias(rng, self.in_dims, self.out_dims) if self.init_bias is None else self.init_bias(rng, self.out_dims)
        return {"weight": weight, "bias": bias}

    def parameterlength(self) -> int:
        return self.in_dims * self.out_dims + self.use_bias * self.out_dims

    def summary(self) -> str:
        return (f"Dense({self.in_dims} => {self.out_dims}{display.activation_note(self.activation)}"
                f"{display.flag_notes(use_bias=(self.use_bias, True))})")

    def __call__(self, x, ps, st):
        check_input_features(self, x, self.in_dims)
        y = x @ ps["weight"]
        if self.use_bias:
            y = y + ps["bias"]
        return self.activation(y), st


# -- layers without parameters -------------------------------------------------------------------

@layer
class NoOpLayer(AbstractLayer):
    """Return the input unchanged (useful as a placeholder, e.g. in `BranchLayer`).

    Inputs: anything. Returns it and the unchanged state.
    """

    def __call__(self, x, ps, st):
        return x, st


@layer
class WrappedFunction(AbstractLayer):
    """A parameter-free, stateless function as a layer: `WrappedFunction(np.tanh)`.

    Arguments: `func`, called as `func(x)`.
    Inputs: whatever `func` takes. Returns `func(x)` and the unchanged state.
    """

    func: Callable

    def __post_init__(self):
        if not callable(self.func):
            raise LuxTypeError(f"WrappedFunction wraps a function, got a {type(self.func).__name__}",
                               fix="pass a function of x, e.g. lux.WrappedFunction(np.tanh)")

    def summary(self) -> str:
        return f"WrappedFunction({display.function_name(self.func)})"

    def __call__(self, x, ps, st):
        return self.func(x), st


@layer
class FlattenLayer(AbstractLayer):
    """Flatten all non-batch axes into one: (batch, d1, ..., dn) -> (batch, d1 * ... * dn).

    Keywords: `N` (default None: every non-batch axis): flatten only the last `N` axes (Lux's first
    `N` in Julia's order), so (b, c, h, w) with N=2 gives (b, c, h * w).
    Inputs: `x` with more than `N` axes. Returns the reshaped array and the unchanged state.
    """

    N: int | None = None

    def __post_init__(self):
        N = self.N
        if N is not None and (not isinstance(N, (int, np.integer)) or N < 1):
            raise LuxValueError(f"FlattenLayer's N is a number of axes (>= 1) or None, got {N!r}",
                                fix="pass N=None to flatten every non-batch axis, or an int N >= 1")
        self._set_fields(N=None if N is None else int(N))

    def summary(self) -> str:
        # Lux shows the struct with its static type parameter.
        if self.N is None:
            return "FlattenLayer{Nothing}(nothing)"
        return f"FlattenLayer{{Static.StaticInt{{{self.N}}}}}(static({self.N}))"

    def __call__(self, x, ps, st):
        shape = np.shape(x)
        if self.N is None:
            if len(shape) < 1:
                raise LayerInputError(f"{self.summary()} expects an input with a batch axis, got a 0-d value",
                                      fix="give x the shape (batch, ...)")
            return np.reshape(x, (shape[0], math.prod(shape[1:]))), st
        if len(shape) <= self.N:
            raise LayerInputError(f"{self.summary()} flattens the last {self.N} axes and keeps at least one, but got an "
                                  f"input of shape {tuple(shape)}", fix=f"give x more than {self.N} axes or lower N")
        return np.reshape(x, tuple(shape[:-self.N]) + (math.prod(shape[-self.N:]),)), st


@layer
class ReshapeLayer(AbstractLayer):
    """Reshape the non-batch axes: (batch, ...) -> (batch, *dims).

    Arguments: `dims`, the new non-batch shape in our (NumPy) order: Lux's `ReshapeLayer((2, 3))`
    (Julia size (2, 3, batch)) is our `ReshapeLayer((3, 2))` (size (batch, 3, 2)), same memory layout.
    Inputs: `x` of shape (batch, ...) with prod(dims) elements per batch entry.
    Returns (batch, *dims) and the unchanged state.
    """

    dims: tuple

    def __post_init__(self):
        dims = (self.dims,) if isinstance(self.dims, (int, np.integer)) else tuple(self.dims)
        if not all(isinstance(d, (int, np.integer)) and d >= 0 for d in dims):
            raise LuxValueError(f"ReshapeLayer's dims are non-negative integers, got {dims!r}",
                                fix="give the new non-batch shape, e.g. ReshapeLayer((3, 2))")
        self._set_fields(dims=tuple(int(d) for d in dims))

    def summary(self) -> str:
        # Lux prints `(dims..., :)` in Julia's order; ours is reversed, so the batch colon comes first.
        return f"ReshapeLayer(output_dims = ({', '.join([':'] + [str(d) for d in self.dims])}))"

    def __call__(self, x, ps, st):
        shape = np.shape(x)
        if len(shape) < 1 or math.prod(shape[1:]) != math.prod(self.dims):
            raise LayerInputError(f"{self.summary()} needs {math.prod(self.dims)} elements per batch entry, got an input "
                                  f"of shape {tuple(shape)}",
                                  fix=f"give x the shape (batch, ...) with {math.prod(self.dims)} elements after the "
                                      "batch axis")
        return np.reshape(x, (shape[0],) + self.dims), st


@layer
class SelectDim(AbstractLayer):
    """Select position(s) `index` along axis `dim`: `x.take(index, axis=dim)`.

    Arguments: `dim`, a NumPy axis of the input (negative counts from the end; Lux's Julia dim `d` of an
    n-d array is our axis `n - d`); `index`, an int (the axis is dropped) or a sequence of ints (kept),
    0-based as in NumPy.
    Inputs: `x` with axis `dim`. Returns the selection and the unchanged state.
    """

    dim: int
    index: Any

    def __post_init__(self):
        index = self.index
        if isinstance(index, (int, np.integer)):
            index = int(index)
        elif not isinstance(index, range):
            index = tuple(int(i) for i in index)
        self._set_fields(dim=int(self.dim), index=index)

    def summary(self) -> str:
        return f"SelectDim(dim = {self.dim}, index = {self.index})"

    def __call__(self, x, ps, st):
        shape = np.shape(x)
        if not -len(shape) <= self.dim < len(shape):
            raise LayerInputError(f"{self.summary()} selects along axis {self.dim}, but the input has shape "
                                  f"{tuple(shape)}",
                                  fix=f"give x at least {self.dim + 1 if self.dim >= 0 else -self.dim} axes")
        size = shape[self.dim]
        indices = [self.index] if isinstance(self.index, int) else list(self.index)
        if any(not -size <= i < size for i in indices):
            raise LayerInputError(f"{self.summary()}: index out of range for axis {self.dim} of size {size} (input shape "
                                  f"{tuple(shape)})", fix=f"select indices in 0..{size - 1}")
        index = self.index if isinstance(self.index, int) else np.asarray(indices, dtype=np.int64)
        return np.take(x, index, axis=self.dim), st


# -- layers with parameters ----------------------------------------------------------------------

@layer
class Scale(AbstractLayer):
    """Elementwise affine: y = activation(x * weight + bias), weight and bias of shape `dims`.

    Arguments: `dims` (ints or one tuple, our order: the trailing axes of the input), then optionally
    `activation`: `Scale(3)`, `Scale(4, 3)`, `Scale((4, 3), relu)`.
    Keywords: `use_bias`, `init_weight(rng, *dims)` (default glorot_uniform, as Lux), `init_bias(rng, *dims)`
    (default zeros32).
    Inputs: `x` of shape (..., *dims). Returns the same shape and the unchanged state.
    Parameters: `weight` (dims), `bias` (dims).
    """

    dims: tuple
    activation: Callable = activations.identity
    use_bias: bool = True
    init_weight: Callable | None = None
    init_bias: Callable | None = None

    def __init__(self, *dims_and_activation, use_bias: bool = True, init_weight=None, init_bias=None):
        # Lux's `Scale(dims..., activation)`: the arguments are not the fields, so no dataclass __init__.
        dims, activation = _dims_then_activation("Scale", dims_and_activation)
        self._set_fields(dims=dims, activation=activation, use_bias=bool(use_bias), init_weight=init_weight,
                         init_bias=init_bias)

    def initialparameters(self, rng) -> dict:
        weight = (self.init_weight or init.glorot_uniform)(rng, *self.dims)
        if not self.use_bias:
            return {"weight": weight}
        return {"weight": weight, "bias": (self.init_bias or init.zeros32)(rng, *self.dims)}

    def parameterlength(self) -> int:
        return (1 + self.use_bias) * math.prod(self.dims)

    def summary(self) -> str:
        return (f"Scale({self.dims}{display.activation_note(self.activation)}"
                f"{display.flag_notes(use_bias=(self.use_bias, True))})")

    def __call__(self, x, ps, st):
        shape = tuple(np.shape(x))
        if shape[len(shape) - len(self.dims):] != self.dims:
            raise LayerInputError(f"{self.summary()} expects an input whose last axes are {self.dims}, "
                                  f"got shape {shape}",
                                  fix=f"reshape x to (..., {', '.join(map(str, self.dims))})")
        y = x * ps["weight"]
        if self.use_bias:
            y = y + ps["bias"]
        return self.activation(y), st


def _dims_then_activation(name: str, args: tuple) -> tuple[tuple[int, ...], Callable]:
    """Lux's `Scale(dims..., activation)`: ints (or one tuple of ints), then an optional function."""
    activation = activations.identity
    if args and callable(args[-1]):
        args, activation = args[:-1], args[-1]
    if len(args) == 1 and isinstance(args[0], tuple):
        args = args[0]
    if not args or not all(isinstance(d, (int, np.integer)) and d > 0 for d in args):
        raise LuxTypeError(f"{name} takes positive integer dims (or one tuple of them), then an optional activation, "
                           f"got {args!r}",
                           fix=f"{name}(4, 3) or {name}((4, 3), activation)")
    return tuple(int(d) for d in args), activation


@layer
class Bilinear(AbstractLayer):
    """z[..., o] = activation(sum_ij x[..., i] W[j, i, o] y[..., j] + bias[o]) for two inputs x and y.

    Arguments: `in_dims`, an int (both inputs) or a pair `(in1_dims, in2_dims)`; `out_dims`; `activation`.
    `Bilinear((in1, in2), out)` is Lux's `Bilinear((in1, in2) => out)`.
    Keywords: `use_bias`, `init_weight(rng, in2, in1, out)` (default, as Lux: a standard normal draw w, then
    (w - 0.5) * 2 / sqrt(in1)), `init_bias(rng, out)` (default: uniform in +-1/sqrt(in1)).
    Inputs: a pair `(x, y)` with x (..., in1_dims) and y (..., in2_dims) and the same leading axes, or one
    array used as both. Returns (..., out_dims) and the unchanged state.
    Parameters: `weight` (in2_dims, in1_dims, out_dims) (Lux's (out, in1, in2), reversed), `bias` (out_dims,).
    """

    in1_dims: int
    in2_dims: int
    out_dims: int
    activation: Callable = activations.identity
    use_bias: bool = True
    init_weight: Callable | None = None
    init_bias: Callable | None = None

    def __init__(self, in_dims, out_dims: int, activation: Callable = activations.identity, *,
                 use_bias: bool = True, init_weight=None, init_bias=None):
        # One `in_dims` argument (an int or a pair) sets two fields, so no dataclass __init__.
        in1, in2 = (in_dims, in_dims) if isinstance(in_dims, (int, np.integer)) else tuple(in_dims)
        self._set_fields(in1_dims=int(in1), in2_dims=int(in2), out_dims=int(out_dims), activation=activation,
                         use_bias=bool(use_bias), init_weight=init_weight, init_bias=init_bias)

    def initialparameters(self, rng) -> dict:
        if self.init_weight is None:
            # Lux's default, kept as is: a *normal* draw shifted and scaled like a uniform one.
            bound = 1.0 / math.sqrt(self.in1_dims)
            draw = init.randn32(rng, self.in2_dims, self.in1_dims, self.out_dims)
            weight = ((draw - np.float32(0.5)) * np.float32(2 * bound)).astype(np.float32)
        else:
            weight = self.init_weight(rng, self.in2_dims, self.in1_dims, self.out_dims)
        if not self.use_bias:
            return {"weight": weight}
        bias = init.linear_bias(rng, self.in1_dims, self.out_dims) if self.init_bias is None else self.init_bias(rng, self.out_dims)
        return {"weight": weight, "bias": bias}

    def parameterlength(self) -> int:
        return self.out_dims * self.in1_dims * self.in2_dims + self.use_bias * self.out_dims

    def summary(self) -> str:
        return (f"Bilinear(({self.in1_dims}, {self.in2_dims}) => {self.out_dims}"
                f"{display.activation_note(self.activation)}{display.flag_notes(use_bias=(self.use_bias, True))})")

    def __call__(self, xy, ps, st):
        x, y = xy if isinstance(xy, (tuple, list)) and len(xy) == 2 else (xy, xy)
        check_input_features(self, x, self.in1_dims)
        check_input_features(self, y, self.in2_dims)
        if np.shape(x)[:-1] != np.shape(y)[:-1]:
            raise LayerInputError(f"{self.summary()} needs x and y with the same leading axes, got shapes "
                                  f"{tuple(np.shape(x))} and {tuple(np.shape(y))}",
                                  fix="pair each x row with one y row")
        z = np.einsum("...i,jio,...j->...o", x, ps["weight"], y)
        if self.use_bias:
            z = z + ps["bias"]
        return self.activation(z), st


@layer
class Embedding(AbstractLayer):
    """A lookup table: row `i` of `weight` is the embedding of token `i`.

    Arguments: `in_dims` (vocabulary size), `out_dims` (embedding size): Lux's `Embedding(in => out)`.
    Keywords: `init_weight(rng, in_dims, out_dims)` (default rand32: uniform in [0, 1), as Lux).
    Inputs: integer indices of any shape (a Python int too), 0-based. Returns (*x.shape, out_dims)
    and the unchanged state.
    Indices outside 0..in_dims-1 raise LayerInputError when x is a NumPy array (or int). Under
    `tracer.jit` the indices are values and cannot raise: they follow the tracer's indexing (negative
    ones count from the end as in NumPy, too large ones clamp to the last row, as JAX does).
    Parameters: `weight` (in_dims, out_dims) (Lux's (out, in), reversed).
    """

    in_dims: int
    out_dims: int
    _: KW_ONLY
    init_weight: Callable | None = None

    def __post_init__(self):
        if not isinstance(self.in_dims, (int, np.integer)):
            raise LuxTypeError(f"Embedding takes an integer vocabulary size, got {self.in_dims!r} "
                               "(multi-dimensional vocabularies are not supported)",
                               fix="give the vocabulary size as one int and map tokens to ids below it")
        self._set_fields(in_dims=int(self.in_dims), out_dims=int(self.out_dims))

    def initialparameters(self, rng) -> dict:
        return {"weight": (self.init_weight or init.rand32)(rng, self.in_dims, self.out_dims)}

    def parameterlength(self) -> int:
        return self.in_dims * self.out_dims

    def summary(self) -> str:
        return f"Embedding({self.in_dims} => {self.out_dims})"

    def __call__(self, x, ps, st):
        if not isinstance(x, TracedArray):
            x = np.asarray(x)
            self._check_indices(x)
        elif not np.issubdtype(x.dtype, np.integer):
            raise LayerInputError(f"{self.summary()} takes integer indices, got {x.dtype}",
                                  fix="pass token ids as an integer array (x.astype(np.int32))")
        return ps["weight"][x], st

    def _check_indices(self, x: np.ndarray) -> None:
        if not np.issubdtype(x.dtype, np.integer):
            raise LayerInputError(f"{self.summary()} takes integer indices, got {x.dtype}",
                                  fix="pass token ids as an integer array (x.astype(np.int32))")
        if x.size and (x.min() < 0 or x.max() >= self.in_dims):
            bad = x[(x < 0) | (x >= self.in_dims)].ravel()[0]
            raise LayerInputError(f"{self.summary()} got index {bad}, outside the vocabulary 0..{self.in_dims - 1}",
                                  fix="map tokens to ids below the vocabulary size (or enlarge it)")
