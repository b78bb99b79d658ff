// The passes of the CPU lowering pipeline that upstream MLIR does not have.
#ifndef SSMC_CODEGEN_CPU_PASSES_TD
#define SSMC_CODEGEN_CPU_PASSES_TD

include "mlir/Pass/PassBase.td"

def SSMFreshResults : Pass<"ssm-fresh-results", "::mlir::func::FuncOp"> {
  let summary = "Make every tensor returned by a public function a fresh buffer";
  let description = [{
    The entry ABI hands every result to the caller, who frees it. A public
    function must therefore never return (a view of) one of its arguments, a
    constant, or the same value twice. This pass copies such returned values
    with `bufferization.alloc_tensor copy(...)`, and marks the tensor
    arguments of public functions `bufferization.writable = false` so that
    bufferization never writes into the caller's inputs in place.
  }];
  let dependentDialects = ["::mlir::bufferization::BufferizationDialect"];
  let statistics = [
    Statistic<"numCopies", "num-copies", "Number of returned values copied">
  ];
}

def SSMLowerStridedCopies : Pass<"ssm-lower-strided-copies"> {
  let summary = "Rewrite memref.copy between non-contiguous buffers as linalg.copy";
  let description = [{
    finalize-memref-to-llvm lowers a memref.copy between contiguous buffers
    to llvm.memcpy, and any other one to a call of `memrefCopy` from MLIR's
    C runner utilities, which compiled packages do not link. This pass
    rewrites the latter kind as `linalg.copy`, which convert-linalg-to-loops
    turns into loops.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
  let statistics = [
    Statistic<"numCopies", "num-copies", "Number of copies rewritten">
  ];
}

def SSMMarkCPUEntryPoints : Pass<"ssm-mark-cpu-entry-points",
                                 "::mlir::ModuleOp"> {
  let summary = "Mark the public tensor functions that get an entry wrapper";
  let description = [{
    Puts `llvm.emit_c_interface` (for `_mlir_ciface_NAME`) and `ssmc.entry`
    on every public func.func with a body whose arguments and results are
    all ranked tensors; `ssm-emit-cpu-entry-points` later builds their
    `ssmc_entry_NAME` wrappers.
  }];
}

def SSMEmitCPUEntryPoints : Pass<"ssm-emit-cpu-entry-points",
                                 "::mlir::ModuleOp"> {
  let summary = "Add the exported ssmc_entry_NAME(void **argv) wrappers";
  let description = [{
    On the LLVM dialect, for each `llvm.func @NAME` marked `ssmc.entry`, adds
    `llvm.func @ssmc_entry_NAME(%argv: !llvm.ptr)` that loads the pointers
    argv[0] (the results: one descriptor, or a struct of descriptors) and
    argv[1 + i] (the descriptor of argument i) and calls
    `_mlir_ciface_NAME` with them (Codegen/CPU/Pipeline.h gives the ABI).
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

#endif // SSMC_CODEGEN_CPU_PASSES_TD
