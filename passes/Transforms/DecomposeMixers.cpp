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
#include "ssmc/Dialect/SSM/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace ssmc::ssm {
#define GEN_PASS_DEF_SSMDECOMPOSEMIXERS
#include "ssmc/Dialect/SSM/Transforms/Passes.h.inc"
} // namespace ssmc::ssm

using namespace mlir;
using namespace ssmc::ssm;

namespace {

using utils::IteratorType;

/// Builds the decomposed IR of one mixer at one location. Holds the batch and
/// length sizes (possibly dynamic) that most intermediates share.
class MixerBuilder {
public:
  MixerBuilder(PatternRewriter &rewriter, Location loc, Value hidden)
      : b(rewriter), loc(loc), f32(rewriter.getF32Type()) {
    batch = tensor::getMixedSize(b, loc, hidden, 0);
    length = tensor::getMixedSize(b, loc, hidden, 1);
  }

  /// The sizes of a (b, l, ...) or (b, ..., l) tensor with the given static
  /// trailing/middle sizes; `lengthLast` puts l last.
  SmallVector<OpFoldResult> sizes(ArrayRef<int64_t> inner, bool lengthLast) {
    SmallVector<OpFoldResult> out{batch};
    if (!lengthLast)
      out.push_back(length);
    for (int64_t s : inner)
      out.push_back(b.getIndexAttr(s));
    if (lengthLast)
      out.push_back(length);
    return out;
  }

  Value empty(ArrayRef<OpFoldResult> shape) {
    return tensor::EmptyOp::create(b, loc, shape, f32);
  }

  Value zeros(ArrayRef<OpFoldResult> shape) {
    Value zero = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(0.0f));
    return linalg::FillOp::create(b, loc, ValueRange{zero},
                                  ValueRange{empty(shape)})
        .getResult(0);
  }

  /// Converts a scalar to f32 (or from f32 to `to`) inside a linalg body.
  static Value castScalar(OpBuilder &nb, Location l, Value v, Type to) {
    Type from = v.getType();
    if (from == to)
      return v;
    if (from.getIntOrFloatBitWidth() < to.getIntOrFloatBitWidth())
      return arith::ExtFOp::create(nb, l, to, v);
    return arith::TruncFOp::create(nb, l, to, v);
  }

  /// An elementwise conversion of a whole tensor to element type `to`.
  Value convert(Value v, Type to) {
    auto type = cast<RankedTensorType>(v.getType());
    if (type.getElementType() == to)
      return v;
    SmallVector<OpFoldResult> shape = tensor::getMixedSizes(b, loc, v);
    Value init = tensor::EmptyOp::create(b, loc, shape, to);
    unsigned rank = type.getRank();
    SmallVector<AffineMap> maps(2, b.getMultiDimIdentityMap(rank));
    SmallVector<IteratorType> iters(rank, IteratorType::parallel);
    return linalg::GenericOp::create(
               b, loc, TypeRange{init.getType()}, ValueRange{v},
               ValueRange{init}, maps, iters,
               [&](OpBuilder &nb, Location l, ValueRange args) {
                 linalg::YieldOp::create(nb, l,
                                         castScalar(nb, l, args[0], to));
               })
        .getResult(0);
  }

  Value toF32(Value v) { return v ? convert(v, f32) : v; }

