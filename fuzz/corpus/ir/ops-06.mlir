func.func @causal_conv1d_plain(%x: tensor<2x16x8xf32>, %w: tensor<16x4xf32>)
    -> tensor<2x16x8xf32> {
  %y = ssm.causal_conv1d %x, %w
      : (tensor<2x16x8xf32>, tensor<16x4xf32>) -> tensor<2x16x8xf32>
  return %y : tensor<2x16x8xf32>
}
