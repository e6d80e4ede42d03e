"""Textual pass tests: every `lit/*.mlir` file's `// RUN:` lines run in a shell, FileCheck-style.

`%s` is the file itself; `dump-ir` and `filecheck` are the installed commands; `not CMD`
inverts CMD's exit status (as in LLVM's lit). A file passes when every RUN pipeline exits 0.
`dump-ir` runs this checkout's code (PYTHONPATH), not the checkout the environment was installed from.
Check prefixes other than CHECK (REVERSE, FORWARD ...) are FileCheck's `--check-prefix`.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

LIT_DIR = Path(__file__).parent / "lit"
BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[2]


def run_lines(path: Path) -> list[str]:
    return [line.split("RUN:", 1)[1].strip() for line in path.read_text().splitlines() if line.startswith("// RUN:")]


def expand(command: str, path: Path) -> str:
    command = command.replace("%s", shlex.quote(str(path)))
    for tool in ("dump-ir", "filecheck"):
        command = command.replace(f"{tool} ", f"{shlex.quote(str(BIN / tool))} ")
    return command


@pytest.mark.parametrize("path", sorted(LIT_DIR.glob("*.mlir")), ids=lambda p: p.name)
def test_lit_file(path):
    commands = run_lines(path)
    assert commands, f"{path.name} has no // RUN: line"
    for command in commands:
        shell = 'not() { ! "$@"; }; ' + expand(command, path)
        environment = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
        result = subprocess.run(["bash", "-o", "pipefail", "-c", shell], capture_output=True, text=True, timeout=120,
                                env=environment)
        assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr}"
