//===- Passes.h - ssmc's own passes of the CPU pipeline ---------*- C++ -*-===//
#ifndef SSMC_CODEGEN_CPU_PASSES_H
#define SSMC_CODEGEN_CPU_PASSES_H

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace ssmc {

#define GEN_PASS_DECL
#include "ssmc/Codegen/CPU/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "ssmc/Codegen/CPU/Passes.h.inc"

} // namespace ssmc

#endif // SSMC_CODEGEN_CPU_PASSES_H
