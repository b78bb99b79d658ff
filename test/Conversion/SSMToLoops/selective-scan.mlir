// RUN: ssmc-opt --convert-ssm-to-loops --split-input-file %s | FileCheck %s
// RUN: ssmc-opt --convert-ssm-to-loops --split-input-file %s | FileCheck %s --check-prefix=NO4D

// The (b, d, l, n) state is never materialised: no alloc of rank 4 or more.
// NO4D-NOT: memref.alloc{{.*}}memref<{{[^x>]+x[^x>]+x[^x>]+x[^x>]+x}}

// A static state size n = 4: the state row is four f32 iter_args of the loop
// over time, A is scaled by log2(e) once per channel, and delta_bias,
// softplus, D and silu(z) are all inside the loop over time.

// CHECK-LABEL: func.func @selective_scan_all_options
// CHECK-DAG:   %[[LOG2E:.*]] = arith.constant 1.44269502 : f32
// CHECK-DAG:   %[[U:.*]] = bufferization.to_buffer %arg0 read_only
// CHECK-DAG:   %[[BIAS:.*]] = bufferization.to_buffer %arg7 read_only
// CHECK:       %[[OUT:.*]] = memref.alloc(%{{.*}}, %{{.*}}) : memref<?x8x?xf32>
// CHECK:       %[[FIN:.*]] = memref.alloc(%{{.*}}) : memref<?x8x4xf32>
// CHECK:       scf.for %[[B:.*]] = %{{.*}} to %{{.*}} step
// CHECK:         scf.for %[[C:.*]] = %{{.*}} to %{{.*}} step
// CHECK:           %[[DB:.*]] = memref.load %[[BIAS]][%[[C]]]
// CHECK:           %[[A0:.*]] = memref.load %{{.*}}[%[[C]], %{{.*}}]
// CHECK:           arith.mulf %[[A0]], %[[LOG2E]] : f32
// CHECK:           %[[H:.*]]:4 = scf.for %[[T:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[H0:.*]] = %{{.*}}, %[[H1:.*]] = %{{.*}}, %[[H2:.*]] = %{{.*}}, %[[H3:.*]] = %{{.*}}) -> (f32, f32, f32, f32) {
// CHECK:             %[[DELTA:.*]] = memref.load %{{.*}}[%[[B]], %[[C]], %[[T]]]
// CHECK:             %[[DT0:.*]] = arith.addf %[[DELTA]], %[[DB]] : f32
// CHECK:             math.exp %[[DT0]]
// CHECK:             math.log1p
// CHECK:             %[[DT:.*]] = arith.select
// CHECK:             %[[UV:.*]] = memref.load %[[U]][%[[B]], %[[C]], %[[T]]]
// CHECK:             math.exp2
// CHECK:             %[[NEW0:.*]] = arith.addf
// CHECK-SAME:          : f32
// CHECK:             arith.mulf %{{.*}}, %[[H1]] : f32
// CHECK:             arith.mulf %{{.*}}, %[[H2]] : f32
// CHECK:             arith.mulf %{{.*}}, %[[H3]] : f32
// CHECK:             arith.mulf %{{.*}}, %[[UV]] : f32
// CHECK:             arith.negf
// CHECK:             math.exp
// CHECK:             arith.divf
// CHECK:             memref.store %{{.*}}, %[[OUT]][%[[B]], %[[C]], %[[T]]] : memref<?x8x?xf32>
// CHECK:             scf.yield %[[NEW0]], %{{.*}}, %{{.*}}, %{{.*}} : f32, f32, f32, f32
// CHECK:           memref.store %[[H]]#0, %[[FIN]][%[[B]], %[[C]], %{{.*}}]
// CHECK:           memref.store %[[H]]#3, %[[FIN]][%[[B]], %[[C]], %{{.*}}]
// CHECK:       %[[RY:.*]] = bufferization.to_tensor %[[OUT]] restrict writable
// CHECK:       %[[RH:.*]] = bufferization.to_tensor %[[FIN]] restrict writable
// CHECK:       return %[[RY]], %[[RH]]
func.func @selective_scan_all_options(
    %u: tensor<?x8x?xf32>, %delta: tensor<?x8x?xf32>, %A: tensor<8x4xf32>,
    %B: tensor<?x2x4x?xf32>, %C: tensor<?x2x4x?xf32>, %D: tensor<8xf32>,
    %z: tensor<?x8x?xf32>, %db: tensor<8xf32>, %h0: tensor<?x8x4xf32>)
    -> (tensor<?x8x?xf32>, tensor<?x8x4xf32>) {
  %y, %h = ssm.selective_scan %u, %delta, %A, %B, %C D(%D) z(%z)
      delta_bias(%db) initial_state(%h0) delta_softplus
      : (tensor<?x8x?xf32>, tensor<?x8x?xf32>, tensor<8x4xf32>,
         tensor<?x2x4x?xf32>, tensor<?x2x4x?xf32>, tensor<8xf32>,
         tensor<?x8x?xf32>, tensor<8xf32>, tensor<?x8x4xf32>)
      -> (tensor<?x8x?xf32>, tensor<?x8x4xf32>)
  return %y, %h : tensor<?x8x?xf32>, tensor<?x8x4xf32>
}

