"""The default platform is the best one installed, as JAX ranks PJRT plugins (TPU 300, GPU 200, CPU 0).

No accelerator is needed to test the rule: a child process registers a second CPU client under a
made-up platform name with a GPU-like priority, the way an installed CUDA plugin registers itself,
and everything that picks a device on its own must then land on that client; `set_default_backend`
must still reach the real CPU client. A process of its own, since JAX's backends are set up once.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CHILD = """
import numpy as np
from jax._src import xla_bridge  # test plumbing only: how a PJRT plugin announces itself to JAX
plugin_clients = []
def make_plugin_client():
    plugin_clients.append(xla_bridge.make_cpu_client())
    return plugin_clients[-1]
xla_bridge.register_backend_factory("fakeaccel", make_plugin_client, priority=200)

import jax, runtime, tracer
first = runtime.default_device()                         # JAX sets up every backend it knows, now
(plugin,) = plugin_clients
cpu = jax.extend.backend.get_backend("cpu")
assert plugin is not cpu

def on(client, array):
    return {d.client for d in array.buffer.sharding.device_set} == {client}

x = np.arange(6, dtype=np.float32).reshape(2, 3)
assert first.client is plugin and runtime.client() is plugin
assert on(plugin, runtime.to_device(x))
y = tracer.jit(lambda a: np.tanh(a) * 2.0)(x)           # compiled and run where the default is
np.testing.assert_allclose(np.asarray(y), np.tanh(x) * 2.0, rtol=1e-6)
assert on(plugin, y)
on_plugin = runtime.to_device(x)

runtime.set_default_backend("cpu")                       # chosen explicitly
assert runtime.default_device().client is cpu
z = tracer.jit(lambda a: a + 1.0)(x)
np.testing.assert_allclose(np.asarray(z), x + 1.0)
assert on(cpu, z)
# A program follows its arguments: compiled for a device given explicitly, it runs on that client.
w = tracer.jit(lambda a: a - 1.0, device=on_plugin.device)(on_plugin)
np.testing.assert_allclose(np.asarray(w), x - 1.0)
assert on(plugin, w)

runtime.set_default_backend(None)                        # back to the best available
assert runtime.default_device().client is plugin
print("SELECTED")
"""


def test_the_highest_priority_plugin_is_the_default_and_cpu_can_be_chosen():
    child = subprocess.run([sys.executable, "-c", CHILD], cwd=ROOT, capture_output=True, text=True, timeout=180)
    assert child.returncode == 0, child.stderr[-3000:]
    assert child.stdout.split()[-1] == "SELECTED"
