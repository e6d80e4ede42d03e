"""`Compiled`: one function compiled for one call signature, and its fast call path."""

from __future__ import annotations

import numpy as np
from jax import tree_util

import ir
import passes
import runtime
from runtime import ConcreteArray, _jaxlib
from tracer import errors, signature
from tracer.tracing import TracedProgram


def _buffer_of(leaf, device):
    """The device buffer for an array leaf (transferring host arrays now)."""
    kind = type(leaf)
    if kind is ConcreteArray:
        if leaf._buffer.is_deleted():
            raise errors.TracerError(
                "an argument's device buffer was deleted (it was donated to an earlier call via donate_argnums)",
                fix="pass the result of that call instead, or stop donating the argument",
            )
        return leaf._buffer
    if kind is signature.ArraySpec:
        raise errors.TracerError(f"{leaf!r} has no data: it can be compiled for, not run",
                                 fix="call the compiled function with real arrays")
    if isinstance(leaf, (np.ndarray, np.generic)):
        return _jaxlib.host_to_device(np.asarray(leaf), device)
    return leaf  # a jax.Array is a device buffer already


class Compiled:
    """A function traced, optimised and compiled for one signature.

    Call it with arguments of that signature; `as_text(stage)` shows the
    StableHLO as traced ("traced"), after our passes ("optimized"), or XLA's
    optimised HLO ("hlo").
    """

    def __init__(self, fn, program: TracedProgram, *, key, describe: str, pipeline: str | None, static_split,
                 device=None, pass_options=None):
        self._fn = fn
        self._key = key
        self._describe = describe
        self._split = static_split
        self._traced_text = ir.print_module(program.module)
        if pipeline:
            passes.run(program.module, pipeline, **(pass_options or {}))
        self._optimized_text = ir.print_module(program.module)
        # Debug info goes to XLA so its HLO metadata names the user's lines.
        self._executable = runtime.compile_stablehlo(ir.print_module(program.module, debug_info=True), device)
        self._device = self._executable.device
        self._array_positions = program.array_positions
        self._out_tree = program.out_tree
        self._out_template = program.out_template
        self._out_positions = program.out_positions

    def as_text(self, stage: str = "optimized", *, debug_info: bool = False) -> str:
        if stage == "traced":
            return self._traced_text
        if stage == "optimized":
            return self._optimized_text
        if stage == "hlo":
            return self._executable.hlo_text()
        raise ValueError(f"unknown stage {stage!r}; use 'traced', 'optimized' or 'hlo'")

    def __call__(self, *args, **kwargs):
        dyn_args, dyn_kwargs, static_key = self._split(args, kwargs)
        leaves, treedef = signature.flatten(dyn_args, dyn_kwargs)
        key = (treedef, static_key, tuple(map(signature.leaf_key, leaves)))
        if key != self._key:
            raise errors.SignatureMismatchError(
                f"this function was compiled for ({self._describe}) but is called with "
                f"({signature.describe_call(self._fn, args, kwargs)})",
                fix="call tracer.compile again for the new signature, or use tracer.jit, which compiles one per signature",
            )
        return self.run_leaves(leaves)

    def run_leaves(self, leaves: list):
        """Execute on already-checked input leaves and rebuild the result pytree."""
        device = self._device
        buffers = [_buffer_of(leaves[i], device) for i in self._array_positions]
        outputs = self._executable.execute(buffers)
        result = list(self._out_template)
        for position, buffer in zip(self._out_positions, outputs):
            result[position] = ConcreteArray(buffer)
        return tree_util.tree_unflatten(self._out_tree, result)
