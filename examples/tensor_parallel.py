"""Tensor (model) parallelism: one training step of a small MLP with its hidden layer split over 8 devices.

The first layer's weight is split by columns and the second's by rows (Megatron-style), so each
device computes a slice of the hidden units; XLA inserts the all-reduce after the second matmul.
`tracer.with_sharding_constraint` pins the hidden activations to that layout inside the step.

    python examples/tensor_parallel.py      # makes 8 virtual CPU devices if XLA_FLAGS does not say
"""

import os

os.environ.setdefault("XLA_FLAGS", "--xla_force_host_platform_device_count=8")

import numpy as np  # noqa: E402

import runtime  # noqa: E402
import tracer  # noqa: E402
from runtime import NamedSharding, PartitionSpec as P  # noqa: E402

LEARNING_RATE = 0.1
MESH = runtime.make_mesh((8,), ("model",))
HIDDEN = NamedSharding(MESH, P(None, "model"))   # (batch, hidden): hidden units split 8 ways


def train_step(params, x, y):
    """MSE loss of a tanh MLP and one SGD step, gradients written out."""
    hidden = tracer.with_sharding_constraint(np.tanh(x @ params["w1"] + params["b1"]), HIDDEN)
    prediction = hidden @ params["w2"] + params["b2"]
    error = prediction - y
    loss = (error**2).mean()
    d_prediction = 2.0 * error / error.size
    d_hidden = (d_prediction @ params["w2"].T) * (1.0 - hidden**2)
    grads = {"w2": hidden.T @ d_prediction, "b2": d_prediction.sum(axis=0),
             "w1": x.T @ d_hidden, "b1": d_hidden.sum(axis=0)}
    return {k: params[k] - LEARNING_RATE * grads[k] for k in params}, loss


def main(steps: int = 3) -> float:
    rng = np.random.default_rng(1)
    params = {"w1": rng.standard_normal((16, 64), dtype=np.float32) / 4, "b1": np.zeros(64, np.float32),
              "w2": rng.standard_normal((64, 4), dtype=np.float32) / 8, "b2": np.zeros(4, np.float32)}
    x = rng.standard_normal((32, 16), dtype=np.float32)
    y = rng.standard_normal((32, 4), dtype=np.float32)

    replicated = NamedSharding(MESH, P())
    layout = {"w1": HIDDEN, "b1": NamedSharding(MESH, P("model")),          # column-parallel layer
              "w2": NamedSharding(MESH, P("model", None)), "b2": replicated}  # row-parallel layer
    step = tracer.jit(train_step, in_shardings=(layout, replicated, replicated), out_shardings=(layout, replicated))

    sharded_params = runtime.to_device(params, sharding=layout)
    reference = params
    for _ in range(steps):
        sharded_params, loss = step(sharded_params, x, y)
        reference, reference_loss = train_step(reference, x, y)  # eager NumPy: the constraint is a no-op
    difference = max(float(np.max(np.abs(np.asarray(sharded_params[k]) - reference[k]))) for k in params)
    print(f"tensor parallel over {MESH.size} devices: loss {float(loss):.6f} (NumPy: {float(reference_loss):.6f}), "
          f"max parameter difference {difference:.2e}; w1 is laid out as {sharded_params['w1'].sharding.spec}")
    return difference


if __name__ == "__main__":
    assert main() < 1e-5
