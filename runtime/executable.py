"""Compiling StableHLO text with XLA and running the result through PJRT.

One device, or every device of a `Mesh`: then the module carries Shardy annotations, XLA's SPMD
partitioner splits it (`num_partitions` = mesh size, partition i on the mesh's i-th device) and
one call runs on all of them. Compiled executables go through the persistent cache when enabled.
"""

from __future__ import annotations

import math
import re

import numpy as np

import ir
from runtime import _jaxlib, persistent_cache
from runtime.concrete_array import ConcreteArray
from runtime.devices import default_device
from runtime.errors import CompileError
from runtime.float_conversion import ROUND_FLOAT64_TO_16_BITS_ONCE
from runtime.integer_division import GUARD_DIVISION_BY_ZERO
from runtime.iota_constants import KEEP_NEGATIVE_ZERO_OF_IOTA_CONSTANTS
from runtime.log_guards import KEEP_LOG_OF_POWER_AND_EXP, KEEP_SQRT_OF_SQUARE
from runtime.no_op_precision import DROP_NO_OP_REDUCE_PRECISION
from runtime.sharding import NamedSharding, PartitionSpec
from runtime.xla_rewrites import rewrite_for_xla

__all__ = ["Executable", "compile_stablehlo"]

# What XLA would mishandle in any module, rewritten before it compiles one (in this order).
# (An identity reduce_precision goes before the log guard looks: it may stand between a log and an exp.)
REWRITES_BEFORE_XLA = (GUARD_DIVISION_BY_ZERO, ROUND_FLOAT64_TO_16_BITS_ONCE, DROP_NO_OP_REDUCE_PRECISION,
                       KEEP_NEGATIVE_ZERO_OF_IOTA_CONSTANTS, KEEP_LOG_OF_POWER_AND_EXP, KEEP_SQRT_OF_SQUARE)


# CompiledMemoryStats fields worth reporting, in bytes.
_MEMORY_FIELDS = ("argument_size_in_bytes", "output_size_in_bytes", "alias_size_in_bytes",
                  "temp_size_in_bytes", "generated_code_size_in_bytes", "host_argument_size_in_bytes",
                  "host_output_size_in_bytes", "host_temp_size_in_bytes", "peak_memory_in_bytes")


class Executable:
    """A loaded XLA executable for one device or one mesh; `execute(buffers)` returns the result buffers.

    `result_signatures`: per result, the `ConcreteArray.signature` its arrays have: (shape, dtype), and
    the sharding too for a result split over several devices.
    """

    __slots__ = ("_loaded", "device", "mesh", "result_shardings", "result_signatures", "_handlers",
                 "_execute_sharded")

    def __init__(self, loaded, device, result_signatures, *, mesh=None, result_shardings=None):
        self._loaded = loaded
        self.device = device
        self.mesh = mesh
        self.result_shardings = _result_shardings(loaded, mesh, result_shardings, len(result_signatures))
        self.result_signatures = _array_signatures(result_signatures, self.result_shardings)
        self._handlers = _jaxlib.result_handlers(result_signatures, device, self.result_shardings)
        self._execute_sharded = loaded.execute_sharded  # bound once: the hot path does no lookups

    def execute(self, buffers: list) -> list:
        """Run on device buffers (jax.Array) in argument order; returns one buffer per result.

        Asynchronous: the results are handed back while the device may still be computing them;
        reading one (or `block_until_ready`) waits.
        """
        return self._execute_sharded(buffers).consume_with_handlers(self._handlers)

    def fast_call(self, positions: tuple[int, ...] | None = None):
        """`call(buffers) -> ConcreteArray`: this executable (of one result) run on the device buffers at
        `positions` of `buffers` (None: all of them, in order), its result wrapped.

        The cheapest call from Python, for a caller that has checked its arguments' signatures already:
        everything it needs is bound once, and no buffer is checked. A donated or deleted argument makes
        PJRT raise; the caller tells the user why (its buffer is a `DonatedBuffer`, or deleted).
        """
        if len(self.result_signatures) != 1:
            raise ValueError(f"fast_call runs executables of one result; this one has {len(self.result_signatures)}")
        execute, handlers, signature = self._execute_sharded, self._handlers, self.result_signatures[0]
        shape, dtype = signature[0], signature[1]
        new = object.__new__

        # (ConcreteArray.wrap inlined, and one variant per kind of `positions`: each saves work per call.)
        if positions is None:
            def call(buffers):
                result = new(ConcreteArray)
                result._buffer = execute(buffers).consume_with_handlers(handlers)[0]
                result.shape, result.dtype, result.signature = shape, dtype, signature
                return result
        elif len(positions) == 1:
            (position,) = positions

            def call(buffers):
                result = new(ConcreteArray)
                result._buffer = execute([buffers[position]]).consume_with_handlers(handlers)[0]
                result.shape, result.dtype, result.signature = shape, dtype, signature
                return result
        else:
            def call(buffers):
                result = new(ConcreteArray)
                result._buffer = execute([buffers[i] for i in positions]).consume_with_handlers(handlers)[0]
                result.shape, result.dtype, result.signature = shape, dtype, signature
                return result
        return call

    def hlo_text(self) -> str:
        """XLA's optimised HLO of the compiled program."""
        return "\n\n".join(module.to_string() for module in self._loaded.hlo_modules())

    def cost_analysis(self) -> dict[str, float]:
        """XLA's estimates for one call: "flops", "bytes accessed", "transcendentals", ..."""
        analysis = self._loaded.cost_analysis()
        if isinstance(analysis, (list, tuple)):  # (older jaxlibs: one dict per partition)
            analysis = analysis[0] if analysis else {}
        return {name: float(value) for name, value in dict(analysis).items()}

    def memory_stats(self) -> dict[str, int]:
        """Bytes the program needs per device: arguments, outputs, aliased (donated), temporaries, code."""
        stats = self._loaded.get_compiled_memory_stats()
        return {name: int(getattr(stats, name)) for name in _MEMORY_FIELDS if hasattr(stats, name)}


