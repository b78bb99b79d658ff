func.func @ssd_seq_idx_length_differs_from_x(%x: tensor<2x8x4x16xf32>,
    %dt: tensor<2x8x4xf32>, %A: tensor<4xf32>, %B: tensor<2x8x1x32xf32>,
    %seq: tensor<2x7xi32>) {
  %y = ssm.ssd %x, %dt, %A, %B, %B chunk_size = 64 seq_idx(%seq)
      : (tensor<2x8x4x16xf32>, tensor<2x8x4xf32>, tensor<4xf32>,
         tensor<2x8x1x32xf32>, tensor<2x8x1x32xf32>, tensor<2x7xi32>)
      -> tensor<2x8x4x16xf32>
  return
}
