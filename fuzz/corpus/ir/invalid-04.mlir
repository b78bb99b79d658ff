func.func @selective_scan_groups_do_not_divide_d(%u: tensor<2x4x8xf32>,
    %A: tensor<4x16xf32>, %B: tensor<2x3x16x8xf32>) {
  %y = ssm.selective_scan %u, %u, %A, %B, %B
      : (tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<4x16xf32>,
         tensor<2x3x16x8xf32>, tensor<2x3x16x8xf32>) -> tensor<2x4x8xf32>
  return
}
