func.func @la_rank(%q: tensor<8xf32>) -> tensor<8xf32> {
  %o = ssm.linear_attention %q, %q, %q, %q
      : (tensor<8xf32>, tensor<8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<8xf32>
  return %o : tensor<8xf32>
}
