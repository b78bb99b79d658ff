// RUN: ssmc-opt --ssm-mark-cpu-entry-points --split-input-file %s | FileCheck %s --check-prefix=MARK
// RUN: ssmc-opt --ssm-emit-cpu-entry-points --split-input-file %s | FileCheck %s --check-prefix=EMIT

// Public functions on ranked tensors are marked for a C interface and an
// entry wrapper; private ones and ones with other argument types are not.

// MARK-LABEL: func.func @entry(
// MARK-SAME:    attributes {llvm.emit_c_interface, ssmc.entry}
// MARK-LABEL: func.func private @not_public(
// MARK-NOT:     ssmc.entry
// MARK-LABEL: func.func @not_tensors(
// MARK-NOT:     ssmc.entry
// MARK:         // -----
func.func @entry(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}
func.func private @not_public(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}
func.func @not_tensors(%x: memref<4xf32>) -> memref<4xf32> {
  return %x : memref<4xf32>
}

// -----

// One result: argv[0] is the result pointer, argv[1] the argument's
// descriptor. The C interface itself (also marked) gets no wrapper.

// EMIT-LABEL: llvm.func @ssmc_entry_one_result(
// EMIT-SAME:    %[[ARGV:.*]]: !llvm.ptr) {
// EMIT:         %[[S0:.*]] = llvm.getelementptr %[[ARGV]][0] : (!llvm.ptr) -> !llvm.ptr, !llvm.ptr
// EMIT:         %[[R:.*]] = llvm.load %[[S0]] : !llvm.ptr -> !llvm.ptr
// EMIT:         %[[S1:.*]] = llvm.getelementptr %[[ARGV]][1] : (!llvm.ptr) -> !llvm.ptr, !llvm.ptr
// EMIT:         %[[A0:.*]] = llvm.load %[[S1]] : !llvm.ptr -> !llvm.ptr
// EMIT:         llvm.call @_mlir_ciface_one_result(%[[R]], %[[A0]]) : (!llvm.ptr, !llvm.ptr) -> ()
// EMIT-NEXT:    llvm.return
// EMIT-NOT:     @ssmc_entry__mlir_ciface
!desc = !llvm.struct<(ptr, ptr, i64, array<1 x i64>, array<1 x i64>)>
llvm.func @one_result(%p: !llvm.ptr, %q: !llvm.ptr, %o: i64, %s: i64, %st: i64) -> !desc attributes {ssmc.entry} {
  %0 = llvm.mlir.poison : !desc
  llvm.return %0 : !desc
}
llvm.func @_mlir_ciface_one_result(%res: !llvm.ptr, %arg: !llvm.ptr) attributes {ssmc.entry} {
  llvm.return
}

// -----

// No results: argv[0] is skipped, argument 0 comes from argv[1].

// EMIT-LABEL: llvm.func @ssmc_entry_no_results(
// EMIT-SAME:    %[[ARGV:.*]]: !llvm.ptr) {
// EMIT:         %[[S1:.*]] = llvm.getelementptr %[[ARGV]][1] : (!llvm.ptr) -> !llvm.ptr, !llvm.ptr
// EMIT:         %[[A0:.*]] = llvm.load %[[S1]] : !llvm.ptr -> !llvm.ptr
// EMIT:         llvm.call @_mlir_ciface_no_results(%[[A0]]) : (!llvm.ptr) -> ()
llvm.func @no_results(%p: !llvm.ptr, %q: !llvm.ptr, %o: i64, %s: i64, %st: i64) attributes {ssmc.entry} {
  llvm.return
}
llvm.func @_mlir_ciface_no_results(%arg: !llvm.ptr) attributes {ssmc.entry} {
  llvm.return
}

