// RUN: ssmc-opt --convert-ssm-to-loops --split-input-file %s | FileCheck %s
// RUN: ssmc-opt --convert-ssm-to-loops="ssd-sequential=1" --split-input-file %s \
// RUN:   | FileCheck %s --check-prefix=SEQ

// ssd-sequential forces the sequential recurrence on every SSD.
// SEQ-NOT: scf.parallel
// SEQ-NOT: memref.alloca()

// The chunked dual form of the SSD in two parallel phases. First, one task
// per (batch, group, chunk) writes the raw C·Bᵀ of the chunk (Q, Q) into a
// heap buffer shared by the heads of the group, through Bᵀ (n, Q) and one row
// (Q) on the stack. Then one task per (batch, head) carrying the chosen chunk
// length (32 for n = 128 by the cost model of chooseSSDChunkSizeCPU, below
// the op's 256), its scratch on the stack sized by the chunk (Hᵀ (n, p), cumsums and
// segment counters (Q), dt·x (Q, p), four rows of L∘CBᵀ (4, Q), four output
// rows (4, p)), and a loop over chunks whose products over p are vector code
// with their accumulators carried through the loops.

// CHECK-LABEL: func.func @ssd_chunked
// CHECK:       %[[OUT:.*]] = memref.alloc(%{{.*}}, %{{.*}}) : memref<?x?x4x64xf32>
// CHECK:       %[[FIN:.*]] = memref.alloc(%{{.*}}) : memref<?x4x64x128xf32>
// CHECK:       %[[CB:.*]] = memref.alloc(%{{.*}}, %{{.*}}, %{{.*}}) : memref<?x?x?x32x32xf32>
// CHECK-NOT:   memref.alloc(
// CHECK:       scf.parallel (%[[B1:.*]], %[[G1:.*]], %[[C1:.*]]) = ({{.*}}) to ({{.*}}) step
// CHECK-NEXT:    memref.alloca_scope
// CHECK-DAG:       %[[BT:.*]] = memref.alloca() : memref<128x32xf32>
// CHECK-DAG:       %[[CBROW:.*]] = memref.alloca() : memref<32xf32>
// CHECK:           math.fma
// CHECK:           memref.store %{{.*}}, %[[CB]][%[[B1]], %[[G1]], %[[C1]], %{{.*}}, %{{.*}}]
// CHECK:       scf.parallel (%[[B:.*]], %[[H:.*]]) = ({{.*}}) to ({{.*}}) step
// CHECK-NEXT:    memref.alloca_scope
// CHECK-DAG:       %[[HT:.*]] = memref.alloca() : memref<128x64xf32>
// CHECK-DAG:       %[[CUM:.*]] = memref.alloca() : memref<32xf32>
// CHECK-DAG:       %[[SEG:.*]] = memref.alloca() : memref<32xindex>
// CHECK-DAG:       %[[XS:.*]] = memref.alloca() : memref<32x64xf32>
// CHECK-DAG:       %[[ROWS:.*]] = memref.alloca() : memref<4x32xf32>
// CHECK-DAG:       %[[YACC:.*]] = memref.alloca() : memref<4x64xf32>
// CHECK:           scf.for %[[C:.*]] = %{{.*}} to %{{.*}} step
// CHECK:             arith.minui
// CHECK:             scf.for {{.*}} iter_args({{.*}}) -> (f32, index)
// CHECK:             memref.load %[[CB]][%[[B]], %{{.*}}, %[[C]], %{{.*}}, %{{.*}}]
// CHECK:             memref.store %{{.*}}, %[[ROWS]]
// CHECK:             scf.for {{.*}} iter_args({{.*}}) -> (vector<16xf32>,
// CHECK:               vector.load %[[XS]]
// CHECK:               math.fma {{.*}} : vector<16xf32>
// CHECK:             vector.load %[[HT]]
// CHECK:             vector.store %{{.*}}, %[[YACC]]
// CHECK:             memref.store %{{.*}}, %[[OUT]][%[[B]], %{{.*}}, %[[H]], %{{.*}}]
// CHECK:             vector.store %{{.*}}, %[[HT]]
// CHECK:           memref.store %{{.*}}, %[[FIN]][%[[B]], %[[H]], %{{.*}}, %{{.*}}]
// CHECK:         } {ssm.chunk_size = 32 : i64}
// CHECK-NOT:   math.exp
func.func @ssd_chunked(
    %x: tensor<?x?x4x64xf32>, %dt: tensor<?x?x4xf32>, %A: tensor<4xf32>,
    %B: tensor<?x?x2x128xf32>, %C: tensor<?x?x2x128xf32>, %D: tensor<4xf32>,
    %z: tensor<?x?x4x64xf32>, %dtb: tensor<4xf32>, %h0: tensor<?x4x64x128xf32>,
    %seq: tensor<?x?xi64>) -> (tensor<?x?x4x64xf32>, tensor<?x4x64x128xf32>) {
  %y, %h = ssm.ssd %x, %dt, %A, %B, %C chunk_size = 256 D(%D) z(%z)
      dt_bias(%dtb) initial_states(%h0) seq_idx(%seq) dt_softplus
      : (tensor<?x?x4x64xf32>, tensor<?x?x4xf32>, tensor<4xf32>,
         tensor<?x?x2x128xf32>, tensor<?x?x2x128xf32>, tensor<4xf32>,
         tensor<?x?x4x64xf32>, tensor<4xf32>, tensor<?x4x64x128xf32>,
         tensor<?x?xi64>) -> (tensor<?x?x4x64xf32>, tensor<?x4x64x128xf32>)
  return %y, %h : tensor<?x?x4x64xf32>, tensor<?x4x64x128xf32>
}

