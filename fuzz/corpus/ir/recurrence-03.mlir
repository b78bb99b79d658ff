func.func @linear_attention(%q: tensor<2x3x?x16xf32>, %k: tensor<2x3x?x16xf32>,
    %v: tensor<2x3x?x8xf32>, %a: tensor<2x3x?xf32>, %s0: tensor<2x3x16x8xf32>,
    %ak: tensor<2x3x?x16xf32>)
    -> (tensor<2x3x?x8xf32>, tensor<2x3x16x8xf32>, tensor<2x3x?x8xf32>) {
  %o, %s = ssm.linear_attention %q, %k, %v, %a initial_state(%s0) {chunk_size = 32 : i64}
      : (tensor<2x3x?x16xf32>, tensor<2x3x?x16xf32>, tensor<2x3x?x8xf32>,
         tensor<2x3x?xf32>, tensor<2x3x16x8xf32>)
      -> (tensor<2x3x?x8xf32>, tensor<2x3x16x8xf32>)
  %o2 = ssm.linear_attention %q, %k, %v, %ak
      : (tensor<2x3x?x16xf32>, tensor<2x3x?x16xf32>, tensor<2x3x?x8xf32>,
         tensor<2x3x?x16xf32>) -> tensor<2x3x?x8xf32>
  return %o, %s, %o2 : tensor<2x3x?x8xf32>, tensor<2x3x16x8xf32>, tensor<2x3x?x8xf32>
}
