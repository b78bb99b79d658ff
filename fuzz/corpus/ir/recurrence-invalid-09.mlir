func.func @sum_over_missing_dim(%x: tensor<2x5xf32>) -> (tensor<2x5xf32>, tensor<2xf32>) {
  %o, %h = ssm.recurrence "r" (%x) {dims = ["b", "t", "d"], time_dim = "t",
      input_dims = [["b", "t"]], state_dims = [["b"]], output_dims = [["b", "t"]]}
      : (tensor<2x5xf32>) -> (tensor<2x5xf32>, tensor<2xf32>) {
  ^bb0(%a: f32, %s: f32):
    %y = ssm.rec_sum %a over "d" : f32
    ssm.rec_yield %a, %y : f32, f32
  }
  return %o, %h : tensor<2x5xf32>, tensor<2xf32>
}
