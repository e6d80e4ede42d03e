// RUN: dump-ir %s --pipeline "autodiff{mode=reverse wrt=0 function=tanh},autodiff{mode=reverse wrt=0 function=exp_of_exp},autodiff{mode=reverse wrt=0,1 function=mul},autodiff{mode=reverse wrt=0 function=fan_in},autodiff{mode=reverse wrt=0 function=integer_argument},autodiff{mode=reverse wrt=0 function=held_fixed},autodiff{mode=reverse wrt=0 function=constant},autodiff{mode=reverse wrt=0 function=flat}" | filecheck %s --check-prefix=REVERSE
// RUN: dump-ir %s --pipeline "autodiff{mode=forward wrt=0 function=tanh},autodiff{mode=forward wrt=0 function=exp_of_exp},autodiff{mode=forward wrt=0,1 function=mul},autodiff{mode=forward wrt=0 function=fan_in},autodiff{mode=forward wrt=0 function=integer_argument},autodiff{mode=forward wrt=0 function=held_fixed},autodiff{mode=forward wrt=0 function=constant},autodiff{mode=forward wrt=0 function=flat}" | filecheck %s --check-prefix=FORWARD

// Elementwise rules, and what the transformation does not emit: no derivative code for integers, for
// values computed only from arguments held fixed, for constants or for flat ops (floor, sign); no zeros
// built for a missing tangent. Reverse mode: @f(args, out_cotangent) -> (out, cotangents of wrt);
// forward mode: @f(args, tangents of wrt) -> (out, out_tangent).

// tanh's rule reads its result (1 - tanh^2): tanh is not computed again, and the input is not kept.
// REVERSE-LABEL: func.func @tanh(%arg0: tensor<3xf32>, %arg1: tensor<3xf32>) -> (tensor<3xf32>, tensor<3xf32>)
// REVERSE:       %[[T:.+]] = stablehlo.tanh %arg0
// REVERSE-NOT:   %arg0
// REVERSE:       %[[SQUARE:.+]] = stablehlo.multiply %[[T]], %[[T]]
// REVERSE-NOT:   stablehlo.tanh
// REVERSE:       %[[DERIVATIVE:.+]] = stablehlo.subtract %{{.+}}, %[[SQUARE]]
// REVERSE-NOT:   stablehlo.tanh
// REVERSE:       %[[BAR:.+]] = stablehlo.multiply %arg1, %[[DERIVATIVE]]
// REVERSE-NEXT:  return %[[T]], %[[BAR]]
// FORWARD-LABEL: func.func @tanh(%arg0: tensor<3xf32>, %arg1: tensor<3xf32>) -> (tensor<3xf32>, tensor<3xf32>)
// FORWARD:       %[[T:.+]] = stablehlo.tanh %arg0
// FORWARD-NOT:   %arg0
// FORWARD:       %[[SQUARE:.+]] = stablehlo.multiply %[[T]], %[[T]]
// FORWARD-NOT:   stablehlo.tanh
// FORWARD:       %[[DERIVATIVE:.+]] = stablehlo.subtract %{{.+}}, %[[SQUARE]]
// FORWARD-NOT:   stablehlo.tanh
// FORWARD:       %[[DOT:.+]] = stablehlo.multiply %arg1, %[[DERIVATIVE]]
// FORWARD-NEXT:  return %[[T]], %[[DOT]]
func.func @tanh(%x: tensor<3xf32>) -> tensor<3xf32> {
  %0 = stablehlo.tanh %x : tensor<3xf32>
  return %0 : tensor<3xf32>
}

// exp's rule is its result: the chain multiplies by both results, and no exp is computed again.
// REVERSE-LABEL: func.func @exp_of_exp
// REVERSE:       %[[E1:.+]] = stablehlo.exponential %arg0
// REVERSE-NEXT:  %[[E2:.+]] = stablehlo.exponential %[[E1]]
// REVERSE-NEXT:  %[[INNER:.+]] = stablehlo.multiply %arg1, %[[E2]]
// REVERSE-NEXT:  %[[BAR:.+]] = stablehlo.multiply %[[INNER]], %[[E1]]
// REVERSE-NEXT:  return %[[E2]], %[[BAR]]
// FORWARD-LABEL: func.func @exp_of_exp
// FORWARD:       %[[E1:.+]] = stablehlo.exponential %arg0
// FORWARD-NEXT:  %[[INNER:.+]] = stablehlo.multiply %arg1, %[[E1]]
// FORWARD-NEXT:  %[[E2:.+]] = stablehlo.exponential %[[E1]]
// FORWARD-NEXT:  %[[DOT:.+]] = stablehlo.multiply %[[INNER]], %[[E2]]
// FORWARD-NEXT:  return %[[E2]], %[[DOT]]
func.func @exp_of_exp(%x: tensor<3xf32>) -> tensor<3xf32> {
  %0 = stablehlo.exponential %x : tensor<3xf32>
  %1 = stablehlo.exponential %0 : tensor<3xf32>
  return %1 : tensor<3xf32>
}

