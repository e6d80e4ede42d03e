"""Automatic differentiation of StableHLO, as a module-to-module transformation (reverse and forward mode).

    from passes import autodiff
    m = autodiff.reverse(module_or_text, wrt=(0, 1))  # @main(args..., out_cotangents...) -> (outs..., d_arg0, d_arg1)
    m = autodiff.forward(module_or_text, wrt=(0,))    # @main(args..., tangents of wrt...) -> (outs..., out_tangents...)

Also a registered pass: `autodiff{mode=reverse wrt=0,1}` in a pipeline. The rules live in `rules/`, one
module per op family (as `ir/ops/`), in the tables of `registry`; `reverse_mode` and `forward_mode` are the
transformations, `control_flow` differentiates `if`/`case`/`while`.
"""

from __future__ import annotations

from passes.autodiff import control_flow as _control_flow  # noqa: F401  (fills the region tables)
from passes.autodiff import rules as _rules  # noqa: F401  (fills the rule tables)
from passes.autodiff.errors import AutodiffError
from passes.autodiff.registry import CONSTANT_RESULTS, JVP, STOP_GRADIENT_ATTRIBUTE, VJP, has_rule, rule_key
from passes.autodiff.transformation import Autodiff, forward, reverse

__all__ = ["CONSTANT_RESULTS", "JVP", "STOP_GRADIENT_ATTRIBUTE", "VJP", "Autodiff", "AutodiffError", "forward", "has_rule", "reverse", "rule_key"]
