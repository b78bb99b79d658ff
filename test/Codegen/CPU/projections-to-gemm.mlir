// RUN: ssmc-opt %s -ssm-cpu-projections-to-gemm -split-input-file | FileCheck %s
// RUN: ssmc-opt %s -ssm-cpu-projections-to-gemm=gpu=true -split-input-file | FileCheck %s --check-prefix=GPU

// A projection by a weight in checkpoint layout, on buffers: out[b, t, o] +=
// x[b, t, i] w[o, i], called through the runtime's BLAS (the CPU's hook, or
// on the GPU cuBLAS's), the loops kept for when no hook is set.

#x = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>
#w = affine_map<(d0, d1, d2, d3) -> (d2, d3)>
#o = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>

// CHECK-LABEL: func.func @f32_weight
// CHECK: %[[FN:.*]] = llvm.load %{{.*}} : !llvm.ptr -> !llvm.ptr
// CHECK: scf.if
// CHECK:   llvm.call %[[FN]](
// CHECK: } else {
// CHECK:   linalg.generic
// CHECK: llvm.mlir.global internal @ssmc_gemm_v2()
// CHECK: llvm.func @ssmc_set_gemm_v2
// GPU-LABEL: func.func @f32_weight
// GPU-NOT: memref.alloc
// GPU: llvm.call
// GPU: llvm.mlir.global internal @ssmc_gpu_gemm_v1()
// GPU: llvm.func @ssmc_set_gpu_gemm_v1
func.func @f32_weight(%x: memref<?x?x8xf32>, %w: memref<5x8xf32>, %out: memref<?x?x5xf32>) {
  linalg.generic {indexing_maps = [#x, #w, #o],
                  iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%x, %w : memref<?x?x8xf32>, memref<5x8xf32>) outs(%out : memref<?x?x5xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  return
}

// -----

#x = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>
#w = affine_map<(d0, d1, d2, d3) -> (d2, d3)>
#o = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>

// A bf16 weight: on the GPU the activation is first split into bf16 parts,
// hi = round(x) and lo = round(x - hi), in buffers of their own (both
// cuBLAS operands bf16, type code 1); the product is W hi + W lo, two calls
// that differ only in the activation's pointer.
// GPU-LABEL: func.func @bf16_weight
// GPU-SAME: %[[X:[^:]+]]: memref<?x?x8xf32>
// GPU: %[[R:.*]] = memref.alloc(%{{.*}}, %{{.*}}) : memref<?x?x8xbf16>
// GPU: %[[L:.*]] = memref.alloc(%{{.*}}, %{{.*}}) : memref<?x?x8xbf16>
// GPU: scf.parallel
// GPU:   %[[V:.*]] = memref.load %[[X]]
// GPU:   %[[T:.*]] = arith.truncf %[[V]] : f32 to bf16
// GPU:   %[[W:.*]] = arith.extf %[[T]] : bf16 to f32
// GPU:   %[[D:.*]] = arith.subf %[[V]], %[[W]] : f32
// GPU:   memref.store %[[T]], %[[R]]
// GPU:   %[[LO:.*]] = arith.truncf %[[D]] : f32 to bf16
// GPU:   memref.store %[[LO]], %[[L]]
// GPU: memref.extract_aligned_pointer_as_index %[[R]]
// GPU: memref.extract_aligned_pointer_as_index %[[L]]
// GPU: %[[LP:.*]] = llvm.inttoptr
// GPU: arith.constant 1 : i64
// GPU: %[[TYPE:[^ ]+]] = arith.constant 1 : i64
// GPU-NEXT: llvm.mlir.addressof @ssmc_gpu_gemm_v1
// GPU: llvm.call %{{.*}}(%{{[^,]+}}, %{{[^,]+}}, %{{[^,]+}}, %{{[^,]+}}, %[[HP:[^,]+]], {{.*}}, %[[TYPE]]) :
// GPU-NEXT: %[[TYPE2:.*]] = arith.constant 1 : i64
// GPU-NEXT: llvm.call %{{.*}}(%{{[^,]+}}, %{{[^,]+}}, %{{[^,]+}}, %{{[^,]+}}, %[[LP]], {{.*}}, %[[TYPE2]]) :
// CHECK-LABEL: func.func @bf16_weight
// CHECK-NOT: memref.alloc
func.func @bf16_weight(%x: memref<?x?x8xf32>, %w: memref<5x8xbf16>, %out: memref<?x?x5xf32>) {
  linalg.generic {indexing_maps = [#x, #w, #o],
                  iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%x, %w : memref<?x?x8xf32>, memref<5x8xbf16>) outs(%out : memref<?x?x5xf32>) {
  ^bb0(%a: f32, %b: bf16, %acc: f32):
    %e = arith.extf %b : bf16 to f32
    %m = arith.mulf %a, %e : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  return
}

// -----

#x = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>
#w = affine_map<(d0, d1, d2, d3) -> (d2, d3)>
#o = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>

// An output zero-filled just before the projection: on the GPU the hook
// overwrites it (type code + 16: cuBLAS's beta 0) and the fill moves into
// the loops' branch; on the CPU nothing changes.
// The second call (W lo) accumulates onto the first's result.
// GPU-LABEL: func.func @zero_filled
// GPU: %[[TYPE:[^ ]+]] = arith.constant 17 : i64
// GPU: scf.if
// GPU:   llvm.call %{{.*}}({{.*}}, %[[TYPE]]) :
// GPU-NEXT: %[[ACC:.*]] = arith.constant 1 : i64
// GPU-NEXT: llvm.call %{{.*}}({{.*}}, %[[ACC]]) :
// GPU: } else {
// GPU:   linalg.fill
// GPU:   linalg.generic
// CHECK-LABEL: func.func @zero_filled
// CHECK: linalg.fill
// CHECK: scf.if
func.func @zero_filled(%x: memref<?x?x8xf32>, %w: memref<5x8xbf16>, %out: memref<?x?x5xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%out : memref<?x?x5xf32>)
  linalg.generic {indexing_maps = [#x, #w, #o],
                  iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%x, %w : memref<?x?x8xf32>, memref<5x8xbf16>) outs(%out : memref<?x?x5xf32>) {
  ^bb0(%a: f32, %b: bf16, %acc: f32):
    %e = arith.extf %b : bf16 to f32
    %m = arith.mulf %a, %e : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  return
}

// -----

#x = affine_map<(d0, d1, d2, d3) -> (d0, d1, d3)>
#w = affine_map<(d0, d1, d2, d3) -> (d2, d3)>
#o = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>

// A fill of another value, or one the output is read after, stays and the
// hook accumulates (type code 1).
// GPU-LABEL: func.func @filled_then_read
// GPU: linalg.fill
// GPU: memref.load
// GPU: arith.constant 1 : i64
// GPU-NOT: arith.constant 17 : i64
// GPU: llvm.call
func.func @filled_then_read(%x: memref<?x?x8xf32>, %w: memref<5x8xbf16>, %out: memref<?x?x5xf32>) -> f32 {
  %zero = arith.constant 0.0 : f32
  %c0 = arith.constant 0 : index
  linalg.fill ins(%zero : f32) outs(%out : memref<?x?x5xf32>)
  %v = memref.load %out[%c0, %c0, %c0] : memref<?x?x5xf32>
  linalg.generic {indexing_maps = [#x, #w, #o],
                  iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%x, %w : memref<?x?x8xf32>, memref<5x8xbf16>) outs(%out : memref<?x?x5xf32>) {
  ^bb0(%a: f32, %b: bf16, %acc: f32):
    %e = arith.extf %b : bf16 to f32
    %m = arith.mulf %a, %e : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  return %v : f32
}
