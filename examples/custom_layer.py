"""Lux's custom-layer example (lux-introduction.md, "Defining Custom Layers"), in Python.

A `@lux.compact` MLP fits y = 2x - x^3 on [-2, 2]: 1,000 compiled training steps with Adam, the loss
printed every 100 (the seed goes from about 2.08 to under 1e-4).

    python examples/custom_layer.py [iterations]
"""

import sys

import numpy as np

import lux
import tracer

N_IN, N_OUT, DEPTH = 1, 1, 3


@lux.compact(w1=lux.Dense(N_IN, 32), w2=[lux.Dense(32, 32) for _ in range(DEPTH)], w3=lux.Dense(32, N_OUT),
             act=lux.relu)
def model(x, *, w1, w2, w3, act):
    embed = act(w1(x))
    for w in w2:
        embed = act(w(embed))
    return w3(embed)


def train_model(model, ps, st, x_data, y_data, num_epochs=1000):
    train_state = lux.Training.TrainState(model, ps, st, lux.optimisers.Adam(0.001))
    for iteration in range(1, num_epochs + 1):
        _, loss, _, train_state = lux.Training.single_train_step_(
            lux.AutoEnzyme(), lux.MSELoss(), (x_data, y_data), train_state)
        if iteration == 1 or iteration % 100 == 0 or iteration == num_epochs:
            print(f"Iteration: {iteration:04d} \t Loss: {float(np.asarray(loss)):10.9g}")
    return model, train_state.parameters, train_state.states


def main(num_epochs: int = 1000):
    print(model)
    rng = np.random.default_rng(0)
    dev = lux.reactant_device()
    ps, st = dev(lux.setup(rng, model))

    x = dev(rng.random((32, N_IN), dtype=np.float32))
    y, _ = tracer.jit(lux.apply)(model, x, ps, st)  # a 32x1 output and the updated state
    print("output shape:", y.shape)

    x_data = np.arange(-2.0, 2.0001, 0.1, dtype=np.float32).reshape(-1, 1)  # batch first: 41 x 1
    y_data = 2 * x_data - x_data ** 3
    x_data, y_data = dev(x_data), dev(y_data)
    return train_model(model, ps, st, x_data, y_data, num_epochs)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
