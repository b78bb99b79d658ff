func.func @mamba_mixer_in_proj_bias_not_2d(%hidden: tensor<?x?x16xf32>,
    %in_proj: tensor<64x16xf32>, %in_b: tensor<32xf32>,
    %conv_w: tensor<32x4xf32>, %x_proj: tensor<10x32xf32>,
    %dt_w: tensor<32x2xf32>, %v32: tensor<32xf32>, %A_log: tensor<32x4xf32>,
    %out_proj: tensor<16x32xf32>) {
  %out = ssm.mamba_mixer %hidden in_proj(%in_proj, %in_b) conv1d(%conv_w)
      x_proj(%x_proj) dt_proj(%dt_w, %v32) A_log(%A_log) D(%v32)
      out_proj(%out_proj)
      : (tensor<?x?x16xf32>, tensor<64x16xf32>, tensor<32xf32>,
         tensor<32x4xf32>, tensor<10x32xf32>, tensor<32x2xf32>,
         tensor<32xf32>, tensor<32x4xf32>, tensor<32xf32>, tensor<16x32xf32>)
      -> tensor<?x?x16xf32>
  return
}
