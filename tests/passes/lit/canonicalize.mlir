// RUN: dump-ir %s --pipeline canonicalize | filecheck %s

// Unused pure ops disappear; the used computation stays.
// CHECK-LABEL: func.func @main
// CHECK-NOT:   stablehlo.sine
// CHECK:       stablehlo.cosine %arg0
// CHECK:       return
func.func @main(%a: tensor<4xf32>) -> tensor<4xf32> {
  %0 = stablehlo.sine %a : tensor<4xf32>
  %1 = stablehlo.cosine %a : tensor<4xf32>
  return %1 : tensor<4xf32>
}
