"""lux recurrent layers: RNNCell, LSTMCell, GRUCell, Recurrence, StatefulRecurrentCell.

Displays and parameter counts follow Lux's `show` and its parameter layout (weight_ih (in, gates*out),
weight_hh (out, gates*out), bias_ih and bias_hh (gates*out,), gate blocks in Lux's order). Values are
checked against the gate equations written out here in NumPy, one gate at a time, and compiled runs
against eager ones.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import lux
import tracer
from lux.layers.basic import WrappedFunction

RNG = np.random.default_rng(1234)


def randn(*shape, dtype=np.float32):
    return RNG.standard_normal(shape).astype(dtype)


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def gate(w, i, out):
    """Gate i's block of a stacked weight or bias (gates side by side on the last axis)."""
    return w[..., i * out:(i + 1) * out]


def line(text: str, note: str) -> str:
    """A display line: the count note at column 50, or two spaces after a longer text (lux.display)."""
    return f"{text.ljust(49)} # {note}" if len(text) < 49 else f"{text}  # {note}"


# -- references written from the gate equations ----------------------------------------------------

def rnn_reference(x, h, ps, activation=np.tanh):
    return activation(x @ ps["weight_ih"] + ps["bias_ih"] + h @ ps["weight_hh"] + ps["bias_hh"])


def lstm_reference(x, h, c, ps, out):
    def pre(i):  # W_i* x + b_i* + W_h* h + b_h* for gate i
        return (x @ gate(ps["weight_ih"], i, out) + gate(ps["bias_ih"], i, out)
                + h @ gate(ps["weight_hh"], i, out) + gate(ps["bias_hh"], i, out))

    input_gate, forget_gate, cell_gate, output_gate = sigmoid(pre(0)), sigmoid(pre(1)), np.tanh(pre(2)), sigmoid(pre(3))
    c_new = forget_gate * c + input_gate * cell_gate
    return output_gate * np.tanh(c_new), c_new


def gru_reference(x, h, ps, out):
    def part(w, b, i, v):
        return v @ gate(ps[w], i, out) + gate(ps[b], i, out)

    r = sigmoid(part("weight_ih", "bias_ih", 0, x) + part("weight_hh", "bias_hh", 0, h))
    z = sigmoid(part("weight_ih", "bias_ih", 1, x) + part("weight_hh", "bias_hh", 1, h))
    n = np.tanh(part("weight_ih", "bias_ih", 2, x) + r * part("weight_hh", "bias_hh", 2, h))
    return (1 - z) * n + z * h


def close(actual, expected, rtol=1e-5, atol=1e-6):
    np.testing.assert_allclose(np.asarray(actual), expected, rtol=rtol, atol=atol)


# -- displays and counts ------------------------------------------------------------------------------

@pytest.mark.parametrize("cell, text, parameters", [
    (lux.RNNCell(3, 5), "RNNCell(3 => 5, tanh)", 3 * 5 + 5 * 5 + 2 * 5),
    (lux.RNNCell(3, 5, lux.relu, use_bias=False, train_state=True), "RNNCell(3 => 5, relu, use_bias=false, train_state=true)",
     3 * 5 + 5 * 5 + 5),
    (lux.RNNCell(3, 5, lux.identity), "RNNCell(3 => 5)", 3 * 5 + 5 * 5 + 2 * 5),
    (lux.LSTMCell(3, 5), "LSTMCell(3 => 5)", 4 * 5 * (3 + 5) + 2 * 4 * 5),
    (lux.LSTMCell(3, 5, use_bias=False, train_state=True, train_memory=True),
     "LSTMCell(3 => 5, use_bias=false, train_state=true, train_memory=true)", 4 * 5 * (3 + 5) + 5 + 5),
    (lux.GRUCell(3, 5), "GRUCell(3 => 5)", 3 * 5 * (3 + 5) + 2 * 3 * 5),
    (lux.GRUCell(3, 5, use_bias=False, train_state=True), "GRUCell(3 => 5, use_bias=false, train_state=true)",
     3 * 5 * (3 + 5) + 5),
])
def test_cells_print_like_lux_and_count_lux_parameters(cell, text, parameters):
    assert cell.summary() == text
    assert repr(cell) == line(text, f"{parameters} parameters, plus 1 states")
    ps, st = lux.setup(np.random.default_rng(0), cell)
    assert cell.parameterlength() == parameters == lux.parameterlength(ps)
    assert cell.statelength() == 1 == lux.statelength(st)  # the rng seed, one state as LuxCore counts an RNG
    assert isinstance(st["rng"], int)


