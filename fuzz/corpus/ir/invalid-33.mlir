func.func @state_update_mamba2_dt_heads_differ(%s: tensor<2x4x8x16xf32>,
    %x: tensor<2x4x8xf32>, %dt: tensor<2x8xf32>, %A: tensor<4xf32>,
    %B: tensor<2x1x16xf32>) {
  %y, %ns = ssm.state_update %s, %x, %dt, %A, %B, %B
      : (tensor<2x4x8x16xf32>, tensor<2x4x8xf32>, tensor<2x8xf32>,
         tensor<4xf32>, tensor<2x1x16xf32>, tensor<2x1x16xf32>)
      -> (tensor<2x4x8xf32>, tensor<2x4x8x16xf32>)
  return
}
