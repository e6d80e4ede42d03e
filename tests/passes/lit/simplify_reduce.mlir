// RUN: dump-ir %s --pipeline "simplify{fold=false},dce" | filecheck %s

// Over size-1 dims (or none) a reduce is body(init, x): with the identity init (-0.0 for a float
// sum, -inf for max) a reshape; from +0.0 it is an add, which turns -0.0 into +0.0 just the same.
// CHECK-LABEL: func.func @unit_dims
// CHECK-NOT:   stablehlo.reduce
// CHECK:       %[[R:.*]] = stablehlo.reshape %arg0 : (tensor<3x1xf32>) -> tensor<3xf32>
// CHECK:       %[[S:.*]] = stablehlo.reshape %arg1 : (tensor<3x1xf32>) -> tensor<3xf32>
// CHECK:       %[[Z:.*]] = stablehlo.broadcast_in_dim %{{.*}}, dims = [] : (tensor<f32>) -> tensor<3xf32>
// CHECK:       %[[A:.*]] = stablehlo.add %[[Z]], %[[S]] : tensor<3xf32>
// CHECK:       return %[[R]], %[[A]], %arg2
func.func @unit_dims(%a: tensor<3x1xf32>, %b: tensor<3x1xf32>, %c: tensor<4xf32>) -> (tensor<3xf32>, tensor<3xf32>, tensor<4xf32>) {
  %m0 = stablehlo.constant dense<-0.0> : tensor<f32>
  %p0 = stablehlo.constant dense<0.0> : tensor<f32>
  %ninf = stablehlo.constant dense<0xFF800000> : tensor<f32>
  %0 = stablehlo.reduce(%a init: %m0) applies stablehlo.add across dimensions = [1] : (tensor<3x1xf32>, tensor<f32>) -> tensor<3xf32>
  %1 = stablehlo.reduce(%b init: %p0) applies stablehlo.add across dimensions = [1] : (tensor<3x1xf32>, tensor<f32>) -> tensor<3xf32>
  %2 = stablehlo.reduce(%c init: %ninf) applies stablehlo.maximum across dimensions = [] : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  return %0, %1, %2 : tensor<3xf32>, tensor<3xf32>, tensor<4xf32>
}

// -----

