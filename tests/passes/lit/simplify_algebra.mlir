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

// A select on `not p` selects on p with its branches swapped; a select on p itself is unchanged.
// CHECK-LABEL: func.func @select_of_not
// CHECK-NOT:   stablehlo.not
// CHECK:       %[[SWAPPED:.*]] = stablehlo.select %arg2, %arg1, %arg0
// CHECK:       %[[KEPT:.*]] = stablehlo.select %arg2, %arg0, %arg1
// CHECK:       return %[[SWAPPED]], %[[KEPT]]
func.func @select_of_not(%a: tensor<2xf32>, %b: tensor<2xf32>, %p: tensor<2xi1>) -> (tensor<2xf32>, tensor<2xf32>) {
  %n = stablehlo.not %p : tensor<2xi1>
  %0 = stablehlo.select %n, %a, %b : tensor<2xi1>, tensor<2xf32>
  %1 = stablehlo.select %p, %a, %b : tensor<2xi1>, tensor<2xf32>
  return %0, %1 : tensor<2xf32>, tensor<2xf32>
}

// A constant on the left of a compare moves right, the direction mirrored (LT <-> GT, LE <-> GE,
// EQ and NE as they are), the compare type kept; a constant already on the right, or two
// run-time operands, stay.
// CHECK-LABEL: func.func @compare_constant_to_the_right
// CHECK-DAG:   %[[C:.*]] = stablehlo.constant dense<1.000000e+00>
// CHECK-DAG:   %[[K:.*]] = stablehlo.constant dense<3>
// CHECK:       %[[LT:.*]] = stablehlo.compare GT, %arg0, %[[C]], FLOAT
// CHECK:       %[[GE:.*]] = stablehlo.compare LE, %arg0, %[[C]], FLOAT
// CHECK:       %[[EQ:.*]] = stablehlo.compare EQ, %arg1, %[[K]], SIGNED
// CHECK:       %[[NE:.*]] = stablehlo.compare NE, %arg1, %[[K]], UNSIGNED
// CHECK:       %[[RIGHT:.*]] = stablehlo.compare LT, %arg0, %[[C]], FLOAT
// CHECK:       %[[BOTH:.*]] = stablehlo.compare LT, %arg0, %arg0, FLOAT
// CHECK:       return %[[LT]], %[[GE]], %[[EQ]], %[[NE]], %[[RIGHT]], %[[BOTH]]
func.func @compare_constant_to_the_right(%x: tensor<2xf32>, %i: tensor<2xi32>)
    -> (tensor<2xi1>, tensor<2xi1>, tensor<2xi1>, tensor<2xi1>, tensor<2xi1>, tensor<2xi1>) {
  %c = stablehlo.constant dense<1.0> : tensor<2xf32>
  %k = stablehlo.constant dense<3> : tensor<2xi32>
  %0 = stablehlo.compare LT, %c, %x, FLOAT : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xi1>
  %1 = stablehlo.compare GE, %c, %x, FLOAT : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xi1>
  %2 = stablehlo.compare EQ, %k, %i, SIGNED : (tensor<2xi32>, tensor<2xi32>) -> tensor<2xi1>
  %3 = stablehlo.compare NE, %k, %i, UNSIGNED : (tensor<2xi32>, tensor<2xi32>) -> tensor<2xi1>
  %4 = stablehlo.compare LT, %x, %c, FLOAT : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xi1>
  %5 = stablehlo.compare LT, %x, %x, FLOAT : (tensor<2xf32>, tensor<2xf32>) -> tensor<2xi1>
  return %0, %1, %2, %3, %4, %5 : tensor<2xi1>, tensor<2xi1>, tensor<2xi1>, tensor<2xi1>, tensor<2xi1>, tensor<2xi1>
}

