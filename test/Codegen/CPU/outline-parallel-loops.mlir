// RUN: ssmc-opt --ssm-outline-parallel-loops --split-input-file %s | FileCheck %s

// The body of a 2-d scf.parallel moves into @scale_parallel(ctx, begin, end),
// which unpacks the captured values from the context struct, delinearises
// its iterations and keeps the scratch alloca out of the loop; the loop
// becomes a call through @ssmc_parallel_for.

// CHECK-LABEL: func.func @scale(
// CHECK-SAME:    %[[M:.*]]: memref<?x?xf32>, %[[S:.*]]: f32, %[[N0:.*]]: index, %[[N1:.*]]: index)
// CHECK:         %[[SLOT:.*]] = llvm.alloca %{{.*}} x !llvm.struct<(struct<(ptr, ptr, i64, array<2 x i64>, array<2 x i64>)>, f32, {{.*}})>
// CHECK-NOT:     scf.parallel
// CHECK:         %[[DESC:.*]] = builtin.unrealized_conversion_cast %[[M]] : memref<?x?xf32> to !llvm.struct
// CHECK:         llvm.insertvalue %[[DESC]], %{{.*}}[0]
// CHECK:         llvm.insertvalue %[[S]], %{{.*}}[1]
// CHECK:         llvm.store %{{.*}}, %[[SLOT]]
// CHECK:         %[[BODY:.*]] = constant @scale_parallel : (!llvm.ptr, i64, i64) -> ()
// CHECK:         %[[BODYPTR:.*]] = builtin.unrealized_conversion_cast %[[BODY]]
// CHECK:         %[[G:.*]] = llvm.mlir.addressof @ssmc_parallel_for : !llvm.ptr
// CHECK:         %[[FN:.*]] = llvm.load %[[G]] : !llvm.ptr -> !llvm.ptr
// CHECK:         llvm.call %[[FN]](%[[BODYPTR]], %[[SLOT]], %{{.*}}) : !llvm.ptr, (!llvm.ptr, !llvm.ptr, i64) -> ()

// CHECK-LABEL: func.func private @scale_parallel(
// CHECK-SAME:    %[[CTX:.*]]: !llvm.ptr, %[[BEGIN:.*]]: i64, %[[END:.*]]: i64)
// CHECK:         %[[PACKED:.*]] = llvm.load %[[CTX]] : !llvm.ptr -> !llvm.struct
// CHECK:         %[[F0:.*]] = llvm.extractvalue %[[PACKED]][0]
// CHECK:         %[[MEM:.*]] = builtin.unrealized_conversion_cast %[[F0]] : !llvm.struct<{{.*}}> to memref<?x?xf32>
// CHECK:         %[[SCALE:.*]] = llvm.extractvalue %[[PACKED]][1]
// CHECK:         %[[SCRATCH:.*]] = memref.alloca() : memref<4xf32>
// CHECK:         scf.for %[[IT:.*]] = %{{.*}} to %{{.*}} step
// CHECK:           arith.remui %[[IT]]
// CHECK:           arith.divui %[[IT]]
// CHECK:           memref.load %[[MEM]]
// CHECK:           arith.mulf %{{.*}}, %[[SCALE]]
// CHECK:           memref.store %{{.*}}, %[[SCRATCH]]

// The runtime's hooks: a serial default and the exported setter.
// CHECK:       llvm.func internal @ssmc_serial_parallel_for(%[[B:.*]]: !llvm.ptr, %[[C:.*]]: !llvm.ptr, %[[NN:.*]]: i64)
// CHECK:         llvm.call %[[B]](%[[C]], %{{.*}}, %[[NN]])
// CHECK:       llvm.mlir.global internal @ssmc_parallel_for()
// CHECK:         llvm.mlir.addressof @ssmc_serial_parallel_for
// CHECK:       llvm.func @ssmc_set_parallel_for(%[[P:.*]]: !llvm.ptr)
// CHECK:         llvm.store %[[P]], %{{.*}} : !llvm.ptr, !llvm.ptr
func.func @scale(%m: memref<?x?xf32>, %s: f32, %n0: index, %n1: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.parallel (%i, %j) = (%c0, %c0) to (%n0, %n1) step (%c1, %c1) {
    %scratch = memref.alloca() : memref<4xf32>
    %v = memref.load %m[%i, %j] : memref<?x?xf32>
    %w = arith.mulf %v, %s : f32
    memref.store %w, %scratch[%c0] : memref<4xf32>
    %x = memref.load %scratch[%c0] : memref<4xf32>
    memref.store %x, %m[%i, %j] : memref<?x?xf32>
    scf.reduce
  }
  return
}

// -----

// Nested parallel loops: only the outermost is outlined; loops with
// reductions stay as they are.

// CHECK-LABEL: func.func @nested(
// CHECK:         llvm.call
// CHECK-LABEL: func.func private @nested_parallel(
// CHECK:         scf.for
// CHECK:           scf.parallel
// CHECK-LABEL: func.func @reduction(
// CHECK:         scf.parallel
func.func @nested(%m: memref<?x?xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %f = arith.constant 1.0 : f32
  scf.parallel (%i) = (%c0) to (%n) step (%c1) {
    scf.parallel (%j) = (%c0) to (%n) step (%c1) {
      memref.store %f, %m[%i, %j] : memref<?x?xf32>
      scf.reduce
    }
    scf.reduce
  }
  return
}

func.func @reduction(%m: memref<?xf32>, %n: index) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  %r = scf.parallel (%i) = (%c0) to (%n) step (%c1) init (%zero) -> f32 {
    %v = memref.load %m[%i] : memref<?xf32>
    scf.reduce(%v : f32) {
    ^bb0(%a: f32, %b: f32):
      %s = arith.addf %a, %b : f32
      scf.reduce.return %s : f32
    }
  }
  return %r : f32
}
