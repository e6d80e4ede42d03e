// RUN: dump-ir %s --pipeline fold | filecheck %s

// Exact ops on constants become constants.
// CHECK-LABEL: func.func @exact
// CHECK-DAG:   stablehlo.constant dense<[4.000000e+00, 6.000000e+00]> : tensor<2xf32>
// CHECK-DAG:   stablehlo.constant dense<[-3, 3]> : tensor<2xi32>
// CHECK-DAG:   stablehlo.constant dense<[true, false]> : tensor<2xi1>
// CHECK-DAG:   stablehlo.constant dense<5.000000e-01> : tensor<1000x1000xf32>
// CHECK-NOT:   stablehlo.add
// CHECK-NOT:   stablehlo.divide
// CHECK-NOT:   stablehlo.compare
// CHECK-NOT:   stablehlo.broadcast_in_dim
func.func @exact() -> (tensor<2xf32>, tensor<2xi32>, tensor<2xi1>, tensor<1000x1000xf32>) {
  %a = stablehlo.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %b = stablehlo.constant dense<[3.0, 4.0]> : tensor<2xf32>
  %0 = stablehlo.add %a, %b : tensor<2xf32>
  %i = stablehlo.constant dense<[-7, 7]> : tensor<2xi32>
  %j = stablehlo.constant dense<2> : tensor<2xi32>
  %1 = stablehlo.divide %i, %j : tensor<2xi32>
  %m = stablehlo.constant dense<1.5> : tensor<2xf32>
  %2 = stablehlo.compare LT, %a, %m, FLOAT : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xi1>
  %h = stablehlo.constant dense<0.5> : tensor<f32>
  %3 = stablehlo.broadcast_in_dim %h, dims = [] : (tensor<f32>) -> tensor<1000x1000xf32>
  return %0, %1, %2, %3 : tensor<2xf32>, tensor<2xi32>, tensor<2xi1>, tensor<1000x1000xf32>
}

// Not folded: transcendentals, out-of-range float -> int (f32 2**32 is above u32's range, though
// iinfo(uint32).max as a float32 rounds up to it), f32 arithmetic on subnormals (XLA's CPU backend
// flushes them), and anything with a non-constant operand.
// CHECK-LABEL: func.func @kept
// CHECK: stablehlo.exponential
// CHECK: stablehlo.convert
// CHECK: stablehlo.convert
// CHECK: stablehlo.add %{{.*}}, %{{.*}} : tensor<1xf32>
// CHECK: stablehlo.add %arg0
func.func @kept(%x: tensor<2xf32>) -> (tensor<2xf32>, tensor<2xi32>, tensor<1xui32>, tensor<1xf32>, tensor<2xf32>) {
  %a = stablehlo.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %0 = stablehlo.exponential %a : tensor<2xf32>
  %big = stablehlo.constant dense<[1.0e10, 1.0]> : tensor<2xf32>
  %1 = stablehlo.convert %big : (tensor<2xf32>) -> tensor<2xi32>
  %p32 = stablehlo.constant dense<4294967296.0> : tensor<1xf32>
  %2 = stablehlo.convert %p32 : (tensor<1xf32>) -> tensor<1xui32>
  %tiny = stablehlo.constant dense<1.0e-45> : tensor<1xf32>
  %zero = stablehlo.constant dense<0.0> : tensor<1xf32>
  %3 = stablehlo.add %tiny, %zero : tensor<1xf32>
  %5 = stablehlo.add %x, %a : tensor<2xf32>
  return %0, %1, %2, %3, %5 : tensor<2xf32>, tensor<2xi32>, tensor<1xui32>, tensor<1xf32>, tensor<2xf32>
}

// f64 -> f16 folds rounding once, as NumPy does: 1 + 2**-11 + 2**-40 is 1.001, where rounding through
// f32 (a tie there) gives 1.0. The runtime makes XLA's own conversion round once too.
// CHECK-LABEL: func.func @f64_to_f16_rounds_once
// CHECK-NOT: stablehlo.convert
// CHECK: stablehlo.constant dense<1.000980e+00> : tensor<1xf16>
// CHECK-NOT: stablehlo.convert
func.func @f64_to_f16_rounds_once() -> tensor<1xf16> {
  %tie = stablehlo.constant dense<1.0004882812509095> : tensor<1xf64>
  %0 = stablehlo.convert %tie : (tensor<1xf64>) -> tensor<1xf16>
  return %0 : tensor<1xf16>
}

