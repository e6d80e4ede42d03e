"""Textual pass tests: every `lit/*.mlir` file's `// RUN:` lines run in a shell, FileCheck-style.

`%s` is the file itself; `dump-ir` and `filecheck` are the installed commands; `not CMD`
succeeds when CMD exits with an error and fails when it succeeds or crashes (as LLVM's lit `not`).
A file passes when every RUN pipeline exits 0.
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
# `not CMD` succeeds when CMD fails with an error (exit 1..127), never when it crashes (killed by a signal:
# 128 + N), as LLVM's `not` without --crash; `! CMD` took a SIGSEGV for the expected error.
NOT = 'not() { "$@"; local status=$?; [ "$status" -ne 0 ] && [ "$status" -lt 128 ]; }; '


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
        shell = NOT + expand(command, path)
        environment = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
        result = subprocess.run(["bash", "-o", "pipefail", "-c", shell], capture_output=True, text=True, timeout=120,
                                env=environment)
        assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr}"


@pytest.mark.parametrize("command, passes", [
    ("not false", True), ("not true", False), ("not bash -c 'exit 3'", True),
    ("not bash -c 'kill -SEGV $$'", False), ("not python3 -c 'import os; os.abort()'", False),
])
def test_not_accepts_an_error_but_not_a_crash(command, passes):
    assert (subprocess.run(["bash", "-o", "pipefail", "-c", NOT + command], capture_output=True).returncode == 0) == passes
