"""The examples run as a user runs them (a fresh interpreter) and print what they promise."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_example(name: str) -> str:
    done = subprocess.run([sys.executable, str(ROOT / "examples" / name)], capture_output=True, text=True,
                          timeout=300, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_quickstart_prints_the_lux_model_and_agrees_with_numpy():
    out = run_example("quickstart.py")
    assert "rows sum to probability 1: True" in out
    assert "    layer_1 = Dense(128 => 256, tanh),            # 33_024 parameters" in out
    assert ")         # Total: 101_386 parameters," in out
    difference = float(out.rsplit("largest difference, eager vs compiled:", 1)[1].split()[0])
    assert difference < 1e-5
