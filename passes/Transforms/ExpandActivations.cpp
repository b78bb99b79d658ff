//===- ExpandActivations.cpp - scalar ssm activations into arith/math -----===//
#include "ssmc/Dialect/SSM/IR/SSMOps.h"
#include "ssmc/Dialect/SSM/Transforms/Passes.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace ssmc::ssm {
#define GEN_PASS_DEF_SSMEXPANDACTIVATIONS
#include "ssmc/Dialect/SSM/Transforms/Passes.h.inc"
} // namespace ssmc::ssm

using namespace mlir;
using namespace ssmc::ssm;

namespace {

Value constantLike(PatternRewriter &r, Location loc, Value like, double v) {
  return arith::ConstantOp::create(r, loc,
                                   r.getFloatAttr(like.getType(), v));
}

/// The step body of ssm.recurrence keeps its activations as they are.
bool insideRecurrence(Operation *op) {
  return op->getParentOfType<RecurrenceOp>() != nullptr;
}

/// softplus(x) = x for x > 20, else log1p(exp(x)).
Value softplus(PatternRewriter &r, Location loc, Value x) {
  Value big = arith::CmpFOp::create(r, loc, arith::CmpFPredicate::OGT, x,
                                    constantLike(r, loc, x, 20.0));
  Value soft = math::Log1pOp::create(r, loc, math::ExpOp::create(r, loc, x));
  return arith::SelectOp::create(r, loc, big, x, soft);
}

/// 1 + exp(-x).
Value onePlusExpNeg(PatternRewriter &r, Location loc, Value x) {
  Value e = math::ExpOp::create(r, loc, arith::NegFOp::create(r, loc, x));
  return arith::AddFOp::create(r, loc, constantLike(r, loc, x, 1.0), e);
}

struct ExpandSoftplus : OpRewritePattern<SoftplusOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SoftplusOp op,
                                PatternRewriter &r) const final {
    if (insideRecurrence(op))
      return failure();
    r.replaceOp(op, softplus(r, op.getLoc(), op.getX()));
    return success();
  }
};

struct ExpandLogSigmoid : OpRewritePattern<LogSigmoidOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(LogSigmoidOp op,
                                PatternRewriter &r) const final {
    if (insideRecurrence(op))
      return failure();
    if (insideRecurrence(op))
      return failure();
    Location loc = op.getLoc();
    Value neg = arith::NegFOp::create(r, loc, op.getX());
    r.replaceOpWithNewOp<arith::NegFOp>(op, softplus(r, loc, neg));
    return success();
  }
};

struct ExpandSigmoid : OpRewritePattern<SigmoidOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SigmoidOp op,
                                PatternRewriter &r) const final {
    Location loc = op.getLoc();
    r.replaceOpWithNewOp<arith::DivFOp>(
        op, constantLike(r, loc, op.getX(), 1.0),
        onePlusExpNeg(r, loc, op.getX()));
    return success();
  }
};

struct ExpandSilu : OpRewritePattern<SiluOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SiluOp op, PatternRewriter &r) const final {
    if (insideRecurrence(op))
      return failure();
    r.replaceOpWithNewOp<arith::DivFOp>(op, op.getX(),
                                        onePlusExpNeg(r, op.getLoc(), op.getX()));
    return success();
  }
};

struct SSMExpandActivationsPass
    : ssmc::ssm::impl::SSMExpandActivationsBase<SSMExpandActivationsPass> {
  void runOnOperation() final {
    RewritePatternSet patterns(&getContext());
    populateExpandActivationsPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

void ssmc::ssm::populateExpandActivationsPatterns(RewritePatternSet &patterns) {
  patterns.add<ExpandSoftplus, ExpandLogSigmoid, ExpandSigmoid, ExpandSilu>(
      patterns.getContext());
}
