func.func @scan_combiner_wrong_argument_type(%a: tensor<8xf32>,
    %b: tensor<8xf16>) {
  %r:2 = ssm.scan %a, %b dimension = 0 : tensor<8xf32>, tensor<8xf16> {
  ^bb0(%a0: f32, %b0: f16, %b1: f16, %a1: f32):
    ssm.yield %a1, %b1 : f32, f16
  }
  return
}
