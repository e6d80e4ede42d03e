// RUN: dump-ir %s --pipeline simplify,dce | filecheck %s
// RUN: dump-ir %s --pipeline "simplify{no-nan=true},dce" | filecheck %s --check-prefix=NONAN

// A transposed operand folds into the dimension numbers when its free dims keep their order.
// CHECK-LABEL: func.func @transpose_folded
// CHECK-NOT:   stablehlo.transpose
// CHECK:       %[[D:.*]] = stablehlo.dot_general %arg0, %arg1, contracting_dims = [0] x [0] : (tensor<3x2xf32>, tensor<3x4xf32>) -> tensor<2x4xf32>
// CHECK:       %[[B:.*]] = stablehlo.dot_general %arg2, %arg3, batching_dims = [2] x [0], contracting_dims = [0] x [2]
// CHECK:       return %[[D]], %[[B]]
func.func @transpose_folded(%a: tensor<3x2xf32>, %b: tensor<3x4xf32>, %c: tensor<3x2x5xf32>, %d: tensor<5x4x3xf32>)
    -> (tensor<2x4xf32>, tensor<5x2x4xf32>) {
  %t = stablehlo.transpose %a, dims = [1, 0] : (tensor<3x2xf32>) -> tensor<2x3xf32>
  %0 = stablehlo.dot_general %t, %b, contracting_dims = [1] x [0] : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<2x4xf32>
  %u = stablehlo.transpose %c, dims = [2, 1, 0] : (tensor<3x2x5xf32>) -> tensor<5x2x3xf32>
  %1 = stablehlo.dot_general %u, %d, batching_dims = [0] x [0], contracting_dims = [2] x [2] : (tensor<5x2x3xf32>, tensor<5x4x3xf32>) -> tensor<5x2x4xf32>
  return %0, %1 : tensor<2x4xf32>, tensor<5x2x4xf32>
}

// -----

// A transpose that swaps two free dims would reorder the result: it stays.
// CHECK-LABEL: func.func @free_dims_reordered
// CHECK:       %[[T:.*]] = stablehlo.transpose %arg0, dims = [2, 1, 0]
// CHECK:       stablehlo.dot_general %[[T]], %arg1, contracting_dims = [1] x [0]
func.func @free_dims_reordered(%a: tensor<4x3x2xf32>, %b: tensor<3x5xf32>) -> tensor<2x4x5xf32> {
  %t = stablehlo.transpose %a, dims = [2, 1, 0] : (tensor<4x3x2xf32>) -> tensor<2x3x4xf32>
  %0 = stablehlo.dot_general %t, %b, contracting_dims = [1] x [0] : (tensor<2x3x4xf32>, tensor<3x5xf32>) -> tensor<2x4x5xf32>
  return %0 : tensor<2x4x5xf32>
}

// -----

// A zero operand makes an integer dot zero. A float dot stays (0 * inf is nan; sums of -0.0
// products may be -0.0) unless no-nan is set.
// CHECK-LABEL: func.func @zero_operand
// CHECK:       %[[Z:.*]] = stablehlo.constant dense<0> : tensor<2x4xi32>
// CHECK:       %[[F:.*]] = stablehlo.dot_general %arg1, %{{.*}}, contracting_dims = [1] x [0] : (tensor<2x3xf32>, tensor<3x4xf32>)
// CHECK:       return %[[Z]], %[[F]]
// NONAN-LABEL: func.func @zero_operand
// NONAN-NOT:   stablehlo.dot_general
// NONAN:       %[[FZ:.*]] = stablehlo.constant dense<0.000000e+00> : tensor<2x4xf32>
// NONAN:       return %{{.*}}, %[[FZ]]
func.func @zero_operand(%a: tensor<2x3xi32>, %f: tensor<2x3xf32>) -> (tensor<2x4xi32>, tensor<2x4xf32>) {
  %z = stablehlo.constant dense<0> : tensor<3x4xi32>
  %0 = stablehlo.dot_general %a, %z, contracting_dims = [1] x [0] : (tensor<2x3xi32>, tensor<3x4xi32>) -> tensor<2x4xi32>
  %zf = stablehlo.constant dense<0.0> : tensor<3x4xf32>
  %1 = stablehlo.dot_general %f, %zf, contracting_dims = [1] x [0] : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<2x4xf32>
  return %0, %1 : tensor<2x4xi32>, tensor<2x4xf32>
}

// -----

// A non-zero splat operand is not folded.
// CHECK-LABEL: func.func @one_operand
// CHECK:       stablehlo.dot_general %arg0, %{{.*}}, contracting_dims = [1] x [0] : (tensor<2x3xi32>, tensor<3x4xi32>)
func.func @one_operand(%a: tensor<2x3xi32>) -> tensor<2x4xi32> {
  %o = stablehlo.constant dense<1> : tensor<3x4xi32>
  %0 = stablehlo.dot_general %a, %o, contracting_dims = [1] x [0] : (tensor<2x3xi32>, tensor<3x4xi32>) -> tensor<2x4xi32>
  return %0 : tensor<2x4xi32>
}

// A transpose that swaps the two free blocks of a dot's result is the dot with its operands swapped;
// one that also moves a batch dim, or a dot with another use, is kept.
// CHECK-LABEL: func.func @transpose_of_dot
// CHECK:       %[[SWAPPED:.*]] = stablehlo.dot_general %arg1, %arg0, contracting_dims = [0] x [0] : (tensor<32x256xf32>, tensor<32x10xf32>) -> tensor<256x10xf32>
// CHECK:       %[[D2:.*]] = stablehlo.dot_general %arg2, %arg3, batching_dims = [0] x [0], contracting_dims = [2] x [1]
// CHECK:       %[[T2:.*]] = stablehlo.transpose %[[D2]], dims = [1, 0, 2]
// CHECK:       %[[D3:.*]] = stablehlo.dot_general %arg0, %arg1
// CHECK:       %[[T3:.*]] = stablehlo.transpose %[[D3]], dims = [1, 0]
// CHECK:       return %[[SWAPPED]], %[[T2]], %[[T3]], %[[D3]]
func.func @transpose_of_dot(%a: tensor<32x10xf32>, %b: tensor<32x256xf32>, %p: tensor<4x2x3xf32>, %q: tensor<4x3x5xf32>)
    -> (tensor<256x10xf32>, tensor<2x4x5xf32>, tensor<256x10xf32>, tensor<10x256xf32>) {
  %0 = stablehlo.dot_general %a, %b, contracting_dims = [0] x [0] : (tensor<32x10xf32>, tensor<32x256xf32>) -> tensor<10x256xf32>
  %1 = stablehlo.transpose %0, dims = [1, 0] : (tensor<10x256xf32>) -> tensor<256x10xf32>
  %2 = stablehlo.dot_general %p, %q, batching_dims = [0] x [0], contracting_dims = [2] x [1] : (tensor<4x2x3xf32>, tensor<4x3x5xf32>) -> tensor<4x2x5xf32>
  %3 = stablehlo.transpose %2, dims = [1, 0, 2] : (tensor<4x2x5xf32>) -> tensor<2x4x5xf32>
  %4 = stablehlo.dot_general %a, %b, contracting_dims = [0] x [0] : (tensor<32x10xf32>, tensor<32x256xf32>) -> tensor<10x256xf32>
  %5 = stablehlo.transpose %4, dims = [1, 0] : (tensor<10x256xf32>) -> tensor<256x10xf32>
  return %1, %3, %5, %4 : tensor<256x10xf32>, tensor<2x4x5xf32>, tensor<256x10xf32>, tensor<10x256xf32>
}
