"""Recurrent cells (RNNCell, LSTMCell, GRUCell) and the wrappers that run them over sequences
(Recurrence, StatefulRecurrentCell), after Lux's `src/layers/recurrent.jl`.

Layout. Shapes are Julia's reversed: a cell sees `x` of shape (batch, in_dims) (or a vector (in_dims,)),
and its hidden state and memory are (batch, out_dims). The stacked gate weights are Lux's
(gates * out, in) reversed, (in, gates * out), with the gate blocks side by side on the last axis in
Lux's order (LSTM: input, forget, cell, output; GRU: reset, update, new), so one step is
`x @ weight_ih + bias_ih + h @ weight_hh + bias_hh`.

Sequences. Lux's default `BatchLastIndex()` input is (features, time, batch), reversed
(batch, time, features): time is axis 1. `TimeLastIndex()` is Lux's (features, batch, time), reversed
(time, batch, features): time is axis 0. An unbatched sequence is (time, features) for both.

Calling a cell:
    (y, carry), st = cell(x, ps, st)                  # starts from the initial carry
    (y, carry), st = cell((x, carry), ps, st)         # continues: carry is (h,) or, for an LSTM, (h, c)
"""

from __future__ import annotations

import math
from collections.abc import Callable

from dataclasses import KW_ONLY

import numpy as np

import tracer
from lux import activations, display, init
from lux.core import AbstractContainerLayer, AbstractLayer, layer
from lux.errors import LayerInputError, LuxTypeError, LuxValueError, check_input_features

__all__ = ["AbstractRecurrentCell", "BatchLastIndex", "GRUCell", "LSTMCell", "RNNCell", "Recurrence",
           "StatefulRecurrentCell", "TimeLastIndex"]


# -- initialisers ----------------------------------------------------------------------------------

def _rnn_uniform(rng, out_dims: int, dims) -> np.ndarray:
    """Lux's default for recurrent weights and biases: uniform in +-1/sqrt(out_dims) (its docstring;
    its code draws `randn` and rescales it, which is not bounded: we follow the documented law)."""
    bound = 1.0 / math.sqrt(out_dims)
    return init.uniform(rng, -bound, bound, tuple(dims))


def _gate_weights(rng, inits: tuple, out_dims: int, rows: int) -> np.ndarray:
    """One (rows, out_dims) block per gate, drawn in Lux's gate order and put side by side."""
    blocks = [_rnn_uniform(rng, out_dims, (rows, out_dims)) if f is None else f(rng, rows, out_dims) for f in inits]
    return np.concatenate(blocks, axis=-1)


def _gate_biases(rng, inits: tuple, out_dims: int) -> np.ndarray:
    blocks = [_rnn_uniform(rng, out_dims, (out_dims,)) if f is None else f(rng, out_dims) for f in inits]
    return np.concatenate(blocks, axis=-1)


def _per_gate(value, gates: int, what: str) -> tuple:
    """Lux copies a single initialiser into every gate; a tuple must name one per gate."""
    if isinstance(value, (tuple, list)):
        if len(value) != gates:
            raise LuxValueError(f"{what} must be one initialiser or a tuple of {gates} (one per gate), "
                                f"got {len(value)}",
                                fix=f"pass one initialiser for every gate, or a tuple of {gates}")
        return tuple(value)
    return (value,) * gates


def _per_gate_initialisers(cell) -> dict:
    """A gated cell's initialisers, one per gate (Lux copies a single one into every gate)."""
    return {name: _per_gate(getattr(cell, name), cell.GATES, name)
            for name in ("init_weight", "init_recurrent_weight", "init_bias")}


def _describe(inputs) -> str:
    """`a tuple (array (2, 3), tuple of 1)`: the structure of a bad cell input, for error messages."""
    parts = [f"array {tuple(np.shape(v))}" if hasattr(v, "shape") else f"{type(v).__name__} of {len(v)}"
             if isinstance(v, (tuple, list)) else type(v).__name__ for v in inputs]
    return f"a {type(inputs).__name__} ({', '.join(parts)})"


# -- the cells --------------------------------------------------------------------------------------

