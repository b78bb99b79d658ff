// RUN: ssmc-opt --convert-ssm-to-loops --split-input-file %s | FileCheck %s

// One row at a time: a loop carrying the sum of squares, then a loop that
// scales; f16 is extended on load and truncated at the store.

// CHECK-LABEL: func.func @rms_norm
// CHECK-DAG:   %[[EPS:.*]] = arith.constant 9.99999974E-6 : f32
// CHECK-DAG:   %[[D:.*]] = arith.constant 8.000000e+00 : f32
// CHECK:       %[[Y:.*]] = memref.alloc(%{{.*}}, %{{.*}}) : memref<?x?x8xf16>
// CHECK:       scf.for %[[I:.*]] =
// CHECK:         scf.for %[[J:.*]] =
// CHECK:           %[[SS:.*]] = scf.for %{{.*}} = %{{.*}} to %c8 step %{{.*}} iter_args(%{{.*}} = %{{.*}}) -> (f32) {
// CHECK:             arith.extf %{{.*}} : f16 to f32
// CHECK:           %[[MEAN:.*]] = arith.divf %[[SS]], %[[D]] : f32
// CHECK:           %[[VAR:.*]] = arith.addf %[[MEAN]], %[[EPS]] : f32
// CHECK:           %[[RMS:.*]] = math.sqrt %[[VAR]] : f32
// CHECK:           %[[INV:.*]] = arith.divf %{{.*}}, %[[RMS]] : f32
// CHECK:           scf.for %[[K:.*]] = %{{.*}} to %c8 step
// CHECK:             arith.mulf %{{.*}}, %[[INV]] : f32
// CHECK:             %[[H:.*]] = arith.truncf %{{.*}} : f32 to f16
// CHECK:             memref.store %[[H]], %[[Y]][%[[I]], %[[J]], %[[K]]]

func.func @rms_norm(%x: tensor<?x?x8xf16>, %w: tensor<8xf16>) -> tensor<?x?x8xf16> {
  %y = ssm.rms_norm %x, %w eps = 1.0e-05
      : (tensor<?x?x8xf16>, tensor<8xf16>) -> tensor<?x?x8xf16>
  return %y : tensor<?x?x8xf16>
}

// -----

// Groups of 4 of the 12 channels: a loop over the 3 groups, and x * silu(z)
// computed in both inner loops (no buffer for the gated values).

// CHECK-LABEL: func.func @gated_rms_norm
// CHECK:       scf.for %[[I:.*]] =
// CHECK:         scf.for %[[G:.*]] = %{{.*}} to %c3 step
// CHECK:           %[[BASE:.*]] = arith.muli %[[G]], %c4 : index
// CHECK:           scf.for %{{.*}} = %{{.*}} to %c4 step %{{.*}} iter_args(%{{.*}} = %{{.*}}) -> (f32) {
// CHECK:             math.exp
// CHECK:             arith.divf
// CHECK:           math.sqrt
// CHECK:           scf.for %[[K:.*]] = %{{.*}} to %c4 step
// CHECK:             %[[COL:.*]] = arith.addi %[[BASE]], %[[K]] : index
// CHECK:             math.exp
// CHECK:             memref.store %{{.*}}, %{{.*}}[%[[I]], %[[COL]]]

func.func @gated_rms_norm(%x: tensor<?x12xf32>, %z: tensor<?x12xf32>,
                          %w: tensor<12xf32>) -> tensor<?x12xf32> {
  %y = ssm.gated_rms_norm %x, %z, %w group_size = 4 eps = 1.0e-06
      : (tensor<?x12xf32>, tensor<?x12xf32>, tensor<12xf32>) -> tensor<?x12xf32>
  return %y : tensor<?x12xf32>
}