def test_wrappers_print_the_cell_as_a_child_and_share_its_parameters():
    cell = lux.LSTMCell(3, 5)
    expected = "\n".join([
        "Recurrence(",
        line("    cell = LSTMCell(3 => 5),", "200 parameters, plus 1 states"),
        ")         # Total: 200 parameters,",
        "          #        plus 1 states.",
    ])
    assert repr(lux.Recurrence(cell)) == expected
    assert repr(lux.StatefulRecurrentCell(cell)) == expected.replace("Recurrence(", "StatefulRecurrentCell(")
    # Lux's wrapper layers do not nest the cell's trees under 'cell' (except the stateful carry)
    ps, st = lux.setup(np.random.default_rng(0), lux.Recurrence(cell))
    assert sorted(ps) == ["bias_hh", "bias_ih", "weight_hh", "weight_ih"] and sorted(st) == ["rng"]
    ps2, st2 = lux.setup(np.random.default_rng(0), lux.StatefulRecurrentCell(cell))
    assert sorted(ps2) == sorted(ps) and st2 == {"cell": {"rng": st["rng"]}, "carry": None}
    np.testing.assert_array_equal(ps["weight_ih"], ps2["weight_ih"])
    chain = lux.Chain(lux.Recurrence(lux.RNNCell(2, 3)), lux.Dense(3, 1))
    assert repr(chain).splitlines()[:3] == ["Chain(", "    layer_1 = Recurrence(",
                                            line("        cell = RNNCell(2 => 3, tanh),", "21 parameters, plus 1 states")]


# -- parameters and initialisers ----------------------------------------------------------------------

def test_parameter_shapes_are_luxs_reversed():
    shapes = {name: {k: v.shape for k, v in lux.setup(np.random.default_rng(0), cell)[0].items()}
              for name, cell in (("rnn", lux.RNNCell(3, 5, train_state=True)),
                                 ("lstm", lux.LSTMCell(3, 5, train_state=True, train_memory=True)),
                                 ("gru", lux.GRUCell(3, 5)))}
    assert shapes["rnn"] == {"weight_ih": (3, 5), "weight_hh": (5, 5), "bias_ih": (5,), "bias_hh": (5,),
                             "hidden_state": (5,)}
    assert shapes["lstm"] == {"weight_ih": (3, 20), "weight_hh": (5, 20), "bias_ih": (20,), "bias_hh": (20,),
                              "hidden_state": (5,), "memory": (5,)}
    assert shapes["gru"] == {"weight_ih": (3, 15), "weight_hh": (5, 15), "bias_ih": (15,), "bias_hh": (15,)}


@pytest.mark.parametrize("cell", [lux.RNNCell(4, 16), lux.LSTMCell(4, 16)])
def test_default_init_is_uniform_within_one_over_sqrt_out(cell):
    ps, _ = lux.setup(np.random.default_rng(0), cell)
    bound = 1 / math.sqrt(16)
    for name, value in ps.items():
        assert value.dtype == np.float32
        assert np.abs(value).max() <= bound and np.abs(value).max() > 0.9 * bound, name
        assert abs(value.mean()) < 0.3 * bound, name  # centred, not shifted like (randn - 0.5)


