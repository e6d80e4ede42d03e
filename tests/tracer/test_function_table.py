"""Every entry of the function table (tests/tracer/tables/) against NumPy, over every dtype it lists.

One hypothesis example draws arguments for each of the entry's dtypes and checks them all in one
compiled function (helpers.check_cases), so an entry costs a handful of XLA compiles. A second
test keeps the table complete: every supported NumPy function needs an entry.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

import tracer
from helpers import Case, check_cases, xla_settings
from tables import ALL_ENTRIES
from tracer.numpy_api.registry import UFUNC_RULES


@pytest.mark.parametrize("entry", ALL_ENTRIES, ids=lambda e: e.id)
def test_entry_matches_numpy(entry):
    @xla_settings(max_examples=entry.examples)
    @given(st.tuples(*(entry.strategy(dtype) for dtype in entry.dtypes)))
    def run(drawn):
        check_cases({f"{dtype}": Case(entry.call, args, *entry.tolerance(dtype), signed_zeros=entry.signed_zeros)
                     for dtype, args in zip(entry.dtypes, drawn)})

    run()


def test_every_supported_function_has_an_entry():
    """ufuncs are tabled by test_ufuncs.py (it iterates the ufunc registry); everything else is here."""
    ufunc_names = {f"numpy.{u.__name__}" for u in UFUNC_RULES}
    tabled = {entry.name for entry in ALL_ENTRIES}
    missing = sorted(set(tracer.numpy_coverage()) - ufunc_names - tabled)
    assert not missing, f"supported but not in tests/tracer/tables/: {missing}"


def test_table_names_are_supported():
    """A table entry for a function the tracer does not register would test NumPy against itself."""
    unknown = sorted({entry.name for entry in ALL_ENTRIES} - set(tracer.numpy_coverage()))
    assert not unknown, f"tabled but not supported: {unknown}"
