//===- Pipeline.h - the GPU (CUDA) lowering pipeline ------------*- C++ -*-===//
//
// From functions on tensors (ssm ops) to host code in the LLVM dialect that
// launches kernels embedded as a GPU binary (PTX, cubin or a fatbin of both),
// through MLIR's gpu and NVVM dialects and LLVM's NVPTX backend. The host
// code calls the `mgpu*` functions of MLIR's CUDA runtime wrappers ABI, which
// ssmc's runtime implements over the CUDA driver API (runtime/cuda).
//
//===----------------------------------------------------------------------===//
#ifndef SSMC_CODEGEN_GPU_PIPELINE_H
#define SSMC_CODEGEN_GPU_PIPELINE_H

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Pass/PassManager.h"

#include <string>

namespace ssmc {

/// Options of the GPU pipeline.
struct GPUPipelineOptions {
  /// The GPU architecture: sm_80, sm_90, ...
  std::string chip = "sm_90";
  /// The form of ssm.recurrence ops: "auto", "generic" (auto without the
  /// built-in ops) or "sequential" (see ssm-derive-recurrence-forms).
  std::string recurrenceForm = "auto";
  /// PTX ISA features (+ptx80 or newer for sm_90).
  std::string features = "+ptx80";
  /// What the embedded binary holds: "isa" (PTX text, JIT-compiled by the
  /// driver), "bin" (cubin, through ptxas) or "fatbin" (both, through ptxas
  /// and fatbinary).
  std::string format = "fatbin";
  /// Stop after ssm-gpu-lower-ops (for --emit=gpu).
  bool stopAfterKernels = false;
  /// Tile overrides of ssm-gpu-choose-tiles (0 / -1: the heuristic).
  int64_t scanChannels = 0;
  int64_t scanTimeChunk = 0;
  int64_t scanSegments = -1;
  int64_t scanPolyExps = -1;
  int64_t scanStateSplit = 0;
  /// Steps per segment of a scalar diagonal ssm.recurrence (-1: the
  /// default of ssm-gpu-lower-ops; 0: no split).
  int64_t recurrenceSegment = -1;
};

/// Appends to `pm` (anchored on builtin.module) every pass from functions on
/// tensors to host code in the LLVM dialect with the GPU binary embedded and
/// the `ssmc_entry_NAME` wrappers of ssmc/Codegen/CPU/Pipeline.h. The entry
/// ABI is the CPU one, except that every pointer in a descriptor is a device
/// pointer, and results are fresh device buffers (mgpuMemAlloc) that the
/// caller frees through the runtime.
void buildGPULoweringPipeline(mlir::OpPassManager &pm,
                              const GPUPipelineOptions &options = {});

/// Adds what the pipeline and the translation of its output to LLVM IR need
/// beyond the dialects: the NVVM target, the GPU and NVVM translations and
/// the GPU binary's offloading handler.
void registerGPUCompilerExtensions(mlir::DialectRegistry &registry);

/// Registers ssmc's GPU passes and the pipeline as `ssm-lower-to-gpu` for
/// ssmc-opt.
void registerGPUPipelines();

/// Whether the CUDA toolkit's ptxas is found (then cubin and fatbin formats
/// work); `path` receives the toolkit's directory.
bool findCudaToolkit(std::string &path);

} // namespace ssmc

#endif // SSMC_CODEGEN_GPU_PIPELINE_H
