func.func @state_update_mamba2_layout_dt_limit(
    %s: tensor<?x4x8x16xf32>, %x: tensor<?x4x8xbf16>, %dt: tensor<?x4xbf16>,
    %A: tensor<4xf32>, %B: tensor<?x2x16xbf16>, %C: tensor<?x2x16xbf16>,
    %D: tensor<4x8xf32>, %z: tensor<?x4x8xbf16>, %dtb: tensor<4xf32>)
    -> (tensor<?x4x8xbf16>, tensor<?x4x8x16xf32>) {
  %y, %ns = ssm.state_update %s, %x, %dt, %A, %B, %C D(%D) z(%z) dt_bias(%dtb)
      dt_softplus dt_limit = [0.0, 10.0]
      : (tensor<?x4x8x16xf32>, tensor<?x4x8xbf16>, tensor<?x4xbf16>,
         tensor<4xf32>, tensor<?x2x16xbf16>, tensor<?x2x16xbf16>,
         tensor<4x8xf32>, tensor<?x4x8xbf16>, tensor<4xf32>)
      -> (tensor<?x4x8xbf16>, tensor<?x4x8x16xf32>)
  return %y, %ns : tensor<?x4x8xbf16>, tensor<?x4x8x16xf32>
}