// -----

// bf16 inputs: extended to f32 on load, the output truncated at the store;
// the state stays f32.

// CHECK-LABEL: func.func @selective_scan_bf16
// CHECK:       scf.for
// CHECK:         scf.for
// CHECK:           scf.for %{{.*}} iter_args({{.*}}) -> (f32, f32) {
// CHECK:             arith.extf %{{.*}} : bf16 to f32
// CHECK:             %[[Y:.*]] = arith.truncf %{{.*}} : f32 to bf16
// CHECK:             memref.store %[[Y]], %{{.*}} : memref<?x4x?xbf16>
func.func @selective_scan_bf16(
    %u: tensor<?x4x?xbf16>, %delta: tensor<?x4x?xbf16>, %A: tensor<4x2xf32>,
    %B: tensor<?x1x2x?xbf16>, %C: tensor<?x1x2x?xbf16>)
    -> tensor<?x4x?xbf16> {
  %y = ssm.selective_scan %u, %delta, %A, %B, %C
      : (tensor<?x4x?xbf16>, tensor<?x4x?xbf16>, tensor<4x2xf32>,
         tensor<?x1x2x?xbf16>, tensor<?x1x2x?xbf16>) -> tensor<?x4x?xbf16>
  return %y : tensor<?x4x?xbf16>
}

// -----

// A dynamic state size: the row lives in a scratch buffer of n elements
// that every (batch, channel) reuses; the loop over n carries y.

// CHECK-LABEL: func.func @selective_scan_dynamic_state
// CHECK:       %[[N:.*]] = memref.dim %{{.*}}, %c1
// CHECK:       %[[ROW:.*]] = memref.alloc(%[[N]]) : memref<?xf32>
// CHECK:       scf.for
// CHECK:         scf.for
// CHECK:           scf.for %[[T:.*]] = {{.*}} {
// CHECK:             scf.for %[[J:.*]] = %{{.*}} to %[[N]] step %{{.*}} iter_args(%[[Y:.*]] = %{{.*}}) -> (f32) {
// CHECK:               memref.load %[[ROW]][%[[J]]]
// CHECK:               memref.store %{{.*}}, %[[ROW]][%[[J]]]
func.func @selective_scan_dynamic_state(
    %u: tensor<?x4x?xf32>, %delta: tensor<?x4x?xf32>, %A: tensor<4x?xf32>,
    %B: tensor<?x1x?x?xf32>, %C: tensor<?x1x?x?xf32>) -> tensor<?x4x?xf32> {
  %y = ssm.selective_scan %u, %delta, %A, %B, %C
      : (tensor<?x4x?xf32>, tensor<?x4x?xf32>, tensor<4x?xf32>,
         tensor<?x1x?x?xf32>, tensor<?x1x?x?xf32>) -> tensor<?x4x?xf32>
  return %y : tensor<?x4x?xf32>
}
