//===- CUDAObject.h - the cuda object of a package --------------*- C++ -*-===//
//
// The stages of the cuda target after the GPU pipeline: the kernels' PTX, and
// the host shared object (host code calling the mgpu* ABI, with the GPU
// binary embedded) that a package's "cuda" object holds.
//
//===----------------------------------------------------------------------===//
#ifndef SSMC_CODEGEN_GPU_CUDAOBJECT_H
#define SSMC_CODEGEN_GPU_CUDAOBJECT_H

#include "ssmc/Codegen/GPU/Pipeline.h"
#include "ssmc/Codegen/Target/HostObject.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/Error.h"

#include <string>

namespace ssmc {

/// Where compileForCUDA stops.
enum class CUDAStage {
  /// After ssm-gpu-lower-ops: host code around gpu.launch kernels.
  Kernels,
  /// Host code in the LLVM dialect with the GPU binary embedded.
  LLVMDialect,
  /// The PTX of every kernel module, one after the other.
  PTX,
  /// The host's LLVM IR, optimized.
  LLVM,
  /// The host object file.
  Object,
  /// The host shared object (the package's cuda object).
  SharedObject,
};

/// Lowers `module` (in place) through the GPU pipeline as far as `stage` and
/// returns the text or bytes of that stage. `gpu.format` "auto" picks fatbin
/// when the CUDA toolkit's ptxas is found, else isa (PTX only, compiled by
/// the driver when loaded). Diagnostics of the passes go through the
/// context; other failures come back as the error.
llvm::Expected<std::string> compileForCUDA(mlir::ModuleOp module,
                                           CUDAStage stage,
                                           GPUPipelineOptions gpu,
                                           const HostTargetOptions &host);

/// The PTX held by the gpu.binary ops of `module` (format isa), each preceded
/// by a comment naming its kernel module.
std::string collectPTX(mlir::ModuleOp module);

} // namespace ssmc

#endif // SSMC_CODEGEN_GPU_CUDAOBJECT_H