// Integer division and remainder by zero fold to what XLA computes for them (x / 0 = -1, every bit
// set; x % 0 = x; INT_MIN / -1 = INT_MIN): XLA's own constant folder would die of SIGFPE on them.
// CHECK-LABEL: func.func @division_by_zero
// CHECK-DAG:   stablehlo.constant dense<[-1, -2147483648, 3]> : tensor<3xi32>
// CHECK-DAG:   stablehlo.constant dense<[7, 0, 1]> : tensor<3xi32>
// CHECK-DAG:   stablehlo.constant dense<255> : tensor<2xui8>
// CHECK-NOT:   stablehlo.divide
// CHECK-NOT:   stablehlo.remainder
func.func @division_by_zero() -> (tensor<3xi32>, tensor<3xi32>, tensor<2xui8>) {
  %x = stablehlo.constant dense<[7, -2147483648, 7]> : tensor<3xi32>
  %y = stablehlo.constant dense<[0, -1, 2]> : tensor<3xi32>
  %0 = stablehlo.divide %x, %y : tensor<3xi32>
  %1 = stablehlo.remainder %x, %y : tensor<3xi32>
  %u = stablehlo.constant dense<[5, 0]> : tensor<2xui8>
  %z = stablehlo.constant dense<0> : tensor<2xui8>
  %2 = stablehlo.divide %u, %z : tensor<2xui8>
  return %0, %1, %2 : tensor<3xi32>, tensor<3xi32>, tensor<2xui8>
}

// Scalars fold too (a 0-d result must stay 0-d): JAX's loss-scaling constants are scalars.
// CHECK-LABEL: func.func @scalars
// CHECK-NEXT:  %[[C:.*]] = stablehlo.constant dense<-5.000000e-01> : tensor<f32>
// CHECK-NEXT:  return %[[C]]
func.func @scalars() -> tensor<f32> {
  %one = stablehlo.constant dense<1.0> : tensor<f32>
  %two = stablehlo.constant dense<2.0> : tensor<f32>
  %n = stablehlo.negate %one : tensor<f32>
  %d = stablehlo.divide %n, %two : tensor<f32>
  return %d : tensor<f32>
}

// Scalar integer division folds, 64-bit included (computed on Python ints): -7 / 2 truncates to -3.
// CHECK-LABEL: func.func @scalar_int_division
// CHECK-NEXT:  %[[C:.*]] = stablehlo.constant dense<-3> : tensor<i64>
// CHECK-NEXT:  return %[[C]]
func.func @scalar_int_division() -> tensor<i64> {
  %a = stablehlo.constant dense<-7> : tensor<i64>
  %b = stablehlo.constant dense<2> : tensor<i64>
  %d = stablehlo.divide %a, %b : tensor<i64>
  return %d : tensor<i64>
}

// i1 constants fold like any other: compare -> not -> select collapses to the chosen values.
// CHECK-LABEL: func.func @compare_not_select
// CHECK-NEXT:  %[[C:.*]] = stablehlo.constant dense<[2.000000e+00, 2.000000e+00, 3.000000e+00]> : tensor<3xf32>
// CHECK-NEXT:  %[[P:.*]] = stablehlo.constant dense<[false, true]> : tensor<2xi1>
// CHECK-NEXT:  return %[[C]], %[[P]]
func.func @compare_not_select() -> (tensor<3xf32>, tensor<2xi1>) {
  %a = stablehlo.constant dense<[1.0, 2.0, 3.0]> : tensor<3xf32>
  %two = stablehlo.constant dense<2.0> : tensor<3xf32>
  %lt = stablehlo.compare LT, %a, %two, FLOAT : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xi1>
  %ge = stablehlo.not %lt : tensor<3xi1>
  %0 = stablehlo.select %ge, %a, %two : tensor<3xi1>, tensor<3xf32>
  %t = stablehlo.constant dense<[true, false]> : tensor<2xi1>
  %f = stablehlo.constant dense<[false, false]> : tensor<2xi1>
  %x = stablehlo.xor %t, %f : tensor<2xi1>
  %1 = stablehlo.not %x : tensor<2xi1>
  return %0, %1 : tensor<3xf32>, tensor<2xi1>
}

