//===- Projections.h - recognising the mixers' projections ------*- C++ -*-===//
//
// What ssm-cpu-projections-to-gemm and ssm-gpu-small-projections match: a
// linalg.generic on buffers that is a projection by a weight in checkpoint
// layout.
//
//===----------------------------------------------------------------------===//
#ifndef SSMC_CODEGEN_CPU_PROJECTIONS_H
#define SSMC_CODEGEN_CPU_PROJECTIONS_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"

namespace ssmc {

/// Whether `op` is a projection out += x w^T by a weight w (out, in) in
/// checkpoint layout: x (b, ., .) f32 contracted over its dimension 1 or 2
/// (set in `channelDim`) with w's dimension 1, w f32, bf16 or f16 (widened
/// in the body), out f32, every innermost stride statically 1.
bool isProjection(mlir::linalg::GenericOp op, unsigned &channelDim);

/// The linalg.fill of +0 that initialises `op`'s output just before it in
/// its block (nothing between them touches that buffer), or null.
mlir::linalg::FillOp zeroFillBefore(mlir::linalg::GenericOp op);

} // namespace ssmc

#endif // SSMC_CODEGEN_CPU_PROJECTIONS_H
