// RUN: dump-ir %s --pipeline cse | filecheck %s --check-prefix=CSE
// RUN: dump-ir %s --pipeline dce | filecheck %s --check-prefix=DCE
// RUN: dump-ir %s --pipeline default | filecheck %s --check-prefix=DEFAULT
// RUN: dump-ir %s --pipeline fold,simplify | filecheck %s --check-prefix=SIMPLIFY
// RUN: dump-ir %s --pipeline licm | filecheck %s --check-prefix=LICM

// LAPACK kernels as the tracer emits them on CPU (`ir/ops/lapack.py`) are opaque pure ops: two identical
// calls merge, an unused one goes, the passes keep every attribute (target, api_version, the dictionary
// backend_config, layouts, aliases) as written, and nothing folds into or through them. A custom call
// with has_side_effect stays even when unused; one to a target we do not know stays under our own passes
// (dce, simplify), while MLIR's cse reads the spec (no has_side_effect: pure) and erases it when unused.

// CSE-LABEL:  func.func @main
// CSE:        %[[LU:.*]]:3 = stablehlo.custom_call @lapack_dgetrf_ffi(%arg0)
// CSE-NOT:    @lapack_dgetrf_ffi
// CSE:        stablehlo.custom_call @lapack_dpotrf_ffi(%arg1)
// CSE-SAME:   api_version = 4
// CSE-SAME:   backend_config = {uplo = 76 : ui8}
// CSE-SAME:   operand_layouts = [dense<[0, 1]> : tensor<2xindex>]
// CSE-SAME:   output_operand_aliases = [#stablehlo.output_operand_alias<output_tuple_indices = [0], operand_index = 0, operand_tuple_indices = []>]
// CSE-NOT:    @lapack_dsyevd_ffi
// CSE:        stablehlo.custom_call @side_effect(%arg0)
// CSE-NOT:    @unknown_target
// CSE:        stablehlo.add %[[LU]]#0, %[[LU]]#0

// DCE-LABEL:  func.func @main
// DCE:        stablehlo.custom_call @lapack_dgetrf_ffi(%arg0)
// DCE-NOT:    @lapack_dsyevd_ffi
// DCE:        stablehlo.custom_call @side_effect(%arg0)
// DCE:        stablehlo.custom_call @unknown_target(%arg0)

// DEFAULT-LABEL: func.func @main
// DEFAULT-COUNT-1: @lapack_dgetrf_ffi
// DEFAULT-NOT:   @lapack_dsyevd_ffi
// DEFAULT:       @lapack_dpotrf_ffi
// DEFAULT-SAME:  backend_config = {uplo = 76 : ui8}
// DEFAULT:       @side_effect

