func.func @hgrn_init(%x: tensor<?x?x8xf32>, %f: tensor<?x?x8xf32>,
    %w: tensor<8xf32>, %h0: tensor<?x8xf32>)
    -> (tensor<?x?x8xf32>, tensor<?x8xf32>) {
  %o, %h = ssm.recurrence "hgrn" (%x, %f, %w) init(%h0)
      {dims = ["b", "t", "d"], time_dim = "t",
       input_dims = [["b", "t", "d"], ["b", "t", "d"], ["d"]],
       state_dims = [["b", "d"]], output_dims = [["b", "t", "d"]]}
      : (tensor<?x?x8xf32>, tensor<?x?x8xf32>, tensor<8xf32>, tensor<?x8xf32>)
      -> (tensor<?x?x8xf32>, tensor<?x8xf32>) {
  ^bb0(%xs: f32, %fs: f32, %ws: f32, %hs: f32):
    %sp = ssm.softplus %fs : f32
    %sg = ssm.sigmoid %sp : f32
    %ls = ssm.logsigmoid %xs : f32
    %si = ssm.silu %ls : f32
    %d = arith.mulf %sg, %hs : f32
    %n = arith.addf %d, %si : f32
    %o = arith.mulf %n, %ws : f32
    ssm.rec_yield %n, %o : f32, f32
  }
  return %o, %h : tensor<?x?x8xf32>, tensor<?x8xf32>
}