// Bitwise identities on integers: x & -1, x | 0, x ^ 0, x & x, x | x are x; x & 0 and x | -1 the
// constant; x ^ x is 0. The unsigned all-ones is 255 for ui8. x & 1, x | 1, x ^ -1 and x & y stay.
// CHECK-LABEL: func.func @bitwise_ints
// CHECK-DAG:   %[[ZERO:.*]] = stablehlo.constant dense<0> : tensor<3xi32>
// CHECK-DAG:   %[[ONES:.*]] = stablehlo.constant dense<-1> : tensor<3xi32>
// CHECK-DAG:   %[[CLEARED:.*]] = stablehlo.constant dense<0> : tensor<3xi32>
// CHECK-DAG:   %[[AND1:.*]] = stablehlo.and %arg0, %{{.*}} : tensor<3xi32>
// CHECK-DAG:   %[[OR1:.*]] = stablehlo.or %arg0, %{{.*}} : tensor<3xi32>
// CHECK-DAG:   %[[FLIP:.*]] = stablehlo.xor %arg0, %[[ONES]] : tensor<3xi32>
// CHECK-DAG:   %[[XY:.*]] = stablehlo.and %arg0, %arg1 : tensor<3xi32>
// CHECK:       return %arg0, %arg0, %arg0, %arg0, %arg0, %[[ZERO]], %[[ONES]], %[[CLEARED]], %arg2, %[[AND1]], %[[OR1]], %[[FLIP]], %[[XY]]
func.func @bitwise_ints(%x: tensor<3xi32>, %y: tensor<3xi32>, %u: tensor<3xui8>)
    -> (tensor<3xi32>, tensor<3xi32>, tensor<3xi32>, tensor<3xi32>, tensor<3xi32>, tensor<3xi32>, tensor<3xi32>,
        tensor<3xi32>, tensor<3xui8>, tensor<3xi32>, tensor<3xi32>, tensor<3xi32>, tensor<3xi32>) {
  %ones = stablehlo.constant dense<-1> : tensor<3xi32>
  %zero = stablehlo.constant dense<0> : tensor<3xi32>
  %one = stablehlo.constant dense<1> : tensor<3xi32>
  %max = stablehlo.constant dense<255> : tensor<3xui8>
  %0 = stablehlo.and %ones, %x : tensor<3xi32>
  %1 = stablehlo.or %x, %zero : tensor<3xi32>
  %2 = stablehlo.xor %zero, %x : tensor<3xi32>
  %3 = stablehlo.and %x, %x : tensor<3xi32>
  %4 = stablehlo.or %x, %x : tensor<3xi32>
  %5 = stablehlo.and %x, %zero : tensor<3xi32>
  %6 = stablehlo.or %ones, %x : tensor<3xi32>
  %7 = stablehlo.xor %x, %x : tensor<3xi32>
  %8 = stablehlo.and %u, %max : tensor<3xui8>
  %9 = stablehlo.and %x, %one : tensor<3xi32>
  %10 = stablehlo.or %x, %one : tensor<3xi32>
  %11 = stablehlo.xor %x, %ones : tensor<3xi32>
  %12 = stablehlo.and %x, %y : tensor<3xi32>
  return %0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11, %12 : tensor<3xi32>, tensor<3xi32>, tensor<3xi32>, tensor<3xi32>,
      tensor<3xi32>, tensor<3xi32>, tensor<3xi32>, tensor<3xi32>, tensor<3xui8>, tensor<3xi32>, tensor<3xi32>, tensor<3xi32>, tensor<3xi32>
}

// The same identities on i1, where true is all ones: p and true, p or false, p xor false, p and p,
// p or p are p; p and false is false, p or true is true, p xor p is false.
// CHECK-LABEL: func.func @bitwise_bools
// CHECK-DAG:   %[[T:.*]] = stablehlo.constant dense<true> : tensor<2xi1>
// CHECK-DAG:   %[[F:.*]] = stablehlo.constant dense<false> : tensor<2xi1>
// CHECK-NOT:   stablehlo.and
// CHECK-NOT:   stablehlo.or
// CHECK-NOT:   stablehlo.xor
// CHECK:       return %arg0, %arg0, %arg0, %arg0, %arg0, %[[F]], %[[T]], %{{.*}}
func.func @bitwise_bools(%p: tensor<2xi1>) -> (tensor<2xi1>, tensor<2xi1>, tensor<2xi1>, tensor<2xi1>, tensor<2xi1>,
                                               tensor<2xi1>, tensor<2xi1>, tensor<2xi1>) {
  %t = stablehlo.constant dense<true> : tensor<2xi1>
  %f = stablehlo.constant dense<false> : tensor<2xi1>
  %0 = stablehlo.and %p, %t : tensor<2xi1>
  %1 = stablehlo.or %f, %p : tensor<2xi1>
  %2 = stablehlo.xor %p, %f : tensor<2xi1>
  %3 = stablehlo.and %p, %p : tensor<2xi1>
  %4 = stablehlo.or %p, %p : tensor<2xi1>
  %5 = stablehlo.and %p, %f : tensor<2xi1>
  %6 = stablehlo.or %t, %p : tensor<2xi1>
  %7 = stablehlo.xor %p, %p : tensor<2xi1>
  return %0, %1, %2, %3, %4, %5, %6, %7 : tensor<2xi1>, tensor<2xi1>, tensor<2xi1>, tensor<2xi1>, tensor<2xi1>,
      tensor<2xi1>, tensor<2xi1>, tensor<2xi1>
}

