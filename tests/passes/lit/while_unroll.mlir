// RUN: dump-ir %s --pipeline "while-simplify{unroll-threshold=4},dce" | filecheck %s
// RUN: dump-ir %s --pipeline "while-simplify,dce" | filecheck %s --check-prefix=DEFAULT

// A loop with a static trip count at most the threshold becomes its body three times over, the
// counter a constant in each copy (0, 1, 2) and after the loop (3). By default nothing unrolls.
// CHECK-LABEL: func.func @three_turns
// CHECK-NOT:   stablehlo.while
// CHECK:       %[[C0:.*]] = stablehlo.constant dense<0> : tensor<i32>
// CHECK:       stablehlo.convert %[[C0]]
// CHECK:       %[[X1:.*]] = stablehlo.add %arg0, %{{.*}} : tensor<4xf32>
// CHECK:       %[[C1:.*]] = stablehlo.constant dense<1> : tensor<i32>
// CHECK:       stablehlo.convert %[[C1]]
// CHECK:       %[[X2:.*]] = stablehlo.add %[[X1]], %{{.*}} : tensor<4xf32>
// CHECK:       %[[C2:.*]] = stablehlo.constant dense<2> : tensor<i32>
// CHECK:       %[[X3:.*]] = stablehlo.add %[[X2]], %{{.*}} : tensor<4xf32>
// CHECK:       %[[C3:.*]] = stablehlo.constant dense<3> : tensor<i32>
// CHECK:       return %[[X3]], %[[C3]]
// DEFAULT-LABEL: func.func @three_turns
// DEFAULT:       stablehlo.while
func.func @three_turns(%x0: tensor<4xf32>) -> (tensor<4xf32>, tensor<i32>) {
  %zero = stablehlo.constant dense<0> : tensor<i32>
  %three = stablehlo.constant dense<3> : tensor<i32>
  %one = stablehlo.constant dense<1> : tensor<i32>
  %r:2 = stablehlo.while(%i = %zero, %x = %x0) : tensor<i32>, tensor<4xf32>
    attributes {pyreactant.trip_count = 3 : i64}
    cond {
      %p = stablehlo.compare LT, %i, %three : (tensor<i32>, tensor<i32>) -> tensor<i1>
      stablehlo.return %p : tensor<i1>
    } do {
      %f = stablehlo.convert %i : (tensor<i32>) -> tensor<f32>
      %b = stablehlo.broadcast_in_dim %f, dims = [] : (tensor<f32>) -> tensor<4xf32>
      %nx = stablehlo.add %x, %b : tensor<4xf32>
      %ni = stablehlo.add %i, %one : tensor<i32>
      stablehlo.return %ni, %nx : tensor<i32>, tensor<4xf32>
    }
  return %r#1, %r#0 : tensor<4xf32>, tensor<i32>
}

// -----

// Above the threshold, or without a known trip count, the loop stays.
// CHECK-LABEL: func.func @too_many_or_unknown
// CHECK:       stablehlo.while
// CHECK-SAME:  pyreactant.trip_count = 5
// CHECK:       stablehlo.while
func.func @too_many_or_unknown(%x0: tensor<4xf32>, %n: tensor<i32>) -> (tensor<4xf32>, tensor<4xf32>) {
  %zero = stablehlo.constant dense<0> : tensor<i32>
  %five = stablehlo.constant dense<5> : tensor<i32>
  %one = stablehlo.constant dense<1> : tensor<i32>
  %r:2 = stablehlo.while(%i = %zero, %x = %x0) : tensor<i32>, tensor<4xf32>
    attributes {pyreactant.trip_count = 5 : i64}
    cond {
      %p = stablehlo.compare LT, %i, %five : (tensor<i32>, tensor<i32>) -> tensor<i1>
      stablehlo.return %p : tensor<i1>
    } do {
      %nx = stablehlo.tanh %x : tensor<4xf32>
      %ni = stablehlo.add %i, %one : tensor<i32>
      stablehlo.return %ni, %nx : tensor<i32>, tensor<4xf32>
    }
  %s:2 = stablehlo.while(%i = %zero, %x = %x0) : tensor<i32>, tensor<4xf32>
    cond {
      %p = stablehlo.compare LT, %i, %n : (tensor<i32>, tensor<i32>) -> tensor<i1>
      stablehlo.return %p : tensor<i1>
    } do {
      %nx = stablehlo.tanh %x : tensor<4xf32>
      %ni = stablehlo.add %i, %one : tensor<i32>
      stablehlo.return %ni, %nx : tensor<i32>, tensor<4xf32>
    }
  return %r#1, %s#1 : tensor<4xf32>, tensor<4xf32>
}

// -----

// A nested loop unrolls inside its parent first; then the parent unrolls around the copies.
// CHECK-LABEL: func.func @nested
// CHECK-NOT:   stablehlo.while
// CHECK-COUNT-4: stablehlo.multiply
// CHECK-NOT:   stablehlo.multiply
func.func @nested(%x0: tensor<4xf32>) -> tensor<4xf32> {
  %zero = stablehlo.constant dense<0> : tensor<i32>
  %two = stablehlo.constant dense<2> : tensor<i32>
  %one = stablehlo.constant dense<1> : tensor<i32>
  %r:2 = stablehlo.while(%i = %zero, %x = %x0) : tensor<i32>, tensor<4xf32>
    attributes {pyreactant.trip_count = 2 : i64}
    cond {
      %p = stablehlo.compare LT, %i, %two : (tensor<i32>, tensor<i32>) -> tensor<i1>
      stablehlo.return %p : tensor<i1>
    } do {
      %in:2 = stablehlo.while(%j = %zero, %y = %x) : tensor<i32>, tensor<4xf32>
        attributes {pyreactant.trip_count = 2 : i64}
        cond {
          %q = stablehlo.compare LT, %j, %two : (tensor<i32>, tensor<i32>) -> tensor<i1>
          stablehlo.return %q : tensor<i1>
        } do {
          %ny = stablehlo.multiply %y, %y : tensor<4xf32>
          %nj = stablehlo.add %j, %one : tensor<i32>
          stablehlo.return %nj, %ny : tensor<i32>, tensor<4xf32>
        }
      %ni = stablehlo.add %i, %one : tensor<i32>
      stablehlo.return %ni, %in#1 : tensor<i32>, tensor<4xf32>
    }
  return %r#1 : tensor<4xf32>
}
