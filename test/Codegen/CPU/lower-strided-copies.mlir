// RUN: ssmc-opt --ssm-lower-strided-copies %s | FileCheck %s

// A copy out of a strided view would become a call of memrefCopy; it becomes
// linalg.copy. A copy between contiguous buffers stays (llvm.memcpy later).

// CHECK-LABEL: func.func @copies(
// CHECK-SAME:    %[[VIEW:[^:]*]]: memref<?x2xf32, strided<[5, 1], offset: ?>>
// CHECK-SAME:    %[[DENSE:[^:]*]]: memref<?x2xf32>
// CHECK-SAME:    %[[OTHER:[^:]*]]: memref<?x2xf32>
// CHECK:         linalg.copy ins(%[[VIEW]] : {{.*}}) outs(%[[DENSE]] : memref<?x2xf32>)
// CHECK:         memref.copy %[[DENSE]], %[[OTHER]] : memref<?x2xf32> to memref<?x2xf32>
func.func @copies(%view: memref<?x2xf32, strided<[5, 1], offset: ?>>,
                  %dense: memref<?x2xf32>, %other: memref<?x2xf32>) {
  memref.copy %view, %dense : memref<?x2xf32, strided<[5, 1], offset: ?>> to memref<?x2xf32>
  memref.copy %dense, %other : memref<?x2xf32> to memref<?x2xf32>
  return
}
