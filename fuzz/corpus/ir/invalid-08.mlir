func.func @selective_scan_A_not_f32(%u: tensor<2x4x8xbf16>,
    %A: tensor<4x16xbf16>, %B: tensor<2x1x16x8xbf16>) {
  %y = ssm.selective_scan %u, %u, %A, %B, %B
      : (tensor<2x4x8xbf16>, tensor<2x4x8xbf16>, tensor<4x16xbf16>,
         tensor<2x1x16x8xbf16>, tensor<2x1x16x8xbf16>) -> tensor<2x4x8xbf16>
  return
}
