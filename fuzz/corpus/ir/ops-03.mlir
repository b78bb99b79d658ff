func.func @ssd_minimal(%x: tensor<2x8x4x16xf32>, %dt: tensor<2x8x4xf32>,
                       %A: tensor<4xf32>, %B: tensor<2x8x1x32xf32>,
                       %C: tensor<2x8x1x32xf32>) -> tensor<2x8x4x16xf32> {
  %y = ssm.ssd %x, %dt, %A, %B, %C chunk_size = 64
      : (tensor<2x8x4x16xf32>, tensor<2x8x4xf32>, tensor<4xf32>,
         tensor<2x8x1x32xf32>, tensor<2x8x1x32xf32>) -> tensor<2x8x4x16xf32>
  return %y : tensor<2x8x4x16xf32>
}
