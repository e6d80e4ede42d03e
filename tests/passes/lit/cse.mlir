// RUN: dump-ir %s --pipeline cse | filecheck %s

// Identical pure ops merge; ops that differ in operands or attributes do not.
// CHECK-LABEL: func.func @main
// CHECK:       %[[E:.*]] = stablehlo.exponential %arg0
// CHECK-NOT:   stablehlo.exponential %arg0
// CHECK:       %[[F:.*]] = stablehlo.exponential %arg1
// CHECK:       %[[S:.*]] = stablehlo.add %[[E]], %[[E]]
// CHECK:       stablehlo.add %[[S]], %[[F]]
func.func @main(%a: tensor<4xf32>, %b: tensor<4xf32>) -> tensor<4xf32> {
  %0 = stablehlo.exponential %a : tensor<4xf32>
  %1 = stablehlo.exponential %a : tensor<4xf32>
  %2 = stablehlo.exponential %b : tensor<4xf32>
  %3 = stablehlo.add %0, %1 : tensor<4xf32>
  %4 = stablehlo.add %3, %2 : tensor<4xf32>
  return %4 : tensor<4xf32>
}
