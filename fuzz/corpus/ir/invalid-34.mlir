func.func @state_update_state_not_f32(%s: tensor<2x16x8xf16>,
    %x: tensor<2x16xf16>, %A: tensor<16x8xf32>, %B: tensor<2x1x8xf16>) {
  %y, %ns = ssm.state_update %s, %x, %x, %A, %B, %B
      : (tensor<2x16x8xf16>, tensor<2x16xf16>, tensor<2x16xf16>,
         tensor<16x8xf32>, tensor<2x1x8xf16>, tensor<2x1x8xf16>)
      -> (tensor<2x16xf16>, tensor<2x16x8xf16>)
  return
}
