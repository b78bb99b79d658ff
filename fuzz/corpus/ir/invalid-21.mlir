func.func @ssd_z_element_type_differs_from_x(%x: tensor<2x8x4x16xbf16>,
    %dt: tensor<2x8x4xf32>, %A: tensor<4xf32>, %B: tensor<2x8x1x32xbf16>,
    %z: tensor<2x8x4x16xf16>) {
  %y = ssm.ssd %x, %dt, %A, %B, %B chunk_size = 64 z(%z)
      : (tensor<2x8x4x16xbf16>, tensor<2x8x4xf32>, tensor<4xf32>,
         tensor<2x8x1x32xbf16>, tensor<2x8x1x32xbf16>, tensor<2x8x4x16xf16>)
      -> tensor<2x8x4x16xbf16>
  return
}
