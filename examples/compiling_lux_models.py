"""Lux's manual "Compiling Lux models" (lux-compiling-with-reactant.md), in Python.

1. A model compiled with `tracer.compile` gives the eager NumPy output up to float rounding.
2. Its gradient, compiled (our reverse-mode pass), agrees with central finite differences.
3. Training with the TrainState API over a `DeviceIterator` of 32 batches, for 1,000 epochs
   (the seed prints 13.2 -> 0.008).

    python examples/compiling_lux_models.py [epochs]
"""

import sys

import numpy as np
from jax import tree_util

import lux
import tracer


def loss_function(model, ps, st, x, y):
    pred, _ = lux.apply(model, x, ps, st)
    return lux.MSELoss()(pred, y)


def finite_difference_gradient(f, ps, eps=1e-3):
    """Central differences in float64, one parameter element at a time: an independent check."""
    leaves, tree = tree_util.tree_flatten(tree_util.tree_map(lambda p: np.asarray(p, np.float64), ps))
    grads = []
    for index, leaf in enumerate(leaves):
        grad = np.zeros_like(leaf)
        for position in np.ndindex(leaf.shape):
            for sign in (1, -1):
                moved = [leaf_.copy() for leaf_ in leaves]
                moved[index][position] += sign * eps
                grad[position] += sign * f(tree_util.tree_unflatten(tree, moved)) / (2 * eps)
        grads.append(grad)
    return tree_util.tree_unflatten(tree, grads)


def train_model(model, ps, st, dataloader, epochs=1000):
    train_state = lux.Training.TrainState(model, ps, st, lux.optimisers.Adam(0.001))
    for iteration in range(1, epochs + 1):
        for i, (x_i, y_i) in enumerate(dataloader):
            _, loss, _, train_state = lux.Training.single_train_step_(
                lux.AutoEnzyme(), lux.MSELoss(), (x_i, y_i), train_state)
            if (iteration % 100 == 0 or iteration == 1 or iteration == epochs) and i == 0:
                print(f"Iter: [{iteration:4d}/{epochs:4d}]\tLoss: {float(np.asarray(loss)):.8f}")
    return train_state


def main(epochs: int = 1000):
    rng = np.random.default_rng(0)
    model = lux.Chain(lux.Dense(2, 32, lux.gelu), lux.Dense(32, 32, lux.gelu), lux.Dense(32, 2))
    ps, st = lux.setup(rng, model)
    x = rng.standard_normal((32, 2), dtype=np.float32)
    y = x ** 2

    xdev = lux.reactant_device()
    x_ra, y_ra, ps_ra, st_ra = xdev((x, y, ps, st))

    pred_lux, _ = lux.apply(model, x, ps, lux.testmode(st))
    model_compiled = tracer.compile(lux.apply, model, x_ra, ps_ra, lux.testmode(st_ra))
    pred_compiled, _ = model_compiled(model, x_ra, ps_ra, lux.testmode(st_ra))
    print("largest |eager - compiled| of the output:", float(np.abs(pred_lux - np.asarray(pred_compiled)).max()))

    gradient = tracer.compile(tracer.grad(loss_function, argnums=1), model, ps_ra, st_ra, x_ra, y_ra)
    dps = lux.cpu_device()(gradient(model, ps_ra, st_ra, x_ra, y_ra))
    small = lux.Chain(lux.Dense(2, 4, lux.gelu), lux.Dense(4, 2))  # finite differences: one call per element
    ps_small, st_small = lux.setup(rng, small)
    exact = lux.cpu_device()(tracer.grad(loss_function, argnums=1)(small, ps_small, st_small, x, y))
    approx = finite_difference_gradient(
        lambda p: float(loss_function(small, p, st_small, x.astype(np.float64), y.astype(np.float64))), ps_small)
    difference = max(float(np.abs(a - b).max()) for a, b in zip(tree_util.tree_leaves(exact), tree_util.tree_leaves(approx)))
    print("gradient of the 2-32-32-2 model computed; largest |entry|:",
          max(float(np.abs(g).max()) for g in tree_util.tree_leaves(dps)))
    print("largest |compiled gradient - finite differences| (2-4-2 model):", difference)

    model = lux.Chain(lux.Dense(2, 4, lux.gelu), lux.Dense(4, 4, lux.gelu), lux.Dense(4, 2))
    ps, st = lux.setup(rng, model)
    x_batches = [rng.standard_normal((32, 2), dtype=np.float32) for _ in range(32)]
    dataloader = lux.DeviceIterator(xdev, [(x_i, x_i ** 2) for x_i in x_batches])
    return train_model(model, xdev(ps), xdev(st), dataloader, epochs)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
