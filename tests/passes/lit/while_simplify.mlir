// RUN: dump-ir %s --pipeline while-simplify | filecheck %s

// A carried value nobody reads (%dead: result unused, condition ignores it, body only
// computes its next value) leaves the loop; the loop keeps its other carries and attributes.
// CHECK-LABEL: func.func @dead_carry
// CHECK:       stablehlo.while(%{{.*}} = %{{.*}}, %{{.*}} = %arg0) : tensor<i32>, tensor<4xf32>
// CHECK-SAME:  pyreactant.trip_count = 10
// CHECK-NOT:   stablehlo.sine
// CHECK:       return
func.func @dead_carry(%x0: tensor<4xf32>, %d0: tensor<4xf32>) -> tensor<4xf32> {
  %zero = stablehlo.constant dense<0> : tensor<i32>
  %ten = stablehlo.constant dense<10> : tensor<i32>
  %one = stablehlo.constant dense<1> : tensor<i32>
  %r:3 = stablehlo.while(%i = %zero, %x = %x0, %dead = %d0) : tensor<i32>, tensor<4xf32>, tensor<4xf32>
    attributes {pyreactant.trip_count = 10 : i64}
    cond {
      %p = stablehlo.compare LT, %i, %ten : (tensor<i32>, tensor<i32>) -> tensor<i1>
      stablehlo.return %p : tensor<i1>
    } do {
      %nx = stablehlo.tanh %x : tensor<4xf32>
      %nd = stablehlo.sine %x : tensor<4xf32>
      %ni = stablehlo.add %i, %one : tensor<i32>
      stablehlo.return %ni, %nx, %nd : tensor<i32>, tensor<4xf32>, tensor<4xf32>
    }
  return %r#1 : tensor<4xf32>
}

// A carry that feeds another carry stays, even with its own result unused.
// CHECK-LABEL: func.func @feeding_carry
// CHECK:       stablehlo.while({{.*}}) : tensor<i32>, tensor<4xf32>, tensor<4xf32>
func.func @feeding_carry(%x0: tensor<4xf32>, %d0: tensor<4xf32>) -> tensor<4xf32> {
  %zero = stablehlo.constant dense<0> : tensor<i32>
  %ten = stablehlo.constant dense<10> : tensor<i32>
  %one = stablehlo.constant dense<1> : tensor<i32>
  %r:3 = stablehlo.while(%i = %zero, %x = %x0, %d = %d0) : tensor<i32>, tensor<4xf32>, tensor<4xf32>
    cond {
      %p = stablehlo.compare LT, %i, %ten : (tensor<i32>, tensor<i32>) -> tensor<i1>
      stablehlo.return %p : tensor<i1>
    } do {
      %nx = stablehlo.add %x, %d : tensor<4xf32>
      %nd = stablehlo.sine %d : tensor<4xf32>
      %ni = stablehlo.add %i, %one : tensor<i32>
      stablehlo.return %ni, %nx, %nd : tensor<i32>, tensor<4xf32>, tensor<4xf32>
    }
  return %r#1 : tensor<4xf32>
}

// A loop whose condition is the constant false returns its initial values.
// CHECK-LABEL: func.func @never_runs
// CHECK-NOT:   stablehlo.while
// CHECK:       return %arg0
func.func @never_runs(%x0: tensor<4xf32>) -> tensor<4xf32> {
  %r = stablehlo.while(%x = %x0) : tensor<4xf32>
    cond {
      %f = stablehlo.constant dense<false> : tensor<i1>
      stablehlo.return %f : tensor<i1>
    } do {
      %nx = stablehlo.tanh %x : tensor<4xf32>
      stablehlo.return %nx : tensor<4xf32>
    }
  return %r : tensor<4xf32>
}
