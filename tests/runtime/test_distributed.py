"""Two processes on this host joined by runtime.distributed: each sees both processes' devices, and
a program sharded over a mesh of both computes across them (on CPU through jaxlib's gloo
collectives, its default), giving NumPy's answer in each process."""

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


ACROSS_CHILD = """
import sys
import numpy as np
import runtime, tracer
from runtime import NamedSharding, PartitionSpec as P
runtime.distributed.initialize(sys.argv[1], num_processes=2, process_id=int(sys.argv[2]), timeout_seconds=60)
mesh = runtime.Mesh(np.array(runtime.devices()), ("data",))  # one device per process
rows = NamedSharding(mesh, P("data"))
x = np.arange(12, dtype=np.float32).reshape(6, 2)
w = np.linspace(-1.0, 1.0, 6, dtype=np.float32).reshape(2, 3)
# Rows are split between the processes: the column sums and the contraction over rows need an
# all-reduce across them.
f = tracer.jit(lambda x, w: ((x * 2.0).sum(axis=0), x.T @ np.tanh(x @ w)),
               in_shardings=(rows, NamedSharding(mesh, P())), out_shardings=NamedSharding(mesh, P()))
sums, gram = f(runtime.to_device(x, sharding=rows), runtime.to_device(w, sharding=NamedSharding(mesh, P())))
np.testing.assert_allclose(np.asarray(sums), (x * 2.0).sum(axis=0), rtol=1e-6)
np.testing.assert_allclose(np.asarray(gram), x.T @ np.tanh(x @ w), rtol=1e-5)
print("AGREES", runtime.distributed.process_index(), len(sums.sharding.mesh.devices.flat))
runtime.distributed.shutdown()
"""


def test_a_program_sharded_over_two_processes_computes_across_them():
    address = f"localhost:{free_port()}"
    children = [subprocess.Popen([sys.executable, "-c", ACROSS_CHILD, address, str(i)], cwd=ROOT,
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for i in range(2)]
    outputs = [child.communicate(timeout=180) for child in children]
    for child, (out, err) in zip(children, outputs):
        assert child.returncode == 0, err[-3000:]
    lines = sorted(line for out, _ in outputs for line in out.splitlines() if line.startswith("AGREES"))
    assert lines == ["AGREES 0 2", "AGREES 1 2"]


def test_initialize_after_devices_are_in_use_names_the_fix():
    code = ("import numpy as np, runtime\nruntime.to_device(np.ones(2))\n"
            "try:\n    runtime.distributed.initialize('localhost:1', num_processes=2, process_id=0, timeout_seconds=5)\n"
            "except runtime.distributed.DistributedError as err:\n    print('REFUSED', err)\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert "REFUSED" in done.stdout and "before any array is placed on a device" in done.stdout, done.stderr[-2000:]
