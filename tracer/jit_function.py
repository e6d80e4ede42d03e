"""`tracer.jit` and `tracer.compile`: trace once per call signature, compile with XLA, run.

The chain for a call: flatten arguments (jax.tree_util) -> signature key ->
cache hit: `Compiled.run_leaves`; miss: trace -> passes pipeline -> XLA compile.
Calls of positional arrays only skip the pytree work (`_concrete_cache`, `_flat_cache`); with
ConcreteArrays only, `__call__` reads their signatures and buffers and, for most programs, runs the
executable's own `runtime.Executable.fast_call` (see `Compiled.fast_entry`).
"""

from __future__ import annotations

import functools
import inspect
import itertools
import operator
import re
import threading
import warnings
from typing import Callable, Sequence

import numpy as np
from jax import tree_util

import passes
from ir.location import describe, user_frame
import runtime
from runtime import ConcreteArray, persistent_cache, prefetch
from tracer import signature
from tracer.carried_call import CarriedCall
from tracer.compiled import Compiled
from tracer.errors import TracedTypeError, TracerError
from tracer.sharding import ShardingRequest
from tracer.staging import trace
from tracer.trace_state import _state as _trace_state
from tracer.trace_state import current_trace

__all__ = ["DEFAULT_CACHE_SIZE", "JitFunction", "JitOptionError", "LostWriteWarning", "compile", "jit"]


class LostWriteWarning(UserWarning):
    """A function compiled with `jit(..., mutate_arguments=False)` writes into an argument: the caller's array
    keeps its value (NumPy would have changed it)."""


class JitOptionError(TracerError, ValueError):
    """An option of `tracer.jit` / `tracer.compile` that is not valid (or two that exclude each other)."""


def _as_tuple(value) -> tuple:
    if value is None:
        return ()
    return (value,) if isinstance(value, (int, str)) else tuple(value)


def _resolve_static(fn, argnums: tuple, argnames: tuple) -> tuple[tuple[int, ...], tuple[str, ...]]:
    """Make static_argnums and static_argnames name the same parameters, so a static argument
    is static whether it is passed by position or by keyword (as in JAX's jit)."""
    try:
        parameters = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return tuple(sorted(set(argnums))), argnames
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if not any(p.kind is p.VAR_POSITIONAL for p in parameters):
        for number in argnums:
            if not -len(positional) <= number < len(positional):
                raise JitOptionError(f"static_argnums={number} is out of range for {getattr(fn, '__name__', fn)}, "
                                     f"which takes {len(positional)} positional argument(s)",
                                     fix=f"give numbers from {-len(positional)} to {len(positional) - 1}")
        argnums = tuple(n % len(positional) for n in argnums)
    elif any(n < 0 for n in argnums):
        raise JitOptionError("negative static_argnums need a function without *args",
                             fix="count static arguments from the start (0, 1, ...)")
    nums, names = set(argnums), set(argnames)
    for index, parameter in enumerate(positional):
        if parameter.name in names:
            nums.add(index)
        if index in nums and parameter.kind is parameter.POSITIONAL_OR_KEYWORD:
            names.add(parameter.name)
    return tuple(sorted(nums)), tuple(sorted(names))


