"""Structured control flow under tracing: cond, switch, while_loop, fori_loop, scan."""

from tracer.control_flow.conditionals import cond, switch
from tracer.control_flow.loops import TRIP_COUNT_ATTRIBUTE, checkpoint, fori_loop, scan, while_loop
from tracer.control_flow.autograph import trace

__all__ = ["TRIP_COUNT_ATTRIBUTE", "checkpoint", "cond", "fori_loop", "scan", "switch", "trace", "while_loop"]
