"""`ir.main_signatures`: @main's argument and result (shape, dtype) pairs read from module text."""

from __future__ import annotations

import ml_dtypes
import numpy as np
import pytest

import ir

TEXT = """
func.func private @helper(%x: tensor<2xf32>) -> tensor<2xf32> {
  return %x : tensor<2xf32>
}
func.func @main(%a: tensor<3x4xbf16>, %b: tensor<i64>) -> (tensor<4xi1>, tensor<0x2xf32>) {
  %0 = stablehlo.constant dense<true> : tensor<4xi1>
  %1 = stablehlo.constant dense<> : tensor<0x2xf32>
  return %0, %1 : tensor<4xi1>, tensor<0x2xf32>
}
"""


def test_arguments_and_results_of_main_not_of_other_functions():
    arguments, results = ir.main_signatures(TEXT)
    assert arguments == [((3, 4), np.dtype(ml_dtypes.bfloat16)), ((), np.dtype(np.int64))]
    assert results == [((4,), np.dtype(np.bool_)), ((0, 2), np.dtype(np.float32))]


def test_a_module_without_main_is_a_key_error():
    with pytest.raises(KeyError, match="no func.func @main"):
        ir.main_signatures(TEXT.replace("@main", "@other"))
