"""Optimisation passes over StableHLO and the manager that runs textual pipelines."""

from ir.query import count_ops
from passes.pass_manager import DEFAULT_PIPELINE, PassFailedError, PassManager, PassStatistics, available, run
from passes.pipeline import PassSpec, PipelineError, parse_pipeline
from passes.registry import register_lazy, register_pass

__all__ = [
    "DEFAULT_PIPELINE",
    "PassFailedError",
    "PassManager",
    "PassSpec",
    "PassStatistics",
    "PipelineError",
    "available",
    "count_ops",
    "parse_pipeline",
    "register_lazy",
    "register_pass",
    "run",
]
