"""A small CNN trained end to end: which quadrant of a noisy 16x16 image holds the bright blob?

The images are made with NumPy (a Gaussian blob at a random place, plus noise; the label is the
quadrant of its centre). The model is Lux-style and images are NCHW (Lux's WHCN reversed):

    Conv 3x3 (1 => 8, relu) -> MaxPool 2x2 -> Conv 3x3 (8 => 16, relu) -> MaxPool 2x2 -> Dense (256 => 4)

Training uses the TrainState API: batches reach the device through a `DeviceIterator`, each step is
`single_train_step_` (forward, gradient by our reverse-mode pass, Adam, in place), a tqdm progress bar
shows the running loss, and the loss curve is written as a PNG when matplotlib is installed
(`pip install -e '.[plot]'`). At the end: accuracy on held-out images, compiled in test mode.

    python examples/cnn.py [epochs] [--plot cnn_loss.png]
"""

import argparse

import numpy as np
from tqdm import tqdm

import lux
import tracer

SIZE, CLASSES, BATCH = 16, 4, 64


def make_images(rng, n: int):
    """`n` images (n, 1, SIZE, SIZE) float32 and their quadrant labels 0..3 (top-left, top-right,
    bottom-left, bottom-right)."""
    centres = rng.uniform(1.5, SIZE - 2.5, size=(n, 2))  # (row, column) of each blob
    rows, columns = np.mgrid[0:SIZE, 0:SIZE]
    distance2 = (rows[None] - centres[:, 0, None, None]) ** 2 + (columns[None] - centres[:, 1, None, None]) ** 2
    images = np.exp(-distance2 / (2 * 1.5 ** 2)) + 0.3 * rng.standard_normal((n, SIZE, SIZE))
    labels = 2 * (centres[:, 0] >= SIZE / 2) + (centres[:, 1] >= SIZE / 2)
    return images[:, None].astype(np.float32), labels.astype(np.int64)


def one_hot(labels):
    return np.eye(CLASSES, dtype=np.float32)[labels]


def build_model():
    return lux.Chain(
        lux.Conv((3, 3), 1, 8, lux.relu, pad=1), lux.MaxPool((2, 2)),
        lux.Conv((3, 3), 8, 16, lux.relu, pad=1), lux.MaxPool((2, 2)),
        lux.FlattenLayer(), lux.Dense(16 * (SIZE // 4) ** 2, CLASSES),
    )


def accuracy(model, ps, st, images, labels) -> float:
    logits, _ = tracer.jit(lux.apply)(model, images, ps, lux.testmode(st))
    return float(np.mean(np.argmax(np.asarray(logits), axis=1) == labels))


def plot_losses(losses, path: str) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")  # files only: no window needed
        import matplotlib.pyplot as plt
    except ImportError:
        print("(no loss curve: matplotlib is not installed; `pip install -e '.[plot]'` adds it, "
              f"and this example then writes {path})")
        return
    figure, axes = plt.subplots(figsize=(6, 4))
    axes.plot(np.arange(1, len(losses) + 1), losses, linewidth=1)
    axes.set(xlabel="step", ylabel="cross-entropy loss", yscale="log", title="CNN: which quadrant holds the blob")
    axes.grid(True, alpha=0.3)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)
    print(f"loss curve written to {path}")


def main(epochs: int = 8, plot: str = "cnn_loss.png", progress: bool = True):
    rng = np.random.default_rng(0)
    model = build_model()
    print(model)
    train_x, train_y = make_images(rng, 32 * BATCH)
    test_x, test_y = make_images(rng, 512)
    batches = [(train_x[i:i + BATCH], one_hot(train_y[i:i + BATCH])) for i in range(0, len(train_x), BATCH)]

    dev = lux.reactant_device()
    ps, st = dev(lux.setup(rng, model))
    print(f"accuracy before training: {accuracy(model, ps, st, test_x, test_y):.3f} (chance: {1 / CLASSES})")
    train_state = lux.Training.TrainState(model, ps, st, lux.optimisers.Adam(3e-3))
    loss_function = lux.CrossEntropyLoss(logits=True)
    loader = lux.DeviceIterator(dev, batches)

    losses, running = [], None
    with tqdm(total=epochs * len(batches), desc="training", unit="step", disable=not progress) as bar:
        for epoch in range(1, epochs + 1):
            for x, y in loader:
                _, loss, _, train_state = lux.Training.single_train_step_(lux.AutoEnzyme(), loss_function, (x, y),
                                                                          train_state)
                losses.append(float(np.asarray(loss)))  # (waits for the step: the bar shows real progress)
                running = losses[-1] if running is None else 0.9 * running + 0.1 * losses[-1]
                bar.set_postfix(epoch=epoch, loss=f"{running:.4f}")
                bar.update()
            bar.write(f"Epoch {epoch:2d}  mean loss {np.mean(losses[-len(batches):]):.5f}")  # (above the bar)

    final = accuracy(model, train_state.parameters, train_state.states, test_x, test_y)
    print(f"accuracy after training: {final:.3f} on {len(test_y)} held-out images")
    if plot:
        plot_losses(losses, plot)
    return losses, final


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("epochs", nargs="?", type=int, default=8, help="passes over the 2,048 training images")
    parser.add_argument("--plot", default="cnn_loss.png", help="where to write the loss curve ('' for none)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    arguments = parser.parse_args()
    main(arguments.epochs, arguments.plot, progress=not arguments.no_progress)
