"""The runtime's uses of jaxlib/JAX internals (PJRT transfers, result handlers, compile options),
each with its public alternative noted. (The MLIR side's one private import, jaxlib's
`_jax_mlir_ext` dialect registration and inliner, sits in `ir/context.py` and `passes/inline.py`.)

Kept small on purpose: when jaxlib moves these, few places change.
"""

from __future__ import annotations

import functools

import numpy as np

import ir  # noqa: F401  (first: it quiets XLA's C++ logging before jaxlib loads)
import jax
import jaxlib._jax as _jax_ext  # C++ extension: device lists, compile options, host->device copies
from jax.extend import backend as _backend

from runtime.lapack import register_lapack

__all__ = ["DeviceList", "JaxRuntimeError", "XLA_OPTIONS", "compile_options", "get_client", "host_to_device",
           "host_to_device_owned", "host_to_sharding", "host_transfer", "partition_specs", "reshard", "result_handlers"]

DeviceList = _jax_ext.DeviceList
JaxRuntimeError = _jax_ext.JaxRuntimeError


def get_client(platform: str | None = None):
    """The PJRT client of a platform ("cpu", "gpu", "tpu"); public: `jax.extend.backend.get_backend`.

    The LAPACK kernels that CPU programs may call are registered first (`runtime/lapack.py`).
    """
    register_lapack()
    return _backend.get_backend(platform)


def compile_options(num_replicas: int = 1, num_partitions: int = 1, device_assignment=None):
    """XLA compile options; public: `jax.extend.backend.get_compile_options`.

    `device_assignment`: device ids, (num_replicas, num_partitions); partition i runs on the i-th.
    """
    options = _backend.get_compile_options(num_replicas, num_partitions, device_assignment=device_assignment)
    options.env_option_overrides = list(XLA_OPTIONS.items())
    return options


# XLA options every compilation gets (JAX's `compiler_options=`; they are part of the compile cache's key).
# xla_allow_excess_precision: XLA computes float16/bfloat16 arithmetic in float32 and, by default, skips the
# rounding to 16 bits between ops (127 + bf16(127 * 112) came out 14351; NumPy rounds the product: 14335).
XLA_OPTIONS = {"xla_allow_excess_precision": False}


def partition_specs(op_shardings, mesh) -> list:
    """XLA's chosen output shardings (OpSharding protos) as PartitionSpecs over `mesh`.

    Private: `jax._src.sharding_impls.parse_flatten_op_sharding` (what jax.jit does for outputs whose
    sharding it leaves to XLA). Public alternative: give every output sharding explicitly.
    """
    from jax._src.sharding_impls import parse_flatten_op_sharding

    return [parse_flatten_op_sharding(op, mesh)[0] for op in op_shardings]


@functools.cache
def _single_device_sharding(device):
    return jax.sharding.SingleDeviceSharding(device)


@functools.cache
def _aval(shape: tuple[int, ...], dtype):
    # batched_device_put wants JAX's abstract value; public alternative: jax.device_put (10x slower per call).
    return jax.core.ShapedArray(shape, dtype)


# Copy host memory during the call: the caller may mutate or free its NumPy array right after.
_COPY = _jax_ext.HostBufferSemantics.IMMUTABLE_ONLY_DURING_CALL
_ZERO_COPY = _jax_ext.HostBufferSemantics.ZERO_COPY
# JAX narrows 64-bit arrays to 32 bits unless jax_enable_x64 is set; NumPy semantics need them kept.
_KEEP_64_BIT = True


def host_to_device(array, device):
    """One NumPy array -> a single-device `jax.Array` (a PJRT buffer), copied now."""
    return host_transfer(array.shape, array.dtype, device)(array)


def host_to_device_owned(array, device):
    """Like `host_to_device` for an array nobody else holds (we just made it): PJRT may use its
    memory in place instead of copying, since no one can change it while the device reads it."""
    return _jax_ext.batched_device_put(
        _aval(array.shape, array.dtype), _single_device_sharding(device), [array], [device], True, False, _ZERO_COPY,
        _KEEP_64_BIT,
    )


def host_transfer(shape: tuple[int, ...], dtype, device):
    """A function copying NumPy arrays of this shape and dtype to `device`, its arguments bound once."""
    put, aval, sharding, devices = _jax_ext.batched_device_put, _aval(shape, dtype), _single_device_sharding(device), [device]
    return lambda array: put(aval, sharding, [array], devices, True, False, _COPY, _KEEP_64_BIT)


def host_to_sharding(array, sharding):
    """One NumPy array -> a `jax.Array` split over `sharding`'s devices, each device given its slice now.

    Public alternative: `jax.device_put(array, sharding)`, which narrows 64-bit arrays to 32 bits.
    """
    aval = _aval(array.shape, array.dtype)
    pieces = sharding.addressable_devices_indices_map(array.shape)
    devices = list(pieces)
    # Our own copy of each piece, which PJRT may then use in place (copy-during-call semantics
    # fail for several devices in this jaxlib); the caller may change its array right after.
    shards = [np.array(array[pieces[d]], order="C", copy=True) for d in devices]
    return _jax_ext.batched_device_put(aval, sharding, shards, devices, True, False, _ZERO_COPY, _KEEP_64_BIT)


def reshard(buffer, sharding):
    """A `jax.Array` already on devices, laid out as `sharding` (a Sharding, or a device).

    Device to device with `jax.device_put` (public) for elements of 32 bits or fewer. 64-bit
    elements go through the host: with 64-bit types off in JAX (our default, since we keep 64-bit
    arrays 64-bit ourselves), `jax.device_put` from a sharded 64-bit array to another layout
    silently drops the high 32 bits.
    """
    if not isinstance(sharding, jax.sharding.Sharding):
        sharding = _single_device_sharding(sharding)
    if buffer.sharding.is_equivalent_to(sharding, len(buffer.shape)):
        return buffer
    if np.dtype(buffer.dtype).itemsize <= 4:
        return jax.device_put(buffer, sharding)
    return host_to_sharding(np.asarray(buffer), sharding)


def result_handlers(signatures, device, shardings=None) -> list:
    """C++ builders of `jax.Array`s for an executable's results, one per (shape, dtype).

    `execute_sharded(...).consume_with_handlers(handlers)` wraps results in C++:
    about 5 us faster per call than `execute(...)` for 20 results. Public alternative:
    `LoadedExecutable.execute`, which builds the arrays in Python.
    """
    if shardings is None:
        shardings = [_single_device_sharding(device)] * len(signatures)
    return [_jax_ext.array_result_handler(_aval(tuple(shape), dtype), sharding, True, True)
            for (shape, dtype), sharding in zip(signatures, shardings)]
