"""The runtime's errors: each a `PyreactantError` (`file:line: what happened` / `  fix: what to do`, see
`ir.errors`) and the built-in exception it was before, so `except ValueError` and the like keep working."""

from __future__ import annotations

from ir.errors import PyreactantError

__all__ = ["CompileError", "DistributedError", "DonatedArrayError", "ExecutionError", "PersistentCacheError",
           "PlacementError", "ShardingError", "UnsupportedDtypeError"]


class CompileError(PyreactantError, RuntimeError):
    """XLA rejected a module; the message carries XLA's diagnostics."""


class DistributedError(PyreactantError, RuntimeError):
    """The distributed runtime could not start (called too late, or the coordinator was unreachable)."""


class DonatedArrayError(PyreactantError, RuntimeError):
    """A ConcreteArray used after it was donated to a compiled call."""


class ExecutionError(PyreactantError, RuntimeError):
    """A compiled computation failed on its device (out of memory, most often): reading or waiting for one
    of its results raises this, with XLA's status (`RESOURCE_EXHAUSTED: Out of memory allocating ...`)."""


class PersistentCacheError(PyreactantError, OSError):
    """A compile-cache directory that cannot be used: a file, not creatable, or writable by others."""


class PlacementError(PyreactantError, ValueError):
    """An array asked to be, or to be read, somewhere its placement does not allow: a device and a
    sharding at once, the single device of an array split over several, a view without a copy."""


class ShardingError(PyreactantError, ValueError):
    """A mesh, partition spec or sharding that does not fit the array or the program."""


class UnsupportedDtypeError(PyreactantError, TypeError):
    """An array whose dtype has no device representation here, or whose kind has none: a masked array's mask."""
