//===- MixerBuilder.h - the Mamba mixers as primitive ssm ops --*- C++ -*-===//
//
// Builders of the decomposed IR of the two mixers (SEMANTICS.md's data flow:
// projections as linalg contractions, the conv, the scan or SSD, the gated
// norm), shared by ssm-decompose-mixers and the HF model frontend, which also
// threads the decode caches (conv state and SSM state) through them.
//
//===----------------------------------------------------------------------===//
#ifndef SSMC_DIALECT_SSM_TRANSFORMS_MIXERBUILDER_H
#define SSMC_DIALECT_SSM_TRANSFORMS_MIXERBUILDER_H

#include "ssmc/Dialect/SSM/IR/SSMOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/IR/Builders.h"

namespace ssmc::ssm {

using mlir::utils::IteratorType;
using namespace mlir;

/// Builds the decomposed IR of one mixer at one location. Holds the batch and
/// length sizes (possibly dynamic) that most intermediates share.
class MixerBuilder {
public:
  MixerBuilder(OpBuilder &builder, Location loc, Value hidden)
      : b(builder), loc(loc), f32(builder.getF32Type()) {
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
    return bias ? addBias(out, bias, channelDim) : out;
  }

  /// x (rank 3) plus `bias` along its channel dimension `channelDim`.
  Value addBias(Value x, Value bias, unsigned channelDim) {
    MLIRContext *ctx = b.getContext();
    SmallVector<OpFoldResult> shape = tensor::getMixedSizes(b, loc, x);
    SmallVector<AffineMap> biasMaps{
        b.getMultiDimIdentityMap(3),
        AffineMap::get(3, 0, {getAffineDimExpr(channelDim, ctx)}, ctx),
        b.getMultiDimIdentityMap(3)};
    SmallVector<IteratorType> par(3, IteratorType::parallel);
    return linalg::GenericOp::create(
               b, loc, TypeRange{x.getType()}, ValueRange{x, bias},
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

  /// Causal depthwise conv with silu over a (b, c, l) tensor, from the
  /// cache `state` (b, c, k - 1) when given; with `newState`, also the cache
  /// after the last step. With `cuSeqlens` (s + 1), x (1, c, l) holds s
  /// packed sequences, and the caches are (s, c, k - 1), one per sequence.
  Value convSilu(Value x, Value weight, Value bias, Value state = Value(),
                 Value *newState = nullptr, Value cuSeqlens = Value());
  /// Residual stream sum x + y (same shapes, f32).
  Value add(Value x, Value y);
  /// Embedding rows: tokens (b, l) of integers -> (b, l, dm) f32 from the
  /// table (vocab, dm) of any float type; token ids are clamped to the table.
  Value embed(Value tokens, Value table);
  /// The same from one rank's rows of the table, vocabulary ids [offset,
  /// offset + rows) (`offset` an index); other ids give zero rows.
  Value embedShard(Value tokens, Value table, Value offset);
  /// The RMS norm of x (b, l, d) as linalg ops, gated (x * silu(z)) when
  /// `z` is given: per group of `groupSize` channels (dividing d), the mean
  /// of squares over `total` channels (groupSize, or more when the group
  /// spans ranks: the sums are then added over `worldSize` ranks by
  /// ssm.all_reduce), times `weight` (d). f32.
  Value normOnLinalg(Value x, Value z, Value weight, int64_t groupSize,
                     int64_t total, int64_t worldSize, FloatAttr eps);

  OpBuilder &b;
  Location loc;
  Type f32;
  OpFoldResult batch, length;
};

/// The weights of one Mamba-1 mixer (checkpoint layouts, any float type;
/// optional ones null).
struct MambaMixerWeights {
  Value inProj, inProjBias, conv, convBias, xProj, dtProj, dtProjBias, aLog, d,
      outProj, outProjBias;
  /// A = -exp(A_log) when the caller has it (then aLog is only its shape).
  Value a;
  /// Tensor parallelism: this mixer is one of `worldSize` ranks' shards; the
  /// output of x_proj is summed over the ranks.
  int64_t worldSize = 1;
};
/// The weights of one Mamba-2 mixer.
struct Mamba2MixerWeights {
  Value inProj, inProjBias, conv, convBias, dtBias, aLog, d, norm, outProj,
      outProjBias;
  /// A = -exp(A_log) when the caller has it.
  Value a;
  int64_t nGroups = 1, headDim = 0, chunkSize = 256;
  /// The gated norm's group: d / nGroups (mamba_ssm) or d (HF); a group
  /// larger than this shard's d spans every rank (worldSize d channels).
  int64_t normGroupSize = 0;
  /// Tensor parallelism: this mixer is one of `worldSize` ranks' shards.
  int64_t worldSize = 1;
  FloatAttr eps;
  DenseF64ArrayAttr dtLimit;
};
/// A mixer's outputs: out (b, l, d_model) f32 and, when asked for, the
/// caches after the last step: conv (b, C, k - 1) and SSM state ((b, d, n)
/// or (b, h, p, n)), f32.
struct MixerResults {
  Value out, convState, ssmState;
};

/// Mamba-1: hidden (b, l, d_model) f32; `convState` / `ssmState` are the
/// caches before the first step (null: zeros); `withStates` asks for the
/// caches after the last step. With `cuSeqlens` (s + 1), hidden (1, l,
/// d_model) holds s packed sequences (sequence i: tokens [cuSeqlens[i],
/// cuSeqlens[i+1])), and the caches in and out are one per sequence (s, ...).
MixerResults buildMambaMixer(MixerBuilder &mb, Value hidden,
                             const MambaMixerWeights &w, Value convState,
                             Value ssmState, bool withStates,
                             Value cuSeqlens = Value());
/// Mamba-2, the same.
MixerResults buildMamba2Mixer(MixerBuilder &mb, Value hidden,
                              const Mamba2MixerWeights &w, Value convState,
                              Value ssmState, bool withStates,
                              Value cuSeqlens = Value());

} // namespace ssmc::ssm

#endif // SSMC_DIALECT_SSM_TRANSFORMS_MIXERBUILDER_H
