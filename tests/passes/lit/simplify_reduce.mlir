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

// -----

// Nested sums from +0.0 merge: the inner +0.0 changes nothing once the outer one is there. Sums
// from different inits do not.
// CHECK-LABEL: func.func @nested_from_positive_zero
// CHECK:       %[[M:.*]] = stablehlo.reduce(%arg0 init: %[[Z:.*]]) applies stablehlo.add across dimensions = [0, 2] : (tensor<2x3x4xf32>, tensor<f32>) -> tensor<3xf32>
// CHECK:       %[[I:.*]] = stablehlo.reduce(%arg0 init: %[[Z]]) applies stablehlo.add across dimensions = [2]
// CHECK:       %[[O:.*]] = stablehlo.reduce(%[[I]] init: %{{.*}}) applies stablehlo.add across dimensions = [0]
// CHECK:       return %[[M]], %[[O]]
func.func @nested_from_positive_zero(%a: tensor<2x3x4xf32>) -> (tensor<3xf32>, tensor<3xf32>) {
  %p0 = stablehlo.constant dense<0.0> : tensor<f32>
  %m0 = stablehlo.constant dense<-0.0> : tensor<f32>
  %0 = stablehlo.reduce(%a init: %p0) applies stablehlo.add across dimensions = [2] : (tensor<2x3x4xf32>, tensor<f32>) -> tensor<2x3xf32>
  %1 = stablehlo.reduce(%0 init: %p0) applies stablehlo.add across dimensions = [0] : (tensor<2x3xf32>, tensor<f32>) -> tensor<3xf32>
  %2 = stablehlo.reduce(%a init: %p0) applies stablehlo.add across dimensions = [2] : (tensor<2x3x4xf32>, tensor<f32>) -> tensor<2x3xf32>
  %3 = stablehlo.reduce(%2 init: %m0) applies stablehlo.add across dimensions = [0] : (tensor<2x3xf32>, tensor<f32>) -> tensor<3xf32>
  return %1, %3 : tensor<3xf32>, tensor<3xf32>
}

// -----

// A sum from +0.0 of products is a dot_general (HIGHEST precision: a TF32 or bf16 dot would not
// compute the multiply's f32 products), the kept dims its batch dims; summed over a dot's batch dim
// it is one dot contracting that dim too. A sum of everything stays a reduce (it fuses with what
// feeds it; a dot with a scalar result would read materialised operands).
// CHECK-LABEL: func.func @sum_of_products
// CHECK:       %[[V:.*]] = stablehlo.dot_general %arg0, %arg1, batching_dims = [0, 2] x [0, 2], contracting_dims = [1] x [1], precision = [HIGHEST, HIGHEST] : (tensor<2x3x4xf32>, tensor<2x3x4xf32>) -> tensor<2x4xf32>
// CHECK:       %[[M:.*]] = stablehlo.multiply %arg0, %arg0
// CHECK:       %[[S:.*]] = stablehlo.reduce(%[[M]] init: %{{.*}}) applies stablehlo.add across dimensions = [2, 0, 1]
// CHECK:       %[[B:.*]] = stablehlo.dot_general %arg2, %arg3, batching_dims = [1] x [1], contracting_dims = [0, 2] x [0, 3] : (tensor<5x2x3xf64>, tensor<5x2x7x3xf64>) -> tensor<2x7xf64>
// CHECK-NOT:   stablehlo.reduce
// CHECK:       return %[[V]], %[[S]], %[[B]]
func.func @sum_of_products(%a: tensor<2x3x4xf32>, %b: tensor<2x3x4xf32>, %p: tensor<5x2x3xf64>, %q: tensor<5x2x7x3xf64>)
    -> (tensor<2x4xf32>, tensor<f32>, tensor<2x7xf64>) {
  %z = stablehlo.constant dense<0.0> : tensor<f32>
  %z64 = stablehlo.constant dense<0.0> : tensor<f64>
  %0 = stablehlo.multiply %a, %b : tensor<2x3x4xf32>
  %1 = stablehlo.reduce(%0 init: %z) applies stablehlo.add across dimensions = [1] : (tensor<2x3x4xf32>, tensor<f32>) -> tensor<2x4xf32>
  %2 = stablehlo.multiply %a, %a : tensor<2x3x4xf32>
  %3 = stablehlo.reduce(%2 init: %z) applies stablehlo.add across dimensions = [2, 0, 1] : (tensor<2x3x4xf32>, tensor<f32>) -> tensor<f32>
  %4 = stablehlo.dot_general %p, %q, batching_dims = [0, 1] x [0, 1], contracting_dims = [2] x [3] : (tensor<5x2x3xf64>, tensor<5x2x7x3xf64>) -> tensor<5x2x7xf64>
  %5 = stablehlo.reduce(%4 init: %z64) applies stablehlo.add across dimensions = [0] : (tensor<5x2x7xf64>, tensor<f64>) -> tensor<2x7xf64>
  return %1, %3, %5 : tensor<2x4xf32>, tensor<f32>, tensor<2x7xf64>
}

