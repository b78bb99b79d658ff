//===- Passes.h - ssmc's own passes of the CPU pipeline ---------*- C++ -*-===//
#ifndef SSMC_CODEGEN_CPU_PASSES_H
#define SSMC_CODEGEN_CPU_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace ssmc {

/// The attribute ssm-cpu-choose-scan-tiles writes on ssm.selective_scan: the
/// channels one vector holds.
inline constexpr llvm::StringLiteral kCPULanesAttrName = "ssm.cpu_lanes";

/// The channel tile of the vectorized selective scan: one vector register of
/// `vectorBits` holding elements of `elementBits`.
int64_t chooseScanLanes(int64_t vectorBits, int64_t elementBits);

/// The host's widest vector registers in bits (512, 256 or 128).
int64_t hostVectorBits();

#define GEN_PASS_DECL
#include "ssmc/Codegen/CPU/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "ssmc/Codegen/CPU/Passes.h.inc"

} // namespace ssmc

#endif // SSMC_CODEGEN_CPU_PASSES_H
