// RUN: dump-ir %s --pipeline "autodiff{function=marked},autodiff{function=unmarked},default" | filecheck %s --check-prefix=REVERSE
// RUN: dump-ir %s --pipeline "autodiff{mode=forward function=marked},autodiff{mode=forward function=unmarked},default" | filecheck %s --check-prefix=FORWARD

// np.linalg.qr as the tracer emits it on CPU: geqrf, R from the upper triangle, orgqr of the reflectors.
// Marked (`pyreactant.reflectors_for_orgqr`: only orgqr reads the reflectors and taus), the pair is
// differentiated whole (`passes/autodiff/rules/lapack_qr_pair.py`): QR's formula, one triangular solve with
// R and three products, then split back into the same two LAPACK calls, still marked for a later pass. The
// merged op itself never leaves the pass. Unmarked (mode='raw' hands the reflectors out), each kernel's own
// rule runs: the chain through the reflectors' compact WY form, six solves.

// REVERSE-LABEL: func.func @marked
// REVERSE:       stablehlo.custom_call @lapack_dgeqrf_ffi(%arg0)
// REVERSE-SAME:  pyreactant.reflectors_for_orgqr
// REVERSE:       stablehlo.custom_call @lapack_dorgqr_ffi
// REVERSE-NOT:   pyreactant_lapack_qr_pair
// REVERSE-COUNT-1: stablehlo.triangular_solve
// REVERSE-NOT:   stablehlo.triangular_solve
// REVERSE:       return
// REVERSE-LABEL: func.func @unmarked
// REVERSE-COUNT-6: stablehlo.triangular_solve
// REVERSE:       return
// FORWARD-LABEL: func.func @marked
// FORWARD-NOT:   pyreactant_lapack_qr_pair
// FORWARD-COUNT-1: stablehlo.triangular_solve
// FORWARD-NOT:   stablehlo.triangular_solve
// FORWARD:       return
// FORWARD-LABEL: func.func @unmarked
// FORWARD-COUNT-6: stablehlo.triangular_solve
// FORWARD:       return
func.func @marked(%arg0: tensor<4x3xf64>) -> (tensor<4x3xf64>, tensor<3x3xf64>) {
  %0:2 = stablehlo.custom_call @lapack_dgeqrf_ffi(%arg0) {api_version = 4 : i32, backend_config = {}, operand_layouts = [dense<[0, 1]> : tensor<2xindex>], output_operand_aliases = [#stablehlo.output_operand_alias<output_tuple_indices = [0], operand_index = 0, operand_tuple_indices = []>], pyreactant.reflectors_for_orgqr, result_layouts = [dense<[0, 1]> : tensor<2xindex>, dense<0> : tensor<1xindex>]} : (tensor<4x3xf64>) -> (tensor<4x3xf64>, tensor<3xf64>)
  %1 = stablehlo.slice %0#0 [0:3, 0:3] : (tensor<4x3xf64>) -> tensor<3x3xf64>
  %2 = stablehlo.iota dim = 0 : tensor<3x3xi32>
  %3 = stablehlo.iota dim = 1 : tensor<3x3xi32>
  %4 = stablehlo.compare LE, %2, %3, SIGNED : (tensor<3x3xi32>, tensor<3x3xi32>) -> tensor<3x3xi1>
  %cst = stablehlo.constant dense<0.000000e+00> : tensor<3x3xf64>
  %5 = stablehlo.select %4, %1, %cst : tensor<3x3xi1>, tensor<3x3xf64>
  %6 = stablehlo.custom_call @lapack_dorgqr_ffi(%0#0, %0#1) {api_version = 4 : i32, backend_config = {}, operand_layouts = [dense<[0, 1]> : tensor<2xindex>, dense<0> : tensor<1xindex>], output_operand_aliases = [#stablehlo.output_operand_alias<output_tuple_indices = [], operand_index = 0, operand_tuple_indices = []>], result_layouts = [dense<[0, 1]> : tensor<2xindex>]} : (tensor<4x3xf64>, tensor<3xf64>) -> tensor<4x3xf64>
  return %6, %5 : tensor<4x3xf64>, tensor<3x3xf64>
}

func.func @unmarked(%arg0: tensor<4x3xf64>) -> (tensor<4x3xf64>, tensor<3x3xf64>) {
  %0:2 = stablehlo.custom_call @lapack_dgeqrf_ffi(%arg0) {api_version = 4 : i32, backend_config = {}, operand_layouts = [dense<[0, 1]> : tensor<2xindex>], output_operand_aliases = [#stablehlo.output_operand_alias<output_tuple_indices = [0], operand_index = 0, operand_tuple_indices = []>], result_layouts = [dense<[0, 1]> : tensor<2xindex>, dense<0> : tensor<1xindex>]} : (tensor<4x3xf64>) -> (tensor<4x3xf64>, tensor<3xf64>)
  %1 = stablehlo.slice %0#0 [0:3, 0:3] : (tensor<4x3xf64>) -> tensor<3x3xf64>
  %2 = stablehlo.iota dim = 0 : tensor<3x3xi32>
  %3 = stablehlo.iota dim = 1 : tensor<3x3xi32>
  %4 = stablehlo.compare LE, %2, %3, SIGNED : (tensor<3x3xi32>, tensor<3x3xi32>) -> tensor<3x3xi1>
  %cst = stablehlo.constant dense<0.000000e+00> : tensor<3x3xf64>
  %5 = stablehlo.select %4, %1, %cst : tensor<3x3xi1>, tensor<3x3xf64>
  %6 = stablehlo.custom_call @lapack_dorgqr_ffi(%0#0, %0#1) {api_version = 4 : i32, backend_config = {}, operand_layouts = [dense<[0, 1]> : tensor<2xindex>, dense<0> : tensor<1xindex>], output_operand_aliases = [#stablehlo.output_operand_alias<output_tuple_indices = [], operand_index = 0, operand_tuple_indices = []>], result_layouts = [dense<[0, 1]> : tensor<2xindex>]} : (tensor<4x3xf64>, tensor<3xf64>) -> tensor<4x3xf64>
  return %6, %5 : tensor<4x3xf64>, tensor<3x3xf64>
}