// A select on a run-time predicate, or of run-time values, stays.
// CHECK-LABEL: func.func @select_kept
// CHECK:       stablehlo.select %arg0
// CHECK:       stablehlo.select %{{.*}}, %arg1
func.func @select_kept(%p: tensor<2xi1>, %x: tensor<2xf32>) -> (tensor<2xf32>, tensor<2xf32>) {
  %a = stablehlo.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %b = stablehlo.constant dense<[3.0, 4.0]> : tensor<2xf32>
  %q = stablehlo.constant dense<[true, false]> : tensor<2xi1>
  %0 = stablehlo.select %p, %a, %b : tensor<2xi1>, tensor<2xf32>
  %1 = stablehlo.select %q, %x, %b : tensor<2xi1>, tensor<2xf32>
  return %0, %1 : tensor<2xf32>, tensor<2xf32>
}

// An iota alone (or only moved about) stays an iota: its constant would be a table of every
// element. An op that also reads a constant folds it in, and the iota goes dead.
// CHECK-LABEL: func.func @iotas
// CHECK-DAG:   %[[I:.*]] = stablehlo.iota dim = 0 : tensor<4xi32>
// CHECK-DAG:   %[[R:.*]] = stablehlo.reshape %[[I]] : (tensor<4xi32>) -> tensor<2x2xi32>
// CHECK-DAG:   %[[A:.*]] = stablehlo.constant dense<[10, 11, 12, 13]> : tensor<4xi32>
// CHECK-DAG:   %[[M:.*]] = stablehlo.constant dense<[true, true, false, false]> : tensor<4xi1>
// CHECK-DAG:   %[[S:.*]] = stablehlo.constant dense<6> : tensor<i32>
// CHECK-DAG:   %[[X:.*]] = stablehlo.iota dim = 0 : tensor<3x3xi32>
// CHECK-DAG:   %[[Y:.*]] = stablehlo.iota dim = 1 : tensor<3x3xi32>
// CHECK-DAG:   %[[T:.*]] = stablehlo.compare GE, %[[X]], %[[Y]]
// CHECK:       return %[[I]], %[[R]], %[[A]], %[[M]], %[[S]], %[[T]]
func.func @iotas() -> (tensor<4xi32>, tensor<2x2xi32>, tensor<4xi32>, tensor<4xi1>, tensor<i32>, tensor<3x3xi1>) {
  %i = stablehlo.iota dim = 0 : tensor<4xi32>
  %0 = stablehlo.reshape %i : (tensor<4xi32>) -> tensor<2x2xi32>
  %ten = stablehlo.constant dense<10> : tensor<4xi32>
  %1 = stablehlo.add %i, %ten : tensor<4xi32>
  %two = stablehlo.constant dense<2> : tensor<4xi32>
  %2 = stablehlo.compare LT, %i, %two, SIGNED : (tensor<4xi32>, tensor<4xi32>) -> tensor<4xi1>
  %zero = stablehlo.constant dense<0> : tensor<i32>
  %3 = stablehlo.reduce(%i init: %zero) applies stablehlo.add across dimensions = [0] : (tensor<4xi32>, tensor<i32>) -> tensor<i32>
  %x = stablehlo.iota dim = 0 : tensor<3x3xi32>
  %y = stablehlo.iota dim = 1 : tensor<3x3xi32>
  %4 = stablehlo.compare GE, %x, %y, SIGNED : (tensor<3x3xi32>, tensor<3x3xi32>) -> tensor<3x3xi1>
  return %i, %0, %1, %2, %3, %4 : tensor<4xi32>, tensor<2x2xi32>, tensor<4xi32>, tensor<4xi1>, tensor<i32>, tensor<3x3xi1>
}

// Iotas above max-elements are not read (90000 elements > 65536), nor float iotas whose
// counts pass the float's exact integers (f16 stops at 2048).
// CHECK-LABEL: func.func @iotas_kept
// CHECK:       stablehlo.add
// CHECK:       stablehlo.add
func.func @iotas_kept() -> (tensor<300x300xi32>, tensor<3000xf16>) {
  %i = stablehlo.iota dim = 0 : tensor<300x300xi32>
  %one = stablehlo.constant dense<1> : tensor<300x300xi32>
  %0 = stablehlo.add %i, %one : tensor<300x300xi32>
  %h = stablehlo.iota dim = 0 : tensor<3000xf16>
  %z = stablehlo.constant dense<1.0> : tensor<3000xf16>
  %1 = stablehlo.add %h, %z : tensor<3000xf16>
  return %0, %1 : tensor<300x300xi32>, tensor<3000xf16>
}

