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

// A broadcast that only adds size-1 dims is a reshape; one that stretches a dim, adds a dim
// bigger than 1 or permutes dims is not.
// CHECK-LABEL: func.func @broadcast_that_is_reshape
// CHECK:       %[[R:.*]] = stablehlo.reshape %arg0 : (tensor<2x3xf32>) -> tensor<2x1x3xf32>
// CHECK:       %[[S:.*]] = stablehlo.broadcast_in_dim %arg1, dims = [0, 1] : (tensor<2x1xf32>) -> tensor<2x4xf32>
// CHECK:       %[[A:.*]] = stablehlo.broadcast_in_dim %arg0, dims = [0, 2] : (tensor<2x3xf32>) -> tensor<2x5x3xf32>
// CHECK:       %[[P:.*]] = stablehlo.broadcast_in_dim %arg0, dims = [1, 0] : (tensor<2x3xf32>) -> tensor<3x2xf32>
// CHECK:       return %[[R]], %[[S]], %[[A]], %[[P]]
func.func @broadcast_that_is_reshape(%a: tensor<2x3xf32>, %b: tensor<2x1xf32>)
    -> (tensor<2x1x3xf32>, tensor<2x4xf32>, tensor<2x5x3xf32>, tensor<3x2xf32>) {
  %0 = stablehlo.broadcast_in_dim %a, dims = [0, 2] : (tensor<2x3xf32>) -> tensor<2x1x3xf32>
  %1 = stablehlo.broadcast_in_dim %b, dims = [0, 1] : (tensor<2x1xf32>) -> tensor<2x4xf32>
  %2 = stablehlo.broadcast_in_dim %a, dims = [0, 2] : (tensor<2x3xf32>) -> tensor<2x5x3xf32>
  %3 = stablehlo.broadcast_in_dim %a, dims = [1, 0] : (tensor<2x3xf32>) -> tensor<3x2xf32>
  return %0, %1, %2, %3 : tensor<2x1x3xf32>, tensor<2x4xf32>, tensor<2x5x3xf32>, tensor<3x2xf32>
}

// A reshape that only drops or adds size-1 dims folds into the broadcast it feeds: a dropped unit
// dim takes a free result dim that keeps the dims increasing. A reshape that regroups dims stays,
// and so does one whose unit dim finds no free place in order.
// CHECK-LABEL: func.func @broadcast_of_unit_reshape
// CHECK:       %[[D:.*]] = stablehlo.broadcast_in_dim %arg0, dims = [0, 2] : (tensor<1x128xf32>) -> tensor<2x64x128xf32>
// CHECK:       %[[I:.*]] = stablehlo.broadcast_in_dim %arg1, dims = [0, 1] : (tensor<2x64xf32>) -> tensor<2x64x128xf32>
// CHECK:       %[[G:.*]] = stablehlo.reshape %arg2 : (tensor<2x3xf32>) -> tensor<6xf32>
// CHECK:       %[[GB:.*]] = stablehlo.broadcast_in_dim %[[G]], dims = [1] : (tensor<6xf32>) -> tensor<4x6xf32>
// CHECK:       %[[O:.*]] = stablehlo.reshape %arg3 : (tensor<3x1xf32>) -> tensor<3xf32>
// CHECK:       %[[OB:.*]] = stablehlo.broadcast_in_dim %[[O]], dims = [1] : (tensor<3xf32>) -> tensor<5x3xf32>
// CHECK:       return %[[D]], %[[I]], %[[GB]], %[[OB]]
func.func @broadcast_of_unit_reshape(%w: tensor<1x128xf32>, %m: tensor<2x64xf32>, %g: tensor<2x3xf32>, %o: tensor<3x1xf32>)
    -> (tensor<2x64x128xf32>, tensor<2x64x128xf32>, tensor<4x6xf32>, tensor<5x3xf32>) {
  %0 = stablehlo.reshape %w : (tensor<1x128xf32>) -> tensor<128xf32>
  %1 = stablehlo.broadcast_in_dim %0, dims = [2] : (tensor<128xf32>) -> tensor<2x64x128xf32>
  %2 = stablehlo.reshape %m : (tensor<2x64xf32>) -> tensor<2x64x1xf32>
  %3 = stablehlo.broadcast_in_dim %2, dims = [0, 1, 2] : (tensor<2x64x1xf32>) -> tensor<2x64x128xf32>
  %4 = stablehlo.reshape %g : (tensor<2x3xf32>) -> tensor<6xf32>
  %5 = stablehlo.broadcast_in_dim %4, dims = [1] : (tensor<6xf32>) -> tensor<4x6xf32>
  %6 = stablehlo.reshape %o : (tensor<3x1xf32>) -> tensor<3xf32>
  %7 = stablehlo.broadcast_in_dim %6, dims = [1] : (tensor<3xf32>) -> tensor<5x3xf32>
  return %1, %3, %5, %7 : tensor<2x64x128xf32>, tensor<2x64x128xf32>, tensor<4x6xf32>, tensor<5x3xf32>
}

