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

// -----

// A gather of one window at constant indices is a slice, reshaped to drop collapsed dims;
// its start clamps as the gather's does (row 7 of 5, for a window of 2 rows, starts at row 3).
// CHECK-LABEL: func.func @gather_at_constant_position
// CHECK-DAG:   %[[ROW:.*]] = stablehlo.slice %arg0 [2:3, 0:6] : (tensor<5x6xf32>) -> tensor<1x6xf32>
// CHECK-DAG:   %[[FLAT:.*]] = stablehlo.reshape %[[ROW]] : (tensor<1x6xf32>) -> tensor<6xf32>
// CHECK-DAG:   %[[BOX:.*]] = stablehlo.slice %arg0 [3:5, 1:4] : (tensor<5x6xf32>) -> tensor<2x3xf32>
// CHECK-DAG:   %[[B3:.*]] = stablehlo.reshape %[[BOX]] : (tensor<2x3xf32>) -> tensor<1x2x3xf32>
// CHECK-NOT:   stablehlo.gather
// CHECK:       return %[[FLAT]], %[[B3]]
func.func @gather_at_constant_position(%x: tensor<5x6xf32>) -> (tensor<6xf32>, tensor<1x2x3xf32>) {
  %row = stablehlo.constant dense<2> : tensor<1xi32>
  %0 = "stablehlo.gather"(%x, %row) {dimension_numbers = #stablehlo.gather<offset_dims = [0], collapsed_slice_dims = [0],
      start_index_map = [0], index_vector_dim = 0>, slice_sizes = array<i64: 1, 6>, indices_are_sorted = false}
      : (tensor<5x6xf32>, tensor<1xi32>) -> tensor<6xf32>
  %at = stablehlo.constant dense<[[7, 1]]> : tensor<1x2xi64>
  %1 = "stablehlo.gather"(%x, %at) {dimension_numbers = #stablehlo.gather<offset_dims = [1, 2], start_index_map = [0, 1],
      index_vector_dim = 1>, slice_sizes = array<i64: 2, 3>, indices_are_sorted = false}
      : (tensor<5x6xf32>, tensor<1x2xi64>) -> tensor<1x2x3xf32>
  return %0, %1 : tensor<6xf32>, tensor<1x2x3xf32>
}

// -----

// With one index vector, batching dims have size 1 and batch index 0: still a slice, and a
// scatter of one window still a dynamic_update_slice.
// CHECK-LABEL: func.func @one_window_with_batching_dims
// CHECK-DAG:   %[[G:.*]] = stablehlo.slice %arg0 [0:1, 3:6]
// CHECK-DAG:   %[[W:.*]] = stablehlo.dynamic_update_slice %arg0, %arg1
// CHECK-NOT:   stablehlo.gather
// CHECK-NOT:   stablehlo.scatter
// CHECK:       return %[[G]], %[[W]]
func.func @one_window_with_batching_dims(%x: tensor<1x6xf32>, %u: tensor<1x2xf32>) -> (tensor<1x3xf32>, tensor<1x6xf32>) {
  %four = stablehlo.constant dense<[[4]]> : tensor<1x1xi32>
  %0 = "stablehlo.gather"(%x, %four) {dimension_numbers = #stablehlo.gather<offset_dims = [1], operand_batching_dims = [0],
      start_indices_batching_dims = [0], start_index_map = [1], index_vector_dim = 1>, slice_sizes = array<i64: 1, 3>,
      indices_are_sorted = false} : (tensor<1x6xf32>, tensor<1x1xi32>) -> tensor<1x3xf32>
  %three = stablehlo.constant dense<[[3]]> : tensor<1x1xi32>
  %1 = "stablehlo.scatter"(%x, %three, %u) ({
    ^bb0(%current: tensor<f32>, %update: tensor<f32>):
      stablehlo.return %update : tensor<f32>
  }) {scatter_dimension_numbers = #stablehlo.scatter<update_window_dims = [1], input_batching_dims = [0],
      scatter_indices_batching_dims = [0], scatter_dims_to_operand_dims = [1], index_vector_dim = 1>,
      indices_are_sorted = false, unique_indices = false} : (tensor<1x6xf32>, tensor<1x1xi32>, tensor<1x2xf32>) -> tensor<1x6xf32>
  return %0, %1 : tensor<1x3xf32>, tensor<1x6xf32>
}

