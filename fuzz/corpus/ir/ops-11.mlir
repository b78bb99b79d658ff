func.func @scan_linear_recurrence(%a: tensor<?x?xf32>, %b: tensor<?x?xf32>)
    -> tensor<?x?xf32> {
  %a_out, %h = ssm.scan %a, %b dimension = 1
      : tensor<?x?xf32>, tensor<?x?xf32> {
  ^bb0(%a0: f32, %b0: f32, %a1: f32, %b1: f32):
    %aa = arith.mulf %a0, %a1 : f32
    %ab = arith.mulf %a1, %b0 : f32
    %bb = arith.addf %ab, %b1 : f32
    ssm.yield %aa, %bb : f32, f32
  }
  return %h : tensor<?x?xf32>
}