class JitFunction:
    """A function compiled on demand: one `Compiled` per call signature, cached in memory."""

    def __init__(self, fn: Callable, *, static_argnums=(), static_argnames=(), donate_argnums=(),
                 pipeline: str | None = None, optimize: bool = True, device=None, pass_options: dict | None = None,
                 donate: str | None = None, in_shardings=None, out_shardings=None, sync: bool = False,
                 cache_size: int | None = None, mutate_arguments: bool = True):
        if inspect.isgeneratorfunction(fn) or inspect.isasyncgenfunction(fn) or inspect.iscoroutinefunction(fn):
            # A generator's body runs only when iterated, after tracing ended: jit would return a generator.
            kind = "a coroutine" if inspect.iscoroutinefunction(fn) else "a generator"
            raise TracedTypeError(f"{getattr(fn, '__qualname__', fn)!r} is {kind} function (it yields or awaits), "
                                  "which jit cannot trace: its body runs only when iterated, outside the compiled call",
                                  fix="return the values instead of yielding them (a tuple or list of arrays), or "
                                      "jit the function that computes each item")
        self.fn = fn
        self.mutate_arguments = mutate_arguments
        self._warned_lost_write = False  # (mutate_arguments=False warns once per function)
        self.static_argnums, self.static_argnames = _resolve_static(fn, _as_tuple(static_argnums), _as_tuple(static_argnames))
        self.donate_argnums = _as_tuple(donate_argnums)
        if donate not in _DONATE_MODES:
            raise JitOptionError(f"donate={donate!r} is not an option", fix="use donate='auto' (every argument a result "
                                 "of the same shape and dtype can reuse) or donate_argnums=(...)")
        if donate is not None and self.donate_argnums:
            raise JitOptionError("give donate='auto' or donate_argnums, not both", fix="drop one of them")
        self.donate = donate
        self.in_shardings, self.out_shardings = in_shardings, out_shardings
        self.sync = sync  # block until results are computed before returning them
        self.cache_size = DEFAULT_CACHE_SIZE if cache_size is None else cache_size
        if self.cache_size < 1:
            raise JitOptionError(f"cache_size={cache_size} must be at least 1",
                                 fix="give a positive bound, or None for the default")
        self._lock = threading.Lock()  # held while compiling a new signature, so threads compile it once
        # None: the default pipeline; "": no passes of ours (as optimize=False).
        self.pipeline = (passes.DEFAULT_PIPELINE if pipeline is None else pipeline) if optimize else None
        self.device = device
        self.pass_options = pass_options  # PassManager keywords: print_ir_after_all, stream, ...
        # Signature key -> Compiled; each Compiled carries `_last_used`, a stamp from `_next_tick` set by
        # calls, and the least recently used is evicted past `cache_size` (see `_compile`).
        self._cache: dict = {}
        # Calls whose arguments are all positional arrays skip pytree flattening, keyed by their signatures:
        # all ConcreteArrays -> `Compiled.fast_entry()` (one argument: keyed by its bare signature, which
        # no tuple of signatures equals), NumPy or mixed -> Compiled.
        self._concrete_cache: dict = {}
        self._flat_cache: dict = {}
        self._flat_calls_ok = not self.static_argnums and not self.static_argnames
        # Recency is stamped on calls once the cache is more than half full (see `_compile`).
        self._stamping = False
        functools.update_wrapper(self, fn)

    def _split(self, args, kwargs):
        return signature.split_static(args, kwargs, self.static_argnums, self.static_argnames)

    def __call__(self, *args, **kwargs):
        if not kwargs and self._flat_calls_ok:
            # The hot path: every argument a ConcreteArray already compiled for. One loop reads their
            # signatures and buffers; a hit runs the executable with no pytree work and no further checks.
            if len(args) == 1:  # the commonest call: keyed by the bare signature, no loop, no key tuple
                arg = args[0]
                if type(arg) is not ConcreteArray:
                    return self._call_flat(args)
                key, buffers = arg.signature, [arg.buffer]
            else:
                key, buffers = [], []
                for arg in args:
                    if type(arg) is not ConcreteArray:
                        return self._call_flat(args)  # NumPy (or mixed) arguments, or other leaves
                    key.append(arg.signature)
                    buffers.append(arg.buffer)
                key = tuple(key)
            entry = self._concrete_cache.get(key)
            # (`current_trace()` inlined; inside a trace the call inlines instead, below)
            if entry is not None and _trace_state.trace is None:
                compiled, call = entry
                if self._stamping:
                    compiled._last_used = _next_tick()
                if call is None:
                    return compiled.run_buffers(args, buffers)
                try:  # `Compiled.fast_entry`'s case: one device, no donation, no sync, one array result
                    return call(buffers)
                except Exception:  # (a donated or deleted argument: say so, naming where it was donated)
                    compiled.raise_call_error(buffers)
            return self._call_tree(args, {}, key, concrete=True)
        return self._call_tree(args, kwargs, None)

    def _call_flat(self, args):
        """A call of positional arguments not all ConcreteArrays: all arrays (some NumPy), or not."""
        flat_key = self._flat_key(args)
        if flat_key is None:
            return self._call_tree(args, {}, None)
        key, all_host = flat_key
        compiled = self._flat_cache.get(key)
        if compiled is None or current_trace() is not None:
            return self._call_tree(args, {}, key)
        if self._stamping:
            compiled._last_used = _next_tick()
        return compiled.run_flat(args, all_host)

    def _call_tree(self, args, kwargs, flat_key, concrete: bool = False):
        """The general path: pytree arguments, static arguments, keywords, a new signature, or tracing.
        `flat_key`: the call's signature key for the flat-call caches (every argument an array), else None;
        `concrete`: every argument is a ConcreteArray."""
        if current_trace() is not None:
            # A jit function called while tracing another: inline it into the enclosing trace.
            return self.fn(*args, **kwargs)
        compiled, leaves, key = self._compiled_for(args, kwargs)
        # (Not when another thread evicted it meanwhile: the flat caches must not keep it alive.)
        if concrete:
            entry = compiled.fast_entry()
            if self._cache.get(key) is compiled:
                self._concrete_cache[flat_key] = entry
            return compiled.run_buffers(args, [arg.buffer for arg in args])
        if flat_key is not None and self._cache.get(key) is compiled:
            self._flat_cache[flat_key] = compiled
        return compiled.run_leaves(leaves)

    def _compiled_for(self, args, kwargs):
        """The call's `Compiled` (traced and compiled on a miss, its recency stamped on a hit), its array
        leaves and its cache key."""
        dyn_args, dyn_kwargs, static_key = self._split(args, kwargs)
        leaves, treedef = signature.flatten(dyn_args, dyn_kwargs)
        key = (treedef, static_key, signature.leaf_keys(leaves))
        compiled = self._cache.get(key)
        if compiled is None:
            compiled = self._compile(args, kwargs, dyn_args, leaves, treedef, static_key, key)
        else:
            compiled._last_used = _next_tick()
        return compiled, leaves, key

    @staticmethod
    def _flat_key(args) -> tuple[tuple, bool] | None:
        """When each argument is a ConcreteArray or NumPy array: (their signatures, whether all are NumPy);
        otherwise None."""
        key, device = [], False
        for arg in args:
            kind = type(arg)
            if kind is ConcreteArray:
                key.append(arg.signature)
                device = True
            elif kind is np.ndarray:
                key.append((arg.shape, arg.dtype))
            else:
                return None
        return tuple(key), not device

    def lower(self, *args, **kwargs):
        """Trace only, for this call (arrays or `tracer.ArraySpec`s): the StableHLO module before our passes.

        Nothing is cached or compiled; `ir.print_module(f.lower(x))` shows what the tracer recorded.
        """
        dyn_args, dyn_kwargs, static_key = self._split(args, kwargs)
        leaves, treedef = signature.flatten(dyn_args, dyn_kwargs)
        return trace(self.fn, leaves, treedef, static_key, donated=self._donated_leaves(args, dyn_args, leaves),
                     mutate_arguments=self.mutate_arguments, platform=self._platform()).module

    def carried_call(self, args: tuple, carried_arguments: Sequence[int], carried_results: Sequence[int]) -> CarriedCall:
        """A `CarriedCall` of the program this call runs (tracing and compiling it if need be) for a loop that
        feeds results back as arguments: the state is the leaves of the positional arguments numbered
        `carried_arguments`, in that order, and its next value the leaves of the items `carried_results` of the
        tuple the function returns. Raises ValueError when the program cannot run that way (`CarriedCall`)."""
        if any(number in self.static_argnums for number in carried_arguments):
            raise ValueError("the carried arguments must not be static")
        compiled, leaves, _ = self._compiled_for(args, {})
        starts, start = {}, 0
        for position, arg in enumerate(args):
            if position not in self.static_argnums:
                count = tree_util.tree_structure(arg).num_leaves
                starts[position] = range(start, start + count)
                start += count
        items, start, result_ranges = compiled.result_tree.children(), 0, []
        for item in items:
            result_ranges.append(range(start, start + item.num_leaves))
            start += item.num_leaves
        carry_in = [i for position in carried_arguments for i in starts[position]]
        carry_out = [i for item in carried_results for i in result_ranges[item]]
        return CarriedCall(compiled, leaves, carry_in, carry_out, compiled.result_tree.num_leaves)

    @property
    def cache_info(self) -> dict:
        """How many signatures are compiled and the bound (least recently used are evicted past it)."""
        return {"size": len(self._cache), "max_size": self.cache_size}

    def compile(self, *args, **kwargs) -> Compiled:
        """Trace and compile for this call signature (or fetch it from the cache) without running."""
        compiled, _, _ = self._compiled_for(args, kwargs)
        compiled.compile_ahead()  # ahead of time: XLA's errors (and its time) here, not at the first call
        return compiled

    def _compile(self, args, kwargs, dyn_args, leaves, treedef, static_key, key) -> Compiled:
        with self._lock:
            compiled = self._cache.get(key)  # another thread may have compiled it while we waited
            if compiled is not None:
                return compiled
            where = describe(user_frame())
            prefetched = self._start_prefetch(key)  # loads last time's executable while we trace
            # A result that is an argument unchanged is handed back by the call, not copied by the program
            # (not with shardings asked for: the result's may differ from the argument's).
            forward = self.in_shardings is None and self.out_shardings is None
            program = trace(self.fn, leaves, treedef, static_key, donated=self._donated_leaves(args, dyn_args, leaves),
                            mutate_arguments=self.mutate_arguments, platform=self._platform(),
                            forward_arguments=forward)
            if program.lost_writes and not self._warned_lost_write:
                self._warned_lost_write = True
                warnings.warn(f"{where}: {getattr(self.fn, '__qualname__', self.fn)} writes into "
                              f"{len(program.lost_writes)} of its array arguments, but jit(mutate_arguments=False) keeps "
                              "the caller's arrays unchanged: return the new values instead", LostWriteWarning,
                              stacklevel=2)
            compiled = Compiled(self.fn, program, key=key, describe=signature.describe_call(self.fn, args, kwargs),
                                pipeline=self.pipeline, static_split=self._split, device=self.device,
                                pass_options=self.pass_options, sync=self.sync, prefetch=prefetched,
                                shardings=ShardingRequest(self.in_shardings, self.out_shardings, tuple(dyn_args),
                                                          tuple(leaves), where))
            compiled._last_used = _next_tick()
            self._cache[key] = compiled
            # Least-recently-used order matters only once evictions can come: calls stamp their Compiled's
            # `_last_used` from when the cache is more than half full (a stamp costs the hot path ~50 ns).
            # Before, the stamps are those of compiling and of slow-path calls, so among signatures not
            # called since the cache passed half its bound, the older compiled goes first.
            self._stamping = self._stamping or len(self._cache) > self.cache_size // 2
            while len(self._cache) > self.cache_size:
                # Least recently used: the smallest stamp. (A scan, paid only when a new signature
                # overflows the bound; calls pay one stamp each instead of reordering the cache.)
                self._evict(min(self._cache.values(), key=_LAST_USED))
            return compiled

    def _platform(self) -> str | None:
        """The platform of `device=` (None: the default device's, decided where the trace asks)."""
        return None if self.device is None else self.device.platform

    def _start_prefetch(self, key):
        """With the disk cache on, begin loading the executable this call site had in an earlier process
        (`runtime.prefetch`): a guess, named by the function, the signature and our options, and taken
        only if the traced module's key agrees. Not for sharded programs, whose compile options differ."""
        if persistent_cache.cache_directory() is None or self.in_shardings is not None or self.out_shardings is not None:
            return None
        if any(map(signature.is_placed, key[2])):
            return None  # an argument split over devices
        device = self.device or runtime.default_device()
        code = getattr(self.fn, "__code__", None)
        try:
            hint = persistent_cache.parts_key(
                getattr(self.fn, "__module__", None) or "", getattr(self.fn, "__qualname__", None) or repr(type(self.fn)),
                repr((code.co_filename, code.co_firstlineno) if code is not None else None),
                _ADDRESS.sub("", repr(key)),  # (object addresses differ between processes; the rest does not)
                repr((self.pipeline, self.pass_options, self.donate, self.donate_argnums, self.sync)),
                device.platform, str(device.id))
        except Exception:  # noqa: BLE001  (a static argument whose repr fails: no guess, and no harm done)
            return None
        return prefetch.start(hint, device)

    def _evict(self, compiled) -> None:
        """Forget `compiled` everywhere, so its executables (and device code) can be freed."""
        self._cache.pop(compiled._key, None)
        # (list(...) copies atomically: other threads may add entries while we look.)
        for flat_key in [k for k, v in list(self._flat_cache.items()) if v is compiled]:
            self._flat_cache.pop(flat_key, None)
        for flat_key in [k for k, v in list(self._concrete_cache.items()) if v[0] is compiled]:
            self._concrete_cache.pop(flat_key, None)

    def _donated_leaves(self, args, dyn_args, leaves) -> frozenset[int] | str:
        """Indices of array leaves inside the donated positional arguments ("auto": decided after tracing)."""
        if self.donate == "auto":
            return "auto"
        if not self.donate_argnums:
            return frozenset()
        dynamic_positions = [i for i in range(len(args)) if i not in self.static_argnums]
        donated, start = set(), 0
        for position, arg in zip(dynamic_positions, dyn_args):
            count = len(signature.flatten((arg,), {})[0])
            if position in self.donate_argnums:
                donated.update(i for i in range(start, start + count) if signature.is_array_leaf(leaves[i]))
            start += count
        return frozenset(donated)

    def clear_cache(self) -> None:
        self._cache.clear()
        self._flat_cache.clear()
        self._concrete_cache.clear()

    def __repr__(self) -> str:
        return f"<tracer.jit of {getattr(self.fn, '__qualname__', self.fn)}: {len(self._cache)} compiled signature(s)>"


