func.func @causal_conv1d_new_conv_state_wrong_width(%x: tensor<?x16x?xf32>,
    %w: tensor<16x4xf32>) {
  %y, %st = ssm.causal_conv1d %x, %w
      : (tensor<?x16x?xf32>, tensor<16x4xf32>)
      -> (tensor<?x16x?xf32>, tensor<?x16x4xf32>)
  return
}
