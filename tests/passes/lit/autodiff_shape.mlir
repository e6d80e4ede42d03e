// RUN: dump-ir %s --pipeline "autodiff{function=broadcast},autodiff{function=sum},autodiff{function=max},autodiff{function=dot wrt=0,1},autodiff{function=pad wrt=0,1},autodiff{function=transpose}" | filecheck %s --check-prefix=REVERSE
// RUN: dump-ir %s --pipeline "autodiff{mode=forward function=broadcast},autodiff{mode=forward function=sum},autodiff{mode=forward function=max},autodiff{mode=forward function=dot wrt=0,1},autodiff{mode=forward function=pad wrt=0,1},autodiff{mode=forward function=transpose}" | filecheck %s --check-prefix=FORWARD

// Linear ops' cotangents are their transposes and read no forward value (nothing of the forward pass is
// kept alive for them: no %arg0 after the forward op); their tangents are the op applied to the tangent.

// A broadcast that adds a dim and stretches a size-1 dim: the cotangent sums both, then restores the 1.
// REVERSE-LABEL: func.func @broadcast(%arg0: tensor<1x3xf32>, %arg1: tensor<2x4x3xf32>) -> (tensor<2x4x3xf32>, tensor<1x3xf32>)
// REVERSE:       %[[Z:.+]] = stablehlo.broadcast_in_dim %arg0
// REVERSE-NOT:   %arg0
// REVERSE:       %[[SUM:.+]] = stablehlo.reduce(%arg1 init: %{{.+}}) applies stablehlo.add across dimensions = [0, 1] : (tensor<2x4x3xf32>, tensor<f32>) -> tensor<3xf32>
// REVERSE-NEXT:  %[[BAR:.+]] = stablehlo.reshape %[[SUM]] : (tensor<3xf32>) -> tensor<1x3xf32>
// REVERSE-NEXT:  return %[[Z]], %[[BAR]]
// FORWARD-LABEL: func.func @broadcast(%arg0: tensor<1x3xf32>, %arg1: tensor<1x3xf32>)
// FORWARD:       %[[DOT:.+]] = stablehlo.broadcast_in_dim %arg1, dims = [1, 2] : (tensor<1x3xf32>) -> tensor<2x4x3xf32>
// FORWARD-NEXT:  return %{{.+}}, %[[DOT]]
func.func @broadcast(%x: tensor<1x3xf32>) -> tensor<2x4x3xf32> {
  %0 = stablehlo.broadcast_in_dim %x, dims = [1, 2] : (tensor<1x3xf32>) -> tensor<2x4x3xf32>
  return %0 : tensor<2x4x3xf32>
}

