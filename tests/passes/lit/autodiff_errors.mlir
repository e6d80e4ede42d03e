// What the transformation refuses, with a message that names the op, the user's line and the function.
// RUN: not dump-ir %s --pipeline "autodiff{mode=reverse wrt=0 function=no_rule}" 2>&1 | filecheck %s --check-prefix=NO-RULE
// RUN: not dump-ir %s --pipeline "autodiff{mode=forward wrt=0 function=no_rule}" 2>&1 | filecheck %s --check-prefix=NO-RULE-FORWARD
// RUN: not dump-ir %s --pipeline "autodiff{mode=reverse wrt=1 function=no_rule}" 2>&1 | filecheck %s --check-prefix=INTEGER
// RUN: not dump-ir %s --pipeline "autodiff{mode=reverse wrt=0 function=unbounded}" 2>&1 | filecheck %s --check-prefix=UNBOUNDED

// NO-RULE:         dump-ir: error: {{.*}}model.py:12: stablehlo.custom_call has no derivative rule (reverse mode), in the function @no_rule
// NO-RULE-NEXT:    fix:
// NO-RULE-FORWARD: dump-ir: error: {{.*}}model.py:12: stablehlo.custom_call has no derivative rule (forward mode), in the function @no_rule
// INTEGER:         dump-ir: error: {{.*}}argument 1 of @no_rule has dtype int32: only float arguments have derivatives
// INTEGER-NEXT:    fix: {{.*}}float
func.func @no_rule(%x: tensor<3xf32>, %n: tensor<3xi32>) -> tensor<3xf32> {
  %0 = stablehlo.custom_call @my_kernel(%x) : (tensor<3xf32>) -> tensor<3xf32> loc("model.py":12:0)
  %1 = stablehlo.tanh %0 : tensor<3xf32>
  return %1 : tensor<3xf32>
}

// A loop whose trip count is neither recorded nor readable off it (the limit is an argument).
// UNBOUNDED: dump-ir: error: {{.*}}loop.py:7: a stablehlo.while without a known trip count cannot be reversed
// UNBOUNDED-NEXT: fix: {{.*}}max_iterations
func.func @unbounded(%x: tensor<f32>, %limit: tensor<i64>) -> tensor<f32> {
  %zero = stablehlo.constant dense<0> : tensor<i64>
  %0:2 = stablehlo.while(%i = %zero, %v = %x) : tensor<i64>, tensor<f32>
    cond {
      %c = stablehlo.compare LT, %i, %limit, SIGNED : (tensor<i64>, tensor<i64>) -> tensor<i1>
      stablehlo.return %c : tensor<i1>
    } do {
      %one = stablehlo.constant dense<1> : tensor<i64>
      %next = stablehlo.add %i, %one : tensor<i64>
      %w = stablehlo.sine %v : tensor<f32>
      stablehlo.return %next, %w : tensor<i64>, tensor<f32>
    } loc("loop.py":7:0)
  return %0#1 : tensor<f32>
}