  /// A projection by a weight in checkpoint layout (out, in): contracts the
  /// channel dimension `channelDim` (1 or 2) of the rank-3 `x` with the second
  /// dimension of `weight`, giving the out channels at the same position; adds
  /// `bias` (out) when given.
  Value project(Value x, Value weight, Value bias, unsigned channelDim) {
    int64_t outCh = cast<RankedTensorType>(weight.getType()).getDimSize(0);
    SmallVector<OpFoldResult> shape = tensor::getMixedSizes(b, loc, x);
    shape[channelDim] = b.getIndexAttr(outCh);
    Value init = zeros(shape);
    // Iteration space (d0, d1, d2, i): d_channelDim is the out channel.
    MLIRContext *ctx = b.getContext();
    AffineExpr d0 = getAffineDimExpr(0, ctx), d1 = getAffineDimExpr(1, ctx),
               d2 = getAffineDimExpr(2, ctx), i = getAffineDimExpr(3, ctx);
    SmallVector<AffineExpr> xExprs{d0, d1, d2};
    xExprs[channelDim] = i;
    AffineExpr o = channelDim == 1 ? d1 : d2;
    SmallVector<AffineMap> maps{AffineMap::get(4, 0, xExprs, ctx),
                                AffineMap::get(4, 0, {o, i}, ctx),
                                AffineMap::get(4, 0, {d0, d1, d2}, ctx)};
    SmallVector<IteratorType> iters{IteratorType::parallel,
                                    IteratorType::parallel,
                                    IteratorType::parallel,
                                    IteratorType::reduction};
    Value out =
        linalg::GenericOp::create(
            b, loc, TypeRange{init.getType()}, ValueRange{x, weight},
            ValueRange{init}, maps, iters,
            [&](OpBuilder &nb, Location l, ValueRange args) {
              Value prod = arith::MulFOp::create(nb, l, args[0], args[1]);
              linalg::YieldOp::create(
                  nb, l, arith::AddFOp::create(nb, l, args[2], prod).getResult());
            })
            .getResult(0);
    if (!bias)
      return out;
    SmallVector<AffineMap> biasMaps{
        b.getMultiDimIdentityMap(3),
        AffineMap::get(3, 0, {channelDim == 1 ? d1 : d2}, ctx),
        b.getMultiDimIdentityMap(3)};
    SmallVector<IteratorType> par(3, IteratorType::parallel);
    return linalg::GenericOp::create(
               b, loc, TypeRange{out.getType()}, ValueRange{out, bias},
               ValueRange{empty(shape)}, biasMaps, par,
               [&](OpBuilder &nb, Location l, ValueRange args) {
                 linalg::YieldOp::create(
                     nb, l,
                     arith::AddFOp::create(nb, l, args[0], args[1]).getResult());
               })
        .getResult(0);
  }

