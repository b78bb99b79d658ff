func.func @selective_scan_zero_groups(%u: tensor<2x4x8xf32>,
    %A: tensor<4x16xf32>, %B: tensor<2x0x16x8xf32>) {
  %y = ssm.selective_scan %u, %u, %A, %B, %B
      : (tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<4x16xf32>,
         tensor<2x0x16x8xf32>, tensor<2x0x16x8xf32>) -> tensor<2x4x8xf32>
  return
}
