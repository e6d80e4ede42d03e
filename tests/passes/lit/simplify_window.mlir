// RUN: dump-ir %s --pipeline "simplify{fold=false},dce" | filecheck %s

// 2x2 sum pooling, stride 2, from +0.0 (what the tracer emits for mean pooling): four strided slices
// added, then the +0.0 init (kept: without it a window of -0.0 would sum to -0.0).
// CHECK-LABEL: func.func @sum_pool
// CHECK-NOT:   stablehlo.reduce_window
// CHECK:       %[[A:.*]] = stablehlo.slice %arg0 [0:2, 0:3, 0:3:2, 0:3:2]
// CHECK:       %[[B:.*]] = stablehlo.slice %arg0 [0:2, 0:3, 0:3:2, 1:4:2]
// CHECK:       %[[AB:.*]] = stablehlo.add %[[A]], %[[B]]
// CHECK:       %[[C:.*]] = stablehlo.slice %arg0 [0:2, 0:3, 1:4:2, 0:3:2]
// CHECK:       %[[ABC:.*]] = stablehlo.add %[[AB]], %[[C]]
// CHECK:       %[[D:.*]] = stablehlo.slice %arg0 [0:2, 0:3, 1:4:2, 1:4:2]
// CHECK:       %[[ABCD:.*]] = stablehlo.add %[[ABC]], %[[D]]
// CHECK:       %[[INIT:.*]] = stablehlo.broadcast_in_dim %{{.*}}, dims = [] : (tensor<f32>) -> tensor<2x3x2x2xf32>
// CHECK:       %[[SUM:.*]] = stablehlo.add %[[INIT]], %[[ABCD]]
// CHECK:       return %[[SUM]]
func.func @sum_pool(%x: tensor<2x3x4x4xf32>) -> tensor<2x3x2x2xf32> {
  %zero = stablehlo.constant dense<0.0> : tensor<f32>
  %0 = "stablehlo.reduce_window"(%x, %zero) <{window_dimensions = array<i64: 1, 1, 2, 2>, window_strides = array<i64: 1, 1, 2, 2>}> ({
  ^bb0(%a: tensor<f32>, %b: tensor<f32>):
    %s = stablehlo.add %a, %b : tensor<f32>
    stablehlo.return %s : tensor<f32>
  }) : (tensor<2x3x4x4xf32>, tensor<f32>) -> tensor<2x3x2x2xf32>
  return %0 : tensor<2x3x2x2xf32>
}

// -----

// Overlapping windows (3 wide, stride 1) slice at every offset; an identity init (integer 0) is left out.
// CHECK-LABEL: func.func @overlapping_integer_windows
// CHECK-NOT:   stablehlo.reduce_window
// CHECK:       %[[A:.*]] = stablehlo.slice %arg0 [0:4]
// CHECK:       %[[B:.*]] = stablehlo.slice %arg0 [1:5]
// CHECK:       %[[AB:.*]] = stablehlo.add %[[A]], %[[B]]
// CHECK:       %[[C:.*]] = stablehlo.slice %arg0 [2:6]
// CHECK:       %[[ABC:.*]] = stablehlo.add %[[AB]], %[[C]]
// CHECK-NOT:   stablehlo.broadcast_in_dim
// CHECK:       return %[[ABC]]
func.func @overlapping_integer_windows(%x: tensor<6xi32>) -> tensor<4xi32> {
  %zero = stablehlo.constant dense<0> : tensor<i32>
  %0 = "stablehlo.reduce_window"(%x, %zero) <{window_dimensions = array<i64: 3>, window_strides = array<i64: 1>}> ({
  ^bb0(%a: tensor<i32>, %b: tensor<i32>):
    %s = stablehlo.add %a, %b : tensor<i32>
    stablehlo.return %s : tensor<i32>
  }) : (tensor<6xi32>, tensor<i32>) -> tensor<4xi32>
  return %0 : tensor<4xi32>
}

// -----

// Left alone: max pooling (its derivative picks one maximum per window; a maximum of slices would
// split it between ties), padded and dilated windows, and a window of more than 16 elements.
// CHECK-LABEL: func.func @kept_windows
// CHECK-NOT:   stablehlo.slice
// CHECK-COUNT-4: stablehlo.reduce_window
// CHECK-NOT:   stablehlo.slice
func.func @kept_windows(%x: tensor<8x8xf32>) -> (tensor<4x4xf32>, tensor<5x5xf32>, tensor<6x6xf32>, tensor<1x1xf32>) {
  %zero = stablehlo.constant dense<0.0> : tensor<f32>
  %ninf = stablehlo.constant dense<0xFF800000> : tensor<f32>
  %0 = "stablehlo.reduce_window"(%x, %ninf) <{window_dimensions = array<i64: 2, 2>, window_strides = array<i64: 2, 2>}> ({
  ^bb0(%a: tensor<f32>, %b: tensor<f32>):
    %m = stablehlo.maximum %a, %b : tensor<f32>
    stablehlo.return %m : tensor<f32>
  }) : (tensor<8x8xf32>, tensor<f32>) -> tensor<4x4xf32>
  %1 = "stablehlo.reduce_window"(%x, %zero) <{window_dimensions = array<i64: 2, 2>, window_strides = array<i64: 2, 2>, padding = dense<[[1, 1], [1, 1]]> : tensor<2x2xi64>}> ({
  ^bb0(%a: tensor<f32>, %b: tensor<f32>):
    %s = stablehlo.add %a, %b : tensor<f32>
    stablehlo.return %s : tensor<f32>
  }) : (tensor<8x8xf32>, tensor<f32>) -> tensor<5x5xf32>
  %2 = "stablehlo.reduce_window"(%x, %zero) <{window_dimensions = array<i64: 2, 2>, window_dilations = array<i64: 2, 2>}> ({
  ^bb0(%a: tensor<f32>, %b: tensor<f32>):
    %s = stablehlo.add %a, %b : tensor<f32>
    stablehlo.return %s : tensor<f32>
  }) : (tensor<8x8xf32>, tensor<f32>) -> tensor<6x6xf32>
  %3 = "stablehlo.reduce_window"(%x, %zero) <{window_dimensions = array<i64: 8, 8>, window_strides = array<i64: 8, 8>}> ({
  ^bb0(%a: tensor<f32>, %b: tensor<f32>):
    %s = stablehlo.add %a, %b : tensor<f32>
    stablehlo.return %s : tensor<f32>
  }) : (tensor<8x8xf32>, tensor<f32>) -> tensor<1x1xf32>
  return %0, %1, %2, %3 : tensor<4x4xf32>, tensor<5x5xf32>, tensor<6x6xf32>, tensor<1x1xf32>
}