def _array_signatures(signatures, shardings) -> tuple[tuple, ...]:
    """Per result, the signature of the ConcreteArray that will hold it (see `ConcreteArray.signature`)."""
    if shardings is None:
        return tuple((tuple(shape), np.dtype(dtype)) for shape, dtype in signatures)
    return tuple((tuple(shape), np.dtype(dtype), s) if len(s.device_set) > 1 else (tuple(shape), np.dtype(dtype))
                 for (shape, dtype), s in zip(signatures, shardings))


def _result_shardings(loaded, mesh, given, count: int):
    """Per result: the sharding given, else the one XLA's propagation chose (read from the executable)."""
    if mesh is None:
        return None
    given = list(given) if given is not None else [None] * count
    if any(s is None for s in given):
        op_shardings = loaded.get_output_shardings()
        # (None for a mesh of one device: nothing is split, every result is whole.)
        chosen = ([PartitionSpec()] * count if op_shardings is None
                  else _jaxlib.partition_specs(op_shardings, mesh))
        given = [s if s is not None else NamedSharding(mesh, spec) for s, spec in zip(given, chosen)]
    return given


def compile_stablehlo(module_text: str, device=None, result_signatures=None, *, mesh=None,
                      result_shardings=None, prefetch=None) -> Executable:
    """Compile a StableHLO module (text) for `device` (default: the default device), or for every
    device of `mesh` when the module is annotated with Shardy shardings over it.

    `result_signatures` lists (shape, dtype) of @main's results; read from the text when omitted.
    `result_shardings` (with `mesh`): a NamedSharding per result, or None to let XLA choose.
    `prefetch` (one device): a `runtime.prefetch.Prefetch` begun before this module was traced.
    First the module is rewritten where XLA would mishandle it (`REWRITES_BEFORE_XLA`): integer divisions
    that XLA could fold by zero (and die of it) are guarded (`runtime.integer_division`), f64 -> f16/bf16
    conversions made to round once where XLA rounds twice (`runtime.float_conversion`), identity
    reduce_precisions (`tracer.stop_gradient`'s markers) handed over as their operands (`runtime.no_op_precision`),
    iota-like constants with a -0.0, and log(pow), log(exp) and sqrt(a * a) kept as written (`runtime.iota_constants`,
    `runtime.log_guards`); text nested too deeply for XLA, or with a tensor type of more than 2**63 - 1 bytes, is
    refused (`CompileError`: XLA would crash the process on it).
    """
    _check_nesting(module_text)
    _check_sizes(module_text)
    module_text = rewrite_for_xla(module_text, REWRITES_BEFORE_XLA)
    if result_signatures is None and mesh is not None:
        result_signatures = _main_result_signatures(module_text)
    if mesh is None:
        device = device or default_device()
        devices, options = (device,), _jaxlib.compile_options()
    else:
        devices = tuple(mesh.devices.flat)
        device = devices[0]
        assignment = np.array([d.id for d in devices]).reshape(1, len(devices))
        options = _jaxlib.compile_options(1, len(devices), device_assignment=assignment)
        free = result_shardings is None or any(s is None for s in result_shardings)
        if free:  # results without a sharding of the user's take the one XLA's propagation finds
            given = result_shardings or [None] * len(result_signatures)
            options.executable_build_options.allow_spmd_sharding_propagation_to_output = [s is None for s in given]
    loaded = _compile_or_load(module_text, devices, options, prefetch if mesh is None else None)
    if result_signatures is None:  # (after compiling: XLA's diagnostics for bad text come first)
        result_signatures = _main_result_signatures(module_text)
    return Executable(loaded, device, result_signatures, mesh=mesh, result_shardings=result_shardings)


