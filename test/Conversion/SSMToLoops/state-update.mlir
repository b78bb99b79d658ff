// RUN: ssmc-opt --convert-ssm-to-loops --split-input-file %s | FileCheck %s

// Mamba-1 layout: one (batch, channel) row per task of an scf.parallel (the
// runtime's pool); dt is processed
// once, the loop over n carries y and writes the new state, the decay is per
// state element (A is (d, n)); D and silu(z) follow.

// CHECK-LABEL: func.func @state_update_mamba1
// CHECK-DAG:   %[[S:.*]] = bufferization.to_buffer %arg0 read_only
// CHECK:       %[[Y:.*]] = memref.alloc(%{{.*}}) : memref<?x5xf32>
// CHECK:       %[[NEW:.*]] = memref.alloc(%{{.*}}) : memref<?x5x4xf32>
// CHECK:       scf.parallel (%[[B:.*]], %[[C:.*]]) = (%{{.*}}, %{{.*}}) to
// CHECK:           math.log1p
// CHECK:           %[[DT:.*]] = arith.select
// CHECK:           %[[ACC:.*]] = scf.for %[[J:.*]] = %{{.*}} to %c4 step %{{.*}} iter_args(%{{.*}} = %{{.*}}) -> (f32) {
// CHECK:             %[[A:.*]] = memref.load %{{.*}}[%[[C]], %[[J]]]
// CHECK:             %[[DA:.*]] = arith.mulf %[[DT]], %[[A]] : f32
// CHECK:             math.exp %[[DA]]
// CHECK:             memref.load %[[S]][%[[B]], %[[C]], %[[J]]]
// CHECK:             memref.store %{{.*}}, %[[NEW]][%[[B]], %[[C]], %[[J]]]
// CHECK:             scf.yield %{{.*}} : f32
// CHECK:           arith.divf
// CHECK:           memref.store %{{.*}}, %[[Y]][%[[B]], %[[C]]]

func.func @state_update_mamba1(%s: tensor<?x5x4xf32>, %x: tensor<?x5xf32>,
    %dt: tensor<?x5xf32>, %A: tensor<5x4xf32>, %B: tensor<?x1x4xf32>,
    %C: tensor<?x1x4xf32>, %D: tensor<5xf32>, %z: tensor<?x5xf32>,
    %dtb: tensor<5xf32>) -> (tensor<?x5xf32>, tensor<?x5x4xf32>) {
  %y, %ns = ssm.state_update %s, %x, %dt, %A, %B, %C D(%D) z(%z) dt_bias(%dtb)
      dt_softplus
      : (tensor<?x5x4xf32>, tensor<?x5xf32>, tensor<?x5xf32>, tensor<5x4xf32>,
         tensor<?x1x4xf32>, tensor<?x1x4xf32>, tensor<5xf32>, tensor<?x5xf32>,
         tensor<5xf32>) -> (tensor<?x5xf32>, tensor<?x5x4xf32>)
  return %y, %ns : tensor<?x5xf32>, tensor<?x5x4xf32>
}

// -----

// Mamba-2 layout: one task per (batch, head) whose dt (clamped to dt_limit)
// and decay are computed once for its rows (head channels), then per row
// the loop over n; D of shape (h, p).

// CHECK-LABEL: func.func @state_update_mamba2
// CHECK:       %[[Y:.*]] = memref.alloc(%{{.*}}) : memref<?x4x3xf32>
// CHECK:       %[[NEW:.*]] = memref.alloc(%{{.*}}) : memref<?x4x3x5xf32>
// CHECK:       scf.parallel (%[[B:.*]], %[[H:.*]]) = (%{{.*}}, %{{.*}}) to
// CHECK:             arith.maximumf
// CHECK:             %[[DT:.*]] = arith.minimumf
// CHECK:             %[[AH:.*]] = memref.load %{{.*}}[%[[H]]] : memref<4xf32
// CHECK:             %[[DA:.*]] = arith.mulf %[[DT]], %[[AH]] : f32
// CHECK:             %[[DECAY:.*]] = math.exp %[[DA]] : f32
// CHECK:             scf.for %[[P:.*]] = %{{.*}} to %c3 step
// CHECK:             scf.for %[[J:.*]] = %{{.*}} to %c5 step %{{.*}} iter_args(%{{.*}} = %{{.*}}) -> (f32) {
// CHECK:               arith.mulf %[[DECAY]], %{{.*}} : f32
// CHECK:               memref.store %{{.*}}, %[[NEW]][%[[B]], %[[H]], %[[P]], %[[J]]]
// CHECK:             memref.load %{{.*}}[%[[H]], %[[P]]] : memref<4x3xf32
// CHECK:             memref.store %{{.*}}, %[[Y]][%[[B]], %[[H]], %[[P]]]

func.func @state_update_mamba2(%s: tensor<?x4x3x5xf32>, %x: tensor<?x4x3xf32>,
    %dt: tensor<?x4xf32>, %A: tensor<4xf32>, %B: tensor<?x2x5xf32>,
    %C: tensor<?x2x5xf32>, %D: tensor<4x3xf32>, %dtb: tensor<4xf32>)
    -> (tensor<?x4x3xf32>, tensor<?x4x3x5xf32>) {
  %y, %ns = ssm.state_update %s, %x, %dt, %A, %B, %C D(%D) dt_bias(%dtb)
      dt_softplus dt_limit = [0.0, 5.0]
      : (tensor<?x4x3x5xf32>, tensor<?x4x3xf32>, tensor<?x4xf32>,
         tensor<4xf32>, tensor<?x2x5xf32>, tensor<?x2x5xf32>, tensor<4x3xf32>,
         tensor<4xf32>) -> (tensor<?x4x3xf32>, tensor<?x4x3x5xf32>)
  return %y, %ns : tensor<?x4x3xf32>, tensor<?x4x3x5xf32>
}
