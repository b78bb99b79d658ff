// A Mamba-1 mixer and a Mamba-2 mixer at small sizes, weights as arguments.
// Mamba-1: d_model = 16, d = 32, n = 4, r = 2, k = 4.
// Mamba-2: d_model = 16, d = 32 (h = 4, p = 8), g = 2, n = 4, k = 4.
func.func @mamba_block(%hidden: tensor<?x?x16xf32>,
                       %in_proj: tensor<64x16xf32>,
                       %conv_w: tensor<32x4xf32>, %conv_b: tensor<32xf32>,
                       %x_proj: tensor<10x32xf32>,
                       %dt_proj_w: tensor<32x2xf32>, %dt_proj_b: tensor<32xf32>,
                       %A_log: tensor<32x4xf32>, %D: tensor<32xf32>,
                       %out_proj: tensor<16x32xf32>) -> tensor<?x?x16xf32> {
  %out = ssm.mamba_mixer %hidden in_proj(%in_proj) conv1d(%conv_w, %conv_b)
      x_proj(%x_proj) dt_proj(%dt_proj_w, %dt_proj_b) A_log(%A_log) D(%D)
      out_proj(%out_proj)
      : (tensor<?x?x16xf32>, tensor<64x16xf32>, tensor<32x4xf32>,
         tensor<32xf32>, tensor<10x32xf32>, tensor<32x2xf32>, tensor<32xf32>,
         tensor<32x4xf32>, tensor<32xf32>, tensor<16x32xf32>)
      -> tensor<?x?x16xf32>
  return %out : tensor<?x?x16xf32>
}

func.func @mamba2_block(%hidden: tensor<?x?x16xf32>,
                        %in_proj: tensor<84x16xf32>,
                        %conv_w: tensor<48x4xf32>, %conv_b: tensor<48xf32>,
                        %dt_bias: tensor<4xf32>, %A_log: tensor<4xf32>,
                        %D: tensor<4xf32>, %norm: tensor<32xf32>,
                        %out_proj: tensor<16x32xf32>) -> tensor<?x?x16xf32> {
  %out = ssm.mamba2_mixer %hidden in_proj(%in_proj) conv1d(%conv_w, %conv_b)
      dt_bias(%dt_bias) A_log(%A_log) D(%D) norm(%norm) out_proj(%out_proj)
      n_groups = 2 head_dim = 8 chunk_size = 4 eps = 1.0e-05
      : (tensor<?x?x16xf32>, tensor<84x16xf32>, tensor<48x4xf32>,
         tensor<48xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>,
         tensor<32xf32>, tensor<16x32xf32>) -> tensor<?x?x16xf32>
  return %out : tensor<?x?x16xf32>
}
