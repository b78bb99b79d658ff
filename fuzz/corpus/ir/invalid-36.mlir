func.func @scan_inputs_of_different_shapes(%a: tensor<4x9xf32>,
    %b: tensor<4x8xf32>) {
  %r:2 = ssm.scan %a, %b dimension = 1 : tensor<4x9xf32>, tensor<4x8xf32> {
  ^bb0(%a0: f32, %b0: f32, %a1: f32, %b1: f32):
    ssm.yield %a1, %b1 : f32, f32
  }
  return
}