// -----

// Gathers stay when the indices are computed at run time or hold two windows (batched or not).
// CHECK-LABEL: func.func @gathers_kept
// CHECK-COUNT-3: stablehlo.gather
// CHECK-NOT:   stablehlo.slice
func.func @gathers_kept(%x: tensor<5x6xf32>, %i: tensor<1xi32>, %b: tensor<2x6xf32>)
    -> (tensor<6xf32>, tensor<2x6xf32>, tensor<2x3xf32>) {
  %0 = "stablehlo.gather"(%x, %i) {dimension_numbers = #stablehlo.gather<offset_dims = [0], collapsed_slice_dims = [0],
      start_index_map = [0], index_vector_dim = 0>, slice_sizes = array<i64: 1, 6>, indices_are_sorted = false}
      : (tensor<5x6xf32>, tensor<1xi32>) -> tensor<6xf32>
  %two = stablehlo.constant dense<[[1], [3]]> : tensor<2x1xi32>
  %1 = "stablehlo.gather"(%x, %two) {dimension_numbers = #stablehlo.gather<offset_dims = [1], collapsed_slice_dims = [0],
      start_index_map = [0], index_vector_dim = 1>, slice_sizes = array<i64: 1, 6>, indices_are_sorted = false}
      : (tensor<5x6xf32>, tensor<2x1xi32>) -> tensor<2x6xf32>
  %cols = stablehlo.constant dense<[[0], [2]]> : tensor<2x1xi32>
  %2 = "stablehlo.gather"(%b, %cols) {dimension_numbers = #stablehlo.gather<offset_dims = [1], operand_batching_dims = [0],
      start_indices_batching_dims = [0], start_index_map = [1], index_vector_dim = 1>, slice_sizes = array<i64: 1, 3>,
      indices_are_sorted = false} : (tensor<2x6xf32>, tensor<2x1xi32>) -> tensor<2x3xf32>
  return %0, %1, %2 : tensor<6xf32>, tensor<2x6xf32>, tensor<2x3xf32>
}

// -----

// A scatter that overwrites one window at a constant, in-bounds position is a dynamic_update_slice
// (the update reshaped to the operand's rank when the scatter inserts dims).
// CHECK-LABEL: func.func @scatter_of_one_window
// CHECK-DAG:   %[[R:.*]] = stablehlo.constant dense<2> : tensor<i32>
// CHECK-DAG:   %[[C:.*]] = stablehlo.constant dense<0> : tensor<i32>
// CHECK-DAG:   %[[U:.*]] = stablehlo.reshape %arg1 : (tensor<6xf32>) -> tensor<1x6xf32>
// CHECK:       %[[W:.*]] = stablehlo.dynamic_update_slice %arg0, %[[U]], %[[R]], %[[C]]
// CHECK-NOT:   stablehlo.scatter
// CHECK:       return %[[W]]
func.func @scatter_of_one_window(%x: tensor<5x6xf32>, %row: tensor<6xf32>) -> tensor<5x6xf32> {
  %at = stablehlo.constant dense<[2]> : tensor<1xi32>
  %0 = "stablehlo.scatter"(%x, %at, %row) ({
    ^bb0(%current: tensor<f32>, %update: tensor<f32>):
      stablehlo.return %update : tensor<f32>
  }) {scatter_dimension_numbers = #stablehlo.scatter<update_window_dims = [0], inserted_window_dims = [0],
      scatter_dims_to_operand_dims = [0], index_vector_dim = 0>, indices_are_sorted = false, unique_indices = false}
      : (tensor<5x6xf32>, tensor<1xi32>, tensor<6xf32>) -> tensor<5x6xf32>
  return %0 : tensor<5x6xf32>
}