// -----

// The derivative of 2x2 sum pooling: one pad per offset of the 2x2 block, tiling the result, summed ->
// the cotangent broadcast over each block (its + 0.0 kept: -0.0 + 0.0 summed to +0.0).
// CHECK-LABEL: func.func @interleaved_pads
// CHECK-NOT:   stablehlo.pad
// CHECK:       %[[G:.*]] = stablehlo.add %arg0, %{{.*}} : tensor<2x3x2x2xf32>
// CHECK:       %[[B:.*]] = stablehlo.broadcast_in_dim %[[G]], dims = [0, 1, 2, 4] : (tensor<2x3x2x2xf32>) -> tensor<2x3x2x2x2x2xf32>
// CHECK:       %[[R:.*]] = stablehlo.reshape %[[B]] : (tensor<2x3x2x2x2x2xf32>) -> tensor<2x3x4x4xf32>
// CHECK-NOT:   stablehlo.pad
// CHECK:       return %[[R]]
func.func @interleaved_pads(%g: tensor<2x3x2x2xf32>) -> tensor<2x3x4x4xf32> {
  %z = stablehlo.constant dense<0.0> : tensor<f32>
  %0 = stablehlo.pad %g, %z, low = [0, 0, 1, 1], high = [0, 0, 0, 0], interior = [0, 0, 1, 1] : (tensor<2x3x2x2xf32>, tensor<f32>) -> tensor<2x3x4x4xf32>
  %1 = stablehlo.pad %g, %z, low = [0, 0, 1, 0], high = [0, 0, 0, 1], interior = [0, 0, 1, 1] : (tensor<2x3x2x2xf32>, tensor<f32>) -> tensor<2x3x4x4xf32>
  %2 = stablehlo.add %0, %1 : tensor<2x3x4x4xf32>
  %3 = stablehlo.pad %g, %z, low = [0, 0, 0, 1], high = [0, 0, 1, 0], interior = [0, 0, 1, 1] : (tensor<2x3x2x2xf32>, tensor<f32>) -> tensor<2x3x4x4xf32>
  %4 = stablehlo.add %2, %3 : tensor<2x3x4x4xf32>
  %5 = stablehlo.pad %g, %z, low = [0, 0, 0, 0], high = [0, 0, 1, 1], interior = [0, 0, 1, 1] : (tensor<2x3x2x2xf32>, tensor<f32>) -> tensor<2x3x4x4xf32>
  %6 = stablehlo.add %4, %5 : tensor<2x3x4x4xf32>
  return %6 : tensor<2x3x4x4xf32>
}

// -----

// Left alone: pads that miss an offset (one twice), pads of two operands, and overlapping pads (interior 0).
// CHECK-LABEL: func.func @pads_that_do_not_tile
// CHECK-COUNT-6: stablehlo.pad
// CHECK-NOT:   stablehlo.broadcast_in_dim
func.func @pads_that_do_not_tile(%g: tensor<3xf32>, %k: tensor<3xf32>) -> (tensor<6xf32>, tensor<6xf32>, tensor<4xf32>) {
  %z = stablehlo.constant dense<0.0> : tensor<f32>
  %0 = stablehlo.pad %g, %z, low = [1], high = [0], interior = [1] : (tensor<3xf32>, tensor<f32>) -> tensor<6xf32>
  %1 = stablehlo.pad %g, %z, low = [1], high = [0], interior = [1] : (tensor<3xf32>, tensor<f32>) -> tensor<6xf32>
  %2 = stablehlo.add %0, %1 : tensor<6xf32>
  %3 = stablehlo.pad %g, %z, low = [1], high = [0], interior = [1] : (tensor<3xf32>, tensor<f32>) -> tensor<6xf32>
  %4 = stablehlo.pad %k, %z, low = [0], high = [1], interior = [1] : (tensor<3xf32>, tensor<f32>) -> tensor<6xf32>
  %5 = stablehlo.add %3, %4 : tensor<6xf32>
  %6 = stablehlo.pad %g, %z, low = [1], high = [0], interior = [0] : (tensor<3xf32>, tensor<f32>) -> tensor<4xf32>
  %7 = stablehlo.pad %g, %z, low = [0], high = [1], interior = [0] : (tensor<3xf32>, tensor<f32>) -> tensor<4xf32>
  %8 = stablehlo.add %6, %7 : tensor<4xf32>
  return %2, %5, %8 : tensor<6xf32>, tensor<6xf32>, tensor<4xf32>
}
