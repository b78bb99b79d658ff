// RUN: ssmc-opt --convert-ssm-to-loops --split-input-file %s | FileCheck %s

// The combiner region is cloned into the loop over the scanned dimension,
// whose iter_args carry the running values; out[0] = in[0] is peeled, under
// a guard for an empty dimension.

// CHECK-LABEL: func.func @scan_linear_recurrence
// CHECK-DAG:   %[[A:.*]] = bufferization.to_buffer %arg0 read_only
// CHECK-DAG:   %[[B:.*]] = bufferization.to_buffer %arg1 read_only
// CHECK-DAG:   %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG:   %[[C1:.*]] = arith.constant 1 : index
// CHECK:       %[[L:.*]] = memref.dim %[[A]], %[[C1]]
// CHECK:       %[[OA:.*]] = memref.alloc
// CHECK:       %[[OB:.*]] = memref.alloc
// CHECK:       scf.for %[[I:.*]] = %[[C0]] to %{{.*}} step %[[C1]] {
// CHECK:         %[[NONEMPTY:.*]] = arith.cmpi ugt, %[[L]], %[[C0]] : index
// CHECK:         scf.if %[[NONEMPTY]] {
// CHECK:           %[[A0:.*]] = memref.load %[[A]][%[[I]], %[[C0]]]
// CHECK:           memref.store %[[A0]], %[[OA]][%[[I]], %[[C0]]]
// CHECK:           %[[B0:.*]] = memref.load %[[B]][%[[I]], %[[C0]]]
// CHECK:           scf.for %[[T:.*]] = %[[C1]] to %[[L]] step %[[C1]] iter_args(%[[ACCA:.*]] = %[[A0]], %[[ACCB:.*]] = %[[B0]]) -> (f32, f32) {
// CHECK:             %[[NA:.*]] = memref.load %[[A]][%[[I]], %[[T]]]
// CHECK:             %[[NB:.*]] = memref.load %[[B]][%[[I]], %[[T]]]
// CHECK:             %[[AA:.*]] = arith.mulf %[[ACCA]], %[[NA]] : f32
// CHECK:             %[[AB:.*]] = arith.mulf %[[NA]], %[[ACCB]] : f32
// CHECK:             %[[BB:.*]] = arith.addf %[[AB]], %[[NB]] : f32
// CHECK:             memref.store %[[AA]], %[[OA]][%[[I]], %[[T]]]
// CHECK:             memref.store %[[BB]], %[[OB]][%[[I]], %[[T]]]
// CHECK:             scf.yield %[[AA]], %[[BB]] : f32, f32

func.func @scan_linear_recurrence(%a: tensor<?x?xf32>, %b: tensor<?x?xf32>)
    -> (tensor<?x?xf32>, tensor<?x?xf32>) {
  %ra, %rb = ssm.scan %a, %b dimension = 1 : tensor<?x?xf32>, tensor<?x?xf32> {
  ^bb0(%a0: f32, %b0: f32, %a1: f32, %b1: f32):
    %aa = arith.mulf %a0, %a1 : f32
    %ab = arith.mulf %a1, %b0 : f32
    %bb = arith.addf %ab, %b1 : f32
    ssm.yield %aa, %bb : f32, f32
  }
  return %ra, %rb : tensor<?x?xf32>, tensor<?x?xf32>
}

// -----

// reverse walks from the end: the element at step t is at 6 - t. Integer
// elements are loaded and stored as they are.

// CHECK-LABEL: func.func @scan_reverse_i32
// CHECK-DAG:   %[[C6:.*]] = arith.constant 6 : index
// CHECK:       scf.for %[[I:.*]] =
// CHECK:         scf.for %[[J:.*]] =
// CHECK:           memref.load %{{.*}}[%[[C6]], %[[I]], %[[J]]]
// CHECK:           scf.for %[[T:.*]] = %{{.*}} to %c7 step %{{.*}} iter_args(%[[ACC:.*]] = %{{.*}}) -> (i32) {
// CHECK:             %[[POS:.*]] = arith.subi %[[C6]], %[[T]] : index
// CHECK:             %[[NEXT:.*]] = memref.load %{{.*}}[%[[POS]], %[[I]], %[[J]]]
// CHECK:             %[[SUM:.*]] = arith.addi %[[ACC]], %[[NEXT]] : i32
// CHECK:             memref.store %[[SUM]], %{{.*}}[%[[POS]], %[[I]], %[[J]]] : memref<7x?x3xi32>

func.func @scan_reverse_i32(%x: tensor<7x?x3xi32>) -> tensor<7x?x3xi32> {
  %r = ssm.scan %x dimension = 0 reverse : tensor<7x?x3xi32> {
  ^bb0(%acc: i32, %next: i32):
    %s = arith.addi %acc, %next : i32
    ssm.yield %s : i32
  }
  return %r : tensor<7x?x3xi32>
}
