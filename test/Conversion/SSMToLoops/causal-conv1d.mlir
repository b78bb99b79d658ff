// RUN: ssmc-opt --convert-ssm-to-loops --split-input-file %s | FileCheck %s

// A static width: the channel's k taps are loaded once, outside the loop over
// time; an input before t = 0 comes from conv_state; bias and silu are fused;
// the new cache holds the last k - 1 inputs of history followed by x.

// CHECK-LABEL: func.func @causal_conv1d_all_options
// CHECK-DAG:   %[[X:.*]] = bufferization.to_buffer %arg0 read_only
// CHECK-DAG:   %[[W:.*]] = bufferization.to_buffer %arg1 read_only
// CHECK-DAG:   %[[CACHE:.*]] = bufferization.to_buffer %arg3 read_only
// CHECK:       %[[Y:.*]] = memref.alloc(%{{.*}}, %{{.*}}) : memref<?x6x?xf32>
// CHECK:       %[[NEW:.*]] = memref.alloc(%{{.*}}) : memref<?x6x3xf32>
// CHECK:       scf.for %[[B:.*]] = %{{.*}} to %{{.*}} step
// CHECK:         scf.for %[[C:.*]] = %{{.*}} to %{{.*}} step
// CHECK:           %[[BIAS:.*]] = memref.load %{{.*}}[%[[C]]]
// CHECK:           %[[W3:.*]] = memref.load %[[W]][%[[C]], %c3]
// CHECK:           memref.load %[[W]][%[[C]], %c0]
// CHECK:           scf.for %[[T:.*]] = %{{.*}} to %{{.*}} step
// CHECK:             %[[V0:.*]] = scf.if %{{.*}} -> (f32) {
// CHECK:               memref.load %[[X]][%[[B]], %[[C]], %[[T]]]
// CHECK:             } else {
// CHECK:               memref.load %[[CACHE]]
// CHECK:             %[[P0:.*]] = arith.mulf %[[W3]], %[[V0]] : f32
// CHECK:             arith.addf %[[BIAS]], %[[P0]] : f32
// CHECK:             arith.divf
// CHECK:             memref.store %{{.*}}, %[[Y]][%[[B]], %[[C]], %[[T]]]
// CHECK:           scf.for %[[I:.*]] = %{{.*}} to %c3 step
// CHECK:             scf.if
// CHECK:             memref.store %{{.*}}, %[[NEW]][%[[B]], %[[C]], %[[I]]]
func.func @causal_conv1d_all_options(%x: tensor<?x6x?xf32>, %w: tensor<6x4xf32>,
    %b: tensor<6xf32>, %s: tensor<?x6x3xf32>)
    -> (tensor<?x6x?xf32>, tensor<?x6x3xf32>) {
  %y, %ns = ssm.causal_conv1d %x, %w bias(%b) conv_state(%s) silu
      : (tensor<?x6x?xf32>, tensor<6x4xf32>, tensor<6xf32>, tensor<?x6x3xf32>)
      -> (tensor<?x6x?xf32>, tensor<?x6x3xf32>)
  return %y, %ns : tensor<?x6x?xf32>, tensor<?x6x3xf32>
}

// -----

// A dynamic width: a loop over the taps carries the sum; no cache, so
// inputs before t = 0 are zero.

// CHECK-LABEL: func.func @causal_conv1d_dynamic_width
// CHECK:       scf.for %[[T:.*]] = %{{.*}} to %{{.*}} step
// CHECK:         scf.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%{{.*}} = %{{.*}}) -> (f32) {
// CHECK:           scf.if %{{.*}} -> (f32) {
// CHECK:           } else {
// CHECK:             scf.yield %{{.*}} : f32
// CHECK-NOT:   arith.divf
func.func @causal_conv1d_dynamic_width(%x: tensor<?x6x?xf32>, %w: tensor<6x?xf32>)
    -> tensor<?x6x?xf32> {
  %y = ssm.causal_conv1d %x, %w
      : (tensor<?x6x?xf32>, tensor<6x?xf32>) -> tensor<?x6x?xf32>
  return %y : tensor<?x6x?xf32>
}
