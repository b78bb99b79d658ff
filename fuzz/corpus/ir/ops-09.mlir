func.func @state_update_mamba1_layout(
    %s: tensor<2x16x8xf32>, %x: tensor<2x16xf32>, %dt: tensor<2x16xf32>,
    %A: tensor<16x8xf32>, %B: tensor<2x1x8xf32>, %C: tensor<2x1x8xf32>,
    %D: tensor<16xf32>, %z: tensor<2x16xf32>, %dtb: tensor<16xf32>)
    -> (tensor<2x16xf32>, tensor<2x16x8xf32>) {
  %y, %ns = ssm.state_update %s, %x, %dt, %A, %B, %C D(%D) z(%z) dt_bias(%dtb)
      dt_softplus
      : (tensor<2x16x8xf32>, tensor<2x16xf32>, tensor<2x16xf32>,
         tensor<16x8xf32>, tensor<2x1x8xf32>, tensor<2x1x8xf32>,
         tensor<16xf32>, tensor<2x16xf32>, tensor<16xf32>)
      -> (tensor<2x16xf32>, tensor<2x16x8xf32>)
  return %y, %ns : tensor<2x16xf32>, tensor<2x16x8xf32>
}