def jit(fn: Callable | None = None, *, static_argnums: int | Sequence[int] = (), static_argnames: str | Sequence[str] = (),
        donate_argnums: int | Sequence[int] = (), pipeline: str | None = None, optimize: bool = True, device=None,
        donate: str | None = None, in_shardings=None, out_shardings=None, sync: bool = False,
        cache_size: int | None = None, mutate_arguments: bool = True):
    """Compile `fn` with XLA on first call for each signature (tree structure, shapes, dtypes, static values).

    Calls are asynchronous: they return ConcreteArrays as soon as the work is queued; reading one
    (np.asarray), `.block_until_ready()` or `runtime.synchronize(tree)` waits for it.

    Arguments:
        static_argnums / static_argnames: arguments that are configuration, not data: part of the
            cache key by value (hashable), visible to Python control flow.
        donate_argnums: positional arguments whose device buffers the call may reuse for results.
        donate: "auto" donates every array argument that a result of the same shape and dtype can reuse
            (a training step's parameters and optimiser state); donated ConcreteArrays are deleted by the call.
        in_shardings: a `runtime.NamedSharding` for every argument, or a tuple with one entry per positional
            argument (a sharding, None = replicated, or a pytree of them matching the argument). The program
            is compiled for the mesh's devices and XLA's SPMD partitioner splits it. Without it, arguments
            placed with `runtime.to_device(x, sharding=...)` keep their sharding.
        out_shardings: the same for results; None (default) lets XLA choose.
        sync: block until the results are computed before returning.
        cache_size: how many signatures stay compiled (least recently used are evicted); default
            `tracer.jit.DEFAULT_CACHE_SIZE`.
        mutate_arguments: a NumPy array or ConcreteArray argument the function writes into (`x[...] = v`,
            `x += v`, `np.copyto(x, v)`, `ufunc(..., out=x)`) takes its new value after the call, as in NumPy
            (a NumPy array is overwritten in place, a ConcreteArray takes the new buffer: its old one is donated).
            False: arguments are values (the caller's arrays never change); a write into one warns once.
        pipeline: pass pipeline run on the traced module (default `passes.DEFAULT_PIPELINE`).
        optimize: False skips our passes (XLA still optimises).
    Usable as `@jit` or `@jit(static_argnums=...)`.
    """
    options = dict(static_argnums=static_argnums, static_argnames=static_argnames, donate_argnums=donate_argnums,
                   pipeline=pipeline, optimize=optimize, device=device, donate=donate, in_shardings=in_shardings,
                   out_shardings=out_shardings, sync=sync, cache_size=cache_size, mutate_arguments=mutate_arguments)
    if fn is None:
        return lambda f: JitFunction(f, **options)
    return JitFunction(fn, **options)


