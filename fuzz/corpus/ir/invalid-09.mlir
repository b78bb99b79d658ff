func.func @selective_scan_final_state_not_f32(%u: tensor<2x4x8xf16>,
    %A: tensor<4x16xf32>, %B: tensor<2x1x16x8xf16>) {
  %y, %h = ssm.selective_scan %u, %u, %A, %B, %B
      : (tensor<2x4x8xf16>, tensor<2x4x8xf16>, tensor<4x16xf32>,
         tensor<2x1x16x8xf16>, tensor<2x1x16x8xf16>)
      -> (tensor<2x4x8xf16>, tensor<2x4x16xf16>)
  return
}