class AbstractRecurrentCell(AbstractLayer):
    """A cell maps (x, carry) to (y, new carry) for one time step. Subclasses hold `in_dims`,
    `out_dims`, `use_bias`, `train_state`, `init_state`, and define `GATES`, `CARRY` (names of the
    carried arrays), `_trained_carry()` and `_step(x, carry, ps)`.

    The output of a step is its new hidden state, `carry[0]` (Recurrence relies on this), and a
    continued step never changes the layer state (Lux's cells only touch `rng` when they draw an
    initial carry).

    States: `rng`, a Python int seed (Lux keeps an RNG there). It seeds the NumPy generator that
    `init_state` / `init_memory` draw the initial carry from, as Lux replicates its stored RNG on
    every call: each call starts from the same draw. Being a Python number it is static under
    `tracer.jit`, so eager and compiled runs draw the same initial carry (a constant in the program).
    """

    GATES = 1
    CARRY = ("h",)

    def __post_init__(self):
        # Lux: the recurrent weights are drawn like the input weights unless told otherwise.
        recurrent = self.init_weight if self.init_recurrent_weight is None else self.init_recurrent_weight
        self._set_fields(use_bias=bool(self.use_bias), train_state=bool(self.train_state),
                         init_recurrent_weight=recurrent)

    def initialstates(self, rng) -> dict:
        return {"rng": int(rng.integers(2**63))}

    def statelength(self) -> int:
        return 1  # the rng seed: LuxCore counts an RNG as one state

    def parameterlength(self) -> int:
        out, gates = self.out_dims, self.GATES
        return (gates * out * (self.in_dims + out) + 2 * gates * out * self.use_bias
                + out * sum(self._trained_carry()))

    def _recurrent_parameters(self, rng, init_weight, init_recurrent_weight, init_bias) -> dict:
        """weight_ih, weight_hh, bias_ih, bias_hh in Lux's draw order."""
        ps = {"weight_ih": _gate_weights(rng, init_weight, self.out_dims, self.in_dims),
              "weight_hh": _gate_weights(rng, init_recurrent_weight, self.out_dims, self.out_dims)}
        if self.use_bias:
            ps["bias_ih"] = _gate_biases(rng, init_bias, self.out_dims)
            ps["bias_hh"] = _gate_biases(rng, init_bias, self.out_dims)
        return ps

    def _projections(self, x, h, ps):
        """(x @ weight_ih + bias_ih, h @ weight_hh + bias_hh): every gate's pre-activations at once."""
        zx, zh = x @ ps["weight_ih"], h @ ps["weight_hh"]
        if self.use_bias:
            zx, zh = zx + ps["bias_ih"], zh + ps["bias_hh"]
        return zx, zh

    def _split_gates(self, z):
        n = self.out_dims
        return [z[..., i * n:(i + 1) * n] for i in range(self.GATES)]

    # -- the initial carry

    def _trained_carry(self) -> tuple[bool, ...]:
        """For each carried array, whether its initial value is a parameter (train_state / train_memory)."""
        return (self.train_state,)

    def _carry_inits(self) -> tuple[Callable, ...]:
        return (self.init_state,)

    def _carry_parameter_names(self) -> tuple[str, ...]:
        return ("hidden_state",)

    def initial_carry(self, x, ps, st) -> tuple:
        """The carry a sequence starts from, for a batch `x` (batch, in_dims), in x's compute dtype."""
        batch = x.shape[0]
        dtype = np.result_type(x.dtype, ps["weight_ih"].dtype)
        generator = None
        carry = []
        for trained, make, name in zip(self._trained_carry(), self._carry_inits(), self._carry_parameter_names()):
            if trained:  # Lux repeats the trained vector over the batch
                value = np.broadcast_to(ps[name], (batch, self.out_dims))
            else:
                generator = generator or np.random.default_rng(self._seed(st))
                value = make(generator, batch, self.out_dims)
            carry.append(value.astype(dtype))
        return tuple(carry)

    def _seed(self, st):
        if not isinstance(st, dict) or "rng" not in st:
            raise LayerInputError(f"{self.summary()} needs the state {{'rng': seed}} to draw its initial carry, got "
                                  f"{st!r}", fix="build the states with ps, st = lux.setup(rng, model)")
        return st["rng"]

    # -- calling

    def __call__(self, inputs, ps, st):
        x, carry = self._parse(inputs)
        vector = np.ndim(x) == 1
        if vector:  # Lux's fallback for a single sample: run it as a batch of one
            x = np.reshape(x, (1, -1))
            carry = None if carry is None else tuple(np.reshape(c, (1, -1)) for c in carry)
        check_input_features(self, x, self.in_dims)
        if np.ndim(x) != 2:
            raise LayerInputError(f"{self.summary()} expects x of shape (batch, {self.in_dims}) or ({self.in_dims},), "
                                  f"got shape {tuple(np.shape(x))}",
                                  fix=f"run sequences through Recurrence({self.summary()})")
        if carry is None:
            carry = self.initial_carry(x, ps, st)
        else:
            self._check_carry(x, carry)
        y, carry = self._step(x, carry, ps)
        if vector:
            y, carry = np.reshape(y, (-1,)), tuple(np.reshape(c, (-1,)) for c in carry)
        return (y, carry), st

    def _parse(self, inputs):
        """x alone, or (x, carry) with carry a tuple of len(CARRY) arrays."""
        if not isinstance(inputs, (tuple, list)):
            return inputs, None
        carry_form = f"({', '.join(self.CARRY)}{',' if len(self.CARRY) == 1 else ''})"
        if len(inputs) != 2 or not isinstance(inputs[1], (tuple, list)) or len(inputs[1]) != len(self.CARRY):
            raise LayerInputError(f"{self.summary()} takes x or (x, {carry_form}), got {_describe(inputs)}",
                                  fix="pass (x, carry) with the carry the previous step returned")
        return inputs[0], tuple(inputs[1])

    def _check_carry(self, x, carry) -> None:
        expected = (np.shape(x)[0], self.out_dims)
        for name, value in zip(self.CARRY, carry):
            if tuple(np.shape(value)) != expected:
                raise LayerInputError(f"{self.summary()} expects its carried {name} of shape {expected} for x of shape "
                                      f"{tuple(np.shape(x))}, got {tuple(np.shape(value))}",
                                      fix="pass the carry the previous step returned")

    def _step(self, x, carry, ps):
        raise NotImplementedError


