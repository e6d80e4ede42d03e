"""Lux.jl-style explicit-parameter neural networks on NumPy and `tracer` (see the lux issue).

Nothing is exported yet: layers, `setup`/`apply` and the Training API arrive with their own issue.
"""
