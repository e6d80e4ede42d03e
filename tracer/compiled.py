"""`Compiled`: one function compiled for one call signature, and its fast call paths.

Two executables can serve a signature, each compiled on first need:
- "unpacked": one argument per array; used for device-resident (ConcreteArray,
  jax.Array) and mixed arguments, and for `as_text("hlo")`;
- "packed": when every argument is a NumPy array and they are small, they travel
  in one host->device transfer and are unpacked on the device (`ir.packed_arguments`).

Both take only the arguments the optimised module reads (`tracer.optimized_module`): a call's
arrays are mapped onto them here, so an unused argument costs nothing per call.
"""

from __future__ import annotations

import concurrent.futures
import threading

import jax
import numpy as np
from jax import tree_util

import runtime
from ir import packed_arguments
from ir.location import describe, user_frame
from runtime import ConcreteArray, DonatedBuffer, transfer
from tracer import errors, optimized_module, signature
from tracer import sharding as tracer_sharding
from tracer.sharding import ShardingRequest
from tracer.staging import TracedProgram

__all__ = ["Compiled", "PACK_LIMIT_BYTES"]

# One background thread compiles packed executables for ahead-of-time `compile` (XLA releases the GIL).
_BACKGROUND = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="pyreactant-compile")

# Above this many bytes of arguments, packing's host-side copy outweighs the per-transfer cost it saves.
# Measured on CPU, NumPy arguments, call + wait, packed / one transfer each: 2 x 32 KiB 0.38, 7 x 2 KiB 0.59,
# 16 x 2 KiB 0.60; 8 x 16 KiB 1.07, 4 x 32 KiB 1.19, 2 x 144 KiB 1.40 (a batched solve's: +100 us a call),
# 2 x 288 KiB 2.28. (The bound was 1 MiB.)
PACK_LIMIT_BYTES = 1 << 16


def _unusable_argument_error(buffers) -> Exception | None:
    """The clear error for a call that failed on a donated or deleted argument, if that was the cause."""
    for buffer in buffers:
        if type(buffer) is DonatedBuffer:
            return errors.DonatedArgumentError(
                f"an argument was donated (donate_argnums) to the compiled call at {buffer.where}; "
                "its buffer was reused for that call's result",
                fix="pass that call's result instead, or stop donating the argument",
            )
        if isinstance(buffer, jax.Array) and buffer.is_deleted():
            return errors.DonatedArgumentError("an argument's device buffer was deleted",
                                      fix="pass a live array (e.g. the result that replaced it)")
    return None


def _no_data_error(spec) -> Exception:
    return errors.TracedTypeError(f"{spec!r} has no data: it can be compiled for, not run",
                                  fix="call the compiled function with real arrays")


def _host_transfer(shape, dtype, device):
    """Per argument: how to get a device buffer from whatever array the caller passes."""
    to_device = transfer.host_transfer(shape, np.dtype(dtype), device)

    def transfer_(array):
        if isinstance(array, np.ndarray):
            return to_device(array)
        if isinstance(array, np.generic):
            return to_device(np.asarray(array))
        if type(array) is signature.ArraySpec:
            raise _no_data_error(array)
        return array  # a jax.Array is a device buffer already

    return transfer_


def _sharded_transfer(sharding):
    """Per argument of a sharded program: NumPy arrays are split over the mesh as they are copied."""
    def transfer_(array):
        if isinstance(array, (np.ndarray, np.generic)):
            return transfer.host_to_sharding(np.asarray(array), sharding)
        if type(array) is signature.ArraySpec:
            raise _no_data_error(array)
        return array

    return transfer_


def _argument_transfers(signatures, device, plan) -> list:
    """Per module argument, the function that makes a device buffer of a host array given for it."""
    if plan is None:
        return [_host_transfer(shape, dtype, device) for shape, dtype in signatures]
    return [_sharded_transfer(s) for s in plan.arguments]


def _place(buffer, sharding):
    """`buffer` laid out as `sharding`: as it is when it already is, else moved (`runtime.transfer.reshard`;
    only paid when an argument arrives somewhere other than where the program wants it)."""
    if type(buffer) is DonatedBuffer:
        return buffer
    return transfer.reshard(buffer, sharding)


