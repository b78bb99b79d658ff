func.func @causal_conv1d_bias_silu(%x: tensor<?x16x?xbf16>, %w: tensor<16x4xf32>,
                                   %bias: tensor<16xf32>) -> tensor<?x16x?xbf16> {
  %y = ssm.causal_conv1d %x, %w bias(%bias) silu
      : (tensor<?x16x?xbf16>, tensor<16x4xf32>, tensor<16xf32>)
      -> tensor<?x16x?xbf16>
  return %y : tensor<?x16x?xbf16>
}