// -----

// Scatters stay when they accumulate (an add body) or keep the current value, when the indices
// are computed at run time, when the window would fall out of bounds (a scatter drops it, a
// dynamic_update_slice would clamp it in), and when they write two windows.
// CHECK-LABEL: func.func @scatters_kept
// CHECK-COUNT-5: stablehlo.scatter
// CHECK-NOT:   stablehlo.dynamic_update_slice
func.func @scatters_kept(%x: tensor<5x6xf32>, %u: tensor<2x3xf32>, %i: tensor<2xi32>, %two: tensor<2x1x3xf32>)
    -> (tensor<5x6xf32>, tensor<5x6xf32>, tensor<5x6xf32>, tensor<5x6xf32>, tensor<5x6xf32>) {
  %at = stablehlo.constant dense<[1, 2]> : tensor<2xi32>
  %0 = "stablehlo.scatter"(%x, %at, %u) ({
    ^bb0(%current: tensor<f32>, %update: tensor<f32>):
      %sum = stablehlo.add %current, %update : tensor<f32>
      stablehlo.return %sum : tensor<f32>
  }) {scatter_dimension_numbers = #stablehlo.scatter<update_window_dims = [0, 1], scatter_dims_to_operand_dims = [0, 1],
      index_vector_dim = 0>, indices_are_sorted = false, unique_indices = false}
      : (tensor<5x6xf32>, tensor<2xi32>, tensor<2x3xf32>) -> tensor<5x6xf32>
  %1 = "stablehlo.scatter"(%x, %i, %u) ({
    ^bb0(%current: tensor<f32>, %update: tensor<f32>):
      stablehlo.return %update : tensor<f32>
  }) {scatter_dimension_numbers = #stablehlo.scatter<update_window_dims = [0, 1], scatter_dims_to_operand_dims = [0, 1],
      index_vector_dim = 0>, indices_are_sorted = false, unique_indices = false}
      : (tensor<5x6xf32>, tensor<2xi32>, tensor<2x3xf32>) -> tensor<5x6xf32>
  %out = stablehlo.constant dense<[4, 4]> : tensor<2xi32>
  %2 = "stablehlo.scatter"(%x, %out, %u) ({
    ^bb0(%current: tensor<f32>, %update: tensor<f32>):
      stablehlo.return %update : tensor<f32>
  }) {scatter_dimension_numbers = #stablehlo.scatter<update_window_dims = [0, 1], scatter_dims_to_operand_dims = [0, 1],
      index_vector_dim = 0>, indices_are_sorted = false, unique_indices = false}
      : (tensor<5x6xf32>, tensor<2xi32>, tensor<2x3xf32>) -> tensor<5x6xf32>
  %rows = stablehlo.constant dense<[[0], [3]]> : tensor<2x1xi32>
  %3 = "stablehlo.scatter"(%x, %rows, %two) ({
    ^bb0(%current: tensor<f32>, %update: tensor<f32>):
      stablehlo.return %update : tensor<f32>
  }) {scatter_dimension_numbers = #stablehlo.scatter<update_window_dims = [1, 2], scatter_dims_to_operand_dims = [0],
      index_vector_dim = 1>, indices_are_sorted = false, unique_indices = false}
      : (tensor<5x6xf32>, tensor<2x1xi32>, tensor<2x1x3xf32>) -> tensor<5x6xf32>
  %4 = "stablehlo.scatter"(%x, %at, %u) ({
    ^bb0(%current: tensor<f32>, %update: tensor<f32>):
      stablehlo.return %current : tensor<f32>
  }) {scatter_dimension_numbers = #stablehlo.scatter<update_window_dims = [0, 1], scatter_dims_to_operand_dims = [0, 1],
      index_vector_dim = 0>, indices_are_sorted = false, unique_indices = false}
      : (tensor<5x6xf32>, tensor<2xi32>, tensor<2x3xf32>) -> tensor<5x6xf32>
  return %0, %1, %2, %3, %4 : tensor<5x6xf32>, tensor<5x6xf32>, tensor<5x6xf32>, tensor<5x6xf32>, tensor<5x6xf32>
}

