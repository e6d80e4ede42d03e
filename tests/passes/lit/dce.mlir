// RUN: dump-ir %s --pipeline dce | filecheck %s

// Unused pure ops go, chains included; ops with effects and everything returned stay.
// CHECK-LABEL: func.func @main
// CHECK-NOT:   stablehlo.sine
// CHECK-NOT:   stablehlo.exponential
// CHECK:       stablehlo.custom_call @keep_me
// CHECK:       %[[C:.*]] = stablehlo.cosine %arg0
// CHECK:       return %[[C]]
func.func @main(%a: tensor<4xf32>) -> tensor<4xf32> {
  %0 = stablehlo.sine %a : tensor<4xf32>
  %1 = stablehlo.exponential %0 : tensor<4xf32>
  %2 = stablehlo.custom_call @keep_me(%a) {has_side_effect = true} : (tensor<4xf32>) -> tensor<4xf32>
  %3 = stablehlo.cosine %a : tensor<4xf32>
  return %3 : tensor<4xf32>
}
