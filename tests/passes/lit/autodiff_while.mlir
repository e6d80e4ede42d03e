// RUN: dump-ir %s --pipeline "autodiff{mode=reverse wrt=0,1 function=cell},autodiff{mode=reverse wrt=0 function=checkpointed},autodiff{mode=reverse wrt=0 function=cheap_body},dce" | filecheck %s

// Reversing a loop: the forward loop stacks each iteration's carry and, beside it, the body values the
// backward pass reads that are costly to compute again (here tanh's result, which its derivative reads);
// the backward loop reads them back, so neither the tanh nor the matmul that fed it runs twice.
// CHECK-LABEL: func.func @cell
// CHECK:       stablehlo.while
// CHECK:       %[[Z:.+]] = stablehlo.dot_general %iterArg{{.*}}, %arg1, contracting_dims = [1] x [0]
// CHECK-NEXT:  %[[T:.+]] = stablehlo.tanh %[[Z]]
// CHECK:       %[[ROW:.+]] = stablehlo.reshape %[[T]] : (tensor<2x3xf32>) -> tensor<1x2x3xf32>
// CHECK:       stablehlo.dynamic_update_slice %{{.+}}, %[[ROW]]
// CHECK:       stablehlo.while{{.*}}pyreactant.max_iterations = 5
// CHECK-NOT:   stablehlo.tanh
// CHECK-NOT:   contracting_dims = [1] x [0]
// CHECK:       %[[STORED:.+]] = stablehlo.dynamic_slice %{{[0-9]+}}#5
// CHECK-NEXT:  %[[T_AGAIN:.+]] = stablehlo.reshape %[[STORED]]
// CHECK-NOT:   stablehlo.tanh
// CHECK-NOT:   contracting_dims = [1] x [0]
// CHECK:       stablehlo.multiply %[[T_AGAIN]], %[[T_AGAIN]]
// CHECK-NOT:   stablehlo.tanh
// CHECK:       return
func.func @cell(%h0: tensor<2x3xf32>, %w: tensor<3x3xf32>) -> tensor<2x3xf32> {
  %zero = stablehlo.constant dense<0> : tensor<i64>
  %limit = stablehlo.constant dense<5> : tensor<i64>
  %0:2 = stablehlo.while(%i = %zero, %h = %h0) : tensor<i64>, tensor<2x3xf32>
    cond {
      %c = stablehlo.compare LT, %i, %limit, SIGNED : (tensor<i64>, tensor<i64>) -> tensor<i1>
      stablehlo.return %c : tensor<i1>
    } do {
      %one = stablehlo.constant dense<1> : tensor<i64>
      %next = stablehlo.add %i, %one : tensor<i64>
      %z = stablehlo.dot_general %h, %w, contracting_dims = [1] x [0] : (tensor<2x3xf32>, tensor<3x3xf32>) -> tensor<2x3xf32>
      %t = stablehlo.tanh %z : tensor<2x3xf32>
      stablehlo.return %next, %t : tensor<i64>, tensor<2x3xf32>
    }
  return %0#1 : tensor<2x3xf32>
}

// A loop marked for checkpointing trades time for memory: only the carries are stacked, and the backward
// loop computes the tanh again from them.
// CHECK-LABEL: func.func @checkpointed
// CHECK:       stablehlo.while({{.*}}) : tensor<i64>, tensor<3xf32>, tensor<i64>, tensor<4xi64>, tensor<4x3xf32> attributes {pyreactant.checkpoint}
// CHECK:       stablehlo.tanh
// CHECK:       stablehlo.while{{.*}}pyreactant.max_iterations = 4
// CHECK:       stablehlo.optimization_barrier
// CHECK:       stablehlo.tanh
// CHECK:       return
func.func @checkpointed(%x0: tensor<3xf32>) -> tensor<3xf32> {
  %zero = stablehlo.constant dense<0> : tensor<i64>
  %limit = stablehlo.constant dense<4> : tensor<i64>
  %0:2 = stablehlo.while(%i = %zero, %x = %x0) : tensor<i64>, tensor<3xf32> attributes {pyreactant.checkpoint}
    cond {
      %c = stablehlo.compare LT, %i, %limit, SIGNED : (tensor<i64>, tensor<i64>) -> tensor<i1>
      stablehlo.return %c : tensor<i1>
    } do {
      %one = stablehlo.constant dense<1> : tensor<i64>
      %next = stablehlo.add %i, %one : tensor<i64>
      %t = stablehlo.tanh %x : tensor<3xf32>
      stablehlo.return %next, %t : tensor<i64>, tensor<3xf32>
    }
  return %0#1 : tensor<3xf32>
}

// Nothing worth storing: the derivative of x * x reads only the carry, which is stacked anyway, so the
// forward loop gets no second stack of floats.
// CHECK-LABEL: func.func @cheap_body
// CHECK:       stablehlo.while({{.*}}) : tensor<i64>, tensor<3xf32>, tensor<i64>, tensor<4xi64>, tensor<4x3xf32>
// CHECK-NEXT:  cond
// CHECK:       return
func.func @cheap_body(%x0: tensor<3xf32>) -> tensor<3xf32> {
  %zero = stablehlo.constant dense<0> : tensor<i64>
  %limit = stablehlo.constant dense<4> : tensor<i64>
  %0:2 = stablehlo.while(%i = %zero, %x = %x0) : tensor<i64>, tensor<3xf32>
    cond {
      %c = stablehlo.compare LT, %i, %limit, SIGNED : (tensor<i64>, tensor<i64>) -> tensor<i1>
      stablehlo.return %c : tensor<i1>
    } do {
      %one = stablehlo.constant dense<1> : tensor<i64>
      %next = stablehlo.add %i, %one : tensor<i64>
      %sq = stablehlo.multiply %x, %x : tensor<3xf32>
      stablehlo.return %next, %sq : tensor<i64>, tensor<3xf32>
    }
  return %0#1 : tensor<3xf32>
}
