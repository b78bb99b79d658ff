// RUN: ssmc-opt %s -ssm-gpu-unit-transposes -split-input-file | FileCheck %s

// The decode step's conv output (b, 192, 1) back to channels last
// (b, 1, 192): the same bytes in the same order. The readers (a slice read
// by a kernel's loads, a linalg input) read a view of the source instead;
// the transpose and its buffer are gone.
// CHECK-LABEL: func.func @back_to_channels_last
// CHECK-SAME: %[[SRC:[^:]+]]: memref<?x192x1xf32>
// CHECK-NOT: linalg.transpose
// CHECK-NOT: memref.alloc
// CHECK: %[[FLAT:.*]] = memref.collapse_shape %[[SRC]] {{\[}}[0, 1, 2]] : memref<?x192x1xf32> into memref<?xf32>
// CHECK: %[[B:.*]] = memref.dim %[[SRC]], %c0
// CHECK: %[[VIEW:.*]] = memref.expand_shape %[[FLAT]] {{\[}}[0, 1, 2]] output_shape [%[[B]], 1, 192] : memref<?xf32> into memref<?x1x192xf32>
// CHECK: memref.subview %[[VIEW]][0, 0, 128]
// CHECK: linalg.generic {{.*}} ins(%[[VIEW]]
func.func @back_to_channels_last(%src: memref<?x192x1xf32>, %out: memref<?x1x192xf32>) -> f32 {
  %c0 = arith.constant 0 : index
  %b = memref.dim %src, %c0 : memref<?x192x1xf32>
  %dest = memref.alloc(%b) : memref<?x1x192xf32>
  linalg.transpose ins(%src : memref<?x192x1xf32>) outs(%dest : memref<?x1x192xf32>) permutation = [0, 2, 1]
  %s = memref.subview %dest[0, 0, 128] [%b, 1, 32] [1, 1, 1] : memref<?x1x192xf32> to memref<?x1x32xf32, strided<[192, 192, 1], offset: 128>>
  %v = memref.load %s[%c0, %c0, %c0] : memref<?x1x32xf32, strided<[192, 192, 1], offset: 128>>
  linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>],
                  iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%dest : memref<?x1x192xf32>) outs(%out : memref<?x1x192xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  }
  return %v : f32
}

// -----

// The destination written again afterwards (a buffer reused): kept.
// CHECK-LABEL: func.func @dest_written
// CHECK: linalg.transpose
func.func @dest_written(%src: memref<?x192x1xf32>) -> memref<?x1x192xf32> {
  %c0 = arith.constant 0 : index
  %z = arith.constant 0.0 : f32
  %b = memref.dim %src, %c0 : memref<?x192x1xf32>
  %dest = memref.alloc(%b) : memref<?x1x192xf32>
  linalg.transpose ins(%src : memref<?x192x1xf32>) outs(%dest : memref<?x1x192xf32>) permutation = [0, 2, 1]
  linalg.fill ins(%z : f32) outs(%dest : memref<?x1x192xf32>)
  return %dest : memref<?x1x192xf32>
}

// -----

// The source written after the transpose: kept.
// CHECK-LABEL: func.func @source_written
// CHECK: linalg.transpose
func.func @source_written(%src: memref<?x192x1xf32>) -> f32 {
  %c0 = arith.constant 0 : index
  %z = arith.constant 0.0 : f32
  %b = memref.dim %src, %c0 : memref<?x192x1xf32>
  %dest = memref.alloc(%b) : memref<?x1x192xf32>
  linalg.transpose ins(%src : memref<?x192x1xf32>) outs(%dest : memref<?x1x192xf32>) permutation = [0, 2, 1]
  memref.store %z, %src[%c0, %c0, %c0] : memref<?x192x1xf32>
  %v = memref.load %dest[%c0, %c0, %c0] : memref<?x1x192xf32>
  return %v : f32
}

// -----

// A transpose that moves data (l not a static 1), or a strided source (a
// slice of channels): kept.
// CHECK-LABEL: func.func @moves_data
// CHECK: linalg.transpose
// CHECK: linalg.transpose
func.func @moves_data(%src: memref<?x192x?xf32>, %sl: memref<?x1x64xf32, strided<[128, 128, 1]>>) -> (f32, f32) {
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %b = memref.dim %src, %c0 : memref<?x192x?xf32>
  %l = memref.dim %src, %c2 : memref<?x192x?xf32>
  %dest = memref.alloc(%b, %l) : memref<?x?x192xf32>
  linalg.transpose ins(%src : memref<?x192x?xf32>) outs(%dest : memref<?x?x192xf32>) permutation = [0, 2, 1]
  %v = memref.load %dest[%c0, %c0, %c0] : memref<?x?x192xf32>
  %d2 = memref.alloc(%b) : memref<?x64x1xf32>
  linalg.transpose ins(%sl : memref<?x1x64xf32, strided<[128, 128, 1]>>) outs(%d2 : memref<?x64x1xf32>) permutation = [0, 2, 1]
  %w = memref.load %d2[%c0, %c0, %c0] : memref<?x64x1xf32>
  return %v, %w : f32, f32
}
