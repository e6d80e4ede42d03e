// Malformed input fails with a message and exit status 1, not a crash.
// RUN: not dump-ir %s --pipeline cse
// RUN: not dump-ir %s --pipeline cse 2>&1 | filecheck %s
// CHECK: dump-ir: error: {{.*}} is not valid MLIR
func.func @main(%a: tensor<4xf32>) -> tensor<4xf32> {
  %0 = stablehlo.add %a : tensor<4xf32>
  return %0 : tensor<4xf32>
}
