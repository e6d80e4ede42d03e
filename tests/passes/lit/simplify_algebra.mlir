// RUN: dump-ir %s --pipeline simplify | filecheck %s

// Identities that are exact in IEEE arithmetic fire; x + (+0.0) must stay (it turns -0.0 into +0.0).
// CHECK-LABEL: func.func @floats
// CHECK:       %[[ZERO:.*]] = stablehlo.constant dense<0.000000e+00>
// CHECK:       %[[KEPT:.*]] = stablehlo.add %arg0, %[[ZERO]]
// CHECK-NOT:   stablehlo.multiply
// CHECK-NOT:   stablehlo.divide
// CHECK-NOT:   stablehlo.negate
// CHECK:       return %[[KEPT]], %arg0, %arg0, %arg0, %arg0
func.func @floats(%a: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %zero = stablehlo.constant dense<0.0> : tensor<4xf32>
  %negzero = stablehlo.constant dense<-0.0> : tensor<4xf32>
  %one = stablehlo.constant dense<1.0> : tensor<4xf32>
  %0 = stablehlo.add %a, %zero : tensor<4xf32>
  %1 = stablehlo.add %negzero, %a : tensor<4xf32>
  %2 = stablehlo.multiply %one, %a : tensor<4xf32>
  %3 = stablehlo.divide %a, %one : tensor<4xf32>
  %n = stablehlo.negate %a : tensor<4xf32>
  %4 = stablehlo.negate %n : tensor<4xf32>
  return %0, %1, %2, %3, %4 : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}

// Integers have one zero: x + 0 and x - 0 go; x - 1, x * 2 and 0 - x stay.
// CHECK-LABEL: func.func @ints
// CHECK:       stablehlo.subtract %arg0, %{{.*}}
// CHECK:       stablehlo.multiply %arg0, %{{.*}}
// CHECK:       stablehlo.subtract %{{.*}}, %arg0
// CHECK:       return %arg0, %arg0
func.func @ints(%a: tensor<3xi32>) -> (tensor<3xi32>, tensor<3xi32>, tensor<3xi32>, tensor<3xi32>, tensor<3xi32>) {
  %zero = stablehlo.constant dense<0> : tensor<3xi32>
  %one = stablehlo.constant dense<1> : tensor<3xi32>
  %two = stablehlo.constant dense<2> : tensor<3xi32>
  %0 = stablehlo.add %zero, %a : tensor<3xi32>
  %1 = stablehlo.subtract %a, %zero : tensor<3xi32>
  %2 = stablehlo.subtract %a, %one : tensor<3xi32>
  %3 = stablehlo.multiply %a, %two : tensor<3xi32>
  %4 = stablehlo.subtract %zero, %a : tensor<3xi32>
  return %0, %1, %2, %3, %4 : tensor<3xi32>, tensor<3xi32>, tensor<3xi32>, tensor<3xi32>, tensor<3xi32>
}

// A select with a constant predicate, or with equal branches, is one of its operands;
// a select on a run-time predicate stays.
// CHECK-LABEL: func.func @selects
// CHECK:       %[[KEPT:.*]] = stablehlo.select %arg2, %arg0, %arg1
// CHECK:       return %arg0, %arg1, %arg0, %[[KEPT]]
func.func @selects(%a: tensor<2xf32>, %b: tensor<2xf32>, %p: tensor<2xi1>) -> (tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) {
  %t = stablehlo.constant dense<true> : tensor<2xi1>
  %f = stablehlo.constant dense<false> : tensor<2xi1>
  %0 = stablehlo.select %t, %a, %b : tensor<2xi1>, tensor<2xf32>
  %1 = stablehlo.select %f, %a, %b : tensor<2xi1>, tensor<2xf32>
  %2 = stablehlo.select %p, %a, %a : tensor<2xi1>, tensor<2xf32>
  %3 = stablehlo.select %p, %a, %b : tensor<2xi1>, tensor<2xf32>
  return %0, %1, %2, %3 : tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>
}
