// RUN: dump-ir %s --pipeline simplify | filecheck %s

// Chains of reshapes, transposes and broadcasts collapse to one op; identities disappear.
// CHECK-LABEL: func.func @chains
// CHECK:       %[[R:.*]] = stablehlo.reshape %arg0 : (tensor<6xf32>) -> tensor<3x2xf32>
// CHECK-NOT:   stablehlo.reshape
// CHECK:       %[[T:.*]] = stablehlo.transpose %arg1, dims = [2, 0, 1]
// CHECK-NOT:   stablehlo.transpose
// CHECK:       %[[B:.*]] = stablehlo.broadcast_in_dim %arg2, dims = [2] : (tensor<3xf32>) -> tensor<4x2x3xf32>
// CHECK-NOT:   stablehlo.broadcast_in_dim
// CHECK:       return %[[R]], %[[T]], %[[B]], %arg0
func.func @chains(%a: tensor<6xf32>, %b: tensor<2x3x4xf32>, %c: tensor<3xf32>)
    -> (tensor<3x2xf32>, tensor<4x2x3xf32>, tensor<4x2x3xf32>, tensor<6xf32>) {
  %r1 = stablehlo.reshape %a : (tensor<6xf32>) -> tensor<2x3xf32>
  %r2 = stablehlo.reshape %r1 : (tensor<2x3xf32>) -> tensor<3x2xf32>
  %t1 = stablehlo.transpose %b, dims = [1, 2, 0] : (tensor<2x3x4xf32>) -> tensor<3x4x2xf32>
  %t2 = stablehlo.transpose %t1, dims = [1, 2, 0] : (tensor<3x4x2xf32>) -> tensor<4x2x3xf32>
  %b1 = stablehlo.broadcast_in_dim %c, dims = [1] : (tensor<3xf32>) -> tensor<2x3xf32>
  %b2 = stablehlo.broadcast_in_dim %b1, dims = [1, 2] : (tensor<2x3xf32>) -> tensor<4x2x3xf32>
  %i1 = stablehlo.reshape %a : (tensor<6xf32>) -> tensor<6xf32>
  %i2 = stablehlo.transpose %i1, dims = [0] : (tensor<6xf32>) -> tensor<6xf32>
  %i3 = stablehlo.convert %i2 : (tensor<6xf32>) -> tensor<6xf32>
  return %r2, %t2, %b2, %i3 : tensor<3x2xf32>, tensor<4x2x3xf32>, tensor<4x2x3xf32>, tensor<6xf32>
}

// A transpose that really permutes, and a broadcast that really grows, stay.
// CHECK-LABEL: func.func @kept
// CHECK:       stablehlo.transpose %arg0, dims = [1, 0]
// CHECK:       stablehlo.broadcast_in_dim %arg1, dims = [1]
func.func @kept(%a: tensor<2x3xf32>, %c: tensor<3xf32>) -> (tensor<3x2xf32>, tensor<2x3xf32>) {
  %0 = stablehlo.transpose %a, dims = [1, 0] : (tensor<2x3xf32>) -> tensor<3x2xf32>
  %1 = stablehlo.broadcast_in_dim %c, dims = [1] : (tensor<3xf32>) -> tensor<2x3xf32>
  return %0, %1 : tensor<3x2xf32>, tensor<2x3xf32>
}

// Reversing twice, padding by nothing and reversing no dims are the operand; a pad that
// shifts (low -1, high +1: same type!) and a reverse of other dims are not.
// CHECK-LABEL: func.func @reverse_and_pad
// CHECK:       %[[SHIFT:.*]] = stablehlo.pad %arg0, %{{.*}}, low = [-1], high = [1]
// CHECK:       %[[R1:.*]] = stablehlo.reverse %arg1, dims = [0]
// CHECK:       %[[R2:.*]] = stablehlo.reverse %[[R1]], dims = [1]
// CHECK:       return %arg0, %arg0, %arg0, %[[SHIFT]], %[[R2]]
func.func @reverse_and_pad(%a: tensor<4xf32>, %b: tensor<2x3xf32>)
    -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<2x3xf32>) {
  %zero = stablehlo.constant dense<0.0> : tensor<f32>
  %r1 = stablehlo.reverse %a, dims = [0] : tensor<4xf32>
  %r2 = stablehlo.reverse %r1, dims = [0] : tensor<4xf32>
  %p = stablehlo.pad %a, %zero, low = [0], high = [0], interior = [0] : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %n = stablehlo.reverse %a, dims = [] : tensor<4xf32>
  %s = stablehlo.pad %a, %zero, low = [-1], high = [1], interior = [0] : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  %b1 = stablehlo.reverse %b, dims = [0] : tensor<2x3xf32>
  %b2 = stablehlo.reverse %b1, dims = [1] : tensor<2x3xf32>
  return %r2, %p, %n, %s, %b2 : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<2x3xf32>
}
