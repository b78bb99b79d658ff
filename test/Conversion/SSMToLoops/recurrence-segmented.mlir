// RUN: ssmc-opt --convert-ssm-to-loops="recurrence-segment=16 recurrence-unroll=2" --split-input-file %s | FileCheck %s

// The segmented form of a scalar diagonal recurrence (HGRN: h' = exp(g) * h
// + x): the time dimension is cut into segments of 16 steps, with three
// scf.parallel phases. Phase 1, per (segment, b, d): the segment from a zero
// state, two steps at a time (both steps' loads and exps before their state
// updates), then one step at a time for the rest; it stores the local final
// state and the product of the decays. Phase 2, per (b, d): the carry into
// each segment and the final state. Phase 3, per (segment, b, d): the
// segment again from its carry, storing the outputs.

// CHECK-LABEL: func.func @hgrn
// CHECK:       %[[OUT:.*]] = memref.alloc(%{{.*}}, %{{.*}}, %{{.*}}) : memref<?x?x?xf32>
// CHECK:       %[[FIN:.*]] = memref.alloc(%{{.*}}, %{{.*}}) : memref<?x?xf32>
// CHECK:       %[[SEGS:.*]] = arith.divui
// CHECK:       %[[LOC:.*]] = memref.alloc(%[[SEGS]], %{{.*}}, %{{.*}}) : memref<?x?x?xf32>
// CHECK:       %[[DEC:.*]] = memref.alloc(%[[SEGS]], %{{.*}}, %{{.*}}) : memref<?x?x?xf32>
// CHECK:       %[[CAR:.*]] = memref.alloc(%[[SEGS]], %{{.*}}, %{{.*}}) : memref<?x?x?xf32>
// Phase 1.
// CHECK:       scf.parallel (%[[S1:.*]], %[[B1:.*]], %[[D1:.*]]) = (%{{.*}}, %{{.*}}, %{{.*}}) to (%[[SEGS]],
// CHECK:         %[[PAIR:.*]]:2 = scf.for %{{.*}} iter_args(%{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}) -> (f32, f32)
// CHECK:           memref.load
// CHECK:           memref.load
// CHECK:           math.exp
// CHECK:           memref.load
// CHECK:           memref.load
// CHECK:           math.exp
// CHECK:           arith.mulf
// CHECK-NOT:       memref.store
// CHECK:           scf.yield
// CHECK:         %[[REST:.*]]:2 = scf.for
// CHECK:         memref.store %[[REST]]#0, %[[LOC]][%[[S1]], %[[B1]], %[[D1]]]
// CHECK:         memref.store %[[REST]]#1, %[[DEC]][%[[S1]], %[[B1]], %[[D1]]]
// Phase 2.
// CHECK:       scf.parallel (%[[B2:.*]], %[[D2:.*]]) =
// CHECK:         %[[F:.*]] = scf.for %[[S2:.*]] = %{{.*}} to %[[SEGS]] {{.*}} iter_args(%[[C:.*]] = %{{.*}}) -> (f32)
// CHECK:           memref.store %[[C]], %[[CAR]][%[[S2]], %[[B2]], %[[D2]]]
// CHECK:           memref.load %[[DEC]]
// CHECK:           memref.load %[[LOC]]
// CHECK:         memref.store %[[F]], %[[FIN]][%[[B2]], %[[D2]]]
// Phase 3.
// CHECK:       scf.parallel (%[[S3:.*]], %[[B3:.*]], %[[D3:.*]]) =
// CHECK:         memref.load %[[CAR]][%[[S3]], %[[B3]], %[[D3]]]
// CHECK:         scf.for
// CHECK:           memref.store %{{.*}}, %[[OUT]][%[[B3]],
// CHECK:           memref.store %{{.*}}, %[[OUT]][%[[B3]],
// CHECK:         scf.for
// CHECK:           memref.store %{{.*}}, %[[OUT]][%[[B3]],
func.func @hgrn(%x: tensor<?x?x?xf32>, %g: tensor<?x?x?xf32>)
    -> (tensor<?x?x?xf32>, tensor<?x?xf32>) {
  %o, %h = ssm.recurrence "hgrn" (%x, %g)
      {dims = ["b", "t", "d"], time_dim = "t",
       input_dims = [["b", "t", "d"], ["b", "t", "d"]],
       state_dims = [["b", "d"]], output_dims = [["b", "t", "d"]]}
      : (tensor<?x?x?xf32>, tensor<?x?x?xf32>) -> (tensor<?x?x?xf32>, tensor<?x?xf32>) {
  ^bb0(%xs: f32, %gs: f32, %s: f32):
    %a = math.exp %gs : f32
    %d = arith.mulf %a, %s : f32
    %sn = arith.addf %d, %xs : f32
    ssm.rec_yield %sn, %sn : f32, f32
  }
  return %o, %h : tensor<?x?x?xf32>, tensor<?x?xf32>
}

// -----

// Not split: the new state is not affine in the state (its square), a
// segment at least as long as the (static) sequence, or a state over an
// inner dimension (GLA's k): each stays one sequential walk per task.

// CHECK-LABEL: func.func @nonlinear
// CHECK-COUNT-1: scf.parallel
// CHECK-NOT:   scf.parallel
func.func @nonlinear(%x: tensor<?x?x?xf32>) -> (tensor<?x?x?xf32>, tensor<?x?xf32>) {
  %o, %h = ssm.recurrence "rnn" (%x)
      {dims = ["b", "t", "d"], time_dim = "t",
       input_dims = [["b", "t", "d"]],
       state_dims = [["b", "d"]], output_dims = [["b", "t", "d"]]}
      : (tensor<?x?x?xf32>) -> (tensor<?x?x?xf32>, tensor<?x?xf32>) {
  ^bb0(%xs: f32, %s: f32):
    %t = arith.mulf %s, %s : f32
    %sn = arith.addf %t, %xs : f32
    ssm.rec_yield %sn, %sn : f32, f32
  }
  return %o, %h : tensor<?x?x?xf32>, tensor<?x?xf32>
}

// -----

// CHECK-LABEL: func.func @short
// CHECK-COUNT-1: scf.parallel
// CHECK-NOT:   scf.parallel
func.func @short(%x: tensor<?x16x?xf32>, %g: tensor<?x16x?xf32>)
    -> (tensor<?x16x?xf32>, tensor<?x?xf32>) {
  %o, %h = ssm.recurrence "hgrn" (%x, %g)
      {dims = ["b", "t", "d"], time_dim = "t",
       input_dims = [["b", "t", "d"], ["b", "t", "d"]],
       state_dims = [["b", "d"]], output_dims = [["b", "t", "d"]]}
      : (tensor<?x16x?xf32>, tensor<?x16x?xf32>) -> (tensor<?x16x?xf32>, tensor<?x?xf32>) {
  ^bb0(%xs: f32, %gs: f32, %s: f32):
    %a = math.exp %gs : f32
    %d = arith.mulf %a, %s : f32
    %sn = arith.addf %d, %xs : f32
    ssm.rec_yield %sn, %sn : f32, f32
  }
  return %o, %h : tensor<?x16x?xf32>, tensor<?x?xf32>
}
