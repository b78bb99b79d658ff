func.func @rms_norm_negative_eps(%x: tensor<?x16xf32>, %w: tensor<16xf32>) {
  %y = ssm.rms_norm %x, %w eps = -1.0e-05
      : (tensor<?x16xf32>, tensor<16xf32>) -> tensor<?x16xf32>
  return
}
