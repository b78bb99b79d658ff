func.func @causal_conv1d_conv_state_wrong_width(%x: tensor<2x16x1xf32>,
    %w: tensor<16x4xf32>, %st: tensor<2x16x4xf32>) {
  %y = ssm.causal_conv1d %x, %w conv_state(%st)
      : (tensor<2x16x1xf32>, tensor<16x4xf32>, tensor<2x16x4xf32>)
      -> tensor<2x16x1xf32>
  return
}
