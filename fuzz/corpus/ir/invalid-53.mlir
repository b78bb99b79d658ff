func.func @gated_rms_norm_group_size_does_not_divide_d(%x: tensor<?x32xf32>,
    %w: tensor<32xf32>) {
  %y = ssm.gated_rms_norm %x, %x, %w group_size = 12 eps = 1.0e-05
      : (tensor<?x32xf32>, tensor<?x32xf32>, tensor<32xf32>)
      -> tensor<?x32xf32>
  return
}
