func.func @rms_norm_weight_width_differs_from_x(%x: tensor<?x16xf32>,
    %w: tensor<8xf32>) {
  %y = ssm.rms_norm %x, %w eps = 1.0e-05
      : (tensor<?x16xf32>, tensor<8xf32>) -> tensor<?x16xf32>
  return
}
