// RUN: ssmc-opt --ssm-cpu-choose-scan-tiles=lanes=16 --ssm-cpu-vectorize-selective-scan="time-chunk=32 threads=1" --split-input-file %s | FileCheck %s
// RUN: ssmc-opt --ssm-cpu-choose-scan-tiles=lanes=16 --ssm-cpu-vectorize-selective-scan="time-chunk=32 threads=8 min-segment=512" --split-input-file %s | FileCheck %s --check-prefix=SPLIT
// RUN: ssmc-opt --ssm-cpu-choose-scan-tiles=lanes=16 --ssm-cpu-vectorize-selective-scan="time-chunk=32 threads=4" --split-input-file %s | FileCheck %s --check-prefix=NOSPLIT
// RUN: ssmc-opt --ssm-cpu-choose-scan-tiles=lanes=16 --ssm-cpu-vectorize-selective-scan="time-chunk=32 segments=4" --split-input-file %s | FileCheck %s --check-prefix=FIXED
// RUN: not ssmc-opt --ssm-cpu-vectorize-selective-scan=min-segment=0 %s 2>&1 | FileCheck %s --check-prefix=BADOPT
// RUN: ssmc-opt --ssm-cpu-choose-scan-tiles=vector-bits=256 --split-input-file %s | FileCheck %s --check-prefix=AVX2
// RUN: ssmc-opt --ssm-cpu-choose-scan-tiles=lanes=1 --ssm-cpu-vectorize-selective-scan --split-input-file %s | FileCheck %s --check-prefix=SCALAR

// The tile heuristic: one vector register of f32 (8 lanes at 256 bits);
// lanes=1 leaves the scan to the scalar loops.
// AVX2-LABEL: func.func @scan_d37
// AVX2:         ssm.selective_scan {{.*}} {ssm.cpu_lanes = 8 : i64}
// SCALAR-LABEL: func.func @scan_d37
// SCALAR:         ssm.selective_scan
// SCALAR-NOT:     vector.

// BADOPT: error: threads and segments must not be negative, min-segment positive