def test_gru_default_init_is_luxs_glorot_weights_and_zero_biases():
    ps, _ = lux.setup(np.random.default_rng(0), lux.GRUCell(4, 16))
    np.testing.assert_array_equal(ps["bias_ih"], np.zeros(48, np.float32))
    np.testing.assert_array_equal(ps["bias_hh"], np.zeros(48, np.float32))
    for name, fan_in in (("weight_ih", 4), ("weight_hh", 16)):  # each gate block (fan_in, 16) drawn on its own
        bound = math.sqrt(6 / (fan_in + 16))
        assert np.abs(ps[name]).max() <= bound and np.abs(ps[name]).max() > 0.8 * bound


def test_per_gate_initialisers_fill_their_blocks_in_luxs_gate_order():
    zeros, ones = lux.init.zeros32, lux.init.ones32
    cell = lux.LSTMCell(2, 3, init_bias=(zeros, ones, zeros, zeros), init_weight=ones,
                        init_recurrent_weight=(zeros, zeros, zeros, ones))
    ps, _ = lux.setup(np.random.default_rng(0), cell)
    np.testing.assert_array_equal(ps["bias_ih"], np.repeat([0, 1, 0, 0], 3).astype(np.float32))  # forget gate
    np.testing.assert_array_equal(ps["weight_ih"], np.ones((2, 12), np.float32))
    np.testing.assert_array_equal(ps["weight_hh"][:, :9], 0)
    np.testing.assert_array_equal(ps["weight_hh"][:, 9:], 1)  # output gate
    with pytest.raises(ValueError, match="tuple of 4"):
        lux.LSTMCell(2, 3, init_bias=(zeros, ones))
    with pytest.raises(ValueError, match="tuple of 3"):
        lux.GRUCell(2, 3, init_weight=(ones,) * 4)


def test_setup_is_reproducible():
    a, sa = lux.setup(np.random.default_rng(5), lux.LSTMCell(3, 4))
    b, sb = lux.setup(np.random.default_rng(5), lux.LSTMCell(3, 4))
    np.testing.assert_array_equal(a["weight_hh"], b["weight_hh"])
    assert sa == sb


# -- one step: values against the gate equations ----------------------------------------------------

def test_rnn_step_matches_the_equation_from_zero_and_from_a_given_state():
    cell = lux.RNNCell(3, 4)
    ps, st = lux.setup(np.random.default_rng(0), cell)
    x, h = randn(2, 3), randn(2, 4)
    (y, carry), st_out = cell(x, ps, st)
    close(y, rnn_reference(x, np.zeros((2, 4), np.float32), ps))
    assert isinstance(carry, tuple) and len(carry) == 1 and carry[0] is y and st_out == st
    (y, (h_new,)), _ = cell((x, (h,)), ps, st)
    close(y, rnn_reference(x, h, ps))
    close(h_new, y)
    relu_cell = lux.RNNCell(3, 4, lux.relu, use_bias=False)
    ps_relu, _ = lux.setup(np.random.default_rng(0), relu_cell)
    (y, _), _ = relu_cell((x, (h,)), ps_relu, st)
    close(y, np.maximum(x @ ps_relu["weight_ih"] + h @ ps_relu["weight_hh"], 0))


def test_lstm_step_matches_the_gate_equations():
    cell = lux.LSTMCell(3, 4)
    ps, st = lux.setup(np.random.default_rng(0), cell)
    ps = {k: v + 0.1 * randn(*v.shape) for k, v in ps.items()}  # nonzero biases in every block
    x, h, c = randn(2, 3), randn(2, 4), randn(2, 4)
    (y, (h_new, c_new)), _ = cell((x, (h, c)), ps, st)
    h_ref, c_ref = lstm_reference(x, h, c, ps, 4)
    close(y, h_ref)
    close(h_new, h_ref)
    close(c_new, c_ref)
    (y, (h0, c0)), _ = cell(x, ps, st)  # from the zero initial state
    zero = np.zeros((2, 4), np.float32)
    h_ref, c_ref = lstm_reference(x, zero, zero, ps, 4)
    close(y, h_ref)
    close(h0, h_ref)
    close(c0, c_ref)