// A reduce over a real dim stays.
// CHECK-LABEL: func.func @real_dim
// CHECK:       stablehlo.reduce(%arg0 init: %{{.*}}) applies stablehlo.add across dimensions = [1]
func.func @real_dim(%a: tensor<3x2xf32>) -> tensor<3xf32> {
  %m0 = stablehlo.constant dense<-0.0> : tensor<f32>
  %0 = stablehlo.reduce(%a init: %m0) applies stablehlo.add across dimensions = [1] : (tensor<3x2xf32>, tensor<f32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

// A reduce of a reduce with the same body and identity init is one reduce; a zero-size input
// reduces to its init.
// CHECK-LABEL: func.func @nested_and_empty
// CHECK:       %[[R:.*]] = stablehlo.reduce(%arg0 init: %[[I:.*]]) applies stablehlo.add across dimensions = [0, 2] : (tensor<2x3x4xf32>, tensor<f32>) -> tensor<3xf32>
// CHECK:       %[[E:.*]] = stablehlo.broadcast_in_dim %[[I]], dims = [] : (tensor<f32>) -> tensor<3xf32>
// CHECK:       return %[[R]], %[[E]]
func.func @nested_and_empty(%a: tensor<2x3x4xf32>, %e: tensor<0x3xf32>) -> (tensor<3xf32>, tensor<3xf32>) {
  %m0 = stablehlo.constant dense<-0.0> : tensor<f32>
  %0 = stablehlo.reduce(%a init: %m0) applies stablehlo.add across dimensions = [2] : (tensor<2x3x4xf32>, tensor<f32>) -> tensor<2x3xf32>
  %1 = stablehlo.reduce(%0 init: %m0) applies stablehlo.add across dimensions = [0] : (tensor<2x3xf32>, tensor<f32>) -> tensor<3xf32>
  %2 = stablehlo.reduce(%e init: %m0) applies stablehlo.add across dimensions = [0] : (tensor<0x3xf32>, tensor<f32>) -> tensor<3xf32>
  return %1, %2 : tensor<3xf32>, tensor<3xf32>
}

// -----

// Nested sums from a non-identity init (+1.0 would be added twice), or with different bodies, stay nested.
// CHECK-LABEL: func.func @nested_kept
// CHECK:       %[[A:.*]] = stablehlo.reduce(%arg0 init: %{{.*}}) applies stablehlo.add across dimensions = [2]
// CHECK:       stablehlo.reduce(%[[A]] init: %{{.*}}) applies stablehlo.add across dimensions = [0]
// CHECK:       %[[M:.*]] = stablehlo.reduce(%arg0 init: %{{.*}}) applies stablehlo.maximum across dimensions = [2]
// CHECK:       stablehlo.reduce(%[[M]] init: %{{.*}}) applies stablehlo.add across dimensions = [0]
func.func @nested_kept(%a: tensor<2x3x4xf32>) -> (tensor<3xf32>, tensor<3xf32>) {
  %one = stablehlo.constant dense<1.0> : tensor<f32>
  %m0 = stablehlo.constant dense<-0.0> : tensor<f32>
  %0 = stablehlo.reduce(%a init: %one) applies stablehlo.add across dimensions = [2] : (tensor<2x3x4xf32>, tensor<f32>) -> tensor<2x3xf32>
  %1 = stablehlo.reduce(%0 init: %one) applies stablehlo.add across dimensions = [0] : (tensor<2x3xf32>, tensor<f32>) -> tensor<3xf32>
  %2 = stablehlo.reduce(%a init: %m0) applies stablehlo.maximum across dimensions = [2] : (tensor<2x3x4xf32>, tensor<f32>) -> tensor<2x3xf32>
  %3 = stablehlo.reduce(%2 init: %m0) applies stablehlo.add across dimensions = [0] : (tensor<2x3xf32>, tensor<f32>) -> tensor<3xf32>
  return %1, %3 : tensor<3xf32>, tensor<3xf32>
}

// -----

// Reducing a broadcast: max over the broadcast dim is the operand (idempotent); a sum over the
// operand's own dim moves before the broadcast; a sum over the broadcast dim (x + x + x + x) stays.
// CHECK-LABEL: func.func @of_broadcast
// CHECK:       %[[B:.*]] = stablehlo.broadcast_in_dim %arg0, dims = [1] : (tensor<3xf32>) -> tensor<4x3xf32>
// CHECK:       %[[S:.*]] = stablehlo.reduce(%arg0 init: %{{.*}}) applies stablehlo.add across dimensions = [0] : (tensor<3xf32>, tensor<f32>) -> tensor<f32>
// CHECK:       %[[SB:.*]] = stablehlo.broadcast_in_dim %[[S]], dims = [] : (tensor<f32>) -> tensor<4xf32>
// CHECK:       %[[K:.*]] = stablehlo.reduce(%[[B]] init: %{{.*}}) applies stablehlo.add across dimensions = [0]
// CHECK:       return %arg0, %[[SB]], %[[K]]
func.func @of_broadcast(%x: tensor<3xf32>) -> (tensor<3xf32>, tensor<4xf32>, tensor<3xf32>) {
  %m0 = stablehlo.constant dense<-0.0> : tensor<f32>
  %ninf = stablehlo.constant dense<0xFF800000> : tensor<f32>
  %b = stablehlo.broadcast_in_dim %x, dims = [1] : (tensor<3xf32>) -> tensor<4x3xf32>
  %0 = stablehlo.reduce(%b init: %ninf) applies stablehlo.maximum across dimensions = [0] : (tensor<4x3xf32>, tensor<f32>) -> tensor<3xf32>
  %1 = stablehlo.reduce(%b init: %m0) applies stablehlo.add across dimensions = [1] : (tensor<4x3xf32>, tensor<f32>) -> tensor<4xf32>
  %2 = stablehlo.reduce(%b init: %m0) applies stablehlo.add across dimensions = [0] : (tensor<4x3xf32>, tensor<f32>) -> tensor<3xf32>
  return %0, %1, %2 : tensor<3xf32>, tensor<4xf32>, tensor<3xf32>
}

// -----

// A variadic reduce loses results nobody reads when the others do not depend on them
// (independent max and sum), but not when they do (argmax's index needs the values).
// CHECK-LABEL: func.func @unused_results
// CHECK:       %[[SUM:.*]] = stablehlo.reduce(%arg1 init: %{{.*}}) applies stablehlo.add across dimensions = [1] : (tensor<4x5xi32>, tensor<i32>) -> tensor<4xi32>
// CHECK:       %[[ARG:.*]]:2 = stablehlo.reduce(%arg0 init: %{{.*}}), (%arg1 init: %{{.*}})
// CHECK:       stablehlo.compare GT
// CHECK:       return %[[SUM]], %[[ARG]]#1
func.func @unused_results(%x: tensor<4x5xf32>, %i: tensor<4x5xi32>) -> (tensor<4xi32>, tensor<4xi32>) {
  %ninf = stablehlo.constant dense<0xFF800000> : tensor<f32>
  %z = stablehlo.constant dense<0> : tensor<i32>
  %r:2 = stablehlo.reduce(%x init: %ninf), (%i init: %z) across dimensions = [1] : (tensor<4x5xf32>, tensor<4x5xi32>, tensor<f32>, tensor<i32>) -> (tensor<4xf32>, tensor<4xi32>)
   reducer(%a: tensor<f32>, %c: tensor<f32>) (%b: tensor<i32>, %d: tensor<i32>) {
    %v = stablehlo.maximum %a, %c : tensor<f32>
    %j = stablehlo.add %b, %d : tensor<i32>
    stablehlo.return %v, %j : tensor<f32>, tensor<i32>
  }
  %s:2 = stablehlo.reduce(%x init: %ninf), (%i init: %z) across dimensions = [1] : (tensor<4x5xf32>, tensor<4x5xi32>, tensor<f32>, tensor<i32>) -> (tensor<4xf32>, tensor<4xi32>)
   reducer(%a: tensor<f32>, %c: tensor<f32>) (%b: tensor<i32>, %d: tensor<i32>) {
    %g = stablehlo.compare GT, %a, %c : (tensor<f32>, tensor<f32>) -> tensor<i1>
    %v = stablehlo.select %g, %a, %c : tensor<i1>, tensor<f32>
    %j = stablehlo.select %g, %b, %d : tensor<i1>, tensor<i32>
    stablehlo.return %v, %j : tensor<f32>, tensor<i32>
  }
  return %r#1, %s#1 : tensor<4xi32>, tensor<4xi32>
}
