func.func @mamba2_mixer_negative_eps(%hidden: tensor<?x?x16xf32>,
    %in_proj: tensor<84x16xf32>, %conv_w: tensor<48x4xf32>,
    %v4: tensor<4xf32>, %norm: tensor<32xf32>, %out_proj: tensor<16x32xf32>) {
  %out = ssm.mamba2_mixer %hidden in_proj(%in_proj) conv1d(%conv_w)
      dt_bias(%v4) A_log(%v4) D(%v4) norm(%norm) out_proj(%out_proj)
      n_groups = 2 head_dim = 8 chunk_size = 4 eps = -1.0e-05
      : (tensor<?x?x16xf32>, tensor<84x16xf32>, tensor<48x4xf32>,
         tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<32xf32>,
         tensor<16x32xf32>) -> tensor<?x?x16xf32>
  return
}
