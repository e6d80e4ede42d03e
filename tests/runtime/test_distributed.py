"""Two processes on this host joined by runtime.distributed: each sees both processes' devices.

(Computing across processes on CPU also needs a collectives library; what is tested here is the
joining and the device view a multi-host mesh is built from.)"""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHILD = """
import sys
import runtime
runtime.distributed.initialize(sys.argv[1], num_processes=2, process_id=int(sys.argv[2]), timeout_seconds=60)
print("PROCESS", runtime.distributed.process_index(), runtime.distributed.process_count(), len(runtime.devices()),
      runtime.default_device().process_index)
runtime.distributed.shutdown()
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("localhost", 0))
        return s.getsockname()[1]


def test_two_processes_join_and_see_each_others_devices():
    address = f"localhost:{free_port()}"
    children = [subprocess.Popen([sys.executable, "-c", CHILD, address, str(i)], cwd=ROOT, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True) for i in range(2)]
    outputs = [child.communicate(timeout=120) for child in children]
    for child, (out, err) in zip(children, outputs):
        assert child.returncode == 0, err[-2000:]
    lines = sorted(line for out, _ in outputs for line in out.splitlines() if line.startswith("PROCESS"))
    assert lines == ["PROCESS 0 2 2 0", "PROCESS 1 2 2 1"]  # rank, count, global devices, own device's process


def test_initialize_after_devices_are_in_use_names_the_fix():
    code = ("import numpy as np, runtime\nruntime.to_device(np.ones(2))\n"
            "try:\n    runtime.distributed.initialize('localhost:1', num_processes=2, process_id=0, timeout_seconds=5)\n"
            "except runtime.distributed.DistributedError as err:\n    print('REFUSED', err)\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert "REFUSED" in done.stdout and "before any array is placed on a device" in done.stdout, done.stderr[-2000:]