// Data movement folds: slice, concatenate, pad (interior, and negative edges that cut), reverse.
// CHECK-LABEL: func.func @data_movement
// CHECK-NEXT:  %[[S:.*]] = stablehlo.constant dense<[1, 3]> : tensor<2xi32>
// CHECK-NEXT:  %[[C:.*]] = stablehlo.constant dense<[0, 1, 2, 3, 0, 1, 2, 3]> : tensor<8xi32>
// CHECK-NEXT:  %[[P:.*]] = stablehlo.constant dense<[
// CHECK-SAME:    [9, 9, 9, 9, 9], [0, 9, 1, 9, 2], [9, 9, 9, 9, 9], [3, 9, 4, 9, 5]]> : tensor<4x5xi32>
// CHECK-NEXT:  %[[R:.*]] = stablehlo.constant dense<{{\[}}[2, 1, 0], [5, 4, 3]]> : tensor<2x3xi32>
// CHECK-NEXT:  return %[[S]], %[[C]], %[[P]], %[[R]]
func.func @data_movement() -> (tensor<2xi32>, tensor<8xi32>, tensor<4x5xi32>, tensor<2x3xi32>) {
  %a = stablehlo.constant dense<[0, 1, 2, 3]> : tensor<4xi32>
  %0 = stablehlo.slice %a [1:4:2] : (tensor<4xi32>) -> tensor<2xi32>
  %1 = stablehlo.concatenate %a, %a, dim = 0 : (tensor<4xi32>, tensor<4xi32>) -> tensor<8xi32>
  %m = stablehlo.constant dense<[[0, 1, 2], [3, 4, 5]]> : tensor<2x3xi32>
  %nine = stablehlo.constant dense<9> : tensor<i32>
  %2 = stablehlo.pad %m, %nine, low = [1, 0], high = [0, 0], interior = [1, 1] : (tensor<2x3xi32>, tensor<i32>) -> tensor<4x5xi32>
  %3 = stablehlo.reverse %m, dims = [1] : tensor<2x3xi32>
  return %0, %1, %2, %3 : tensor<2xi32>, tensor<8xi32>, tensor<4x5xi32>, tensor<2x3xi32>
}

// Negative padding cuts: of the dilated row [1, 0, 2, 0, 3], low = -1 drops the first element, high = -1 the last.
// CHECK-LABEL: func.func @negative_pad
// CHECK-NEXT:  %[[P:.*]] = stablehlo.constant dense<[0, 2, 0]> : tensor<3xi32>
// CHECK-NEXT:  return %[[P]]
func.func @negative_pad() -> tensor<3xi32> {
  %a = stablehlo.constant dense<[1, 2, 3]> : tensor<3xi32>
  %zero = stablehlo.constant dense<0> : tensor<i32>
  %0 = stablehlo.pad %a, %zero, low = [-1], high = [-1], interior = [1] : (tensor<3xi32>, tensor<i32>) -> tensor<3xi32>
  return %0 : tensor<3xi32>
}

// Splat operands may still build a large table: a pad or a concatenate of two different splats
// past max-elements stays; a concatenate of one splat is a splat and folds however large.
// CHECK-LABEL: func.func @large_from_splats
// CHECK:       stablehlo.pad
// CHECK:       stablehlo.concatenate
// CHECK-NOT:   stablehlo.concatenate
// CHECK:       %[[ONES:.*]] = stablehlo.constant dense<1.000000e+00> : tensor<1000x1000xf32>
// CHECK:       return %{{.*}}, %{{.*}}, %[[ONES]]
func.func @large_from_splats() -> (tensor<1001x1000xf32>, tensor<1000x1000xf32>, tensor<1000x1000xf32>) {
  %ones = stablehlo.constant dense<1.0> : tensor<500x1000xf32>
  %twos = stablehlo.constant dense<2.0> : tensor<500x1000xf32>
  %zero = stablehlo.constant dense<0.0> : tensor<f32>
  %0 = stablehlo.pad %ones, %zero, low = [1, 0], high = [500, 0], interior = [0, 0] : (tensor<500x1000xf32>, tensor<f32>) -> tensor<1001x1000xf32>
  %1 = stablehlo.concatenate %ones, %twos, dim = 0 : (tensor<500x1000xf32>, tensor<500x1000xf32>) -> tensor<1000x1000xf32>
  %2 = stablehlo.concatenate %ones, %ones, dim = 0 : (tensor<500x1000xf32>, tensor<500x1000xf32>) -> tensor<1000x1000xf32>
  return %0, %1, %2 : tensor<1001x1000xf32>, tensor<1000x1000xf32>, tensor<1000x1000xf32>
}

