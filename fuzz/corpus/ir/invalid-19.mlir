func.func @ssd_D_rank_3(%x: tensor<2x8x4x16xf32>, %dt: tensor<2x8x4xf32>,
    %A: tensor<4xf32>, %B: tensor<2x8x1x32xf32>, %D: tensor<4x16x1xf32>) {
  %y = ssm.ssd %x, %dt, %A, %B, %B chunk_size = 64 D(%D)
      : (tensor<2x8x4x16xf32>, tensor<2x8x4xf32>, tensor<4xf32>,
         tensor<2x8x1x32xf32>, tensor<2x8x1x32xf32>, tensor<4x16x1xf32>)
      -> tensor<2x8x4x16xf32>
  return
}
