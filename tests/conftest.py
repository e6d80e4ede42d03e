"""Test-wide setup. This file's presence also puts `tests/` on sys.path (pytest's default
"prepend" import mode), so test modules share `tests/helpers.py` with `import helpers`.

`tests/` mirrors the packages, so `tests/tracer`, `tests/ir` ... would shadow the real `tracer`,
`ir` ... packages as namespace packages whenever the checkout's root is not on sys.path ahead of
`tests/` (`pytest` rather than `python -m pytest`, or a run from another directory). The root goes first.
"""

import sys
from pathlib import Path

_ROOT = str(Path(__file__).resolve().parent.parent)
if _ROOT in sys.path:
    sys.path.remove(_ROOT)
sys.path.insert(0, _ROOT)

# In CI, hypothesis draws the same examples every run: a submission must not pass or fail by chance.
# Locally it keeps exploring new examples (and remembers failures in .hypothesis/).
import os  # noqa: E402

from hypothesis import settings  # noqa: E402

settings.register_profile("ci", derandomize=True, deadline=None)
if os.environ.get("CI"):
    settings.load_profile("ci")