@layer
class RNNCell(AbstractRecurrentCell):
    """An Elman RNN cell: h_new = activation(x @ weight_ih + bias_ih + h @ weight_hh + bias_hh).

    Arguments: `in_dims`, `out_dims`, `activation` (default tanh).
    Keywords: `use_bias` (True), `train_state` (False: the initial hidden state is a parameter),
    `init_bias`, `init_weight`, `init_recurrent_weight` (default `init_weight`) as `init(rng, *dims)`;
    None (the default) draws uniform in +-1/sqrt(out_dims). `init_state(rng, *dims)` (zeros32).
    Inputs: `x` (batch, in_dims) or (in_dims,), starting from the initial hidden state; or
    `(x, (h,))` with h (batch, out_dims) to continue.
    Returns: `((h_new, (h_new,)), st)`.
    Parameters: `weight_ih` (in, out), `weight_hh` (out, out), `bias_ih` and `bias_hh` (out,) when
    use_bias, `hidden_state` (out,) when train_state. States: `rng` (a seed for init_state).
    """

    in_dims: int
    out_dims: int
    activation: Callable = activations.tanh
    _: KW_ONLY
    use_bias: bool = True
    train_state: bool = False
    init_bias: Callable | None = None
    init_weight: Callable | None = None
    init_recurrent_weight: Callable | None = None
    init_state: Callable = init.zeros32

    def initialparameters(self, rng) -> dict:
        ps = self._recurrent_parameters(rng, (self.init_weight,), (self.init_recurrent_weight,), (self.init_bias,))
        if self.train_state:
            ps["hidden_state"] = self.init_state(rng, self.out_dims)
        return ps

    def summary(self) -> str:
        return (f"RNNCell({self.in_dims} => {self.out_dims}{display.activation_note(self.activation)}"
                f"{display.flag_notes(use_bias=(self.use_bias, True), train_state=(self.train_state, False))})")

    def _step(self, x, carry, ps):
        (h,) = carry
        zx, zh = self._projections(x, h, ps)
        h_new = self.activation(zx + zh)
        return h_new, (h_new,)


