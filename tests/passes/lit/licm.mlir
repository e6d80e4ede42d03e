// RUN: dump-ir %s --pipeline licm | filecheck %s

// An invariant chain (reading only %w and a constant) moves before the loop; the carried
// value %w is returned unchanged, so the body's uses of it read the initial value.
// The step that depends on the carried %x stays inside.
// CHECK-LABEL: func.func @main
// CHECK:       %[[E:.*]] = stablehlo.exponential %arg1
// CHECK:       %[[S:.*]] = stablehlo.multiply %[[E]], %{{.*}}
// CHECK:       stablehlo.while
// CHECK:       do {
// CHECK-NOT:   stablehlo.exponential
// CHECK:       stablehlo.add %{{.*}}, %[[S]]
// CHECK:       stablehlo.return
func.func @main(%x0: tensor<4xf32>, %w0: tensor<4xf32>) -> tensor<4xf32> {
  %zero = stablehlo.constant dense<0> : tensor<i32>
  %ten = stablehlo.constant dense<10> : tensor<i32>
  %one = stablehlo.constant dense<1> : tensor<i32>
  %half = stablehlo.constant dense<0.5> : tensor<4xf32>
  %r:3 = stablehlo.while(%i = %zero, %x = %x0, %w = %w0) : tensor<i32>, tensor<4xf32>, tensor<4xf32>
    cond {
      %p = stablehlo.compare LT, %i, %ten : (tensor<i32>, tensor<i32>) -> tensor<i1>
      stablehlo.return %p : tensor<i1>
    } do {
      %e = stablehlo.exponential %w : tensor<4xf32>
      %s = stablehlo.multiply %e, %half : tensor<4xf32>
      %nx = stablehlo.add %x, %s : tensor<4xf32>
      %ni = stablehlo.add %i, %one : tensor<i32>
      stablehlo.return %ni, %nx, %w : tensor<i32>, tensor<4xf32>, tensor<4xf32>
    }
  return %r#1 : tensor<4xf32>
}

// A loop whose every op depends on a carried value keeps them all.
// CHECK-LABEL: func.func @variant
// CHECK:       stablehlo.while
// CHECK:       do {
// CHECK:       stablehlo.tanh
// CHECK:       stablehlo.add
func.func @variant(%x0: tensor<4xf32>) -> tensor<4xf32> {
  %zero = stablehlo.constant dense<0> : tensor<i32>
  %ten = stablehlo.constant dense<10> : tensor<i32>
  %one = stablehlo.constant dense<1> : tensor<i32>
  %r:2 = stablehlo.while(%i = %zero, %x = %x0) : tensor<i32>, tensor<4xf32>
    cond {
      %p = stablehlo.compare LT, %i, %ten : (tensor<i32>, tensor<i32>) -> tensor<i1>
      stablehlo.return %p : tensor<i1>
    } do {
      %t = stablehlo.tanh %x : tensor<4xf32>
      %ni = stablehlo.add %i, %one : tensor<i32>
      stablehlo.return %ni, %t : tensor<i32>, tensor<4xf32>
    }
  return %r#1 : tensor<4xf32>
}
