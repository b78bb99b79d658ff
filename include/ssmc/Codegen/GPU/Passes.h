//===- Passes.h - ssmc's own passes of the GPU pipeline ---------*- C++ -*-===//
#ifndef SSMC_CODEGEN_GPU_PASSES_H
#define SSMC_CODEGEN_GPU_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/NVGPU/IR/NVGPUDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace ssmc {

/// The attribute ssm-gpu-choose-tiles writes on the ops it tiles: a
/// dictionary of named tile sizes.
inline constexpr llvm::StringLiteral kGPUTileAttrName = "ssm.gpu_tile";

/// The tiling of one selective scan on the GPU.
struct ScanTileGPU {
  /// Threads (one channel each) per block.
  int64_t channels = 64;
  /// Steps staged in shared memory per chunk.
  int64_t timeChunk = 32;
  /// Sequence segments: 1 = none, 0 = chosen at run time.
  int64_t segments = 0;
  /// Decays per step computed by a polynomial on the FMA pipes instead of
  /// the special-function unit (which bounds the scan), to balance the two.
  int64_t polyExps = 0;
  /// Threads per channel, each with n / stateSplit of the states (0: 4 when
  /// n is a multiple of 16, 2 when of 8, else 1).
  int64_t stateSplit = 0;
};

/// The heuristic of ssm-gpu-choose-tiles for the selective scan on `chip`.
ScanTileGPU chooseScanTileGPU(llvm::StringRef chip);

/// On an op inside a gpu.launch body: the kernel's minimum resident blocks
/// per multiprocessor (nvvm.minctasm on the outlined kernel).
inline constexpr llvm::StringLiteral kMinBlocksAttrName =
    "ssm.kernel_min_blocks_per_sm";

/// Marks a gpu.launch whose constants are to be sunk back into the kernel
/// before outlining (see Pipeline.cpp).
inline constexpr llvm::StringLiteral kSinkConstantsAttrName =
    "ssm.sink_constants";

#define GEN_PASS_DECL
#include "ssmc/Codegen/GPU/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "ssmc/Codegen/GPU/Passes.h.inc"

} // namespace ssmc

#endif // SSMC_CODEGEN_GPU_PASSES_H
