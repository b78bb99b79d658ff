// RUN: ssmc-opt %s -ssm-cpu-lower-collectives | FileCheck %s

// The collectives of a tensor-parallel module become calls through the
// package's pointer @ssmc_collective_v1(op, in, out, outer, inner), which the
// runtime sets with the exported setter: op 1 sums a fresh copy of the
// operand in place, op 2 gathers the ranks' blocks into a second buffer
// (outer = the sizes before `dim`, inner = from `dim` on), op 0 is the rank.
// While the pointer is null: the operand itself, zeros, rank 0.

// CHECK-LABEL: func.func @collectives(
// CHECK-SAME: %[[X:[^:]+]]: tensor<?x?x8xf32>, %[[P:[^:]+]]: tensor<?x?x5xf32>
//
// all_reduce: a copy in a fresh buffer, summed in place.
// CHECK: %[[BUF:.*]] = memref.alloc(%{{.*}}, %{{.*}}) : memref<?x?x8xf32>
// CHECK: %[[BUFI:.*]] = memref.extract_aligned_pointer_as_index %[[BUF]]
// CHECK: %[[BUFP:.*]] = llvm.inttoptr
// CHECK: bufferization.materialize_in_destination %[[X]] in restrict writable %[[BUF]]
// CHECK: %[[HOOK:.*]] = llvm.load %{{.*}} : !llvm.ptr -> !llvm.ptr
// CHECK: %[[SET:.*]] = llvm.icmp "ne" %[[HOOK]]
// CHECK: scf.if %[[SET]] -> (i64) {
// CHECK:   %[[OP1:.*]] = arith.constant 1 : i64
// CHECK:   llvm.call %[[HOOK]](%[[OP1]], %[[BUFP]], %[[BUFP]], %{{.*}}, %{{.*}}) : !llvm.ptr, (i64, !llvm.ptr, !llvm.ptr, i64, i64) -> i64
// CHECK: %[[SUM:.*]] = bufferization.to_tensor %[[BUF]] restrict writable
//
// all_gather along dim 2: (b, l, 5) -> (b, l, 10).
// CHECK: materialize_in_destination %[[P]]
// CHECK: %[[OUT:.*]] = memref.alloc(%{{.*}}, %{{.*}}) : memref<?x?x10xf32>
// CHECK: scf.if
// CHECK:   %[[OP2:.*]] = arith.constant 2 : i64
// CHECK:   llvm.call %{{.*}}(%[[OP2]],
// CHECK: } else {
// CHECK:   linalg.fill ins(%{{.*}} : f32) outs(%[[OUT]] : memref<?x?x10xf32>)
// CHECK: %[[ALL:.*]] = bufferization.to_tensor %[[OUT]]
//
// tp_rank: op 0's result, 0 without a runtime.
// CHECK: %[[R:.*]] = scf.if
// CHECK:   %[[OP0:.*]] = arith.constant 0 : i64
// CHECK:   llvm.call %{{.*}}(%[[OP0]],
// CHECK: %[[RANK:.*]] = arith.index_cast %[[R]] : i64 to index
// CHECK: return %[[SUM]], %[[ALL]], %[[RANK]]
//
// CHECK: llvm.mlir.global internal @ssmc_collective_v1()
// CHECK: llvm.func @ssmc_set_collective_v1(%{{.*}}: !llvm.ptr)
func.func @collectives(%x: tensor<?x?x8xf32>, %p: tensor<?x?x5xf32>)
    -> (tensor<?x?x8xf32>, tensor<?x?x10xf32>, index) {
  %s = ssm.all_reduce %x world_size = 2 : tensor<?x?x8xf32>
  %g = ssm.all_gather %p dim = 2 world_size = 2 : (tensor<?x?x5xf32>) -> tensor<?x?x10xf32>
  %r = ssm.tp_rank
  return %s, %g, %r : tensor<?x?x8xf32>, tensor<?x?x10xf32>, index
}
