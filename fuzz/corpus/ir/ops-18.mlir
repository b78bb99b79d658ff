func.func @mamba2_mixer_dt_limit_biases(
    %hidden: tensor<?x?x16xf32>, %in_proj: tensor<84x16xf32>,
    %in_b: tensor<84xf32>, %conv_w: tensor<48x4xf32>, %conv_b: tensor<48xf32>,
    %dt_bias: tensor<4xf32>, %A_log: tensor<4xf32>, %D: tensor<4xf32>,
    %norm: tensor<32xf32>, %out_proj: tensor<16x32xf32>,
    %out_b: tensor<16xf32>) -> tensor<?x?x16xf32> {
  %out = ssm.mamba2_mixer %hidden in_proj(%in_proj, %in_b)
      conv1d(%conv_w, %conv_b) dt_bias(%dt_bias) A_log(%A_log) D(%D)
      norm(%norm) out_proj(%out_proj, %out_b)
      n_groups = 2 head_dim = 8 chunk_size = 64 eps = 1.0e-05
      dt_limit = [0.0, 10.0]
      : (tensor<?x?x16xf32>, tensor<84x16xf32>, tensor<84xf32>,
         tensor<48x4xf32>, tensor<48xf32>, tensor<4xf32>, tensor<4xf32>,
         tensor<4xf32>, tensor<32xf32>, tensor<16x32xf32>, tensor<16xf32>)
      -> tensor<?x?x16xf32>
  return %out : tensor<?x?x16xf32>
}
