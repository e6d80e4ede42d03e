// RUN: dump-ir %s --pipeline simplify,dce | filecheck %s

// A slice of a slice is one slice: starts compose, strides multiply.
// CHECK-LABEL: func.func @slice_of_slice
// CHECK:       %[[S:.*]] = stablehlo.slice %arg0 [3:8:4] : (tensor<12xf32>) -> tensor<2xf32>
// CHECK-NOT:   stablehlo.slice
// CHECK:       return %[[S]]
func.func @slice_of_slice(%a: tensor<12xf32>) -> tensor<2xf32> {
  %0 = stablehlo.slice %a [1:12:2] : (tensor<12xf32>) -> tensor<6xf32>
  %1 = stablehlo.slice %0 [1:5:2] : (tensor<6xf32>) -> tensor<2xf32>
  return %1 : tensor<2xf32>
}

// -----

// A slice inside one operand of a concatenate reads that operand; one that straddles two does not.
// CHECK-LABEL: func.func @slice_of_concatenate
// CHECK:       %[[CAT:.*]] = stablehlo.concatenate %arg0, %arg1, dim = 1
// CHECK:       %[[INSIDE:.*]] = stablehlo.slice %arg1 [0:2, 1:3]
// CHECK:       %[[STRADDLE:.*]] = stablehlo.slice %[[CAT]] [0:2, 2:5]
// CHECK:       return %[[INSIDE]], %[[STRADDLE]]
func.func @slice_of_concatenate(%a: tensor<2x3xf32>, %b: tensor<2x4xf32>) -> (tensor<2x2xf32>, tensor<2x3xf32>) {
  %0 = stablehlo.concatenate %a, %b, dim = 1 : (tensor<2x3xf32>, tensor<2x4xf32>) -> tensor<2x7xf32>
  %1 = stablehlo.slice %0 [0:2, 4:6] : (tensor<2x7xf32>) -> tensor<2x2xf32>
  %2 = stablehlo.slice %0 [0:2, 2:5] : (tensor<2x7xf32>) -> tensor<2x3xf32>
  return %1, %2 : tensor<2x2xf32>, tensor<2x3xf32>
}

// -----

// Nested concatenates along one dim flatten, empty operands go, a lone operand is the result;
// a nested concatenate along another dim stays.
// CHECK-LABEL: func.func @concatenates
// CHECK:       %[[FLAT:.*]] = stablehlo.concatenate %arg0, %arg1, %arg0, dim = 0 : (tensor<2x3xf32>, tensor<1x3xf32>, tensor<2x3xf32>) -> tensor<5x3xf32>
// CHECK:       %[[INNER:.*]] = stablehlo.concatenate %arg0, %arg0, dim = 1
// CHECK:       %[[OTHER:.*]] = stablehlo.concatenate %[[INNER]], %[[INNER]], dim = 0
// CHECK:       return %[[FLAT]], %arg1, %[[OTHER]]
func.func @concatenates(%a: tensor<2x3xf32>, %b: tensor<1x3xf32>, %e: tensor<0x3xf32>)
    -> (tensor<5x3xf32>, tensor<1x3xf32>, tensor<4x6xf32>) {
  %0 = stablehlo.concatenate %a, %b, dim = 0 : (tensor<2x3xf32>, tensor<1x3xf32>) -> tensor<3x3xf32>
  %1 = stablehlo.concatenate %0, %e, %a, dim = 0 : (tensor<3x3xf32>, tensor<0x3xf32>, tensor<2x3xf32>) -> tensor<5x3xf32>
  %2 = stablehlo.concatenate %e, %b, dim = 0 : (tensor<0x3xf32>, tensor<1x3xf32>) -> tensor<1x3xf32>
  %3 = stablehlo.concatenate %a, %a, dim = 1 : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x6xf32>
  %4 = stablehlo.concatenate %3, %3, dim = 0 : (tensor<2x6xf32>, tensor<2x6xf32>) -> tensor<4x6xf32>
  return %1, %2, %4 : tensor<5x3xf32>, tensor<1x3xf32>, tensor<4x6xf32>
}

// -----

// Constant positions make a dynamic slice a slice, clamped as the spec clamps (9 -> 6 for a
// window of 4 in 10); a traced position keeps it dynamic. A full-size update is the update.
// CHECK-LABEL: func.func @dynamic
// CHECK:       %[[S:.*]] = stablehlo.slice %arg0 [6:10] : (tensor<10xf32>) -> tensor<4xf32>
// CHECK:       %[[D:.*]] = stablehlo.dynamic_slice %arg0, %arg1, sizes = [4]
// CHECK-NOT:   stablehlo.dynamic_update_slice
// CHECK:       return %[[S]], %[[D]], %arg2
func.func @dynamic(%a: tensor<10xf32>, %i: tensor<i32>, %u: tensor<10xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<10xf32>) {
  %c9 = stablehlo.constant dense<9> : tensor<i32>
  %0 = stablehlo.dynamic_slice %a, %c9, sizes = [4] : (tensor<10xf32>, tensor<i32>) -> tensor<4xf32>
  %1 = stablehlo.dynamic_slice %a, %i, sizes = [4] : (tensor<10xf32>, tensor<i32>) -> tensor<4xf32>
  %2 = stablehlo.dynamic_update_slice %a, %u, %i : (tensor<10xf32>, tensor<10xf32>, tensor<i32>) -> tensor<10xf32>
  return %0, %1, %2 : tensor<4xf32>, tensor<4xf32>, tensor<10xf32>
}

// -----

// Moving only size-1 dims is a reshape; swapping two real dims stays a transpose.
// CHECK-LABEL: func.func @unit_transposes
// CHECK:       %[[R:.*]] = stablehlo.reshape %arg0 : (tensor<1x3x1x4xf32>) -> tensor<3x1x4x1xf32>
// CHECK:       %[[T:.*]] = stablehlo.transpose %arg0, dims = [0, 3, 2, 1]
// CHECK:       return %[[R]], %[[T]]
func.func @unit_transposes(%a: tensor<1x3x1x4xf32>) -> (tensor<3x1x4x1xf32>, tensor<1x4x1x3xf32>) {
  %0 = stablehlo.transpose %a, dims = [1, 0, 3, 2] : (tensor<1x3x1x4xf32>) -> tensor<3x1x4x1xf32>
  %1 = stablehlo.transpose %a, dims = [0, 3, 2, 1] : (tensor<1x3x1x4xf32>) -> tensor<1x4x1x3xf32>
  return %0, %1 : tensor<3x1x4x1xf32>, tensor<1x4x1x3xf32>
}
