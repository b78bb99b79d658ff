// RUN: ssmc-opt --ssm-gpu-parallel-loops %s | FileCheck %s

// The GPU's generic path: host allocations become device buffers (the one
// not returned is freed before the return), a host copy becomes gpu.memcpy,
// the outermost parallel loop becomes a kernel of one thread per iteration
// (blocks of 128 over the flattened iterations, guarded; the last dimension
// varies fastest), its stack scope is inlined, and math runs on NVVM's
// approximate intrinsics.

// CHECK-LABEL: func.func @generic
// CHECK:       %[[T0:.*]] = gpu.wait async
// CHECK:       %[[OUT:.*]], %{{.*}} = gpu.alloc async [%[[T0]]] (%{{.*}}) : memref<?x8xf32>
// CHECK:       %[[TMP:.*]], %{{.*}} = gpu.alloc async [%{{.*}}] (%{{.*}}) : memref<?x8xf32>
// CHECK:       gpu.memcpy async [%{{.*}}] %[[TMP]], %arg0
// CHECK:       %[[N:[0-9]+]] = arith.muli %{{[0-9]+}}, %{{[0-9]+}} : index
// CHECK-NEXT:  %c128 = arith.constant 128 : index
// CHECK:       gpu.launch async [%{{.*}}] blocks(%[[BX:.*]], %{{.*}}, %{{.*}}) in ({{.*}}) threads(%[[TX:.*]], %{{.*}}, %{{.*}}) in (%{{.*}} = %c128
// CHECK:         %[[ID:.*]] = arith.addi %{{.*}}, %[[TX]]
// CHECK:         %[[IN:.*]] = arith.cmpi ult, %[[ID]], %[[N]]
// CHECK:         scf.if %[[IN]]
// CHECK:           arith.remui %[[ID]], %{{.*}} : index
// CHECK-NOT:       memref.alloca_scope
// CHECK:           memref.alloca() : memref<4xf32>
// CHECK:           llvm.call_intrinsic "llvm.nvvm.ex2.approx.ftz.f32"
// CHECK-NOT:       math.exp
// CHECK:           llvm.call_intrinsic "llvm.nvvm.lg2.approx.ftz.f"
// CHECK:         gpu.terminator
// CHECK:       gpu.dealloc async [%{{.*}}] %[[TMP]]
// CHECK:       return %[[OUT]]
func.func @generic(%in: memref<?x8xf32>) -> memref<?x8xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %n = memref.dim %in, %c0 : memref<?x8xf32>
  %out = memref.alloc(%n) : memref<?x8xf32>
  %tmp = memref.alloc(%n) : memref<?x8xf32>
  memref.copy %in, %tmp : memref<?x8xf32> to memref<?x8xf32>
  scf.parallel (%i, %j) = (%c0, %c0) to (%n, %c8) step (%c1, %c1) {
    memref.alloca_scope {
      %s = memref.alloca() : memref<4xf32>
      %x = memref.load %tmp[%i, %j] : memref<?x8xf32>
      %e = math.exp %x : f32
      %l = math.log %e : f32
      memref.store %l, %s[%c0] : memref<4xf32>
      %y = memref.load %s[%c0] : memref<4xf32>
      memref.store %y, %out[%i, %j] : memref<?x8xf32>
    }
    scf.reduce
  }
  return %out : memref<?x8xf32>
}