// multiply: (z_bar * y, z_bar * x); its tangent x_dot * y + y_dot * x.
// REVERSE-LABEL: func.func @mul(%arg0: tensor<3xf32>, %arg1: tensor<3xf32>, %arg2: tensor<3xf32>) -> (tensor<3xf32>, tensor<3xf32>, tensor<3xf32>)
// REVERSE:       %[[Z:.+]] = stablehlo.multiply %arg0, %arg1
// REVERSE-DAG:   %[[X_BAR:.+]] = stablehlo.multiply %arg2, %arg1
// REVERSE-DAG:   %[[Y_BAR:.+]] = stablehlo.multiply %arg2, %arg0
// REVERSE:       return %[[Z]], %[[X_BAR]], %[[Y_BAR]]
// FORWARD-LABEL: func.func @mul(%arg0: tensor<3xf32>, %arg1: tensor<3xf32>, %arg2: tensor<3xf32>, %arg3: tensor<3xf32>) -> (tensor<3xf32>, tensor<3xf32>)
// FORWARD:       %[[Z:.+]] = stablehlo.multiply %arg0, %arg1
// FORWARD-DAG:   %[[A:.+]] = stablehlo.multiply %arg2, %arg1
// FORWARD-DAG:   %[[B:.+]] = stablehlo.multiply %arg3, %arg0
// FORWARD:       %[[DOT:.+]] = stablehlo.add %[[A]], %[[B]]
// FORWARD-NEXT:  return %[[Z]], %[[DOT]]
func.func @mul(%x: tensor<3xf32>, %y: tensor<3xf32>) -> tensor<3xf32> {
  %0 = stablehlo.multiply %x, %y : tensor<3xf32>
  return %0 : tensor<3xf32>
}

// Two uses of x: their cotangents are summed (fan-in), once.
// REVERSE-LABEL: func.func @fan_in
// REVERSE:       %[[VIA_COS:.+]] = stablehlo.multiply %arg1, %{{.+}}
// REVERSE:       %[[VIA_SIN:.+]] = stablehlo.multiply %arg1, %{{.+}}
// REVERSE-NEXT:  %[[BAR:.+]] = stablehlo.add %[[VIA_COS]], %[[VIA_SIN]]
// REVERSE-NEXT:  return %{{.+}}, %[[BAR]]
// FORWARD-LABEL: func.func @fan_in
// FORWARD:       %[[Z:.+]] = stablehlo.add
// FORWARD-NEXT:  %[[DOT:.+]] = stablehlo.add
// FORWARD-NEXT:  return %[[Z]], %[[DOT]]
func.func @fan_in(%x: tensor<3xf32>) -> tensor<3xf32> {
  %0 = stablehlo.sine %x : tensor<3xf32>
  %1 = stablehlo.cosine %x : tensor<3xf32>
  %2 = stablehlo.add %0, %1 : tensor<3xf32>
  return %2 : tensor<3xf32>
}

// An integer argument and what is computed from it get no derivative code: one multiply, no i32 op after it.
// REVERSE-LABEL: func.func @integer_argument(%arg0: tensor<3xf32>, %arg1: tensor<3xi32>, %arg2: tensor<3xf32>) -> (tensor<3xf32>, tensor<3xf32>)
// REVERSE:       %[[N:.+]] = stablehlo.convert %{{.+}} : (tensor<3xi32>) -> tensor<3xf32>
// REVERSE-NEXT:  %[[Z:.+]] = stablehlo.multiply %arg0, %[[N]]
// REVERSE-NEXT:  %[[BAR:.+]] = stablehlo.multiply %arg2, %[[N]]
// REVERSE-NEXT:  return %[[Z]], %[[BAR]]
// FORWARD-LABEL: func.func @integer_argument(%arg0: tensor<3xf32>, %arg1: tensor<3xi32>, %arg2: tensor<3xf32>) -> (tensor<3xf32>, tensor<3xf32>)
// FORWARD:       %[[N:.+]] = stablehlo.convert %{{.+}} : (tensor<3xi32>) -> tensor<3xf32>
// FORWARD-NEXT:  %[[Z:.+]] = stablehlo.multiply %arg0, %[[N]]
// FORWARD-NEXT:  %[[DOT:.+]] = stablehlo.multiply %arg2, %[[N]]
// FORWARD-NEXT:  return %[[Z]], %[[DOT]]
func.func @integer_argument(%x: tensor<3xf32>, %n: tensor<3xi32>) -> tensor<3xf32> {
  %0 = stablehlo.multiply %n, %n : tensor<3xi32>
  %1 = stablehlo.convert %0 : (tensor<3xi32>) -> tensor<3xf32>
  %2 = stablehlo.multiply %x, %1 : tensor<3xf32>
  return %2 : tensor<3xf32>
}