// SIMPLIFY-LABEL: func.func @main
// SIMPLIFY:       stablehlo.custom_call @lapack_dgetrf_ffi(%arg0)
// SIMPLIFY-NOT:   @lapack_dsyevd_ffi
// SIMPLIFY:       stablehlo.custom_call @lapack_dpotrf_ffi(%arg1)
// SIMPLIFY:       @side_effect
// SIMPLIFY:       @unknown_target
func.func @main(%a: tensor<3x3xf64>, %s: tensor<3x3xf64>) -> (tensor<3x3xf64>, tensor<3x3xf64>) {
  %0:3 = stablehlo.custom_call @lapack_dgetrf_ffi(%a) {api_version = 4 : i32, backend_config = {}, has_side_effect = false, operand_layouts = [dense<[0, 1]> : tensor<2xindex>], output_operand_aliases = [#stablehlo.output_operand_alias<output_tuple_indices = [0], operand_index = 0, operand_tuple_indices = []>], result_layouts = [dense<[0, 1]> : tensor<2xindex>, dense<0> : tensor<1xindex>, dense<> : tensor<0xindex>]} : (tensor<3x3xf64>) -> (tensor<3x3xf64>, tensor<3xi32>, tensor<i32>)
  %1:3 = stablehlo.custom_call @lapack_dgetrf_ffi(%a) {api_version = 4 : i32, backend_config = {}, has_side_effect = false, operand_layouts = [dense<[0, 1]> : tensor<2xindex>], output_operand_aliases = [#stablehlo.output_operand_alias<output_tuple_indices = [0], operand_index = 0, operand_tuple_indices = []>], result_layouts = [dense<[0, 1]> : tensor<2xindex>, dense<0> : tensor<1xindex>, dense<> : tensor<0xindex>]} : (tensor<3x3xf64>) -> (tensor<3x3xf64>, tensor<3xi32>, tensor<i32>)
  %2:2 = stablehlo.custom_call @lapack_dpotrf_ffi(%s) {api_version = 4 : i32, backend_config = {uplo = 76 : ui8}, has_side_effect = false, operand_layouts = [dense<[0, 1]> : tensor<2xindex>], output_operand_aliases = [#stablehlo.output_operand_alias<output_tuple_indices = [0], operand_index = 0, operand_tuple_indices = []>], result_layouts = [dense<[0, 1]> : tensor<2xindex>, dense<> : tensor<0xindex>]} : (tensor<3x3xf64>) -> (tensor<3x3xf64>, tensor<i32>)
  %3:3 = stablehlo.custom_call @lapack_dsyevd_ffi(%s) {api_version = 4 : i32, backend_config = {mode = 86 : ui8, uplo = 76 : ui8}, has_side_effect = false, operand_layouts = [dense<[0, 1]> : tensor<2xindex>], output_operand_aliases = [#stablehlo.output_operand_alias<output_tuple_indices = [0], operand_index = 0, operand_tuple_indices = []>], result_layouts = [dense<[0, 1]> : tensor<2xindex>, dense<0> : tensor<1xindex>, dense<> : tensor<0xindex>]} : (tensor<3x3xf64>) -> (tensor<3x3xf64>, tensor<3xf64>, tensor<i32>)
  %4 = stablehlo.custom_call @side_effect(%a) {has_side_effect = true} : (tensor<3x3xf64>) -> tensor<3x3xf64>
  %5 = stablehlo.custom_call @unknown_target(%a) : (tensor<3x3xf64>) -> tensor<3x3xf64>
  %6 = stablehlo.add %0#0, %1#0 : tensor<3x3xf64>
  return %6, %2#0 : tensor<3x3xf64>, tensor<3x3xf64>
}

// A LAPACK call inside a loop that reads only values from outside it moves before the loop.
// LICM-LABEL: func.func @hoist
// LICM:       stablehlo.custom_call @lapack_dpotrf_ffi(%arg0)
// LICM:       stablehlo.while
// LICM-NOT:   @lapack_dpotrf_ffi
func.func @hoist(%s: tensor<3x3xf64>) -> tensor<3x3xf64> {
  %c0 = stablehlo.constant dense<0> : tensor<i32>
  %c1 = stablehlo.constant dense<1> : tensor<i32>
  %c4 = stablehlo.constant dense<4> : tensor<i32>
  %r:2 = stablehlo.while(%i = %c0, %x = %s) : tensor<i32>, tensor<3x3xf64>
    cond {
      %p = stablehlo.compare LT, %i, %c4 : (tensor<i32>, tensor<i32>) -> tensor<i1>
      stablehlo.return %p : tensor<i1>
    } do {
      %f:2 = stablehlo.custom_call @lapack_dpotrf_ffi(%s) {api_version = 4 : i32, backend_config = {uplo = 76 : ui8}, has_side_effect = false, operand_layouts = [dense<[0, 1]> : tensor<2xindex>], output_operand_aliases = [#stablehlo.output_operand_alias<output_tuple_indices = [0], operand_index = 0, operand_tuple_indices = []>], result_layouts = [dense<[0, 1]> : tensor<2xindex>, dense<> : tensor<0xindex>]} : (tensor<3x3xf64>) -> (tensor<3x3xf64>, tensor<i32>)
      %y = stablehlo.add %x, %f#0 : tensor<3x3xf64>
      %j = stablehlo.add %i, %c1 : tensor<i32>
      stablehlo.return %j, %y : tensor<i32>, tensor<3x3xf64>
    }
  return %r#1 : tensor<3x3xf64>
}
