// RUN: dump-ir %s --pipeline "simplify{fold=false},dce" | filecheck %s

// A negation folds into a splat float factor or divisor (rounding to nearest is symmetric):
// -(x * c), (-x) * c, -(x / c), (-x) / c, -(c / x) and c / (-x) all become one op on -c.
// CHECK-LABEL: func.func @folded
// CHECK-NOT:   stablehlo.negate
// CHECK:       %[[C1:.*]] = stablehlo.constant dense<-2.000000e+00> : tensor<4xf32>
// CHECK:       %[[A:.*]] = stablehlo.multiply %arg0, %[[C1]] : tensor<4xf32>
// CHECK:       %[[C2:.*]] = stablehlo.constant dense<-2.000000e+00> : tensor<4xf32>
// CHECK:       %[[B:.*]] = stablehlo.multiply %arg0, %[[C2]] : tensor<4xf32>
// CHECK:       %[[C3:.*]] = stablehlo.constant dense<-3.200000e+01> : tensor<f32>
// CHECK:       %[[C:.*]] = stablehlo.divide %arg1, %[[C3]] : tensor<f32>
// CHECK:       %[[C4:.*]] = stablehlo.constant dense<3.000000e+00> : tensor<4xf32>
// CHECK:       %[[D:.*]] = stablehlo.divide %arg0, %[[C4]] : tensor<4xf32>
// CHECK:       %[[C5:.*]] = stablehlo.constant dense<3.000000e+00> : tensor<4xf32>
// CHECK:       %[[E:.*]] = stablehlo.divide %[[C5]], %arg0 : tensor<4xf32>
// CHECK:       %[[C6:.*]] = stablehlo.constant dense<0.000000e+00> : tensor<4xf32>
// CHECK:       %[[F:.*]] = stablehlo.multiply %arg0, %[[C6]] : tensor<4xf32>
// CHECK-NOT:   stablehlo.negate
// CHECK:       return %[[A]], %[[B]], %[[C]], %[[D]], %[[E]], %[[F]]
func.func @folded(%x: tensor<4xf32>, %s: tensor<f32>)
    -> (tensor<4xf32>, tensor<4xf32>, tensor<f32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %two = stablehlo.constant dense<2.0> : tensor<4xf32>
  %m3 = stablehlo.constant dense<-3.0> : tensor<4xf32>
  %c32 = stablehlo.constant dense<32.0> : tensor<f32>
  %mz = stablehlo.constant dense<-0.0> : tensor<4xf32>
  %0 = stablehlo.multiply %x, %two : tensor<4xf32>
  %1 = stablehlo.negate %0 : tensor<4xf32>
  %n = stablehlo.negate %x : tensor<4xf32>
  %2 = stablehlo.multiply %two, %n : tensor<4xf32>
  %3 = stablehlo.divide %s, %c32 : tensor<f32>
  %4 = stablehlo.negate %3 : tensor<f32>
  %n2 = stablehlo.negate %x : tensor<4xf32>
  %5 = stablehlo.divide %n2, %m3 : tensor<4xf32>
  %n3 = stablehlo.negate %x : tensor<4xf32>
  %6 = stablehlo.divide %m3, %n3 : tensor<4xf32>
  %7 = stablehlo.multiply %x, %mz : tensor<4xf32>
  %8 = stablehlo.negate %7 : tensor<4xf32>
  return %1, %2, %4, %5, %6, %8 : tensor<4xf32>, tensor<4xf32>, tensor<f32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}

// -----

// Kept: a product or negation with another use (folding would add an op), a factor that is not a
// constant, and integers (-(x / c) is not x / (-c) for x = INT_MIN, c = -1).
// CHECK-LABEL: func.func @kept
// CHECK:       %[[P:.*]] = stablehlo.multiply %arg0, %{{.*}} : tensor<4xf32>
// CHECK:       %[[NP:.*]] = stablehlo.negate %[[P]] : tensor<4xf32>
// CHECK:       %[[N:.*]] = stablehlo.negate %arg0 : tensor<4xf32>
// CHECK:       %[[NM:.*]] = stablehlo.multiply %[[N]], %{{.*}} : tensor<4xf32>
// CHECK:       %[[Y:.*]] = stablehlo.multiply %arg0, %arg1 : tensor<4xf32>
// CHECK:       %[[NY:.*]] = stablehlo.negate %[[Y]] : tensor<4xf32>
// CHECK:       %[[I:.*]] = stablehlo.divide %arg2, %{{.*}} : tensor<4xi32>
// CHECK:       %[[NI:.*]] = stablehlo.negate %[[I]] : tensor<4xi32>
// CHECK:       return %[[NP]], %[[P]], %[[NM]], %[[N]], %[[NY]], %[[NI]]
func.func @kept(%x: tensor<4xf32>, %y: tensor<4xf32>, %i: tensor<4xi32>)
    -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xi32>) {
  %two = stablehlo.constant dense<2.0> : tensor<4xf32>
  %m1 = stablehlo.constant dense<-1> : tensor<4xi32>
  %0 = stablehlo.multiply %x, %two : tensor<4xf32>
  %1 = stablehlo.negate %0 : tensor<4xf32>
  %n = stablehlo.negate %x : tensor<4xf32>
  %2 = stablehlo.multiply %n, %two : tensor<4xf32>
  %3 = stablehlo.multiply %x, %y : tensor<4xf32>
  %4 = stablehlo.negate %3 : tensor<4xf32>
  %5 = stablehlo.divide %i, %m1 : tensor<4xi32>
  %6 = stablehlo.negate %5 : tensor<4xi32>
  return %1, %0, %2, %n, %4, %6 : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xi32>
}
