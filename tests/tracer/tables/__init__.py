"""The function table: one `Entry` per supported NumPy function, split by area.

Each area module (`reductions.py`, `shape.py`, ...) holds a list `ENTRIES`; `ALL_ENTRIES`
joins them. `test_function_table.py` runs every entry against NumPy and checks that every
name in `tracer.numpy_coverage()` has an entry here or is a ufunc tested by `test_ufuncs.py`.
"""

from __future__ import annotations

import importlib
import pkgutil

from tables.entry import Entry

AREAS = sorted(m.name for m in pkgutil.iter_modules(__path__) if m.name != "entry")
ALL_ENTRIES: list[Entry] = [e for area in AREAS for e in importlib.import_module(f"tables.{area}").ENTRIES]
