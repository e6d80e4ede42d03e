// RUN: dump-ir %s --pipeline "simplify{fold=false},dce" | filecheck %s

// The op that takes a rewritten op's place inherits its discardable attributes (sharding,
// frontend attributes); the inner reshape's own sharding goes with it.
// CHECK-LABEL: func.func @reshape_of_reshape
// CHECK:       stablehlo.reshape %arg0 {mhlo.frontend_attributes = {x = "y"}, mhlo.sharding = "{devices=[2,1]<=[2]}"} : (tensor<6xf32>) -> tensor<3x2xf32>
// CHECK-NOT:   stablehlo.reshape
// CHECK-NOT:   {replicated}
func.func @reshape_of_reshape(%a: tensor<6xf32>) -> tensor<3x2xf32> {
  %0 = stablehlo.reshape %a {mhlo.sharding = "{replicated}"} : (tensor<6xf32>) -> tensor<2x3xf32>
  %1 = stablehlo.reshape %0 {mhlo.sharding = "{devices=[2,1]<=[2]}", mhlo.frontend_attributes = {x = "y"}} : (tensor<2x3xf32>) -> tensor<3x2xf32>
  return %1 : tensor<3x2xf32>
}

// -----

// An op replaced by a value that already existed does not paint that value's producer:
// the tanh keeps its own (absent) sharding when the no-op reshape of it goes.
// CHECK-LABEL: func.func @existing_value
// CHECK:       %[[T:.*]] = stablehlo.tanh %arg0 : tensor<6xf32>
// CHECK-NOT:   mhlo.sharding
// CHECK:       return %[[T]]
func.func @existing_value(%a: tensor<6xf32>) -> tensor<6xf32> {
  %0 = stablehlo.tanh %a : tensor<6xf32>
  %1 = stablehlo.reshape %0 {mhlo.sharding = "{replicated}"} : (tensor<6xf32>) -> tensor<6xf32>
  return %1 : tensor<6xf32>
}

// -----

// Only the op producing the result inherits: a reduce over a size-1 dim from +0.0 becomes
// broadcast + add + reshape, and only the add (the result) carries the sharding.
// CHECK-LABEL: func.func @only_the_result_producer
// CHECK:       stablehlo.reshape %arg0 : (tensor<3x1xf32>) -> tensor<3xf32>
// CHECK:       stablehlo.broadcast_in_dim %{{.*}}, dims = [] : (tensor<f32>) -> tensor<3xf32>
// CHECK:       stablehlo.add %{{.*}}, %{{.*}} {mhlo.sharding = "{replicated}"} : tensor<3xf32>
func.func @only_the_result_producer(%a: tensor<3x1xf32>) -> tensor<3xf32> {
  %p0 = stablehlo.constant dense<0.0> : tensor<f32>
  %0 = stablehlo.reduce(%a init: %p0) applies stablehlo.add across dimensions = [1] {mhlo.sharding = "{replicated}"} : (tensor<3x1xf32>, tensor<f32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}
