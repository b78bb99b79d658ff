// RUN: ssmc-opt %s | FileCheck %s
// RUN: ssmc-opt %s --mlir-print-op-generic | ssmc-opt | FileCheck %s

// ssm.recurrence, its body ops and ssm.linear_attention round-trip in both
// the custom and the generic form.

// CHECK-LABEL: func.func @gla
// CHECK:       %[[R:.*]]:2 = ssm.recurrence "gla"(%arg0, %arg1, %arg2, %arg3)
// CHECK-SAME:    dims = ["b", "t", "h", "k", "v"]
// CHECK-SAME:    input_dims = {{\[}}["b", "t", "h", "k"], ["b", "t", "h", "k"], ["b", "t", "h", "v"], ["b", "t", "h", "k"]]
// CHECK-SAME:    output_dims = {{\[}}["b", "t", "h", "v"]]
// CHECK-SAME:    state_dims = {{\[}}["b", "h", "k", "v"]]
// CHECK-SAME:    time_dim = "t"
// CHECK:       ^bb0(%[[Q:.*]]: f32, %[[K:.*]]: f32, %[[V:.*]]: f32, %[[G:.*]]: f32, %[[S:.*]]: f32):
// CHECK:         %[[A:.*]] = math.exp %[[G]] : f32
// CHECK:         %[[D:.*]] = arith.mulf %[[A]], %[[S]] : f32
// CHECK:         %[[KV:.*]] = arith.mulf %[[K]], %[[V]] : f32
// CHECK:         %[[N:.*]] = arith.addf %[[D]], %[[KV]] : f32
// CHECK:         %[[P:.*]] = arith.mulf %[[Q]], %[[N]] : f32
// CHECK:         %[[O:.*]] = ssm.rec_sum %[[P]] over "k" : f32
// CHECK:         ssm.rec_yield %[[N]], %[[O]] : f32, f32
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

// Initial states, a parameter without the time dimension, the activations.
// CHECK-LABEL: func.func @hgrn_init
// CHECK:       ssm.recurrence "hgrn"(%arg0, %arg1, %arg2) init(%arg3)
// CHECK:         ssm.softplus
// CHECK:         ssm.sigmoid
// CHECK:         ssm.logsigmoid
// CHECK:         ssm.silu
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

// CHECK-LABEL: func.func @linear_attention
// CHECK:       ssm.linear_attention %arg0, %arg1, %arg2, %arg3 initial_state(%arg4) {chunk_size = 32 : i64}
// CHECK:       ssm.linear_attention %arg0, %arg1, %arg2, %arg5 :
func.func @linear_attention(%q: tensor<2x3x?x16xf32>, %k: tensor<2x3x?x16xf32>,
    %v: tensor<2x3x?x8xf32>, %a: tensor<2x3x?xf32>, %s0: tensor<2x3x16x8xf32>,
    %ak: tensor<2x3x?x16xf32>)
    -> (tensor<2x3x?x8xf32>, tensor<2x3x16x8xf32>, tensor<2x3x?x8xf32>) {
  %o, %s = ssm.linear_attention %q, %k, %v, %a initial_state(%s0) {chunk_size = 32 : i64}
      : (tensor<2x3x?x16xf32>, tensor<2x3x?x16xf32>, tensor<2x3x?x8xf32>,
         tensor<2x3x?xf32>, tensor<2x3x16x8xf32>)
      -> (tensor<2x3x?x8xf32>, tensor<2x3x16x8xf32>)
  %o2 = ssm.linear_attention %q, %k, %v, %ak
      : (tensor<2x3x?x16xf32>, tensor<2x3x?x16xf32>, tensor<2x3x?x8xf32>,
         tensor<2x3x?x16xf32>) -> tensor<2x3x?x8xf32>
  return %o, %s, %o2 : tensor<2x3x?x8xf32>, tensor<2x3x16x8xf32>, tensor<2x3x?x8xf32>
}

// ssm.ssd with an unscaled input (the chunked form of one decay per step).
// CHECK-LABEL: func.func @ssd_unscaled
// CHECK:       ssm.ssd %arg0, %arg1, %arg2, %arg3, %arg3 chunk_size = 64 unscaled_input :
func.func @ssd_unscaled(%x: tensor<?x?x4x8xf32>, %dt: tensor<?x?x4xf32>, %A: tensor<4xf32>,
    %B: tensor<?x?x4x16xf32>) -> tensor<?x?x4x8xf32> {
  %y = ssm.ssd %x, %dt, %A, %B, %B chunk_size = 64 unscaled_input
      : (tensor<?x?x4x8xf32>, tensor<?x?x4xf32>, tensor<4xf32>, tensor<?x?x4x16xf32>,
         tensor<?x?x4x16xf32>) -> tensor<?x?x4x8xf32>
  return %y : tensor<?x?x4x8xf32>
}
