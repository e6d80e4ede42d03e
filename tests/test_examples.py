"""The examples run as a user runs them (a fresh interpreter) and print what they promise: the seeds'
numbers where the seeds give them (lux-introduction.md, lux-compiling-with-reactant.md), with fewer
iterations where the full run is long."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run_example(name: str, *arguments: str, prelude: str | None = None) -> subprocess.CompletedProcess:
    """Run examples/`name` with `arguments`. The checkout under test comes first on the path (an editable
    install of another checkout would otherwise be imported). `prelude`: Python run first, in the same
    interpreter (e.g. to hide an installed package)."""
    script = str(ROOT / "examples" / name)
    if prelude is None:
        command = [sys.executable, script, *arguments]
    else:
        command = [sys.executable, "-c", f"{prelude}\nimport runpy, sys\nsys.argv = {[script, *arguments]!r}\n"
                                         f"runpy.run_path({script!r}, run_name='__main__')"]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, cwd=ROOT, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def numbers_after(label: str, text: str) -> list[float]:
    return [float(value) for value in re.findall(re.escape(label) + r"\s*([-+0-9.eE]+)", text)]


def test_quickstart_prints_the_lux_model_agrees_with_numpy_and_trains():
    out = run_example("quickstart.py").stdout
    assert "rows sum to probability 1: True" in out
    assert "    layer_1 = Dense(128 => 256, tanh),            # 33_024 parameters" in out
    assert ")         # Total: 101_386 parameters," in out
    difference = float(out.rsplit("largest difference, eager vs compiled:", 1)[1].split()[0])
    assert difference < 1e-5
    losses = [float(loss) for loss in re.findall(r"training: step +\d+  loss ([0-9.]+)", out)]
    assert len(losses) == 5 and losses[-1] < 0.05 * losses[0], losses  # the seed's MLP learns its random targets
    step = out.split("--- the compiled training step", 1)[1]
    assert "stablehlo.dot_general" in step and "stablehlo.tanh" in step  # forward, backward and Adam in one module


def test_custom_layer_fits_the_cubic_as_the_seed_does():
    out = run_example("custom_layer.py", "300").stdout
    assert "w2 = NamedTuple(" in out or "w2 = (" in out  # the @compact model printed
    assert "Total: 3_265 parameters," in out  # the seed's count
    assert "output shape: (32, 1)" in out
    iterations = re.findall(r"Iteration: (\d{4}) \t Loss: +([0-9.e+-]+)", out)
    assert [int(i) for i, _ in iterations] == [1, 100, 200, 300]
    losses = [float(loss) for _, loss in iterations]
    assert 1.5 < losses[0] < 2.5  # the seed: 2.08085132
    assert losses[-1] < 5e-3  # the seed: 1.02e-3 at 300 (and 7.9e-5 at 1,000; tests/lux/test_training runs those)


def test_compiling_lux_models_agrees_with_eager_and_finite_differences_and_trains():
    out = run_example("compiling_lux_models.py", "40").stdout
    assert numbers_after("largest |eager - compiled| of the output:", out)[0] < 1e-5  # float rounding only
    assert numbers_after("largest |compiled gradient - finite differences| (2-4-2 model):", out)[0] < 1e-5
    losses = [float(loss) for loss in re.findall(r"Iter: \[ *\d+/ *40\]\tLoss: ([0-9.]+)", out)]
    assert len(losses) == 2 and losses[1] < 0.5 * losses[0], losses  # (the full 1,000 epochs reach about 1e-3)


def test_cnn_trains_with_a_progress_bar_and_says_how_to_get_the_plot_without_matplotlib(tmp_path):
    plot = tmp_path / "loss.png"
    done = run_example("cnn.py", "2", "--plot", str(plot), prelude="import sys; sys.modules['matplotlib'] = None")
    out = done.stdout
    assert "Conv((3, 3), 1 => 8, relu, pad=1)" in out
    assert re.search(r"training: 100%.*64/64.*loss=[0-9.]+", done.stderr)  # tqdm, with the running loss
    mean_losses = numbers_after("mean loss", out)
    assert len(mean_losses) == 2 and mean_losses[1] < 0.5 * mean_losses[0]
    before, after = numbers_after("accuracy before training:", out)[0], numbers_after("accuracy after training:", out)[0]
    assert before < 0.4 and after > 0.8, (before, after)  # chance is 0.25
    assert "pip install -e '.[plot]'" in out and not plot.exists()


@pytest.mark.skipif(importlib.util.find_spec("matplotlib") is None, reason="matplotlib (the 'plot' extra) not installed")
def test_cnn_writes_the_loss_curve_with_matplotlib(tmp_path):
    plot = tmp_path / "loss.png"
    out = run_example("cnn.py", "1", "--plot", str(plot), "--no-progress").stdout
    assert f"loss curve written to {plot}" in out
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