# XLA lowers each nested region, and each level of a tuple type, by recursion in its own worker threads:
# ~220 regions in regions (stablehlo.if, while), or tuple types ~1000 deep, overflowed their stacks and
# killed the process (SIGSEGV). Half of that is refused with an error instead.
MAX_REGION_NESTING = 100
MAX_BRACKET_NESTING = 256


def _check_nesting(module_text: str) -> None:
    for opening, limit, what in (("{", MAX_REGION_NESTING, "regions (or attribute dictionaries)"),
                                 ("([{<", MAX_BRACKET_NESTING, "brackets (types, regions, attributes)")):
        depth = ir.nesting_depth(module_text, opening)
        if depth > limit:
            raise CompileError(f"the module nests {what} {depth} levels deep; XLA compiles at most {limit} "
                               "(deeper, its recursive lowering overflows a thread's stack and crashes the process)",
                               fix="nest control flow (cond, while_loop, scan ...) or tuple types less deeply")


_TENSOR_TYPE = re.compile(r"tensor<((?:[0-9]+x)+)([a-z][a-z0-9]*)")


def _check_sizes(module_text: str) -> None:
    """A tensor type of more than MAX_BYTES bytes aborted XLA ("overflow in static extent product")."""
    for dims, element in set(_TENSOR_TYPE.findall(module_text)):
        bits = re.search(r"[0-9]+", element)
        itemsize = max(1, int(bits.group()) // 8) if bits else 16  # (i1 is a byte; `index`, `complex<...>`: wide)
        size = math.prod(int(d) for d in dims[:-1].split("x")) * itemsize
        if size > ir.dtypes.MAX_BYTES:
            raise CompileError(f"the module has a tensor<{dims}{element}> of {size:.3g} bytes, more than any array "
                               "can hold (2**63 - 1)", fix="use smaller shapes")


def _compile_or_load(module_text: str, devices: tuple, options, prefetch=None):
    pjrt = devices[0].client  # the client that owns the devices (not one looked up by platform name)
    device_list = _jaxlib.DeviceList(devices)
    key = None
    if persistent_cache.cache_directory() is not None:
        key = persistent_cache.entry_key(module_text, options, pjrt)
        loaded = prefetch.take(key) if prefetch is not None else None
        if loaded is None:
            loaded = persistent_cache.load(key, pjrt, device_list, options)
        if prefetch is not None:
            prefetch.remember(key)
        if loaded is not None:
            return loaded
    try:
        loaded = pjrt.compile_and_load(module_text, device_list, options)
    except _jaxlib.JaxRuntimeError as err:
        raise CompileError(f"XLA could not compile the module: {err}",
                           fix="in hand-written StableHLO, correct what XLA's diagnostic names; from a traced "
                               "function it is a pyreactant bug: report it with the function's as_text('optimized')"
                           ) from None
    if key is not None:
        persistent_cache.store(key, pjrt, loaded)
    return loaded


def _main_result_signatures(module_text: str) -> list[tuple]:
    try:
        return ir.main_signatures(module_text)[1]
    except KeyError:
        raise CompileError("the module has no func.func @main", fix="name the entry function @main") from None
