// RUN: dump-ir %s --pipeline symbol-dce | filecheck %s

// A private function nobody calls is removed; public ones and callees stay.
// CHECK-NOT:   func.func private @unused
// CHECK:       func.func private @used
// CHECK:       func.func public @main
module {
  func.func private @unused(%a: tensor<f32>) -> tensor<f32> {
    return %a : tensor<f32>
  }
  func.func private @used(%a: tensor<f32>) -> tensor<f32> {
    %0 = stablehlo.negate %a : tensor<f32>
    return %0 : tensor<f32>
  }
  func.func public @main(%a: tensor<f32>) -> tensor<f32> {
    %0 = func.call @used(%a) : (tensor<f32>) -> tensor<f32>
    return %0 : tensor<f32>
  }
}