// Reductions with a one-op body fold: an integer sum, an i1 `or`, a float max, a float sum
// (init first, then the elements in order: 1e8 + 1 rounds back to 1e8, so this sum is 1).
// CHECK-LABEL: func.func @reduces
// CHECK-NEXT:  %[[S:.*]] = stablehlo.constant dense<[3, 12]> : tensor<2xi32>
// CHECK-NEXT:  %[[O:.*]] = stablehlo.constant dense<[true, false]> : tensor<2xi1>
// CHECK-NEXT:  %[[M:.*]] = stablehlo.constant dense<0.000000e+00> : tensor<f32>
// CHECK-NEXT:  %[[F:.*]] = stablehlo.constant dense<1.000000e+00> : tensor<f32>
// CHECK-NEXT:  return %[[S]], %[[O]], %[[M]], %[[F]]
func.func @reduces() -> (tensor<2xi32>, tensor<2xi1>, tensor<f32>, tensor<f32>) {
  %m = stablehlo.constant dense<[[0, 1, 2], [3, 4, 5]]> : tensor<2x3xi32>
  %zero = stablehlo.constant dense<0> : tensor<i32>
  %0 = stablehlo.reduce(%m init: %zero) applies stablehlo.add across dimensions = [1] : (tensor<2x3xi32>, tensor<i32>) -> tensor<2xi32>
  %b = stablehlo.constant dense<[[true, false], [false, false]]> : tensor<2x2xi1>
  %false = stablehlo.constant dense<false> : tensor<i1>
  %1 = stablehlo.reduce(%b init: %false) applies stablehlo.or across dimensions = [1] : (tensor<2x2xi1>, tensor<i1>) -> tensor<2xi1>
  %z = stablehlo.constant dense<[-0.0, 0.0, -0.0]> : tensor<3xf32>
  %ninf = stablehlo.constant dense<0xFF800000> : tensor<f32>
  %2 = stablehlo.reduce(%z init: %ninf) applies stablehlo.maximum across dimensions = [0] : (tensor<3xf32>, tensor<f32>) -> tensor<f32>
  %v = stablehlo.constant dense<[1.0e8, 1.0, -1.0e8, 1.0]> : tensor<4xf32>
  %fz = stablehlo.constant dense<0.0> : tensor<f32>
  %3 = stablehlo.reduce(%v init: %fz) applies stablehlo.add across dimensions = [0] : (tensor<4xf32>, tensor<f32>) -> tensor<f32>
  return %0, %1, %2, %3 : tensor<2xi32>, tensor<2xi1>, tensor<f32>, tensor<f32>
}

