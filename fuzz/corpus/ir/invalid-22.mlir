func.func @ssd_initial_states_not_f32(%x: tensor<2x8x4x16xbf16>,
    %dt: tensor<2x8x4xbf16>, %A: tensor<4xf32>, %B: tensor<2x8x1x32xbf16>,
    %h0: tensor<2x4x16x32xbf16>) {
  %y = ssm.ssd %x, %dt, %A, %B, %B chunk_size = 64 initial_states(%h0)
      : (tensor<2x8x4x16xbf16>, tensor<2x8x4xbf16>, tensor<4xf32>,
         tensor<2x8x1x32xbf16>, tensor<2x8x1x32xbf16>, tensor<2x4x16x32xbf16>)
      -> tensor<2x8x4x16xbf16>
  return
}
