func.func @selective_scan_out_element_type_differs_from_u(
    %u: tensor<2x4x8xbf16>, %A: tensor<4x16xf32>, %B: tensor<2x1x16x8xbf16>) {
  %y = ssm.selective_scan %u, %u, %A, %B, %B
      : (tensor<2x4x8xbf16>, tensor<2x4x8xbf16>, tensor<4x16xf32>,
         tensor<2x1x16x8xbf16>, tensor<2x1x16x8xbf16>) -> tensor<2x4x8xf32>
  return
}
