func.func @state_update_dt_limit_lo_above_hi(%s: tensor<2x4x8x16xf32>,
    %x: tensor<2x4x8xf32>, %dt: tensor<2x4xf32>, %A: tensor<4xf32>,
    %B: tensor<2x1x16xf32>) {
  %y, %ns = ssm.state_update %s, %x, %dt, %A, %B, %B dt_limit = [2.0, 1.0]
      : (tensor<2x4x8x16xf32>, tensor<2x4x8xf32>, tensor<2x4xf32>,
         tensor<4xf32>, tensor<2x1x16xf32>, tensor<2x1x16xf32>)
      -> (tensor<2x4x8xf32>, tensor<2x4x8x16xf32>)
  return
}