  /// The channels [offset, offset + size) of dimension `dim` of `x`.
  Value slice(Value x, unsigned dim, int64_t offset, int64_t size) {
    auto type = cast<RankedTensorType>(x.getType());
    SmallVector<OpFoldResult> offsets(type.getRank(), b.getIndexAttr(0));
    SmallVector<OpFoldResult> strides(type.getRank(), b.getIndexAttr(1));
    SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, x);
    offsets[dim] = b.getIndexAttr(offset);
    sizes[dim] = b.getIndexAttr(size);
    return tensor::ExtractSliceOp::create(b, loc, x, offsets, sizes, strides);
  }

  /// `x` with its dimensions permuted: result dim i is x's dim perm[i].
  Value transpose(Value x, ArrayRef<int64_t> perm) {
    SmallVector<OpFoldResult> in = tensor::getMixedSizes(b, loc, x), out;
    for (int64_t p : perm)
      out.push_back(in[p]);
    return linalg::TransposeOp::create(b, loc, x, empty(out), perm)
        .getResult()[0];
  }

  /// Splits dimension `dim` of `x` into (outer, inner) sizes.
  Value expand(Value x, unsigned dim, int64_t outer, int64_t inner) {
    auto type = cast<RankedTensorType>(x.getType());
    SmallVector<OpFoldResult> in = tensor::getMixedSizes(b, loc, x), out;
    SmallVector<ReassociationIndices> reassoc;
    SmallVector<int64_t> shape;
    for (int64_t i = 0, e = type.getRank(); i < e; ++i) {
      if (i == static_cast<int64_t>(dim)) {
        reassoc.push_back({static_cast<int64_t>(out.size()),
                           static_cast<int64_t>(out.size()) + 1});
        out.push_back(b.getIndexAttr(outer));
        out.push_back(b.getIndexAttr(inner));
        shape.push_back(outer);
        shape.push_back(inner);
        continue;
      }
      reassoc.push_back({static_cast<int64_t>(out.size())});
      out.push_back(in[i]);
      shape.push_back(type.getDimSize(i));
    }
    auto resultType = RankedTensorType::get(shape, type.getElementType());
    return tensor::ExpandShapeOp::create(b, loc, resultType, x, reassoc, out);
  }

  /// Merges dimensions `dim` and `dim + 1` of `x`.
  Value collapse(Value x, unsigned dim) {
    auto type = cast<RankedTensorType>(x.getType());
    SmallVector<ReassociationIndices> reassoc;
    for (int64_t i = 0, e = type.getRank(); i < e; ++i) {
      if (i == static_cast<int64_t>(dim)) {
        reassoc.push_back({i, i + 1});
        ++i;
        continue;
      }
      reassoc.push_back({i});
    }
    return tensor::CollapseShapeOp::create(b, loc, x, reassoc);
  }

  /// A = -exp(A_log), elementwise.
  Value negExp(Value aLog) {
    auto type = cast<RankedTensorType>(aLog.getType());
    unsigned rank = type.getRank();
    SmallVector<AffineMap> maps(2, b.getMultiDimIdentityMap(rank));
    SmallVector<IteratorType> iters(rank, IteratorType::parallel);
    Value init = tensor::EmptyOp::create(b, loc, type.getShape(), f32);
    return linalg::GenericOp::create(
               b, loc, TypeRange{init.getType()}, ValueRange{aLog},
               ValueRange{init}, maps, iters,
               [&](OpBuilder &nb, Location l, ValueRange args) {
                 Value e = math::ExpOp::create(nb, l, args[0]);
                 linalg::YieldOp::create(
                     nb, l, arith::NegFOp::create(nb, l, e).getResult());
               })
        .getResult(0);
  }

  /// Causal depthwise conv with silu over a (b, c, l) tensor.
  Value convSilu(Value x, Value weight, Value bias) {
    return CausalConv1dOp::create(b, loc, x.getType(), /*new_conv_state=*/Type(),
                                  x, weight, bias, /*conv_state=*/Value(),
                                  /*silu=*/true)
        .getY();
  }

  PatternRewriter &b;
  Location loc;
  Type f32;
  OpFoldResult batch, length;
};

/// Dimension size of a static tensor value.
int64_t dimOf(Value v, unsigned i) {
  return cast<RankedTensorType>(v.getType()).getDimSize(i);
}

struct DecomposeMambaMixer : OpRewritePattern<MambaMixerOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(MambaMixerOp op,
                                PatternRewriter &rewriter) const final {
    MixerBuilder mb(rewriter, op.getLoc(), op.getHidden());
    int64_t d = dimOf(op.getConvWeight(), 0), n = dimOf(op.getALog(), 1),
            r = dimOf(op.getDtProjWeight(), 1);

    Value hidden = mb.toF32(op.getHidden());
    // [x, z] = in_proj(hidden), then to the scan's (b, d, l) layout.
    Value xz = mb.project(hidden, mb.toF32(op.getInProjWeight()),
                          mb.toF32(op.getInProjBias()), /*channelDim=*/2);
    Value x = mb.transpose(mb.slice(xz, 2, 0, d), {0, 2, 1});
    Value z = mb.transpose(mb.slice(xz, 2, d, d), {0, 2, 1});
    x = mb.convSilu(x, mb.toF32(op.getConvWeight()),
                    mb.toF32(op.getConvBias()));
    // [dt_low, B, C] = x_proj(x), all (b, ., l).
    Value xdbl = mb.project(x, mb.toF32(op.getXProjWeight()), Value(),
                            /*channelDim=*/1);
    Value dtLow = mb.slice(xdbl, 1, 0, r);
    Value bMat = mb.expand(mb.slice(xdbl, 1, r, n), 1, 1, n);
    Value cMat = mb.expand(mb.slice(xdbl, 1, r + n, n), 1, 1, n);
    Value dt = mb.project(dtLow, mb.toF32(op.getDtProjWeight()), Value(),
                          /*channelDim=*/1);
    Value a = mb.negExp(mb.toF32(op.getALog()));
    auto scan = SelectiveScanOp::create(
        rewriter, op.getLoc(), x.getType(), /*final_state=*/Type(), x, dt, a,
        bMat, cMat, mb.toF32(op.getD()), z, mb.toF32(op.getDtProjBias()),
        /*initial_state=*/Value(), /*delta_softplus=*/true);
    Value y = mb.transpose(scan.getOut(), {0, 2, 1});
    Value out = mb.project(y, mb.toF32(op.getOutProjWeight()),
                           mb.toF32(op.getOutProjBias()), /*channelDim=*/2);
    rewriter.replaceOp(op, mb.convert(out, op.getOut().getType().getElementType()));
    return success();
  }
};