def test_gru_step_matches_the_gate_equations():
    cell = lux.GRUCell(3, 4, init_bias=lux.init.ones32)
    ps, st = lux.setup(np.random.default_rng(0), cell)
    ps = {k: v + 0.1 * randn(*v.shape) for k, v in ps.items()}
    x, h = randn(2, 3), randn(2, 4)
    (y, (h_new,)), _ = cell((x, (h,)), ps, st)
    close(y, gru_reference(x, h, ps, 4))
    close(h_new, y)


def test_trained_initial_state_and_memory_are_repeated_over_the_batch():
    cell = lux.LSTMCell(3, 4, train_state=True, train_memory=True)
    ps, st = lux.setup(np.random.default_rng(0), cell)
    ps["hidden_state"], ps["memory"] = randn(4), randn(4)
    x = randn(3, 3)
    (y, (h, c)), _ = cell(x, ps, st)
    h_ref, c_ref = lstm_reference(x, np.tile(ps["hidden_state"], (3, 1)), np.tile(ps["memory"], (3, 1)), ps, 4)
    close(y, h_ref)
    close(c, c_ref)
    only_memory = lux.LSTMCell(3, 4, train_memory=True, init_state=lux.init.ones32)
    ps2, st2 = lux.setup(np.random.default_rng(0), only_memory)
    ps2["memory"] = randn(4)
    (y, (h, c)), _ = only_memory(x, ps2, st2)
    h_ref, c_ref = lstm_reference(x, np.ones((3, 4), np.float32), np.tile(ps2["memory"], (3, 1)), ps2, 4)
    close(y, h_ref)
    close(h, h_ref)
    close(c, c_ref)


def test_random_initial_state_comes_from_the_state_seed_and_is_the_same_every_call():
    def normal_init(rng, *dims):
        return rng.standard_normal(dims).astype(np.float32)

    cell = lux.RNNCell(3, 4, lux.identity, use_bias=False, init_state=normal_init)
    ps, st = lux.setup(np.random.default_rng(0), cell)
    ps["weight_ih"] = np.zeros_like(ps["weight_ih"])
    ps["weight_hh"] = np.eye(4, dtype=np.float32)  # y = h0: the drawn initial state itself
    x = randn(2, 3)
    (y1, _), st1 = cell(x, ps, st)
    (y2, _), _ = cell(x, ps, st1)
    expected = normal_init(np.random.default_rng(st["rng"]), 2, 4)
    close(y1, expected, rtol=0, atol=0)
    close(y2, expected, rtol=0, atol=0)
    (y_other, _), _ = cell(x, ps, {"rng": st["rng"] + 1})
    assert not np.allclose(y_other, y1)
    (y_compiled, _), st_compiled = tracer.jit(lux.apply)(cell, x, ps, st)
    close(y_compiled, expected)
    assert st_compiled == st


def test_a_vector_input_runs_as_one_sample():
    cell = lux.GRUCell(3, 4)
    ps, st = lux.setup(np.random.default_rng(0), cell)
    x, h = randn(3), randn(4)
    (y, (h_new,)), _ = cell((x, (h,)), ps, st)
    assert y.shape == (4,) and h_new.shape == (4,)
    close(y, gru_reference(x[None], h[None], ps, 4)[0])
    (y, (h_new,)), _ = cell(x, ps, st)
    assert y.shape == (4,)