// The sequence split for 8 threads, chosen at run time: S = min(8 / (b x 3
// tiles), l / 512 - 1) + 1 segments, split when S >= 3, else the plain form.
// The only heap buffers are the results and the carry between segments (no
// (b, d, l, n) buffer). Phase 1, over (batch, tile, segment < S - 1): segment
// 0 from the initial state with its outputs, keeping its end state; the others
// from zero without outputs (no read of C), keeping their end states and
// decays exp2(A log2(e) sum dt). Phase 2, per (batch x tile): the state
// entering each segment, decay * H + E. Phase 3, over (batch, tile,
// segment >= 1): each segment from the state entering it, with its outputs,
// and the final state from the last.
// SPLIT-LABEL: func.func @scan_d37
// SPLIT-SAME:    %{{.*}}: tensor<?x1x4x?xf32>, %[[C:[^:]*]]: tensor<?x1x4x?xf32>
// SPLIT-NOT:     ssm.selective_scan
// SPLIT:         %[[CM:.*]] = bufferization.to_buffer %[[C]]
// SPLIT:         %[[OUT:.*]] = memref.alloc(%{{.*}}, %{{.*}}) : memref<?x37x?xf32>
// SPLIT:         %[[FIN:.*]] = memref.alloc(%{{.*}}) : memref<?x37x4xf32>
// SPLIT-NOT:     memref.alloc(
// SPLIT:         %[[K:.*]] = arith.muli %{{.*}}, %[[C3:.*]] : index
// SPLIT:         %[[K1:.*]] = arith.maxui %[[K]], %{{.*}} : index
// SPLIT:         %[[PER:.*]] = arith.divui %[[C8:.*]], %[[K1]] : index
// SPLIT:         %[[BYLEN:.*]] = arith.divui %{{.*}}, %[[C512:.*]] : index
// SPLIT:         %[[BYLEN1:.*]] = arith.subi %[[BYLEN]], %{{.*}} : index
// SPLIT:         %[[P:.*]] = arith.minsi %[[PER]], %[[BYLEN1]] : index
// SPLIT:         %[[S:.*]] = arith.addi %[[P]], %{{.*}} : index
// SPLIT:         %[[OK:.*]] = arith.cmpi sge, %[[S]], %{{.*}} : index
// SPLIT:         scf.if %[[OK]] {
// SPLIT-NOT:       memref.alloc(
// SPLIT:           %[[CARRY:.*]] = memref.alloc(%{{.*}}, %{{.*}}) : memref<?x?x2x4x16xf32>
// SPLIT-NOT:       memref.alloc(
// SPLIT:           scf.parallel (%[[B1:.*]], %[[T1:.*]], %[[S1:.*]]) = (%{{.*}}, %{{.*}}, %{{.*}}) to (%{{.*}}, %{{.*}}, %{{.*}})
// SPLIT:             %[[K2:.*]] = arith.addi %{{.*}}, %[[T1]] : index
// SPLIT:             %[[FIRST:.*]] = arith.cmpi eq, %[[S1]], %{{.*}} : index
// SPLIT:             scf.if %[[FIRST]] {
// SPLIT:               memref.load %[[CM]]
// SPLIT:               memref.store %{{.*}}, %[[OUT]][
// SPLIT:               vector.store %{{.*}}, %[[CARRY]][%[[K2]], %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}]
// SPLIT:             } else {
// SPLIT-NOT:           memref.load %[[CM]]
// SPLIT-NOT:           %[[OUT]][
// SPLIT:               vector.store %{{.*}}, %[[CARRY]][%[[K2]], %[[S1]], %{{.*}}, %{{.*}}, %{{.*}}]
// SPLIT:               arith.shli %{{.*}} : vector<16xi32>
// SPLIT:               vector.store %{{.*}}, %[[CARRY]][%[[K2]], %[[S1]], %{{.*}}, %{{.*}}, %{{.*}}]
// SPLIT:           scf.for %[[K3:.*]] = %{{.*}} to %{{.*}} step
// SPLIT:             scf.for %[[S2:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args
// SPLIT:               %[[DECAY:.*]] = vector.load %[[CARRY]][%[[K3]], %[[S2]], %{{.*}}, %{{.*}}, %{{.*}}]
// SPLIT:               %[[END:.*]] = vector.load %[[CARRY]][%[[K3]], %[[S2]], %{{.*}}, %{{.*}}, %{{.*}}]
// SPLIT:               %[[H:.*]] = math.fma %[[DECAY]], %{{.*}}, %[[END]] : vector<16xf32>
// SPLIT:               vector.store %[[H]], %[[CARRY]][%[[K3]], %[[S2]], %{{.*}}, %{{.*}}, %{{.*}}]
// SPLIT:           scf.parallel (%{{.*}}, %{{.*}}, %[[S3:.*]]) = (%{{.*}}, %{{.*}}, %[[ONE:.*]]) to (%{{.*}}, %{{.*}}, %[[S]])
// SPLIT:             %[[PREV:.*]] = arith.subi %[[S3]], %[[ONE]] : index
// SPLIT:             vector.load %[[CARRY]][%{{.*}}, %[[PREV]], %{{.*}}, %{{.*}}, %{{.*}}]
// SPLIT:             memref.store %{{.*}}, %[[OUT]][
// SPLIT:             %[[LAST:.*]] = arith.cmpi eq, %[[S3]], %{{.*}} : index
// SPLIT:             scf.if %[[LAST]] {
// SPLIT:               memref.store %{{.*}}, %[[FIN]][
// SPLIT:         } else {
// SPLIT-NOT:       memref.alloc(
// SPLIT:           scf.parallel (%{{.*}}, %{{.*}}) = (%{{.*}}, %{{.*}}) to (%{{.*}}, %{{.*}})
// SPLIT:             memref.store %{{.*}}, %[[OUT]][
// SPLIT:             memref.store %{{.*}}, %[[FIN]][
// SPLIT:         return

