func.func @selective_scan_A_channels_differ_from_u(%u: tensor<2x4x8xf32>,
    %A: tensor<8x16xf32>, %B: tensor<2x1x16x8xf32>) {
  %y = ssm.selective_scan %u, %u, %A, %B, %B
      : (tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<8x16xf32>,
         tensor<2x1x16x8xf32>, tensor<2x1x16x8xf32>) -> tensor<2x4x8xf32>
  return
}