// -----

// Sums of products that stay: from -0.0 (a dot sums from +0.0: all -0.0 products would give +0.0),
// of a product also used elsewhere, of a broadcast factor (a dot would materialise it), of f16
// (a dot accumulates wider), over one element; and a sum over a dot's free dim.
// CHECK-LABEL: func.func @sum_of_products_kept
// CHECK:       %[[P:.*]] = stablehlo.multiply %arg0, %arg1
// CHECK:       stablehlo.reduce(%[[P]] init: %{{.*}}) applies stablehlo.add across dimensions = [1]
// CHECK:       %[[Q:.*]] = stablehlo.multiply %arg1, %arg0
// CHECK:       %[[W:.*]] = stablehlo.multiply %arg0, %{{.*}} : tensor<2x3x4xf32>
// CHECK:       stablehlo.reduce(%[[W]] init: %{{.*}}) applies stablehlo.add across dimensions = [1]
// CHECK:       %[[H:.*]] = stablehlo.multiply %arg3, %arg3
// CHECK:       stablehlo.reduce(%[[H]] init: %{{.*}}) applies stablehlo.add across dimensions = [1]
// CHECK:       %[[U:.*]] = stablehlo.multiply %arg4, %arg4
// CHECK:       stablehlo.reshape %[[U]]
// CHECK:       %[[D:.*]] = stablehlo.dot_general %arg0, %arg1, contracting_dims = [1] x [1] : (tensor<2x3x4xf32>, tensor<2x3x4xf32>) -> tensor<2x4x2x4xf32>
// CHECK:       stablehlo.reduce(%[[D]] init: %{{.*}}) applies stablehlo.add across dimensions = [0]
func.func @sum_of_products_kept(%a: tensor<2x3x4xf32>, %b: tensor<2x3x4xf32>, %w: tensor<4xf32>, %h: tensor<2x3xf16>, %u: tensor<2x1xf32>)
    -> (tensor<2x4xf32>, tensor<2x3x4xf32>, tensor<2x4xf32>, tensor<2xf16>, tensor<2xf32>, tensor<4x2x4xf32>) {
  %z = stablehlo.constant dense<0.0> : tensor<f32>
  %m0 = stablehlo.constant dense<-0.0> : tensor<f32>
  %z16 = stablehlo.constant dense<0.0> : tensor<f16>
  %0 = stablehlo.multiply %a, %b : tensor<2x3x4xf32>
  %1 = stablehlo.reduce(%0 init: %m0) applies stablehlo.add across dimensions = [1] : (tensor<2x3x4xf32>, tensor<f32>) -> tensor<2x4xf32>
  %2 = stablehlo.multiply %b, %a : tensor<2x3x4xf32>
  %3 = stablehlo.reduce(%2 init: %z) applies stablehlo.add across dimensions = [1] : (tensor<2x3x4xf32>, tensor<f32>) -> tensor<2x4xf32>
  %wb = stablehlo.broadcast_in_dim %w, dims = [2] : (tensor<4xf32>) -> tensor<2x3x4xf32>
  %4 = stablehlo.multiply %a, %wb : tensor<2x3x4xf32>
  %5 = stablehlo.reduce(%4 init: %z) applies stablehlo.add across dimensions = [1] : (tensor<2x3x4xf32>, tensor<f32>) -> tensor<2x4xf32>
  %6 = stablehlo.multiply %h, %h : tensor<2x3xf16>
  %7 = stablehlo.reduce(%6 init: %z16) applies stablehlo.add across dimensions = [1] : (tensor<2x3xf16>, tensor<f16>) -> tensor<2xf16>
  %8 = stablehlo.multiply %u, %u : tensor<2x1xf32>
  %9 = stablehlo.reduce(%8 init: %z) applies stablehlo.add across dimensions = [1] : (tensor<2x1xf32>, tensor<f32>) -> tensor<2xf32>
  %10 = stablehlo.dot_general %a, %b, contracting_dims = [1] x [1] : (tensor<2x3x4xf32>, tensor<2x3x4xf32>) -> tensor<2x4x2x4xf32>
  %11 = stablehlo.reduce(%10 init: %z) applies stablehlo.add across dimensions = [0] : (tensor<2x4x2x4xf32>, tensor<f32>) -> tensor<4x2x4xf32>
  return %1, %2, %5, %7, %9, %11 : tensor<2x4xf32>, tensor<2x3x4xf32>, tensor<2x4xf32>, tensor<2xf16>, tensor<2xf32>, tensor<4x2x4xf32>
}

