func.func @causal_conv1d_conv_state(%x: tensor<?x16x1xf32>, %w: tensor<16x4xf32>,
                                    %bias: tensor<16xf32>,
                                    %st: tensor<?x16x3xf32>)
    -> (tensor<?x16x1xf32>, tensor<?x16x3xf32>) {
  %y, %nst = ssm.causal_conv1d %x, %w bias(%bias) conv_state(%st) silu
      : (tensor<?x16x1xf32>, tensor<16x4xf32>, tensor<16xf32>,
         tensor<?x16x3xf32>) -> (tensor<?x16x1xf32>, tensor<?x16x3xf32>)
  return %y, %nst : tensor<?x16x1xf32>, tensor<?x16x3xf32>
}
