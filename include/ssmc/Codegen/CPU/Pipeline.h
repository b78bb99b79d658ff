//===- Pipeline.h - the CPU lowering pipeline -------------------*- C++ -*-===//
//
// From functions on tensors (ssm ops, linalg, tensor, arith, math) to the LLVM
// dialect, ready for translation to LLVM IR and native code. The contract with
// the runtime (runtime/cpu) is the entry ABI below.
//
//===----------------------------------------------------------------------===//
#ifndef SSMC_CODEGEN_CPU_PIPELINE_H
#define SSMC_CODEGEN_CPU_PIPELINE_H

#include "mlir/Pass/PassManager.h"

#include <string>

namespace ssmc {

/// Options of the CPU pipeline.
struct CPUPipelineOptions {
  /// Run ssm-decompose-mixers first.
  bool decomposeMixers = true;
  /// Channels per vector of the selective scan: 0 to choose from the host's
  /// vector width (ssm-cpu-choose-scan-tiles), 1 for the scalar loops.
  int64_t scanLanes = 0;
  /// The form of ssm.recurrence ops: "auto" (ssm-derive-recurrence-forms
  /// decides), "generic" (the same without the built-in ops) or
  /// "sequential".
  std::string recurrenceForm = "auto";
  /// Steps per segment of a scalar diagonal ssm.recurrence's sequence split
  /// (0: none; see convert-ssm-to-loops).
  int64_t recurrenceSegment = 0;
};

/// Appends to `pm` (anchored on builtin.module) every pass from functions on
/// tensors to the LLVM dialect.
///
/// Entry ABI: every public func.func @NAME whose arguments and results are all
/// ranked tensors gets an exported LLVM function
///   void ssmc_entry_NAME(void **argv)
/// where argv[0] points to the results, stored one after the other as strided
/// memref descriptors {void *allocated, void *aligned, int64_t offset,
/// int64_t sizes[rank], int64_t strides[rank]}, and argv[1 + i] points to the
/// descriptor of argument i. Every result is a fresh malloc'ed buffer (never
/// an argument, a view of one, or a global), which the caller frees with
/// free(allocated).
void buildCPULoweringPipeline(mlir::OpPassManager &pm,
                              const CPUPipelineOptions &options = {});

/// Registers the pipeline as `ssm-lower-to-llvm-cpu` for ssmc-opt.
void registerCPUPipelines();

} // namespace ssmc

#endif // SSMC_CODEGEN_CPU_PIPELINE_H