// -----

// +0.0 added to a sum from +0.0 (JAX adds one after each bias gradient) changes nothing: such a
// sum is never -0.0. Through a reshape, after the sum became a dot, and when a second sum over
// unit dims would add it. Not to a sum from -0.0, nor to any other value.
// CHECK-LABEL: func.func @zero_added_to_sum
// CHECK:       %[[S:.*]] = stablehlo.reduce(%arg0 init: %[[Z:.*]]) applies stablehlo.add across dimensions = [0] : (tensor<3x4xf32>, tensor<f32>) -> tensor<4xf32>
// CHECK:       %[[R:.*]] = stablehlo.reshape %[[S]] : (tensor<4xf32>) -> tensor<1x4xf32>
// CHECK:       %[[D:.*]] = stablehlo.dot_general %arg0, %arg0, batching_dims = [1] x [1], contracting_dims = [0] x [0]
// CHECK:       %[[N:.*]] = stablehlo.reduce(%arg0 init: %{{.*}}) applies stablehlo.add across dimensions = [0]
// CHECK:       %[[NA:.*]] = stablehlo.add %[[N]], %{{.*}} : tensor<4xf32>
// CHECK:       %[[XA:.*]] = stablehlo.add %arg1, %{{.*}} : tensor<4xf32>
// CHECK:       return %[[S]], %[[R]], %[[D]], %[[S]], %[[NA]], %[[XA]]
func.func @zero_added_to_sum(%a: tensor<3x4xf32>, %x: tensor<4xf32>)
    -> (tensor<4xf32>, tensor<1x4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %z = stablehlo.constant dense<0.0> : tensor<f32>
  %m0 = stablehlo.constant dense<-0.0> : tensor<f32>
  %z4 = stablehlo.constant dense<0.0> : tensor<4xf32>
  %z14 = stablehlo.constant dense<0.0> : tensor<1x4xf32>
  %0 = stablehlo.reduce(%a init: %z) applies stablehlo.add across dimensions = [0] : (tensor<3x4xf32>, tensor<f32>) -> tensor<4xf32>
  %1 = stablehlo.add %0, %z4 : tensor<4xf32>
  %r = stablehlo.reshape %0 : (tensor<4xf32>) -> tensor<1x4xf32>
  %2 = stablehlo.add %z14, %r : tensor<1x4xf32>
  %sq = stablehlo.multiply %a, %a : tensor<3x4xf32>
  %3 = stablehlo.reduce(%sq init: %z) applies stablehlo.add across dimensions = [0] : (tensor<3x4xf32>, tensor<f32>) -> tensor<4xf32>
  %4 = stablehlo.add %3, %z4 : tensor<4xf32>
  %5 = stablehlo.reduce(%r init: %z) applies stablehlo.add across dimensions = [0] : (tensor<1x4xf32>, tensor<f32>) -> tensor<4xf32>
  %6 = stablehlo.reduce(%a init: %m0) applies stablehlo.add across dimensions = [0] : (tensor<3x4xf32>, tensor<f32>) -> tensor<4xf32>
  %7 = stablehlo.add %6, %z4 : tensor<4xf32>
  %8 = stablehlo.add %x, %z4 : tensor<4xf32>
  return %1, %2, %4, %5, %7, %8 : tensor<4xf32>, tensor<1x4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}

// -----

