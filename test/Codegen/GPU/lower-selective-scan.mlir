// RUN: ssmc-opt --ssm-gpu-choose-tiles --ssm-gpu-lower-ops --split-input-file %s | FileCheck %s
// RUN: ssmc-opt --ssm-gpu-choose-tiles="segments=1" --ssm-gpu-lower-ops --split-input-file %s | FileCheck %s --check-prefix=NOSEG

// The selective scan on the GPU: results in device memory (gpu.alloc on one
// stream), then, when batch x channels is small, the three-phase split (a
// segment-state kernel and the output kernel with segment scratch that is
// freed after), else the output kernel alone. Each kernel is a gpu.launch
// over (channel tiles, batch, segments) x (64 channels x 4 threads, each
// with 4 of the 16 states; y summed by shuffles) whose per-chunk tiles
// live in workgroup memory: u, delta, z as [64 x 33] (padded rows), B and C
// as [32 x 16]; the thread's 4 states and the sum of dt are the iter_args of the
// loops over time (registers); B and C are read as 16-byte vectors; the
// decays are ex2.approx; no other buffer is allocated.
// CHECK-LABEL: func.func @scan
// CHECK:         %[[T0:.*]] = gpu.wait async
// CHECK:         %[[OUT:.*]], %[[T1:.*]] = gpu.alloc async [%[[T0]]] ({{.*}}) : memref<?x?x?xbf16>
// CHECK:         %[[FIN:.*]], %[[T2:.*]] = gpu.alloc async [%[[T1]]] ({{.*}}) : memref<?x?x16xf32>
// CHECK:         gpu.wait [%[[T2]]]
// CHECK:         scf.if
// CHECK:           %[[ENDS:.*]], %{{.*}} = gpu.alloc async {{.*}} : memref<?x?x?x16xf32>
// CHECK:           %[[SUMS:.*]], %{{.*}} = gpu.alloc async {{.*}} : memref<?x?x?xf32>
// CHECK:           gpu.launch async {{.*}} workgroup(%[[U:.*]] : memref<64x33xf32, #gpu.address_space<workgroup>>, %{{.*}} : memref<64x33xf32, #gpu.address_space<workgroup>>, %[[BS:.*]] : memref<32x16xf32, #gpu.address_space<workgroup>>)
// CHECK:             scf.for {{.*}} -> (f32, f32, f32, f32, f32)
// CHECK:               gpu.barrier
// CHECK:               vector.load %[[BS]]{{.*}}{alignment = 16 : i64}
// CHECK:               llvm.call_intrinsic "llvm.nvvm.ex2.approx.ftz.f32"
// CHECK:             memref.store %{{.*}}, %[[ENDS]]
// CHECK:             memref.store %{{.*}}, %[[SUMS]]
// CHECK:           gpu.launch async {{.*}} workgroup({{.*}}memref<64x33xf32, #gpu.address_space<workgroup>>{{.*}}memref<32x16xf32, #gpu.address_space<workgroup>>{{.*}}memref<32x16xf32, #gpu.address_space<workgroup>>{{.*}}memref<64x33xf32, #gpu.address_space<workgroup>>)
// CHECK:             memref.load %[[SUMS]]
// CHECK:             memref.load %[[ENDS]]
// CHECK:             memref.store %{{.*}}, %[[OUT]]
// CHECK:             memref.store %{{.*}}, %[[FIN]]
// CHECK:           gpu.dealloc async {{.*}} %[[ENDS]]
// CHECK:           gpu.dealloc async {{.*}} %[[SUMS]]
// CHECK:         } else {
// CHECK:           gpu.launch async
// CHECK:         bufferization.to_tensor %[[OUT]]
// CHECK-NOT:     memref.alloc
// NOSEG-LABEL: func.func @scan
// NOSEG-NOT:     scf.if %{{.*}} {
// NOSEG:         gpu.launch async
// NOSEG-NOT:     gpu.launch
// NOSEG:         return
func.func @scan(%u: tensor<?x?x?xbf16>, %dt: tensor<?x?x?xbf16>,
    %A: tensor<?x16xf32>, %B: tensor<?x1x16x?xbf16>, %C: tensor<?x1x16x?xbf16>,
    %D: tensor<?xf32>, %z: tensor<?x?x?xbf16>, %db: tensor<?xf32>)
    -> (tensor<?x?x?xbf16>, tensor<?x?x16xf32>) {
  %y, %h = ssm.selective_scan %u, %dt, %A, %B, %C D(%D) z(%z) delta_bias(%db) delta_softplus
      : (tensor<?x?x?xbf16>, tensor<?x?x?xbf16>, tensor<?x16xf32>,
         tensor<?x1x16x?xbf16>, tensor<?x1x16x?xbf16>, tensor<?xf32>,
         tensor<?x?x?xbf16>, tensor<?xf32>)
      -> (tensor<?x?x?xbf16>, tensor<?x?x16xf32>)
  return %y, %h : tensor<?x?x?xbf16>, tensor<?x?x16xf32>
}

// -----

// A dynamic group count: blocks of 64 channels when g = 1 or d / g is a
// multiple of 64, else the largest power of two dividing d / g, so that no
// block straddles two groups of B and C.
// CHECK-LABEL: func.func @scan_groups
// CHECK:         %[[REM:.*]] = arith.remui %{{.*}}, %c64
// CHECK:         arith.select %{{.*}}, %c64, %{{.*}} : index
func.func @scan_groups(%u: tensor<2x96x?xf32>, %dt: tensor<2x96x?xf32>,
    %A: tensor<96x8xf32>, %B: tensor<2x?x8x?xf32>, %C: tensor<2x?x8x?xf32>)
    -> tensor<2x96x?xf32> {
  %y = ssm.selective_scan %u, %dt, %A, %B, %C
      : (tensor<2x96x?xf32>, tensor<2x96x?xf32>, tensor<96x8xf32>,
         tensor<2x?x8x?xf32>, tensor<2x?x8x?xf32>) -> tensor<2x96x?xf32>
  return %y : tensor<2x96x?xf32>
}

