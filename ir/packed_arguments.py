"""Rewriting a module so that its arguments arrive in one buffer per dtype.

Each host->device transfer has a fixed cost (several microseconds on CPU), which
dominates calls with many small NumPy arguments. Concatenating the arguments of
each dtype on the host and slicing them apart on the device (slice + reshape,
which XLA fuses into the consumers) makes that one transfer per dtype per call.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from jaxlib.mlir import ir
from jaxlib.mlir.dialects import func

from ir import dtypes, ops, query
from ir.context import parse_module, print_module

__all__ = ["PackingPlan", "pack_arguments_module"]


@dataclass(frozen=True)
class PackingPlan:
    """Argument i lives in group `group_of[i]` (one per dtype) from element `offset_of[i]`."""

    group_dtypes: tuple[np.dtype, ...]
    group_sizes: tuple[int, ...]
    members: tuple[tuple[int, ...], ...]  # argument indices of each group, in order
    group_of: tuple[int, ...]
    offset_of: tuple[int, ...]

    @classmethod
    def for_signatures(cls, signatures) -> "PackingPlan":
        group_dtypes, sizes, members, group_of, offset_of = [], [], [], [], []
        for index, (shape, dtype) in enumerate(signatures):
            dtype = np.dtype(dtype)
            if dtype not in group_dtypes:
                group_dtypes.append(dtype)
                sizes.append(0)
                members.append([])
            group = group_dtypes.index(dtype)
            group_of.append(group)
            offset_of.append(sizes[group])
            members[group].append(index)
            sizes[group] += math.prod(shape)
        return cls(tuple(group_dtypes), tuple(sizes), tuple(map(tuple, members)), tuple(group_of), tuple(offset_of))

    def pack(self, arrays) -> list[np.ndarray]:
        """The host buffers to transfer: each group's arrays raveled (C order) back to back."""
        return [np.concatenate([arrays[i] for i in members], axis=None, dtype=dtype)
                for members, dtype in zip(self.members, self.group_dtypes)]


def pack_arguments_module(module_text: str, signatures, plan: PackingPlan) -> str:
    """A module whose public `@main` takes the plan's packed buffers, slices the original
    arguments out of them, and calls the original `@main` (renamed private `@main_unpacked`)."""
    module = parse_module(module_text)
    with module.context, ir.Location.unknown():
        original = query.main_function(module)
        original.attributes["sym_name"] = ir.StringAttr.get("main_unpacked")
        original.attributes["sym_visibility"] = ir.StringAttr.get("private")
        if "arg_attrs" in original.attributes:  # donating a temporary packed buffer means nothing
            del original.attributes["arg_attrs"]
        _, result_types = query.function_type(original)
        packed_types = [dtypes.tensor_type((size,), dtype) for size, dtype in zip(plan.group_sizes, plan.group_dtypes)]
        with ir.InsertionPoint(module.body):
            wrapper = func.FuncOp("main", ir.FunctionType.get(packed_types, result_types))
        wrapper.attributes["sym_visibility"] = ir.StringAttr.get("public")
        block = wrapper.add_entry_block()
        with ir.InsertionPoint(block):
            arguments = []
            for index, (shape, _) in enumerate(signatures):
                offset, count = plan.offset_of[index], math.prod(shape)
                piece = ops.slice(block.arguments[plan.group_of[index]], [offset], [offset + count], [1])
                arguments.append(ops.reshape(piece, shape))
            call = func.CallOp(result_types, ir.FlatSymbolRefAttr.get("main_unpacked"), arguments)
            func.ReturnOp(list(call.results))
    return print_module(module, debug_info=True)
