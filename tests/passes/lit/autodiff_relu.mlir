// RUN: dump-ir %s --pipeline "autodiff{mode=reverse wrt=0 function=relu},autodiff{mode=reverse wrt=0 function=plain_maximum},autodiff{mode=forward wrt=0 function=relu_forward}" | filecheck %s

// tracer.nn.relu's maximum(x, 0), marked pyreactant.derivative = "relu": JAX's relu derivative,
// select(x > 0, dz, 0), with no tie split (no compare against the result, no 1/2).
// CHECK-LABEL: func.func @relu
// CHECK-SAME:  (%[[X:.+]]: tensor<4xf32>, %[[Z_BAR:.+]]: tensor<4xf32>)
// CHECK:       stablehlo.maximum %[[X]], %{{.+}} {pyreactant.derivative = "relu"}
// CHECK:       %[[POSITIVE:.+]] = stablehlo.compare GT, %[[X]], %{{.+}}, FLOAT
// CHECK:       stablehlo.select %[[POSITIVE]], %[[Z_BAR]], %{{.+}}
// CHECK-NOT:   0.5
// CHECK-NOT:   stablehlo.compare EQ
// CHECK:       return
func.func @relu(%x: tensor<4xf32>) -> tensor<4xf32> {
  %zero = stablehlo.constant dense<0.0> : tensor<4xf32>
  %0 = stablehlo.maximum %x, %zero {pyreactant.derivative = "relu"} : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// Unmarked, a maximum splits ties as JAX's max does: 1/2 where both operands equal the result.
// CHECK-LABEL: func.func @plain_maximum
// CHECK:       stablehlo.compare EQ
// CHECK:       5.000000e-01
// CHECK:       return
func.func @plain_maximum(%x: tensor<4xf32>) -> tensor<4xf32> {
  %zero = stablehlo.constant dense<0.0> : tensor<4xf32>
  %0 = stablehlo.maximum %x, %zero : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// Forward mode: the tangent where x > 0.
// CHECK-LABEL: func.func @relu_forward
// CHECK-SAME:  (%[[X:.+]]: tensor<4xf32>, %[[X_DOT:.+]]: tensor<4xf32>)
// CHECK:       %[[POSITIVE:.+]] = stablehlo.compare GT, %[[X]]
// CHECK:       stablehlo.select %[[POSITIVE]], %[[X_DOT]]
// CHECK-NOT:   0.5
// CHECK:       return
func.func @relu_forward(%x: tensor<4xf32>) -> tensor<4xf32> {
  %zero = stablehlo.constant dense<0.0> : tensor<4xf32>
  %0 = stablehlo.maximum %x, %zero {pyreactant.derivative = "relu"} : tensor<4xf32>
  return %0 : tensor<4xf32>
}