def compile(fn: Callable, *args, pipeline: str | None = None, optimize: bool = True, donate: str | None = None,  # noqa: A001
            sync: bool | None = None, in_shardings=None, out_shardings=None, **kwargs) -> Compiled:
    """Ahead-of-time: trace and compile `fn` for exactly this signature; returns a `Compiled`.

    `fn` may be a plain function or a `tracer.jit` function (whose options are kept unless given here).
    Arguments may be arrays or `tracer.ArraySpec(shape, dtype)` placeholders. `donate`, `sync`,
    `in_shardings`, `out_shardings`: as for `tracer.jit`.
    """
    overrides = {name: value for name, value in dict(donate=donate, sync=sync, in_shardings=in_shardings,
                                                     out_shardings=out_shardings).items() if value is not None}
    if isinstance(fn, JitFunction):
        if pipeline is not None or not optimize or overrides:
            keep_passes = pipeline is None and optimize  # no pass option given here: the jit function's
            options = dict(static_argnums=fn.static_argnums, static_argnames=fn.static_argnames,
                           donate_argnums=() if donate else fn.donate_argnums,
                           pipeline=(fn.pipeline or "") if keep_passes else pipeline, optimize=optimize,
                           device=fn.device, donate=fn.donate, in_shardings=fn.in_shardings,
                           out_shardings=fn.out_shardings, sync=fn.sync, cache_size=fn.cache_size,
                           mutate_arguments=fn.mutate_arguments)
            fn = JitFunction(fn.fn, **(options | overrides))
        return fn.compile(*args, **kwargs)
    return JitFunction(fn, pipeline=pipeline, optimize=optimize, **overrides).compile(*args, **kwargs)


_DONATE_MODES = (None, "auto")
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")
# Recency stamps for the LRU bound: one C call per compiled call (itertools.count is atomic under the GIL).
_next_tick = itertools.count().__next__
_LAST_USED = operator.attrgetter("_last_used")
# Signatures kept compiled per jit function; each holds an XLA executable (device code, often MBs).
DEFAULT_CACHE_SIZE = 256
