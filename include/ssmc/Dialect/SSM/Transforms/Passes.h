//===- Passes.h - transformation passes of the ssm dialect ------*- C++ -*-===//
#ifndef SSMC_DIALECT_SSM_TRANSFORMS_PASSES_H
#define SSMC_DIALECT_SSM_TRANSFORMS_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Pass/Pass.h"

namespace ssmc::ssm {

#define GEN_PASS_DECL
#include "ssmc/Dialect/SSM/Transforms/Passes.h.inc"

/// Adds the patterns that rewrite ssm.mamba_mixer and ssm.mamba2_mixer into
/// primitive ssm ops plus linalg/tensor/arith/math.
void populateDecomposeMixersPatterns(mlir::RewritePatternSet &patterns);

/// Adds the patterns of ssm-expand-activations.
void populateExpandActivationsPatterns(mlir::RewritePatternSet &patterns);

#define GEN_PASS_REGISTRATION
#include "ssmc/Dialect/SSM/Transforms/Passes.h.inc"

} // namespace ssmc::ssm

#endif // SSMC_DIALECT_SSM_TRANSFORMS_PASSES_H
