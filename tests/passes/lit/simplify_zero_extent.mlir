// RUN: dump-ir %s --pipeline simplify,dce | filecheck %s

// A pure op with an empty result computes nothing: an empty constant, and its inputs go dead.
// CHECK-LABEL: func.func @empty
// CHECK-NOT:   stablehlo.add
// CHECK-NOT:   stablehlo.transpose
// CHECK:       %[[E:.*]] = stablehlo.constant dense<> : tensor<3x0xf32>
// CHECK:       return %[[E]]
func.func @empty(%a: tensor<0x3xf32>, %b: tensor<0x3xf32>) -> tensor<3x0xf32> {
  %0 = stablehlo.add %a, %b : tensor<0x3xf32>
  %1 = stablehlo.transpose %0, dims = [1, 0] : (tensor<0x3xf32>) -> tensor<3x0xf32>
  return %1 : tensor<3x0xf32>
}

// -----

// Concatenating empties is empty; a reduce of an empty input to an empty result too.
// CHECK-LABEL: func.func @empty_joins
// CHECK-NOT:   stablehlo.concatenate
// CHECK-NOT:   stablehlo.reduce
// CHECK:       return %{{.*}}, %{{.*}} : tensor<0x3xf32>, tensor<0xf32>
func.func @empty_joins(%a: tensor<0x3xf32>, %e: tensor<3x0xf32>) -> (tensor<0x3xf32>, tensor<0xf32>) {
  %0 = stablehlo.concatenate %a, %a, dim = 0 : (tensor<0x3xf32>, tensor<0x3xf32>) -> tensor<0x3xf32>
  %m0 = stablehlo.constant dense<-0.0> : tensor<f32>
  %1 = stablehlo.reduce(%a init: %m0) applies stablehlo.add across dimensions = [1] : (tensor<0x3xf32>, tensor<f32>) -> tensor<0xf32>
  return %0, %1 : tensor<0x3xf32>, tensor<0xf32>
}

// -----

// Ops with elements, and effectful ops with empty results, stay.
// CHECK-LABEL: func.func @kept
// CHECK:       stablehlo.add %arg0, %arg0 : tensor<1x3xf32>
// CHECK:       stablehlo.custom_call @foo(%arg1)
func.func @kept(%a: tensor<1x3xf32>, %e: tensor<0xf32>) -> (tensor<1x3xf32>, tensor<0xf32>) {
  %0 = stablehlo.add %a, %a : tensor<1x3xf32>
  %1 = stablehlo.custom_call @foo(%e) {has_side_effect = true} : (tensor<0xf32>) -> tensor<0xf32>
  return %0, %1 : tensor<1x3xf32>, tensor<0xf32>
}

// -----

// An empty complex result stays as it is (np.linalg.eig of a 0 x 0 matrix): the bindings cannot build its
// dense<>, and XLA computes nothing for it anyway.
// CHECK-LABEL: func.func @empty_complex
// CHECK:       stablehlo.complex %arg0, %arg0 : tensor<0xcomplex<f32>>
func.func @empty_complex(%e: tensor<0xf32>) -> tensor<0xcomplex<f32>> {
  %0 = stablehlo.complex %e, %e : tensor<0xcomplex<f32>>
  return %0 : tensor<0xcomplex<f32>>
}
