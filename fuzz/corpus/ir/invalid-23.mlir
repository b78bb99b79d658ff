func.func @causal_conv1d_zero_width(%x: tensor<2x16x8xf32>,
    %w: tensor<16x0xf32>) {
  %y = ssm.causal_conv1d %x, %w
      : (tensor<2x16x8xf32>, tensor<16x0xf32>) -> tensor<2x16x8xf32>
  return
}