// With 4 threads, 3 tiles leave no room for a split whatever the batch: the
// plain form only.
// NOSPLIT-LABEL: func.func @scan_d37
// NOSPLIT-NOT:     arith.cmpi sge
// NOSPLIT-NOT:     memref<?x?x2x4x16xf32>
// NOSPLIT:         scf.parallel (%{{.*}}, %{{.*}}) =
// NOSPLIT-NOT:     scf.parallel
// NOSPLIT:         return

// segments=4: the split form only, into 4 segments (3 tasks per tile in each
// parallel phase).
// FIXED-LABEL: func.func @scan_d37
// FIXED-DAG:     %[[C3:.*]] = arith.constant 3 : index
// FIXED-DAG:     %[[C4:.*]] = arith.constant 4 : index
// FIXED-NOT:     arith.cmpi sge
// FIXED:         memref.alloc(%{{.*}}, %[[C3]]) : memref<?x?x2x4x16xf32>
// FIXED:         scf.parallel (%{{.*}}, %{{.*}}, %{{.*}}) = (%{{.*}}, %{{.*}}, %{{.*}}) to (%{{.*}}, %{{.*}}, %[[C3]])
// FIXED:         scf.parallel (%{{.*}}, %{{.*}}, %{{.*}}) = (%{{.*}}, %{{.*}}, %{{.*}}) to (%{{.*}}, %{{.*}}, %[[C4]])
// FIXED-NOT:     scf.parallel
// FIXED:         return

