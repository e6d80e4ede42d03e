"""The only module that touches jaxlib/JAX internals; each use notes its public alternative.

Kept small on purpose: when jaxlib moves these, one file changes.
"""

from __future__ import annotations

import functools

import jax
import jaxlib._jax as _jax_ext  # C++ extension: device lists, compile options, host->device copies
from jax.extend import backend as _backend

Client = _jax_ext.Client
DeviceList = _jax_ext.DeviceList
JaxRuntimeError = _jax_ext.JaxRuntimeError


def get_client(platform: str | None = None):
    """The PJRT client of a platform ("cpu", "gpu", "tpu"); public: `jax.extend.backend.get_backend`."""
    return _backend.get_backend(platform)


def compile_options(num_replicas: int = 1, num_partitions: int = 1):
    """XLA compile options; public: `jax.extend.backend.get_compile_options`."""
    return _backend.get_compile_options(num_replicas, num_partitions)


@functools.cache
def _single_device_sharding(device):
    return jax.sharding.SingleDeviceSharding(device)


@functools.cache
def _aval(shape: tuple[int, ...], dtype):
    # batched_device_put wants JAX's abstract value; public alternative: jax.device_put (10x slower per call).
    return jax.core.ShapedArray(shape, dtype)


# Copy host memory during the call: the caller may mutate or free its NumPy array right after.
_COPY = _jax_ext.HostBufferSemantics.IMMUTABLE_ONLY_DURING_CALL


def host_to_device(array, device):
    """One NumPy array -> a single-device `jax.Array` (a PJRT buffer), copied now."""
    return _jax_ext.batched_device_put(
        _aval(array.shape, array.dtype), _single_device_sharding(device), [array], [device], True, False, _COPY
    )
