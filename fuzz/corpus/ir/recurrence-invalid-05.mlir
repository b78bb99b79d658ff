func.func @output_without_time(%x: tensor<2x5xf32>) -> (tensor<2xf32>, tensor<2xf32>) {
  %o, %h = ssm.recurrence "r" (%x) {dims = ["b", "t"], time_dim = "t",
      input_dims = [["b", "t"]], state_dims = [["b"]], output_dims = [["b"]]}
      : (tensor<2x5xf32>) -> (tensor<2xf32>, tensor<2xf32>) {
  ^bb0(%a: f32, %s: f32):
    ssm.rec_yield %a, %a : f32, f32
  }
  return %o, %h : tensor<2xf32>, tensor<2xf32>
}
