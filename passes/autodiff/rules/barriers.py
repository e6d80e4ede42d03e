"""Ops that leave values as they are: sharding constraints and optimisation barriers.

Their derivatives pass through: a sharding constraint lays its tangent and cotangent out as it lays out
the value, so the backward pass is partitioned like the forward.
"""

from __future__ import annotations

from passes.autodiff.registry import JVP, VJP, linear, replace_operands

__all__: list[str] = []

linear("sdy.sharding_constraint", lambda op, z_bar, index: replace_operands(op, [z_bar]).results[0])


def _barrier_jvp(op, x_dots):
    return list(x_dots)


def _barrier_vjp(op, z_bars, needed):
    return [z_bar if need else None for z_bar, need in zip(z_bars, needed)]


JVP["stablehlo.optimization_barrier"], VJP["stablehlo.optimization_barrier"] = _barrier_jvp, _barrier_vjp
