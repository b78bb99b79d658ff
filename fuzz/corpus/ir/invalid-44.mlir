func.func @rms_norm_x_rank_0(%x: tensor<f32>, %w: tensor<1xf32>) {
  %y = ssm.rms_norm %x, %w eps = 1.0e-05
      : (tensor<f32>, tensor<1xf32>) -> tensor<f32>
  return
}
