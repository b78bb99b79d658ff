func.func @causal_conv1d_bias_channels_differ(%x: tensor<2x16x8xf32>,
    %w: tensor<16x4xf32>, %bias: tensor<8xf32>) {
  %y = ssm.causal_conv1d %x, %w bias(%bias)
      : (tensor<2x16x8xf32>, tensor<16x4xf32>, tensor<8xf32>)
      -> tensor<2x16x8xf32>
  return
}