// Reshapes move below elementwise ops (splat constants rebuilt in the new shape) when all of their
// users take them (the select takes %rb once the compare has moved its reshapes down): here down a
// chain whose end cancels them (2x64 -> 2x64x1 -> 2x64) and folds them into a broadcast.
// CHECK-LABEL: func.func @reshape_below_elementwise
// CHECK-NOT:   tensor<2x64x1x
// CHECK:       %[[Q:.*]] = stablehlo.divide %arg0, %{{.*}} : tensor<2x64xf32>
// CHECK:       %[[C:.*]] = stablehlo.compare GT, %arg0, %arg1, FLOAT : (tensor<2x64xf32>, tensor<2x64xf32>) -> tensor<2x64xi1>
// CHECK:       %[[S:.*]] = stablehlo.select %[[C]], %[[Q]], %arg1 : tensor<2x64xi1>, tensor<2x64xf32>
// CHECK:       %[[N:.*]] = stablehlo.negate %[[S]] : tensor<2x64xf32>
// CHECK:       %[[B:.*]] = stablehlo.broadcast_in_dim %[[N]], dims = [0, 1] : (tensor<2x64xf32>) -> tensor<2x64x128xf32>
// CHECK:       return %[[B]], %[[S]]
func.func @reshape_below_elementwise(%a: tensor<2x64xf32>, %b: tensor<2x64xf32>) -> (tensor<2x64x128xf32>, tensor<2x64xf32>) {
  %ra = stablehlo.reshape %a : (tensor<2x64xf32>) -> tensor<2x64x1xf32>
  %rb = stablehlo.reshape %b : (tensor<2x64xf32>) -> tensor<2x64x1xf32>
  %c = stablehlo.constant dense<1.280000e+02> : tensor<2x64x1xf32>
  %0 = stablehlo.divide %ra, %c : tensor<2x64x1xf32>
  %1 = stablehlo.compare GT, %ra, %rb, FLOAT : (tensor<2x64x1xf32>, tensor<2x64x1xf32>) -> tensor<2x64x1xi1>
  %2 = stablehlo.select %1, %0, %rb : tensor<2x64x1xi1>, tensor<2x64x1xf32>
  %3 = stablehlo.negate %2 : tensor<2x64x1xf32>
  %4 = stablehlo.broadcast_in_dim %3, dims = [0, 1, 2] : (tensor<2x64x1xf32>) -> tensor<2x64x128xf32>
  %5 = stablehlo.reshape %2 : (tensor<2x64x1xf32>) -> tensor<2x64xf32>
  return %4, %5 : tensor<2x64x128xf32>, tensor<2x64xf32>
}

