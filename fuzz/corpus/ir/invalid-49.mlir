func.func @rms_norm_infinite_eps(%x: tensor<?x16xf32>, %w: tensor<16xf32>) {
  %y = ssm.rms_norm %x, %w eps = 0x7FF0000000000000
      : (tensor<?x16xf32>, tensor<16xf32>) -> tensor<?x16xf32>
  return
}