@layer
class LSTMCell(AbstractRecurrentCell):
    """A long short-term memory cell, gates in Lux's order (input, forget, cell, output):

        i, f, g, o = split(x @ weight_ih + bias_ih + h @ weight_hh + bias_hh)
        c_new = sigmoid(f) * c + sigmoid(i) * tanh(g);   h_new = sigmoid(o) * tanh(c_new)

    Arguments: `in_dims`, `out_dims`.
    Keywords: `use_bias` (True), `train_state`, `train_memory` (False: the initial hidden state /
    memory are parameters), `init_weight`, `init_recurrent_weight`, `init_bias`: one initialiser or a
    tuple of 4 (one per gate), None drawing uniform in +-1/sqrt(out_dims); `init_state`,
    `init_memory` (zeros32).
    Inputs: `x` (batch, in_dims) or (in_dims,); or `(x, (h, c))` to continue.
    Returns: `((h_new, (h_new, c_new)), st)`.
    Parameters: `weight_ih` (in, 4 out), `weight_hh` (out, 4 out), `bias_ih`, `bias_hh` (4 out,) when
    use_bias, `hidden_state` (out,) when train_state, `memory` (out,) when train_memory.
    States: `rng`.
    """

    GATES = 4
    CARRY = ("h", "c")

    in_dims: int
    out_dims: int
    _: KW_ONLY
    use_bias: bool = True
    train_state: bool = False
    train_memory: bool = False
    init_weight: Callable | tuple | None = None
    init_recurrent_weight: Callable | tuple | None = None
    init_bias: Callable | tuple | None = None
    init_state: Callable = init.zeros32
    init_memory: Callable = init.zeros32

    def __post_init__(self):
        super().__post_init__()
        self._set_fields(train_memory=bool(self.train_memory), **_per_gate_initialisers(self))

    def initialparameters(self, rng) -> dict:
        ps = self._recurrent_parameters(rng, self.init_weight, self.init_recurrent_weight, self.init_bias)
        if self.train_state:
            ps["hidden_state"] = self.init_state(rng, self.out_dims)
        if self.train_memory:
            ps["memory"] = self.init_memory(rng, self.out_dims)
        return ps

    def _trained_carry(self):
        return (self.train_state, self.train_memory)

    def _carry_inits(self):
        return (self.init_state, self.init_memory)

    def _carry_parameter_names(self):
        return ("hidden_state", "memory")

    def summary(self) -> str:
        flags = display.flag_notes(use_bias=(self.use_bias, True), train_state=(self.train_state, False),
                                   train_memory=(self.train_memory, False))
        return f"LSTMCell({self.in_dims} => {self.out_dims}{flags})"

    def _step(self, x, carry, ps):
        h, c = carry
        zx, zh = self._projections(x, h, ps)
        i, f, g, o = self._split_gates(zx + zh)
        c_new = activations.sigmoid(f) * c + activations.sigmoid(i) * np.tanh(g)
        h_new = activations.sigmoid(o) * np.tanh(c_new)
        return h_new, (h_new, c_new)


@layer
class GRUCell(AbstractRecurrentCell):
    """A gated recurrent unit, gates in Lux's order (reset, update, new):

        r = sigmoid(x W_ir + b_ir + h W_hr + b_hr);   z = sigmoid(x W_iz + b_iz + h W_hz + b_hz)
        n = tanh(x W_in + b_in + r * (h W_hn + b_hn));   h_new = (1 - z) * n + z * h

    Arguments: `in_dims`, `out_dims`.
    Keywords: `use_bias` (True), `train_state` (False), `init_weight`, `init_recurrent_weight`,
    `init_bias`: one initialiser or a tuple of 3. Lux's code defaults differ from its RNN and LSTM
    cells here, and we follow them: weights glorot_uniform, biases zeros32 (None draws uniform in
    +-1/sqrt(out_dims) as for the other cells). `init_state` (zeros32).
    Inputs: `x` (batch, in_dims) or (in_dims,); or `(x, (h,))` to continue.
    Returns: `((h_new, (h_new,)), st)`.
    Parameters: `weight_ih` (in, 3 out), `weight_hh` (out, 3 out), `bias_ih`, `bias_hh` (3 out,) when
    use_bias, `hidden_state` (out,) when train_state. States: `rng`.
    """

    GATES = 3

    in_dims: int
    out_dims: int
    _: KW_ONLY
    use_bias: bool = True
    train_state: bool = False
    init_weight: Callable | tuple = init.glorot_uniform
    init_recurrent_weight: Callable | tuple | None = None
    init_bias: Callable | tuple = init.zeros32
    init_state: Callable = init.zeros32

    def __post_init__(self):
        super().__post_init__()
        self._set_fields(**_per_gate_initialisers(self))

    def initialparameters(self, rng) -> dict:
        ps = self._recurrent_parameters(rng, self.init_weight, self.init_recurrent_weight, self.init_bias)
        if self.train_state:
            ps["hidden_state"] = self.init_state(rng, self.out_dims)
        return ps

    def summary(self) -> str:
        flags = display.flag_notes(use_bias=(self.use_bias, True), train_state=(self.train_state, False))
        return f"GRUCell({self.in_dims} => {self.out_dims}{flags})"

    def _step(self, x, carry, ps):
        (h,) = carry
        zx, zh = self._projections(x, h, ps)
        (x_r, x_z, x_n), (h_r, h_z, h_n) = self._split_gates(zx), self._split_gates(zh)
        r, z = activations.sigmoid(x_r + h_r), activations.sigmoid(x_z + h_z)
        n = np.tanh(x_n + r * h_n)
        h_new = (1 - z) * n + z * h
        return h_new, (h_new,)


