func.func @selective_scan_delta_element_type_differs_from_u(
    %u: tensor<2x4x8xf32>, %dt: tensor<2x4x8xbf16>, %A: tensor<4x16xf32>,
    %B: tensor<2x1x16x8xf32>) {
  %y = ssm.selective_scan %u, %dt, %A, %B, %B
      : (tensor<2x4x8xf32>, tensor<2x4x8xbf16>, tensor<4x16xf32>,
         tensor<2x1x16x8xf32>, tensor<2x1x16x8xf32>) -> tensor<2x4x8xf32>
  return
}