// w is held fixed (wrt=0): sin(w) and exp(sin(w)) get no derivative code (no cosine, no second exp
// product), and the add of a value without a tangent adds no zeros in forward mode.
// REVERSE-LABEL: func.func @held_fixed
// REVERSE:       %[[E:.+]] = stablehlo.exponential
// REVERSE:       %[[Z:.+]] = stablehlo.add
// REVERSE-NEXT:  %[[BAR:.+]] = stablehlo.multiply %arg2, %[[E]]
// REVERSE-NEXT:  return %[[Z]], %[[BAR]]
// FORWARD-LABEL: func.func @held_fixed
// FORWARD:       %[[E:.+]] = stablehlo.exponential
// FORWARD-NOT:   stablehlo.cosine
// FORWARD:       %[[DOT:.+]] = stablehlo.multiply %arg2, %[[E]]
// FORWARD-NOT:   stablehlo.constant
// FORWARD:       %[[Z:.+]] = stablehlo.add
// FORWARD-NEXT:  return %[[Z]], %[[DOT]]
func.func @held_fixed(%x: tensor<3xf32>, %w: tensor<3xf32>) -> tensor<3xf32> {
  %0 = stablehlo.sine %w : tensor<3xf32>
  %1 = stablehlo.exponential %0 : tensor<3xf32>
  %2 = stablehlo.multiply %x, %1 : tensor<3xf32>
  %3 = stablehlo.add %2, %0 : tensor<3xf32>
  return %3 : tensor<3xf32>
}

// A constant gets no cotangent (no z_bar * x for it) and no tangent (no zeros).
// REVERSE-LABEL: func.func @constant
// REVERSE:       %[[C:.+]] = stablehlo.constant dense<[1.000000e+00, 2.000000e+00, 3.000000e+00]>
// REVERSE:       %[[Z:.+]] = stablehlo.add
// REVERSE-NEXT:  %[[BAR:.+]] = stablehlo.multiply %arg1, %[[C]]
// REVERSE-NEXT:  return %[[Z]], %[[BAR]]
// FORWARD-LABEL: func.func @constant
// FORWARD:       %[[C:.+]] = stablehlo.constant dense<[1.000000e+00, 2.000000e+00, 3.000000e+00]>
// FORWARD:       %[[DOT:.+]] = stablehlo.multiply %arg1, %[[C]]
// FORWARD-NEXT:  %[[Z:.+]] = stablehlo.add
// FORWARD-NEXT:  return %[[Z]], %[[DOT]]
func.func @constant(%x: tensor<3xf32>) -> tensor<3xf32> {
  %c = stablehlo.constant dense<[1.0, 2.0, 3.0]> : tensor<3xf32>
  %0 = stablehlo.multiply %x, %c : tensor<3xf32>
  %1 = stablehlo.add %0, %c : tensor<3xf32>
  return %1 : tensor<3xf32>
}

// floor(x) * sign(x) is flat: only the "+ x" term carries a derivative, so the cotangent and the tangent
// are passed straight through.
// REVERSE-LABEL: func.func @flat(%arg0: tensor<3xf32>, %arg1: tensor<3xf32>)
// REVERSE:       %[[Z:.+]] = stablehlo.add
// REVERSE-NEXT:  return %[[Z]], %arg1
// FORWARD-LABEL: func.func @flat(%arg0: tensor<3xf32>, %arg1: tensor<3xf32>)
// FORWARD:       %[[Z:.+]] = stablehlo.add
// FORWARD-NEXT:  return %[[Z]], %arg1
func.func @flat(%x: tensor<3xf32>) -> tensor<3xf32> {
  %0 = stablehlo.floor %x : tensor<3xf32>
  %1 = stablehlo.sign %x : tensor<3xf32>
  %2 = stablehlo.multiply %0, %1 : tensor<3xf32>
  %3 = stablehlo.add %2, %x : tensor<3xf32>
  return %3 : tensor<3xf32>
}