@pytest.mark.parametrize("cell", [lux.RNNCell(3, 4), lux.LSTMCell(3, 4), lux.GRUCell(3, 4, train_state=True)])
def test_compiled_step_matches_eager(cell):
    ps, st = lux.setup(np.random.default_rng(0), cell)
    x = randn(2, 3)
    carry = tuple(randn(2, 4) for _ in cell.CARRY)
    run = tracer.jit(lux.apply)
    for inputs in (x, (x, carry)):
        (y, c), st_out = cell(inputs, ps, st)
        (y_c, c_c), st_c = run(cell, inputs, ps, st)
        close(y_c, y)
        for a, b in zip(c_c, c):
            close(a, b)
        assert st_c == st_out == st


# -- Recurrence --------------------------------------------------------------------------------------

def step_by_hand(cell, steps, ps, st):
    """Every output of the cell run over `steps` (a list of per-step inputs), as Lux's Recurrence does."""
    (y, carry), st = cell(steps[0], ps, st)
    ys = [y]
    for x in steps[1:]:
        (y, carry), st = cell((x, carry), ps, st)
        ys.append(y)
    return ys


@pytest.mark.parametrize("cell", [lux.RNNCell(3, 4), lux.LSTMCell(3, 4), lux.GRUCell(3, 4)])
def test_recurrence_equals_stepping_the_cell_by_hand(cell):
    ps, st = lux.setup(np.random.default_rng(0), cell)
    x = randn(2, 5, 3)  # (batch, time, features): Lux's BatchLastIndex (features, time, batch) reversed
    expected = step_by_hand(cell, [x[:, t] for t in range(5)], ps, st)
    y, st_out = lux.Recurrence(cell)(x, ps, st)
    close(y, expected[-1])
    assert st_out == st
    ys, _ = lux.Recurrence(cell, return_sequence=True)(x, ps, st)
    assert isinstance(ys, list) and len(ys) == 5
    for actual, want in zip(ys, expected):
        close(actual, want)


def test_recurrence_of_an_lstm_matches_the_written_out_equations():
    cell = lux.LSTMCell(3, 4)
    ps, st = lux.setup(np.random.default_rng(2), cell)
    x = randn(2, 6, 3)
    h = c = np.zeros((2, 4), np.float32)
    for t in range(6):
        h, c = lstm_reference(x[:, t], h, c, ps, 4)
    y, _ = lux.Recurrence(cell)(x, ps, st)
    close(y, h)


def test_recurrence_orderings_and_unbatched_sequences():
    cell = lux.RNNCell(3, 4)
    ps, st = lux.setup(np.random.default_rng(0), cell)
    x = randn(2, 5, 3)
    expected = step_by_hand(cell, [x[:, t] for t in range(5)], ps, st)
    time_major = np.ascontiguousarray(np.swapaxes(x, 0, 1))  # (time, batch, features)
    ys, _ = lux.Recurrence(cell, ordering=lux.TimeLastIndex(), return_sequence=True)(time_major, ps, st)
    for actual, want in zip(ys, expected):
        close(actual, want)
    one = x[1]  # (time, features): one unbatched sequence, for either ordering
    for ordering in (lux.BatchLastIndex(), lux.TimeLastIndex()):
        y, _ = lux.Recurrence(cell, ordering=ordering)(one, ps, st)
        assert y.shape == (4,)
        close(y, expected[-1][1])


def test_recurrence_over_a_tuple_or_list_of_steps():
    cell = lux.LSTMCell(3, 4)
    ps, st = lux.setup(np.random.default_rng(0), cell)
    steps = [randn(2, 3) for _ in range(4)]
    expected = step_by_hand(cell, steps, ps, st)
    ys, _ = lux.Recurrence(cell, return_sequence=True)(tuple(steps), ps, st)
    assert isinstance(ys, tuple) and len(ys) == 4
    ys_list, _ = lux.Recurrence(cell, return_sequence=True)(steps, ps, st)
    assert isinstance(ys_list, list)
    y, _ = lux.Recurrence(cell)(steps, ps, st)
    close(y, expected[-1])
    for a, b, want in zip(ys, ys_list, expected):
        close(a, want)
        close(b, want)


