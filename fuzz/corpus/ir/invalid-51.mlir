func.func @gated_rms_norm_weight_width_differs_from_x(%x: tensor<?x32xf32>,
    %w: tensor<16xf32>) {
  %y = ssm.gated_rms_norm %x, %x, %w group_size = 16 eps = 1.0e-05
      : (tensor<?x32xf32>, tensor<?x32xf32>, tensor<16xf32>)
      -> tensor<?x32xf32>
  return
}