// d = 37 channels in tiles of 16 lanes (3 tiles, the last with 5 channels):
// an scf.parallel over (batch, tile), chunks of 32 steps of u, delta and z
// staged into zero-padded [32 x 16] scratch (time major), B and C of the chunk
// staged step-major into [32 x 4], dt (bias, softplus) and dt·u computed for
// the chunk before the recurrence, the 4 state vectors carried over time, exp2
// as a polynomial on vectors, B and C broadcast to the lanes, and the D skip
// and silu gate applied after the recurrence, all in the scratch.
// CHECK-LABEL: func.func @scan_d37
// CHECK-NOT:     ssm.selective_scan
// CHECK:         scf.parallel (%[[B:.*]], %[[TILE:.*]]) = (%{{.*}}, %{{.*}}) to (%{{.*}}, %[[C3:.*]]) step
// CHECK:           %[[C0:.*]] = arith.muli %[[TILE]], %[[C16:.*]] : index
// CHECK:           %[[NC:.*]] = arith.minsi %{{.*}}, %[[C16]] : index
// CHECK:           %[[US:.*]] = memref.alloca() : memref<32x16xf32>
// CHECK:           %[[BS:.*]] = memref.alloca() : memref<32x4xf32>
// CHECK:           %[[CS:.*]] = memref.alloca() : memref<32x4xf32>
// CHECK:           %[[AS:.*]] = memref.alloca() : memref<4x16xf32>
// CHECK:           %[[HS:.*]] = memref.alloca() : memref<4x16xf32>
// CHECK:           vector.store %{{.*}}, %[[US]][%{{.*}}, %{{.*}}] : memref<32x16xf32>, vector<16xf32>
// CHECK:           scf.for %{{.*}} = %{{.*}} to %[[NC]]
// CHECK:           %[[H0:.*]] = vector.load %[[HS]]
// CHECK:           scf.for %[[T0:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%{{.*}} = %[[H0]], {{.*}}) -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// Full tiles of unit-stride inputs: 16 x 16 blocks transposed in registers.
// CHECK:             scf.if
// CHECK:               vector.load %{{.*}} : memref<?x37x?xf32, strided<[?, ?, 1], offset: ?>>, vector<16xf32>
// CHECK:               vector.shuffle
// CHECK:               vector.store %{{.*}}, %[[US]]
// The rest element by element.
// CHECK:             scf.for %{{.*}} = %{{.*}} to %[[NC]]
// CHECK:               memref.load
// CHECK:               memref.store %{{.*}}, %[[US]]
// CHECK:             memref.load %{{.*}}[%[[B]], %{{.*}}, %{{.*}}, %{{.*}}] : memref<?x1x4x?xf32
// CHECK:             memref.store %{{.*}}, %[[BS]]
// CHECK:             memref.store %{{.*}}, %[[CS]]
// CHECK:             scf.for
// CHECK:               arith.addf %{{.*}} : vector<16xf32>
// CHECK:               vector.store
// CHECK:             scf.for %{{.*}} iter_args({{.*}}) -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// CHECK:               vector.load %{{.*}} : memref<32x16xf32>, vector<16xf32>
// CHECK:               vector.load %[[AS]]
// CHECK:               arith.shli %{{.*}} : vector<16xi32>
// CHECK:               %[[BJ:.*]] = memref.load %[[BS]][%{{.*}}, %{{.*}}] : memref<32x4xf32>
// CHECK:               vector.broadcast %[[BJ]] : f32 to vector<16xf32>
// CHECK:               math.fma %{{.*}} : vector<16xf32>
// CHECK-NOT:           math.exp
// CHECK:               vector.store %{{.*}} : memref<32x16xf32>, vector<16xf32>
// CHECK:               scf.yield %{{.*}} : vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>
// CHECK:             scf.for
// CHECK:               arith.divf %{{.*}} : vector<16xf32>
// CHECK:               vector.store %{{.*}} : memref<32x16xf32>, vector<16xf32>
func.func @scan_d37(%u: tensor<?x37x?xf32>, %dt: tensor<?x37x?xf32>,
    %A: tensor<37x4xf32>, %B: tensor<?x1x4x?xf32>, %C: tensor<?x1x4x?xf32>,
    %D: tensor<37xf32>, %z: tensor<?x37x?xf32>, %db: tensor<37xf32>)
    -> (tensor<?x37x?xf32>, tensor<?x37x4xf32>) {
  %y, %h = ssm.selective_scan %u, %dt, %A, %B, %C D(%D) z(%z) delta_bias(%db) delta_softplus
      : (tensor<?x37x?xf32>, tensor<?x37x?xf32>, tensor<37x4xf32>,
         tensor<?x1x4x?xf32>, tensor<?x1x4x?xf32>, tensor<37xf32>,
         tensor<?x37x?xf32>, tensor<37xf32>)
      -> (tensor<?x37x?xf32>, tensor<?x37x4xf32>)
  return %y, %h : tensor<?x37x?xf32>, tensor<?x37x4xf32>
}

// -----

// A dynamic g: a run-time check that no tile straddles two groups, else the scalar
// lowering of the op (without the lanes attribute).
// CHECK-LABEL: func.func @scan_groups
// CHECK:         %[[REM:.*]] = arith.remui %{{.*}}, %{{.*}} : index
// CHECK:         %[[OK:.*]] = arith.cmpi eq, %[[REM]]
// CHECK:         scf.if %[[OK]]
// CHECK:           scf.parallel
// CHECK:         } else {
// CHECK:           ssm.selective_scan
// CHECK-NOT:         ssm.cpu_lanes
// CHECK:           scf.yield
func.func @scan_groups(%u: tensor<?x64x?xf32>, %dt: tensor<?x64x?xf32>,
    %A: tensor<64x16xf32>, %B: tensor<?x?x16x?xf32>, %C: tensor<?x?x16x?xf32>)
    -> tensor<?x64x?xf32> {
  %y = ssm.selective_scan %u, %dt, %A, %B, %C
      : (tensor<?x64x?xf32>, tensor<?x64x?xf32>, tensor<64x16xf32>,
         tensor<?x?x16x?xf32>, tensor<?x?x16x?xf32>) -> tensor<?x64x?xf32>
  return %y : tensor<?x64x?xf32>
}
