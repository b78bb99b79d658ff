//===- ApproximateExp.cpp - f32 exp as a vectorisable polynomial ----------===//
//
// ssm-cpu-approximate-exp: math.exp through MLIR's polynomial approximation
// rather than a libm call, so that LLVM vectorises the loops around it.
//
//===----------------------------------------------------------------------===//
#include "ssmc/Codegen/CPU/Passes.h"

#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace ssmc {
#define GEN_PASS_DEF_SSMAPPROXIMATEEXP
#include "ssmc/Codegen/CPU/Passes.h.inc"
} // namespace ssmc

using namespace mlir;

namespace {

struct ApproximateExpPass
    : ssmc::impl::SSMApproximateExpBase<ApproximateExpPass> {
  void runOnOperation() final {
    RewritePatternSet patterns(&getContext());
    // The predicate sees operation names ("math.exp").
    populateMathPolynomialApproximationPatterns(
        patterns,
        [](StringRef name) {
          // log1p's approximation is built on math.log.
          return name == math::ExpOp::getOperationName() ||
                 name == math::Log1pOp::getOperationName() ||
                 name == math::LogOp::getOperationName();
        });
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
