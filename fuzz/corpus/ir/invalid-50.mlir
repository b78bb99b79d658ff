func.func @gated_rms_norm_z_type_differs_from_x(%x: tensor<?x32xf32>,
    %z: tensor<?x32xbf16>, %w: tensor<32xf32>) {
  %y = ssm.gated_rms_norm %x, %z, %w group_size = 16 eps = 1.0e-05
      : (tensor<?x32xf32>, tensor<?x32xbf16>, tensor<32xf32>)
      -> tensor<?x32xf32>
  return
}