// A sum's cotangent is spread back by a broadcast; its tangent is the sum of the tangent.
// REVERSE-LABEL: func.func @sum
// REVERSE:       stablehlo.reduce(%arg0
// REVERSE-NOT:   %arg0
// REVERSE:       %[[BAR:.+]] = stablehlo.broadcast_in_dim %arg1, dims = [0] : (tensor<2xf32>) -> tensor<2x3xf32>
// REVERSE-NEXT:  return %{{.+}}, %[[BAR]]
// FORWARD-LABEL: func.func @sum
// FORWARD:       %[[DOT:.+]] = stablehlo.reduce(%arg1 init: %{{.+}}) applies stablehlo.add across dimensions = [1]
// FORWARD-NEXT:  return %{{.+}}, %[[DOT]]
func.func @sum(%x: tensor<2x3xf32>) -> tensor<2xf32> {
  %zero = stablehlo.constant dense<0.0> : tensor<f32>
  %0 = stablehlo.reduce(%x init: %zero) applies stablehlo.add across dimensions = [1] : (tensor<2x3xf32>, tensor<f32>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// A max sends the cotangent to the elements equal to it, split evenly among ties: mask / count.
// REVERSE-LABEL: func.func @max
// REVERSE:       %[[M:.+]] = stablehlo.reduce(%arg0 init: %{{.+}}) applies stablehlo.maximum
// REVERSE-DAG:   %[[SPREAD_BAR:.+]] = stablehlo.broadcast_in_dim %arg1, dims = [0]
// REVERSE-DAG:   %[[SPREAD_M:.+]] = stablehlo.broadcast_in_dim %[[M]], dims = [0]
// REVERSE:       %[[HIT:.+]] = stablehlo.compare EQ, %arg0, %[[SPREAD_M]]
// REVERSE:       %[[ONES:.+]] = stablehlo.select %[[HIT]]
// REVERSE:       %[[COUNT:.+]] = stablehlo.reduce(%[[ONES]] init: %{{.+}}) applies stablehlo.add across dimensions = [1]
// REVERSE:       %[[SPREAD_COUNT:.+]] = stablehlo.broadcast_in_dim %[[COUNT]]
// REVERSE:       %[[SHARE:.+]] = stablehlo.divide %[[ONES]], %[[SPREAD_COUNT]]
// REVERSE:       %[[BAR:.+]] = stablehlo.multiply %[[SPREAD_BAR]], %[[SHARE]]
// REVERSE-NEXT:  return %[[M]], %[[BAR]]
// FORWARD-LABEL: func.func @max
// FORWARD:       %[[SHARE:.+]] = stablehlo.divide
// FORWARD:       %[[WEIGHTED:.+]] = stablehlo.multiply %arg1, %[[SHARE]]
// FORWARD:       %[[DOT:.+]] = stablehlo.reduce(%[[WEIGHTED]] init: %{{.+}}) applies stablehlo.add across dimensions = [1]
// FORWARD-NEXT:  return %{{.+}}, %[[DOT]]
func.func @max(%x: tensor<2x3xf32>) -> tensor<2xf32> {
  %low = stablehlo.constant dense<0xFF800000> : tensor<f32>
  %0 = stablehlo.reduce(%x init: %low) applies stablehlo.maximum across dimensions = [1] : (tensor<2x3xf32>, tensor<f32>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// x @ y: x_bar = z_bar y^T (contract the free dim of y), y_bar = (x^T z_bar) as z_bar^T x, transposed back.
// REVERSE-LABEL: func.func @dot(%arg0: tensor<2x3xf32>, %arg1: tensor<3x4xf32>, %arg2: tensor<2x4xf32>) -> (tensor<2x4xf32>, tensor<2x3xf32>, tensor<3x4xf32>)
// REVERSE:       %[[X_BAR:.+]] = stablehlo.dot_general %arg2, %arg1, contracting_dims = [1] x [1] : (tensor<2x4xf32>, tensor<3x4xf32>) -> tensor<2x3xf32>
// REVERSE-NEXT:  %[[PRODUCT:.+]] = stablehlo.dot_general %arg2, %arg0, contracting_dims = [0] x [0] : (tensor<2x4xf32>, tensor<2x3xf32>) -> tensor<4x3xf32>
// REVERSE-NEXT:  %[[Y_BAR:.+]] = stablehlo.transpose %[[PRODUCT]], dims = [1, 0] : (tensor<4x3xf32>) -> tensor<3x4xf32>
// REVERSE-NEXT:  return %{{.+}}, %[[X_BAR]], %[[Y_BAR]]
// FORWARD-LABEL: func.func @dot
// FORWARD:       %[[A:.+]] = stablehlo.dot_general %arg2, %arg1, contracting_dims = [1] x [0]
// FORWARD-NEXT:  %[[B:.+]] = stablehlo.dot_general %arg0, %arg3, contracting_dims = [1] x [0]
// FORWARD-NEXT:  %[[DOT:.+]] = stablehlo.add %[[A]], %[[B]]
// FORWARD-NEXT:  return %{{.+}}, %[[DOT]]
func.func @dot(%x: tensor<2x3xf32>, %y: tensor<3x4xf32>) -> tensor<2x4xf32> {
  %0 = stablehlo.dot_general %x, %y, contracting_dims = [1] x [0] : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// A pad that crops one element low (-1), pads two high and one between elements: the operand's cotangent
// undoes the edges (a crop becomes a zero pad, the padding a crop) and steps over the interior; the
// padding value's cotangent is the sum of the rest.
// REVERSE-LABEL: func.func @pad(%arg0: tensor<5xf32>, %arg1: tensor<f32>, %arg2: tensor<10xf32>) -> (tensor<10xf32>, tensor<5xf32>, tensor<f32>)
// REVERSE:       stablehlo.pad %arg0, %arg1
// REVERSE-NOT:   %arg0
// REVERSE:       %[[EDGES:.+]] = stablehlo.pad %arg2, %{{.+}}, low = [1], high = [-2], interior = [0] : (tensor<10xf32>, tensor<f32>) -> tensor<9xf32>
// REVERSE-NEXT:  %[[X_BAR:.+]] = stablehlo.slice %[[EDGES]] [0:9:2] : (tensor<9xf32>) -> tensor<5xf32>
// REVERSE:       %[[ALL:.+]] = stablehlo.reduce(%arg2 init
// REVERSE:       %[[KEPT:.+]] = stablehlo.reduce(
// REVERSE-NEXT:  %[[V_BAR:.+]] = stablehlo.subtract %[[ALL]], %[[KEPT]] : tensor<f32>
// REVERSE-NEXT:  return %{{.+}}, %[[X_BAR]], %[[V_BAR]]
// FORWARD-LABEL: func.func @pad
// FORWARD:       %[[DOT:.+]] = stablehlo.pad %arg2, %arg3, low = [-1], high = [2], interior = [1]
// FORWARD-NEXT:  return %{{.+}}, %[[DOT]]
func.func @pad(%x: tensor<5xf32>, %v: tensor<f32>) -> tensor<10xf32> {
  %0 = stablehlo.pad %x, %v, low = [-1], high = [2], interior = [1] : (tensor<5xf32>, tensor<f32>) -> tensor<10xf32>
  return %0 : tensor<10xf32>
}

// A transpose's cotangent is the inverse permutation.
// REVERSE-LABEL: func.func @transpose
// REVERSE:       stablehlo.transpose %arg0, dims = [1, 2, 0]
// REVERSE-NEXT:  %[[BAR:.+]] = stablehlo.transpose %arg1, dims = [2, 0, 1] : (tensor<3x4x2xf32>) -> tensor<2x3x4xf32>
// REVERSE-NEXT:  return %{{.+}}, %[[BAR]]
// FORWARD-LABEL: func.func @transpose
// FORWARD:       %[[DOT:.+]] = stablehlo.transpose %arg1, dims = [1, 2, 0]
// FORWARD-NEXT:  return %{{.+}}, %[[DOT]]
func.func @transpose(%x: tensor<2x3x4xf32>) -> tensor<3x4x2xf32> {
  %0 = stablehlo.transpose %x, dims = [1, 2, 0] : (tensor<2x3x4xf32>) -> tensor<3x4x2xf32>
  return %0 : tensor<3x4x2xf32>
}
