"""The persistent cache's optimised modules: a warm process skips our passes for a module traced before.

The rule: a warm process may skip our passes only when their result is a function of what the key
holds: the traced module with its source locations, the pipeline, the source of `passes/` and `ir/`
and of the module preparation that follows them (`tracer/optimized_module.py`), and (in the key,
jaxlib's version: its MLIR passes run in pipelines). So not with a sharding plan (the module is
annotated after the passes, from this call's shardings), not with pass options (printing IR or
statistics are effects the caller asked for), and not without a pipeline (no passes).
"""

from __future__ import annotations

import functools
import hashlib
import pathlib

import numpy as np

import ir
import passes
from runtime import persistent_cache

__all__ = ["entry_key", "load", "store"]

# What an entry holds, in order; the format is part of the key, so an entry of another layout is never read.
_LAYOUT = "optimized text, text with debug info, kept argument indices"


def entry_key(module, pipeline: str | None, pass_options, plan) -> str | None:
    """The persistent-cache key of `module`'s (traced, not yet optimised) preparation, or None where the
    shortcut is not exact (see the module's docstring) or the cache is off."""
    if not pipeline or pass_options or plan is not None or persistent_cache.cache_directory() is None:
        return None
    return persistent_cache.parts_key(ir.print_module(module, debug_info=True), pipeline, _code_fingerprint(), _LAYOUT)


def load(key: str) -> tuple[str, str, tuple[int, ...]] | None:
    """(optimised text, text with debug info, indices of the traced arguments kept) stored under `key`, or None."""
    texts = persistent_cache.load_texts(key, 3)
    if texts is None:
        return None
    text, debug_text, kept = texts
    try:
        return text, debug_text, tuple(int(i) for i in kept.split(",") if i)
    except ValueError:  # (a well-formed entry that our code did not write: prepare the module again)
        return None


def store(key: str, text: str, debug_text: str, kept: tuple[int, ...]) -> None:
    persistent_cache.store_texts(key, [text, debug_text, ",".join(map(str, kept))])


@functools.cache
def _code_fingerprint() -> str:
    """A digest of the code that decides what our pipeline makes of a module: every source file of the
    `passes` and `ir` packages and the preparation after them (a changed pass, even unversioned, means
    a new key, never a stale text), and NumPy's version (folding computes constants with it)."""
    digest = hashlib.sha256(np.__version__.encode() + b"\0")
    for package in (passes, ir):
        root = pathlib.Path(package.__file__).parent
        for path in sorted(root.rglob("*.py")):
            digest.update(str(path.relative_to(root)).encode() + b"\0")
            digest.update(path.read_bytes())
    preparation = pathlib.Path(__file__).with_name("optimized_module.py")
    digest.update(preparation.name.encode() + b"\0" + preparation.read_bytes())
    return digest.hexdigest()