class Compiled:
    """A function traced, optimised and compiled for one signature.

    Call it with arguments of that signature; `as_text(stage)` shows the
    StableHLO as traced ("traced"), after our passes ("optimized"), or XLA's
    optimised HLO ("hlo").
    """

    def __init__(self, fn, program: TracedProgram, *, key, describe: str, pipeline: str | None, static_split,
                 device=None, pass_options=None, shardings: ShardingRequest | None = None, sync: bool = False,
                 prefetch=None):
        """`shardings`: what the call asks about placement (None: nothing). `prefetch`: a
        `runtime.prefetch.Prefetch` begun before tracing, or None."""
        self._fn = fn
        self._key = key
        self._describe = describe
        self._split = static_split
        self._sync = sync
        self._compile_lock = threading.Lock()
        plan = tracer_sharding.plan(program, shardings or ShardingRequest())
        module = optimized_module.optimize(program, pipeline=pipeline, pass_options=pass_options, plan=plan)
        self._traced_text, self._optimized_text = module.traced_text, module.text
        self._module_text = module.debug_text  # what XLA compiles: its HLO metadata names the user's lines
        self._plan = module.plan
        self._device = (device or runtime.default_device()) if self._plan is None else self._plan.mesh.devices.flat[0]
        self._set_arguments(program, module.kept_arguments)
        self._set_results(program)
        self._prefetch = prefetch if self._plan is None else None
        self._execute = None
        self._execute_packed = None
        self._packed_future = None
        self._packed_in_background = False  # (set by compile_ahead)
        self._last_used = 0  # recency stamp, kept by the jit function's bounded cache
        # Whether a call gives up every donated argument's buffer (PJRT deletes what the program was compiled to
        # take): learnt on the first call with donation, then the calls after it check no buffer (see _retire_donated).
        self._donors_all_taken = False

    def _set_arguments(self, program: TracedProgram, kept: tuple[int, ...]) -> None:
        """How a call's arrays become the module's arguments: which are kept, donated, and transferred how."""
        self._array_positions = program.array_positions  # every traced argument's place among the call's leaves
        # Indices among the traced arguments of those the module takes; None when it takes them all.
        self._kept = kept if len(kept) < len(program.in_signatures) else None
        self._in_signatures = tuple(program.in_signatures[i] for i in kept)
        self._donated = tuple(kept.index(i) for i in program.donated_arguments)  # (donated ones are always kept)
        # Written arguments (kept, since donated): (index among the module's arguments, result index of the new value).
        self._mutations = tuple((kept.index(i), result) for i, result in program.mutations)
        self._transfers = _argument_transfers(self._in_signatures, self._device, self._plan)
        self._packing = packed_arguments.PackingPlan.for_signatures(self._in_signatures)
        self._packable = self._plan is None and 0 < len(self._in_signatures) and sum(
            size * dtype.itemsize for size, dtype in zip(self._packing.group_sizes, self._packing.group_dtypes)
        ) <= PACK_LIMIT_BYTES

    def _set_results(self, program: TracedProgram) -> None:
        self._result_count = len(program.out_positions)  # the function's own; written arguments' values follow
        self._out_tree = program.out_tree
        self._out_template = program.out_template
        self._out_positions = program.out_positions
        self._out_signatures = program.out_signatures
        self._forwarded = program.forwarded  # (result position, traced argument index): arguments handed back
        # What results are wrapped with: their ConcreteArray signatures (with the sharding, once compiled split).
        self._result_signatures = program.out_signatures
        self._result_slots = None  # (position, shape, dtype, signature) per result: `_wrap`'s loop, made once
        # A bare array result: skip rebuilding a pytree on every call.
        self._single_output = len(program.out_positions) == 1 and program.out_tree == tree_util.tree_structure(0)

    # -- executables, compiled on first need ---------------------------------
    def _unpacked_executable(self) -> runtime.Executable:
        with self._compile_lock:  # threads calling a new signature at once compile it once
            if self._execute is None:
                if self._plan is None:
                    executable = runtime.compile_stablehlo(self._module_text, self._device, self._out_signatures,
                                                           prefetch=self._prefetch)
                    self._prefetch = None
                else:
                    executable = runtime.compile_stablehlo(self._module_text, result_signatures=self._out_signatures,
                                                           mesh=self._plan.mesh, result_shardings=self._plan.results)
                    self._result_signatures = executable.result_signatures
                    self._result_slots = None
                self._executable = executable
                self._execute = executable.execute
        return self._executable

    def _packed_execute(self):
        if self._execute_packed is None:
            text = packed_arguments.pack_arguments_module(self._module_text, self._in_signatures, self._packing)
            self._execute_packed = runtime.compile_stablehlo(text, self._device, self._out_signatures).execute
        return self._execute_packed

    # -- introspection --------------------------------------------------------------
    def cost_analysis(self) -> dict[str, float]:
        """XLA's estimate of one call's work: "flops", "bytes accessed", "transcendentals", ..."""
        return self._unpacked_executable().cost_analysis()

    def memory_stats(self) -> dict[str, int]:
        """Bytes per device: "argument_size_in_bytes", "output_size_in_bytes", "alias_size_in_bytes"
        (outputs written into donated inputs), "temp_size_in_bytes", "generated_code_size_in_bytes", ..."""
        return self._unpacked_executable().memory_stats()

    @property
    def result_tree(self):
        """The treedef of the function's result (its static leaves included)."""
        return self._out_tree

    @property
    def sharding_plan(self):
        """The mesh and shardings this program runs with (one per argument the module takes, per result), or
        None (one device)."""
        return self._plan

    def compile_ahead(self) -> None:
        """For ahead-of-time `tracer.compile`: compile the executable every call can use now. The packed
        one (a speed-up for NumPy arguments) is compiled in the background from the first call that
        could use it, which meanwhile takes the per-argument path: no call waits on XLA, and a program
        only ever called with device arrays never compiles it (nor spends start-up time on it)."""
        self._unpacked_executable()
        self._packed_in_background = True

    def _packed_ready(self):
        """The packed executable if it can run now: compiled on demand, or (after `compile_ahead`) in
        the background, and None while that is under way (the call takes the per-argument path)."""
        if self._execute_packed is not None:
            return self._execute_packed
        if not self._packed_in_background:
            return self._packed_execute()
        with self._compile_lock:
            if self._packed_future is None:
                self._packed_future = _BACKGROUND.submit(self._packed_execute)
        future = self._packed_future
        return future.result() if future.done() else None

    def as_text(self, stage: str = "optimized") -> str:
        if stage == "traced":
            return self._traced_text
        if stage == "optimized":
            return self._optimized_text
        if stage == "hlo":
            return self._unpacked_executable().hlo_text()
        raise ValueError(f"unknown stage {stage!r}; use 'traced', 'optimized' or 'hlo'")

    # -- calls ------------------------------------------------------------------
    def __call__(self, *args, **kwargs):
        dyn_args, dyn_kwargs, static_key = self._split(args, kwargs)
        leaves, treedef = signature.flatten(dyn_args, dyn_kwargs)
        key = (treedef, static_key, signature.leaf_keys(leaves))
        if key != self._key and not self._same_but_for_placement(key):
            raise errors.SignatureMismatchError(
                f"this function was compiled for ({self._describe}) but is called with "
                f"({signature.describe_call(self._fn, args, kwargs)})",
                fix="call tracer.compile again for the new signature, or use tracer.jit, which compiles one per signature",
            )
        return self.run_leaves(leaves)

    def _same_but_for_placement(self, key) -> bool:
        """With in_shardings given, where the arguments live does not select the program: it moves them."""
        return (self._plan is not None and self._plan.explicit_inputs
                and signature.without_placement(key) == signature.without_placement(self._key))

    def run_leaves(self, leaves: list):
        """Execute on already-checked input leaves and rebuild the result pytree."""
        positions = self._array_positions
        arrays = leaves if len(positions) == len(leaves) else [leaves[i] for i in positions]  # (every leaf an array)
        return self.run_flat(arrays, all(type(a) is np.ndarray for a in arrays))

    def run_flat(self, arrays, all_host: bool):
        """Execute on every traced argument's array, in order; `all_host`: every one is a NumPy ndarray."""
        forwarded = self._forwarded_values(arrays) if self._forwarded else None
        if self._kept is not None:
            arrays = self._kept_arrays(arrays)
            all_host = all(type(a) is np.ndarray for a in arrays)
        if all_host and self._packable:
            execute = self._execute_packed or self._packed_ready()
            if execute is not None:
                device, to_device = self._device, transfer.host_to_device_owned
                outputs = execute([to_device(group, device) for group in self._packing.pack(arrays)])
                if self._mutations:
                    self._write_back(arrays, outputs)
                return self._wrap(outputs, forwarded)
        buffers = [a.buffer if type(a) is ConcreteArray else to_device(a) for a, to_device in zip(arrays, self._transfers)]
        return self._run(arrays, buffers, forwarded)

    def run_buffers(self, arrays, buffers: list):
        """Execute on ConcreteArrays, one per traced argument in order, and `buffers`, their buffers."""
        forwarded = self._forwarded_values(arrays) if self._forwarded else None
        if self._kept is not None:
            arrays, buffers = [arrays[i] for i in self._kept], [buffers[i] for i in self._kept]
        return self._run(arrays, buffers, forwarded)

    def _forwarded_values(self, arrays) -> list:
        """The results that are arguments as given (`TracedProgram.forwarded`), from every traced argument's
        array: a ConcreteArray is handed back itself (as NumPy returns the same object), any other array as a
        device copy of its own (a caller's jax.Array stays the caller's). Made before the program runs, so a
        donated one fails the call before anything is consumed."""
        values = []
        for _, index in self._forwarded:
            array = arrays[index]
            if type(array) is ConcreteArray:
                buffer = array.buffer
                error = _unusable_argument_error((buffer,))
                if error is not None:
                    raise error
            elif type(array) is signature.ArraySpec:
                raise _no_data_error(array)
            elif isinstance(array, (np.ndarray, np.generic)):
                array = transfer.array_to_device(array, self._device)
            else:  # a jax.Array
                array = ConcreteArray(transfer.copy_buffer(array))
            values.append(array)
        return values

    def _kept_arrays(self, arrays) -> list:
        """The arrays of the arguments the module takes. (An ArraySpec where an unused argument goes
        still fails: it cannot be run, whatever the program reads.)"""
        for array in arrays:
            if type(array) is signature.ArraySpec:
                raise _no_data_error(array)
        return [arrays[i] for i in self._kept]

    def _run(self, arrays, buffers: list, forwarded=None):
        """Execute on `buffers`, the module's arguments, made of `arrays` (the arrays given for them);
        `forwarded`: the results that are arguments (`_forwarded_values`), or None."""
        if self._plan is not None:
            buffers = [_place(buffer, s) for buffer, s in zip(buffers, self._plan.arguments)]
        if self._donated:
            if self._mutations:
                buffers = self._separate_written(arrays, buffers)
            self._check_donation(buffers)
        execute = self._execute or self._unpacked_executable().execute
        try:
            outputs = execute(buffers)
        except Exception:
            self.raise_execute_error(buffers)
        if self._donated:
            self._retire_donated(arrays, buffers)
        if self._mutations:
            self._write_back(arrays, outputs)
        return self._wrap(outputs, forwarded)

    # -- arguments the function wrote into -------------------------------------------------------------------
    def _separate_written(self, arrays, buffers: list) -> list:
        """Buffers for a call of a function that writes into arguments: the buffer of a written argument is
        donated, so one that is also passed elsewhere, or is a jax.Array's (immutable: the caller keeps it),
        is given as a copy."""
        buffers = list(buffers)
        for index, _ in self._mutations:
            buffer = buffers[index]
            shared = sum(b is buffer for b in buffers) > 1
            if shared or (type(arrays[index]) is not ConcreteArray and isinstance(arrays[index], jax.Array)):
                buffers[index] = transfer.copy_buffer(buffer)
        return buffers

    def _write_back(self, arrays, outputs) -> None:
        """As NumPy would have: each written argument takes its new value. A NumPy array is overwritten in place
        (after the computation, which this waits for); a ConcreteArray takes the new buffer."""
        for index, result in self._mutations:
            array = arrays[index]
            if type(array) is ConcreteArray:
                array.take_buffer(outputs[result])
            elif isinstance(array, np.ndarray):
                try:
                    np.copyto(array, np.asarray(outputs[result]))
                except ValueError as err:  # a read-only array: NumPy's own write would have raised
                    raise errors.TracedShapeError(f"a traced function wrote into a read-only argument: {err}",
                                                  fix="pass a writable array, or jit with mutate_arguments=False") from None

    def fast_entry(self) -> tuple:
        """What `tracer.jit`'s hot path keeps to run this program on ConcreteArrays: (self, call), where
        nothing but the execute is needed (one device, no donation, no sync, one array result) `call` being
        the executable's own `fast_call(buffers)` over every traced argument's buffer; else (self, None): it
        calls `run_buffers`. (Kept by the jit function, not on `self`: no reference cycle keeps an evicted
        executable alive.)"""
        executable = self._unpacked_executable()
        if self._plan is not None or self._donated or self._sync or not self._single_output:
            return self, None
        return self, executable.fast_call(self._kept)

    def raise_call_error(self, buffers):
        """Called in an `except` block around `fast_entry`'s call on every traced argument's buffer: raise
        the clear error when a donated or deleted argument was the cause, else re-raise what the call raised."""
        if self._kept is not None:
            buffers = [buffers[i] for i in self._kept]
        self.raise_execute_error(buffers)

    @staticmethod
    def raise_execute_error(buffers):
        """Called in an `except` block around an execute: raise the clear error when a donated or
        deleted argument was the cause, else re-raise what the execute raised."""
        error = _unusable_argument_error(buffers)
        if error is not None:
            raise error from None
        raise  # noqa: PLE0704  (the exception being handled by the caller)

    def _check_donation(self, buffers) -> None:
        if len(set(map(id, buffers))) == len(buffers):  # (no buffer twice: one pass, not one per donor)
            return
        donated = [buffers[i] for i in self._donated]
        for buffer in donated:
            if sum(b is buffer for b in buffers) > 1:
                raise errors.DonatedArgumentError(
                    "the same array is passed twice while one of the two is donated (donate_argnums): "
                    "its buffer cannot both be reused for a result and be read",
                    fix="pass a copy for one of them, or stop donating it",
                )

    def _retire_donated(self, arrays, buffers) -> None:
        """Donated ConcreteArrays whose buffer XLA took now say where, instead of holding a freed buffer.

        PJRT takes every buffer the program was compiled to take, so once a call has seen all of them
        deleted, later calls mark the donated ConcreteArrays without asking each buffer (a training step
        donates hundreds)."""
        marker, concrete = None, ConcreteArray
        if self._donors_all_taken:
            for index in self._donated:
                array = arrays[index]
                if type(array) is concrete:
                    if marker is None:
                        marker = DonatedBuffer(describe(user_frame()))
                    array._buffer = marker  # (`mark_donated`, inlined)
            return
        taken = 0
        for index in self._donated:
            if buffers[index].is_deleted():
                taken += 1
                if type(arrays[index]) is concrete:
                    if marker is None:
                        marker = DonatedBuffer(describe(user_frame()))
                    arrays[index].mark_donated(marker)
        self._donors_all_taken = taken == len(self._donated)

    def _wrap(self, outputs, forwarded=None):
        """Results as ConcreteArrays, while the device may still compute them (unless compiled with sync=True);
        `forwarded`: the results that are arguments (`_forwarded_values`), or None."""
        wrap = ConcreteArray.wrap
        if self._single_output:
            result = wrap(outputs[0], self._result_signatures[0])
            return result.block_until_ready() if self._sync else result  # (a failed computation: ExecutionError)
        result = list(self._out_template)
        slots = self._result_slots
        if slots is None:
            slots = self._result_slots = tuple((position, tuple(s[0]), s[1], s) for position, s in
                                               zip(self._out_positions, self._result_signatures))
        new, concrete = object.__new__, ConcreteArray
        for (position, shape, dtype, out_signature), buffer in zip(slots, outputs):  # (`ConcreteArray.wrap`, inlined)
            array = new(concrete)
            array._buffer, array.shape, array.dtype, array.signature = buffer, shape, dtype, out_signature
            result[position] = array
        if forwarded:
            for (position, _), array in zip(self._forwarded, forwarded):
                result[position] = array
        if self._sync:
            for p in self._out_positions:
                result[p].block_until_ready()
            for array in forwarded or ():
                array.block_until_ready()
        return tree_util.tree_unflatten(self._out_tree, result)
