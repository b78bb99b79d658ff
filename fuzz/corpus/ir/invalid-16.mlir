func.func @ssd_groups_do_not_divide_h(%x: tensor<2x8x4x16xf32>,
    %dt: tensor<2x8x4xf32>, %A: tensor<4xf32>, %B: tensor<2x8x3x32xf32>) {
  %y = ssm.ssd %x, %dt, %A, %B, %B chunk_size = 64
      : (tensor<2x8x4x16xf32>, tensor<2x8x4xf32>, tensor<4xf32>,
         tensor<2x8x3x32xf32>, tensor<2x8x3x32xf32>) -> tensor<2x8x4x16xf32>
  return
}
