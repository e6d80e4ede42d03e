"""Quickstart: compile a small NumPy model with pyreactant, run it, and look at its IR; then the
Lux quickstart model (lux-introduction.md), eagerly in NumPy and compiled, and trained: gradients by our
reverse-mode pass, Adam, one compiled step that updates the parameters in place.

    python examples/quickstart.py
    dump-ir examples/quickstart.py:predict --arg f32[32,8] --arg f32[8,4] --arg f32[4] --stage traced
"""

import numpy as np

import lux
import tracer


@tracer.jit
def predict(x, w, b):
    return np.tanh(x @ w + b).mean(axis=0)


@tracer.jit
def mlp(params, x):
    """A two-layer perceptron over a pytree of parameters."""
    hidden = np.maximum(x @ params["w1"] + params["b1"], 0.0)
    logits = hidden @ params["w2"] + params["b2"]
    shifted = logits - logits.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))  # log-softmax


def main():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 8), dtype=np.float32)
    w = rng.standard_normal((8, 4), dtype=np.float32)
    b = np.zeros(4, np.float32)

    y = predict(x, w, b)  # traced, optimised, compiled by XLA, run through PJRT
    expected = np.tanh(x @ w + b).mean(axis=0)
    print("predict(x, w, b) =", np.asarray(y))
    print("NumPy says         ", expected)
    np.testing.assert_allclose(np.asarray(y), expected, rtol=1e-5, atol=1e-6)

    compiled = tracer.compile(predict, x, w, b)
    print("\n--- StableHLO as traced ---")
    print(compiled.as_text("traced"))
    print("--- after our pass pipeline ---")
    print(compiled.as_text("optimized"))

    params = {
        "w1": rng.standard_normal((8, 16), dtype=np.float32) * 0.3,
        "b1": np.zeros(16, np.float32),
        "w2": rng.standard_normal((16, 3), dtype=np.float32) * 0.3,
        "b2": np.zeros(3, np.float32),
    }
    log_probs = np.asarray(mlp(params, x))
    print("MLP log-probabilities of the first 3 samples:\n", log_probs[:3])
    print("rows sum to probability 1:", np.allclose(np.exp(log_probs).sum(axis=1), 1.0, atol=1e-5))

    # Lux's quickstart model (lux-introduction.md), batch first: explicit parameters and states.
    model = lux.Chain(lux.Dense(128, 256, np.tanh), lux.Chain(lux.Dense(256, 256, np.tanh), lux.Dense(256, 10)))
    print()
    print(model)
    ps, st = lux.setup(rng, model)
    x = rng.random((2, 128), dtype=np.float32)
    y, st = lux.apply(model, x, ps, st)  # eager NumPy
    y_compiled, _ = tracer.jit(lux.apply)(model, x, ps, st)  # traced, compiled, run by XLA
    print("largest difference, eager vs compiled:", float(np.abs(y - np.asarray(y_compiled)).max()))

    # Training, as the seed does it: a TrainState, gradients, an update, and the two in one compiled step.
    dev = lux.reactant_device()
    ps, st = dev((ps, st))
    x, y = dev(rng.random((256, 128), dtype=np.float32)), dev(rng.random((256, 10), dtype=np.float32))
    train_state = lux.Training.TrainState(model, ps, st, lux.optimisers.Adam(0.001))
    gs, loss, stats, train_state = lux.Training.compute_gradients(lux.AutoEnzyme(), lux.MSELoss(), (x, y), train_state)
    train_state = lux.Training.apply_gradients_(train_state, gs)
    print(f"\ntraining: step {train_state.step:3d}  loss {float(np.asarray(loss)):.6f}")
    for _ in range(200):
        _, loss, _, train_state = lux.Training.single_train_step_(lux.AutoEnzyme(), lux.MSELoss(), (x, y), train_state)
        if train_state.step % 50 == 0:
            print(f"training: step {train_state.step:3d}  loss {float(np.asarray(loss)):.6f}")
    step = lux.Training.compile_step(lux.AutoEnzyme(), lux.MSELoss(), (x, y), train_state)
    print("\n--- the compiled training step (forward, gradient by our autodiff pass, Adam), optimised ---")
    print(step.as_text("optimized"))


if __name__ == "__main__":
    main()
