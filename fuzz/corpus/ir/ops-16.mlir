func.func @mamba_mixer_biases(%hidden: tensor<2x?x16xbf16>,
                              %in_proj: tensor<64x16xbf16>,
                              %in_b: tensor<64xbf16>,
                              %conv_w: tensor<32x4xbf16>,
                              %conv_b: tensor<32xbf16>,
                              %x_proj: tensor<10x32xbf16>,
                              %dt_w: tensor<32x2xbf16>, %dt_b: tensor<32xf32>,
                              %A_log: tensor<32x4xf32>, %D: tensor<32xf32>,
                              %out_proj: tensor<16x32xbf16>,
                              %out_b: tensor<16xbf16>) -> tensor<2x?x16xbf16> {
  %out = ssm.mamba_mixer %hidden in_proj(%in_proj, %in_b)
      conv1d(%conv_w, %conv_b) x_proj(%x_proj) dt_proj(%dt_w, %dt_b)
      A_log(%A_log) D(%D) out_proj(%out_proj, %out_b)
      : (tensor<2x?x16xbf16>, tensor<64x16xbf16>, tensor<64xbf16>,
         tensor<32x4xbf16>, tensor<32xbf16>, tensor<10x32xbf16>,
         tensor<32x2xbf16>, tensor<32xf32>, tensor<32x4xf32>, tensor<32xf32>,
         tensor<16x32xbf16>, tensor<16xbf16>) -> tensor<2x?x16xbf16>
  return %out : tensor<2x?x16xbf16>
}
