func.func @selective_scan_minimal(%u: tensor<2x4x8xf32>, %dt: tensor<2x4x8xf32>,
                                  %A: tensor<4x16xf32>, %B: tensor<2x1x16x8xf32>,
                                  %C: tensor<2x1x16x8xf32>) -> tensor<2x4x8xf32> {
  %y = ssm.selective_scan %u, %dt, %A, %B, %C
      : (tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<4x16xf32>,
         tensor<2x1x16x8xf32>, tensor<2x1x16x8xf32>) -> tensor<2x4x8xf32>
  return %y : tensor<2x4x8xf32>
}
