// RUN: dump-ir %s --pipeline simplify,dce | filecheck %s
// RUN: dump-ir %s --pipeline "simplify{no-nan=true},dce" | filecheck %s --check-prefix=NONAN

// Integers: x * 0 and x - x are 0 whatever the option.
// CHECK-LABEL: func.func @integers
// CHECK-DAG:   %[[Z:.*]] = stablehlo.constant dense<0> : tensor<4xi32>
// CHECK-NOT:   stablehlo.multiply
// CHECK-NOT:   stablehlo.subtract
// CHECK:       return %[[Z]], %{{.*}}
func.func @integers(%a: tensor<4xi32>) -> (tensor<4xi32>, tensor<4xi32>) {
  %z = stablehlo.constant dense<0> : tensor<4xi32>
  %0 = stablehlo.multiply %a, %z : tensor<4xi32>
  %1 = stablehlo.subtract %a, %a : tensor<4xi32>
  return %0, %1 : tensor<4xi32>, tensor<4xi32>
}

// Floats keep both without the promise (inf * 0 and inf - inf are nan; -3 * 0.0 is -0.0);
// with no-nan both become zero. A multiply by a non-zero splat stays either way.
// CHECK-LABEL: func.func @floats
// CHECK:       stablehlo.multiply %arg0, %{{.*}}
// CHECK:       stablehlo.subtract %arg0, %arg0
// CHECK:       stablehlo.multiply %arg0, %{{.*}}
// NONAN-LABEL: func.func @floats
// NONAN-NOT:   stablehlo.subtract
// NONAN:       %[[M:.*]] = stablehlo.multiply %arg0, %{{.*}}
// NONAN:       return %{{.*}}, %{{.*}}, %[[M]]
func.func @floats(%a: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %z = stablehlo.constant dense<0.0> : tensor<4xf32>
  %two = stablehlo.constant dense<2.0> : tensor<4xf32>
  %0 = stablehlo.multiply %a, %z : tensor<4xf32>
  %1 = stablehlo.subtract %a, %a : tensor<4xf32>
  %2 = stablehlo.multiply %a, %two : tensor<4xf32>
  return %0, %1, %2 : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}