@pytest.mark.parametrize("return_sequence", [False, True])
def test_recurrence_compiled_matches_eager_and_runs_as_one_loop(return_sequence):
    model = lux.Chain(lux.Recurrence(lux.GRUCell(3, 4), return_sequence=return_sequence))
    ps, st = lux.setup(np.random.default_rng(0), model)
    x = randn(2, 7, 3)
    y, st_out = model(x, ps, st)
    run = tracer.jit(lux.apply)
    y_c, st_c = run(model, x, ps, st)
    if return_sequence:
        assert len(y_c) == 7
        for a, b in zip(y_c, y):
            close(a, b)
    else:
        close(y_c, y)
    assert st_c == st_out == st
    text = str(run.lower(model, x, ps, st))
    assert text.count("stablehlo.while") == 1  # one loop, not 7 unrolled copies of the cell


def test_recurrence_of_float64_input_compiles_with_a_float64_carry():
    cell = lux.LSTMCell(3, 4)
    ps, st = lux.setup(np.random.default_rng(0), cell)
    x = randn(2, 3, 3, dtype=np.float64)
    y, _ = lux.Recurrence(cell)(x, ps, st)
    y_c, _ = tracer.jit(lux.apply)(lux.Recurrence(cell), x, ps, st)
    assert y.dtype == np.float64 and np.asarray(y_c).dtype == np.float64
    close(y_c, y, rtol=1e-12)


def test_stacked_recurrences_in_a_chain():
    model = lux.Chain(lux.Recurrence(lux.RNNCell(3, 4), return_sequence=True),
                      WrappedFunction(lambda ys: np.stack(ys, axis=1)),
                      lux.Recurrence(lux.LSTMCell(4, 2)))
    ps, st = lux.setup(np.random.default_rng(0), model)
    x = randn(2, 5, 3)
    y, _ = model(x, ps, st)
    first = step_by_hand(model.layers[0][1].cell, [x[:, t] for t in range(5)], ps["layer_1"], st["layer_1"])
    second = step_by_hand(model.layers[2][1].cell, first, ps["layer_3"], st["layer_3"])
    close(y, second[-1])


# -- StatefulRecurrentCell ---------------------------------------------------------------------------

def test_stateful_cell_keeps_the_carry_between_calls_and_resets_with_update_state():
    cell = lux.LSTMCell(3, 4)
    model = lux.StatefulRecurrentCell(cell)
    ps, st = lux.setup(np.random.default_rng(0), model)
    xs = [randn(2, 3) for _ in range(3)]
    expected = step_by_hand(cell, xs, ps, st["cell"])
    state = st
    for x, want in zip(xs, expected):
        y, state = model(x, ps, state)
        close(y, want)
    assert len(state["carry"]) == 2 and state["cell"] == st["cell"]
    close(state["carry"][0], expected[-1])
    reset = lux.update_state(state, "carry", None)
    y, _ = model(xs[0], ps, reset)
    close(y, expected[0])


def test_stateful_cell_compiled_matches_eager():
    model = lux.StatefulRecurrentCell(lux.RNNCell(3, 4))
    ps, st = lux.setup(np.random.default_rng(0), model)
    x1, x2 = randn(2, 3), randn(2, 3)
    run = tracer.jit(lux.apply)
    y1, st1 = model(x1, ps, st)
    y2, st2 = model(x2, ps, st1)
    y1_c, st1_c = run(model, x1, ps, st)
    y2_c, st2_c = run(model, x2, ps, st1_c)  # the carry now travels as a traced argument
    close(y1_c, y1)
    close(y2_c, y2)
    close(st2_c["carry"][0], st2["carry"][0])


# -- errors ------------------------------------------------------------------------------------------