// Not folded: a sum whose init is not 0 (XLA may add it more than once), a body of two ops,
// a body that reads one argument twice, a variadic reduce, a run-time input, an input of more
// than 2^20 elements (a splat stands for any size, but folding lays the input out in full).
// CHECK-LABEL: func.func @reduces_kept
// CHECK-COUNT-6: stablehlo.reduce
func.func @reduces_kept(%x: tensor<3xi32>) -> (tensor<i32>, tensor<i32>, tensor<i32>, tensor<i32>, tensor<i32>, tensor<i32>) {
  %a = stablehlo.constant dense<[1, 2, 3]> : tensor<3xi32>
  %one = stablehlo.constant dense<1> : tensor<i32>
  %zero = stablehlo.constant dense<0> : tensor<i32>
  %0 = stablehlo.reduce(%a init: %one) applies stablehlo.add across dimensions = [0] : (tensor<3xi32>, tensor<i32>) -> tensor<i32>
  %1 = stablehlo.reduce(%a init: %zero) across dimensions = [0] : (tensor<3xi32>, tensor<i32>) -> tensor<i32>
    reducer(%p: tensor<i32>, %q: tensor<i32>) {
      %s = stablehlo.add %p, %q : tensor<i32>
      %t = stablehlo.multiply %s, %s : tensor<i32>
      stablehlo.return %t : tensor<i32>
    }
  %2:2 = stablehlo.reduce(%a init: %zero), (%a init: %zero) across dimensions = [0] : (tensor<3xi32>, tensor<3xi32>, tensor<i32>, tensor<i32>) -> (tensor<i32>, tensor<i32>)
    reducer(%p: tensor<i32>, %r: tensor<i32>) (%q: tensor<i32>, %s: tensor<i32>) {
      %m = stablehlo.maximum %p, %r : tensor<i32>
      %n = stablehlo.minimum %q, %s : tensor<i32>
      stablehlo.return %m, %n : tensor<i32>, tensor<i32>
    }
  %3 = stablehlo.reduce(%x init: %zero) applies stablehlo.add across dimensions = [0] : (tensor<3xi32>, tensor<i32>) -> tensor<i32>
  %4 = stablehlo.reduce(%a init: %zero) across dimensions = [0] : (tensor<3xi32>, tensor<i32>) -> tensor<i32>
    reducer(%p: tensor<i32>, %q: tensor<i32>) {
      %s = stablehlo.add %p, %p : tensor<i32>
      stablehlo.return %s : tensor<i32>
    }
  %big = stablehlo.constant dense<1> : tensor<2048x1024xi32>
  %5 = stablehlo.reduce(%big init: %zero) applies stablehlo.add across dimensions = [0, 1] : (tensor<2048x1024xi32>, tensor<i32>) -> tensor<i32>
  return %0, %1, %2#0, %3, %4, %5 : tensor<i32>, tensor<i32>, tensor<i32>, tensor<i32>, tensor<i32>, tensor<i32>
}

// max and min are IEEE's: +0.0 is above -0.0 whichever side it is on (NumPy returns either).
// CHECK-LABEL: func.func @signed_zeros
// CHECK-NEXT:  %[[MAX:.*]] = stablehlo.constant dense<0.000000e+00> : tensor<2xf32>
// CHECK-NEXT:  %[[MIN:.*]] = stablehlo.constant dense<-0.000000e+00> : tensor<2xf32>
// CHECK-NEXT:  return %[[MAX]], %[[MIN]]
func.func @signed_zeros() -> (tensor<2xf32>, tensor<2xf32>) {
  %a = stablehlo.constant dense<[-0.0, 0.0]> : tensor<2xf32>
  %b = stablehlo.constant dense<[0.0, -0.0]> : tensor<2xf32>
  %0 = stablehlo.maximum %a, %b : tensor<2xf32>
  %1 = stablehlo.minimum %a, %b : tensor<2xf32>
  return %0, %1 : tensor<2xf32>, tensor<2xf32>
}

// A compare's type, not the element type, says how the bits compare: -1 is above 1 UNSIGNED.
// TOTALORDER (-0.0 below +0.0, NaNs ordered) is not NumPy's order and stays.
// CHECK-LABEL: func.func @compare_types
// CHECK-NEXT:  %[[U:.*]] = stablehlo.constant dense<false> : tensor<i1>
// CHECK:       stablehlo.compare LT, %{{.*}}, %{{.*}}, TOTALORDER
func.func @compare_types() -> (tensor<i1>, tensor<i1>) {
  %m = stablehlo.constant dense<-1> : tensor<i32>
  %p = stablehlo.constant dense<1> : tensor<i32>
  %0 = stablehlo.compare LT, %m, %p, UNSIGNED : (tensor<i32>, tensor<i32>) -> tensor<i1>
  %n = stablehlo.constant dense<-0.0> : tensor<f32>
  %z = stablehlo.constant dense<0.0> : tensor<f32>
  %1 = stablehlo.compare LT, %n, %z, TOTALORDER : (tensor<f32>, tensor<f32>) -> tensor<i1>
  return %0, %1 : tensor<i1>, tensor<i1>
}

// 0-d integer remainders fold too (NumPy's 0-d arithmetic gives Python ints: read back as arrays).
// CHECK-LABEL: func.func @scalar_remainder
// CHECK-NEXT:  %[[C:.*]] = stablehlo.constant dense<-1> : tensor<i64>
// CHECK-NEXT:  return %[[C]]
func.func @scalar_remainder() -> tensor<i64> {
  %a = stablehlo.constant dense<-7> : tensor<i64>
  %b = stablehlo.constant dense<2> : tensor<i64>
  %d = stablehlo.remainder %a, %b : tensor<i64>
  return %d : tensor<i64>
}
