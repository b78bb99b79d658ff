func.func @mamba_mixer_zero_channels(%hidden: tensor<?x?x16xf32>,
    %in_proj: tensor<0x16xf32>, %conv_w: tensor<0x4xf32>,
    %x_proj: tensor<10x0xf32>, %dt_w: tensor<0x2xf32>, %v0: tensor<0xf32>,
    %A_log: tensor<0x4xf32>, %out_proj: tensor<16x0xf32>) {
  %out = ssm.mamba_mixer %hidden in_proj(%in_proj) conv1d(%conv_w)
      x_proj(%x_proj) dt_proj(%dt_w, %v0) A_log(%A_log) D(%v0)
      out_proj(%out_proj)
      : (tensor<?x?x16xf32>, tensor<0x16xf32>, tensor<0x4xf32>,
         tensor<10x0xf32>, tensor<0x2xf32>, tensor<0xf32>,
         tensor<0x4xf32>, tensor<0xf32>, tensor<16x0xf32>)
      -> tensor<?x?x16xf32>
  return
}
