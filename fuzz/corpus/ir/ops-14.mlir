func.func @gated_rms_norm(%x: tensor<?x?x32xf32>, %z: tensor<?x?x32xf32>,
                          %w: tensor<32xf32>) -> tensor<?x?x32xf32> {
  %y = ssm.gated_rms_norm %x, %z, %w group_size = 16 eps = 1.0e-05
      : (tensor<?x?x32xf32>, tensor<?x?x32xf32>, tensor<32xf32>)
      -> tensor<?x?x32xf32>
  return %y : tensor<?x?x32xf32>
}
