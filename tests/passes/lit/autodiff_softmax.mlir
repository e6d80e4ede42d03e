// RUN: dump-ir %s --pipeline "autodiff{mode=reverse wrt=0 function=softmax},autodiff{mode=reverse wrt=0 function=exp_also_returned},autodiff{mode=reverse wrt=0 function=unmarked_shift},dce" | filecheck %s

// Softmax differentiated as one function: z_bar = p * (p_bar - sum(p_bar * p)). The backward reads the
// quotient p only: not exp's result, not the broadcast sum (op by op, exp's and divide's rules read both).
// CHECK-LABEL: func.func @softmax
// CHECK-SAME:  (%[[X:.+]]: tensor<2x3xf32>, %[[P_BAR:.+]]: tensor<2x3xf32>)
// CHECK:       %[[E:.+]] = stablehlo.exponential
// CHECK:       %[[SUM:.+]] = stablehlo.broadcast_in_dim
// CHECK:       %[[P:.+]] = stablehlo.divide %[[E]], %[[SUM]]
// CHECK-NOT:   %[[E]]
// CHECK-NOT:   %[[SUM]]
// CHECK:       %[[PRODUCT:.+]] = stablehlo.multiply %[[P_BAR]], %[[P]]
// CHECK:       %[[DOT:.+]] = stablehlo.reduce(%[[PRODUCT]]{{.*}}) applies stablehlo.add across dimensions = [1]
// CHECK:       %[[SPREAD:.+]] = stablehlo.broadcast_in_dim %[[DOT]], dims = [0]
// CHECK:       %[[DIFFERENCE:.+]] = stablehlo.subtract %[[P_BAR]], %[[SPREAD]]
// CHECK:       stablehlo.multiply %[[P]], %[[DIFFERENCE]]
// CHECK-NOT:   %[[E]]
// CHECK-NOT:   %[[SUM]]
// CHECK-NOT:   stablehlo.divide
// CHECK:       return
func.func @softmax(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %ninf = stablehlo.constant dense<0xFF800000> : tensor<f32>
  %zero = stablehlo.constant dense<0.0> : tensor<f32>
  %max = stablehlo.reduce(%x init: %ninf) applies stablehlo.maximum across dimensions = [1] : (tensor<2x3xf32>, tensor<f32>) -> tensor<2xf32>
  %top = stablehlo.reduce_precision %max, format = e8m23 {pyreactant.stop_gradient} : tensor<2xf32>
  %topb = stablehlo.broadcast_in_dim %top, dims = [0] : (tensor<2xf32>) -> tensor<2x3xf32>
  %z = stablehlo.subtract %x, %topb : tensor<2x3xf32>
  %e = stablehlo.exponential %z : tensor<2x3xf32>
  %s = stablehlo.reduce(%e init: %zero) applies stablehlo.add across dimensions = [1] : (tensor<2x3xf32>, tensor<f32>) -> tensor<2xf32>
  %sb = stablehlo.broadcast_in_dim %s, dims = [0] : (tensor<2xf32>) -> tensor<2x3xf32>
  %p = stablehlo.divide %e, %sb : tensor<2x3xf32>
  return %p : tensor<2x3xf32>
}

// exp's result is also returned, so it has a cotangent of its own: no group, the ops' own rules run and
// read exp's result (exp's derivative) and divide the cotangent by the sum (divide's).
// CHECK-LABEL: func.func @exp_also_returned
// CHECK:       %[[E:.+]] = stablehlo.exponential
// CHECK:       %[[SUM:.+]] = stablehlo.broadcast_in_dim
// CHECK:       stablehlo.divide %[[E]], %[[SUM]]
// CHECK:       stablehlo.divide %{{.+}}, %[[SUM]]
// CHECK:       stablehlo.multiply %{{.+}}, %[[E]]
// CHECK:       return
func.func @exp_also_returned(%x: tensor<2x3xf32>) -> (tensor<2x3xf32>, tensor<2x3xf32>) {
  %zero = stablehlo.constant dense<0.0> : tensor<f32>
  %e = stablehlo.exponential %x : tensor<2x3xf32>
  %s = stablehlo.reduce(%e init: %zero) applies stablehlo.add across dimensions = [1] : (tensor<2x3xf32>, tensor<f32>) -> tensor<2xf32>
  %sb = stablehlo.broadcast_in_dim %s, dims = [0] : (tensor<2xf32>) -> tensor<2x3xf32>
  %p = stablehlo.divide %e, %sb : tensor<2x3xf32>
  return %p, %e : tensor<2x3xf32>, tensor<2x3xf32>
}

// The shift by the slice's maximum, with no stop_gradient (as attention writes it, and as JAX prints
// jax.nn.softmax): softmax does not change under a per-slice shift, so the group's cotangent goes to x and
// the maximum gets none: no tie mask (compare EQ against the max), no second reduce over x.
// CHECK-LABEL: func.func @unmarked_shift
// CHECK-SAME:  (%[[X:.+]]: tensor<2x3xf32>, %[[P_BAR:.+]]: tensor<2x3xf32>)
// CHECK:       %[[P:.+]] = stablehlo.divide
// CHECK-NOT:   stablehlo.compare
// CHECK-NOT:   applies stablehlo.maximum
// CHECK:       %[[GRAD:.+]] = stablehlo.multiply %[[P]], %{{.+}}
// CHECK-NOT:   stablehlo.compare
// CHECK:       return %[[P]], %[[GRAD]]
func.func @unmarked_shift(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %ninf = stablehlo.constant dense<0xFF800000> : tensor<f32>
  %zero = stablehlo.constant dense<0.0> : tensor<f32>
  %max = stablehlo.reduce(%x init: %ninf) applies stablehlo.maximum across dimensions = [1] : (tensor<2x3xf32>, tensor<f32>) -> tensor<2xf32>
  %keep = stablehlo.reshape %max : (tensor<2xf32>) -> tensor<2x1xf32>
  %topb = stablehlo.broadcast_in_dim %keep, dims = [0, 1] : (tensor<2x1xf32>) -> tensor<2x3xf32>
  %z = stablehlo.subtract %x, %topb : tensor<2x3xf32>
  %e = stablehlo.exponential %z : tensor<2x3xf32>
  %s = stablehlo.reduce(%e init: %zero) applies stablehlo.add across dimensions = [1] : (tensor<2x3xf32>, tensor<f32>) -> tensor<2xf32>
  %sb = stablehlo.broadcast_in_dim %s, dims = [0] : (tensor<2xf32>) -> tensor<2x3xf32>
  %p = stablehlo.divide %e, %sb : tensor<2x3xf32>
  return %p : tensor<2x3xf32>
}
