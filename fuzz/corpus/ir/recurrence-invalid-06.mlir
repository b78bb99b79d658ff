func.func @sizes_disagree(%x: tensor<2x5xf32>, %y: tensor<3x5xf32>) -> (tensor<2x5xf32>, tensor<2xf32>) {
  %o, %h = ssm.recurrence "r" (%x, %y) {dims = ["b", "t"], time_dim = "t",
      input_dims = [["b", "t"], ["b", "t"]], state_dims = [["b"]], output_dims = [["b", "t"]]}
      : (tensor<2x5xf32>, tensor<3x5xf32>) -> (tensor<2x5xf32>, tensor<2xf32>) {
  ^bb0(%a: f32, %c: f32, %s: f32):
    ssm.rec_yield %a, %a : f32, f32
  }
  return %o, %h : tensor<2x5xf32>, tensor<2xf32>
}
