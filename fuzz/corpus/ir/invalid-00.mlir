func.func @selective_scan_u_wrong_rank(%u: tensor<2x4xf32>, %dt: tensor<2x4x8xf32>,
    %A: tensor<4x16xf32>, %B: tensor<2x1x16x8xf32>) {
  %y = ssm.selective_scan %u, %dt, %A, %B, %B
      : (tensor<2x4xf32>, tensor<2x4x8xf32>, tensor<4x16xf32>,
         tensor<2x1x16x8xf32>, tensor<2x1x16x8xf32>) -> tensor<2x4x8xf32>
  return
}
