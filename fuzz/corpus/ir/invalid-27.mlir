func.func @causal_conv1d_y_element_type_differs_from_x(%x: tensor<2x16x8xf32>,
    %w: tensor<16x4xf32>) {
  %y = ssm.causal_conv1d %x, %w
      : (tensor<2x16x8xf32>, tensor<16x4xf32>) -> tensor<2x16x8xbf16>
  return
}
