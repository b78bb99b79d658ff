func.func @selective_scan_final_state_n_differs_from_A(%u: tensor<2x4x8xf32>,
    %A: tensor<4x16xf32>, %B: tensor<2x1x16x8xf32>) {
  %y, %h = ssm.selective_scan %u, %u, %A, %B, %B
      : (tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<4x16xf32>,
         tensor<2x1x16x8xf32>, tensor<2x1x16x8xf32>)
      -> (tensor<2x4x8xf32>, tensor<2x4x8xf32>)
  return
}
