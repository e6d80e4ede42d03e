"""FileCheck for tests: match text (IR, dumps) against LLVM FileCheck directives.

    from helpers_filecheck import filecheck
    filecheck(ir_text, '''
        CHECK-LABEL: func.func public @main
        CHECK:       stablehlo.add
        CHECK-NOT:   stablehlo.multiply
    ''')

Runs the `filecheck` package (a Python clone of LLVM's FileCheck) in a
subprocess, with the directives in a temporary file and the text on stdin,
exactly as a `// RUN: ... | filecheck %s` line would. Test files reach this
module by putting `tests/` on sys.path.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import textwrap


def filecheck(text: str, checks: str, *options: str) -> None:
    """Raise AssertionError with FileCheck's report unless `text` satisfies `checks`."""
    checks = textwrap.dedent(checks).strip() + "\n"
    with tempfile.NamedTemporaryFile("w", suffix=".checks", delete=False) as handle:
        handle.write(checks)
        check_file = handle.name
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "filecheck", check_file, *options],
            input=text,
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        os.unlink(check_file)
    if proc.returncode != 0:
        raise AssertionError(
            f"FileCheck failed (exit {proc.returncode})\n--- checks ---\n{checks}--- input ---\n{text}\n"
            f"--- filecheck says ---\n{proc.stdout}{proc.stderr}"
        )
