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

// A parallel loop whose iterations are sums over a row (a norm's sum of
// squares, as linalg's parallel loops write it) runs one warp per row: 32
// lanes per row, each lane's terms k = lane, lane + 32, ... four at a time
// into four partial sums (then the rest one by one), the lanes' partial sums
// added by xor shuffles, lane 0 adding the total to the element.

// CHECK-LABEL: func.func @row_sums
// CHECK:       arith.muli %[[ROWS:.*]], %c32 : index
// CHECK:       gpu.launch async
// CHECK:         %[[ID:.*]] = arith.addi
// CHECK:         %[[ROW:.*]] = arith.divui %[[ID]], %c32
// CHECK:         %[[LANE:.*]] = arith.remui %[[ID]], %c32
// CHECK:         arith.cmpi ult, %[[ROW]], %[[ROWS]]
// CHECK:         arith.muli %[[LANE]], %c1
// CHECK:         %[[STRIDE:.*]] = arith.muli %c1, %c32
// CHECK:         %[[GROUP:.*]] = arith.muli %[[STRIDE]], %c4
// CHECK:         %[[END:.*]] = arith.addi
// CHECK:         %[[SUMS:.*]]:4 = scf.for %{{.*}} = %{{.*}} to %[[END]] step %[[GROUP]] iter_args(%[[A0:.*]] = %{{.*}}, %[[A1:.*]] = %{{.*}}, %[[A2:.*]] = %{{.*}}, %[[A3:.*]] = %{{.*}}) -> (f32, f32, f32, f32)
// CHECK-COUNT-4:   memref.load %arg0
// CHECK:           scf.yield
// CHECK:         arith.addf %[[SUMS]]#0, %[[SUMS]]#1
// CHECK:         scf.for %{{.*}} = %[[END]] to %c768 step %[[STRIDE]] iter_args(%[[ACC:.*]] = %{{.*}}) -> (f32)
// CHECK:           arith.mulf
// CHECK:           arith.addf %[[ACC]]
// CHECK-COUNT-5:   gpu.shuffle xor
// CHECK:         arith.cmpi eq, %[[LANE]], %c0
// CHECK:         scf.if
// CHECK:           memref.load %arg1
// CHECK:           arith.addf
// CHECK:           memref.store
// CHECK-NOT:   scf.parallel
func.func @row_sums(%x: memref<?x768xf32>, %out: memref<?x1xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c768 = arith.constant 768 : index
  %n = memref.dim %x, %c0 : memref<?x768xf32>
  scf.parallel (%i, %j) = (%c0, %c0) to (%n, %c1) step (%c1, %c1) {
    scf.for %k = %c0 to %c768 step %c1 {
      %v = memref.load %x[%i, %k] : memref<?x768xf32>
      %o = memref.load %out[%i, %j] : memref<?x1xf32>
      %sq = arith.mulf %v, %v : f32
      %s = arith.addf %o, %sq : f32
      memref.store %s, %out[%i, %j] : memref<?x1xf32>
    }
    scf.reduce
  }
  return
}

// A norm's zero fill of the sums' buffer just before row sums that write
// every element of it (same extents: %n and the size of the expand_shape's
// dimension 0, which is %x's) is dropped: one launch, the total stored.
// CHECK-LABEL: func.func @row_sums_filled
// CHECK-COUNT-1: gpu.launch async
// CHECK-NOT:     gpu.launch async
// CHECK-COUNT-5: gpu.shuffle xor
// CHECK:         %[[T:.*]] = arith.addf %{{.*}}, %shuffleResult
// CHECK:         scf.if
// CHECK-NEXT:      memref.store %[[T]], %{{.*}}[
func.func @row_sums_filled(%x: memref<?x1x768xf32>) -> memref<?x1x1xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c768 = arith.constant 768 : index
  %zero = arith.constant 0.0 : f32
  %n = memref.dim %x, %c0 : memref<?x1x768xf32>
  %e = memref.expand_shape %x [[0], [1], [2, 3]] output_shape [%n, 1, 1, 768] : memref<?x1x768xf32> into memref<?x1x1x768xf32>
  %out = memref.alloc(%n) : memref<?x1x1xf32>
  scf.parallel (%i, %j, %k) = (%c0, %c0, %c0) to (%n, %c1, %c1) step (%c1, %c1, %c1) {
    memref.store %zero, %out[%i, %j, %k] : memref<?x1x1xf32>
    scf.reduce
  }
  %m = memref.dim %e, %c0 : memref<?x1x1x768xf32>
  scf.parallel (%i, %j, %k) = (%c0, %c0, %c0) to (%m, %c1, %c1) step (%c1, %c1, %c1) {
    scf.for %t = %c0 to %c768 step %c1 {
      %v = memref.load %e[%i, %j, %k, %t] : memref<?x1x1x768xf32>
      %o = memref.load %out[%i, %j, %k] : memref<?x1x1xf32>
      %sq = arith.mulf %v, %v : f32
      %s = arith.addf %o, %sq : f32
      memref.store %s, %out[%i, %j, %k] : memref<?x1x1xf32>
    }
    scf.reduce
  }
  return %out : memref<?x1x1xf32>
}

// A fill of one more row than the sums write stays (its own launch), and
// the sums are added to it.
// CHECK-LABEL: func.func @row_sums_fill_larger
// CHECK-COUNT-2: gpu.launch async
// CHECK:         memref.load %{{.*}}[%{{.*}}, %{{.*}}] : memref<?x1xf32>
func.func @row_sums_fill_larger(%x: memref<?x768xf32>, %out: memref<?x1xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c768 = arith.constant 768 : index
  %zero = arith.constant 0.0 : f32
  %n = memref.dim %x, %c0 : memref<?x768xf32>
  %n1 = arith.addi %n, %c1 : index
  scf.parallel (%i, %j) = (%c0, %c0) to (%n1, %c1) step (%c1, %c1) {
    memref.store %zero, %out[%i, %j] : memref<?x1xf32>
    scf.reduce
  }
  scf.parallel (%i, %j) = (%c0, %c0) to (%n, %c1) step (%c1, %c1) {
    scf.for %t = %c0 to %c768 step %c1 {
      %v = memref.load %x[%i, %t] : memref<?x768xf32>
      %o = memref.load %out[%i, %j] : memref<?x1xf32>
      %sq = arith.mulf %v, %v : f32
      %s = arith.addf %o, %sq : f32
      memref.store %s, %out[%i, %j] : memref<?x1xf32>
    }
    scf.reduce
  }
  return
}

// A loop that also reads the element it sums into elsewhere stays one
// thread per iteration.

// CHECK-LABEL: func.func @not_a_row_sum
// CHECK-NOT:     gpu.shuffle
// CHECK:       return
func.func @not_a_row_sum(%x: memref<?x768xf32>, %out: memref<?x1xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c768 = arith.constant 768 : index
  %n = memref.dim %x, %c0 : memref<?x768xf32>
  scf.parallel (%i, %j) = (%c0, %c0) to (%n, %c1) step (%c1, %c1) {
    scf.for %k = %c0 to %c768 step %c1 {
      %v = memref.load %x[%i, %k] : memref<?x768xf32>
      %o = memref.load %out[%i, %j] : memref<?x1xf32>
      %sq = arith.mulf %v, %o : f32
      %s = arith.addf %o, %sq : f32
      memref.store %s, %out[%i, %j] : memref<?x1xf32>
    }
    scf.reduce
  }
  return
}
