"""The table the generator draws statements from: (weight, family) pairs.

Weights favour what models are made of (elementwise arithmetic, reductions, shapes) while every
family turns up in a few hundred programs. Bodies of control flow draw from a smaller table
(control flow nests through it up to Config.max_depth).
"""

from __future__ import annotations

from benchmarks.fuzzing import families_arrays as arrays
from benchmarks.fuzzing import families_control as control
from benchmarks.fuzzing import families_elementwise as elementwise
from benchmarks.fuzzing.families_control import deep_nesting_program, huge_shape_program  # noqa: F401

FAMILIES = (
    (30, elementwise.ufunc_call),
    (7, elementwise.convert),
    (4, elementwise.where),
    (1, elementwise.select),
    (3, elementwise.clip),
    (2, elementwise.like),
    (1, elementwise.nan_to_num),
    (1, elementwise.closeness),
    (12, arrays.reduction),
    (12, arrays.shape_op),
    (7, arrays.index_read),
    (4, arrays.index_write),
    (5, arrays.contraction),
    (3, arrays.sorting),
    (6, arrays.other_call),
    (3, control.cond),
    (1, control.switch),
    (3, control.fori_loop),
    (2, control.while_loop),
    (2, control.scan),
)

BODY_FAMILIES = (
    (30, elementwise.ufunc_call),
    (5, elementwise.convert),
    (3, elementwise.where),
    (2, elementwise.clip),
    (6, arrays.reduction),
    (5, arrays.shape_op),
    (3, arrays.index_read),
    (2, arrays.index_write),
    (2, arrays.contraction),
    (1, control.cond),
    (1, control.fori_loop),
    (1, control.while_loop),
)
