func.func @state_update_new_state_type_differs(%s: tensor<2x16x8xf32>,
    %x: tensor<2x16xf32>, %A: tensor<16x8xf32>, %B: tensor<2x1x8xf32>) {
  %y, %ns = ssm.state_update %s, %x, %x, %A, %B, %B
      : (tensor<2x16x8xf32>, tensor<2x16xf32>, tensor<2x16xf32>,
         tensor<16x8xf32>, tensor<2x1x8xf32>, tensor<2x1x8xf32>)
      -> (tensor<2x16xf32>, tensor<?x16x8xf32>)
  return
}
