// RUN: dump-ir %s --pipeline "autodiff{mode=reverse wrt=0,1 function=cell},autodiff{mode=reverse wrt=0 function=checkpointed},autodiff{mode=reverse wrt=0 function=cheap_body},autodiff{mode=reverse wrt=0 function=bounded},autodiff{mode=reverse wrt=0 function=strided_counter},dce" | filecheck %s

// Reversing a loop: the forward loop stacks each iteration's carry and, beside it, the body values the
// backward pass reads that are costly to compute again (here tanh's result, which its derivative reads);
// the backward loop reads them back, so neither the tanh nor the matmul that fed it runs twice.
// The loop's own counter (0, 1, 2 ...) is the row index: it is neither stacked nor doubled by a counter of
// ours. The trip count is exact, so the backward loop counts up to it too (XLA then knows both loops' trip
// counts) and reads row 4 - k.
// CHECK-LABEL: func.func @cell
// CHECK:       stablehlo.while(%[[I:[a-zA-Z0-9_]+]] = %c, %{{.*}}) : tensor<i64>, tensor<2x3xf32>, tensor<5x2x3xf32>, tensor<5x2x3xf32>
// CHECK-NOT:   xi64>
// CHECK:       %[[Z:.+]] = stablehlo.dot_general %iterArg{{.*}}, %arg1, contracting_dims = [1] x [0]
// CHECK-NEXT:  %[[T:.+]] = stablehlo.tanh %[[Z]]
// CHECK:       %[[ROW:.+]] = stablehlo.reshape %[[T]] : (tensor<2x3xf32>) -> tensor<1x2x3xf32>
// CHECK:       stablehlo.dynamic_update_slice %{{.+}}, %[[ROW]], %[[I]],
// CHECK:       stablehlo.while(%[[K:[a-zA-Z0-9_]+]] = %{{.*}}pyreactant.trip_count = 5
// CHECK-NOT:   max_iterations
// CHECK:       %[[FIVE:.+]] = stablehlo.constant dense<5>
// CHECK-NEXT:  stablehlo.compare LT, %[[K]], %[[FIVE]]
// CHECK:       %[[FOUR:.+]] = stablehlo.constant dense<4>
// CHECK-NEXT:  %[[BACK_ROW:.+]] = stablehlo.subtract %[[FOUR]], %[[K]]
// CHECK-NOT:   stablehlo.tanh
// CHECK-NOT:   contracting_dims = [1] x [0]
// CHECK:       %[[STORED:.+]] = stablehlo.dynamic_slice %{{[0-9]+}}#3, %[[BACK_ROW]]
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
// CHECK:       stablehlo.while({{.*}}) : tensor<i64>, tensor<3xf32>, tensor<4x3xf32> attributes {pyreactant.checkpoint}
// CHECK:       stablehlo.tanh
// CHECK:       stablehlo.while{{.*}}pyreactant.trip_count = 4
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
// CHECK:       stablehlo.while({{.*}}) : tensor<i64>, tensor<3xf32>, tensor<4x3xf32>
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