# -- sequence orderings ------------------------------------------------------------------------------

@layer
class BatchLastIndex:
    """Lux's default sequence layout (features, time, batch), reversed here: (batch, time, features)."""

    def time_axis(self, ndim: int) -> int:
        return 1 if ndim == 3 else 0

    def __repr__(self) -> str:
        return "BatchLastIndex()"


@layer
class TimeLastIndex:
    """Lux's (features, batch, time), reversed here: (time, batch, features)."""

    def time_axis(self, ndim: int) -> int:
        return 0

    def __repr__(self) -> str:
        return "TimeLastIndex()"


DEFAULT_ORDERING = BatchLastIndex()


# -- wrappers ------------------------------------------------------------------------------------------

def _check_cell(cell, wrapper: str) -> None:
    if not isinstance(cell, AbstractRecurrentCell):
        raise LuxTypeError(f"{wrapper} wraps a recurrent cell (RNNCell, LSTMCell, GRUCell), got "
                           f"{type(cell).__name__}", fix=f"{wrapper}(LSTMCell(in_dims, out_dims))")


class _CellWrapper(AbstractContainerLayer):
    """Lux's AbstractLuxWrapperLayer{:cell}: displayed with a `cell = ...` child, but its parameters
    are the cell's own (not nested under 'cell')."""

    def children(self) -> dict:
        return {"cell": self.cell}

    def initialparameters(self, rng) -> dict:
        return self.cell.initialparameters(rng)

    def _cell_error(self, err: LayerInputError) -> LayerInputError:
        return err.inside("cell")


