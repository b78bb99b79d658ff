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

/// Replaces a mixer by its decomposition: the output in the hidden state's
/// element type, then the caches when the op returns them.
void replaceMixer(PatternRewriter &rewriter, Operation *op, MixerBuilder &mb,
                  const MixerResults &r, bool withStates) {
  Type elt = cast<ShapedType>(op->getResult(0).getType()).getElementType();
  SmallVector<Value> results{mb.convert(r.out, elt)};
  if (withStates) {
    results.push_back(r.convState);
    results.push_back(r.ssmState);
  }
  rewriter.replaceOp(op, results);
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
    if (op.getAGiven())
      w.a = op.getALog();
    w.worldSize = static_cast<int64_t>(op.getWorldSize().value_or(1));
    bool withStates = !op.getStatesOut().empty();
    MixerResults r = buildMambaMixer(mb, mb.toF32(op.getHidden()), w,
                                     op.getConvState(), op.getSsmState(),
                                     withStates, op.getCuSeqlens());
    replaceMixer(rewriter, op, mb, r, withStates);
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
    w.normGroupSize = static_cast<int64_t>(op.getNormGroupSize().value_or(
        static_cast<uint64_t>(dimOf(op.getNormWeight(), 0) / w.nGroups)));
    w.eps = op.getEpsAttr();
    w.dtLimit = op.getDtLimitAttr();
    if (op.getAGiven())
      w.a = op.getALog();
    w.worldSize = static_cast<int64_t>(op.getWorldSize().value_or(1));
    bool withStates = !op.getStatesOut().empty();
    MixerResults r = buildMamba2Mixer(mb, mb.toF32(op.getHidden()), w,
                                      op.getConvState(), op.getSsmState(),
                                      withStates, op.getCuSeqlens());
    replaceMixer(rewriter, op, mb, r, withStates);
    return success();
  }
};

struct DecomposeEmbedding : OpRewritePattern<EmbeddingOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(EmbeddingOp op,
                                PatternRewriter &rewriter) const final {
    MixerBuilder mb(rewriter, op.getLoc(), op.getTokens());
    Value out;
    if (std::optional<uint64_t> world = op.getWorldSize()) {
      // This rank's rows start at rank * rows.
      Value rank = TPRankOp::create(rewriter, op.getLoc());
      Value rows = arith::ConstantIndexOp::create(rewriter, op.getLoc(),
                                                  dimOf(op.getTable(), 0));
      Value offset = arith::MulIOp::create(rewriter, op.getLoc(), rank, rows);
      out = mb.embedShard(op.getTokens(), op.getTable(), offset);
    } else {
      out = mb.embed(op.getTokens(), op.getTable());
    }
    rewriter.replaceOp(op, mb.convert(out, op.getOut().getType().getElementType()));
    return success();
  }
};

struct DecomposeLinear : OpRewritePattern<LinearOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(LinearOp op,
                                PatternRewriter &rewriter) const final {
    MixerBuilder mb(rewriter, op.getLoc(), op.getX());
    Value y = mb.project(mb.toF32(op.getX()), mb.toF32(op.getWeight()),
                         mb.toF32(op.getBias()), /*channelDim=*/2);
    rewriter.replaceOp(op, mb.convert(y, op.getY().getType().getElementType()));
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
  patterns.add<DecomposeMambaMixer, DecomposeMamba2Mixer, DecomposeEmbedding,
               DecomposeLinear>(
      patterns.getContext());
}
