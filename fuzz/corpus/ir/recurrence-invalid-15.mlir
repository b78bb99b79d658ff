func.func @la_k_shape(%q: tensor<2x5x4xf32>, %k: tensor<2x5x6xf32>, %v: tensor<2x5x3xf32>, %a: tensor<2x5xf32>) -> tensor<2x5x3xf32> {
  %o = ssm.linear_attention %q, %k, %v, %a
      : (tensor<2x5x4xf32>, tensor<2x5x6xf32>, tensor<2x5x3xf32>, tensor<2x5xf32>) -> tensor<2x5x3xf32>
  return %o : tensor<2x5x3xf32>
}
