"""Data parallelism: one training step of a small MLP, the batch split over 8 devices.

Parameters are replicated, the batch is sharded along its first axis; XLA's SPMD partitioner
turns the gradient's sum over the batch into an all-reduce. The result equals the one-device step.

    python examples/data_parallel.py        # makes 8 virtual CPU devices if XLA_FLAGS does not say
"""

import os

# Before jax initialises: 8 CPU devices stand in for 8 accelerators.
os.environ.setdefault("XLA_FLAGS", "--xla_force_host_platform_device_count=8")

import numpy as np  # noqa: E402

import runtime  # noqa: E402
import tracer  # noqa: E402
from runtime import NamedSharding, PartitionSpec as P  # noqa: E402

LEARNING_RATE = 0.1


def train_step(params, x, y):
    """MSE loss of a tanh MLP and one SGD step (gradients written out: y = tanh(x@w1+b1)@w2+b2)."""
    hidden = np.tanh(x @ params["w1"] + params["b1"])
    prediction = hidden @ params["w2"] + params["b2"]
    error = prediction - y
    loss = (error**2).mean()
    d_prediction = 2.0 * error / error.size
    d_hidden = (d_prediction @ params["w2"].T) * (1.0 - hidden**2)
    grads = {"w2": hidden.T @ d_prediction, "b2": d_prediction.sum(axis=0),
             "w1": x.T @ d_hidden, "b1": d_hidden.sum(axis=0)}
    return {k: params[k] - LEARNING_RATE * grads[k] for k in params}, loss


def init(rng, sizes=(16, 32, 4)):
    return {"w1": rng.standard_normal(sizes[:2], dtype=np.float32) / 4, "b1": np.zeros(sizes[1], np.float32),
            "w2": rng.standard_normal(sizes[1:], dtype=np.float32) / 6, "b2": np.zeros(sizes[2], np.float32)}


def main(steps: int = 3) -> float:
    rng = np.random.default_rng(0)
    params = init(rng)
    x = rng.standard_normal((64, 16), dtype=np.float32)
    y = rng.standard_normal((64, 4), dtype=np.float32)

    mesh = runtime.make_mesh((8,), ("data",))
    batch = NamedSharding(mesh, P("data"))      # rows of x and y split 8 ways
    replicated = NamedSharding(mesh, P())       # every device holds all parameters
    step = tracer.jit(train_step, in_shardings=(replicated, batch, batch), out_shardings=(replicated, replicated))
    one_device = tracer.jit(train_step)

    sharded_params = runtime.to_device(params, sharding=replicated)
    x_sharded, y_sharded = runtime.to_device((x, y), sharding=batch)
    reference = params
    for _ in range(steps):
        sharded_params, loss = step(sharded_params, x_sharded, y_sharded)
        reference, reference_loss = one_device(reference, x, y)
    difference = max(float(np.max(np.abs(np.asarray(sharded_params[k]) - np.asarray(reference[k]))))
                     for k in params)
    print(f"data parallel over {mesh.size} devices: loss {float(loss):.6f} (one device: {float(reference_loss):.6f}), "
          f"max parameter difference {difference:.2e}; x lives on {len(x_sharded.devices())} devices as {x_sharded.sharding.spec}")
    return difference


if __name__ == "__main__":
    assert main() < 1e-5
