//===- Passes.h - conversion passes out of the ssm dialect ------*- C++ -*-===//
#ifndef SSMC_CONVERSION_PASSES_H
#define SSMC_CONVERSION_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Pass/Pass.h"

namespace ssmc {

#define GEN_PASS_DECL
#include "ssmc/Conversion/Passes.h.inc"

/// Adds the patterns that lower the primitive ssm ops to scf loops on
/// memrefs; a static state size up to `maxUnrolledState` is kept in
/// iter_args. A scalar diagonal ssm.recurrence is split into segments of
/// `recurrenceSegment` steps (0: not split), `recurrenceUnroll` steps at a
/// time (see convert-ssm-to-loops).
void populateSSMToLoopsPatterns(mlir::RewritePatternSet &patterns,
                                int64_t maxUnrolledState = 256,
                                int64_t recurrenceSegment = 0,
                                int64_t recurrenceUnroll = 1);

/// Adds only the loop lowerings of ssm.recurrence and ssm.linear_attention
/// (one scf.parallel task per independent recurrence, or per segment of
/// one); the GPU's generic path runs those tasks as threads.
void populateRecurrenceToLoopsPatterns(mlir::RewritePatternSet &patterns,
                                       int64_t recurrenceSegment = 0,
                                       int64_t recurrenceUnroll = 1);

#define GEN_PASS_REGISTRATION
#include "ssmc/Conversion/Passes.h.inc"

} // namespace ssmc

#endif // SSMC_CONVERSION_PASSES_H