// max(reduce_max(x, c), c) is the reduce (max is idempotent); not with another constant or op.
// CHECK-LABEL: func.func @init_combined_again
// CHECK:       %[[M:.*]] = stablehlo.reduce(%arg0 init: %{{.*}}) applies stablehlo.maximum across dimensions = [1]
// CHECK:       %[[Z:.*]] = stablehlo.reduce(%arg0 init: %{{.*}}) applies stablehlo.maximum across dimensions = [1]
// CHECK:       %[[K1:.*]] = stablehlo.maximum %[[Z]], %{{.*}} : tensor<2xf32>
// CHECK:       %[[K2:.*]] = stablehlo.minimum %[[Z]], %{{.*}} : tensor<2xf32>
// CHECK:       return %[[M]], %[[K1]], %[[K2]]
func.func @init_combined_again(%a: tensor<2x4xf32>) -> (tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) {
  %ninf = stablehlo.constant dense<0xFF800000> : tensor<f32>
  %z = stablehlo.constant dense<0.0> : tensor<f32>
  %0 = stablehlo.reduce(%a init: %ninf) applies stablehlo.maximum across dimensions = [1] : (tensor<2x4xf32>, tensor<f32>) -> tensor<2xf32>
  %c = stablehlo.constant dense<0xFF800000> : tensor<2xf32>
  %1 = stablehlo.maximum %c, %0 : tensor<2xf32>
  %2 = stablehlo.reduce(%a init: %z) applies stablehlo.maximum across dimensions = [1] : (tensor<2x4xf32>, tensor<f32>) -> tensor<2xf32>
  %m0 = stablehlo.constant dense<-0.0> : tensor<2xf32>
  %3 = stablehlo.maximum %2, %m0 : tensor<2xf32>
  %p0 = stablehlo.constant dense<0.0> : tensor<2xf32>
  %4 = stablehlo.minimum %2, %p0 : tensor<2xf32>
  return %1, %3, %4 : tensor<2xf32>, tensor<2xf32>, tensor<2xf32>
}

// -----

// An integer sum of a broadcast from 0 counts each element `repeats` times: a multiply (wrapping alike).
// CHECK-LABEL: func.func @integer_sum_of_broadcast
// CHECK:       %[[FIVE:.+]] = stablehlo.constant dense<5> : tensor<3xi32>
// CHECK-NEXT:  %[[M:.+]] = stablehlo.multiply %arg0, %[[FIVE]]
// CHECK-NOT:   stablehlo.reduce
// CHECK:       return %[[M]]
func.func @integer_sum_of_broadcast(%x: tensor<3xi32>) -> tensor<3xi32> {
  %b = stablehlo.broadcast_in_dim %x, dims = [1] : (tensor<3xi32>) -> tensor<5x3xi32>
  %z = stablehlo.constant dense<0> : tensor<i32>
  %r = stablehlo.reduce(%b init: %z) applies stablehlo.add across dimensions = [0] : (tensor<5x3xi32>, tensor<i32>) -> tensor<3xi32>
  return %r : tensor<3xi32>
}

// -----

// A float sum of repeats rounds at every step, unlike a product: it stays a reduce.
// CHECK-LABEL: func.func @float_sum_of_broadcast_stays
// CHECK:       stablehlo.reduce
// CHECK-NOT:   stablehlo.multiply
func.func @float_sum_of_broadcast_stays(%x: tensor<3xf32>) -> tensor<3xf32> {
  %b = stablehlo.broadcast_in_dim %x, dims = [1] : (tensor<3xf32>) -> tensor<5x3xf32>
  %z = stablehlo.constant dense<0.0> : tensor<f32>
  %r = stablehlo.reduce(%b init: %z) applies stablehlo.add across dimensions = [0] : (tensor<5x3xf32>, tensor<f32>) -> tensor<3xf32>
  return %r : tensor<3xf32>
}

// -----

// max(reduce_max(x, c), y) stays when y is not a constant.
// CHECK-LABEL: func.func @init_combined_with_a_value
// CHECK:       %[[M:.*]] = stablehlo.reduce(%arg0 init: %{{.*}}) applies stablehlo.maximum across dimensions = [1]
// CHECK:       %[[K:.*]] = stablehlo.maximum %[[M]], %arg1 : tensor<2xf32>
// CHECK:       return %[[K]]
func.func @init_combined_with_a_value(%a: tensor<2x4xf32>, %b: tensor<2xf32>) -> tensor<2xf32> {
  %ninf = stablehlo.constant dense<0xFF800000> : tensor<f32>
  %0 = stablehlo.reduce(%a init: %ninf) applies stablehlo.maximum across dimensions = [1] : (tensor<2x4xf32>, tensor<f32>) -> tensor<2xf32>
  %1 = stablehlo.maximum %0, %b : tensor<2xf32>
  return %1 : tensor<2xf32>
}