@layer
class Recurrence(_CellWrapper):
    """Run a recurrent cell over a whole sequence (Lux's Recurrence; not stateful across calls).

    Arguments: `cell` (RNNCell, LSTMCell or GRUCell).
    Keywords: `ordering`: `BatchLastIndex()` (default; x is (batch, time, features)) or
    `TimeLastIndex()` (x is (time, batch, features)); `return_sequence` (False).
    Inputs: an array, sliced along its time axis (a 2-d array is one unbatched sequence
    (time, features)), or a tuple/list of per-step inputs, fed to the cell in order.
    Returns: the last step's output (batch, out_dims), or with `return_sequence` every step's output
    as a list (a tuple for tuple input), as Lux returns a vector of outputs; `np.stack(ys, axis=1)`
    gives Lux's `stack(ys; dims=2)` layout (batch, time, out). And the cell's state.
    Parameters: the cell's. States: the cell's.
    """

    cell: AbstractRecurrentCell
    _: KW_ONLY
    ordering: BatchLastIndex | TimeLastIndex = DEFAULT_ORDERING
    return_sequence: bool = False

    def __post_init__(self):
        _check_cell(self.cell, "Recurrence")
        if not isinstance(self.ordering, (BatchLastIndex, TimeLastIndex)):
            raise LuxTypeError(f"Recurrence's ordering must be lux.BatchLastIndex() or lux.TimeLastIndex(), "
                               f"got {self.ordering!r}",
                               fix="pass ordering=lux.BatchLastIndex() for (batch, time, features), "
                                   "or lux.TimeLastIndex() for (time, batch, features)")
        self._set_fields(return_sequence=bool(self.return_sequence))

    def initialstates(self, rng) -> dict:
        return self.cell.initialstates(rng)

    def __call__(self, x, ps, st):
        try:
            if isinstance(x, (tuple, list)):
                return self._run_steps(x, ps, st)
            return self._run_array(x, ps, st)
        except LayerInputError as err:
            raise self._cell_error(err) from None

    def _run_steps(self, xs, ps, st):
        """A tuple or list of steps: a Python loop, as Lux folds over them."""
        if not xs:
            raise LayerInputError("Recurrence got an empty sequence", fix="give it at least one time step")
        (y, carry), st = self.cell(xs[0], ps, st)
        ys = [y]
        for x in xs[1:]:
            (y, carry), st = self.cell((x, carry), ps, st)
            ys.append(y)
        if not self.return_sequence:
            return y, st
        return (tuple(ys) if isinstance(xs, tuple) else ys), st

    def _run_array(self, x, ps, st):
        """An array: the time steps run in one `tracer.scan`.

        Why scan and not a Python loop: a Python loop over the (static) time axis would trace as T
        copies of the cell, so compile time and program size grow with the sequence length; scan
        compiles to one `stablehlo.while` whatever T is, and outside jit it runs as the same Python
        loop on NumPy arrays. The carry's dtype is fixed up front (initial_carry casts it to the
        step's dtype), as a traced loop needs. The cell's state does not change in continued steps,
        so it stays outside the loop.
        """
        ndim = np.ndim(x)
        if ndim not in (2, 3):
            layout = "(batch, time, features)" if isinstance(self.ordering, BatchLastIndex) else "(time, batch, features)"
            raise LayerInputError(f"Recurrence expects a sequence {layout} or an unbatched (time, features), got "
                                  f"shape {tuple(np.shape(x))}", fix="reshape x, or pass a list of per-step inputs")
        steps = np.moveaxis(x, self.ordering.time_axis(ndim), 0)  # (time, [batch,] features)
        if steps.shape[0] == 0:
            raise LayerInputError("Recurrence got a sequence with 0 time steps", fix="give it at least one time step")
        unbatched = ndim == 2
        if unbatched:
            steps = steps[:, None, :]
        check_input_features(self.cell, steps, self.cell.in_dims)
        carry = self.cell.initial_carry(steps[0], ps, st)

        def step(carry, x_t):
            y, carry = self.cell._step(x_t, carry, ps)
            return carry, (y if self.return_sequence else None)

        carry, ys = tracer.scan(step, carry, steps)
        if not self.return_sequence:
            y = carry[0]  # a step's output is its new hidden state
            return (y[0] if unbatched else y), st
        return [ys[t, 0] if unbatched else ys[t] for t in range(ys.shape[0])], st


@layer
class StatefulRecurrentCell(_CellWrapper):
    """A recurrent cell that keeps its carry in the layer state between calls (Lux's
    StatefulRecurrentCell, like Flux.Recur).

    Arguments: `cell` (RNNCell, LSTMCell or GRUCell).
    Inputs: one step's `x`, as for the cell. The first call (carry None) starts from the cell's
    initial carry; later calls continue from the stored one. Reset it between sequences with
    `lux.update_state(st, "carry", None)`.
    Returns: the cell's output and the state `{'cell': the cell's state, 'carry': the new carry}`.
    Parameters: the cell's.
    """

    cell: AbstractRecurrentCell

    def __post_init__(self):
        _check_cell(self.cell, "StatefulRecurrentCell")

    def initialstates(self, rng) -> dict:
        return {"cell": self.cell.initialstates(rng), "carry": None}

    def __call__(self, x, ps, st):
        if not isinstance(st, dict) or "cell" not in st or "carry" not in st:
            raise LayerInputError(f"StatefulRecurrentCell needs the state {{'cell': ..., 'carry': ...}}, got {st!r}",
                                  fix="build the states with ps, st = lux.setup(rng, model)")
        inputs = x if st["carry"] is None else (x, st["carry"])
        try:
            (y, carry), cell_st = self.cell(inputs, ps, st["cell"])
        except LayerInputError as err:
            raise self._cell_error(err) from None
        return y, {"cell": cell_st, "carry": carry}
