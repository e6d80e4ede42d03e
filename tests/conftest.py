"""Test-wide setup. Its presence also puts `tests/` on sys.path (pytest's default import mode),
so test modules share `tests/helpers.py` with `import helpers`."""

from hypothesis import HealthCheck, settings

# Every new shape or dtype compiles with XLA (~20-50 ms), so property tests keep few examples and no deadline.
settings.register_profile(
    "pyreactant", max_examples=30, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
settings.load_profile("pyreactant")
