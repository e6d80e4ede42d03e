"""The README's NumPy coverage table is the registries' own, and the count meets the promise."""

from __future__ import annotations

from pathlib import Path

import tracer
from tracer.numpy_api import coverage

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_table_is_current():
    text = README.read_text(encoding="utf-8")
    block = text.split(coverage.START, 1)[1].split(coverage.END, 1)[0].strip()
    assert block == coverage.markdown_table(), "regenerate it: python -m tracer.numpy_api.coverage README.md"


def test_table_lists_every_supported_name_once():
    listed = [name for names in coverage.names_by_area().values() for name in names]
    assert sorted(listed) == tracer.numpy_coverage()
    assert len(listed) >= 200