struct DecomposeMamba2Mixer : OpRewritePattern<Mamba2MixerOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(Mamba2MixerOp op,
                                PatternRewriter &rewriter) const final {
    MixerBuilder mb(rewriter, op.getLoc(), op.getHidden());
    int64_t d = dimOf(op.getNormWeight(), 0), h = dimOf(op.getALog(), 0);
    int64_t convDim = dimOf(op.getConvWeight(), 0);
    int64_t g = static_cast<int64_t>(op.getNGroups());
    int64_t p = static_cast<int64_t>(op.getHeadDim());
    int64_t gn = (convDim - d) / 2, n = gn / g;

    Value hidden = mb.toF32(op.getHidden());
    // [z, xBC, dt] = in_proj(hidden), all (b, l, .).
    Value zxbcdt = mb.project(hidden, mb.toF32(op.getInProjWeight()),
                              mb.toF32(op.getInProjBias()), /*channelDim=*/2);
    Value z = mb.slice(zxbcdt, 2, 0, d);
    Value xbc = mb.slice(zxbcdt, 2, d, convDim);
    Value dt = mb.slice(zxbcdt, 2, d + convDim, h);
    // The conv runs over l in the (b, c, l) layout.
    xbc = mb.transpose(mb.convSilu(mb.transpose(xbc, {0, 2, 1}),
                                   mb.toF32(op.getConvWeight()),
                                   mb.toF32(op.getConvBias())),
                       {0, 2, 1});
    Value x = mb.expand(mb.slice(xbc, 2, 0, d), 2, h, p);
    Value bMat = mb.expand(mb.slice(xbc, 2, d, gn), 2, g, n);
    Value cMat = mb.expand(mb.slice(xbc, 2, d + gn, gn), 2, g, n);
    Value a = mb.negExp(mb.toF32(op.getALog()));
    auto ssd = SSDOp::create(
        rewriter, op.getLoc(), x.getType(), /*final_states=*/Type(), x, dt, a,
        bMat, cMat, mb.toF32(op.getD()), /*z=*/Value(),
        mb.toF32(op.getDtBias()), /*initial_states=*/Value(),
        /*seq_idx=*/Value(), op.getChunkSizeAttr(), rewriter.getUnitAttr(),
        op.getDtLimitAttr());
    Value y = mb.collapse(ssd.getOut(), 2);
    y = GatedRMSNormOp::create(rewriter, op.getLoc(), y.getType(), y, z,
                               mb.toF32(op.getNormWeight()),
                               rewriter.getI64IntegerAttr(d / g),
                               op.getEpsAttr());
    Value out = mb.project(y, mb.toF32(op.getOutProjWeight()),
                           mb.toF32(op.getOutProjBias()), /*channelDim=*/2);
    rewriter.replaceOp(op, mb.convert(out, op.getOut().getType().getElementType()));
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
