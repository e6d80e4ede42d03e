"""Test-wide setup. This file's presence also puts `tests/` on sys.path (pytest's default
"prepend" import mode), so test modules share `tests/helpers.py` with `import helpers`."""
