// RUN: dump-ir %s --pipeline simplify | filecheck %s
// RUN: dump-ir %s --pipeline "fold,simplify{no-nan=true},cse,dce,licm" | filecheck %s

// Complex element types have no NumPy dtype here: our rewrites leave their ops alone, and a valid module
// is not reported as a failing pass (reading a complex constant raised "Can't cast unknown element type").
// CHECK-LABEL: func.func @main
// CHECK-DAG:   stablehlo.constant dense<(1.000000e+00,2.000000e+00)> : tensor<2x3xcomplex<f32>>
// CHECK-DAG:   stablehlo.reduce(%arg0
// CHECK-DAG:   stablehlo.transpose
// CHECK-DAG:   stablehlo.multiply
// CHECK-DAG:   stablehlo.subtract
func.func @main(%a: tensor<2x3xcomplex<f32>>) -> (tensor<2xcomplex<f32>>, tensor<2xcomplex<f32>>, tensor<3x2xcomplex<f32>>) {
  %c = stablehlo.constant dense<(1.0, 2.0)> : tensor<2x3xcomplex<f32>>
  %z = stablehlo.constant dense<(0.0, 0.0)> : tensor<complex<f32>>
  %0 = stablehlo.reduce(%a init: %z) applies stablehlo.add across dimensions = [1] : (tensor<2x3xcomplex<f32>>, tensor<complex<f32>>) -> tensor<2xcomplex<f32>>
  %1 = stablehlo.reduce(%c init: %z) applies stablehlo.add across dimensions = [1] : (tensor<2x3xcomplex<f32>>, tensor<complex<f32>>) -> tensor<2xcomplex<f32>>
  %2 = stablehlo.transpose %c, dims = [1, 0] : (tensor<2x3xcomplex<f32>>) -> tensor<3x2xcomplex<f32>>
  %3 = stablehlo.broadcast_in_dim %z, dims = [] : (tensor<complex<f32>>) -> tensor<3x2xcomplex<f32>>
  %4 = stablehlo.add %2, %3 : tensor<3x2xcomplex<f32>>
  %5 = stablehlo.multiply %4, %3 : tensor<3x2xcomplex<f32>>
  %6 = stablehlo.subtract %5, %5 : tensor<3x2xcomplex<f32>>
  return %0, %1, %6 : tensor<2xcomplex<f32>>, tensor<2xcomplex<f32>>, tensor<3x2xcomplex<f32>>
}
