"""Side-by-side benchmarks against rivals measured in the same process: `python -m benchmarks.<name>`."""
