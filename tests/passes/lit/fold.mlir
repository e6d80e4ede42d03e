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

// Not folded: transcendentals, integer division by zero, out-of-range float -> int,
// and anything with a non-constant operand.
// CHECK-LABEL: func.func @kept
// CHECK: stablehlo.exponential
// CHECK: stablehlo.divide
// CHECK: stablehlo.convert
// CHECK: stablehlo.add %arg0
func.func @kept(%x: tensor<2xf32>) -> (tensor<2xf32>, tensor<2xi32>, tensor<2xi32>, tensor<2xf32>) {
  %a = stablehlo.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %0 = stablehlo.exponential %a : tensor<2xf32>
  %i = stablehlo.constant dense<[1, 2]> : tensor<2xi32>
  %z = stablehlo.constant dense<[0, 1]> : tensor<2xi32>
  %1 = stablehlo.divide %i, %z : tensor<2xi32>
  %big = stablehlo.constant dense<[1.0e10, 1.0]> : tensor<2xf32>
  %2 = stablehlo.convert %big : (tensor<2xf32>) -> tensor<2xi32>
  %3 = stablehlo.add %x, %a : tensor<2xf32>
  return %0, %1, %2, %3 : tensor<2xf32>, tensor<2xi32>, tensor<2xi32>, tensor<2xf32>
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