// -----

// Writing nothing changes nothing: a scatter with no updates (whatever its body), a dynamic
// update of zero elements, and a dynamic update that writes back the slice it read at the same
// starts. A slice read elsewhere, or from another array, is a real write.
// CHECK-LABEL: func.func @updates_of_nothing
// CHECK:       %[[S:.*]] = stablehlo.dynamic_slice %arg0, %arg3, %arg2
// CHECK:       %[[OTHER:.*]] = stablehlo.dynamic_update_slice %arg0, %[[S]], %arg2, %arg3
// CHECK:       %[[T:.*]] = stablehlo.dynamic_slice %arg4, %arg2, %arg3
// CHECK:       %[[FOREIGN:.*]] = stablehlo.dynamic_update_slice %arg0, %[[T]], %arg2, %arg3
// CHECK-NOT:   stablehlo.scatter
// CHECK:       return %arg0, %arg0, %arg0, %[[OTHER]], %[[FOREIGN]]
func.func @updates_of_nothing(%x: tensor<5x6xf32>, %none: tensor<0x3xf32>, %i: tensor<i32>, %j: tensor<i32>, %y: tensor<5x6xf32>)
    -> (tensor<5x6xf32>, tensor<5x6xf32>, tensor<5x6xf32>, tensor<5x6xf32>, tensor<5x6xf32>) {
  %at = stablehlo.constant dense<[1, 2]> : tensor<2xi32>
  %0 = "stablehlo.scatter"(%x, %at, %none) ({
    ^bb0(%current: tensor<f32>, %update: tensor<f32>):
      %sum = stablehlo.add %current, %update : tensor<f32>
      stablehlo.return %sum : tensor<f32>
  }) {scatter_dimension_numbers = #stablehlo.scatter<update_window_dims = [0, 1], scatter_dims_to_operand_dims = [0, 1],
      index_vector_dim = 0>, indices_are_sorted = false, unique_indices = false}
      : (tensor<5x6xf32>, tensor<2xi32>, tensor<0x3xf32>) -> tensor<5x6xf32>
  %1 = stablehlo.dynamic_update_slice %x, %none, %i, %j : (tensor<5x6xf32>, tensor<0x3xf32>, tensor<i32>, tensor<i32>) -> tensor<5x6xf32>
  %read = stablehlo.dynamic_slice %x, %i, %j, sizes = [2, 3] : (tensor<5x6xf32>, tensor<i32>, tensor<i32>) -> tensor<2x3xf32>
  %2 = stablehlo.dynamic_update_slice %x, %read, %i, %j : (tensor<5x6xf32>, tensor<2x3xf32>, tensor<i32>, tensor<i32>) -> tensor<5x6xf32>
  %swapped = stablehlo.dynamic_slice %x, %j, %i, sizes = [2, 3] : (tensor<5x6xf32>, tensor<i32>, tensor<i32>) -> tensor<2x3xf32>
  %3 = stablehlo.dynamic_update_slice %x, %swapped, %i, %j : (tensor<5x6xf32>, tensor<2x3xf32>, tensor<i32>, tensor<i32>) -> tensor<5x6xf32>
  %foreign = stablehlo.dynamic_slice %y, %i, %j, sizes = [2, 3] : (tensor<5x6xf32>, tensor<i32>, tensor<i32>) -> tensor<2x3xf32>
  %4 = stablehlo.dynamic_update_slice %x, %foreign, %i, %j : (tensor<5x6xf32>, tensor<2x3xf32>, tensor<i32>, tensor<i32>) -> tensor<5x6xf32>
  return %0, %1, %2, %3, %4 : tensor<5x6xf32>, tensor<5x6xf32>, tensor<5x6xf32>, tensor<5x6xf32>, tensor<5x6xf32>
}
