func.func @state_update_dt_limit_with_mamba1_state(%s: tensor<2x16x8xf32>,
    %x: tensor<2x16xf32>, %A: tensor<16x8xf32>, %B: tensor<2x1x8xf32>) {
  %y, %ns = ssm.state_update %s, %x, %x, %A, %B, %B dt_limit = [0.0, 1.0]
      : (tensor<2x16x8xf32>, tensor<2x16xf32>, tensor<2x16xf32>,
         tensor<16x8xf32>, tensor<2x1x8xf32>, tensor<2x1x8xf32>)
      -> (tensor<2x16xf32>, tensor<2x16x8xf32>)
  return
}