// A loop with only a bound (tracer.while_loop(..., max_iterations=6)) may stop early: the backward loop
// counts down from how often the forward one ran (its counter's final value), and a forward loop that ran
// past its bound gives NaN.
// CHECK-LABEL: func.func @bounded
// CHECK:       %[[FORWARD:.+]]:3 = stablehlo.while({{.*}}) : tensor<i64>, tensor<3xf32>, tensor<6x3xf32> attributes {pyreactant.max_iterations = 6
// CHECK:       stablehlo.while(%[[K:[a-zA-Z0-9_]+]] = %[[FORWARD]]#0, {{.*}}pyreactant.max_iterations = 6
// CHECK-NOT:   trip_count
// CHECK:       stablehlo.compare GT, %[[K]]
// CHECK:       %[[ROW:.+]] = stablehlo.subtract %[[K]]
// CHECK:       stablehlo.dynamic_slice %[[FORWARD]]#2, %[[ROW]]
// CHECK:       stablehlo.compare GT, %[[FORWARD]]#0
// CHECK:       stablehlo.select
// CHECK:       return
func.func @bounded(%x0: tensor<3xf32>) -> tensor<3xf32> {
  %zero = stablehlo.constant dense<0> : tensor<i64>
  %0:2 = stablehlo.while(%i = %zero, %x = %x0) : tensor<i64>, tensor<3xf32> attributes {pyreactant.max_iterations = 6 : i64}
    cond {
      %c0 = stablehlo.constant dense<0.0> : tensor<f32>
      %s = stablehlo.slice %x [0:1] : (tensor<3xf32>) -> tensor<1xf32>
      %s0 = stablehlo.reshape %s : (tensor<1xf32>) -> tensor<f32>
      %c = stablehlo.compare GT, %s0, %c0, FLOAT : (tensor<f32>, tensor<f32>) -> tensor<i1>
      stablehlo.return %c : tensor<i1>
    } do {
      %one = stablehlo.constant dense<1> : tensor<i64>
      %next = stablehlo.add %i, %one : tensor<i64>
      %t = stablehlo.sine %x : tensor<3xf32>
      stablehlo.return %next, %t : tensor<i64>, tensor<3xf32>
    }
  return %0#1 : tensor<3xf32>
}

// A counter that starts at 2 and steps by 3 (tracer.fori_loop(2, 14, ..., step 3 by hand)) is no row index:
// the forward loop gets a row counter of its own, and the backward body computes the counter's value as
// 3 * row + 2 instead of reading a stack of it.
// CHECK-LABEL: func.func @strided_counter
// CHECK:       stablehlo.while({{.*}}) : tensor<i32>, tensor<3xf32>, tensor<i64>, tensor<4x3xf32>, tensor<4x3xf32>
// CHECK-NOT:   xi32>
// CHECK:       stablehlo.while{{.*}}pyreactant.trip_count = 4
// CHECK:       %[[ROW:.+]] = stablehlo.subtract
// CHECK:       %[[ROW32:.+]] = stablehlo.convert %[[ROW]] : (tensor<i64>) -> tensor<i32>
// CHECK:       %[[THREE:.+]] = stablehlo.constant dense<3> : tensor<i32>
// CHECK-NEXT:  %[[SCALED:.+]] = stablehlo.multiply %[[ROW32]], %[[THREE]]
// CHECK:       %[[TWO:.+]] = stablehlo.constant dense<2> : tensor<i32>
// CHECK-NEXT:  %[[I:.+]] = stablehlo.add %[[SCALED]], %[[TWO]]
// CHECK:       stablehlo.convert %[[I]] : (tensor<i32>) -> tensor<f32>
// CHECK:       return
func.func @strided_counter(%x0: tensor<3xf32>) -> tensor<3xf32> {
  %start = stablehlo.constant dense<2> : tensor<i32>
  %0:2 = stablehlo.while(%i = %start, %x = %x0) : tensor<i32>, tensor<3xf32> attributes {pyreactant.trip_count = 4 : i64}
    cond {
      %limit = stablehlo.constant dense<14> : tensor<i32>
      %c = stablehlo.compare LT, %i, %limit, SIGNED : (tensor<i32>, tensor<i32>) -> tensor<i1>
      stablehlo.return %c : tensor<i1>
    } do {
      %three = stablehlo.constant dense<3> : tensor<i32>
      %next = stablehlo.add %i, %three : tensor<i32>
      %f = stablehlo.convert %i : (tensor<i32>) -> tensor<f32>
      %fb = stablehlo.broadcast_in_dim %f, dims = [] : (tensor<f32>) -> tensor<3xf32>
      %p = stablehlo.multiply %x, %fb : tensor<3xf32>
      %t = stablehlo.sine %p : tensor<3xf32>
      stablehlo.return %next, %t : tensor<i32>, tensor<3xf32>
    }
  return %0#1 : tensor<3xf32>
}
