func.func @la_decay(%q: tensor<2x5x4xf32>, %v: tensor<2x5x3xf32>, %a: tensor<2xf32>) -> tensor<2x5x3xf32> {
  %o = ssm.linear_attention %q, %q, %v, %a
      : (tensor<2x5x4xf32>, tensor<2x5x4xf32>, tensor<2x5x3xf32>, tensor<2xf32>) -> tensor<2x5x3xf32>
  return %o : tensor<2x5x3xf32>
}
