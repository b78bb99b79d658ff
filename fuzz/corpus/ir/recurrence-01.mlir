func.func @gla(%q: tensor<?x?x?x128xf32>, %k: tensor<?x?x?x128xbf16>,
    %v: tensor<?x?x?x64xbf16>, %gk: tensor<?x?x?x128xf32>)
    -> (tensor<?x?x?x64xbf16>, tensor<?x?x128x64xf32>) {
  %o, %S = ssm.recurrence "gla" (%q, %k, %v, %gk)
      {dims = ["b", "t", "h", "k", "v"], time_dim = "t",
       input_dims = [["b", "t", "h", "k"], ["b", "t", "h", "k"],
                     ["b", "t", "h", "v"], ["b", "t", "h", "k"]],
       state_dims = [["b", "h", "k", "v"]],
       output_dims = [["b", "t", "h", "v"]]}
      : (tensor<?x?x?x128xf32>, tensor<?x?x?x128xbf16>,
         tensor<?x?x?x64xbf16>, tensor<?x?x?x128xf32>)
      -> (tensor<?x?x?x64xbf16>, tensor<?x?x128x64xf32>) {
  ^bb0(%qs: f32, %ks: f32, %vs: f32, %g: f32, %s: f32):
    %a = math.exp %g : f32
    %d = arith.mulf %a, %s : f32
    %kv = arith.mulf %ks, %vs : f32
    %sn = arith.addf %d, %kv : f32
    %p = arith.mulf %qs, %sn : f32
    %out = ssm.rec_sum %p over "k" : f32
    ssm.rec_yield %sn, %out : f32, f32
  }
  return %o, %S : tensor<?x?x?x64xbf16>, tensor<?x?x128x64xf32>
}
