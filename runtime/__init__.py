"""Runtime: PJRT clients and devices, device arrays, compiling and executing with XLA, sharding.

For compiled calls (`tracer`), beside the user-facing API: `ConcreteArray.wrap` / `.signature` /
`.is_sharded` / `.buffer` / `.mark_donated`, `DonatedBuffer`, `Executable.fast_call` and
`.result_signatures`, and the unchecked per-call transfers of `runtime.transfer`.
"""

from runtime import distributed
from runtime.concrete_array import ConcreteArray, DonatedBuffer
from runtime.devices import client, default_device, devices, set_default_backend
from runtime.errors import (CompileError, DistributedError, DonatedArrayError, ExecutionError, PersistentCacheError,
                            PlacementError, ShardingError, UnsupportedDtypeError)
from runtime.executable import Executable, compile_stablehlo
from runtime.lapack import lapack_available
from runtime.persistent_cache import cache_directory, disable_persistent_cache, enable_persistent_cache
from runtime.profiler import profile
from runtime.sharding import Mesh, NamedSharding, PartitionSpec, make_mesh
from runtime.transfer import array_to_device, synchronize, to_device, to_host

__all__ = [
    "CompileError",
    "ConcreteArray",
    "DistributedError",
    "DonatedArrayError",
    "DonatedBuffer",
    "Executable",
    "ExecutionError",
    "Mesh",
    "NamedSharding",
    "PartitionSpec",
    "PersistentCacheError",
    "PlacementError",
    "ShardingError",
    "UnsupportedDtypeError",
    "array_to_device",
    "cache_directory",
    "client",
    "compile_stablehlo",
    "default_device",
    "distributed",
    "devices",
    "disable_persistent_cache",
    "enable_persistent_cache",
    "lapack_available",
    "make_mesh",
    "profile",
    "set_default_backend",
    "synchronize",
    "to_device",
    "to_host",
]