// -----

// The chunk length is capped for CPU caches (512 KiB of scratch per task):
// with p = 16, n = 2048 the cost model asks for 128, which needs 1.2 MiB;
// 64 needs 0.66 MiB; 32 fits (Bᵀ of the C·Bᵀ phase is (n, Q)).

// CHECK-LABEL: func.func @ssd_chunk_capped
// CHECK-DAG:   memref.alloca() : memref<2048x32xf32>
// CHECK:       } {ssm.chunk_size = 32 : i64}
func.func @ssd_chunk_capped(
    %x: tensor<1x?x2x16xf32>, %dt: tensor<1x?x2xf32>, %A: tensor<2xf32>,
    %B: tensor<1x?x1x2048xf32>, %C: tensor<1x?x1x2048xf32>) -> tensor<1x?x2x16xf32> {
  %y = ssm.ssd %x, %dt, %A, %B, %C chunk_size = 1024
      : (tensor<1x?x2x16xf32>, tensor<1x?x2xf32>, tensor<2xf32>,
         tensor<1x?x1x2048xf32>, tensor<1x?x1x2048xf32>) -> tensor<1x?x2x16xf32>
  return %y : tensor<1x?x2x16xf32>
}

// -----

// A small state (n = 16) takes the smallest chunk, 16; an op chunk_size below
// it is kept.

// CHECK-LABEL: func.func @ssd_chunk_small_state
// CHECK:       } {ssm.chunk_size = 16 : i64}
// CHECK:       } {ssm.chunk_size = 8 : i64}
func.func @ssd_chunk_small_state(
    %x: tensor<1x?x2x64xf32>, %dt: tensor<1x?x2xf32>, %A: tensor<2xf32>,
    %B: tensor<1x?x1x16xf32>, %C: tensor<1x?x1x16xf32>) -> (tensor<1x?x2x64xf32>, tensor<1x?x2x64xf32>) {
  %y = ssm.ssd %x, %dt, %A, %B, %C chunk_size = 256
      : (tensor<1x?x2x64xf32>, tensor<1x?x2xf32>, tensor<2xf32>,
         tensor<1x?x1x16xf32>, tensor<1x?x1x16xf32>) -> tensor<1x?x2x64xf32>
  %y2 = ssm.ssd %x, %dt, %A, %B, %C chunk_size = 8
      : (tensor<1x?x2x64xf32>, tensor<1x?x2xf32>, tensor<2xf32>,
         tensor<1x?x1x16xf32>, tensor<1x?x1x16xf32>) -> tensor<1x?x2x64xf32>
  return %y, %y2 : tensor<1x?x2x64xf32>, tensor<1x?x2x64xf32>
}

// -----

// An existing ssm.cpu_chunk_size is kept: 0 selects the sequential form.

// CHECK-LABEL: func.func @ssd_forced_sequential
// CHECK-NOT:   scf.parallel
// CHECK:       scf.for
func.func @ssd_forced_sequential(
    %x: tensor<1x?x2x4xf32>, %dt: tensor<1x?x2xf32>, %A: tensor<2xf32>,
    %B: tensor<1x?x1x8xf32>, %C: tensor<1x?x1x8xf32>) -> tensor<1x?x2x4xf32> {
  %y = ssm.ssd %x, %dt, %A, %B, %C chunk_size = 64 {ssm.cpu_chunk_size = 0 : i64}
      : (tensor<1x?x2x4xf32>, tensor<1x?x2xf32>, tensor<2xf32>,
         tensor<1x?x1x8xf32>, tensor<1x?x1x8xf32>) -> tensor<1x?x2x4xf32>
  return %y : tensor<1x?x2x4xf32>
}
