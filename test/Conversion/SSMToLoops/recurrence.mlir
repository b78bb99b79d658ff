// RUN: ssmc-opt --convert-ssm-to-loops --split-input-file %s | FileCheck %s

// The sequential form of ssm.recurrence: v is never summed and every state
// and output has it, so it is outer with b and h (one scf.parallel over the
// three); the state is a stack buffer over k, allocated once per task, the
// new state is computed once per step into a second buffer (allocated before
// the loop over time, not in it), the readout sums over k in registers, and
// no buffer ever has the time dimension besides the output.

// CHECK-LABEL: func.func @gla
// CHECK:       %[[OUT:.*]] = memref.alloc(%{{.*}}, %{{.*}}, %{{.*}}) : memref<?x?x?x4xf32>
// CHECK:       %[[FIN:.*]] = memref.alloc(%{{.*}}, %{{.*}}) : memref<?x?x8x4xf32>
// CHECK:       scf.parallel (%[[B:.*]], %[[H:.*]], %[[V:.*]]) =
// CHECK:         memref.alloca_scope
// CHECK:           %[[S:.*]] = memref.alloca() : memref<8xf32>
// CHECK:           %[[N:.*]] = memref.alloca() : memref<8xf32>
// CHECK:           scf.for %[[T:.*]] =
// CHECK-NOT:         memref.alloca
// CHECK:             scf.for %[[K:.*]] =
// CHECK:               math.exp
// CHECK:               memref.load %[[S]][%[[K]]]
// CHECK:               memref.store %{{.*}}, %[[N]][%[[K]]]
// CHECK:             %[[Y:.*]] = scf.for %{{.*}} iter_args(%{{.*}} = %{{.*}}) -> (f32)
// CHECK:             memref.store %[[Y]], %[[OUT]][%[[B]], %[[T]], %[[H]], %[[V]]]
// CHECK:             scf.for
// CHECK:               memref.load %[[N]]
// CHECK:               memref.store %{{.*}}, %[[S]]
// CHECK:           scf.for
// CHECK:             memref.store %{{.*}}, %[[FIN]][%[[B]], %[[H]], %{{.*}}, %[[V]]]
func.func @gla(%q: tensor<?x?x?x8xf32>, %k: tensor<?x?x?x8xf32>,
    %v: tensor<?x?x?x4xf32>, %gk: tensor<?x?x?x8xf32>)
    -> (tensor<?x?x?x4xf32>, tensor<?x?x8x4xf32>) {
  %o, %S = ssm.recurrence "gla" (%q, %k, %v, %gk)
      {dims = ["b", "t", "h", "k", "v"], time_dim = "t",
       input_dims = [["b", "t", "h", "k"], ["b", "t", "h", "k"],
                     ["b", "t", "h", "v"], ["b", "t", "h", "k"]],
       state_dims = [["b", "h", "k", "v"]], output_dims = [["b", "t", "h", "v"]]}
      : (tensor<?x?x?x8xf32>, tensor<?x?x?x8xf32>, tensor<?x?x?x4xf32>, tensor<?x?x?x8xf32>)
      -> (tensor<?x?x?x4xf32>, tensor<?x?x8x4xf32>) {
  ^bb0(%qs: f32, %ks: f32, %vs: f32, %g: f32, %s: f32):
    %a = math.exp %g : f32
    %d = arith.mulf %a, %s : f32
    %kv = arith.mulf %ks, %vs : f32
    %sn = arith.addf %d, %kv : f32
    %p = arith.mulf %qs, %sn : f32
    %out = ssm.rec_sum %p over "k" : f32
    ssm.rec_yield %sn, %out : f32, f32
  }
  return %o, %S : tensor<?x?x?x4xf32>, tensor<?x?x8x4xf32>
}

// -----

// ssm.linear_attention: one task per outer index (b, h), the (K, V) state,
// the chunk's cumulative log decays, the masked scores and an output row on
// the stack; exponents are differences of cumulative log decays.

// CHECK-LABEL: func.func @linear_attention
// CHECK:       scf.parallel (%{{.*}}, %{{.*}}) =
// CHECK:         memref.alloca_scope
// CHECK-DAG:       memref.alloca() : memref<16x5xf32>
// CHECK-DAG:       memref.alloca() : memref<32x1xf32>
// CHECK-DAG:       memref.alloca() : memref<32x32xf32>
// CHECK-DAG:       memref.alloca() : memref<5xf32>
// CHECK:           arith.subf
// CHECK:           math.exp
func.func @linear_attention(%q: tensor<?x?x?x16xf32>, %k: tensor<?x?x?x16xf32>,
    %v: tensor<?x?x?x5xf32>, %a: tensor<?x?x?xf32>)
    -> (tensor<?x?x?x5xf32>, tensor<?x?x16x5xf32>) {
  %o, %s = ssm.linear_attention %q, %k, %v, %a
      : (tensor<?x?x?x16xf32>, tensor<?x?x?x16xf32>, tensor<?x?x?x5xf32>,
         tensor<?x?x?xf32>) -> (tensor<?x?x?x5xf32>, tensor<?x?x16x5xf32>)
  return %o, %s : tensor<?x?x?x5xf32>, tensor<?x?x16x5xf32>
}