// A select between the same op applied with a shared operand applies the op once, to the select of
// the others: the stable sigmoid's where(x >= 0, 1 / (1 + t), t / (1 + t)) divides once.
// CHECK-LABEL: func.func @select_of_ops_sharing_an_operand
// CHECK:       %[[ONE:.*]] = stablehlo.constant dense<1.000000e+00>
// CHECK:       %[[DEN:.*]] = stablehlo.add %arg1, %[[ONE]]
// CHECK:       %[[NUM:.*]] = stablehlo.select %arg2, %[[ONE]], %arg1
// CHECK:       %[[Q:.*]] = stablehlo.divide %[[NUM]], %[[DEN]]
// CHECK:       %[[F:.*]] = stablehlo.select %arg2, %arg0, %arg1
// CHECK:       %[[M:.*]] = stablehlo.multiply %arg0, %[[F]]
// CHECK-NOT:   stablehlo.divide
// CHECK-NOT:   stablehlo.multiply
// CHECK:       return %[[Q]], %[[M]]
func.func @select_of_ops_sharing_an_operand(%x: tensor<4xf32>, %t: tensor<4xf32>, %p: tensor<4xi1>) -> (tensor<4xf32>, tensor<4xf32>) {
  %one = stablehlo.constant dense<1.0> : tensor<4xf32>
  %den = stablehlo.add %t, %one : tensor<4xf32>
  %0 = stablehlo.divide %one, %den : tensor<4xf32>
  %1 = stablehlo.divide %t, %den : tensor<4xf32>
  %2 = stablehlo.select %p, %0, %1 : tensor<4xi1>, tensor<4xf32>
  %3 = stablehlo.multiply %x, %x : tensor<4xf32>
  %4 = stablehlo.multiply %x, %t : tensor<4xf32>
  %5 = stablehlo.select %p, %3, %4 : tensor<4xi1>, tensor<4xf32>
  return %2, %5 : tensor<4xf32>, tensor<4xf32>
}

// Not hoisted: different ops; the shared operand on different sides of a subtract (a - d vs d - b);
// a branch that is also used elsewhere (both ops would stay); a compare (its result type is not its operands').
// CHECK-LABEL: func.func @select_of_ops_not_sharing
// CHECK:       stablehlo.divide %arg0, %arg2
// CHECK:       stablehlo.multiply %arg1, %arg2
// CHECK:       stablehlo.select
// CHECK:       stablehlo.subtract %arg0, %arg2
// CHECK:       stablehlo.subtract %arg2, %arg1
// CHECK:       stablehlo.select
// CHECK:       %[[USED:.*]] = stablehlo.add %arg0, %arg2
// CHECK:       stablehlo.add %arg1, %arg2
// CHECK:       stablehlo.select
// CHECK:       stablehlo.compare GT, %arg0, %arg2
// CHECK:       stablehlo.compare GT, %arg1, %arg2
// CHECK:       stablehlo.select
// CHECK:       return {{.*}}, %[[USED]]
func.func @select_of_ops_not_sharing(%a: tensor<4xf32>, %b: tensor<4xf32>, %d: tensor<4xf32>, %p: tensor<4xi1>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xi1>, tensor<4xf32>) {
  %0 = stablehlo.divide %a, %d : tensor<4xf32>
  %1 = stablehlo.multiply %b, %d : tensor<4xf32>
  %2 = stablehlo.select %p, %0, %1 : tensor<4xi1>, tensor<4xf32>
  %3 = stablehlo.subtract %a, %d : tensor<4xf32>
  %4 = stablehlo.subtract %d, %b : tensor<4xf32>
  %5 = stablehlo.select %p, %3, %4 : tensor<4xi1>, tensor<4xf32>
  %6 = stablehlo.add %a, %d : tensor<4xf32>
  %7 = stablehlo.add %b, %d : tensor<4xf32>
  %8 = stablehlo.select %p, %6, %7 : tensor<4xi1>, tensor<4xf32>
  %9 = stablehlo.compare GT, %a, %d : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xi1>
  %10 = stablehlo.compare GT, %b, %d : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xi1>
  %11 = stablehlo.select %p, %9, %10 : tensor<4xi1>, tensor<4xi1>
  return %2, %5, %8, %11, %6 : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xi1>, tensor<4xf32>
}
