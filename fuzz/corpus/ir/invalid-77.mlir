func.func @mamba2_mixer_zero_heads(%hidden: tensor<?x?x16xf32>,
    %in_proj: tensor<8x16xf32>, %conv_w: tensor<8x4xf32>,
    %v0: tensor<0xf32>, %out_proj: tensor<16x0xf32>) {
  %out = ssm.mamba2_mixer %hidden in_proj(%in_proj) conv1d(%conv_w)
      dt_bias(%v0) A_log(%v0) D(%v0) norm(%v0) out_proj(%out_proj)
      n_groups = 2 head_dim = 8 chunk_size = 4 eps = 1.0e-05
      : (tensor<?x?x16xf32>, tensor<8x16xf32>, tensor<8x4xf32>,
         tensor<0xf32>, tensor<0xf32>, tensor<0xf32>, tensor<0xf32>,
         tensor<16x0xf32>) -> tensor<?x?x16xf32>
  return
}