// A reshape stays above an elementwise op when another user cannot take it (a dot), when the op's
// other operand is neither a reshape of the same shape nor a splat, or when the reshapes come from
// different shapes.
// CHECK-LABEL: func.func @reshape_kept_above
// CHECK:       %[[R:.*]] = stablehlo.reshape %arg0 : (tensor<2x64xf32>) -> tensor<2x64x1xf32>
// CHECK:       %[[E:.*]] = stablehlo.exponential %[[R]] : tensor<2x64x1xf32>
// CHECK:       stablehlo.dot_general %[[R]], %[[R]]
// CHECK:       %[[X:.*]] = stablehlo.reshape %arg1 : (tensor<2x64xf32>) -> tensor<2x64x1xf32>
// CHECK:       stablehlo.add %[[X]], %arg2 : tensor<2x64x1xf32>
// CHECK:       %[[Y:.*]] = stablehlo.reshape %arg3 : (tensor<128xf32>) -> tensor<2x64x1xf32>
// CHECK:       stablehlo.multiply %[[X]], %[[Y]] : tensor<2x64x1xf32>
func.func @reshape_kept_above(%a: tensor<2x64xf32>, %b: tensor<2x64xf32>, %c: tensor<2x64x1xf32>, %d: tensor<128xf32>)
    -> (tensor<2x64x1xf32>, tensor<2x64xf32>, tensor<2x64x1xf32>, tensor<2x64x1xf32>) {
  %r = stablehlo.reshape %a : (tensor<2x64xf32>) -> tensor<2x64x1xf32>
  %0 = stablehlo.exponential %r : tensor<2x64x1xf32>
  %1 = stablehlo.dot_general %r, %r, batching_dims = [0, 1] x [0, 1], contracting_dims = [2] x [2] : (tensor<2x64x1xf32>, tensor<2x64x1xf32>) -> tensor<2x64xf32>
  %x = stablehlo.reshape %b : (tensor<2x64xf32>) -> tensor<2x64x1xf32>
  %2 = stablehlo.add %x, %c : tensor<2x64x1xf32>
  %y = stablehlo.reshape %d : (tensor<128xf32>) -> tensor<2x64x1xf32>
  %3 = stablehlo.multiply %x, %y : tensor<2x64x1xf32>
  return %0, %1, %2, %3 : tensor<2x64x1xf32>, tensor<2x64xf32>, tensor<2x64x1xf32>, tensor<2x64x1xf32>
}

// A convert pair whose first convert is exact (a widening) is one convert, or none for a round trip.
// CHECK-LABEL: func.func @convert_round_trip
// CHECK-NOT:   stablehlo.convert
// CHECK:       return %arg0
func.func @convert_round_trip(%x: tensor<3xf32>) -> tensor<3xf32> {
  %0 = stablehlo.convert %x : (tensor<3xf32>) -> tensor<3xf64>
  %1 = stablehlo.convert %0 : (tensor<3xf64>) -> tensor<3xf32>
  return %1 : tensor<3xf32>
}

// CHECK-LABEL: func.func @convert_through_wider
// CHECK:       %[[C:.+]] = stablehlo.convert %arg0 : (tensor<3xi8>) -> tensor<3xi32>
// CHECK-NEXT:  return %[[C]]
func.func @convert_through_wider(%x: tensor<3xi8>) -> tensor<3xi32> {
  %0 = stablehlo.convert %x : (tensor<3xi8>) -> tensor<3xi16>
  %1 = stablehlo.convert %0 : (tensor<3xi16>) -> tensor<3xi32>
  return %1 : tensor<3xi32>
}

// Through a float to an integer is a float -> int conversion (it saturates), int -> int wraps: both stay.
// CHECK-LABEL: func.func @convert_across_kinds_stays
// CHECK:       stablehlo.convert %arg0 : (tensor<3xi8>) -> tensor<3xf32>
// CHECK-NEXT:  stablehlo.convert %{{.+}} : (tensor<3xf32>) -> tensor<3xui16>
func.func @convert_across_kinds_stays(%x: tensor<3xi8>) -> tensor<3xui16> {
  %0 = stablehlo.convert %x : (tensor<3xi8>) -> tensor<3xf32>
  %1 = stablehlo.convert %0 : (tensor<3xf32>) -> tensor<3xui16>
  return %1 : tensor<3xui16>
}

// A narrowing first convert rounds: both stay (f64 -> f32 -> f64 is not the identity).
// CHECK-LABEL: func.func @convert_narrowing_stays
// CHECK:       stablehlo.convert %arg0 : (tensor<3xf64>) -> tensor<3xf32>
// CHECK-NEXT:  stablehlo.convert %{{.+}} : (tensor<3xf32>) -> tensor<3xf64>
func.func @convert_narrowing_stays(%x: tensor<3xf64>) -> tensor<3xf64> {
  %0 = stablehlo.convert %x : (tensor<3xf64>) -> tensor<3xf32>
  %1 = stablehlo.convert %0 : (tensor<3xf32>) -> tensor<3xf64>
  return %1 : tensor<3xf64>
}
