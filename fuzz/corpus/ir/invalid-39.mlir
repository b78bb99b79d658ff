func.func @scan_combiner_wrong_argument_count(%a: tensor<8xf32>,
    %b: tensor<8xf32>) {
  %r:2 = ssm.scan %a, %b dimension = 0 : tensor<8xf32>, tensor<8xf32> {
  ^bb0(%a0: f32, %b0: f32, %a1: f32):
    ssm.yield %a0, %b0 : f32, f32
  }
  return
}
