//===- DecomposeMixers.cpp - mixers into primitive ssm ops ----------------===//
//
// Rewrites ssm.mamba_mixer and ssm.mamba2_mixer into the primitive ssm ops
// (causal_conv1d, selective_scan, ssd, gated_rms_norm) plus linalg, tensor,
// arith and math, following the data flow of SEMANTICS.md. Everything in
// between is f32: that is the precision the reference and the residual
// stream use, and later passes may narrow what is safe to narrow.
//
//===----------------------------------------------------------------------===//
#include "ssmc/Dialect/SSM/IR/SSMOps.h"
#include "ssmc/Dialect/SSM/Transforms/MixerBuilder.h"
#include "ssmc/Dialect/SSM/Transforms/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace ssmc::ssm {
#define GEN_PASS_DEF_SSMDECOMPOSEMIXERS
#include "ssmc/Dialect/SSM/Transforms/Passes.h.inc"
} // namespace ssmc::ssm

using namespace mlir;
using namespace ssmc::ssm;

namespace {

/// Dimension size of a static tensor value.
int64_t dimOf(Value v, unsigned i) {
  return cast<RankedTensorType>(v.getType()).getDimSize(i);
}

struct DecomposeMambaMixer : OpRewritePattern<MambaMixerOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(MambaMixerOp op,
                                PatternRewriter &rewriter) const final {
    MixerBuilder mb(rewriter, op.getLoc(), op.getHidden());
    MambaMixerWeights w{op.getInProjWeight(), op.getInProjBias(),
                        op.getConvWeight(),   op.getConvBias(),
                        op.getXProjWeight(),  op.getDtProjWeight(),
                        op.getDtProjBias(),   op.getALog(),
                        op.getD(),            op.getOutProjWeight(),
                        op.getOutProjBias(),  Value()};
    MixerResults r = buildMambaMixer(mb, mb.toF32(op.getHidden()), w, Value(),
                                     Value(), /*withStates=*/false);
    rewriter.replaceOp(
        op, mb.convert(r.out, op.getOut().getType().getElementType()));
    return success();
  }
};

struct DecomposeMamba2Mixer : OpRewritePattern<Mamba2MixerOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(Mamba2MixerOp op,
                                PatternRewriter &rewriter) const final {
    MixerBuilder mb(rewriter, op.getLoc(), op.getHidden());
    Mamba2MixerWeights w;
    w.inProj = op.getInProjWeight();
    w.inProjBias = op.getInProjBias();
    w.conv = op.getConvWeight();
    w.convBias = op.getConvBias();
    w.dtBias = op.getDtBias();
    w.aLog = op.getALog();
    w.d = op.getD();
    w.norm = op.getNormWeight();
    w.outProj = op.getOutProjWeight();
    w.outProjBias = op.getOutProjBias();
    w.nGroups = static_cast<int64_t>(op.getNGroups());
    w.headDim = static_cast<int64_t>(op.getHeadDim());
    w.chunkSize = static_cast<int64_t>(op.getChunkSize());
    w.normGroupSize = dimOf(op.getNormWeight(), 0) / w.nGroups;
    w.eps = op.getEpsAttr();
    w.dtLimit = op.getDtLimitAttr();
    MixerResults r = buildMamba2Mixer(mb, mb.toF32(op.getHidden()), w, Value(),
                                      Value(), /*withStates=*/false);
    rewriter.replaceOp(
        op, mb.convert(r.out, op.getOut().getType().getElementType()));
    return success();
  }
};

struct SSMDecomposeMixersPass
    : ssmc::ssm::impl::SSMDecomposeMixersBase<SSMDecomposeMixersPass> {
  void runOnOperation() final {
    unsigned m1 = 0, m2 = 0;
    getOperation()->walk([&](Operation *op) {
      m1 += isa<MambaMixerOp>(op);
      m2 += isa<Mamba2MixerOp>(op);
    });
    RewritePatternSet patterns(&getContext());
    populateDecomposeMixersPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
    numMambaMixers += m1;
    numMamba2Mixers += m2;
  }
};

} // namespace

void ssmc::ssm::populateDecomposeMixersPatterns(RewritePatternSet &patterns) {
  patterns.add<DecomposeMambaMixer, DecomposeMamba2Mixer>(
      patterns.getContext());
}