def test_cell_input_errors_name_the_layer_and_the_fix():
    cell = lux.LSTMCell(3, 4)
    ps, st = lux.setup(np.random.default_rng(0), cell)
    with pytest.raises(lux.LayerInputError, match=r"LSTMCell\(3 => 4\) expects 3 input features.*\n  fix:"):
        cell(randn(2, 5), ps, st)
    with pytest.raises(lux.LayerInputError, match=r"expects x of shape \(batch, 3\).*\n  fix: run sequences through"
                                                  r" Recurrence"):
        cell(randn(2, 5, 3), ps, st)
    with pytest.raises(lux.LayerInputError, match=r"takes x or \(x, \(h, c\)\), got a tuple \(array \(2, 3\), tuple of"
                                                  r" 1\)"):
        cell((randn(2, 3), (randn(2, 4),)), ps, st)
    with pytest.raises(lux.LayerInputError, match=r"carried c of shape \(2, 4\).*got \(2, 5\)"):
        cell((randn(2, 3), (randn(2, 4), randn(2, 5))), ps, st)
    with pytest.raises(lux.LayerInputError, match=r"needs the state \{'rng': seed\}.*\n  fix: .*lux.setup"):
        cell(randn(2, 3), ps, {})
    rnn = lux.RNNCell(3, 4)
    with pytest.raises(lux.LayerInputError, match=r"takes x or \(x, \(h,\)\)"):
        rnn((randn(2, 3), randn(2, 4)), ps, st)


def test_wrapper_errors():
    with pytest.raises(TypeError, match="Recurrence wraps a recurrent cell.*got Dense"):
        lux.Recurrence(lux.Dense(2, 3))
    with pytest.raises(TypeError, match="StatefulRecurrentCell wraps a recurrent cell"):
        lux.StatefulRecurrentCell(lux.Dense(2, 3))
    with pytest.raises(TypeError, match="ordering must be lux.BatchLastIndex"):
        lux.Recurrence(lux.RNNCell(2, 3), ordering="time")
    model = lux.Chain(lux.Recurrence(lux.RNNCell(2, 3)))
    ps, st = lux.setup(np.random.default_rng(0), model)
    with pytest.raises(lux.LayerInputError, match=r"\.py:\d+: layer_1\.cell: RNNCell\(2 => 3, tanh\) expects 2 input"
                                                  r" features"):
        model(randn(4, 5, 7), ps, st)
    with pytest.raises(lux.LayerInputError, match=r"expects a sequence \(batch, time, features\).*got shape \(1, 2, 3,"
                                                  r" 2\)"):
        model(randn(1, 2, 3, 2), ps, st)
    with pytest.raises(lux.LayerInputError, match="0 time steps"):
        model(randn(4, 0, 2), ps, st)
    with pytest.raises(lux.LayerInputError, match="empty sequence"):
        model([], ps, st)
    stateful = lux.StatefulRecurrentCell(lux.RNNCell(2, 3))
    with pytest.raises(lux.LayerInputError, match=r"needs the state \{'cell': \.\.\., 'carry': \.\.\.\}"):
        stateful(randn(1, 2), ps["layer_1"], st["layer_1"])
    with pytest.raises(lux.LayerInputError, match=r"\.py:\d+: cell: RNNCell\(2 => 3, tanh\) expects 2 input features"):
        stateful(randn(1, 5), ps["layer_1"], {"cell": st["layer_1"], "carry": None})


def test_cells_are_hashable_static_arguments():
    assert lux.LSTMCell(3, 4) == lux.LSTMCell(3, 4) and hash(lux.GRUCell(2, 2)) == hash(lux.GRUCell(2, 2))
    assert lux.Recurrence(lux.RNNCell(2, 3)) != lux.Recurrence(lux.RNNCell(2, 3), return_sequence=True)
    assert lux.BatchLastIndex() == lux.BatchLastIndex() and repr(lux.TimeLastIndex()) == "TimeLastIndex()"
